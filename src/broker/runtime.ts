// What a broker hands down to its vhosts and queues that belongs to it and not to the process: totals, error reporter, clock.
import type { Clock } from './clock.js';
import type { InternalErrorReporter } from './internal-errors.js';
import type { BrokerTotals } from './stats.js';

export interface BrokerRuntime {
  /** The broker's message totals (rabbitmq_global_*). */
  readonly totals: BrokerTotals;
  /** Where timer work that throws is reported (the broker's logger). */
  readonly reportInternalError: InternalErrorReporter;
  /** The clock of every broker timer and timestamp (TTL, expiry, delays, consumer timeouts, dead-letter times). */
  readonly clock: Clock;
}
