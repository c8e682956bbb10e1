// A queue of any registered type: ready messages in order (priorities, TTL, length limits), consumers by priority and round-robin; its settings re-appliable.
import type { FieldTable } from '../protocol/index.js';
import type { Message } from './message.js';
import type { QueueSettings } from './queue-arguments.js';
import { queueTypeNamed, CLASSIC, type QueueTypeDefinition } from './queue-types/index.js';
import { ExpiryHeap, type QueueEntry } from './queue-entry.js';
import type { Consumer, QueueEvents, QueueOptions } from './queue-contracts.js';
import { minTtl, priorityOf, withDeliveryCount } from './queue-message.js';
import { QueueConsumers } from './queue-consumers.js';
import { ReadyStore } from './ready-store.js';
import { Deduplicator, sameDeduplication } from './deduplication.js';
import { guarded } from './internal-errors.js';
import type { ClockTimer } from './clock.js';
import type { BrokerRuntime } from './runtime.js';
import { newCounters, type MessageCounters, type QueueTypeTotals } from './stats.js';
import type { PagingWindow, QueueStore, RecoveredMessage, RecoveredMessages } from './persistence.js';

export type { QueueEntry } from './queue-entry.js';
export type { Consumer, DeadLetterReason, QueueEvents, QueueOptions } from './queue-contracts.js';

/** Fewest entries a page-in brings when memory is already full (of lower priorities): fewer would mean a read per message. */
const MIN_PAGE_IN = 256;

export class Queue {
  readonly name: string;
  readonly vhost: string;
  /** Wall-clock time it was declared (epoch ms): idle since then until its first message (management's idle_since). */
  readonly declaredAt = Date.now();
  readonly durable: boolean;
  readonly exclusive: boolean;
  readonly autoDelete: boolean;
  readonly arguments: FieldTable;
  readonly owner: number | undefined;
  /** The queue type (queue-types/); what differs per type is copied into plain fields below. */
  readonly type: QueueTypeDefinition;
  /** The type counts returns: x-delivery-count and the delivery limit (quorum). */
  private readonly countsDeliveries: boolean;
  /** The type keeps transient messages in the store too (quorum). */
  private readonly keepsEveryMessage: boolean;
  /** The effective arguments, replaced as a whole by applySettings. */
  private current: QueueSettings;
  private readonly ready: ReadyStore;
  /** Ready messages and their body bytes, in memory and paged out together (the store counts the paged ones). */
  private readyCount = 0;
  private readyBytes = 0;
  /** Messages kept in the store (a durable queue's persistent ones, a quorum queue's all), ready and unacked, and their body bytes. */
  private storedCount = 0;
  private storedBytes = 0;
  private readonly window: PagingWindow | undefined;
  /** The window while no consumer is attached (the full one when the store sets no smaller one). */
  private readonly idleWindow: PagingWindow | undefined;
  private readonly expiry = new ExpiryHeap();
  private expiryTimer: ClockTimer | undefined;
  private expiryAt = 0;
  private idleTimer: ClockTimer | undefined;
  private readonly consumerRing = new QueueConsumers();
  private nextSeq = 0;
  /** Messages delivered to ack-mode consumers or basic.get and not yet settled. */
  unacked = 0;
  /** Counts since the queue was created, for rates and metrics. */
  readonly stats: MessageCounters = newCounters();
  /** Messages that left this queue for its dead-letter exchange. */
  deadLettered = 0;
  /** Time (ms) messages waited while consumers existed but none could take one: consumer utilisation's complement. */
  private blockedMs = 0;
  private blockedSince = 0;
  private hadConsumer = false;
  private draining = false;
  deleted = false;
  private readonly events: QueueEvents;
  private readonly runtime: BrokerRuntime;
  /** The broker's counts for this queue's type (Prometheus' queue_type label). */
  protected readonly typeTotals: QueueTypeTotals;
  private readonly store: QueueStore | undefined;
  /** x-message-deduplication: drops messages whose x-deduplication-header was seen. */
  private dedup: Deduplicator | undefined;

