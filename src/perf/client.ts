// A raw-frame AMQP 0-9-1 client for load generation: pre-encoded publishes, one write per batch, frames parsed in place.
import { connect, type Socket } from 'node:net';
export { publishFrames } from '../protocol/index.js';
import { FrameSplitter } from './frame-splitter.js';
import {
  BASIC_ACK,
  BASIC_CANCEL,
  BASIC_CONSUME,
  BASIC_DELIVER,
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
  decodeProperties,
  encodeMethod,
  EXCHANGE_DECLARE,
  FRAME_BODY,
  FRAME_HEADER,
  FRAME_METHOD,
  QUEUE_BIND,
  QUEUE_DECLARE,
  QUEUE_DELETE,
  QUEUE_PURGE,
  str,
  bool,
  table,
  tableOf,
  publishFrames,
  writeAck,
  Writer,
  type BasicProperties,
  type Method,
} from '../protocol/index.js';

const PROTOCOL_HEADER = Buffer.from('AMQP\x00\x00\x09\x01', 'latin1');
const EMPTY = Buffer.alloc(0);
/** The largest frame this client asks for. */
const FRAME_MAX = 131072;
/** Bytes per socket read (buffers are per connection and grow only when needed: idle connections stay small). */
const READ_SIZE = 64 * 1024;
const TWO_32 = 0x100000000;

export interface ConnectOptions {
  host: string;
  port: number;
  username?: string;
  password?: string;
  vhost?: string;
  /** Shown by the broker's management UI (client property connection_name). */
  connectionName?: string;
  /** Gives up on the TCP connect and the handshake after this long (default 10 s). */
  timeoutMs?: number;
}

/**
 * What a channel's owner hears. The hot-path callbacks get bytes in place: `buf[start, end)` is valid only during the
 * call. Implement them as methods of one class per role, so that no closure is made per message.
 */
export interface ChannelListener {
  /** A whole delivered message: its tag, and its first body bytes in place (at least 16 of them when the body has that many). */
  message?(tag: number, redelivered: boolean, buf: Buffer, start: number, end: number, bodySize: number): void;
  /** A whole delivered message with decoded properties and a copied body (channels opened with `collect`). */
  content?(tag: number, properties: BasicProperties, body: Buffer): void;
  /** basic.ack (ack = true) or basic.nack from the broker in confirm mode. */
  confirm?(tag: number, multiple: boolean, ack: boolean): void;
  /** A whole basic.return (an unroutable mandatory message). */
  returned?(replyCode: number): void;
  /** The broker cancelled a consumer (basic.cancel), e.g. because its queue was deleted. */
  cancelled?(consumerTag: string): void;
}

export interface ChannelOptions {
  confirm?: boolean;
  /** basic.qos prefetch-count (per consumer, as RabbitMQ applies it). */
  prefetch?: number;
  /** Deliver messages to `content` with decoded properties and a copied body (not for the hot path). */
  collect?: boolean;
}

const NONE = 0;
const DELIVER = 1;
const RETURN = 2;

type Waiter = { resolve: (m: Method) => void; reject: (e: Error) => void };

/** A broker's close, as an Error with the reply code and text. */
export class ClosedByBroker extends Error {
  constructor(
    readonly scope: 'connection' | 'channel',
    readonly replyCode: number,
    readonly replyText: string,
  ) {
    super(`${scope} closed by the broker: ${replyCode} ${replyText}`);
  }
}

class ChannelState {
  listener: ChannelListener | undefined;
  collect = false;
  waiters: Waiter[] = [];
  /** What the next content header and body belong to (NONE, DELIVER or RETURN). */
  content = NONE;
  tag = 0;
  redelivered = false;
  replyCode = 0;
  bodySize = 0;
  /** Body bytes still to come for the current content. */
  remaining = 0;
  /** The first body bytes, kept when a body spans several frames. */
  readonly head = Buffer.alloc(16);
  headLength = 0;
  properties: BasicProperties | undefined;
  body: Buffer | undefined;
  constructor(readonly id: number) {}
}

