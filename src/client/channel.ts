// A client channel as an object: topology calls, publishing with confirms, consumers with callbacks, get and acks.
import { BASIC_CANCEL, BASIC_GET, BASIC_GET_OK, BASIC_QOS, BASIC_REJECT, CONFIRM_SELECT, type BasicProperties, type FieldTable } from '../protocol/index.js';
import type { AmqpConnection, ChannelListener, Delivery } from './connection.js';

type Settle = { resolve: () => void; reject: (e: Error) => void };

export interface PublishOptions {
  mandatory?: boolean;
}

export interface ConsumeOptions {
  noAck?: boolean;
  consumerTag?: string;
  exclusive?: boolean;
  arguments?: FieldTable;
}

/** One open channel of an AmqpConnection. Deliveries arrive decoded, with bodies of their own. */
export class Channel implements ChannelListener {
  /** The broker's channel.close (or the connection's failure), once it came. */
  closedWith: Error | undefined;
  /** Unroutable mandatory messages sent back by the broker. */
  onReturn: ((d: Delivery) => void) | undefined;
  /** The broker cancelled a consumer (its queue was deleted, or it failed over). */
  onCancel: ((consumerTag: string) => void) | undefined;
  /** The channel was closed by the broker (with its reply code and text) or its connection failed. */
  onClose: ((e: Error) => void) | undefined;

  private confirming = false;
  private published = 0;
  /** Publishes awaiting the broker's ack or nack, in tag order; a value when someone waits for that one. */
  private readonly unconfirmed = new Map<number, Settle | undefined>();
  private nacked = 0;
  private confirmWaiters: Settle[] = [];
  private readonly consumers = new Map<string, (d: Delivery) => void>();

  private constructor(
    readonly conn: AmqpConnection,
    readonly id: number,
  ) {}

  /** Opens the lowest free channel number; with `confirm`, in confirm mode; with `prefetch`, basic.qos. */
  static async open(conn: AmqpConnection, o: { confirm?: boolean; prefetch?: number } = {}): Promise<Channel> {
    const ch = new Channel(conn, conn.freeChannel());
    await conn.openChannel(ch.id, ch, { collect: true });
    if (o.confirm) await ch.confirmSelect();
    if (o.prefetch !== undefined) await ch.qos(o.prefetch);
    return ch;
  }

  async confirmSelect(): Promise<void> {
    await this.conn.rpc(this.id, { id: CONFIRM_SELECT });
    this.confirming = true;
  }

  /** basic.qos prefetch-count (per consumer, as RabbitMQ applies it; `global` for the whole channel). */
  async qos(prefetchCount: number, global = false): Promise<void> {
    await this.conn.rpc(this.id, { id: BASIC_QOS, prefetchCount, global });
  }

  declareQueue(queue: string, o: { durable?: boolean; exclusive?: boolean; autoDelete?: boolean; passive?: boolean; arguments?: FieldTable } = {}) {
    return this.conn.declareQueue(this.id, queue, o);
  }

  declareExchange(exchange: string, type: string, o: { durable?: boolean; passive?: boolean; autoDelete?: boolean; internal?: boolean; arguments?: FieldTable } = {}) {
    return this.conn.declareExchange(this.id, exchange, type, o);
  }

  bindQueue(queue: string, exchange: string, routingKey: string, args?: FieldTable) {
    return this.conn.bindQueue(this.id, queue, exchange, routingKey, args);
  }

  deleteQueue(queue: string, o: { ifUnused?: boolean; ifEmpty?: boolean } = {}) {
    return this.conn.deleteQueue(this.id, queue, o);
  }

  purgeQueue(queue: string) {
    return this.conn.purgeQueue(this.id, queue);
  }

  /**
   * Queues one message; written at the end of the tick with everything else queued (one write per batch). Returns
   * its publish sequence number in confirm mode (0 otherwise). Throws once the channel or connection is closed.
   */
  publish(exchange: string, routingKey: string, body: Buffer, properties: BasicProperties = {}, o: PublishOptions = {}): number {
    this.check();
    this.conn.publish(this.id, exchange, routingKey, properties, body, o.mandatory === true);
    this.conn.schedule();
    if (!this.confirming) return 0;
    const seq = ++this.published;
    this.unconfirmed.set(seq, undefined);
    return seq;
  }

  /** Publishes in confirm mode and resolves once the broker has confirmed it (rejects on nack or close). */
  publishConfirmed(exchange: string, routingKey: string, body: Buffer, properties: BasicProperties = {}, o: PublishOptions = {}): Promise<void> {
    if (!this.confirming) return Promise.reject(new Error('publishConfirmed needs a channel in confirm mode'));
    const seq = this.publish(exchange, routingKey, body, properties, o);
    return new Promise((resolve, reject) => this.unconfirmed.set(seq, { resolve, reject }));
  }

  /** Resolves once every publish so far is confirmed; rejects if any was nacked or the channel closes first. */
  waitForConfirms(): Promise<void> {
    if (this.closedWith) return Promise.reject(this.closedWith);
    if (this.unconfirmed.size === 0) return this.settledAll();
    return new Promise((resolve, reject) => this.confirmWaiters.push({ resolve, reject }));
  }

