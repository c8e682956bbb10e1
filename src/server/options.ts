// Server settings with RabbitMQ's defaults.

export interface ServerOptions {
  /** TCP port; 0 picks a free one. */
  port: number;
  /** Listen address; undefined listens on every IPv4 and IPv6 address. */
  host: string | undefined;
  frameMax: number;
  channelMax: number;
  /** Heartbeat interval offered in connection.tune, seconds. */
  heartbeat: number;
  /** Largest message body accepted, bytes. */
  maxMessageSize: number;
  /** Delivery acknowledgement timeout, ms (RabbitMQ's consumer_timeout); 0 disables it. */
  consumerTimeout: number;
  /** How often unacknowledged deliveries are checked against their timeout, ms. */
  consumerTimeoutCheckInterval: number;
  /** Users allowed to connect only from loopback addresses (RabbitMQ's loopback_users; guest by default). */
  loopbackUsers: string[];
  defaultUser: string;
  defaultPass: string;
  defaultVhost: string;
}

export const DEFAULT_SERVER_OPTIONS: ServerOptions = {
  port: 5672,
  host: undefined,
  frameMax: 131072,
  channelMax: 2047,
  heartbeat: 60,
  maxMessageSize: 16 * 1024 * 1024,
  consumerTimeout: 30 * 60 * 1000,
  consumerTimeoutCheckInterval: 1000,
  loopbackUsers: ['guest'],
  defaultUser: 'guest',
  defaultPass: 'guest',
  defaultVhost: '/',
};
