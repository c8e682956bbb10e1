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

/** Totals of one broker (rabbitmq_global_* series); each broker has its own, so brokers in one process never add up. */
export interface BrokerTotals extends MessageCounters {
  /** Messages that left a queue for a dead-letter exchange, by reason. */
  deadLettered: { expired: number; rejected: number; maxlen: number; delivery_limit: number };
  /** Messages dropped because they reached no queue. */
  unroutable: number;
}

export function newBrokerTotals(): BrokerTotals {
  return { ...newCounters(), deadLettered: { expired: 0, rejected: 0, maxlen: 0, delivery_limit: 0 }, unroutable: 0 };
}
