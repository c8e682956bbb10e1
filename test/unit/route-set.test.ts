// The publish's scratch set of destinations: each once, in the order found, below and above the scan limit, reused.
import { describe, expect, it } from 'vitest';
import type { Destination } from '../../src/broker/exchanges/exchange-type.js';
import { RouteSet } from '../../src/broker/route-set.js';

const dest = (n: number) => ({ name: `d${n}` }) as unknown as Destination;
const list = (s: RouteSet) => Array.from({ length: s.size }, (_, i) => (s.at(i) as unknown as { name: string }).name);

describe('RouteSet', () => {
  it('keeps each destination once in the order first added, as a Set would, for small and large fan-outs', () => {
    expect.hasAssertions();
    const s = new RouteSet();
    for (const n of [1, 3, 40]) {
      const ds = Array.from({ length: n }, (_, i) => dest(i));
      const order = [...ds, ...ds.slice().reverse(), ...ds];
      const reference = new Set<Destination>();
      for (const d of order) {
        s.add(d);
        reference.add(d);
      }
      expect(list(s)).toEqual([...reference].map((d) => (d as unknown as { name: string }).name));
      s.clear();
      expect(s.size).toBe(0);
    }
  });

  it('can be walked while it grows, and holds nothing after clear', () => {
    expect.hasAssertions();
    const s = new RouteSet();
    const ds = Array.from({ length: 30 }, (_, i) => dest(i));
    s.add(ds[0]!);
    for (let i = 0; i < s.size; i++) if (i + 1 < ds.length) s.add(ds[i + 1]!);
    expect(s.size).toBe(30);
    s.clear();
    expect(s.at(0)).toBeUndefined();
    s.add(ds[5]!);
    s.add(ds[5]!);
    expect(list(s)).toEqual(['d5']);
  });
});
