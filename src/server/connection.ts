// One client connection: protocol header, the handshake's states on channel 0, frame dispatch to channels, read flow
// (fairness, alarms) and error mapping; the login, limits and heartbeats it uses live in login.ts, connection-limits.ts and protocol/heartbeat-clock.ts.
import { HeartbeatClock } from '../protocol/heartbeat-clock.js';
import type { Socket } from 'node:net';
import type { Logger } from 'pino';
import type { Broker, User, VirtualHost } from '../broker/index.js';
import {
  AmqpError,
  channelError,
  commandInvalid,
  CONNECTION_BLOCKED,
  CONNECTION_CLOSE,
  CONNECTION_CLOSE_OK,
  CONNECTION_UNBLOCKED,
  CONNECTION_OPEN,
  CONNECTION_OPEN_OK,
  CONNECTION_SECURE_OK,
  CONNECTION_START,
  CONNECTION_START_OK,
  CONNECTION_TUNE,
  CONNECTION_TUNE_OK,
  CONNECTION_UPDATE_SECRET,
  CONNECTION_UPDATE_SECRET_OK,
  CHANNEL_OPEN,
  decodeMethod,
  decodeTable,
  FRAME_HEARTBEAT,
  FRAME_METHOD,
  FrameReader,
  frameError,
  notAllowed,
  syntaxError,
  unexpectedFrame,
  stampMethod,
  frameDescription,
  UnknownMethodError,
  type FieldTable,
  type Method,
  FRAME_BODY,
  FRAME_HEADER,
  BASIC_PUBLISH,
} from '../protocol/index.js';
import { offeredMechanisms } from './auth.js';
import { Channel } from './channel.js';
import { checkChannelLimits, checkConnectionLimits } from './connection-limits.js';
import { login } from './login.js';
import type { ServerOptions } from './options.js';
import { Output } from './output.js';
import { RepeatedPublish } from './repeated-publish.js';
import { advertisedIdentity, NODE_NAME, serverProperties } from './server-properties.js';
import { SilentClose } from './silent-close.js';
import type { BusyWait } from './busy-wait.js';

const EMPTY = Buffer.alloc(0);
const PROTOCOL_HEADER = Buffer.from([0x41, 0x4d, 0x51, 0x50, 0, 0, 9, 1]);
/** Headers RabbitMQ also serves as 0-9-1: the AMQP 0-9 one older clients (Net::AMQP) send. (0-8 is not spoken.) */
const ACCEPTED_HEADERS = [PROTOCOL_HEADER, Buffer.from([0x41, 0x4d, 0x51, 0x50, 1, 1, 0, 9])];
/** Smallest frame_max a client may ask for (RabbitMQ's FRAME_MIN_SIZE). */
const FRAME_MIN_SIZE = 4096;
const HANDSHAKE_TIMEOUT_MS = 10_000;
const CLOSE_OK_TIMEOUT_MS = 3_000;
/** How long the socket stays open after close-ok to a client's connection.close, for the client to close it first. */
const CLIENT_CLOSE_GRACE_MS = 1_000;
/** Bytes read from one socket before it yields the rest of the loop turn to the others. */
const READ_TURN = 64 * 1024;

/** What a connection needs from the server that owns it. */
export interface ConnectionContext {
  readonly broker: Broker;
  readonly options: ServerOptions;
  readonly logger: Logger;
  /** Every live connection (for per-vhost and per-user limits). */
  readonly connections: ReadonlySet<Connection>;
  connectionClosed(conn: Connection): void;
  /** connection.blocked's reason while a resource alarm is in effect, else undefined. */
  blockReason(): string | undefined;
  /** Told of every socket read, so the event loop polls a little longer before sleeping. */
  readonly busyWait: BusyWait;
}

type State = 'header' | 'start' | 'tune' | 'open' | 'running' | 'closing' | 'closed';