/** One AMQP connection; channels are numbers the caller picks. */
export class PerfConnection {
  /** Negotiated frame_max (bytes per frame, envelope included). */
  frameMax = FRAME_MAX;
  /** When the bytes being parsed arrived: epoch microseconds, taken once per read. */
  receivedAtUs = 0;
  /** Called once with the first fatal error after the handshake (a broker's close, a lost socket, a bad frame). */
  onError: ((e: Error) => void) | undefined;
  /** Called on connection.blocked / unblocked with the reason (undefined when unblocked). */
  onBlocked: ((reason: string | undefined) => void) | undefined;

  private socket!: Socket;
  private readonly w = new Writer(16 * 1024);
  private readonly channels: Array<ChannelState | undefined> = [];
  private readonly reader = new FrameSplitter((buf, pos, total) => this.frame(buf, pos, total), FRAME_MAX);
  private drainWaiters: Array<() => void> = [];
  private closing = false;
  private failed: Error | undefined;
  private closeOk: (() => void) | undefined;
  /** Between start-ok and tune: a closed socket then means a refused login. */
  private loggingIn = false;

  private constructor() {
    this.channels[0] = new ChannelState(0);
  }

  /** Connects, runs the handshake (PLAIN) and opens the vhost. */
  static async open(o: ConnectOptions): Promise<PerfConnection> {
    const c = new PerfConnection();
    await c.handshake(o);
    return c;
  }

