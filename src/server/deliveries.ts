// A channel's consumers and its outstanding deliveries: prefetch, ack / nack / reject / recover, and requeue on close.
import type { Clock, Consumer, Queue, QueueEntry } from '../broker/index.js';
import { BASIC_CANCEL, preconditionFailed, type FieldTable } from '../protocol/index.js';
import type { Channel } from './channel.js';
import type { ChannelQueueCounters } from './channel-object-stats.js';

/** A delivery waiting for the client's acknowledgement. */
export interface Unacked {
  readonly tag: number;
  readonly queue: Queue;
  readonly entry: QueueEntry;
  readonly consumer: ChannelConsumer | undefined;
  /** Epoch ms of delivery, for the consumer acknowledgement timeout. */
  readonly at: number;
}

/** A basic.consume subscription as the queue sees it (it calls canTake and deliver) and http shows it. */
export interface ChannelConsumer extends Consumer {
  /** The tag as a short string, encoded once for every basic.deliver. */
  readonly tagRaw: Buffer;
  readonly queue: Queue;
  /** Its channel's counters for its queue (deliveries count there without a lookup). */
  readonly counters: ChannelQueueCounters;
  readonly prefetch: number;
  /** Its deliveries not yet settled. */
  unacked: number;
}

/** basic.consume's choices for one consumer. */
export interface ConsumeOptions {
  readonly noAck: boolean;
  readonly exclusive: boolean;
  readonly prefetch: number;
  readonly priority: number;
  readonly arguments?: FieldTable | undefined;
}

/** How an ack-like method settles the deliveries it names. */
type Settle = 'ack' | 'requeue' | 'drop';

/**
 * Stands in for a channel's consumers and outstanding deliveries until it has any: most channels (10,000 idle ones)
 * never consume, and an empty Map is about 180 bytes. Never written: writes go through the methods that replace it.
 */
const NONE = new Map<never, never>();

export class Deliveries {
  readonly channel: Channel;
  private consumerMap: Map<string, ChannelConsumer> = NONE;
  /** Outstanding deliveries by tag; Map order is tag order. */
  private unackedMap: Map<number, Unacked> = NONE;
  private nextTag = 1;
  /** basic.qos global=false: limit for consumers created afterwards. */
  consumerPrefetch = 0;
  /** basic.qos global=true: limit shared by the channel's consumers. */
  channelPrefetch = 0;
  /** Set while the channel goes away: nothing more is delivered to it. */
  private releasing = false;
  /** Settlements held back by a transaction until commit. */
  private txSettlements: Array<{ u: Unacked; how: Settle }> = [];

  /** The broker's clock: when a delivery was sent, for consumer timeouts. */
  private readonly clock: Clock;

  constructor(channel: Channel) {
    this.channel = channel;
    this.clock = channel.conn.ctx.broker.clock;
  }

  /** The channel's consumers by tag. */
  get consumers(): ReadonlyMap<string, ChannelConsumer> {
    return this.consumerMap;
  }

  /** Outstanding deliveries by tag, in tag order. */
  get unacked(): ReadonlyMap<number, Unacked> {
    return this.unackedMap;
  }

  /** Records an outstanding delivery (the first one replaces the shared empty map with the channel's own). */
  private track(tag: number, u: Unacked): void {
    (this.unackedMap === NONE ? (this.unackedMap = new Map()) : this.unackedMap).set(tag, u);
  }

  private canDeliver(c: ChannelConsumer): boolean {
    const ch = this.channel;
    if (this.releasing || !ch.writable || ch.conn.output.congested) return false;
    if (c.noAck) return true;
    if (c.prefetch !== 0 && c.unacked >= c.prefetch) return false;
    return this.channelPrefetch === 0 || this.unackedMap.size < this.channelPrefetch;
  }