export class Connection {
  readonly id: number;
  readonly socket: Socket;
  readonly output: Output;
  readonly ctx: ConnectionContext;
  /** The client's address and port, as the logger names it. */
  private readonly peer: string;
  private logger: Logger | undefined;
  private state: State = 'header';
  private readonly reader: FrameReader;
  /** The last basic.publish received, made at the first one (an idle connection holds none). */
  private lastPublish: RepeatedPublish | undefined;
  private header = EMPTY;
  readonly channels = new Map<number, Channel>();
  channelMax: number;
  vhost: VirtualHost | undefined;
  user: User | undefined;
  /**
   * The client's start-ok properties table as received (its encoded bytes): decoded when asked for, as
   * management and a few capability checks do, rather than kept as maps of field objects for every connection.
   */
  private clientPropertiesRaw: string | undefined;
  /** Epoch ms the socket was accepted. */
  readonly connectedAt = Date.now();
  /** Negotiated heartbeat interval, seconds (0: none). */
  heartbeat = 0;
  /** Bytes held in partly received messages on all channels (capped by options.maxConnectionBuffer). */
  contentBuffered = 0;
  /** SASL mechanism the client logged in with. */
  authMechanism = '';
  private readonly heartbeats = new HeartbeatClock();
  private handshakeTimer: NodeJS.Timeout | undefined;
  private closeTimer: NodeJS.Timeout | undefined;

  constructor(socket: Socket, ctx: ConnectionContext) {
    this.id = ctx.broker.nextConnectionId();
    this.socket = socket;
    this.ctx = ctx;
    this.channelMax = ctx.options.channelMax;
    this.peer = `${socket.remoteAddress}:${socket.remotePort}`;
    this.output = new Output(socket, () => this.onSocketDrain());
    this.output.frameMax = ctx.options.frameMax;
    this.reader = new FrameReader(this, ctx.options.frameMax);
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', (err) => this.log.debug({ err }, 'socket error'));
    socket.on('close', () => this.onSocketClose());
    this.handshakeTimer = setTimeout(() => {
      if (this.state !== 'running' && this.state !== 'closed') {
        this.log.warn('handshake timeout, closing');
        this.socket.destroy();
      }
    }, HANDSHAKE_TIMEOUT_MS);
    this.handshakeTimer.unref();
  }

  /**
   * This connection's logger ({conn, peer}, plus {vhost, user} once open), made when first used: an idle connection
   * logs nothing after its open line, and a pino child per connection and channel is about 1 KB of heap each.
   */
  get log(): Logger {
    return (this.logger ??= this.ctx.logger.child(this.vhost ? { conn: this.id, peer: this.peer, vhost: this.vhost.name, user: this.username } : { conn: this.id, peer: this.peer }));
  }

  get isOpen(): boolean {
    return this.state === 'running';
  }

  /** The user's name, for user_id checks. */
  get username(): string {
    return this.user?.name ?? '';
  }

  /** The client's start-ok properties (product, connection_name, capabilities, …), for management. */
  get clientProperties(): FieldTable {
    if (this.clientPropertiesRaw === undefined) return new Map();
    const raw = Buffer.from(this.clientPropertiesRaw, 'latin1');
    return decodeTable(raw, 0, raw.length);
  }

  capability(name: string): boolean {
    const caps = this.clientProperties.get('capabilities');
    const v = caps?.type === 'F' ? caps.value.get(name) : undefined;
    return v?.type === 't' && v.value;
  }

  // ---- input -------------------------------------------------------------

  private onData(chunk: Buffer): void {
    this.heartbeats.receivedSinceTick = true;
    // A heartbeat alone (8 bytes) is no traffic: an idle connection's beats never start the spin.
    if (chunk.length !== 8 || chunk[0] !== 8) this.ctx.busyWait.touch();
    if (this.state === 'header') {
      chunk = this.readProtocolHeader(chunk);
      if (chunk.length === 0) return;
    }
    if (this.state === 'closed') return;
    try {
      this.reader.push(chunk);
    } catch (e) {
      this.onError(e, 0);
    }
    this.yieldIfGreedy(chunk.length);
  }

