// What a broker hands down to its vhosts and queues that belongs to it and not to the process: totals, error reporter.
import type { InternalErrorReporter } from './internal-errors.js';
import type { BrokerTotals } from './stats.js';

export interface BrokerRuntime {
  /** The broker's message totals (rabbitmq_global_*). */
  readonly totals: BrokerTotals;
  /** Where timer work that throws is reported (the broker's logger). */
  readonly reportInternalError: InternalErrorReporter;
}
