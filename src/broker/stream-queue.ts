// A stream queue: an append-only log every consumer reads on its own from an offset; acks are credit, nothing is removed.
import { long, notImplemented, preconditionFailed, withLongHeader, type FieldTable } from '../protocol/index.js';
import { Message, PROP_FLAG } from './message.js';
import { Queue, type Consumer, type QueueEvents, type QueueOptions } from './queue.js';
import type { QueueEntry } from './queue-entry.js';
import type { QueueSettings } from './queue-arguments.js';
import { STREAM_DEFAULT_SEGMENT_BYTES } from './queue-types/index.js';
import type { StreamLog, StreamReader, StreamRecord, StreamRetention } from './persistence.js';
import type { BrokerRuntime } from './runtime.js';
import { filterValueOf, parseStreamConsume, type StreamFilter, type StreamOffsetSpec } from './stream-arguments.js';

/** Records read from the log at a time for one consumer (what waits beyond its credit stays this small). */
const READ_BATCH = 128;
/** Bytes of bodies read ahead at a time for one consumer. */
const READ_BATCH_BYTES = 1024 * 1024;
/** How often max-age is looked at besides segment rollovers. */
const RETENTION_CHECK_MS = 30_000;

/** What a stream keeps, from its effective arguments (x-max-length-bytes, x-max-age, x-stream-max-segment-size-bytes). */
export function streamRetention(s: QueueSettings): StreamRetention {
  return { maxLengthBytes: s.maxLengthBytes, maxAgeMs: s.maxAge, maxSegmentSizeBytes: s.streamMaxSegmentSizeBytes ?? STREAM_DEFAULT_SEGMENT_BYTES };
}

/** One consumer's place in the stream. */
interface StreamCursorState {
  readonly reader: StreamReader;
  readonly accept: ((filterValue: string | undefined) => boolean) | undefined;
  /** Read from the log, not yet handed over (at most one batch). */
  pending: StreamRecord[];
  pendingAt: number;
  /** Offset of the last message handed over (-1: none yet). */
  lastDelivered: number;
}

/** A stream consumer as the management API shows it. */
export interface StreamConsumerPosition {
  /** Offset of the last message delivered to it, or -1. */
  offset: number;
  /** Messages committed to the stream that it has not been handed yet. */
  lag: number;
}

export class StreamQueue extends Queue {
  readonly log: StreamLog;
  private readonly cursors = new Map<Consumer, StreamCursorState>();
  private readonly streamRuntime: BrokerRuntime;
  private retentionTimer: NodeJS.Timeout | undefined;
  private streamDraining = false;
  private destroying = false;
  private readonly resource: string;

  constructor(name: string, vhost: string, opts: QueueOptions, events: QueueEvents, log: StreamLog) {
    super(name, vhost, opts, events);
    this.log = log;
    this.streamRuntime = opts.runtime;
    this.resource = `queue '${name}' in vhost '${vhost}'`;
    this.retentionTimer = setInterval(() => this.enforceRetention(), RETENTION_CHECK_MS);
    this.retentionTimer.unref();
  }

  /** New effective arguments (a policy changed): the retention ones apply to the log now. */
  override applySettings(next: QueueSettings): void {
    super.applySettings(next);
    if (!this.deleted) this.log.setRetention(streamRetention(next));
  }

  private enforceRetention(): void {
    try {
      this.log.enforceRetention();
    } catch (e) {
      this.streamRuntime.reportInternalError(e, 'stream retention');
    }
  }

  override get messageCount(): number {
    return this.log.stats().messages;
  }

  override get messageBytes(): number {
    return this.log.stats().bytes;
  }

  /** Every message is kept, persistent or not, at the next offset. */
  override enqueue(message: Message, _now?: number): boolean {
    if (this.deleted) return true;
    const filterValue = message.hasFlag(PROP_FLAG.headers) ? filterValueOf(message.properties.headers) : undefined;
    this.log.append(message, filterValue);
    this.stats.published += 1;
    return true;
  }

  /**
   * Checks a basic.consume before consume-ok, as RabbitMQ 3.10.8 answers: automatic acknowledgement is 540, a
   * consumer without a per-consumer prefetch 406 (a global qos does not count), a bad offset spec its answer.
   */
  override checkConsume(noAck: boolean, prefetch: number, args: FieldTable | undefined): void {
    if (noAck) throw notImplemented(`automatic acknowledgement not supported by stream queues ${this.resource}`);
    if (prefetch === 0) throw preconditionFailed(`consumer prefetch count is not set for '${this.resource}'`);
    parseStreamConsume(args, this.resource);
  }

  override addConsumer(consumer: Consumer): void {
    const opts = parseStreamConsume(consumer.arguments, this.resource);
    const reader = this.log.openReader(this.startOffset(opts.offset));
    this.cursors.set(consumer, { reader, accept: acceptor(opts.filter), pending: [], pendingAt: 0, lastDelivered: -1 });
    super.addConsumer(consumer);
  }

  private startOffset(spec: StreamOffsetSpec): number {
    switch (spec.kind) {
      case 'first':
        return this.log.firstOffset;
      case 'last':
        return this.log.lastChunkOffset();
      case 'next':
        return this.log.committedOffset;
      case 'offset':
        return spec.offset;
      case 'timestamp':
        return this.log.offsetAt(spec.at);
    }
  }

