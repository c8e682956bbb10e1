// The one clock every broker timer and timestamp goes through: the real one by default (Date.now and Node's timers,
// nothing in between), or a manual one that tests move forward with advance(ms), firing what falls due in order.

/** A timer handle of either clock; only the clock that made it may cancel it. */
export type ClockTimer = { readonly __clockTimer: true };

export interface Clock {
  /** Milliseconds since the epoch, as Date.now(). */
  now(): number;
  /** Calls `fire` after `ms` (a process that only waits on these timers may exit, as with unref'd Node timers). */
  setTimeout(fire: () => void, ms: number): ClockTimer;
  /** Calls `fire` every `ms`. */
  setInterval(fire: () => void, ms: number): ClockTimer;
  /** Cancels a timeout or an interval; undefined is ignored. */
  clear(timer: ClockTimer | undefined): void;
}

/** Date.now and Node's timers, unref'd: a broker's timers never keep a process alive by themselves. */
export const realClock: Clock = {
  now: () => Date.now(),
  setTimeout: (fire, ms) => setTimeout(fire, ms).unref() as unknown as ClockTimer,
  setInterval: (fire, ms) => setInterval(fire, ms).unref() as unknown as ClockTimer,
  clear: (timer) => {
    if (timer !== undefined) clearTimeout(timer as unknown as NodeJS.Timeout);
  },
};

interface Pending {
  at: number;
  seq: number;
  every: number;
  fire: () => void;
}

/** Time that moves only when told: `advance(ms)` fires every timer due by then, each at its own time, in order. */
export class ManualClock implements Clock {
  private current: number;
  private seq = 0;
  private readonly pending = new Map<ClockTimer, Pending>();

  constructor(start = Date.now()) {
    this.current = start;
  }

  now(): number {
    return this.current;
  }

  setTimeout(fire: () => void, ms: number): ClockTimer {
    return this.add(fire, ms, 0);
  }

  setInterval(fire: () => void, ms: number): ClockTimer {
    return this.add(fire, ms, Math.max(1, ms));
  }

  clear(timer: ClockTimer | undefined): void {
    if (timer !== undefined) this.pending.delete(timer);
  }

  /** Timers waiting (timeouts not fired yet, and intervals). */
  get timers(): number {
    return this.pending.size;
  }

  /**
   * Moves time forward by `ms`, firing each timer due on the way at its due time (timers it sets that fall due within
   * the step fire too); returns the new time. A timer that throws does not stop the others; the first error is rethrown.
   */
  advance(ms: number): number {
    if (!(ms >= 0) || !Number.isFinite(ms)) throw new RangeError(`clock.advance: expected a finite number of ms >= 0, got ${ms}`);
    const target = this.current + ms;
    let failure: unknown;
    for (;;) {
      let next: [ClockTimer, Pending] | undefined;
      for (const e of this.pending) if (e[1].at <= target && (!next || e[1].at < next[1].at || (e[1].at === next[1].at && e[1].seq < next[1].seq))) next = e;
      if (!next) break;
      const [handle, p] = next;
      this.current = Math.max(this.current, p.at);
      if (p.every > 0) {
        p.at += p.every;
        p.seq = this.seq++;
      } else this.pending.delete(handle);
      try {
        p.fire();
      } catch (e) {
        failure ??= e;
      }
    }
    this.current = target;
    if (failure !== undefined) throw failure;
    return this.current;
  }

  private add(fire: () => void, ms: number, every: number): ClockTimer {
    const handle = {} as ClockTimer;
    this.pending.set(handle, { at: this.current + Math.max(0, Number.isFinite(ms) ? ms : 0), seq: this.seq++, every, fire });
    return handle;
  }
}
