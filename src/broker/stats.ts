// Message counters for rates and metrics: plain integer increments, nothing else on the hot path.

/** Counts of one queue, one channel, one vhost's closed channels, or of the whole broker, since start. */
export interface MessageCounters {
  /** Messages accepted into the queue (or received by the broker / published on the channel). */
  published: number;
  /** Deliveries to consumers plus basic.get-ok (RabbitMQ's deliver_get). */
  delivered: number;
  /** Of those, redeliveries. */
  redelivered: number;
  /** Deliveries acknowledged. */
  acked: number;
  /** Of `delivered`: to consumers in manual-ack mode, to no-ack consumers, basic.get-ok with and without ack. */
  deliver: number;
  deliverNoAck: number;
  get: number;
  getNoAck: number;
  /** basic.get on an empty queue. */
  getEmpty: number;
  /** Publisher confirms sent (basic.ack to the publisher). */
  confirm: number;
  /** Mandatory publishes returned unroutable (basic.return). */
  returnUnroutable: number;
  /** Publishes that reached no queue and were dropped. */
  dropUnroutable: number;
}

export function newCounters(): MessageCounters {
  return { published: 0, delivered: 0, redelivered: 0, acked: 0, deliver: 0, deliverNoAck: 0, get: 0, getNoAck: 0, getEmpty: 0, confirm: 0, returnUnroutable: 0, dropUnroutable: 0 };
}

/** Adds `from` into `into` (a closed channel's counts into its vhost's). */
export function addCounters(into: MessageCounters, from: MessageCounters): void {
  for (const k of Object.keys(from) as Array<keyof MessageCounters>) into[k] += from[k];
}

/** Upper bounds of the message size histogram (RabbitMQ 3.13's rabbitmq_message_size_bytes): 64 B, then ×4 up to 256 MiB. */
export const MESSAGE_SIZE_BUCKETS: readonly number[] = [64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304, 16777216, 67108864, 268435456];

/** The histogram bucket of a body size (the last index is +Inf): two shifts, no loop. */
export function messageSizeBucket(size: number): number {
  if (size <= 64) return 0;
  const i = (33 - Math.clz32(size - 1) - 6) >> 1;
  return i < MESSAGE_SIZE_BUCKETS.length ? i : MESSAGE_SIZE_BUCKETS.length;
}

/** Login attempts of one protocol. */
export interface AuthCounts {
  succeeded: number;
  failed: number;
}

/** Why a message was dead-lettered (RabbitMQ's reason label and x-death reason). */
type DeadLetterCounts = { expired: number; rejected: number; maxlen: number; delivery_limit: number };

/**
 * The counts of one queue type (RabbitMQ's `queue_type` label): deliveries, acks and empty gets, and messages that
 * left a queue dead-lettered, by strategy: `at_most_once` to a dead-letter exchange, `disabled` dropped without one.
 */
export interface QueueTypeTotals {
  delivered: number;
  deliver: number;
  deliverNoAck: number;
  get: number;
  getNoAck: number;
  getEmpty: number;
  redelivered: number;
  acked: number;
  deadLettered: { at_most_once: DeadLetterCounts; disabled: DeadLetterCounts };
}

const newDeadLetterCounts = (): DeadLetterCounts => ({ expired: 0, rejected: 0, maxlen: 0, delivery_limit: 0 });

function newQueueTypeTotals(): QueueTypeTotals {
  return { delivered: 0, deliver: 0, deliverNoAck: 0, get: 0, getNoAck: 0, getEmpty: 0, redelivered: 0, acked: 0, deadLettered: { at_most_once: newDeadLetterCounts(), disabled: newDeadLetterCounts() } };
}

/** Totals of one broker (rabbitmq_global_* series); each broker has its own, so brokers in one process never add up. */
export interface BrokerTotals extends MessageCounters {
  /** The queue-side counts again, by queue type (a queue holds its type's object and increments it beside these). */
  byQueueType: { classic: QueueTypeTotals; quorum: QueueTypeTotals; stream: QueueTypeTotals };
  /** Messages that left a queue for a dead-letter exchange, by reason. */
  deadLettered: { expired: number; rejected: number; maxlen: number; delivery_limit: number };
  /** Messages dropped because they reached no queue. */
  unroutable: number;
  /** Messages routed to at least one queue. */
  routed: number;
  /** Messages received on channels in confirm mode. */
  receivedConfirm: number;
  connectionsOpened: number;
  connectionsClosed: number;
  channelsOpened: number;
  channelsClosed: number;
  /** queue.declare calls (redeclares too), queues made, queues deleted. */
  queuesDeclared: number;
  queuesCreated: number;
  queuesDeleted: number;
  /** Logins over AMQP and over the management API. */
  auth: { amqp091: AuthCounts; http: AuthCounts };
  /** Published body sizes: counts per bucket of MESSAGE_SIZE_BUCKETS (the last one is beyond them), and their sum. */
  messageSizes: number[];
  messageSizeSum: number;
}

export function newBrokerTotals(): BrokerTotals {
  return {
    ...newCounters(),
    byQueueType: { classic: newQueueTypeTotals(), quorum: newQueueTypeTotals(), stream: newQueueTypeTotals() },
    deadLettered: { expired: 0, rejected: 0, maxlen: 0, delivery_limit: 0 },
    unroutable: 0,
    routed: 0,
    receivedConfirm: 0,
    connectionsOpened: 0,
    connectionsClosed: 0,
    channelsOpened: 0,
    channelsClosed: 0,
    queuesDeclared: 0,
    queuesCreated: 0,
    queuesDeleted: 0,
    auth: { amqp091: { succeeded: 0, failed: 0 }, http: { succeeded: 0, failed: 0 } },
    messageSizes: new Array<number>(MESSAGE_SIZE_BUCKETS.length + 1).fill(0),
    messageSizeSum: 0,
  };
}
