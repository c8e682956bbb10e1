// A minimal raw-frame AMQP client for load generation (like RabbitMQ's PerfTest, without a client library in the way).
import { connect, type Socket } from 'node:net';
import {
  BASIC_ACK,
  BASIC_CONSUME,
  BASIC_DELIVER,
  BASIC_NACK,
  BASIC_PUBLISH,
  BASIC_QOS,
  CHANNEL_OPEN,
  CONFIRM_SELECT,
  CONNECTION_OPEN,
  CONNECTION_START_OK,
  CONNECTION_TUNE,
  CONNECTION_TUNE_OK,
  decodeMethod,
  encodeMethod,
  encodeProperties,
  EXCHANGE_DECLARE,
  FRAME_BODY,
  FRAME_HEADER,
  FRAME_METHOD,
  FrameReader,
  QUEUE_BIND,
  QUEUE_DECLARE,
  QUEUE_PURGE,
  QUEUE_DELETE,
  Writer,
  type Method,
} from '../../src/protocol/index.js';

const HEADER = Buffer.from('AMQP\x00\x00\x09\x01', 'latin1');

type Waiter = { id: number; resolve: (m: Method) => void };

/** One connection; channels are numbers the caller picks. */
export class PerfClient {
  private socket!: Socket;
  private readonly reader: FrameReader;
  private readonly w = new Writer(256 * 1024);
  private readonly waiters = new Map<number, Waiter[]>();
  private drainWaiters: Array<() => void> = [];
  /** basic.deliver frames seen per channel. */
  readonly delivered = new Map<number, number>();
  /** Last delivery tag per channel (for multiple acks). */
  readonly lastTag = new Map<number, number>();
  /** Confirms seen per channel (acks count as many tags as they cover). */
  readonly confirmed = new Map<number, number>();
  private readonly confirmedUpTo = new Map<number, number>();
  onDeliver: ((channel: number, tag: number) => void) | undefined;
  onConfirm: ((channel: number) => void) | undefined;

  constructor() {
    this.reader = new FrameReader({ onFrame: (t, c, p) => this.onFrame(t, c, p) }, 131072);
  }

  async open(host: string, port: number, user = 'guest', pass = 'guest'): Promise<void> {
    this.socket = connect({ host, port });
    this.socket.setNoDelay(true);
    await new Promise<void>((resolve, reject) => {
      this.socket.once('connect', resolve);
      this.socket.once('error', reject);
    });
    this.socket.on('data', (d: Buffer) => this.reader.push(d));
    this.socket.on('drain', () => {
      const ws = this.drainWaiters;
      this.drainWaiters = [];
      for (const w of ws) w();
    });
    this.socket.write(HEADER);
    await this.expect(0, 0x000a000a);
    this.send(0, {
      id: CONNECTION_START_OK,
      clientProperties: new Map(),
      mechanism: 'PLAIN',
      response: Buffer.from(`\0${user}\0${pass}`),
      locale: 'en_US',
    });
    const tune = await this.expect(0, CONNECTION_TUNE);
    if (tune.id !== CONNECTION_TUNE) throw new Error('no tune');
    this.send(0, { id: CONNECTION_TUNE_OK, channelMax: tune.channelMax ?? 2047, frameMax: 131072, heartbeat: 0 });
    this.send(0, { id: CONNECTION_OPEN, virtualHost: '/' });
    await this.expect(0, 0x000a0029);
  }

  private onFrame(type: number, channel: number, payload: Buffer): void {
    if (type !== FRAME_METHOD) return;
    // Hot path: deliveries and confirms are counted from their ids without a full decode.
    const id = payload.readUInt32BE(0);
    if (id === BASIC_DELIVER) {
      this.delivered.set(channel, (this.delivered.get(channel) ?? 0) + 1);
      const ctLen = payload[4]!;
      const tag = payload.readUInt32BE(5 + ctLen) * 0x100000000 + payload.readUInt32BE(9 + ctLen);
      this.lastTag.set(channel, tag);
      this.onDeliver?.(channel, tag);
      return;
    }
    if (id === BASIC_ACK || id === BASIC_NACK) {
      const tag = payload.readUInt32BE(4) * 0x100000000 + payload.readUInt32BE(8);
      const multiple = (payload[12]! & 1) !== 0;
      const upTo = this.confirmedUpTo.get(channel) ?? 0;
      const n = multiple ? tag - upTo : 1;
      this.confirmedUpTo.set(channel, Math.max(upTo, tag));
      this.confirmed.set(channel, (this.confirmed.get(channel) ?? 0) + n);
      this.onConfirm?.(channel);
      return;
    }
    const m = decodeMethod(payload);
    const list = this.waiters.get(channel);
    const i = list?.findIndex((w) => w.id === m.id) ?? -1;
    if (list && i >= 0) list.splice(i, 1)[0]!.resolve(m);
    else if (m.id === 0x00140028 || m.id === 0x000a0032) throw new Error(`closed by broker: ${JSON.stringify({ ...m, id: undefined })}`);
  }