  private handshake(o: ConnectOptions): Promise<void> {
    const where = `${o.host}:${o.port}`;
    return new Promise<void>((resolve, reject) => {
      let done = false;
      const fail = (e: Error) => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        this.socket.destroy();
        reject(e);
      };
      const timer = setTimeout(() => fail(new Error(`no AMQP handshake with ${where} within ${o.timeoutMs ?? 10_000} ms`)), o.timeoutMs ?? 10_000);
      this.socket = connect({
        host: o.host,
        port: o.port,
        noDelay: true,
        onread: { buffer: Buffer.allocUnsafe(READ_SIZE), callback: (n, buf) => this.onRead(n, buf as Buffer) },
      });
      this.socket.on('error', (e) => {
        if (!done) fail(new Error(this.loggingIn ? `${where} refused the login (user '${o.username ?? 'guest'}'): ${e.message}` : `cannot connect to ${where}: ${e.message}`));
        else this.fail(new Error(`connection to ${where} lost: ${e.message}`));
      });
      this.socket.on('close', () => {
        if (!done) fail(new Error(this.loggingIn ? `${where} refused the login (user '${o.username ?? 'guest'}')` : `${where} closed the connection during the AMQP handshake`));
        else if (!this.closing) this.fail(new Error(`${where} closed the connection`));
        this.closeOk?.();
      });
      this.socket.on('drain', () => {
        const ws = this.drainWaiters;
        this.drainWaiters = [];
        for (const w of ws) w();
      });
      this.socket.once('connect', () => {
        this.socket.write(PROTOCOL_HEADER);
        void this.run(o).then(
          () => {
            if (done) return;
            done = true;
            clearTimeout(timer);
            resolve();
          },
          (e: unknown) => fail(e instanceof Error ? e : new Error(String(e))),
        );
      });
    });
  }

  private async run(o: ConnectOptions): Promise<void> {
    const start = await this.next(0);
    if (start.id !== CONNECTION_START) throw new Error(`unexpected ${start.id} instead of connection.start`);
    const mechanisms = (start.mechanisms ?? Buffer.alloc(0)).toString().split(' ');
    if (!mechanisms.includes('PLAIN')) throw new Error(`the broker offers no PLAIN login (${mechanisms.join(', ')})`);
    const clientProperties = tableOf({
      product: str('warren perf'),
      platform: str(`Node.js ${process.version}`),
      capabilities: table(tableOf({ publisher_confirms: bool(true), 'basic.nack': bool(true), consumer_cancel_notify: bool(true), 'connection.blocked': bool(true), authentication_failure_close: bool(true) })),
      ...(o.connectionName !== undefined ? { connection_name: str(o.connectionName) } : {}),
    });
    const response = Buffer.from(`\0${o.username ?? 'guest'}\0${o.password ?? 'guest'}`);
    this.send(0, { id: CONNECTION_START_OK, clientProperties, mechanism: 'PLAIN', response, locale: 'en_US' });
    this.loggingIn = true;
    const tune = await this.next(0);
    this.loggingIn = false;
    if (tune.id !== CONNECTION_TUNE) throw new Error('unexpected method instead of connection.tune');
    this.frameMax = !tune.frameMax ? FRAME_MAX : Math.min(tune.frameMax, FRAME_MAX);
    this.reader.frameMax = this.frameMax;
    this.send(0, { id: CONNECTION_TUNE_OK, channelMax: !tune.channelMax ? 2047 : Math.min(tune.channelMax, 2047), frameMax: this.frameMax, heartbeat: 0 });
    this.send(0, { id: CONNECTION_OPEN, virtualHost: o.vhost ?? '/' });
    await this.next(0);
  }

  /** The next synchronous method on a channel (rejects if the broker closes the channel or connection). */
  private next(channel: number): Promise<Method> {
    if (this.failed) return Promise.reject(this.failed);
    return new Promise((resolve, reject) => this.state(channel).waiters.push({ resolve, reject }));
  }

  private state(channel: number): ChannelState {
    let c = this.channels[channel];
    if (!c) this.channels[channel] = c = new ChannelState(channel);
    return c;
  }

  // ---- reading ----

  private onRead(n: number, buf: Buffer): boolean {
    this.receivedAtUs = nowUs();
    try {
      this.reader.push(buf, 0, n);
    } catch (e) {
      this.fail(e instanceof Error ? e : new Error(String(e)));
      return false;
    }
    if (this.w.pos > 0) this.flush();
    return !this.reader.paused;
  }

  /** Stops handling frames after the current one; the broker's later bytes wait (TCP backpressure) until resume(). */
  pause(): void {
    this.reader.pause();
  }

  resume(): void {
    if (!this.reader.paused) return;
    this.receivedAtUs = nowUs();
    try {
      this.reader.release();
    } catch (e) {
      this.fail(e instanceof Error ? e : new Error(String(e)));
      return;
    }
    if (this.w.pos > 0) this.flush();
    if (!this.reader.paused) this.socket.resume();
  }

  private frame(buf: Buffer, pos: number, total: number): void {
    const end = pos + total - 1;
    const type = buf[pos]!;
    const channel = buf.readUInt16BE(pos + 1);
    const start = pos + 7;
    if (type === FRAME_METHOD) this.method(channel, buf, start, end);
    else if (type === FRAME_HEADER) this.header(channel, buf, start, end);
    else if (type === FRAME_BODY) this.body(channel, buf, start, end);
    // Heartbeats (type 8) need no answer: this client asks for none.
  }

  private method(channel: number, buf: Buffer, start: number, end: number): void {
    const id = buf.readUInt32BE(start);
    const c = this.channels[channel];
    // Hot path: deliveries and confirms are read in place, without decoding into an object.
    if (id === BASIC_DELIVER && c) {
      const p = start + 5 + buf[start + 4]!;
      c.tag = buf.readUInt32BE(p) * TWO_32 + buf.readUInt32BE(p + 4);
      c.redelivered = (buf[p + 8]! & 1) !== 0;
      c.content = DELIVER;
      return;
    }
    if ((id === BASIC_ACK || id === BASIC_NACK) && c) {
      const tag = buf.readUInt32BE(start + 4) * TWO_32 + buf.readUInt32BE(start + 8);
      c.listener?.confirm?.(tag, (buf[start + 12]! & 1) !== 0, id === BASIC_ACK);
      return;
    }
    if (id === BASIC_RETURN && c) {
      c.replyCode = buf.readUInt16BE(start + 4);
      c.content = RETURN;
      return;
    }
    const m = decodeMethod(buf.subarray(start, end));
    switch (m.id) {
      case CONNECTION_CLOSE:
        this.send(0, { id: CONNECTION_CLOSE_OK });
        this.fail(new ClosedByBroker('connection', m.replyCode, m.replyText ?? ''));
        return;
      case CONNECTION_CLOSE_OK:
        this.closeOk?.();
        return;
      case CONNECTION_BLOCKED:
        this.onBlocked?.(m.reason ?? '');
        return;
      case CONNECTION_UNBLOCKED:
        this.onBlocked?.(undefined);
        return;
      case CHANNEL_CLOSE: {
        this.send(channel, { id: CHANNEL_CLOSE_OK });
        const e = new ClosedByBroker('channel', m.replyCode, m.replyText ?? '');
        const waiters = c?.waiters ?? [];
        if (c) c.waiters = [];
        if (waiters.length > 0) for (const w of waiters) w.reject(e);
        else this.fail(e);
        return;
      }
      case BASIC_CANCEL:
        c?.listener?.cancelled?.(m.consumerTag);
        return;
    }
    const w = c?.waiters.shift();
    if (w) w.resolve(m);
  }

  private header(channel: number, buf: Buffer, start: number, end: number): void {
    const c = this.channels[channel];
    if (!c || c.content === NONE) return;
    const size = buf.readUInt32BE(start + 4) * TWO_32 + buf.readUInt32BE(start + 8);
    c.bodySize = size;
    c.remaining = size;
    c.headLength = 0;
    if (c.collect) {
      c.properties = decodeProperties(buf, start + 12, end);
      c.body = Buffer.allocUnsafe(size);
    }
    if (size === 0) this.complete(c, EMPTY, 0, 0);
  }

  private body(channel: number, buf: Buffer, start: number, end: number): void {
    const c = this.channels[channel];
    if (!c || c.content === NONE) return;
    const n = end - start;
    if (c.collect) buf.copy(c.body!, c.bodySize - c.remaining, start, end);
    if (n === c.remaining && c.headLength === 0) {
      c.remaining = 0;
      this.complete(c, buf, start, end);
      return;
    }
    if (c.headLength < 16) {
      const take = Math.min(16 - c.headLength, n);
      buf.copy(c.head, c.headLength, start, start + take);
      c.headLength += take;
    }
    c.remaining -= n;
    if (c.remaining <= 0) this.complete(c, c.head, 0, c.headLength);
  }

  private complete(c: ChannelState, buf: Buffer, start: number, end: number): void {
    const kind = c.content;
    c.content = NONE;
    const l = c.listener;
    if (!l) return;
    if (kind === DELIVER) {
      if (c.collect) {
        const body = c.body!;
        const props = c.properties!;
        c.body = undefined;
        c.properties = undefined;
        l.content?.(c.tag, props, body);
      } else {
        l.message?.(c.tag, c.redelivered, buf, start, end, c.bodySize);
      }
    } else if (kind === RETURN) {
      l.returned?.(c.replyCode);
    }
  }

  private fail(e: Error): void {
    if (this.failed || this.closing) return;
    this.failed = e;
    for (const c of this.channels) {
      if (!c) continue;
      const ws = c.waiters;
      c.waiters = [];
      for (const w of ws) w.reject(e);
    }
    this.socket.destroy();
    this.onError?.(e);
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
    this.send(channel, m);
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

  /** Queues basic.ack without flushing (acks made while reading are written once the read is handled). */
  ack(channel: number, tag: number, multiple: boolean): void {
    writeAck(this.w, channel, tag, multiple);
  }

  /** Writes what is queued; false when the socket is backed up (wait with onDrain before writing more). */
  flush(): boolean {
    if (this.w.pos === 0 || this.failed) return true;
    return this.socket.write(this.w.take());
  }

  /** Calls `f` once the socket has drained. */
  onDrain(f: () => void): void {
    this.drainWaiters.push(f);
  }

  // ---- setup (not on the hot path) ----

  async openChannel(channel: number, listener?: ChannelListener, o: ChannelOptions = {}): Promise<void> {
    const c = this.state(channel);
    c.listener = listener;
    c.collect = o.collect === true;
    await this.rpc(channel, { id: CHANNEL_OPEN });
    if (o.confirm) await this.rpc(channel, { id: CONFIRM_SELECT });
    if (o.prefetch) await this.rpc(channel, { id: BASIC_QOS, prefetchCount: o.prefetch });
  }

  /**
   * A round trip on a publishing channel (basic.qos 0, which changes nothing for it): resolves once the broker has
   * handled everything sent before, so its basic.return frames for those messages have arrived.
   */
  async sync(channel: number): Promise<void> {
    await this.rpc(channel, { id: BASIC_QOS, prefetchCount: 0 });
  }

  setListener(channel: number, listener: ChannelListener | undefined): void {
    this.state(channel).listener = listener;
  }

  /** queue.declare; resolves with the queue's name (server-named when `queue` is '') and counts. */
  async declareQueue(
    channel: number,
    queue: string,
    o: { durable?: boolean; exclusive?: boolean; autoDelete?: boolean; passive?: boolean } = {},
  ): Promise<{ queue: string; messageCount: number; consumerCount: number }> {
    const ok = await this.rpc(channel, { id: QUEUE_DECLARE, queue, durable: o.durable === true, exclusive: o.exclusive === true, autoDelete: o.autoDelete === true, passive: o.passive === true });
    if (ok.id !== 0x0032000b) throw new Error('unexpected reply to queue.declare');
    return { queue: ok.queue, messageCount: ok.messageCount, consumerCount: ok.consumerCount };
  }

  async purgeQueue(channel: number, queue: string): Promise<void> {
    await this.rpc(channel, { id: QUEUE_PURGE, queue });
  }

  async deleteQueue(channel: number, queue: string): Promise<void> {
    await this.rpc(channel, { id: QUEUE_DELETE, queue });
  }

  async declareExchange(channel: number, exchange: string, type: string, o: { durable?: boolean; passive?: boolean } = {}): Promise<void> {
    await this.rpc(channel, { id: EXCHANGE_DECLARE, exchange, type, durable: o.durable === true, passive: o.passive === true });
  }

  async bindQueue(channel: number, queue: string, exchange: string, routingKey: string): Promise<void> {
    await this.rpc(channel, { id: QUEUE_BIND, queue, exchange, routingKey });
  }

  /** basic.consume; resolves with the consumer tag. */
  async consume(channel: number, queue: string, noAck: boolean, consumerTag = ''): Promise<string> {
    const ok = await this.rpc(channel, { id: BASIC_CONSUME, queue, consumerTag, noAck });
    return ok.id === 0x003c0015 ? ok.consumerTag : consumerTag;
  }

  /** Publishes one message (encodes it: for setup and low rates; the hot path copies publishFrames output). */
  publish(channel: number, exchange: string, routingKey: string, properties: BasicProperties, body: Buffer, mandatory = false): void {
    this.append(publishFrames(channel, exchange, routingKey, properties, body, this.frameMax, mandatory).frames);
  }

  /** connection.close, then waits for close-ok (at most `timeoutMs`) and closes the socket. */
  async close(timeoutMs = 1000): Promise<void> {
    if (this.closing) return;
    if (this.failed) {
      this.closing = true;
      this.socket.destroy();
      return;
    }
    this.closing = true;
    // What still arrives is dropped; a consumer held back by pause() may have much queued before the close-ok.
    for (const c of this.channels) if (c) c.listener = undefined;
    const wait = this.reader.paused ? Math.min(timeoutMs, 200) : timeoutMs;
    const ok = new Promise<void>((resolve) => {
      this.closeOk = resolve;
      setTimeout(resolve, wait).unref();
    });
    this.w.beginFrame(FRAME_METHOD, 0);
    encodeMethod(this.w, { id: CONNECTION_CLOSE, replyCode: 200, replyText: 'Closed by warren perf', classId: 0, methodId: 0 });
    this.w.endFrame();
    if (!this.socket.destroyed) this.socket.write(this.w.take());
    if (this.reader.paused) {
      this.reader.clear();
      this.socket.resume();
    }
    await ok;
    this.socket.destroy();
  }

  /** Closes the socket at once. */
  destroy(): void {
    this.closing = true;
    this.socket.destroy();
  }
}

/** Wall-clock time in microseconds (comparable between processes on one machine). */
export function nowUs(): number {
  return Math.round((performance.timeOrigin + performance.now()) * 1000);
}
