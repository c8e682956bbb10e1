// warren perf's latency histogram: fixed buckets, exact for small values, within 1% above, percentiles as PerfTest's.
import { describe, expect, it } from 'vitest';
import { bucketOf, LatencyHistogram, lowestOf } from '../../src/perf/histogram.js';

describe('latency histogram', () => {
  it('maps values to buckets that contain them, in order', () => {
    let last = -1;
    for (const v of [0, 1, 127, 255, 256, 257, 511, 512, 1000, 65_535, 1e6, 2 ** 31, 2 ** 32 - 1]) {
      const b = bucketOf(v);
      expect(b).toBeGreaterThanOrEqual(last);
      expect(lowestOf(b)).toBeLessThanOrEqual(v);
      expect(lowestOf(b + 1)).toBeGreaterThan(v);
      // A bucket is at most 1/128 of its values wide (exact below 256).
      expect(lowestOf(b + 1) - lowestOf(b)).toBeLessThanOrEqual(Math.max(1, v / 128));
      last = b;
    }
  });

  it('is exact for values under 256 µs', () => {
    const h = new LatencyHistogram();
    for (let v = 1; v <= 200; v++) h.record(v);
    expect(h.summary()).toEqual([1, 100, 150, 190, 198]);
    expect(h.count).toBe(200);
  });

  it('gives percentiles within 1% over a wide range', () => {
    const h = new LatencyHistogram();
    const values: number[] = [];
    let x = 12345;
    for (let i = 0; i < 100_000; i++) {
      x = (x * 1103515245 + 12345) % 2 ** 31;
      const v = Math.floor(Math.exp((x / 2 ** 31) * Math.log(5e6)));
      values.push(v);
      h.record(v);
    }
    values.sort((a, b) => a - b);
    for (const q of [0.5, 0.75, 0.95, 0.99]) {
      const exact = values[Math.ceil(q * values.length) - 1]!;
      expect(Math.abs(h.percentile(q) - exact)).toBeLessThanOrEqual(Math.max(1, exact * 0.01));
    }
    expect(h.min).toBe(values[0]);
    expect(h.max).toBe(values[values.length - 1]);
  });

  it('resets, adds, clamps, and reports zeros when empty', () => {
    const h = new LatencyHistogram();
    expect(h.summary()).toEqual([0, 0, 0, 0, 0]);
    h.record(-5);
    h.record(1e12);
    expect(h.min).toBe(0);
    expect(h.max).toBe(2 ** 32 - 1);
    const other = new LatencyHistogram();
    other.record(10);
    h.add(other);
    expect(h.count).toBe(3);
    expect(h.percentile(0.5)).toBe(10);
    h.reset();
    expect(h.count).toBe(0);
    expect(h.summary()).toEqual([0, 0, 0, 0, 0]);
  });
});
