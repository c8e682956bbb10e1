// A reusable, growable output buffer with the AMQP primitive encoders and frame envelopes.
import type { ByteSink } from './field-table.js';

export const FRAME_METHOD = 1;
export const FRAME_HEADER = 2;
export const FRAME_BODY = 3;
export const FRAME_HEARTBEAT = 8;
export const FRAME_END = 0xce;
/** Bytes of frame envelope: type, channel, size before the payload and the end octet after. */
export const FRAME_OVERHEAD = 8;

/** Up to this many bytes, raw() copies byte by byte. */
const SMALL_COPY = 32;
const EMPTY = Buffer.alloc(0);
/** Largest buffer handOver() gives away whole (Node's allocUnsafe serves smaller ones from its shared 8 KB pool). */
const HAND_OVER_MAX = 4096;

/** Encodes into one buffer that is reused between flushes. */
export class Writer implements ByteSink {
  buf: Buffer;
  pos = 0;
  private frameStart = -1;
  private readonly initialSize: number;

  /** `lazy`: no buffer until the first write (see handOver()). */
  constructor(initialSize = 64 * 1024, lazy = false) {
    this.initialSize = Math.max(1, initialSize);
    this.buf = lazy ? EMPTY : Buffer.allocUnsafe(this.initialSize);
  }

  ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    let size = Math.max(this.buf.length * 2, this.initialSize);
    while (size < this.pos + n) size *= 2;
    const next = Buffer.allocUnsafe(size);
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }

  u8(v: number): void {
    this.ensure(1);
    this.buf[this.pos++] = v;
  }
  u16(v: number): void {
    this.ensure(2);
    this.buf.writeUInt16BE(v, this.pos);
    this.pos += 2;
  }
  u32(v: number): void {
    this.ensure(4);
    this.buf.writeUInt32BE(v, this.pos);
    this.pos += 4;
  }
  /**
   * Unsigned 64-bit from a JS number (delivery tags and sizes stay below 2^53). A value decoded from a peer's
   * 64-bit field may have rounded up to 2^64: it is written as the largest value instead of throwing.
   */
  u64(v: number): void {
    this.ensure(8);
    if (v >= 18446744073709551615) {
      this.buf.writeUInt32BE(0xffffffff, this.pos);
      this.buf.writeUInt32BE(0xffffffff, this.pos + 4);
    } else {
      this.buf.writeUInt32BE(Math.floor(v / 0x100000000), this.pos);
      this.buf.writeUInt32BE(v % 0x100000000, this.pos + 4);
    }
    this.pos += 8;
  }
  shortstr(s: string): void {
    const len = Buffer.byteLength(s);
    if (len > 255) throw new RangeError(`shortstr longer than 255 bytes: ${s.slice(0, 40)}…`);
    this.ensure(1 + len);
    this.buf[this.pos] = len;
    this.buf.write(s, this.pos + 1, 'utf8');
    this.pos += 1 + len;
  }
  longstr(s: string | Buffer): void {
    if (typeof s === 'string') {
      const len = Buffer.byteLength(s);
      this.ensure(4 + len);
      this.buf.writeUInt32BE(len, this.pos);
      this.buf.write(s, this.pos + 4, 'utf8');
      this.pos += 4 + len;
    } else {
      this.bytes32(s);
    }
  }
  private bytes32(b: Buffer): void {
    this.ensure(4 + b.length);
    this.buf.writeUInt32BE(b.length, this.pos);
    b.copy(this.buf, this.pos + 4);
    this.pos += 4 + b.length;
  }
  raw(b: Buffer): void {
    const n = b.length;
    this.ensure(n);
    if (n <= SMALL_COPY) {
      // Short strings, tags and small bodies: a loop is cheaper than Buffer.copy's checks and native call.
      const buf = this.buf;
      const p = this.pos;
      for (let i = 0; i < n; i++) buf[p + i] = b[i]!;
    } else {
      b.copy(this.buf, this.pos);
    }
    this.pos += n;
  }

  /** Opens a frame; payload is written next, then endFrame(). */
  beginFrame(type: number, channel: number): void {
    this.ensure(7);
    this.frameStart = this.pos;
    this.buf[this.pos] = type;
    this.buf.writeUInt16BE(channel, this.pos + 1);
    this.pos += 7;
  }
  endFrame(): void {
    this.buf.writeUInt32BE(this.pos - this.frameStart - 7, this.frameStart + 3);
    this.u8(FRAME_END);
    this.frameStart = -1;
  }

  heartbeat(): void {
    this.beginFrame(FRAME_HEARTBEAT, 0);
    this.endFrame();
  }

  /** Takes what was written as a standalone copy and resets the writer for reuse. */
  take(): Buffer {
    const out = Buffer.allocUnsafe(this.pos);
    this.buf.copy(out, 0, 0, this.pos);
    this.pos = 0;
    return out;
  }

  /**
   * As take(), but a buffer still small (never grown past HAND_OVER_MAX) is given away whole instead of copied, and
   * the next write starts a new one: a writer that is mostly idle (a connection's output) holds no buffer between
   * writes. A grown buffer stays and is copied from, as by take().
   */
  handOver(): Buffer {
    if (this.buf.length > HAND_OVER_MAX) return this.take();
    const out = this.buf.subarray(0, this.pos);
    this.buf = EMPTY;
    this.pos = 0;
    return out;
  }
}