  constructor(name: string, vhost: string, opts: QueueOptions, events: QueueEvents) {
    this.name = name;
    this.vhost = vhost;
    this.durable = opts.durable;
    this.exclusive = opts.exclusive;
    this.autoDelete = opts.autoDelete;
    this.arguments = opts.arguments;
    this.owner = opts.owner;
    this.events = events;
    this.runtime = opts.runtime;
    this.current = opts.settings;
    this.type = queueTypeNamed(opts.settings.type) ?? CLASSIC;
    this.typeTotals = opts.runtime.totals.byQueueType[this.type.name];
    this.countsDeliveries = this.type.countsDeliveries;
    this.keepsEveryMessage = this.type.keepsEveryMessage;
    const paging = opts.paging;
    // A durable queue's page files keep only references to its persistent messages, read back from its own store.
    const stored = () => this.store?.openReader?.();
    this.ready = new ReadyStore(this.current.maxPriority ?? 0, paging ? () => paging.open(this.store?.openReader ? () => stored()! : undefined) : undefined);
    this.store = opts.persistence?.store;
    const w = opts.paging?.window;
    this.window = w;
    this.idleWindow = w && { messages: Math.min(w.idleMessages ?? w.messages, w.messages), bytes: Math.min(w.idleBytes ?? w.bytes, w.bytes) };
    this.dedup = Deduplicator.of(opts.settings.deduplication);
    if (opts.persistence) this.restore(opts.persistence.recovered);
    this.armIdleTimer();
  }

  /**
   * Puts recovered messages back, in order, with their original expiry and redelivered flag. A plain queue takes a
   * first batch into memory and leaves the rest in its segments, read back in order as it is consumed (nothing
   * is copied to a page file); a priority queue reads everything now, each message to its level.
   */
  private restore(recovered: RecoveredMessages): void {
    this.nextSeq = Math.max(this.nextSeq, recovered.lastSeq + 1);
    this.storedCount += recovered.remaining;
    this.storedBytes += recovered.remainingBytes;
    const w = this.window;
    if (this.current.maxPriority !== undefined || !w || !this.ready.canPage) {
      for (let batch = recovered.read(10_000, Infinity); batch.length > 0; batch = recovered.read(10_000, Infinity)) {
        for (const r of batch) this.addReady(this.recoveredEntry(r));
      }
      recovered.close();
      return;
    }
    // Only a first batch now (as pageIn's smallest): the rest of the window comes in once consumption starts, so a
    // restart with a long backlog accepts connections without first reading the window (32 MB) from disk.
    for (const r of recovered.read(Math.min(MIN_PAGE_IN, w.messages), w.bytes / 8)) {
      const entry = this.recoveredEntry(r);
      this.readyCount += 1;
      this.readyBytes += entry.message.bodySize;
      this.ready.push(entry);
      if (entry.expiresAt !== 0) this.scheduleExpiry(entry);
    }
    if (recovered.remaining === 0) {
      recovered.close();
      return;
    }
    this.readyCount += recovered.remaining;
    this.readyBytes += recovered.remainingBytes;
    this.ready.attachBacklog(0, {
      get remaining() {
        return recovered.remaining;
      },
      get remainingBytes() {
        return recovered.remainingBytes;
      },
      read: (max, maxBytes) => recovered.read(max, maxBytes).map((r) => this.recoveredEntry(r)),
      close: () => recovered.close(),
    });
  }

  private recoveredEntry(r: RecoveredMessage): QueueEntry {
    return {
      message: r.message,
      seq: r.seq,
      priority: this.current.maxPriority === undefined ? 0 : priorityOf(r.message, this.current.maxPriority),
      expiresAt: r.expiresAt,
      redelivered: r.redelivered,
      state: 'ready',
      deliveryCount: 0,
      persisted: true,
      delivery: undefined,
      enqueuedAt: this.runtime.clock.now(),
    };
  }

