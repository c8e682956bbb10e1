// Where errors raised outside any connection go (timers: expiry, queue TTL, delayed messages): logged, never fatal.

/** Receives an exception that no client caused; each broker has its own (its logger), so two brokers never share one. */
export type InternalErrorReporter = (err: unknown, where: string) => void;

/** The reporter of a broker started without a logger (unit tests). */
export const reportToConsole: InternalErrorReporter = (err, where) => {
  console.error(`warren: internal error in ${where}:`, err);
};

/** Runs a timer's work so that an exception is reported instead of taking the process down. */
export function guarded(report: InternalErrorReporter, where: string, work: () => void): void {
  try {
    work();
  } catch (e) {
    report(e, where);
  }
}