  /** Number of publishes not yet confirmed. */
  get unconfirmedCount(): number {
    return this.unconfirmed.size;
  }

  private settledAll(): Promise<void> {
    if (this.nacked === 0) return Promise.resolve();
    const n = this.nacked;
    this.nacked = 0;
    return Promise.reject(new Error(`the broker nacked ${n} message${n === 1 ? '' : 's'}`));
  }

  /** basic.consume; `onMessage` gets each delivery. Resolves with the consumer tag. */
  async consume(queue: string, onMessage: (d: Delivery) => void, o: ConsumeOptions = {}): Promise<string> {
    const tag = o.consumerTag ?? '';
    // Registered first under an explicit tag: deliveries may follow consume-ok in the same read.
    if (tag !== '') this.consumers.set(tag, onMessage);
    const opts: { exclusive?: boolean; arguments?: FieldTable } = {};
    if (o.exclusive !== undefined) opts.exclusive = o.exclusive;
    if (o.arguments !== undefined) opts.arguments = o.arguments;
    this.pendingConsumer = onMessage;
    try {
      const given = await this.conn.consume(this.id, queue, o.noAck === true, tag, opts);
      this.consumers.set(given, onMessage);
      return given;
    } finally {
      this.pendingConsumer = undefined;
    }
  }

  /** A server-named consumer's deliveries can arrive before the code after consume-ok runs. */
  private pendingConsumer: ((d: Delivery) => void) | undefined;

  /** basic.cancel; resolves once the broker confirmed (no more deliveries for that tag after it). */
  async cancel(consumerTag: string): Promise<void> {
    await this.conn.rpc(this.id, { id: BASIC_CANCEL, consumerTag });
    this.consumers.delete(consumerTag);
  }

  /** basic.get: the next message, or undefined when the queue is empty. */
  async get(queue: string, o: { noAck?: boolean } = {}): Promise<Delivery | undefined> {
    const r = await this.conn.rpc(this.id, { id: BASIC_GET, queue, noAck: o.noAck === true });
    return r.id === BASIC_GET_OK ? (r as unknown as Delivery) : undefined;
  }

  ack(deliveryTag: number, multiple = false): void {
    this.check();
    this.conn.ack(this.id, deliveryTag, multiple);
    this.conn.schedule();
  }

  nack(deliveryTag: number, multiple = false, requeue = true): void {
    this.check();
    this.conn.nack(this.id, deliveryTag, multiple, requeue);
    this.conn.schedule();
  }

  reject(deliveryTag: number, requeue = true): void {
    this.check();
    this.conn.send(this.id, { id: BASIC_REJECT, deliveryTag, requeue });
  }

  /** channel.close; the number is free again afterwards. */
  async close(): Promise<void> {
    await this.conn.closeChannel(this.id);
    this.closed(new Error('channel closed'), false);
  }

  private check(): void {
    if (this.closedWith) throw this.closedWith;
    const failed = this.conn.failed;
    if (failed) throw failed;
  }

  // ---- ChannelListener ----

  content(d: Delivery): void {
    const f = this.consumers.get(d.consumerTag) ?? this.pendingConsumer;
    f?.(d);
  }

  returned(_replyCode: number, d?: Delivery): void {
    if (d) this.onReturn?.(d);
  }

  cancelled(consumerTag: string): void {
    this.consumers.delete(consumerTag);
    this.onCancel?.(consumerTag);
  }

  confirm(tag: number, multiple: boolean, ack: boolean): void {
    const e = ack ? undefined : new Error(`the broker nacked message ${tag}`);
    if (multiple) {
      for (const [seq, s] of this.unconfirmed) {
        if (seq > tag) break;
        this.settle(seq, s, e);
      }
    } else if (this.unconfirmed.has(tag)) {
      this.settle(tag, this.unconfirmed.get(tag), e);
    }
    if (this.unconfirmed.size === 0 && this.confirmWaiters.length > 0) {
      const ws = this.confirmWaiters;
      this.confirmWaiters = [];
      const n = this.nacked;
      this.nacked = 0;
      for (const w of ws) {
        if (n === 0) w.resolve();
        else w.reject(new Error(`the broker nacked ${n} message${n === 1 ? '' : 's'}`));
      }
    }
  }

  private settle(seq: number, s: Settle | undefined, e: Error | undefined): void {
    this.unconfirmed.delete(seq);
    if (e) this.nacked++;
    if (s) {
      if (e) s.reject(e);
      else s.resolve();
    }
  }

  closed(e: Error, byBroker = true): void {
    if (this.closedWith) return;
    this.closedWith = e;
    for (const s of this.unconfirmed.values()) s?.reject(e);
    this.unconfirmed.clear();
    const ws = this.confirmWaiters;
    this.confirmWaiters = [];
    for (const w of ws) w.reject(e);
    this.consumers.clear();
    if (byBroker) this.onClose?.(e);
  }
}