  /** The effective arguments the queue acts on now. */
  get settings(): Readonly<QueueSettings> {
    return this.current;
  }

  /**
   * Re-applies recomputed effective arguments (a policy changed) at run time, as RabbitMQ 3.10 does: a lower
   * max-length or max-length-bytes trims now under drop-head (dead-lettered as maxlen); a removed limit is lifted;
   * a new message-ttl applies to messages arriving from now on (queued ones keep the expiry they got on arrival);
   * x-expires restarts its idle clock with the new interval; a dead-letter exchange and delivery limit are read
   * when used. The type, x-max-priority and single-active-consumer stay as declared.
   */
  applySettings(next: QueueSettings): void {
    if (this.deleted) return;
    const prev = this.current;
    this.current = { ...next, type: prev.type, maxPriority: prev.maxPriority, singleActiveConsumer: prev.singleActiveConsumer };
    if (!sameDeduplication(prev.deduplication, next.deduplication)) this.dedup = Deduplicator.of(next.deduplication);
    if (next.expires !== prev.expires) {
      if (this.idleTimer !== undefined) this.runtime.clock.clear(this.idleTimer);
      this.idleTimer = undefined;
      if (this.consumerRing.length === 0) this.armIdleTimer();
    }
    if (next.overflow === 'drop-head') this.dropHeadWhileOver();
  }

  /** Ready messages (what queue.declare-ok and basic.get-ok report). */
  get messageCount(): number {
    return this.readyCount;
  }

  get messageBytes(): number {
    return this.readyBytes;
  }

  get consumerCount(): number {
    return this.consumerRing.length;
  }

  get consumers(): readonly Consumer[] {
    return this.consumerRing.list;
  }

  // ---- arrival -----------------------------------------------------------

  /**
   * Takes a routed message; false when the queue refuses it (x-overflow reject-publish). `now`: the clock's time,
   * read once by a publish that routes to several queues.
   */
  enqueue(message: Message, now = this.runtime.clock.now()): boolean {
    // A duplicate is accepted and dropped (a confirm still acks it).
    if (this.dedup?.isDuplicate(message)) return true;
    const s = this.current;
    const size = message.bodySize;
    if (s.overflow !== 'drop-head' && this.isFullFor(size)) {
      if (s.overflow === 'reject-publish-dlx') this.events.deadLetter(this, message, 'maxlen');
      return false;
    }
    this.stats.published += 1;
    const ttl = minTtl(s.messageTtl, message.ttl);
    const entry: QueueEntry = {
      message,
      seq: this.nextSeq++,
      priority: s.maxPriority === undefined ? 0 : priorityOf(message, s.maxPriority),
      expiresAt: ttl === undefined || ttl === 0 ? 0 : now + ttl,
      redelivered: false,
      state: 'ready',
      deliveryCount: 0,
      persisted: false,
      delivery: undefined,
      enqueuedAt: now,
    };
    if (ttl === 0) {
      // TTL 0: delivered now to a consumer that can take it, or expired at once.
      const consumer = this.readyCount === 0 ? this.pickConsumer() : undefined;
      if (consumer) this.handOver(consumer, entry);
      else this.events.deadLetter(this, message, 'expired');
      return true;
    }
    if (this.store && (this.keepsEveryMessage || message.persistent)) {
      entry.persisted = true;
      this.store.append(entry.seq, message, entry.expiresAt);
      this.storedCount += 1;
      this.storedBytes += size;
    }
    this.addReady(entry);
    // A waiting consumer takes the message first; only what stays ready counts against the limits.
    this.drain();
    if (s.maxLength !== undefined || s.maxLengthBytes !== undefined) this.dropHeadWhileOver();
    return true;
  }

