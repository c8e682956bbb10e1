// A channel's counts per exchange it published to and per queue it took messages from (RabbitMQ's
// channel_exchange_metrics and channel_queue_metrics): one counter object per object, the last one cached.
import type { Exchange, Queue, QueueTally } from '../broker/index.js';

/** One channel's publishes into one exchange. */
export interface ChannelExchangeCounters {
  readonly exchange: Exchange;
  published: number;
  confirm: number;
  returnUnroutable: number;
  dropUnroutable: number;
  /** The queues its publishes reached, each how often (RabbitMQ's channel_queue_exchange_metrics). */
  readonly queues: QueuePublishTally;
}

/** One channel's publishes through one exchange that reached one queue. */
export interface QueuePublished {
  readonly queue: Queue;
  published: number;
}

/** One channel's deliveries, gets and acks from one queue. */
export interface ChannelQueueCounters {
  readonly queue: Queue;
  deliver: number;
  deliverNoAck: number;
  get: number;
  getNoAck: number;
  getEmpty: number;
  redelivered: number;
  acked: number;
}

/** Past this many entries a new one first drops those of deleted objects (a channel that outlives many queues). */
const SWEEP_FROM = 64;

export class ChannelObjectStats {
  private readonly byExchange = new Map<Exchange, ChannelExchangeCounters>();
  private readonly byQueue = new Map<Queue, ChannelQueueCounters>();
  private lastExchange: ChannelExchangeCounters | undefined;
  private lastQueue: ChannelQueueCounters | undefined;
  private exchangeSweepAt = SWEEP_FROM;
  private queueSweepAt = SWEEP_FROM;
  /** Whether an exchange or queue is still the one its vhost has under its name (deleted ones are forgotten). */
  private readonly liveExchange: (x: Exchange) => boolean;
  private readonly liveQueue: (q: Queue) => boolean;

  constructor(liveExchange: (x: Exchange) => boolean, liveQueue: (q: Queue) => boolean) {
    this.liveExchange = liveExchange;
    this.liveQueue = liveQueue;
  }

  /** The counters of an exchange: the last one's without a lookup when the publisher repeats it. */
  exchange(x: Exchange): ChannelExchangeCounters {
    const last = this.lastExchange;
    if (last !== undefined && last.exchange === x) return last;
    let c = this.byExchange.get(x);
    if (c === undefined) {
      if (this.byExchange.size >= this.exchangeSweepAt) {
        this.exchangeSweepAt = sweep(this.byExchange, this.liveExchange);
        this.lastExchange = undefined;
      }
      c = { exchange: x, published: 0, confirm: 0, returnUnroutable: 0, dropUnroutable: 0, queues: new QueuePublishTally(this.liveQueue) };
      this.byExchange.set(x, c);
    }
    return (this.lastExchange = c);
  }

  /** The counters of a queue (a consumer keeps its queue's, so deliveries need no lookup at all). */
  queue(q: Queue): ChannelQueueCounters {
    const last = this.lastQueue;
    if (last !== undefined && last.queue === q) return last;
    let c = this.byQueue.get(q);
    if (c === undefined) {
      if (this.byQueue.size >= this.queueSweepAt) {
        this.queueSweepAt = sweep(this.byQueue, this.liveQueue);
        this.lastQueue = undefined;
      }
      c = { queue: q, deliver: 0, deliverNoAck: 0, get: 0, getNoAck: 0, getEmpty: 0, redelivered: 0, acked: 0 };
      this.byQueue.set(q, c);
    }
    return (this.lastQueue = c);
  }

  /** Counters of the exchanges that still exist, for a scrape. */
  exchanges(): ChannelExchangeCounters[] {
    return [...this.byExchange.values()].filter((c) => this.liveExchange(c.exchange));
  }

  /** Counters of the queues that still exist, for a scrape. */
  queues(): ChannelQueueCounters[] {
    return [...this.byQueue.values()].filter((c) => this.liveQueue(c.queue));
  }
}

/**
 * The queues one channel's publishes into one exchange reached. The entry counted at each place of the last route is
 * kept, so a route that repeats (one queue, or a fanout's queues in their binding order) counts without a lookup.
 */
export class QueuePublishTally implements QueueTally {
  private readonly byQueue = new Map<Queue, QueuePublished>();
  private readonly lastRoute: QueuePublished[] = [];
  private sweepAt = SWEEP_FROM;
  private readonly live: (q: Queue) => boolean;

  constructor(live: (q: Queue) => boolean) {
    this.live = live;
  }

  count(position: number, queue: Queue): void {
    const last = this.lastRoute[position];
    if (last !== undefined && last.queue === queue) {
      last.published += 1;
      return;
    }
    let e = this.byQueue.get(queue);
    if (e === undefined) {
      if (this.byQueue.size >= this.sweepAt) {
        this.sweepAt = sweep(this.byQueue, this.live);
        this.lastRoute.length = 0;
      }
      e = { queue, published: 0 };
      this.byQueue.set(queue, e);
    }
    // Places are counted from 0 in order, so this sets an existing slot or appends.
    if (position <= this.lastRoute.length) this.lastRoute[position] = e;
    e.published += 1;
  }

  /** Counts of the queues that still exist, for a scrape. */
  entries(): QueuePublished[] {
    return [...this.byQueue.values()].filter((e) => this.live(e.queue));
  }
}

/** Drops the entries of deleted objects; returns the size at which to sweep next. */
function sweep<K, V>(map: Map<K, V>, live: (k: K) => boolean): number {
  for (const k of [...map.keys()]) if (!live(k)) map.delete(k);
  return Math.max(SWEEP_FROM, map.size * 2);
}
