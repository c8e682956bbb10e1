// Splits a byte stream into AMQP frames: whole frames as zero-copy subarrays, copies only across chunk boundaries.
import { frameError } from './errors.js';
import { FRAME_BODY, FRAME_END, FRAME_OVERHEAD } from './writer.js';

const EMPTY = Buffer.alloc(0);

/** RabbitMQ's way of naming a bad frame in error texts: `type 1, all octets = <<0,60,...>>`. */
export function frameDescription(type: number, payload: Buffer): string {
  return `type ${type}, all octets = <<${[...payload.subarray(0, 64)].join(',')}>>`;
}

/** Receives each frame the reader finds; the payload is a view into the received bytes. */
export interface FrameSink {
  onFrame(type: number, channel: number, payload: Buffer): void;
  /**
   * Optional, offered each method and content-header frame first: its payload as `buf[start, end)`, read during the
   * call (no view is made for it). True: handled; false: the reader calls onFrame with a view of the payload.
   */
  onFrameAt?(type: number, channel: number, buf: Buffer, start: number, end: number): boolean;
}

export interface FrameReaderOptions {
  /**
   * The caller reuses the chunk buffer after push() returns (net's `onread`): bytes kept for later (a partial frame,
   * or frames held back while paused) are copied. Without it they are kept as views, and payloads stay valid.
   */
  reusedInput?: boolean;
}

/**
 * Incremental frame parser; `frameMax` is the negotiated maximum frame size including the envelope. The one frame
 * reader of the server and the client: whole frames as views into the chunk, pause()/resume() to hold frames back.
 */
export class FrameReader {
  frameMax: number;
  /** While true, what arrives is kept, not handled; see pause() and resume(). */
  paused = false;
  private readonly sink: FrameSink;
  /** The sink when it takes method and header frames as ranges (onFrameAt), else undefined. */
  private readonly rangeSink: FrameSink | undefined;
  private readonly copyKept: boolean;
  /** Bytes of an incomplete frame (or of frames held back) carried over from earlier chunks. */
  private parts: Buffer[] = [];
  private partsLength = 0;
  /** Total length of the first frame carried over, once its header has arrived (else -1). */
  private needed = -1;
  private stopped = false;
  /** stopped or paused: the loop checks one field. */
  private halted = false;

  constructor(sink: FrameSink, frameMax: number, o: FrameReaderOptions = {}) {
    this.sink = sink;
    this.rangeSink = sink.onFrameAt !== undefined ? sink : undefined;
    this.frameMax = frameMax;
    this.copyKept = o.reusedInput === true;
  }

  /** Stops emitting frames (after a fatal error or close); further input is ignored. */
  stop(): void {
    this.stopped = true;
    this.halted = true;
    this.parts = [];
    this.partsLength = 0;
  }

  /** Stops handling frames after the current one; later input is kept until resume(). */
  pause(): void {
    this.paused = true;
    this.halted = true;
  }

  /** Handles the frames held back (a sink may pause again). Throws FRAME_ERROR for a malformed frame. */
  resume(): void {
    if (!this.paused) return;
    this.paused = false;
    this.halted = this.stopped;
    if (this.stopped || this.needed < 0 || this.partsLength < this.needed) return;
    const buf = this.parts.length === 1 ? this.parts[0]! : Buffer.concat(this.parts, this.partsLength);
    this.parts = [];
    this.partsLength = 0;
    this.needed = -1;
    this.run(buf, true);
  }

  /** Forgets what was held back and unpauses. */
  clear(): void {
    this.parts = [];
    this.partsLength = 0;
    this.needed = -1;
    this.paused = false;
    this.halted = this.stopped;
  }

  /** Feeds the next chunk of the stream. Throws FRAME_ERROR for a malformed frame. */
  push(chunk: Buffer): void {
    if (this.halted) {
      if (this.paused && !this.stopped) this.keep(chunk);
      return;
    }
    let buf = chunk;
    let owned = !this.copyKept;
    if (this.partsLength > 0) {
      const total = this.partsLength + chunk.length;
      if (this.needed < 0 && total >= 7) this.needed = this.frameLength(Buffer.concat([...this.parts, chunk], 7), 0);
      if (this.needed < 0 || total < this.needed) return this.keep(chunk);
      // Only the frame that straddles the chunks is joined (at most one frame copied); the rest is read in place.
      const take = this.needed - this.partsLength;
      this.parts.push(take === chunk.length ? chunk : chunk.subarray(0, take));
      const frame = Buffer.concat(this.parts, this.needed);
      this.parts = [];
      this.partsLength = 0;
      this.needed = -1;
      this.run(frame, true);
      if (take === chunk.length) return;
      buf = chunk.subarray(take);
      if (this.halted) {
        if (!this.stopped) this.keep(buf);
        return;
      }
    }
    this.run(buf, owned);
  }

  /** Handles the whole frames of `buf`; keeps the rest (copied unless `owned`). */
  private run(buf: Buffer, owned: boolean): void {
    let pos = 0;
    const len = buf.length;
    while (!this.halted && len - pos >= 7) {
      const total = this.frameLength(buf, pos);
      if (len - pos < total) break;
      const end = pos + total - 1;
      if (buf[end] !== FRAME_END) {
        const payload = buf.subarray(pos + 7, end);
        throw frameError(`${frameDescription(buf[pos]!, payload)}: {invalid_frame_end_marker,${buf[end]}}`);
      }
      const type = buf[pos]!;
      const channel = (buf[pos + 1]! << 8) | buf[pos + 2]!;
      const ranges = this.rangeSink;
      // Body frames are kept as message bodies: always a view. Method and header frames may be read in place.
      if (ranges === undefined || type === FRAME_BODY || !ranges.onFrameAt!(type, channel, buf, pos + 7, end)) {
        this.sink.onFrame(type, channel, buf.subarray(pos + 7, end));
      }
      pos += total;
    }
    if (pos < len && !this.stopped) {
      const rest = owned ? buf.subarray(pos) : Buffer.from(buf.subarray(pos));
      this.parts.push(rest);
      this.partsLength = rest.length;
      this.needed = rest.length >= 7 ? this.frameLength(rest, 0) : -1;
    }
  }

  /** Keeps a chunk for later (a partial frame, or input while paused). */
  private keep(chunk: Buffer): void {
    this.parts.push(this.copyKept ? Buffer.from(chunk) : chunk);
    this.partsLength += chunk.length;
    if (this.needed < 0 && this.partsLength >= 7) this.needed = this.frameLength(this.parts.length === 1 ? this.parts[0]! : Buffer.concat(this.parts, 7), 0);
  }
  /** Whole frame length from its header at `pos`, checked against frame_max. */
  private frameLength(buf: Buffer, pos: number): number {
    const size = buf.readUInt32BE(pos + 3);
    // As RabbitMQ: a payload may be as large as frame_max itself; the text names frame_max - 8.
    if (size > this.frameMax) {
      throw frameError(`${frameDescription(buf[pos]!, EMPTY)}: {frame_too_large,${size},${this.frameMax - FRAME_OVERHEAD}}`);
    }
    return size + FRAME_OVERHEAD;
  }
}
