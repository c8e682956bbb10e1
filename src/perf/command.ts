// `warren perf`: parses the flags, runs the load test until its limits or Ctrl-C, prints PerfTest's lines on stdout.
import { parsePerfArgs, PERF_HELP } from './options.js';
import { runPerf } from './run.js';

export { PerfUsageError } from './options.js';

/** Runs `warren perf ARGS`; resolves with the exit code. Throws PerfUsageError for a bad command line, Error for a failed run. */
export async function perfCommand(argv: string[], out: (line: string) => void = (l) => void process.stdout.write(l + '\n')): Promise<number> {
  const o = parsePerfArgs(argv);
  if (o === 'help') {
    process.stdout.write(PERF_HELP);
    return 0;
  }
  const stop = new AbortController();
  const onSignal = () => stop.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    await runPerf(o, out, stop.signal);
    return 0;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}
