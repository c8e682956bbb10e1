// Splits the bytes read from a socket into AMQP frames handled in place: no allocation per frame, a copy only of a
// frame cut between two reads, and frames held back while paused (a rate-limited consumer stops reading).

/** Gets each whole frame: `buf[pos, pos + total)`, envelope included, valid only during the call. */
export type FrameHandler = (buf: Buffer, pos: number, total: number) => void;

export class FrameSplitter {
  /** The negotiated frame_max: a larger frame is an error. */
  frameMax: number;
  /** While true, what arrives is kept, not handled; see pause() and release(). */
  paused = false;
  private readonly handle: FrameHandler;
  /** Bytes carried over between reads: a partial frame, or whole frames held back while paused. */
  private pending = Buffer.allocUnsafe(4096);
  private pendingLength = 0;

  constructor(handle: FrameHandler, frameMax: number) {
    this.handle = handle;
    this.frameMax = frameMax;
  }

  /** Handles [pos, end) of a read, completing a frame carried over from the last read first. Throws on a bad frame. */
  push(buf: Buffer, pos: number, end: number): void {
    if (this.paused) {
      this.stash(buf, pos, end);
      return;
    }
    if (this.pendingLength > 0) {
      if (this.pendingLength < 7) {
        const take = Math.min(7 - this.pendingLength, end - pos);
        this.stash(buf, pos, pos + take);
        pos += take;
        if (this.pendingLength < 7) return;
      }
      const total = this.frameLength(this.pending, 0);
      const take = Math.min(total - this.pendingLength, end - pos);
      this.stash(buf, pos, pos + take);
      pos += take;
      if (this.pendingLength < total) return;
      this.pendingLength = 0;
      this.frame(this.pending, 0, total);
      if (this.paused) {
        this.stash(buf, pos, end);
        return;
      }
    }
    pos = this.frames(buf, pos, end);
    if (pos < end) this.stash(buf, pos, end);
  }

  /** Stops handling frames after the current one. */
  pause(): void {
    this.paused = true;
  }

  /** Unpauses and handles the frames held back (which may pause again). Throws on a bad frame. */
  release(): void {
    this.paused = false;
    const pos = this.frames(this.pending, 0, this.pendingLength);
    this.pending.copy(this.pending, 0, pos, this.pendingLength);
    this.pendingLength -= pos;
  }

  /** Forgets what was held back. */
  clear(): void {
    this.paused = false;
    this.pendingLength = 0;
  }

  /** Handles the whole frames in [pos, end); returns where it stopped (at a partial frame, or because of pause()). */
  private frames(buf: Buffer, pos: number, end: number): number {
    while (end - pos >= 7 && !this.paused) {
      const total = this.frameLength(buf, pos);
      if (end - pos < total) break;
      this.frame(buf, pos, total);
      pos += total;
    }
    return pos;
  }

  private frame(buf: Buffer, pos: number, total: number): void {
    if (buf[pos + total - 1] !== 0xce) throw new Error(`frame end octet ${buf[pos + total - 1]} instead of 206`);
    this.handle(buf, pos, total);
  }

  private frameLength(buf: Buffer, pos: number): number {
    const size = buf.readUInt32BE(pos + 3);
    if (size > this.frameMax) throw new Error(`frame of ${size} bytes is larger than frame_max ${this.frameMax}`);
    return size + 8;
  }

  private stash(buf: Buffer, start: number, end: number): void {
    const n = end - start;
    if (n <= 0) return;
    if (this.pendingLength + n > this.pending.length) {
      const next = Buffer.allocUnsafe(Math.max(this.pending.length * 2, this.pendingLength + n));
      this.pending.copy(next, 0, 0, this.pendingLength);
      this.pending = next;
    }
    buf.copy(this.pending, this.pendingLength, start, end);
    this.pendingLength += n;
  }
}
