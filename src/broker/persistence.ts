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
  /** The next entries in arrival order: up to `max`, and stopping once their bodies reach `maxBytes` (at least one). */
  read(max: number, maxBytes: number): QueueEntry[];
  /** Drops everything paged (purge). */
  clear(): void;
  destroy(): void;
}

/** How many ready messages (and bytes) a queue keeps in memory before paging the rest to disk. */
export interface PagingWindow {
  messages: number;
  bytes: number;
}

/** Provides queue stores and the group commit that publisher confirms wait for. */
export interface MessagePersistence {
  readonly pagingWindow: PagingWindow;
  /** A page file for a queue (created on first use; not kept across restarts). */
  openPageFile(vhost: string, queue: string): PageFile;
  /** Opens (or creates) the store of a durable queue; `recovered` is what it held, in order. */
  openQueue(vhost: string, queue: string): { store: QueueStore; recovered: RecoveredMessages };
  /** Opens (or creates) the store of a durable x-delayed-message exchange; `recovered` is what still waits. */
  openDelayed(vhost: string, exchange: string): { store: DelayedStore; recovered: RecoveredDelayed[]; lastId: number };
  /** True when writes were buffered since the last call (a confirm must wait for the next sync). */
  takeDirty(): boolean;
  /** Calls back once everything written so far is on disk (fdatasync), or with the write error. */
  whenSynced(callback: (err: Error | undefined) => void): void;
}
