// What the broker needs from durable storage; src/store implements these interfaces.
import type { Message } from './message.js';
import type { QueueEntry } from './queue-entry.js';

/** Stores one durable queue's persistent messages and their settlement. */
export interface QueueStore {
  /** Records a persistent message entering the queue at `seq`. Buffered; made durable by the next sync. */
  append(seq: number, message: Message, expiresAt: number): void;
  /** The message at `seq` left the queue for good (acked, rejected, expired, dropped, purged). */
  remove(seq: number): void;
  /** The message at `seq` was handed to a consumer (it comes back with `redelivered` after a restart). */
  delivered(seq: number): void;
  /** The queue was deleted: its files go. */
  destroy(): void;
  /** A reader of the messages it holds by sequence number (a page file keeps only references to them). */
  openReader?(): StoredMessages;
}

/** Reads a durable queue's own stored messages back by sequence number, in ascending order (paged entries). */
export interface StoredMessages {
  /** The message stored at `seq`; undefined when its record is not there (dropped by a failed write: it was nacked). */
  read(seq: number): Message | undefined;
  close(): void;
}

/**
 * What a durable queue held at boot, in queue order. Only counts are known up front: the messages are read from
 * disk when asked for, so a large backlog is not loaded (nor copied to a page file) at startup.
 */
export interface RecoveredMessages {
  /** Messages not read yet, and their body bytes (lower than announced if a record turns out corrupt). */
  readonly remaining: number;
  readonly remainingBytes: number;
  /**
   * Highest sequence number the store still knows of, settled messages included (-1 if none): new messages continue
   * after it (a settlement kept on disk must never name a new message).
   */
  readonly lastSeq: number;
  /** The next messages: up to `max`, stopping once their bodies reach `maxBytes` (at least one while any are left). */
  read(max: number, maxBytes: number): RecoveredMessage[];
  /** Nothing more will be read (the queue was purged or deleted). */
  close(): void;
}

/** A recovered message, in queue order. */
export interface RecoveredMessage {
  seq: number;
  message: Message;
  redelivered: boolean;
  /** Epoch ms it expires at (0: never), as computed when it was first enqueued. */
  expiresAt: number;
}

/** Persistent messages waiting in one durable x-delayed-message exchange, each under an ascending id with its due time. */
export interface DelayedStore {
  /** Buffered like a queue append: made durable by the next sync (the publisher's confirm waits for it). */
  append(id: number, message: Message, dueAt: number): void;
  /** The message was routed (or dropped): it must not come back. */
  remove(id: number): void;
  /** The exchange was deleted: its files go. */
  destroy(): void;
}

/** A recovered delayed message, in id (publish) order. */
export interface RecoveredDelayed {
  id: number;
  /** As it will be routed: x-delay already negated. */
  message: Message;
  /** Epoch ms it is due at. */
  dueAt: number;
}

/** Where a queue's ready messages beyond its memory window wait, in order (transient and persistent alike). */
export interface PageFile {
  append(entry: QueueEntry): void;
  /**
   * Entries read from the file whose message could not be read back (a reference to a stored record that is gone),
   * with their body bytes, since the last call: the queue's counts drop by these.
   */
  takeLost?(): { count: number; bytes: number };
  /** The next entries in arrival order: up to `max`, and stopping once their bodies reach `maxBytes` (at least one). */
  read(max: number, maxBytes: number): QueueEntry[];
  /** Drops everything paged (purge). */
  clear(): void;
  destroy(): void;
}

/**
 * How many ready messages (and bytes) a queue keeps in memory before paging the rest to disk: `messages`/`bytes` while
 * it has consumers, `idleMessages`/`idleBytes` (when set, smaller) while it has none (messages nobody waits for need not
 * sit in memory; a first consumer's arrival refills the full window from disk).
 */
export interface PagingWindow {
  messages: number;
  bytes: number;
  idleMessages?: number;
  idleBytes?: number;
}

/** How much a stream keeps and how it cuts its log into segment files (RabbitMQ's x-max-length-bytes, x-max-age, …). */
export interface StreamRetention {
  /** Whole segments go from the head while the log is larger than this (undefined: no limit). */
  maxLengthBytes: number | undefined;
  /** Whole segments go from the head once their newest message is older than this many ms (undefined: no limit). */
  maxAgeMs: number | undefined;
  /** A new segment file is started once the current one reaches this size. */
  maxSegmentSizeBytes: number;
}

