// The busy wait after socket input: it polls while input keeps coming, stops after a quiet window, never spins when off.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { setImmediate as realImmediate } from 'node:timers';
import { BusyWait } from '../../src/server/busy-wait.js';

const turn = () => new Promise<void>((r) => realImmediate(r));
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

describe('BusyWait', () => {
  afterEach(() => vi.useRealTimers());

  it('keeps the loop turning while input comes, then stops after the window', async () => {
    const bw = new BusyWait(20_000);
    expect(bw.spinning).toBe(false);
    bw.touch();
    expect(bw.spinning).toBe(true);
    // Input on every turn for 60 ms (three windows): the spin goes on.
    const until = Date.now() + 60;
    while (Date.now() < until) {
      bw.touch();
      await turn();
      expect(bw.spinning).toBe(true);
    }
    // Quiet: it ends after about one window (20 ms), well before 500 ms.
    const quiet = Date.now();
    while (bw.spinning && Date.now() - quiet < 500) await sleep(1);
    expect(bw.spinning).toBe(false);
    expect(Date.now() - quiet).toBeGreaterThanOrEqual(19);
  });

  it('keeps the event loop from sleeping: a waiting timer sees many loop turns meanwhile', async () => {
    // Without the spin, nothing runs between now and the timer; with it, each turn runs the spin's callback.
    const bw = new BusyWait(50_000);
    let turns = 0;
    const count = () => {
      turns++;
      if (bw.spinning) realImmediate(count);
    };
    bw.touch();
    realImmediate(count);
    await sleep(20);
    expect(turns).toBeGreaterThan(100);
    bw.stop();
  });

  it('never spins when off (0), nor after stop()', async () => {
    const off = new BusyWait(0);
    off.touch();
    expect(off.spinning).toBe(false);
    const bw = new BusyWait(1_000_000);
    bw.touch();
    expect(bw.spinning).toBe(true);
    bw.stop();
    expect(bw.spinning).toBe(false);
    bw.touch();
    await turn();
    expect(bw.spinning).toBe(false);
  });

  it("is not stalled by a test suite's fake timers (it uses node:timers, not the globals)", async () => {
    vi.useFakeTimers();
    const bw = new BusyWait(5_000);
    bw.touch();
    // Fake timers would hold a global setImmediate until advanced; the spin still runs and ends on real time.
    const start = performance.now();
    while (bw.spinning && performance.now() - start < 1000) await turn();
    expect(bw.spinning).toBe(false);
    expect(vi.getTimerCount()).toBe(0);
  });
});
