// Publisher confirms for one channel: acks in tag order, batched as `multiple`, held back until persistent messages are synced.
import { BASIC_ACK, BASIC_NACK } from '../protocol/index.js';
import { Deque } from '../shared/deque.js';
import type { Channel } from './channel.js';
import type { ChannelExchangeCounters } from './channel-object-stats.js';

export class Confirms {
  private readonly channel: Channel;
  /** Last sequence number given out. */
  private seq = 0;
  /** Settled tags not yet sent, in order: +tag for ack, -tag for nack. */
  private readonly settled = new Deque<number>();
  /** Tags waiting for a sync, in order; everything from the first of them on is held back. */
  private readonly waitingSync = new Deque<number>();
  /** The exchange counters of each settled tag, in the same order (its confirm is counted there when the ack goes out). */
  private readonly settledExchanges = new Deque<ChannelExchangeCounters>();
  private scheduled = false;

  constructor(channel: Channel) {
    this.channel = channel;
  }

  /** Publishes not yet confirmed (or nacked) to the client. */
  get unconfirmed(): number {
    return this.settled.length;
  }

  /**
   * Settles the next publish: ack or nack. With `durable`, the confirm waits for the store's next sync
   * (a failed write or sync turns it into a nack).
   */
  next(ack: boolean, durable: boolean, counters: ChannelExchangeCounters): void {
    const tag = ++this.seq;
    this.settled.push(ack ? tag : -tag);
    this.settledExchanges.push(counters);
    const persistence = this.channel.vhost.persistence;
    if (durable && persistence) {
      this.waitingSync.push(tag);
      persistence.whenSynced((err) => this.synced(tag, err));
      return;
    }
    this.schedule();
  }

  private synced(tag: number, err: Error | undefined): void {
    if (this.waitingSync.peek() === tag) this.waitingSync.shift();
    if (err) {
      // Never ack what might not be on disk.
      const items = this.settled.toArray().map((t) => (Math.abs(t) === tag ? -tag : t));
      this.settled.clear();
      for (const t of items) this.settled.push(t);
    }
    this.schedule();
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    queueMicrotask(this.flushTask);
  }

  private readonly flushTask = (): void => {
    this.scheduled = false;
    this.flush();
  };

  /** Sends every settled confirm not held back by a pending sync: runs of acks as one `multiple` ack. */
  flush(): void {
    const ch = this.channel;
    if (!ch.writable) return;
    const blockedFrom = this.waitingSync.peek() ?? Infinity;
    let ackUpTo = 0;
    let acks = 0;
    for (let t = this.settled.peek(); t !== undefined && Math.abs(t) < blockedFrom; t = this.settled.peek()) {
      this.settled.shift();
      const counters = this.settledExchanges.shift()!;
      if (t > 0) {
        counters.confirm += 1;
        ackUpTo = t;
        acks += 1;
        continue;
      }
      if (acks > 0) ch.send({ id: BASIC_ACK, deliveryTag: ackUpTo, multiple: acks > 1 });
      ch.stats.confirm += acks;
      ch.conn.ctx.broker.totals.confirm += acks;
      acks = 0;
      ch.send({ id: BASIC_NACK, deliveryTag: -t, multiple: false, requeue: false });
    }
    if (acks > 0) ch.send({ id: BASIC_ACK, deliveryTag: ackUpTo, multiple: acks > 1 });
    ch.stats.confirm += acks;
    ch.conn.ctx.broker.totals.confirm += acks;
  }
}