  /**
   * Fairness: libuv reads a busy socket many times per loop turn, so one flooding publisher could starve every
   * other connection (a consumer's acks wait behind megabytes of publishes). After READ_TURN bytes in one turn,
   * reading pauses until the next turn.
   */
  private yieldIfGreedy(bytes: number): void {
    this.readThisTurn += bytes;
    if (this.readThisTurn < READ_TURN || this.yielding) return;
    this.yielding = true;
    this.socket.pause();
    setImmediate(() => {
      this.yielding = false;
      this.readThisTurn = 0;
      this.resumeReading();
    });
  }
  private readThisTurn = 0;
  private yielding = false;

  /** Accumulates the 8-byte protocol header; answers a wrong one with ours and closes. */
  private readProtocolHeader(chunk: Buffer): Buffer {
    const need = 8 - this.header.length;
    this.header = Buffer.concat([this.header, chunk.subarray(0, need)]);
    const rest = chunk.subarray(need);
    const sofar = this.header.length;
    if (!ACCEPTED_HEADERS.some((h) => this.header.equals(h.subarray(0, sofar)))) {
      this.state = 'closed';
      this.reader.stop();
      this.output.raw(PROTOCOL_HEADER);
      this.output.end();
      return Buffer.alloc(0);
    }
    if (sofar < 8) return Buffer.alloc(0);
    // Not kept: a small Buffer is a slice of Node's shared 8 KB pool, and one kept slice keeps all of its pool alive.
    this.header = EMPTY;
    this.state = 'start';
    this.send(0, {
      id: CONNECTION_START,
      versionMajor: 0,
      versionMinor: 9,
      serverProperties: serverProperties(advertisedIdentity(this.ctx.options), this.ctx.broker.parameters.clusterName(NODE_NAME)),
      mechanisms: Buffer.from(offeredMechanisms(this.socket, this.ctx.options.sslCertLoginFrom)),
      locales: Buffer.from('en_US'),
    });
    return rest;
  }

  /** FrameSink: one frame from the reader. */
  onFrame(type: number, channel: number, payload: Buffer): void {
    if (this.state === 'closed') return;
    try {
      if (type === FRAME_HEARTBEAT) {
        if (channel !== 0) throw unexpectedFrame(frameDescription(type, payload));
        return;
      }
      if (type !== FRAME_METHOD && type !== FRAME_HEADER && type !== FRAME_BODY) {
        throw frameError(`${frameDescription(type, payload)}: unknown_frame`);
      }
      if (this.state === 'closing') return this.onFrameWhileClosing(type, channel, payload);
      if (channel === 0) {
        if (type !== FRAME_METHOD) throw unexpectedFrame(`non-method frame on channel 0`);
        const m = this.decode(payload);
        try {
          this.onConnectionMethod(m, payload);
        } catch (e) {
          throw stampMethod(e, m.id);
        }
        return;
      }
      if (this.state !== 'running') throw channelError(`frame on channel ${channel} before the connection is open`);
      let ch = this.channels.get(channel);
      if (!ch) {
        if (type !== FRAME_METHOD) throw unexpectedFrame('expected method frame, got non method frame instead');
        const m = this.decode(payload);
        if (m.id !== CHANNEL_OPEN) throw channelError(`expected 'channel.open'`).stamp(m.id);
        ch = this.openChannel(channel);
        ch.opened();
        return;
      }
      if (type === FRAME_METHOD) {
        ch.expectMethod();
        // A publisher sends the same basic.publish again and again: decoded and sliced once.
        const last = (this.lastPublish ??= new RepeatedPublish());
        if (last.matches(payload, 0, payload.length)) return ch.onPublish(last.method!, last.routingRaw);
        const m = this.decode(payload);
        if (m.id !== BASIC_PUBLISH) return ch.onMethod(m);
        last.remember(payload, m);
        ch.onPublish(m, last.routingRaw);
      } else ch.onContent(type, payload);
    } catch (e) {
      this.onError(e, channel);
    }
  }