  /** Sends basic.deliver with the message's content. */
  private deliver(c: ChannelConsumer, queue: Queue, entry: QueueEntry): void {
    const tag = this.nextTag++;
    if (!c.noAck) {
      this.track(tag, { tag, queue, entry, consumer: c, at: this.clock.now() });
      c.unacked += 1;
    }
    const ch = this.channel;
    const stats = ch.stats;
    const counters = c.counters;
    stats.delivered += 1;
    if (c.noAck) {
      stats.deliverNoAck += 1;
      counters.deliverNoAck += 1;
    } else {
      stats.deliver += 1;
      counters.deliver += 1;
    }
    if (entry.redelivered) {
      stats.redelivered += 1;
      counters.redelivered += 1;
    }
    const tracer = ch.vhost.tracer;
    if (tracer !== undefined) tracer.delivered(queue.name, entry.delivery ?? entry.message, entry.redelivered, ch.traceOrigin);
    ch.conn.output.deliver(ch.id, c.tagRaw, tag, entry.redelivered, entry.delivery ?? entry.message);
  }

  /** A delivery tag for basic.get-ok; tracked as unacked unless noAck. */
  takeForGet(queue: Queue, entry: QueueEntry, noAck: boolean): number {
    const tag = this.nextTag++;
    if (!noAck) this.track(tag, { tag, queue, entry, consumer: undefined, at: this.clock.now() });
    return tag;
  }

  /** A tag for a delivery that is never acknowledged (direct reply-to). */
  nextDeliveryTag(): number {
    return this.nextTag++;
  }

  /**
   * The timeout (ms) of the oldest outstanding delivery that has waited longer than it may, or undefined.
   * A queue's x-consumer-timeout overrides the broker's consumer_timeout.
   */
  overdue(now: number, defaultTimeout: number): number | undefined {
    for (const u of this.unackedMap.values()) {
      const limit = u.queue.settings.consumerTimeout ?? defaultTimeout;
      if (limit > 0 && now - u.at > limit) return limit;
    }
    return undefined;
  }

  /** Subscribes to a queue (which may deliver at once: basic.consume-ok goes out before this). */
  addConsumer(queue: Queue, tag: string, opts: ConsumeOptions): ChannelConsumer {
    const c: ChannelConsumer = {
      tag,
      tagRaw: Buffer.concat([Buffer.from([Buffer.byteLength(tag)]), Buffer.from(tag)]),
      noAck: opts.noAck,
      exclusive: opts.exclusive,
      queue,
      counters: this.channel.objectStats.queue(queue),
      prefetch: opts.prefetch,
      priority: opts.priority,
      arguments: opts.arguments,
      connectionId: this.channel.conn.id,
      unacked: 0,
      canTake: () => this.canDeliver(c),
      deliver: (q, entry) => this.deliver(c, q, entry),
      cancelledByQueue: () => this.cancelledByQueue(c),
    };
    (this.consumerMap === NONE ? (this.consumerMap = new Map()) : this.consumerMap).set(tag, c);
    queue.addConsumer(c);
    return c;
  }

  /** Client-side basic.cancel; unknown tags are fine, as in RabbitMQ. */
  cancel(tag: string): void {
    const c = this.consumerMap.get(tag);
    if (!c) return;
    this.consumerMap.delete(tag);
    c.queue.removeConsumer(c);
  }

  /** The queue was deleted: forget the consumer and tell a client that understands basic.cancel. */
  private cancelledByQueue(c: ChannelConsumer): void {
    if (this.consumerMap.get(c.tag) !== c) return;
    this.consumerMap.delete(c.tag);
    if (this.channel.writable && this.channel.conn.capability('consumer_cancel_notify')) {
      this.channel.send({ id: BASIC_CANCEL, consumerTag: c.tag, nowait: true });
    }
  }

  /** Lets every consumer's queue deliver again (after an ack, a drain, flow on or a larger prefetch). */
  resume(): void {
    for (const c of this.consumerMap.values()) c.queue.drain();
  }

  // ---- settlement --------------------------------------------------------

  ack(tag: number, multiple: boolean): void {
    this.settle(tag, multiple, 'ack');
  }

