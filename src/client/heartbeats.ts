// The client's heartbeat clock: ticks at half the negotiated interval, sends a heartbeat when nothing else went out,
// and declares the broker gone after 4 silent ticks (2 intervals).
export class Heartbeats {
  /** Set by the connection on every read and every write; cleared by each tick. */
  receivedSinceTick = true;
  sentSinceTick = false;
  private missedTicks = 0;
  private timer: NodeJS.Timeout | undefined;

  /**
   * Starts ticking (nothing when `seconds` is 0): `beat` writes a heartbeat if the connection can, `dead` is told once
   * nothing has been received for two intervals.
   */
  start(seconds: number, beat: () => void, dead: (silentSeconds: number) => void): void {
    if (seconds <= 0) return;
    this.timer = setInterval(() => {
      if (!this.sentSinceTick) beat();
      this.sentSinceTick = false;
      if (this.receivedSinceTick) this.missedTicks = 0;
      else if (++this.missedTicks >= 4) dead(seconds * 2);
      this.receivedSinceTick = false;
    }, (seconds * 1000) / 2);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }
}
