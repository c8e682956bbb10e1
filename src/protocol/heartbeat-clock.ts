// The heartbeat rule both ends of a connection keep: tick at half the negotiated interval, send a heartbeat when
// nothing else went out since the last tick, and give the peer up after 4 silent ticks (2 intervals).

/** Where heartbeats go: its writes set `sentSinceTick`, which each tick clears. */
export interface HeartbeatSender {
  sentSinceTick: boolean;
  heartbeat(): void;
}

export class HeartbeatClock {
  private silentTicks = 0;
  private timer: NodeJS.Timeout | undefined;

  /** `receivedSinceTick` is set by the connection on every read and cleared by each tick. */
  constructor(public receivedSinceTick = false) {}

  /**
   * Starts ticking (nothing when `seconds` is 0): a heartbeat goes out on `out` when it wrote nothing since the last
   * tick; `dead` is told once nothing has been received for two intervals.
   */
  start(seconds: number, out: HeartbeatSender, dead: (silentSeconds: number) => void): void {
    if (seconds <= 0) return;
    this.timer = setInterval(() => {
      if (!out.sentSinceTick) out.heartbeat();
      out.sentSinceTick = false;
      if (this.receivedSinceTick) this.silentTicks = 0;
      else if (++this.silentTicks >= 4) dead(seconds * 2);
      this.receivedSinceTick = false;
    }, (seconds * 1000) / 2);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }
}
