// The shovel's on-confirm window: the source is acked with multiple=true only up to the first unconfirmed publish,
// destination nacks are requeued one by one before that ack, and out-of-order, multiple and unknown confirms are
// handled; checked against a naive model on random confirm orders.
import { describe, expect, it } from 'vitest';
import { ConfirmWindow } from '../../src/shovel/confirm-window.js';

class Sink {
  nacked: number[] = [];
  nackAtSource(tag: number): void {
    this.nacked.push(tag);
  }
}

describe('ConfirmWindow', () => {
  it('releases only the confirmed front; a later confirm waits for the earlier ones', () => {
    const w = new ConfirmWindow();
    const sink = new Sink();
    for (const tag of [11, 12, 13, 14]) w.push(tag);
    w.settle(3, false, true);
    expect(w.release(sink)).toBe(-1);
    w.settle(1, false, true);
    expect(w.release(sink)).toBe(11);
    expect(w.releasedAcks).toBe(1);
    w.settle(2, false, true);
    expect(w.release(sink)).toBe(13);
    expect(w.releasedAcks).toBe(2);
    expect(w.size).toBe(1);
    w.settle(4, true, true);
    expect(w.release(sink)).toBe(14);
    expect(w.size).toBe(0);
    expect(sink.nacked).toEqual([]);
  });

  it('nacks go to the sink in order and the multiple ack names the highest acked tag, never a nacked one', () => {
    const w = new ConfirmWindow();
    const sink = new Sink();
    for (const tag of [1, 2, 3, 4]) w.push(tag);
    w.settle(2, false, false);
    w.settle(4, false, false);
    w.settle(3, true, true); // 1 and 3 (2 is settled already)
    expect(w.release(sink)).toBe(3);
    expect(sink.nacked).toEqual([2, 4]);
    expect([w.releasedAcks, w.releasedNacks]).toEqual([2, 2]);
    w.push(5);
    w.settle(5, false, false);
    expect(w.release(sink)).toBe(-1);
    expect(w.releasedNacks).toBe(1);
  });

  it('ignores confirms for numbers it never handed out or already released', () => {
    const w = new ConfirmWindow();
    const sink = new Sink();
    w.push(7);
    w.settle(9, false, true);
    expect(w.release(sink)).toBe(-1);
    w.settle(9, true, true);
    expect(w.release(sink)).toBe(7);
    w.settle(1, false, false);
    expect(w.release(sink)).toBe(-1);
    expect(sink.nacked).toEqual([]);
  });

  it('grows past its first size and agrees with a naive model on random confirm orders', () => {
    let seed = 42;
    const random = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
    for (let round = 0; round < 20; round++) {
      const w = new ConfirmWindow();
      const sink = new Sink();
      const n = 3000;
      const tags = Array.from({ length: n }, (_, i) => 100 + i * 2);
      for (const t of tags) w.push(t);
      const state: Array<'p' | 'a' | 'n'> = tags.map(() => 'p');
      let released = 0;
      while (released < n) {
        const seq = 1 + Math.floor(random() * n);
        const multiple = random() < 0.2;
        const ack = random() < 0.9;
        w.settle(seq, multiple, ack);
        for (let s = multiple ? 1 : seq; s <= seq; s++) if (state[s - 1] === 'p') state[s - 1] = ack ? 'a' : 'n';
        const tag = w.release(sink);
        let expected = -1;
        while (released < n && state[released] !== 'p') {
          if (state[released] === 'a') expected = tags[released]!;
          released++;
        }
        expect(tag).toBe(expected);
      }
      expect(sink.nacked).toEqual(tags.filter((_, i) => state[i] === 'n'));
      expect(w.size).toBe(0);
    }
  });
});