  /** basic.nack and basic.reject; a queue type may refuse them (streams: 540), before anything changes. */
  nack(tag: number, multiple: boolean, requeue: boolean): void {
    if (multiple) {
      for (const u of this.unackedMap.values()) {
        if (tag !== 0 && u.tag > tag) break;
        u.queue.checkNack();
      }
    } else {
      this.unackedMap.get(tag)?.queue.checkNack();
    }
    this.settle(tag, multiple, requeue ? 'requeue' : 'drop');
  }

  private settle(tag: number, multiple: boolean, how: Settle): void {
    const picked = this.pick(tag, multiple);
    if (this.channel.txMode) {
      for (const u of picked) this.txSettlements.push({ u, how });
      return;
    }
    this.apply(picked, how);
  }

  /** Removes and returns the deliveries a tag names; unknown tag → 406. */
  private pick(tag: number, multiple: boolean): Unacked[] {
    const out: Unacked[] = [];
    if (multiple) {
      if (tag !== 0 && !this.unackedMap.has(tag)) throw preconditionFailed(`unknown delivery tag ${tag}`);
      // Map order is tag order: the covered deliveries are the first ones.
      for (const u of this.unackedMap.values()) {
        if (tag !== 0 && u.tag > tag) break;
        out.push(u);
      }
    } else {
      const u = this.unackedMap.get(tag);
      if (!u) throw preconditionFailed(`unknown delivery tag ${tag}`);
      out.push(u);
    }
    for (const u of out) {
      this.unackedMap.delete(u.tag);
      if (u.consumer) u.consumer.unacked -= 1;
    }
    return out;
  }

  private apply(list: readonly Unacked[], how: Settle): void {
    if (list.length === 0) return;
    if (how === 'requeue') this.requeueAll(list);
    else if (how === 'drop') for (const u of list) u.queue.reject(u.entry);
    else {
      const objectStats = this.channel.objectStats;
      for (const u of list) {
        u.queue.settle(u.entry);
        (u.consumer !== undefined ? u.consumer.counters : objectStats.queue(u.queue)).acked += 1;
      }
      this.channel.stats.acked += list.length;
    }
    this.resume();
  }

  /** Puts deliveries back on their queues, each queue's in their original order. */
  private requeueAll(list: readonly Unacked[]): void {
    const byQueue = new Map<Queue, QueueEntry[]>();
    for (const u of list) {
      let l = byQueue.get(u.queue);
      if (!l) byQueue.set(u.queue, (l = []));
      l.push(u.entry);
    }
    for (const [q, entries] of byQueue) q.requeue(entries);
  }

  /** basic.recover: everything outstanding goes back to its queue. */
  recover(): void {
    const all = [...this.unackedMap.values()];
    this.unackedMap.clear();
    for (const c of this.consumerMap.values()) c.unacked = 0;
    this.apply(all, 'requeue');
  }

  /** tx.commit: held settlements take effect. */
  commit(): void {
    const held = this.txSettlements;
    this.txSettlements = [];
    for (const how of ['ack', 'drop', 'requeue'] as const) {
      this.apply(held.filter((s) => s.how === how).map((s) => s.u), how);
    }
  }

  /** tx.rollback: held settlements are forgotten, the deliveries outstanding again. */
  rollback(): void {
    const held = this.txSettlements;
    this.txSettlements = [];
    if (held.length === 0) return;
    for (const s of held) if (s.u.consumer) s.u.consumer.unacked += 1;
    const merged = [...this.unackedMap.values(), ...held.map((s) => s.u)];
    merged.sort((a, b) => a.tag - b.tag);
    this.unackedMap.clear();
    for (const u of merged) this.track(u.tag, u);
  }

  /** Channel or connection closing: consumers cancelled, every outstanding delivery requeued. */
  release(): void {
    // Requeue first (so a single active consumer's successor sees them at the head), delivering nothing here.
    this.releasing = true;
    const outstanding = [...this.unackedMap.values(), ...this.txSettlements.map((s) => s.u)];
    this.unackedMap.clear();
    this.txSettlements = [];
    this.requeueAll(outstanding);
    const consumers = [...this.consumerMap.values()];
    this.consumerMap.clear();
    for (const c of consumers) c.queue.removeConsumer(c);
  }
}
