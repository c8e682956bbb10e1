// The ready store puts requeued entries back in arrival order per priority level, checked against a plain sort.
import { describe, expect, it } from 'vitest';
import type { Message } from '../../src/broker/message.js';
import type { QueueEntry } from '../../src/broker/queue-entry.js';
import { ReadyStore } from '../../src/broker/ready-store.js';

function entry(seq: number, priority: number): QueueEntry {
  return {
    message: {} as Message,
    delivery: undefined,
    seq,
    priority,
    expiresAt: 0,
    redelivered: false,
    state: 'ready',
    deliveryCount: 0,
    enqueuedAt: 0,
    persisted: false,
  };
}

/** Seeded xorshift, so a failure replays. */
function random(seed: number): () => number {
  let x = seed;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 0x100000000;
  };
}

function drain(store: ReadyStore): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  for (let e = store.shift(); e; e = store.shift()) out.push([e.priority, e.seq]);
  return out;
}

describe('ReadyStore.putBack', () => {
  for (const levels of [1, 4]) {
    it(`restores arrival order within each of ${levels} level(s) for random take-and-requeue patterns`, () => {
      const rnd = random(levels * 7919);
      for (let round = 0; round < 200; round++) {
        const store = new ReadyStore(levels - 1);
        const all: QueueEntry[] = [];
        const n = 1 + Math.floor(rnd() * 60);
        for (let seq = 0; seq < n; seq++) {
          const e = entry(seq, Math.floor(rnd() * levels));
          all.push(e);
          store.push(e);
        }
        // Take some from the front (as deliveries), then requeue a random subset in a shuffled order, twice.
        for (let pass = 0; pass < 2; pass++) {
          const taken: QueueEntry[] = [];
          const take = Math.floor(rnd() * n);
          for (let i = 0; i < take; i++) {
            const e = store.shift();
            if (e) taken.push(e);
          }
          const back = taken.filter(() => rnd() < 0.6).sort(() => rnd() - 0.5);
          store.putBack(back);
          const kept = new Set(back);
          for (const e of taken) if (!kept.has(e)) e.state = 'gone';
        }
        const expected = all
          .filter((e) => e.state === 'ready')
          .sort((a, b) => b.priority - a.priority || a.seq - b.seq)
          .map((e) => [e.priority, e.seq]);
        expect(drain(store)).toEqual(expected);
      }
    });
  }

  it('puts 1000 requeued entries back into a 200,000-entry level by one merge', () => {
    const store = new ReadyStore(0);
    const first = Array.from({ length: 2000 }, (_, i) => entry(i, 0));
    for (const e of first) store.push(e);
    for (let seq = 2000; seq < 202_000; seq++) store.push(entry(seq, 0));
    // Deliver the first 2000, requeue every other one: each lands before the rest, in order.
    for (let i = 0; i < 2000; i++) store.shift();
    store.putBack(first.filter((_, i) => i % 2 === 0).reverse());
    const out = drain(store);
    expect(out).toHaveLength(201_000);
    expect(out.slice(0, 3)).toEqual([[0, 0], [0, 2], [0, 4]]);
    expect(out.every(([, s], i) => i === 0 || s > out[i - 1]![1])).toBe(true);
  });
});