/** What a stream holds now, for the management API and metrics. */
export interface StreamStats {
  /** Messages between the first offset still kept and the committed end. */
  messages: number;
  /** Bytes of its segment files (and their indexes) on disk. */
  bytes: number;
  segments: number;
  firstOffset: number;
  /** Offset the next message will get. */
  nextOffset: number;
}

/**
 * One stream's append-only log: every message gets the next offset (0, 1, 2, …) and stays until retention drops the
 * whole segment holding it. Readers see only what a sync has put on disk (the committed part), in order.
 */
export interface StreamLog {
  /** First offset still in the log (retention moves it forward; offsets never change). */
  readonly firstOffset: number;
  /** Every offset below this is on disk: readers see these only. */
  readonly committedOffset: number;
  /** Offset the next appended message gets. */
  readonly nextOffset: number;
  /**
   * Appends a message (buffered; durable with the next sync, which confirms wait for) and returns its offset.
   * `filterValue` is its x-stream-filter-value, kept beside it so readers can filter without decoding it.
   */
  append(message: Message, filterValue: string | undefined): number;
  /** Offset of the first message of the last committed chunk (RabbitMQ's `last`); committedOffset when empty. */
  lastChunkOffset(): number;
  /** First offset whose message was appended at or after `timestamp` (epoch ms); committedOffset if none is. */
  offsetAt(timestamp: number): number;
  /** A cursor at `offset` (clamped to the kept range): it reads from disk as asked, holding nothing else. */
  openReader(offset: number): StreamReader;
  setRetention(retention: StreamRetention): void;
  /** Drops whole head segments that retention no longer keeps (also done whenever a segment fills up). */
  enforceRetention(now?: number): void;
  stats(): StreamStats;
  /** The stream was deleted: its files go. */
  destroy(): void;
}

/** A committed stream message as a reader returns it. */
export interface StreamRecord {
  readonly offset: number;
  /** Epoch ms at which it was appended. */
  readonly timestamp: number;
  readonly message: Message;
  /** Body bytes (known without decoding the message). */
  readonly bodySize: number;
  /**
   * The queue entry consumers are handed for it (its message with the x-stream-offset header), made by the stream
   * queue on first delivery and kept here: every reader of the stream that gets it from the log's shared windows gets
   * the same record object, so ten consumers cost one entry.
   */
  entry: QueueEntry | undefined;
}

/** A position in a stream that moves forward as it reads. */
export interface StreamReader {
  /** Offset of the next message it returns (it skips ahead when retention removed what it was at). */
  readonly offset: number;
  /** True when it has read everything committed: more comes after the stream's next commit. */
  readonly atEnd: boolean;
  /**
   * Up to `max` committed messages from its position, stopping once their bodies reach `maxBytes` (at least one
   * while any are left). With `accept`, a message whose filter value it refuses is skipped undecoded; a call then
   * returns after looking at a bounded number of messages, maybe with none (call again unless atEnd).
   */
  read(max: number, maxBytes: number, accept?: (filterValue: string | undefined) => boolean): StreamRecord[];
  close(): void;
}

/** Provides queue stores and the group commit that publisher confirms wait for. */
export interface MessagePersistence {
  readonly pagingWindow: PagingWindow;
  /** A page file for a queue (created on first use; not kept across restarts). */
  openPageFile(vhost: string, queue: string, stored?: () => StoredMessages): PageFile;
  /** Opens (or creates) the store of a durable queue; `recovered` is what it held, in order. */
  openQueue(vhost: string, queue: string): { store: QueueStore; recovered: RecoveredMessages };
  /** Opens (or creates) the store of a durable x-delayed-message exchange; `recovered` is what still waits. */
  openDelayed(vhost: string, exchange: string): { store: DelayedStore; recovered: RecoveredDelayed[]; lastId: number };
  /**
   * Opens (or creates) a stream's log. `onCommit` is called (from a sync callback) whenever more of it reached the
   * disk, so waiting readers can go on.
   */
  openStream(vhost: string, queue: string, retention: StreamRetention, onCommit: () => void): StreamLog;
  /** True when writes were buffered since the last call (a confirm must wait for the next sync). */
  takeDirty(): boolean;
  /** Calls back once everything written so far is on disk (fdatasync), or with the write error. */
  whenSynced(callback: (err: Error | undefined) => void): void;
}
