// A quick protocol fuzz run for `make test`: random and mutated frames over many connections while a well-behaved
// client and a bystander consumer keep working. `make fuzz` is the long run; WARREN_FUZZ_SEED replays this one.
import { describe, expect, it } from 'vitest';
import { formatReport, runFuzz } from '../fuzz/fuzz.js';

const seconds = Number(process.env.WARREN_FUZZ_SECONDS ?? 15);

describe('fuzz', () => {
  it(
    `survives ${seconds} s of bad input: no crash, no hang, no leak, well-behaved clients undisturbed`,
    async () => {
      expect.hasAssertions();
      const report = await runFuzz({ seconds, log: (line) => console.log(line) });
      console.log(formatReport(report));
      // One line per kind of failure (the full report with traces and replay seeds is printed above).
      expect(Object.entries(report.failureKinds).map(([kind, k]) => `${k.count}x ${kind}`)).toEqual([]);
      expect(report.connections).toBeGreaterThan(50);
      expect(report.wellBehaved.received).toBeGreaterThan(0);
      expect(report.wellBehaved.received).toBe(report.wellBehaved.confirmed);
    },
    (seconds + 60) * 1000,
  );
});
