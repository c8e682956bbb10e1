// The TCP listener: accepts sockets, owns the set of live connections, and shuts them down cleanly.
import { createServer, type Server as NetServer, type Socket } from 'node:net';
import type { Logger } from 'pino';
import type { Broker } from '../broker/index.js';
import { AmqpError } from '../protocol/index.js';
import { Alarms } from './alarms.js';
import { Connection, type ConnectionContext } from './connection.js';
import type { ServerOptions } from './options.js';

/** How long shutdown waits for clients to answer connection.close. */
const SHUTDOWN_GRACE_MS = 2_000;

export class AmqpServer implements ConnectionContext {
  readonly broker: Broker;
  readonly options: ServerOptions;
  readonly logger: Logger;
  readonly connections = new Set<Connection>();
  private readonly net: NetServer;
  private readonly sockets = new Set<Socket>();
  private readonly timeoutTimer: NodeJS.Timeout;
  readonly alarms: Alarms;

  constructor(broker: Broker, options: ServerOptions, logger: Logger) {
    this.broker = broker;
    this.options = options;
    this.logger = logger;
    this.net = createServer((socket) => this.accept(socket));
    this.timeoutTimer = setInterval(() => this.checkConsumerTimeouts(), options.consumerTimeoutCheckInterval);
    this.timeoutTimer.unref();
    this.alarms = new Alarms(
      { memoryHighWatermark: options.memoryHighWatermark, diskFreeLimit: options.diskFreeLimit, dataDir: options.dataDir, interval: options.alarmCheckInterval },
      logger,
      () => this.applyAlarms(),
    );
  }

  /** Blocks every connection that has published while an alarm is in effect; unblocks them all when none is. */
  applyAlarms(): void {
    const reason = this.blockReason();
    for (const conn of this.connections) {
      if (reason === undefined) conn.unblock();
      else if (conn.hasPublished) conn.block(reason);
    }
  }

  /** RabbitMQ's connection.blocked reasons; undefined when no alarm is in effect. */
  blockReason(): string | undefined {
    if (this.alarms.active.has('memory')) return 'low on memory';
    if (this.alarms.active.has('disk')) return 'low on disk';
    return undefined;
  }

  /** Closes channels holding a delivery unacknowledged past its consumer timeout (406, as RabbitMQ). */
  private checkConsumerTimeouts(): void {
    const now = Date.now();
    for (const conn of this.connections) {
      for (const ch of conn.channels.values()) {
        if (ch.state !== 'open' || ch.deliveries.unacked.size === 0) continue;
        const limit = ch.deliveries.overdue(now, this.options.consumerTimeout);
        if (limit === undefined) continue;
        ch.closeWithError(
          new AmqpError(
            'PRECONDITION_FAILED',
            `delivery acknowledgement on channel ${ch.id} timed out. Timeout value used: ${limit} ms. This timeout value can be configured, see consumers doc guide to learn more`,
            { classId: 0, methodId: 0 },
          ),
        );
      }
    }
  }

  private accept(socket: Socket): void {
    this.sockets.add(socket);
    socket.on('close', () => this.sockets.delete(socket));
    this.connections.add(new Connection(socket, this));
  }

  connectionClosed(conn: Connection): void {
    this.connections.delete(conn);
  }

  /** Listens on the configured host, or on every IPv4 and IPv6 address when none is given. */
  async listen(): Promise<number> {
    const { port, host } = this.options;
    if (host !== undefined) return this.listenOn({ port, host });
    try {
      return await this.listenOn({ port, host: '::', ipv6Only: false });
    } catch (e) {
      // No IPv6 on this machine: IPv4 only.
      if ((e as NodeJS.ErrnoException).code !== 'EAFNOSUPPORT' && (e as NodeJS.ErrnoException).code !== 'EADDRNOTAVAIL') throw e;
      return this.listenOn({ port, host: '0.0.0.0' });
    }
  }

  private listenOn(opts: { port: number; host: string; ipv6Only?: boolean }): Promise<number> {
    return new Promise((resolve, reject) => {
      const onError = (err: Error) => reject(err);
      this.net.once('error', onError);
      this.net.listen(opts, () => {
        this.net.off('error', onError);
        const addr = this.net.address();
        resolve(typeof addr === 'object' && addr ? addr.port : opts.port);
      });
    });
  }

  /** Stops accepting, sends connection.close 320 to every client, waits briefly for them, then closes sockets. */
  async close(): Promise<void> {
    clearInterval(this.timeoutTimer);
    this.alarms.stop();
    const closed = new Promise<void>((resolve) => this.net.close(() => resolve()));
    for (const conn of this.connections) conn.forceClose('broker shutdown');
    const deadline = Date.now() + SHUTDOWN_GRACE_MS;
    while (this.sockets.size > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    for (const s of this.sockets) s.destroy();
    await closed;
  }
}
