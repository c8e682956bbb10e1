// Busy-waiting after socket input: the event loop keeps polling for a short window instead of sleeping, as Erlang's schedulers do (+sbwt) under RabbitMQ.
import { performance } from 'node:perf_hooks';
// Node's own, not the globals: a test suite's fake timers (which replace the globals) must not stall or flood the spin.
import { clearImmediate, setImmediate } from 'node:timers';

/**
 * Waking a halted CPU costs tens of microseconds on a virtual machine, several times per request-reply round trip.
 * After input arrives, the loop keeps polling (a chain of setImmediate turns, each an epoll_wait with no timeout)
 * until `micros` pass with no input; then it sleeps as usual. An idle broker never spins; 0 turns it off (as
 * RabbitMQ's `+sbwt none`).
 */
export class BusyWait {
  private readonly windowMs: number;
  /** Input since the last turn of the spin. */
  private active = false;
  private isSpinning = false;
  private last = 0;
  private immediate: NodeJS.Immediate | undefined;
  private stopped = false;

  constructor(micros: number) {
    this.windowMs = micros / 1000;
  }

  /** True while the loop is kept polling. */
  get spinning(): boolean {
    return this.isSpinning;
  }

  /** Input arrived: keep polling for the window past it. Called per socket read: a flag unless it starts the spin. */
  touch(): void {
    if (this.isSpinning) {
      this.active = true;
      return;
    }
    if (this.windowMs <= 0 || this.stopped) return;
    this.isSpinning = true;
    this.last = performance.now();
    this.immediate = setImmediate(this.spin);
  }

  private readonly spin = (): void => {
    if (this.active) {
      this.active = false;
      this.last = performance.now();
    } else if (performance.now() - this.last >= this.windowMs) {
      this.isSpinning = false;
      this.immediate = undefined;
      return;
    }
    // Referenced on purpose: an unreferenced immediate lets libuv block in epoll_wait, which is what this avoids.
    this.immediate = setImmediate(this.spin);
  };

  /** The server closes: no more spinning (the window never keeps a stopping process alive). */
  stop(): void {
    this.stopped = true;
    this.isSpinning = false;
    if (this.immediate) clearImmediate(this.immediate);
    this.immediate = undefined;
  }
}