  /**
   * The frame reader offers method and header frames in place first: a repeated basic.publish and a content header
   * with repeated properties on an open channel are handled without a view of their payload; anything else (and every
   * error case) is declined and comes back through onFrame.
   */
  onFrameAt(type: number, channel: number, buf: Buffer, start: number, end: number): boolean {
    if (this.state !== 'running' || channel === 0) return false;
    const ch = this.channels.get(channel);
    if (ch === undefined) return false;
    try {
      if (type === FRAME_METHOD) {
        const last = this.lastPublish;
        if (last === undefined || !last.matches(buf, start, end)) return false;
        ch.expectMethod();
        ch.onPublish(last.method!, last.routingRaw);
        return true;
      }
      return type === FRAME_HEADER && ch.onRepeatedHeader(buf, start, end);
    } catch (e) {
      this.onError(e, channel);
      return true;
    }
  }

  private onFrameWhileClosing(type: number, channel: number, payload: Buffer): void {
    if (channel !== 0 || type !== FRAME_METHOD) return;
    const m = this.decode(payload);
    if (m.id === CONNECTION_CLOSE_OK || m.id === CONNECTION_CLOSE) {
      if (m.id === CONNECTION_CLOSE) this.send(0, { id: CONNECTION_CLOSE_OK });
      this.finish();
    }
  }

  /** The one place a client's method frame is decoded. */
  private decode(payload: Buffer): Method {
    try {
      return decodeMethod(payload);
    } catch (e) {
      // RabbitMQ drops the connection without a close frame for ids the spec lacks.
      if (e instanceof UnknownMethodError) throw new SilentClose(`unknown method id ${e.classId}.${e.methodId}`);
      throw e;
    }
  }

  // ---- channel 0 ---------------------------------------------------------

  private onConnectionMethod(m: Method, payload: Buffer): void {
    switch (this.state) {
      case 'start':
        if (m.id !== CONNECTION_START_OK) throw this.unexpectedInState(m);
        // The table's bytes follow the class and method ids and its length (the decoder checked they are there); kept
        // as a one-byte string on the heap, not a Buffer (a small one would pin a whole 8 KB slab of Node's pool).
        this.clientPropertiesRaw = payload.toString('latin1', 8, 8 + payload.readUInt32BE(4));
        return this.onStartOk(m.mechanism ?? 'PLAIN', m.response);
      case 'tune':
        if (m.id === CONNECTION_SECURE_OK) throw commandInvalid('SASL challenge not issued');
        if (m.id !== CONNECTION_TUNE_OK) throw this.unexpectedInState(m);
        return this.onTuneOk(m.channelMax ?? 0, m.frameMax ?? 0, m.heartbeat ?? 0);
      case 'open':
        if (m.id !== CONNECTION_OPEN) throw this.unexpectedInState(m);
        return this.onOpen(m.virtualHost ?? '/');
      case 'running':
        switch (m.id) {
          case CONNECTION_CLOSE:
            this.send(0, { id: CONNECTION_CLOSE_OK });
            this.finish(CLIENT_CLOSE_GRACE_MS);
            return;
          case CONNECTION_CLOSE_OK:
            return;
          case CONNECTION_UPDATE_SECRET:
            this.send(0, { id: CONNECTION_UPDATE_SECRET_OK });
            return;
          default:
            throw this.unexpectedInState(m);
        }
      default:
        return;
    }
  }

  private unexpectedInState(m: Method): AmqpError {
    if (m.id === CONNECTION_CLOSE) {
      // A client may give up at any point of the handshake.
      this.send(0, { id: CONNECTION_CLOSE_OK });
      this.finish();
      return new AmqpError('CONNECTION_FORCED', 'closed during handshake');
    }
    return channelError(`unexpected method in connection state ${this.state}`);
  }

  private onStartOk(mechanism: string, response: Buffer): void {
    this.authMechanism = mechanism;
    const user = login(this.ctx.broker, this.ctx.options, this.socket, () => this.log, mechanism, response);
    this.user = user;
    this.state = 'tune';
    const o = this.ctx.options;
    this.send(0, { id: CONNECTION_TUNE, channelMax: o.channelMax, frameMax: o.frameMax, heartbeat: o.heartbeat });
  }

