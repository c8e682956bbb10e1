// A connection's heartbeats: ticks at half the negotiated interval, sends one when nothing else went out, and tells
// the connection after 4 silent ticks (2 intervals) that the client is gone.
export class HeartbeatMonitor {
  /** Set on every read; cleared by each tick. */
  receivedSinceTick = false;
  private silentTicks = 0;
  private timer: NodeJS.Timeout | undefined;

  /**
   * Starts ticking (nothing when `seconds` is 0): a heartbeat goes out on `out` when it wrote nothing since the last
   * tick; `dead` is called once the client has been silent for 2 intervals.
   */
  start(seconds: number, out: { sentSinceTick: boolean; heartbeat(): void }, dead: () => void): void {
    if (seconds <= 0) return;
    this.timer = setInterval(() => {
      if (!out.sentSinceTick) out.heartbeat();
      out.sentSinceTick = false;
      if (this.receivedSinceTick) {
        this.silentTicks = 0;
      } else if (++this.silentTicks >= 4) {
        dead();
      }
      this.receivedSinceTick = false;
    }, (seconds * 1000) / 2);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }
}
