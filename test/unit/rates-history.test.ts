// The management API's samples kept as runs of equal values: rates, samples and the minute's window as before.
import { describe, expect, it } from 'vitest';
import { SAMPLE_MS, details, idleSince, isoTime, record } from '../../src/http/rates.js';

const T0 = 1_700_000_000_000;
const at = (i: number) => T0 + i * SAMPLE_MS;

describe('sample history', () => {
  it("dates idle_since from the first sample after the last change, once an interval went by without one", () => {
    const key = {};
    const created = at(0) - 1234;
    expect(idleSince(key, created)).toBeUndefined(); // not sampled yet
    record(key, at(0), { publish: 0, messages: 0 });
    expect(idleSince(key, created)).toBe(created); // never active: idle since it was made
    record(key, at(1), { publish: 3, messages: 3 });
    expect(idleSince(key, created)).toBeUndefined(); // it changed in the last interval
    record(key, at(2), { publish: 3, messages: 2 });
    expect(idleSince(key, created)).toBeUndefined(); // a length changed: still active
    record(key, at(3), { publish: 3, messages: 2 });
    expect(idleSince(key, created)).toBe(at(2));
    record(key, at(4), { publish: 3, messages: 2 });
    expect(idleSince(key, created)).toBe(at(2));
    expect(isoTime(at(2))).toBe(new Date(at(2)).toISOString().replace('Z', '+00:00'));
    expect(isoTime(Date.UTC(2026, 11, 8, 3, 38, 56, 128))).toBe('2026-12-08T03:38:56.128+00:00');
  });

  it('gives a rate of 0 over a run of equal samples and the change per second after one differs', () => {
    const key = {};
    for (let i = 0; i < 5; i++) record(key, at(i), { publish: 10 });
    expect(details(key, 'publish', undefined)).toEqual({ rate: 0 });
    record(key, at(5), { publish: 60 });
    expect(details(key, 'publish', undefined)).toEqual({ rate: 10 });
    record(key, at(6), { publish: 60 });
    expect(details(key, 'publish', undefined)).toEqual({ rate: 0 });
  });

  it('measures the rate over a gap when a sampling tick was missed', () => {
    const key = {};
    record(key, at(0), { publish: 0 });
    record(key, at(2), { publish: 100 });
    expect(details(key, 'publish', undefined)).toEqual({ rate: 10 });
  });

  it('answers a window with each sample at its own time, newest first, and 0 before the first', () => {
    const key = {};
    record(key, at(0), { messages: 1 });
    record(key, at(1), { messages: 1 });
    record(key, at(2), { messages: 4 });
    record(key, at(3), { messages: 4 });
    const d = details(key, 'messages', { age: 20, incr: 5 }) as { samples: Array<{ sample: number; timestamp: number }>; avg: number };
    expect(d.samples).toEqual([
      { sample: 4, timestamp: at(3) },
      { sample: 4, timestamp: at(2) },
      { sample: 1, timestamp: at(1) },
      { sample: 1, timestamp: at(0) },
      { sample: 0, timestamp: at(-1) },
    ]);
    expect(d.avg).toBe(2);
  });

  it('lets a second sample at the same instant replace the first, inside a run too', () => {
    const key = {};
    record(key, at(0), { publish: 5 });
    record(key, at(1), { publish: 5 });
    record(key, at(1), { publish: 10 });
    expect(details(key, 'publish', undefined)).toEqual({ rate: 1 });
    const d = details(key, 'publish', { age: 5, incr: 5 }) as { samples: Array<{ sample: number }> };
    expect(d.samples.map((s) => s.sample)).toEqual([10, 5]);
  });

  it('keeps a minute of samples: older ones read as 0 once dropped, however long the run', () => {
    const key = {};
    for (let i = 0; i < 30; i++) record(key, at(i), { messages: i < 20 ? 7 : 9 });
    const d = details(key, 'messages', { age: 100, incr: 5 }) as { samples: Array<{ sample: number; timestamp: number }> };
    // 13 samples kept (at(17)…at(29)): 10 of 9, 3 of 7, then 0 for the ones before.
    expect(d.samples.filter((s) => s.sample === 9)).toHaveLength(10);
    expect(d.samples.filter((s) => s.sample === 7).map((s) => s.timestamp)).toEqual([at(19), at(18), at(17)]);
    expect(d.samples.filter((s) => s.sample === 0)).toHaveLength(21 - 13);
  });
});

describe('sample history of an object idle so far', () => {
  it('measures the first change against the last all-zero sample, and answers windows at its sample times', () => {
    const key = {};
    record(key, at(0), { publish: 0 });
    record(key, at(1), { publish: 0 });
    const idle = details(key, 'publish', { age: 5, incr: 5 }) as { rate: number; samples: Array<{ sample: number; timestamp: number }> };
    expect(idle.rate).toBe(0);
    expect(idle.samples).toEqual([
      { sample: 0, timestamp: at(1) },
      { sample: 0, timestamp: at(0) },
    ]);
    record(key, at(2), { publish: 25 });
    expect(details(key, 'publish', undefined)).toEqual({ rate: 5 });
  });

  it('gives a first non-zero sample with none before it a rate of 0', () => {
    const key = {};
    record(key, at(0), { publish: 25 });
    expect(details(key, 'publish', undefined)).toEqual({ rate: 0 });
  });
});