  private onTuneOk(channelMax: number, frameMax: number, heartbeat: number): void {
    const o = this.ctx.options;
    // As RabbitMQ: 0 means "no limit", which is above ours; out-of-range answers drop the connection silently.
    if (channelMax === 0 || channelMax > o.channelMax) throw new SilentClose(`tune-ok channel_max=${channelMax} above ${o.channelMax}`);
    if (frameMax === 0 || frameMax > o.frameMax) throw new SilentClose(`tune-ok frame_max=${frameMax} above ${o.frameMax}`);
    if (frameMax < FRAME_MIN_SIZE) throw new SilentClose(`tune-ok frame_max=${frameMax} below ${FRAME_MIN_SIZE}`);
    this.channelMax = channelMax;
    const fm = frameMax;
    this.reader.frameMax = fm;
    this.output.frameMax = fm;
    this.heartbeat = heartbeat;
    this.startHeartbeat(heartbeat);
    this.state = 'open';
  }

  private onOpen(vhostName: string): void {
    const vhost = this.ctx.broker.vhosts.get(vhostName);
    if (!vhost) throw notAllowed(`vhost ${vhostName} not found`);
    checkConnectionLimits(this, vhost);
    if (!this.ctx.broker.permissions.get(this.username, vhostName)) {
      throw notAllowed(`access to vhost '${vhostName}' refused for user '${this.username}'`);
    }
    this.vhost = vhost;
    // A logger made during the handshake gets the vhost and user too; else the first use makes one with them.
    if (this.logger) this.logger = this.logger.child({ vhost: vhostName, user: this.username });
    this.state = 'running';
    if (this.handshakeTimer) clearTimeout(this.handshakeTimer);
    this.handshakeTimer = undefined;
    this.send(0, { id: CONNECTION_OPEN_OK, knownHosts: '' });
    // The same line the connection's logger would write, without making one for a connection that may stay idle.
    if (this.logger) this.logger.info('connection open');
    else if (this.ctx.logger.isLevelEnabled('info')) this.ctx.logger.info({ conn: this.id, peer: this.peer, vhost: vhostName, user: this.username }, 'connection open');
  }

  private openChannel(id: number): Channel {
    checkChannelLimits(this);
    const ch = new Channel(this, id);
    this.channels.set(id, ch);
    this.ctx.broker.totals.channelsOpened += 1;
    return ch;
  }

  /** A channel finished its close handshake: its number may be reused. */
  channelFinished(ch: Channel): void {
    if (this.channels.get(ch.id) === ch) this.channels.delete(ch.id);
  }

  // ---- heartbeats (protocol/heartbeat-clock.ts) ---------------------------------

  private startHeartbeat(seconds: number): void {
    this.heartbeats.start(seconds, this.output, () => {
      this.log.warn({ timeout: seconds }, 'missed heartbeats from client, closing');
      this.socket.destroy();
    });
  }

  // ---- output and errors -------------------------------------------------

  /**
   * A method frame out. Once the connection is closing (either side sent connection.close) only channel 0's close
   * handshake goes out; once closed, nothing.
   */
  send(channel: number, m: Method): void {
    if (this.state === 'closed' || (this.state === 'closing' && channel !== 0)) return;
    this.output.method(channel, m);
  }

  /** Maps any error raised while handling input to channel.close or connection.close. */
  onError(e: unknown, channel: number): void {
    if (this.state === 'closed') return;
    if (e instanceof SilentClose) {
      this.log.warn({ reason: e.message }, 'dropping connection without close');
      this.state = 'closed';
      this.reader.stop();
      this.output.discard();
      this.socket.destroy();
      this.cleanup();
      return;
    }
    let err: AmqpError;
    if (e instanceof AmqpError) {
      err = e;
    } else if (e instanceof RangeError && channel !== 0) {
      // A value the codec cannot encode (e.g. an over-long shortstr in a reply).
      this.log.warn({ err: e }, 'encoding error');
      err = syntaxError(e.message);
    } else {
      this.log.error({ err: e, channel }, 'internal error');
      err = new AmqpError('INTERNAL_ERROR', 'internal error');
    }
    const ch = channel === 0 ? undefined : this.channels.get(channel);
    if (!err.hard && ch) {
      ch.closeWithError(err);
      return;
    }
    this.closeWithError(err);
  }

