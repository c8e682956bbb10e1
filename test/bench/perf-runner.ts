// The bench's runner: a warm-up, then each scenario's runs alternating brokers (W R G W R G …), with a timeout per run, summarized as median and min–max.

/** One broker under test, as the runner knows it. */
export interface RunTarget {
  name: string;
}

/** Median and range of one broker's measured runs (values in the scenario's unit). */
export interface Spread {
  median: number;
  min: number;
  max: number;
  runs: number[];
}

/** What a run hands the runner so it can end it: the connections it opened and a hook to fail it on a broker error. */
export interface RunHooks {
  /** Called before each run; returns what to close if the run times out. */
  begin(fail: (e: Error) => void): void;
  /** Called after each run (finished, failed or timed out); `abandon` closes whatever the run left open. */
  end(abandon: boolean): void;
}

export interface MeasureOptions {
  runs: number;
  /** Seconds of the warm-up run per broker (0: none) and of a measured run. */
  warmupSeconds: number;
  seconds: number;
  /** Sets the seconds the scenario functions read. */
  setSeconds(s: number): void;
  /** Milliseconds a run may take beyond its seconds before it counts as hung. */
  graceMs: number;
  hooks: RunHooks;
}

export function spread(values: number[]): Spread {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  const median = sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
  return { median, min: sorted[0]!, max: sorted[sorted.length - 1]!, runs: values };
}

/** Runs `scenario` once against `t` within its deadline: its value, or an Error saying why not. */
async function attempt<T>(t: RunTarget, scenario: (t: RunTarget) => Promise<T>, seconds: number, o: MeasureOptions): Promise<T | Error> {
  let timer: NodeJS.Timeout | undefined;
  let failed: Error | undefined;
  const outcome = new Promise<T | Error>((resolve) => {
    o.hooks.begin((e) => {
      failed = e;
      resolve(e);
    });
    timer = setTimeout(() => resolve(new Error(`no result within ${Math.round(seconds + o.graceMs / 1000)} s (hung)`)), seconds * 1000 + o.graceMs);
    scenario(t).then(resolve, (e: unknown) => resolve(e instanceof Error ? e : new Error(String(e))));
  });
  const result = await outcome;
  clearTimeout(timer);
  o.hooks.end(result instanceof Error || failed !== undefined);
  return result;
}

/**
 * A warm-up run per broker, then `runs` measured runs per broker, alternating brokers. A broker whose run fails or
 * hangs is dropped from the rest of this scenario (undefined in the result: the table prints "—").
 */
export async function measure<T, K extends RunTarget>(
  label: string,
  targets: K[],
  scenario: (t: K) => Promise<T>,
  o: MeasureOptions,
): Promise<Map<string, T[] | undefined>> {
  const out = new Map<string, T[] | undefined>(targets.map((t) => [t.name, []]));
  const drop = (t: K, e: Error) => {
    console.log(`${label}: ${t.name} ${e.message}; "—" in its column`);
    out.set(t.name, undefined);
  };
  const run = scenario as (t: RunTarget) => Promise<T>;
  if (o.warmupSeconds > 0) {
    o.setSeconds(o.warmupSeconds);
    for (const t of targets) {
      const r = await attempt(t, run, o.warmupSeconds, o);
      if (r instanceof Error) drop(t, r);
    }
  }
  o.setSeconds(o.seconds);
  for (let i = 0; i < o.runs; i++) {
    for (const t of targets) {
      const values = out.get(t.name);
      if (values === undefined) continue;
      const r = await attempt(t, run, o.seconds, o);
      if (r instanceof Error) drop(t, r);
      else values.push(r);
    }
  }
  return out;
}
