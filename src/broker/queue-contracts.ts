// What a queue agrees on with the rest of the broker: the Consumer it serves, the QueueOptions it is made with, the
// QueueEvents it reports to its vhost, and why a message leaves it for its dead-letter exchange.
import type { FieldTable } from '../protocol/index.js';
import type { Message } from './message.js';
import type { PageFile, PagingWindow, QueueStore, RecoveredMessages, StoredMessages } from './persistence.js';
import type { QueueSettings } from './queue-arguments.js';
import type { Queue } from './queue.js';
import type { QueueEntry } from './queue-entry.js';
import type { BrokerRuntime } from './runtime.js';

/** Why a message leaves a queue for its dead-letter exchange (RabbitMQ's x-death reasons). */
export type DeadLetterReason = 'rejected' | 'expired' | 'maxlen' | 'delivery_limit';

/** What a queue needs from a consumer; the server's channel implements it. */
export interface Consumer {
  readonly tag: string;
  readonly noAck: boolean;
  readonly exclusive: boolean;
  /** x-priority: higher-priority consumers are served first while they have capacity. */
  readonly priority: number;
  /** Owning connection's id (for exclusive-queue checks). */
  readonly connectionId: number;
  /** basic.consume's arguments (a stream consumer's x-stream-offset and filter). */
  readonly arguments?: FieldTable | undefined;
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
  /** What the queue acts on, parsed from `arguments` (see queue-arguments.ts). */
  settings: QueueSettings;
  /** Owning connection for exclusive queues. */
  owner: number | undefined;
  /** Where a durable queue keeps persistent messages, with what it held before a restart. */
  persistence?: { store: QueueStore; recovered: RecoveredMessages } | undefined;
  /** Where ready messages beyond the memory window wait: page files (one per priority level in use), opened on demand. */
  paging?: { open: (stored?: () => StoredMessages) => PageFile; window: PagingWindow } | undefined;
  /** The owning broker's totals and error reporter. */
  runtime: BrokerRuntime;
}

/** How a queue reaches its vhost: deletion requests and dead-lettering. */
export interface QueueEvents {
  /** Auto-delete after the last consumer, or x-expires after the idle interval. */
  removeQueue(queue: Queue): void;
  deadLetter(queue: Queue, message: Message, reason: DeadLetterReason): void;
}