  expect(channel: number, id: number): Promise<Method> {
    return new Promise((resolve) => {
      let list = this.waiters.get(channel);
      if (!list) this.waiters.set(channel, (list = []));
      list.push({ id, resolve });
    });
  }

  send(channel: number, m: Method): void {
    this.w.beginFrame(FRAME_METHOD, channel);
    encodeMethod(this.w, m);
    this.w.endFrame();
    this.flush();
  }

  async rpc(channel: number, m: Method, replyId: number): Promise<Method> {
    const reply = this.expect(channel, replyId);
    this.send(channel, m);
    return reply;
  }

  async openChannel(channel: number, opts: { confirm?: boolean; prefetch?: number } = {}): Promise<void> {
    await this.rpc(channel, { id: CHANNEL_OPEN }, 0x0014000b);
    if (opts.confirm) await this.rpc(channel, { id: CONFIRM_SELECT }, 0x0055000b);
    if (opts.prefetch) await this.rpc(channel, { id: BASIC_QOS, prefetchCount: opts.prefetch }, 0x003c000b);
  }

  async declareQueue(channel: number, queue: string, durable: boolean): Promise<void> {
    await this.rpc(channel, { id: QUEUE_DECLARE, queue, durable }, 0x0032000b);
    await this.rpc(channel, { id: QUEUE_PURGE, queue }, 0x0032001f);
  }

  async deleteQueue(channel: number, queue: string): Promise<void> {
    await this.rpc(channel, { id: QUEUE_DELETE, queue }, 0x00320029);
  }

  async declareFanout(channel: number, exchange: string, queues: string[]): Promise<void> {
    await this.rpc(channel, { id: EXCHANGE_DECLARE, exchange, type: 'fanout' }, 0x0028000b);
    for (const q of queues) await this.rpc(channel, { id: QUEUE_BIND, queue: q, exchange, routingKey: '' }, 0x00320015);
  }

  async consume(channel: number, queue: string, noAck: boolean): Promise<void> {
    await this.rpc(channel, { id: BASIC_CONSUME, queue, consumerTag: `perf-${channel}`, noAck }, 0x003c0015);
  }

  /** Queues a publish without flushing; call flush() after a batch. */
  publish(channel: number, exchange: string, routingKey: string, properties: Buffer, body: Buffer): void {
    const w = this.w;
    w.beginFrame(FRAME_METHOD, channel);
    encodeMethod(w, { id: BASIC_PUBLISH, exchange, routingKey });
    w.endFrame();
    w.beginFrame(FRAME_HEADER, channel);
    w.u16(60);
    w.u16(0);
    w.u64(body.length);
    w.raw(properties);
    w.endFrame();
    w.beginFrame(FRAME_BODY, channel);
    w.raw(body);
    w.endFrame();
  }

  ack(channel: number, tag: number, multiple: boolean): void {
    this.w.beginFrame(FRAME_METHOD, channel);
    encodeMethod(this.w, { id: BASIC_ACK, deliveryTag: tag, multiple });
    this.w.endFrame();
  }

  /** Writes what is queued; resolves at once, or after 'drain' when the socket is backed up. */
  flush(): Promise<void> | undefined {
    if (this.w.pos === 0) return undefined;
    if (this.socket.write(this.w.take())) return undefined;
    return new Promise((resolve) => this.drainWaiters.push(resolve));
  }

  close(): void {
    this.socket.destroy();
  }
}

/** Encoded properties for a transient or persistent message. */
export function properties(persistent: boolean): Buffer {
  const w = new Writer(32);
  encodeProperties(w, persistent ? { deliveryMode: 2 } : {});
  return w.take();
}