  /**
   * A new ready entry goes to memory, or to its priority level's page file once the memory window is full (or when
   * that level already pages: within a level, memory holds the oldest entries and the file the newer ones).
   */
  private addReady(entry: QueueEntry): void {
    const size = entry.message.bodySize;
    this.readyCount += 1;
    this.readyBytes += size;
    const w = this.consumerRing.length > 0 ? this.window : this.idleWindow;
    const ready = this.ready;
    if (
      w &&
      ready.canPage &&
      (ready.pagedAt(entry.priority) || this.readyCount - ready.pagedCount > w.messages || this.readyBytes - ready.pagedBytes > w.bytes)
    ) {
      ready.page(entry);
      return;
    }
    ready.push(entry);
    if (entry.expiresAt !== 0) this.scheduleExpiry(entry);
  }

  /**
   * Brings paged entries into memory: those of the level delivered next when its memory part is empty, or ahead of
   * time when the memory part of the whole queue is down to half the window. A batch fills the window again; when
   * lower priorities fill it, a small batch still comes in (memory then exceeds the window by at most that batch).
   */
  private pageIn(): void {
    const w = (this.consumerRing.length > 0 ? this.window : this.idleWindow)!;
    const ready = this.ready;
    // Until an entry that did not expire while paged out came in (or nothing more is paged where it matters).
    for (;;) {
      const inMemory = this.readyCount - ready.pagedCount;
      // Ahead of time only once memory is down to half the window in bytes as well as messages (1 KB bodies fill the
      // bytes first: by count alone every take would read another batch, and the whole backlog would come in).
      const level = ready.levelToPageIn(inMemory <= w.messages / 2 && this.readyBytes - ready.pagedBytes <= w.bytes / 2);
      if (level < 0) return;
      const max = Math.max(w.messages - inMemory, Math.min(MIN_PAGE_IN, w.messages / 2), 1);
      const maxBytes = Math.max(w.bytes - (this.readyBytes - ready.pagedBytes), w.bytes / 8);
      const batch = ready.readPaged(level, max, maxBytes);
      if (ready.lostCount > 0) {
        // Recovered messages whose records turned out corrupt on disk (logged by the store): they are gone.
        this.readyCount -= ready.lostCount;
        this.readyBytes -= ready.lostBytes;
        this.storedCount -= ready.lostCount;
        this.storedBytes -= ready.lostBytes;
        ready.lostCount = 0;
        ready.lostBytes = 0;
      }
      if (batch.length === 0) return;
      const now = this.runtime.clock.now();
      let live = 0;
      for (const entry of batch) {
        if (entry.expiresAt !== 0 && entry.expiresAt <= now) {
          // Expired while paged out: it leaves now.
          this.readyCount -= 1;
          this.readyBytes -= entry.message.bodySize;
          this.expire(entry);
          continue;
        }
        live += 1;
        ready.push(entry);
        if (entry.expiresAt !== 0) this.scheduleExpiry(entry);
      }
      if (live > 0) return;
    }
  }

  private isFullFor(size: number): boolean {
    const s = this.current;
    return (s.maxLength !== undefined && this.readyCount >= s.maxLength) ||
      (s.maxLengthBytes !== undefined && this.readyBytes + size > s.maxLengthBytes);
  }

  private dropHeadWhileOver(): void {
    const s = this.current;
    while ((s.maxLength !== undefined && this.readyCount > s.maxLength) || (s.maxLengthBytes !== undefined && this.readyBytes > s.maxLengthBytes)) {
      const head = this.takeReady();
      if (!head) break;
      this.drop(head);
      this.events.deadLetter(this, head.message, 'maxlen');
    }
  }

  // ---- delivery ----------------------------------------------------------

  /** Delivers ready messages to consumers that can take them: by priority, round-robin within one. */
  drain(): void {
    if (this.draining || this.deleted) return;
    this.draining = true;
    try {
      while (this.readyCount > 0 && this.consumerRing.length > 0) {
        const consumer = this.pickConsumer();
        if (!consumer) {
          if (this.blockedSince === 0) this.blockedSince = this.runtime.clock.now();
          break;
        }
        const entry = this.takeReady();
        if (!entry) break;
        if (entry.expiresAt !== 0 && entry.expiresAt <= this.runtime.clock.now()) {
          this.expire(entry);
          continue;
        }
        this.handOver(consumer, entry);
      }
    } finally {
      this.draining = false;
    }
  }

