// A queue: ready messages in order, its consumers served round-robin, and the count of messages out for acknowledgement.
import type { FieldTable } from '../protocol/index.js';
import { Deque } from './deque.js';
import type { Message } from './message.js';

/** One message's place in one queue (a message routed to two queues has two entries). */
export interface QueueEntry {
  readonly message: Message;
  /** Arrival order in this queue; requeued entries go back to their place by it. */
  readonly seq: number;
  redelivered: boolean;
}

/** What a queue needs from a consumer; the server's channel implements it. */
export interface Consumer {
  readonly tag: string;
  readonly noAck: boolean;
  readonly exclusive: boolean;
  /** Owning connection's id (for exclusive-queue checks and auto-delete bookkeeping). */
  readonly connectionId: number;
  /** True when it can take one more message right now (prefetch, flow, socket backpressure). */
  canTake(): boolean;
  /** Hands over an entry; for ack-mode consumers the entry stays out until settled. */
  deliver(queue: Queue, entry: QueueEntry): void;
  /** The queue went away under the consumer (delete, expiry): the channel tells the client. */
  cancelledByQueue(queue: Queue): void;
}

/** Declared attributes of a queue. */
export interface QueueOptions {
  durable: boolean;
  exclusive: boolean;
  autoDelete: boolean;
  arguments: FieldTable;
  /** Owning connection for exclusive queues. */
  owner: number | undefined;
}

/** Tells the owner (the vhost) when the queue wants to be deleted (auto-delete after its last consumer). */
export interface QueueEvents {
  autoDelete(queue: Queue): void;
}

export class Queue {
  readonly name: string;
  readonly vhost: string;
  readonly durable: boolean;
  readonly exclusive: boolean;
  readonly autoDelete: boolean;
  readonly arguments: FieldTable;
  readonly owner: number | undefined;
  private readonly ready = new Deque<QueueEntry>();
  private readonly consumerList: Consumer[] = [];
  private nextConsumer = 0;
  private nextSeq = 0;
  /** Messages delivered to ack-mode consumers or basic.get and not yet settled. */
  unacked = 0;
  private hadConsumer = false;
  private draining = false;
  deleted = false;
  private readonly events: QueueEvents;

  constructor(name: string, vhost: string, opts: QueueOptions, events: QueueEvents) {
    this.name = name;
    this.vhost = vhost;
    this.durable = opts.durable;
    this.exclusive = opts.exclusive;
    this.autoDelete = opts.autoDelete;
    this.arguments = opts.arguments;
    this.owner = opts.owner;
    this.events = events;
  }

  /** Ready messages (what queue.declare-ok and basic.get-ok report). */
  get messageCount(): number {
    return this.ready.length;
  }

  get consumerCount(): number {
    return this.consumerList.length;
  }

  get consumers(): readonly Consumer[] {
    return this.consumerList;
  }

  /** Appends a routed message and hands it to a consumer if one can take it. */
  enqueue(message: Message): void {
    this.ready.push({ message, seq: this.nextSeq++, redelivered: false });
    this.drain();
  }

  /** Delivers ready messages to consumers that can take them, round-robin. */
  drain(): void {
    if (this.draining || this.deleted) return;
    this.draining = true;
    try {
      const consumers = this.consumerList;
      while (this.ready.length > 0 && consumers.length > 0) {
        const consumer = this.pickConsumer();
        if (!consumer) break;
        const entry = this.ready.shift()!;
        if (!consumer.noAck) this.unacked += 1;
        consumer.deliver(this, entry);
      }
    } finally {
      this.draining = false;
    }
  }

  private pickConsumer(): Consumer | undefined {
    const consumers = this.consumerList;
    const n = consumers.length;
    for (let i = 0; i < n; i++) {
      const idx = (this.nextConsumer + i) % n;
      const c = consumers[idx]!;
      if (c.canTake()) {
        this.nextConsumer = (idx + 1) % n;
        return c;
      }
    }
    return undefined;
  }

  /** basic.get: takes the next ready entry (counted as unacked unless noAck). */
  get(noAck: boolean): QueueEntry | undefined {
    const entry = this.ready.shift();
    if (entry && !noAck) this.unacked += 1;
    return entry;
  }

  /** An unacked entry was acknowledged (or rejected without requeue). */
  settle(_entry: QueueEntry): void {
    if (this.unacked > 0) this.unacked -= 1;
  }

  /** Unacked entries come back, redelivered, each in its original place. */
  requeue(entries: readonly QueueEntry[]): void {
    if (this.deleted) return;
    for (let i = entries.length - 1; i >= 0; i--) {
      const entry = entries[i]!;
      if (this.unacked > 0) this.unacked -= 1;
      entry.redelivered = true;
      this.insertInOrder(entry);
    }
    this.drain();
  }

  private insertInOrder(entry: QueueEntry): void {
    const front = this.ready.peek();
    if (!front || entry.seq < front.seq) {
      this.ready.unshift(entry);
      return;
    }
    let lo = 0;
    let hi = this.ready.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.ready.at(mid)!.seq < entry.seq) lo = mid + 1;
      else hi = mid;
    }
    this.ready.insert(lo, entry);
  }

  addConsumer(consumer: Consumer): void {
    this.consumerList.push(consumer);
    this.hadConsumer = true;
    this.drain();
  }

  /** Removes a consumer; an auto-delete queue goes when its last consumer does. */
  removeConsumer(consumer: Consumer): void {
    const i = this.consumerList.indexOf(consumer);
    if (i < 0) return;
    this.consumerList.splice(i, 1);
    if (this.nextConsumer > i) this.nextConsumer -= 1;
    if (this.nextConsumer >= this.consumerList.length) this.nextConsumer = 0;
    if (this.autoDelete && this.hadConsumer && this.consumerList.length === 0) this.events.autoDelete(this);
  }

  findConsumer(tag: string): Consumer | undefined {
    return this.consumerList.find((c) => c.tag === tag);
  }

  /** Drops all ready messages; returns how many. */
  purge(): number {
    return this.ready.clear().length;
  }

  /** Marks the queue gone and tells its consumers; returns the ready count it had. */
  destroy(): number {
    const count = this.ready.length;
    this.deleted = true;
    this.ready.clear();
    const consumers = this.consumerList.splice(0);
    for (const c of consumers) c.cancelledByQueue(this);
    return count;
  }
}
