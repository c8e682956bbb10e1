// Where errors raised outside any connection go (timers: expiry, queue TTL, delayed messages): logged, never fatal.

/** Replaced by the program's wiring with its logger. */
export const internalErrors = {
  report(err: unknown, where: string): void {
    console.error(`warren: internal error in ${where}:`, err);
  },
};

/** Runs a timer's work so that an exception is reported instead of taking the process down. */
export function guarded(where: string, work: () => void): void {
  try {
    work();
  } catch (e) {
    internalErrors.report(e, where);
  }
}
