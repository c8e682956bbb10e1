// Splits a byte stream into AMQP frames: whole frames as zero-copy subarrays, copies only across chunk boundaries.
import { frameError } from './errors.js';
import { FRAME_END, FRAME_OVERHEAD } from './writer.js';

const EMPTY = Buffer.alloc(0);

/** RabbitMQ's way of naming a bad frame in error texts: `type 1, all octets = <<0,60,...>>`. */
export function frameDescription(type: number, payload: Buffer): string {
  return `type ${type}, all octets = <<${[...payload.subarray(0, 64)].join(',')}>>`;
}

/** Receives each frame the reader finds; the payload is a view into the received bytes. */
export interface FrameSink {
  onFrame(type: number, channel: number, payload: Buffer): void;
}

/** Incremental frame parser; `frameMax` is the negotiated maximum frame size including the envelope. */
export class FrameReader {
  frameMax: number;
  private readonly sink: FrameSink;
  /** Bytes of an incomplete frame carried over from earlier chunks. */
  private parts: Buffer[] = [];
  private partsLength = 0;
  /** Total length of the frame being accumulated, once its header has arrived (else -1). */
  private needed = -1;
  private stopped = false;

  constructor(sink: FrameSink, frameMax: number) {
    this.sink = sink;
    this.frameMax = frameMax;
  }

  /** Stops emitting frames (after a fatal error or close); further input is ignored. */
  stop(): void {
    this.stopped = true;
    this.parts = [];
    this.partsLength = 0;
  }

  /** Feeds the next chunk of the stream. Throws FRAME_ERROR for a malformed frame. */
  push(chunk: Buffer): void {
    if (this.stopped) return;
    let buf = chunk;
    if (this.partsLength > 0) {
      this.parts.push(chunk);
      this.partsLength += chunk.length;
      if (this.needed < 0 && this.partsLength >= 7) this.needed = this.frameLength(Buffer.concat(this.parts, 7), 0);
      if (this.needed < 0 || this.partsLength < this.needed) return;
      buf = Buffer.concat(this.parts, this.partsLength);
      this.parts = [];
      this.partsLength = 0;
      this.needed = -1;
    }
    let pos = 0;
    const len = buf.length;
    while (!this.stopped && len - pos >= 7) {
      const total = this.frameLength(buf, pos);
      if (len - pos < total) break;
      const end = pos + total - 1;
      if (buf[end] !== FRAME_END) {
        const payload = buf.subarray(pos + 7, end);
        throw frameError(`${frameDescription(buf[pos]!, payload)}: {invalid_frame_end_marker,${buf[end]}}`);
      }
      this.sink.onFrame(buf[pos]!, buf.readUInt16BE(pos + 1), buf.subarray(pos + 7, end));
      pos += total;
    }
    if (pos < len && !this.stopped) {
      const rest = buf.subarray(pos);
      this.parts.push(rest);
      this.partsLength = rest.length;
      this.needed = rest.length >= 7 ? this.frameLength(rest, 0) : -1;
    }
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
