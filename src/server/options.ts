// Server settings with RabbitMQ's defaults.
import type { Threshold } from './alarms.js';
import type { CertLoginFrom } from '../shared/tls.js';

export interface ServerOptions {
  /** TCP port; 0 picks a free one. */
  port: number;
  /** Listen address; undefined listens on every IPv4 and IPv6 address. */
  host: string | undefined;
  frameMax: number;
  channelMax: number;
  /** Most connections at once, across listeners (RabbitMQ's connection_max); more wait unanswered. Infinity: no limit. */
  connectionMax: number;
  /** Heartbeat interval offered in connection.tune, seconds. */
  heartbeat: number;
  /** Largest message body accepted, bytes. */
  maxMessageSize: number;
  /** Most bytes one connection may hold in partly received messages across its channels (506 beyond). */
  maxConnectionBuffer: number;
  /** Delivery acknowledgement timeout, ms (RabbitMQ's consumer_timeout); 0 disables it. */
  consumerTimeout: number;
  /** How often unacknowledged deliveries are checked against their timeout, ms. */
  consumerTimeoutCheckInterval: number;
  /** Users allowed to connect only from loopback addresses (RabbitMQ's loopback_users; guest by default). */
  loopbackUsers: string[];
  /** Where durable data lives (the disk alarm watches its file system). */
  dataDir: string;
  /** vm_memory_high_watermark (RabbitMQ: 0.6 of system memory). */
  memoryHighWatermark: Threshold;
  /** disk_free_limit (RabbitMQ: 50 MB). */
  diskFreeLimit: Threshold;
  /** How often memory and disk are checked against their limits, ms. */
  alarmCheckInterval: number;
  defaultUser: string;
  defaultPass: string;
  defaultVhost: string;
  /** Which part of a client certificate names the SASL EXTERNAL user (RabbitMQ's `ssl_cert_login_from`). */
  sslCertLoginFrom: CertLoginFrom;
  /** `product` in connection.start and the management API (RabbitMQ's `product.name`); default Warren. */
  serverProduct: string;
  /**
   * `version` in connection.start (RabbitMQ's `product.version`); undefined sends Warren's own version. When set, it is
   * also the RabbitMQ version the management API and Prometheus report, so every surface agrees.
   */
  serverVersion: string | undefined;
  /** Microseconds the event loop keeps polling after socket input before it sleeps (see busy-wait.ts); 0: never. */
  busyWaitMicros: number;
}

export const DEFAULT_SERVER_OPTIONS: ServerOptions = {
  port: 5672,
  host: undefined,
  frameMax: 131072,
  channelMax: 2047,
  connectionMax: Infinity,
  heartbeat: 60,
  maxMessageSize: 16 * 1024 * 1024,
  maxConnectionBuffer: 256 * 1024 * 1024,
  consumerTimeout: 30 * 60 * 1000,
  consumerTimeoutCheckInterval: 1000,
  loopbackUsers: ['guest'],
  dataDir: './data',
  memoryHighWatermark: { relative: 0.6 },
  diskFreeLimit: { absolute: 50_000_000 },
  alarmCheckInterval: 1000,
  defaultUser: 'guest',
  defaultPass: 'guest',
  defaultVhost: '/',
  sslCertLoginFrom: 'common_name',
  serverProduct: 'Warren',
  serverVersion: undefined,
  busyWaitMicros: 500,
};
