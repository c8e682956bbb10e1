// The TCP listener: accepts sockets, owns the set of live connections, and shuts them down cleanly.
import { createServer, type Server as NetServer, type Socket } from 'node:net';
import { createServer as createTlsServer, type TLSSocket } from 'node:tls';
import type { Logger } from 'pino';
import type { Broker, ClockTimer } from '../broker/index.js';
import { AmqpError } from '../protocol/index.js';
import { Alarms } from './alarms.js';
import { BusyWait } from './busy-wait.js';
import { Connection, type ConnectionContext } from './connection.js';
import { listenTcp } from '../shared/listen.js';
import type { ServerOptions } from './options.js';
import type { ServerTls } from '../shared/tls.js';

/** How long shutdown waits for clients to answer connection.close. */
const SHUTDOWN_GRACE_MS = 2_000;
/** Most sockets kept waiting for a slot under connection_max (RabbitMQ's listen backlog is 128). */
const WAITING_MAX = 128;

export class AmqpServer implements ConnectionContext {
  readonly broker: Broker;
  readonly options: ServerOptions;
  readonly logger: Logger;
  readonly connections = new Set<Connection>();
  private readonly net: NetServer;
  /** The amqps listener, once listenTls() started it. */
  private tls: NetServer | undefined;
  private readonly sockets = new Set<Socket>();

  /** Client sockets open now (connections, and sockets waiting under connection_max). */
  get openSockets(): number {
    return this.sockets.size;
  }
  /** Sockets accepted beyond connection_max, unanswered until a connection closes. */
  private readonly waiting: Socket[] = [];
  /** Set once close() started: nothing new is accepted or admitted. */
  private closing = false;
  private readonly timeoutTimer: ClockTimer;
  readonly alarms: Alarms;
  readonly busyWait: BusyWait;

  constructor(broker: Broker, options: ServerOptions, logger: Logger) {
    this.broker = broker;
    this.options = options;
    this.logger = logger;
    this.net = createServer((socket) => this.accept(socket));
    this.busyWait = new BusyWait(options.busyWaitMicros);
    // Consumer timeouts run on the broker's clock (a manual one in tests); heartbeats and handshake timers stay real.
    this.timeoutTimer = broker.clock.setInterval(() => this.checkConsumerTimeouts(), options.consumerTimeoutCheckInterval);
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
    const now = this.broker.clock.now();
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
    if (this.closing) {
      socket.destroy();
      return;
    }
    this.sockets.add(socket);
    socket.on('close', () => this.sockets.delete(socket));
    if (this.connections.size >= this.options.connectionMax) return this.hold(socket);
    this.broker.totals.connectionsOpened += 1;
    this.connections.add(new Connection(socket, this));
  }

  /**
   * connection_max is reached: as RabbitMQ (whose listener stops accepting), the socket is left unanswered until a
   * connection closes, then served in arrival order. Beyond WAITING_MAX waiting sockets, new ones are dropped.
   */
  private hold(socket: Socket): void {
    if (this.waiting.length >= WAITING_MAX) {
      socket.destroy();
      return;
    }
    socket.pause();
    socket.on('error', () => {});
    socket.once('close', () => {
      const i = this.waiting.indexOf(socket);
      if (i >= 0) this.waiting.splice(i, 1);
    });
    this.waiting.push(socket);
    if (this.waiting.length === 1) this.logger.warn({ connectionMax: this.options.connectionMax }, 'connection_max reached; new connections wait');
  }

  /** Serves waiting sockets while there is room under connection_max. */
  private admitWaiting(): void {
    while (!this.closing && this.waiting.length > 0 && this.connections.size < this.options.connectionMax) {
      const socket = this.waiting.shift()!;
      if (socket.destroyed || !socket.readable) continue;
      this.broker.totals.connectionsOpened += 1;
    this.connections.add(new Connection(socket, this));
      socket.resume();
    }
  }

  connectionClosed(conn: Connection): void {
    if (this.connections.delete(conn)) this.broker.totals.connectionsClosed += 1;
    if (this.waiting.length > 0) this.admitWaiting();
  }

  /** Listens on the configured host, or on every IPv4 and IPv6 address when none is given. */
  listen(): Promise<number> {
    return listenTcp(this.net, this.options.port, this.options.host);
  }

  /**
   * Starts the amqps listener: the same connections over TLS. With verify_peer a client certificate is asked for and
   * one that does not verify is dropped; with fail_if_no_peer_cert a client without one fails the handshake.
   */
  listenTls(port: number, host: string | undefined, tls: ServerTls): Promise<number> {
    if (this.tls) throw new Error('the TLS listener is already started');
    const server = createTlsServer(tls.options, (socket: TLSSocket) => {
      if (!socket.authorized && socket.getPeerX509Certificate() !== undefined) {
        // Without fail_if_no_peer_cert node completes the handshake; a certificate that was presented must still verify.
        this.logger.warn({ peer: `${socket.remoteAddress}:${socket.remotePort}`, reason: String(socket.authorizationError) }, 'TLS client certificate refused');
        socket.destroy();
        return;
      }
      this.accept(socket);
    });
    // Raw sockets still in their handshake are tracked too, so shutdown does not wait for them.
    server.on('connection', (raw: Socket) => {
      this.sockets.add(raw);
      raw.on('close', () => this.sockets.delete(raw));
    });
    server.on('tlsClientError', (err, socket) => {
      // A probe that connects and hangs up (health checks, port scanners) is not worth a warning.
      const level = (err as NodeJS.ErrnoException).code === 'ECONNRESET' ? 'debug' : 'warn';
      const reason = /SSL routines:[^:]*:([^:]+):/.exec(err.message)?.[1] ?? err.message;
      this.logger[level]({ peer: `${socket.remoteAddress}:${socket.remotePort}`, reason }, 'TLS handshake failed');
    });
    this.tls = server;
    return listenTcp(server, port, host);
  }

  /** Stops accepting, sends connection.close 320 to every client, waits briefly for them, then closes sockets. */
  async close(): Promise<void> {
    // Sockets waiting under connection_max are dropped, not served as the closing connections free their slots.
    this.closing = true;
    for (const s of this.waiting.splice(0)) s.destroy();
    this.broker.clock.clear(this.timeoutTimer);
    this.alarms.stop();
    this.busyWait.stop();
    const closed = Promise.all([this.net, this.tls].map((s) => (s?.listening ? new Promise<void>((resolve) => s.close(() => resolve())) : undefined)));
    for (const conn of this.connections) conn.forceClose('broker shutdown');
    const deadline = Date.now() + SHUTDOWN_GRACE_MS;
    while (this.sockets.size > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    for (const s of this.sockets) s.destroy();
    await closed;
  }
}