  /** Server-initiated connection.close; waits for close-ok, then ends the socket. */
  closeWithError(err: AmqpError): void {
    if (this.state === 'closing' || this.state === 'closed') return;
    const handshaking = this.state !== 'running';
    if (err.code !== 320) this.log.warn({ code: err.code, text: err.replyText }, 'closing connection on error');
    if (handshaking && err.code === 403 && !this.capability('authentication_failure_close')) {
      this.finish();
      return;
    }
    this.state = 'closing';
    // After a framing error the stream cannot be trusted: RabbitMQ stops reading and closes after a delay.
    if (err.code === 501) this.reader.stop();
    this.send(0, { id: CONNECTION_CLOSE, replyCode: err.code, replyText: err.replyText, classId: err.classId, methodId: err.methodId });
    this.releaseChannels();
    if (handshaking) {
      // RabbitMQ does not wait for close-ok before the connection is open.
      this.finish();
      return;
    }
    this.closeTimer = setTimeout(() => this.finish(), CLOSE_OK_TIMEOUT_MS);
    this.closeTimer.unref();
  }

  /** Closes the connection from the broker side (shutdown, management). */
  forceClose(text: string): void {
    this.closeWithError(new AmqpError('CONNECTION_FORCED', text));
  }

  /** Ends the socket after flushing; state is closed from here on. */
  /**
   * Ends the connection. After the client's own connection.close, RabbitMQ sends close-ok and lets the client close
   * the TCP connection (some clients report an error if the server's FIN races their close-ok); `graceMs` waits for it.
   */
  private finish(graceMs = 0): void {
    if (this.state === 'closed') return;
    this.state = 'closed';
    this.reader.stop();
    if (graceMs > 0) {
      this.output.flush();
      setTimeout(() => this.output.end(), graceMs).unref();
    } else {
      this.output.end();
    }
    this.cleanup();
  }

  private releaseChannels(): void {
    for (const ch of this.channels.values()) ch.release();
  }

  private onSocketClose(): void {
    if (this.state !== 'closed') {
      this.state = 'closed';
      this.reader.stop();
      this.output.discard();
    }
    this.cleanup();
  }

  private cleaned = false;
  private cleanup(): void {
    if (this.cleaned) return;
    this.cleaned = true;
    this.heartbeats.stop();
    if (this.handshakeTimer) clearTimeout(this.handshakeTimer);
    if (this.closeTimer) clearTimeout(this.closeTimer);
    try {
      this.releaseChannels();
    } catch (e) {
      this.log.error({ err: e }, 'error while releasing channels');
    } finally {
      // Whatever happened above, the connection is forgotten (never leaked).
      this.channels.clear();
      try {
        this.vhost?.connectionClosed(this.id);
      } finally {
        this.ctx.connectionClosed(this);
      }
    }
    this.log.debug('connection closed');
  }

  /** Reads again unless something still holds them back (send buffer full, a turn's share used, a resource alarm). */
  private resumeReading(): void {
    if (this.output.congested || this.yielding || this.blocked || this.state === 'closed') return;
    this.socket.resume();
  }

  /** True once this connection published: resource alarms block publishers only. */
  hasPublished = false;
  /** Reads stopped by a resource alarm. */
  private blocked = false;

  /** A resource alarm is in effect: stop reading from this publisher and tell it (connection.blocked). */
  block(reason: string): void {
    if (this.blocked || this.state !== 'running') return;
    this.blocked = true;
    this.socket.pause();
    if (this.capability('connection.blocked')) this.send(0, { id: CONNECTION_BLOCKED, reason });
  }

  /** The alarms cleared: read again and tell the client (connection.unblocked). */
  unblock(): void {
    if (!this.blocked) return;
    this.blocked = false;
    if (this.state === 'running' && this.capability('connection.blocked')) this.send(0, { id: CONNECTION_UNBLOCKED });
    this.resumeReading();
  }

  get isBlocked(): boolean {
    return this.blocked;
  }

  /** The socket's send buffer drained: serve consumers again. */
  private onSocketDrain(): void {
    this.resumeReading();
    for (const ch of this.channels.values()) ch.resumeDeliveries();
  }
}
