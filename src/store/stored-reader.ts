// Reads a durable queue's persistent messages back from its segments by sequence number, going forward (paged entries).
import { closeSync, openSync, readSync } from 'node:fs';
import { crc32 } from 'node:zlib';
import type { Message, StoredMessages } from '../broker/index.js';
import type { AppendFile } from './append-file.js';
import { decodeRecord, RECORD_HEADER } from './segment-reader.js';

/** Bytes read ahead per system call. */
const READ_CHUNK = 1024 * 1024;

/**
 * A segment as the reader sees it: named by its first sequence number; `file` while it is appended to, `retired`
 * once rolled over (its last records may still wait in that file's buffer for the group commit).
 */
export interface ReadableSegment {
  readonly first: number;
  readonly path: string;
  readonly file: AppendFile | undefined;
  readonly retired?: AppendFile | undefined;
}

/**
 * A forward cursor over the segments: asked for ascending sequence numbers (a page file's references, in arrival
 * order), it walks the record headers from where it stopped, skipping records of messages held elsewhere or settled,
 * so reading a paged backlog back reads each segment once, in order. A record still buffered in the segment being
 * appended to is written out first (written, not synced: its confirm still waits for the group commit's sync).
 */
export class StoredReader implements StoredMessages {
  private readonly segments: () => readonly ReadableSegment[];
  private readonly locate: (seq: number) => number;
  private path: string | undefined;
  private fd = -1;
  /** File offset of the next record header, and the lowest sequence number it can hold. */
  private offset = 0;
  private nextSeq = 0;
  private buf = Buffer.allocUnsafe(0);
  /** File offset of buf[0] and how many bytes of it are valid. */
  private bufAt = 0;
  private bufLen = 0;

  constructor(segments: () => readonly ReadableSegment[], locate: (seq: number) => number) {
    this.segments = segments;
    this.locate = locate;
  }

  read(seq: number): Message | undefined {
    const seg = this.segments()[this.locate(seq)];
    if (!seg || seg.first > seq) return undefined;
    if (seg.path !== this.path || seq < this.nextSeq) this.open(seg.path);
    for (;;) {
      const header = this.bytes(this.offset, RECORD_HEADER, seg);
      if (!header) return undefined;
      const len = header.readUInt32BE(0);
      const crc = header.readUInt32BE(4);
      const payload = this.bytes(this.offset + RECORD_HEADER, len, seg);
      if (!payload || len < 16) return undefined;
      const at = payload.readUInt32BE(0) * 0x100000000 + payload.readUInt32BE(4);
      if (at > seq) return undefined;
      this.offset += RECORD_HEADER + len;
      this.nextSeq = at + 1;
      if (at < seq) continue;
      if (crc32(payload) !== crc) return undefined;
      return decodeRecord(payload).message;
    }
  }

  /** `n` bytes of the file at `at` (a view into the read-ahead buffer), or undefined past its end. */
  private bytes(at: number, n: number, seg: ReadableSegment): Buffer | undefined {
    if (at >= this.bufAt && at + n <= this.bufAt + this.bufLen) return this.buf.subarray(at - this.bufAt, at - this.bufAt + n);
    const want = Math.max(n, READ_CHUNK);
    if (this.buf.length < want) this.buf = Buffer.allocUnsafe(want);
    this.bufAt = at;
    this.bufLen = readSync(this.fd, this.buf, 0, want, at);
    const file = seg.file ?? seg.retired;
    if (this.bufLen < n && file !== undefined && !file.gaveUp) {
      // Still in the segment's append buffer: write it out, then read again.
      try {
        file.flush();
      } catch {
        return undefined;
      }
      this.bufLen = readSync(this.fd, this.buf, 0, want, at);
    }
    return this.bufLen >= n ? this.buf.subarray(0, n) : undefined;
  }

  private open(path: string): void {
    this.close();
    this.fd = openSync(path, 'r');
    this.path = path;
    this.offset = 0;
    this.nextSeq = 0;
  }

  close(): void {
    if (this.fd >= 0) closeSync(this.fd);
    this.fd = -1;
    this.path = undefined;
    this.bufAt = 0;
    this.bufLen = 0;
  }
}
