// What a client connection and its channels are opened with: ConnectOptions (where, who, tune wishes, TLS) and ChannelOptions.
import type { ConnectionOptions as TlsOptions } from 'node:tls';

export interface ConnectOptions {
  host: string;
  port: number;
  username?: string;
  password?: string;
  vhost?: string;
  /** Shown by the broker's management UI (client property connection_name). */
  connectionName?: string;
  /** Client property `product` (default 'Warren client'). */
  product?: string;
  /** Gives up on the TCP connect and the handshake after this long (default 10 s). */
  timeoutMs?: number;
  /** Heartbeat seconds asked for (default: the broker's proposal; 0: none). */
  heartbeat?: number;
  /** Largest frame asked for, envelope included (default 131072; the broker's limit wins when lower). */
  frameMax?: number;
  /** Most channels asked for (default 2047; the broker's limit wins when lower). */
  channelMax?: number;
  /** Connect with TLS (amqps) using these options; `servername` defaults to the host. */
  tls?: TlsOptions;
}


export interface ChannelOptions {
  confirm?: boolean;
  /** basic.qos prefetch-count (per consumer, as RabbitMQ applies it). */
  prefetch?: number;
  /** Deliver messages to `content` with decoded properties and a copied body (not for the hot path). */
  collect?: boolean;
}