  private countDelivery(entry: QueueEntry, kind: 'deliver' | 'deliverNoAck' | 'get' | 'getNoAck'): void {
    this.stats.delivered += 1;
    this.stats[kind] += 1;
    this.runtime.totals.delivered += 1;
    this.runtime.totals[kind] += 1;
    this.typeTotals.delivered += 1;
    this.typeTotals[kind] += 1;
    if (entry.redelivered) {
      this.stats.redelivered += 1;
      this.runtime.totals.redelivered += 1;
      this.typeTotals.redelivered += 1;
    }
  }

  private handOver(consumer: Consumer, entry: QueueEntry): void {
    this.countDelivery(entry, consumer.noAck ? 'deliverNoAck' : 'deliver');
    if (this.blockedSince !== 0) {
      this.blockedMs += this.runtime.clock.now() - this.blockedSince;
      this.blockedSince = 0;
    }
    if (this.countsDeliveries && entry.deliveryCount > 0) entry.delivery = withDeliveryCount(entry.message, entry.deliveryCount);
    if (consumer.noAck) {
      this.drop(entry);
    } else {
      entry.state = 'out';
      this.unacked += 1;
      if (entry.persisted && !entry.redelivered) this.store!.delivered(entry.seq);
    }
    consumer.deliver(this, entry);
  }

  /** An entry whose time ran out leaves for good, to the dead-letter exchange if there is one. */
  private expire(entry: QueueEntry): void {
    this.drop(entry);
    this.events.deadLetter(this, entry.message, 'expired');
  }

  /** The entry leaves the queue for good; its store forgets it. */
  private drop(entry: QueueEntry): void {
    entry.state = 'gone';
    if (!entry.persisted) return;
    this.store!.remove(entry.seq);
    this.storedCount -= 1;
    this.storedBytes -= entry.message.bodySize;
  }

  /** Removes the next ready entry from the counts. */
  private takeReady(): QueueEntry | undefined {
    if (this.ready.pagedCount > 0) this.pageIn();
    const entry = this.ready.shift();
    if (entry) {
      this.readyCount -= 1;
      this.readyBytes -= entry.message.bodySize;
    }
    return entry;
  }

  private pickConsumer(): Consumer | undefined {
    return this.consumerRing.pick(this.current.singleActiveConsumer);
  }

  /**
   * basic.get: takes the next ready entry (counted as unacked unless noAck). `countEmpty` false leaves an empty get
   * uncounted (the management API's get, which RabbitMQ does not count as get_empty).
   */
  get(noAck: boolean, countEmpty = true): QueueEntry | undefined {
    this.touch();
    for (;;) {
      const entry = this.takeReady();
      if (!entry) {
        if (countEmpty) {
          this.stats.getEmpty += 1;
          this.runtime.totals.getEmpty += 1;
          this.typeTotals.getEmpty += 1;
        }
        return undefined;
      }
      if (entry.expiresAt !== 0 && entry.expiresAt <= this.runtime.clock.now()) {
        this.expire(entry);
        continue;
      }
      this.countDelivery(entry, noAck ? 'getNoAck' : 'get');
      // Quorum queues put x-delivery-count on every basic.get-ok, 0 the first time.
      if (this.countsDeliveries) entry.delivery = withDeliveryCount(entry.message, entry.deliveryCount);
      if (noAck) this.drop(entry);
      else {
        entry.state = 'out';
        this.unacked += 1;
        if (entry.persisted && !entry.redelivered) this.store!.delivered(entry.seq);
      }
      return entry;
    }
  }

  // ---- settlement --------------------------------------------------------