  override removeConsumer(consumer: Consumer): void {
    const c = this.cursors.get(consumer);
    if (c) {
      this.cursors.delete(consumer);
      c.reader.close();
    }
    super.removeConsumer(consumer);
  }

  /** Where each consumer is, for the management API and metrics. */
  consumerPosition(consumer: Consumer): StreamConsumerPosition | undefined {
    const c = this.cursors.get(consumer);
    if (!c) return undefined;
    const next = c.pending.length > c.pendingAt ? c.pending[c.pendingAt]!.offset : c.reader.offset;
    return { offset: c.lastDelivered, lag: Math.max(0, this.log.committedOffset - next) };
  }

  /** Hands each consumer what it has credit for, from its own position (called after commits, acks and qos changes). */
  override drain(): void {
    if (this.streamDraining || this.deleted) return;
    this.streamDraining = true;
    try {
      for (const [consumer, c] of this.cursors) this.feed(consumer, c);
    } finally {
      this.streamDraining = false;
    }
  }

  private feed(consumer: Consumer, c: StreamCursorState): void {
    while (consumer.canTake()) {
      if (c.pendingAt >= c.pending.length) {
        if (c.reader.atEnd) return;
        c.pending = c.reader.read(READ_BATCH, READ_BATCH_BYTES, c.accept);
        c.pendingAt = 0;
        // A filtered read may look at a bounded number of messages and find none: go on later, not in a loop here.
        if (c.pending.length === 0) {
          if (!c.reader.atEnd) setImmediate(() => this.drain());
          return;
        }
      }
      const r = c.pending[c.pendingAt]!;
      c.pending[c.pendingAt++] = undefined as unknown as StreamRecord;
      if (c.pendingAt >= c.pending.length) {
        c.pending = [];
        c.pendingAt = 0;
      }
      c.lastDelivered = r.offset;
      this.stats.delivered += 1;
      this.streamRuntime.totals.delivered += 1;
      // Stream consumers over AMQP 0-9-1 always acknowledge (RabbitMQ counts them as manual-ack deliveries).
      this.typeTotals.delivered += 1;
      this.typeTotals.deliver += 1;
      this.unacked += 1;
      consumer.deliver(this, entryOf(r));
    }
  }

  override checkNack(): void {
    throw notImplemented(`basic.nack and basic.reject not supported by stream queues ${this.resource}`);
  }

  override get countOnDelete(): number {
    return 0;
  }

  /**
   * An ack is credit: the consumer may take more; nothing leaves the stream. The entry is shared by every consumer
   * of the record (entryOf) and stays as it is; each delivery is settled once, by the channel that tracks it.
   */
  override settle(_entry: QueueEntry): void {
    this.unacked -= 1;
    this.stats.acked += 1;
    this.streamRuntime.totals.acked += 1;
    this.typeTotals.acked += 1;
  }

  /** Never dead-lettered nor removed (a channel's basic.nack and basic.reject are refused before they get here). */
  override reject(entry: QueueEntry): void {
    this.settle(entry);
  }

  /** Outstanding deliveries of a closed channel or basic.recover: nothing goes back (each consumer has its own cursor). */
  override requeue(entries: readonly QueueEntry[]): void {
    for (const e of entries) this.settle(e);
  }

  override get(): QueueEntry | undefined {
    throw notImplemented(`basic.get not supported by stream queues ${this.resource}`);
  }

  override purge(): number {
    if (this.destroying) return 0;
    throw notImplemented(`queue.purge not supported by stream queues ${this.resource}`);
  }

  override get oldestReadyAt(): number | undefined {
    return undefined;
  }

  override destroy(): number {
    const count = this.messageCount;
    this.destroying = true;
    if (this.retentionTimer !== undefined) clearInterval(this.retentionTimer);
    for (const c of this.cursors.values()) c.reader.close();
    this.cursors.clear();
    this.log.destroy();
    super.destroy();
    return count;
  }
}

function acceptor(filter: StreamFilter | undefined): ((v: string | undefined) => boolean) | undefined {
  if (!filter) return undefined;
  const { values, matchUnfiltered } = filter;
  return (v) => (v === undefined ? matchUnfiltered : values.has(v));
}

/**
 * The entry a stream message is delivered as: its message with the x-stream-offset header (a long) added to its own
 * headers. Made once per record and shared by every consumer handed that record (see StreamRecord.entry): it is
 * never requeued, dead-lettered or expired, and its settlement is only credit, so nothing in it changes per delivery.
 */
function entryOf(r: StreamRecord): QueueEntry {
  let e = r.entry;
  if (e === undefined) {
    const m = r.message;
    e = r.entry = {
      message: m,
      delivery: withOffset(m, r.offset),
      seq: r.offset,
      priority: 0,
      expiresAt: 0,
      redelivered: false,
      state: 'out',
      deliveryCount: 0,
      enqueuedAt: r.timestamp,
      persisted: false,
    };
  }
  return e;
}

/** Spliced into the raw properties (no decode and re-encode per delivery), re-encoded only for unusual flag words. */
function withOffset(m: Message, offset: number): Message {
  const raw = withLongHeader(m.propertiesRaw, 'x-stream-offset', offset);
  if (raw) {
    const d = new Message(m.exchange, m.routingKey, raw, m.body);
    d.routingRaw = m.routingRaw;
    return d;
  }
  const props = m.properties;
  const headers = new Map(props.headers ?? []);
  headers.set('x-stream-offset', long(offset));
  return m.withProperties({ ...props, headers });
}
