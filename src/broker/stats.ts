// Message counters for rates and metrics: plain integer increments, nothing else on the hot path.

/** Counts of one queue (or of the whole broker) since start. */
export interface MessageCounters {
  /** Messages accepted into the queue (or received by the broker). */
  published: number;
  /** Deliveries to consumers plus basic.get-ok. */
  delivered: number;
  /** Of those, redeliveries. */
  redelivered: number;
  /** Deliveries acknowledged. */
  acked: number;
}

export function newCounters(): MessageCounters {
  return { published: 0, delivered: 0, redelivered: 0, acked: 0 };
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
