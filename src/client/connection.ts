// One AMQP 0-9-1 client connection on Warren's codec: the socket (TCP or TLS) and its handshake sequence, frames read in
// place by the protocol's FrameReader and dispatched to channels by number, methods and pre-encoded frames written in batches.
import { HeartbeatClock } from '../protocol/heartbeat-clock.js';
import { connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import {
  BASIC_ACK,
  BASIC_CANCEL,
  BASIC_DELIVER,
  BASIC_GET_OK,
  BASIC_NACK,
  BASIC_QOS,
  BASIC_RETURN,
  CHANNEL_CLOSE,
  CHANNEL_CLOSE_OK,
  CHANNEL_OPEN,
  CONFIRM_SELECT,
  CONNECTION_BLOCKED,
  CONNECTION_CLOSE,
  CONNECTION_CLOSE_OK,
  CONNECTION_OPEN,
  CONNECTION_START,
  CONNECTION_START_OK,
  CONNECTION_TUNE,
  CONNECTION_TUNE_OK,
  CONNECTION_UNBLOCKED,
  decodeMethod,
  encodeMethod,
  EXCHANGE_DECLARE,
  FRAME_BODY,
  FRAME_HEADER,
  FRAME_METHOD,
  FrameReader,
  QUEUE_BIND,
  QUEUE_DECLARE,
  QUEUE_DECLARE_OK,
  QUEUE_DELETE,
  QUEUE_PURGE,
  BASIC_CONSUME,
  BASIC_CONSUME_OK,
  publishFrames,
  writeAck,
  Writer,
  type BasicProperties,
  type FieldTable,
  type FrameSink,
  type Method,
} from '../protocol/index.js';
import { ChannelState, DELIVER, GET, NONE, RETURN } from './channel-state.js';
import { CHANNEL_MAX, clientProperties as clientPropertiesOf, FRAME_MAX, handshakeError as nameHandshakeFailure, negotiateTune, plainResponse } from './negotiation.js';
import { ClosedByBroker, HandshakeError, type HandshakeStage } from './errors.js';
import type { ChannelListener } from './listener.js';
import type { ChannelOptions, ConnectOptions } from './options.js';

export type { ChannelListener, Delivery } from './listener.js';
export type { ChannelOptions, ConnectOptions } from './options.js';

const PROTOCOL_HEADER = Buffer.from('AMQP\x00\x00\x09\x01', 'latin1');
const EMPTY = Buffer.alloc(0);
/** Bytes per socket read (buffers are per connection and grow only when needed: idle connections stay small). */
const READ_SIZE = 64 * 1024;
const TWO_32 = 0x100000000;


/** One AMQP connection; channels are numbers the caller picks (or `Channel` objects, see channel.ts). */
export class AmqpConnection implements FrameSink {
  /** Negotiated frame_max (bytes per frame, envelope included). */
  frameMax = FRAME_MAX;
  /** Negotiated channel_max and heartbeat (seconds). */
  channelMax = CHANNEL_MAX;
  heartbeat = 0;
  /** The broker's connection.start properties (product, version, capabilities...). */
  serverProperties: FieldTable = new Map();
  /** When the bytes being parsed arrived: epoch microseconds, taken once per read. */
  receivedAtUs = 0;
  /** Called once with the first fatal error after the handshake (a broker's close, a lost socket, a bad frame). */
  onError: ((e: Error) => void) | undefined;
  /** Called on connection.blocked / unblocked with the reason (undefined when unblocked). */
  onBlocked: ((reason: string | undefined) => void) | undefined;
  /** Called once when the connection is over, by close() or failure (with the error then). */
  onClose: ((e: Error | undefined) => void) | undefined;
  /** Set while the broker has blocked publishing (connection.blocked), with its reason. */
  blockedReason: string | undefined;

  private socket!: Socket;
  private readonly where: string;
  private readonly w = new Writer(16 * 1024);
  private readonly channels: Array<ChannelState | undefined> = [];
  private reader!: FrameReader;
  private drainWaiters: Array<() => void> = [];
  private closing = false;
  private ended = false;
  private failedWith: Error | undefined;
  private closeOk: (() => void) | undefined;
  private stage: HandshakeStage | 'ready' = 'connect';
  private readonly heartbeats = new HeartbeatClock(true);
  /** Heartbeats go out here when nothing else did since the last tick (flush sets sentSinceTick). */
  private readonly beats = {
    sentSinceTick: false,
    heartbeat: () => {
      if (this.w.pos === 0 && !this.socket.destroyed) {
        this.w.heartbeat();
        this.flush();
      }
    },
  };
  private flushScheduled = false;

  private constructor(private readonly o: ConnectOptions) {
    this.channels[0] = new ChannelState(0);
    this.where = `${o.host.includes(':') ? `[${o.host}]` : o.host}:${o.port}`;
  }

  /** Connects, runs the handshake (PLAIN) and opens the vhost. Rejects with a HandshakeError. */
  static async open(o: ConnectOptions): Promise<AmqpConnection> {
    const c = new AmqpConnection(o);
    await c.handshake();
    return c;
  }

  /** The error that ended the connection, if it failed. */
  get failed(): Error | undefined {
    return this.failedWith;
  }

  /**
   * Where the connection is in its life: 'connecting' (handshake), 'open', 'closing' (our close() under way), then
   * 'closed' (by us) or 'failed' (see `failed`). onClose fires exactly once on the way to the last two; to reconnect,
   * open a new connection with the same `options`.
   */
  get state(): 'connecting' | 'open' | 'closing' | 'closed' | 'failed' {
    if (this.failedWith) return 'failed';
    if (this.ended) return 'closed';
    if (this.closing) return 'closing';
    return this.stage === 'ready' ? 'open' : 'connecting';
  }

  /** The options this connection was opened with (to open another one like it). */
  get options(): Readonly<ConnectOptions> {
    return this.o;
  }

  /** False once closed or failed. */
  get isOpen(): boolean {
    return this.stage === 'ready' && !this.closing && this.failedWith === undefined;
  }

  private handshake(): Promise<void> {
    const o = this.o;
    const where = this.where;
    const timeoutMs = o.timeoutMs ?? 10_000;
    return new Promise<void>((resolve, reject) => {
      let done = false;
      const fail = (e: HandshakeError) => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        this.failedWith = e;
        this.stopHeartbeats();
        this.socket.destroy();
        reject(e);
      };
      const handshakeError = (e: Error | undefined, code?: string): HandshakeError =>
        nameHandshakeFailure(where, o, this.stage === 'ready' ? 'open' : this.stage, this.serverProperties, e, code);
      const timer = setTimeout(() => fail(new HandshakeError(`no AMQP handshake with ${where} within ${timeoutMs} ms`, this.stage === 'ready' ? 'open' : this.stage, this.serverProperties)), timeoutMs);
      if (o.tls) {
        this.reader = new FrameReader(this, FRAME_MAX);
        this.socket = tlsConnect({ host: o.host, port: o.port, servername: isIp(o.host) ? undefined : o.host, ...o.tls });
        this.socket.on('data', (d: Buffer) => this.onData(d));
      } else {
        this.reader = new FrameReader(this, FRAME_MAX, { reusedInput: true });
        this.socket = netConnect({
          host: o.host,
          port: o.port,
          noDelay: true,
          onread: { buffer: Buffer.allocUnsafe(READ_SIZE), callback: (n, buf) => this.onRead(n, buf as Buffer) },
        });
      }
      this.socket.on('error', (e: NodeJS.ErrnoException) => {
        if (!done) fail(handshakeError(this.failedWith ?? e, e.code));
        else this.fail(new Error(`connection to ${where} lost: ${e.message}`));
      });
      this.socket.on('close', () => {
        if (!done) fail(handshakeError(this.failedWith));
        else if (!this.closing) this.fail(new Error(`${where} closed the connection`));
        this.closeOk?.();
        this.finished();
      });
      this.socket.on('drain', () => {
        const ws = this.drainWaiters;
        this.drainWaiters = [];
        for (const w of ws) w();
      });
      this.socket.once(o.tls ? 'secureConnect' : 'connect', () => {
        this.socket.write(PROTOCOL_HEADER);
        void this.run().then(
          () => {
            if (done) return;
            done = true;
            clearTimeout(timer);
            resolve();
          },
          (e: unknown) => fail(handshakeError(e instanceof Error ? e : new Error(String(e)))),
        );
      });
    });
  }

  private async run(): Promise<void> {
    const o = this.o;
    const start = await this.next(0);
    if (start.id !== CONNECTION_START) throw new Error('unexpected method instead of connection.start');
    this.serverProperties = start.serverProperties;
    const mechanisms = (start.mechanisms ?? EMPTY).toString().split(' ');
    if (!mechanisms.includes('PLAIN')) throw new Error(`the broker offers no PLAIN login (${mechanisms.join(', ')})`);
    const clientProperties = clientPropertiesOf(o);
    const response = plainResponse(o);
    this.stage = 'login';
    this.send(0, { id: CONNECTION_START_OK, clientProperties, mechanism: 'PLAIN', response, locale: 'en_US' });
    const tune = await this.next(0);
    if (tune.id !== CONNECTION_TUNE) throw new Error('unexpected method instead of connection.tune');
    this.stage = 'open';
    const tuned = negotiateTune(tune, o);
    this.frameMax = tuned.frameMax;
    this.reader.frameMax = this.frameMax;
    this.channelMax = tuned.channelMax;
    this.heartbeat = tuned.heartbeat;
    this.send(0, { id: CONNECTION_TUNE_OK, channelMax: this.channelMax, frameMax: this.frameMax, heartbeat: this.heartbeat });
    this.startHeartbeats();
    this.send(0, { id: CONNECTION_OPEN, virtualHost: o.vhost ?? '/' });
    await this.next(0);
    this.stage = 'ready';
  }

  /** The next synchronous method on a channel (rejects if the broker closes the channel or connection). */
  private next(channel: number): Promise<Method> {
    if (this.failedWith) return Promise.reject(this.failedWith);
    const c = this.channelState(channel);
    if (c.closedBy) return Promise.reject(c.closedBy);
    return new Promise((resolve, reject) => c.waiters.push({ resolve, reject }));
  }

  private channelState(channel: number): ChannelState {
    let c = this.channels[channel];
    if (!c) this.channels[channel] = c = new ChannelState(channel);
    return c;
  }

  // ---- heartbeats (protocol/heartbeat-clock.ts) ----

  private startHeartbeats(): void {
    this.heartbeats.start(
      this.heartbeat,
      this.beats,
      (silent) => this.fail(new Error(`missed heartbeats from ${this.where}: nothing received for ${silent} s`)),
    );
  }

  private stopHeartbeats(): void {
    this.heartbeats.stop();
  }

  // ---- reading ----

  private onRead(n: number, buf: Buffer): boolean {
    this.onData(buf.subarray(0, n));
    return !this.reader.paused;
  }

  private onData(chunk: Buffer): void {
    this.receivedAtUs = nowUs();
    this.heartbeats.receivedSinceTick = true;
    if (this.stage === 'connect' && chunk.length >= 8 && chunk.readUInt32BE(0) === 0x414d5150) {
      this.fail(new Error(`the broker does not speak AMQP 0-9-1 (it offered protocol ${[...chunk.subarray(4, 8)].join('.')})`));
      return;
    }
    try {
      this.reader.push(chunk);
    } catch (e) {
      this.fail(e instanceof Error ? e : new Error(String(e)));
      return;
    }
    if (this.w.pos > 0) this.flush();
    if (this.reader.paused && this.o.tls) this.socket.pause();
  }

  /** Stops handling frames after the current one; the broker's later bytes wait (TCP backpressure) until resume(). */
  pause(): void {
    this.reader.pause();
  }

  resume(): void {
    if (!this.reader.paused) return;
    this.receivedAtUs = nowUs();
    try {
      this.reader.resume();
    } catch (e) {
      this.fail(e instanceof Error ? e : new Error(String(e)));
      return;
    }
    if (this.w.pos > 0) this.flush();
    if (!this.reader.paused) this.socket.resume();
  }

  onFrame(type: number, channel: number, payload: Buffer): void {
    if (type === FRAME_METHOD) this.method(channel, payload);
    else if (type === FRAME_HEADER) this.channels[channel]?.onHeader(payload);
    else if (type === FRAME_BODY) this.channels[channel]?.onBody(payload);
    // Heartbeats (type 8) need no answer: any read counts as life.
  }

  private method(channel: number, buf: Buffer): void {
    const id = buf.readUInt32BE(0);
    const c = this.channels[channel];
    // Hot path: deliveries and confirms are read in place, without decoding into an object.
    if (id === BASIC_DELIVER && c) {
      if (c.collect) {
        c.method = decodeMethod(buf);
        c.collecting = true;
      } else {
        c.collecting = false;
      }
      const p = 5 + buf[4]!;
      c.tag = buf.readUInt32BE(p) * TWO_32 + buf.readUInt32BE(p + 4);
      c.redelivered = (buf[p + 8]! & 1) !== 0;
      c.content = DELIVER;
      if (!c.collecting) c.listener?.delivered?.(c.tag, c.redelivered, buf, p + 9);
      return;
    }
    if ((id === BASIC_ACK || id === BASIC_NACK) && c) {
      const tag = buf.readUInt32BE(4) * TWO_32 + buf.readUInt32BE(8);
      c.listener?.confirm?.(tag, (buf[12]! & 1) !== 0, id === BASIC_ACK);
      return;
    }
    if (id === BASIC_RETURN && c) {
      c.replyCode = buf.readUInt16BE(4);
      c.content = RETURN;
      c.collecting = c.collect;
      if (c.collect) c.method = decodeMethod(buf);
      return;
    }
    const m = decodeMethod(buf);
    switch (m.id) {
      case CONNECTION_CLOSE:
        this.send(0, { id: CONNECTION_CLOSE_OK });
        this.fail(new ClosedByBroker('connection', m.replyCode, m.replyText ?? ''));
        return;
      case CONNECTION_CLOSE_OK:
        this.closeOk?.();
        return;
      case CONNECTION_BLOCKED:
        this.blockedReason = m.reason ?? '';
        this.onBlocked?.(this.blockedReason);
        return;
      case CONNECTION_UNBLOCKED:
        this.blockedReason = undefined;
        this.onBlocked?.(undefined);
        return;
      case CHANNEL_CLOSE: {
        this.send(channel, { id: CHANNEL_CLOSE_OK });
        const e = new ClosedByBroker('channel', m.replyCode, m.replyText ?? '');
        if (!c) return;
        c.closedBy = e;
        c.content = NONE;
        const waiters = c.waiters;
        c.waiters = [];
        for (const w of waiters) w.reject(e);
        if (c.listener?.closed) c.listener.closed(e);
        else if (waiters.length === 0) this.fail(e);
        return;
      }
      case BASIC_CANCEL:
        c?.listener?.cancelled?.(m.consumerTag);
        return;
      case BASIC_GET_OK:
        if (!c) return;
        c.method = m;
        c.tag = m.deliveryTag;
        c.content = GET;
        c.collecting = true;
        return;
    }
    const w = c?.waiters.shift();
    if (w) w.resolve(m);
  }


  private fail(e: Error): void {
    if (this.failedWith || this.closing) return;
    this.failedWith = e;
    this.stopHeartbeats();
    this.reader.stop();
    for (const c of this.channels) {
      if (!c) continue;
      const ws = c.waiters;
      c.waiters = [];
      for (const w of ws) w.reject(e);
      if (c.id !== 0) c.listener?.closed?.(e);
    }
    this.socket.destroy();
    if (this.stage === 'ready') this.onError?.(e);
    this.finished();
  }

  private finished(): void {
    if (this.ended) return;
    this.ended = true;
    this.stopHeartbeats();
    this.onClose?.(this.failedWith);
  }

  // ---- writing ----

  /** Queues a method frame and writes it. */
  send(channel: number, m: Method): void {
    this.w.beginFrame(FRAME_METHOD, channel);
    encodeMethod(this.w, m);
    this.w.endFrame();
    this.flush();
  }

  /** Sends a synchronous method and resolves with the broker's reply. */
  rpc(channel: number, m: Method): Promise<Method> {
    const reply = this.next(channel);
    if (!this.failedWith && !this.channelState(channel).closedBy) this.send(channel, m);
    return reply;
  }

  /** Copies pre-encoded frames (see publishFrames) into the output; returns their offset in `output` for patching. */
  append(frames: Buffer): number {
    const w = this.w;
    w.ensure(frames.length);
    const at = w.pos;
    frames.copy(w.buf, at);
    w.pos += frames.length;
    return at;
  }

  /** The output buffer that `append` offsets point into (valid until the next append or flush). */
  get output(): Buffer {
    return this.w.buf;
  }

  /** The output writer, to encode frames straight into it (flushed by flush() or schedule()). */
  get writer(): Writer {
    return this.w;
  }

  /** Queues basic.ack without flushing (acks made while reading are written once the read is handled). */
  ack(channel: number, tag: number, multiple: boolean): void {
    writeAck(this.w, channel, tag, multiple);
  }

  /** Queues basic.nack without flushing. */
  nack(channel: number, tag: number, multiple: boolean, requeue: boolean): void {
    writeAck(this.w, channel, tag, multiple, true, requeue);
  }

  /** Writes what is queued; false when the socket is backed up (wait with onDrain before writing more). */
  flush(): boolean {
    if (this.w.pos === 0) return true;
    if (this.failedWith || this.socket.destroyed) {
      this.w.pos = 0;
      return true;
    }
    this.beats.sentSinceTick = true;
    return this.socket.write(this.w.take());
  }

  /** Flushes at the end of this tick: what is queued until then goes out in one write. */
  schedule(): void {
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    queueMicrotask(this.scheduledFlush);
  }

  private readonly scheduledFlush = (): void => {
    this.flushScheduled = false;
    this.flush();
  };

  /** Calls `f` once the socket has drained. */
  onDrain(f: () => void): void {
    this.drainWaiters.push(f);
  }

  /** True while the socket's send buffer is over its high-water mark. */
  get congested(): boolean {
    return this.socket.writableNeedDrain;
  }

  // ---- channels and setup (not on the hot path) ----

  /** The lowest channel number not in use. */
  freeChannel(): number {
    for (let i = 1; i <= this.channelMax; i++) {
      const c = this.channels[i];
      if (!c || c.released) return i;
    }
    throw new Error(`all ${this.channelMax} channels are in use`);
  }

  async openChannel(channel: number, listener?: ChannelListener, o: ChannelOptions = {}): Promise<void> {
    const c = new ChannelState(channel);
    this.channels[channel] = c;
    c.listener = listener;
    c.collect = o.collect === true;
    await this.rpc(channel, { id: CHANNEL_OPEN });
    if (o.confirm) await this.rpc(channel, { id: CONFIRM_SELECT });
    if (o.prefetch) await this.rpc(channel, { id: BASIC_QOS, prefetchCount: o.prefetch });
  }

  /** channel.close and its close-ok; the number is free again afterwards. */
  async closeChannel(channel: number): Promise<void> {
    const c = this.channels[channel];
    if (!c) return;
    try {
      if (!c.closedBy && !this.failedWith) await this.rpc(channel, { id: CHANNEL_CLOSE, replyCode: 200, replyText: 'Goodbye', classId: 0, methodId: 0 });
    } finally {
      c.listener = undefined;
      c.released = true;
    }
  }

  /**
   * A round trip on a publishing channel (basic.qos 0, which changes nothing for it): resolves once the broker has
   * handled everything sent before, so its basic.return frames for those messages have arrived.
   */
  async sync(channel: number): Promise<void> {
    await this.rpc(channel, { id: BASIC_QOS, prefetchCount: 0 });
  }

  /** Replaces a channel's listener; `collect` (when given) switches decoding deliveries into Delivery objects on or off. */
  setListener(channel: number, listener: ChannelListener | undefined, o: { collect?: boolean } = {}): void {
    const c = this.channelState(channel);
    c.listener = listener;
    if (o.collect !== undefined) c.collect = o.collect;
  }

  /** queue.declare; resolves with the queue's name (server-named when `queue` is '') and counts. */
  async declareQueue(
    channel: number,
    queue: string,
    o: { durable?: boolean; exclusive?: boolean; autoDelete?: boolean; passive?: boolean; arguments?: FieldTable } = {},
  ): Promise<{ queue: string; messageCount: number; consumerCount: number }> {
    const ok = await this.rpc(channel, { id: QUEUE_DECLARE, queue, durable: o.durable === true, exclusive: o.exclusive === true, autoDelete: o.autoDelete === true, passive: o.passive === true, arguments: o.arguments ?? new Map() });
    if (ok.id !== QUEUE_DECLARE_OK) throw new Error('unexpected reply to queue.declare');
    return { queue: ok.queue, messageCount: ok.messageCount, consumerCount: ok.consumerCount };
  }

  async purgeQueue(channel: number, queue: string): Promise<number> {
    const ok = await this.rpc(channel, { id: QUEUE_PURGE, queue });
    return (ok as { messageCount?: number }).messageCount ?? 0;
  }

  async deleteQueue(channel: number, queue: string, o: { ifUnused?: boolean; ifEmpty?: boolean } = {}): Promise<number> {
    const ok = await this.rpc(channel, { id: QUEUE_DELETE, queue, ifUnused: o.ifUnused === true, ifEmpty: o.ifEmpty === true });
    return (ok as { messageCount?: number }).messageCount ?? 0;
  }

  async declareExchange(channel: number, exchange: string, type: string, o: { durable?: boolean; passive?: boolean; autoDelete?: boolean; internal?: boolean; arguments?: FieldTable } = {}): Promise<void> {
    await this.rpc(channel, { id: EXCHANGE_DECLARE, exchange, type, durable: o.durable === true, passive: o.passive === true, autoDelete: o.autoDelete === true, internal: o.internal === true, arguments: o.arguments ?? new Map() });
  }

  async bindQueue(channel: number, queue: string, exchange: string, routingKey: string, args?: FieldTable): Promise<void> {
    await this.rpc(channel, { id: QUEUE_BIND, queue, exchange, routingKey, arguments: args ?? new Map() });
  }

  /** basic.consume; resolves with the consumer tag. */
  async consume(channel: number, queue: string, noAck: boolean, consumerTag = '', o: { exclusive?: boolean; arguments?: FieldTable } = {}): Promise<string> {
    const ok = await this.rpc(channel, { id: BASIC_CONSUME, queue, consumerTag, noAck, exclusive: o.exclusive === true, arguments: o.arguments ?? new Map() });
    return ok.id === BASIC_CONSUME_OK ? ok.consumerTag : consumerTag;
  }

  /** Publishes one message (encodes it: for setup and low rates; the hot path copies publishFrames output). */
  publish(channel: number, exchange: string, routingKey: string, properties: BasicProperties, body: Buffer, mandatory = false): void {
    this.append(publishFrames(channel, exchange, routingKey, properties, body, this.frameMax, mandatory).frames);
  }

  /** connection.close, then waits for close-ok (at most `timeoutMs`) and closes the socket. */
  async close(timeoutMs = 1000, replyText = 'Goodbye'): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    this.stopHeartbeats();
    if (this.failedWith) {
      this.socket.destroy();
      return;
    }
    // What still arrives is dropped; a consumer held back by pause() may have much queued before the close-ok.
    for (const c of this.channels) if (c) c.listener = undefined;
    const wait = this.reader.paused ? Math.min(timeoutMs, 200) : timeoutMs;
    const ok = new Promise<void>((resolve) => {
      this.closeOk = resolve;
      setTimeout(resolve, wait).unref();
    });
    this.w.beginFrame(FRAME_METHOD, 0);
    encodeMethod(this.w, { id: CONNECTION_CLOSE, replyCode: 200, replyText, classId: 0, methodId: 0 });
    this.w.endFrame();
    if (!this.socket.destroyed) this.socket.write(this.w.take());
    if (this.reader.paused) {
      this.reader.clear();
      this.socket.resume();
    }
    await ok;
    this.socket.destroy();
    this.finished();
  }

  /** Closes the socket at once. */
  destroy(): void {
    this.closing = true;
    this.stopHeartbeats();
    this.socket.destroy();
  }
}

function isIp(host: string): boolean {
  return /^[\d.]+$/.test(host) || host.includes(':');
}

/** Wall-clock time in microseconds (comparable between processes on one machine). */
export function nowUs(): number {
  return Math.round((performance.timeOrigin + performance.now()) * 1000);
}