  /** An unacked entry was acknowledged. */
  settle(entry: QueueEntry): void {
    if (entry.state !== 'out') return;
    this.drop(entry);
    this.unacked -= 1;
    this.stats.acked += 1;
    this.runtime.totals.acked += 1;
    this.typeTotals.acked += 1;
  }

  /** Total ms during which ready messages waited on consumers that could not take them (up to `now`). */
  consumerBlockedMs(now: number): number {
    return this.blockedMs + (this.blockedSince !== 0 && this.readyCount > 0 ? now - this.blockedSince : 0);
  }

  /** Epoch ms at which the oldest ready message arrived, or undefined when none waits (consumer lag). */
  get oldestReadyAt(): number | undefined {
    return this.ready.peek()?.enqueuedAt;
  }

  /** An unacked entry was rejected or nacked without requeue: dead-lettered if configured. */
  reject(entry: QueueEntry): void {
    if (entry.state !== 'out') return;
    this.drop(entry);
    this.unacked -= 1;
    if (!this.deleted) this.events.deadLetter(this, entry.message, 'rejected');
  }

  /** Unacked entries come back, redelivered, each in its original place. */
  requeue(entries: readonly QueueEntry[]): void {
    const limit = this.current.deliveryLimit;
    const now = this.runtime.clock.now();
    const back: QueueEntry[] = [];
    for (const entry of entries) {
      if (entry.state !== 'out') continue;
      this.unacked -= 1;
      if (this.deleted) {
        entry.state = 'gone';
        continue;
      }
      entry.redelivered = true;
      if (this.countsDeliveries) {
        entry.deliveryCount += 1;
        if (limit !== undefined && entry.deliveryCount > limit) {
          this.drop(entry);
          this.events.deadLetter(this, entry.message, 'delivery_limit');
          continue;
        }
      }
      if (entry.expiresAt !== 0 && entry.expiresAt <= now) {
        this.expire(entry);
        continue;
      }
      entry.state = 'ready';
      back.push(entry);
      this.readyCount += 1;
      this.readyBytes += entry.message.bodySize;
    }
    this.ready.putBack(back);
    this.drain();
  }

  // ---- expiry ------------------------------------------------------------

  private scheduleExpiry(entry: QueueEntry): void {
    this.expiry.push(entry);
    if (this.expiryTimer === undefined || entry.expiresAt < this.expiryAt) this.armExpiryTimer(entry.expiresAt);
  }

  private armExpiryTimer(at: number): void {
    if (this.expiryTimer !== undefined) this.runtime.clock.clear(this.expiryTimer);
    this.expiryAt = at;
    this.expiryTimer = this.runtime.clock.setTimeout(() => guarded(this.runtime.reportInternalError, `expiry of queue '${this.name}'`, () => this.expireDue()), Math.max(0, at - this.runtime.clock.now()));
  }

  /** Removes every ready entry whose time has come, without waiting for a consumer to notice. */
  private expireDue(): void {
    this.expiryTimer = undefined;
    if (this.deleted) return;
    const now = this.runtime.clock.now();
    for (let e = this.expiry.peek(); e && e.expiresAt <= now; e = this.expiry.peek()) {
      this.expiry.pop();
      if (e.state !== 'ready') continue;
      this.readyCount -= 1;
      this.readyBytes -= e.message.bodySize;
      this.expire(e);
    }
    const next = this.expiry.peek();
    if (next) this.armExpiryTimer(next.expiresAt);
  }

  /** x-expires: any use (consume, get, passive declare) restarts the idle clock. */
  touch(): void {
    if (this.current.expires !== undefined && this.consumerRing.length === 0) this.armIdleTimer();
  }

  private armIdleTimer(): void {
    const ms = this.current.expires;
    if (ms === undefined) return;
    if (this.idleTimer !== undefined) this.runtime.clock.clear(this.idleTimer);
    this.idleTimer = this.runtime.clock.setTimeout(() => {
      this.idleTimer = undefined;
      guarded(this.runtime.reportInternalError, `x-expires of queue '${this.name}'`, () => {
        if (!this.deleted && this.consumerRing.length === 0) this.events.removeQueue(this);
      });
    }, ms);
  }

  // ---- consumers ---------------------------------------------------------

  addConsumer(consumer: Consumer): void {
    this.consumerRing.add(consumer);
    this.hadConsumer = true;
    if (this.idleTimer !== undefined) {
      this.runtime.clock.clear(this.idleTimer);
      this.idleTimer = undefined;
    }
    this.drain();
  }

  /**
   * Checks a basic.consume before consume-ok is sent: what the queue type refuses (a stream refuses automatic
   * acknowledgement, a missing prefetch, a bad x-stream-offset). Nothing to refuse here.
   */
  checkConsume(_noAck: boolean, _prefetch: number, _args: FieldTable | undefined): void {}

  /** Throws when the type refuses basic.nack and basic.reject of its deliveries (streams); nothing to refuse here. */
  checkNack(): void {}

  /** The message count delete-ok reports (a stream's is 0, as in RabbitMQ). */
  get countOnDelete(): number {
    return this.messageCount;
  }

  /** Removes a consumer; an auto-delete queue goes when its last consumer does. */
  removeConsumer(consumer: Consumer): void {
    const i = this.consumerRing.remove(consumer);
    if (i < 0) return;
    if (this.consumerRing.length === 0) {
      if (this.autoDelete && this.hadConsumer) {
        this.events.removeQueue(this);
        return;
      }
      this.armIdleTimer();
    } else if (i === 0 && this.current.singleActiveConsumer) {
      this.drain();
    }
  }

  findConsumer(tag: string): Consumer | undefined {
    return this.consumerRing.find(tag);
  }

  /** Drops all ready messages; returns how many. */
  purge(): number {
    const count = this.readyCount;
    for (const e of this.ready.clear()) this.drop(e);
    // Persistent paged messages must leave the store too.
    if (this.ready.pagedCount > 0) this.ready.clearPaged((e) => this.drop(e));
    this.expiry.clear();
    this.readyCount = 0;
    this.readyBytes = 0;
    return count;
  }

  /** Ready messages held in memory (the rest are paged out). */
  get inMemoryCount(): number {
    return this.readyCount - this.ready.pagedCount;
  }

  /** Body bytes of the ready messages held in memory. */
  get inMemoryBytes(): number {
    return this.readyBytes - this.ready.pagedBytes;
  }

  /** Messages (ready and unacked) kept in the queue's store, and their body bytes: RabbitMQ's messages_persistent. */
  get persistentCount(): number {
    return this.storedCount;
  }

  get persistentBytes(): number {
    return this.storedBytes;
  }

  /** The timestamp property (seconds) of the next message to be delivered, if it has one. */
  get headMessageTimestamp(): number | undefined {
    return this.ready.peek()?.message.timestamp;
  }

  /** Ready messages paged out to disk, and their body bytes. */
  get pagedOutCount(): number {
    return this.ready.pagedCount;
  }

  get pagedOutBytes(): number {
    return this.ready.pagedBytes;
  }

  /** Ready messages in memory in delivery order, for inspection (management, tests). */
  readyEntries(): QueueEntry[] {
    return this.ready.toArray();
  }

  /** Marks the queue gone and tells its consumers; returns the ready count it had. */
  destroy(): number {
    // The store goes first, without a removal record per message: at boot, a replayed delete followed by a
    // re-declare reopens the same files, which must still hold the later incarnation's messages.
    this.store?.destroy();
    this.ready.destroy();
    const count = this.purge();
    this.deleted = true;
    if (this.expiryTimer !== undefined) this.runtime.clock.clear(this.expiryTimer);
    if (this.idleTimer !== undefined) this.runtime.clock.clear(this.idleTimer);
    const consumers = this.consumerRing.clear();
    for (const c of consumers) c.cancelledByQueue(this);
    return count;
  }
}
