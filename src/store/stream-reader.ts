// A cursor over a stream's committed records: seeks by its segment's chunk index, then reads forward window by window.
import { closeSync, openSync, readSync } from 'node:fs';
import type { StreamReader, StreamRecord } from '../broker/index.js';
import { searchIndex } from './stream-index.js';
import { announcedSize, checkRecord, newRoutingCache, recordFilterValue, recordMessage, recordOffset, recordTimestamp } from './stream-record.js';
import type { StreamSegment } from './stream-segment.js';

/** Bytes read from disk at a time (records bigger than this are read whole). */
const WINDOW = 128 * 1024;
/** Records a filtered read looks at before returning, so a consumer skipping much does not hold up the process. */
const SCAN_LIMIT = 4096;

/** What a reader needs of its log. */
export interface SegmentSource {
  readonly firstOffset: number;
  readonly committedOffset: number;
  /** The kept segment holding `offset` (the newest when offset is at or past the end). */
  segmentFor(offset: number): StreamSegment | undefined;
  warn(msg: string, ctx: object): void;
  /** The reader is closed: the log stops tracking it. */
  readerClosed(reader: StreamCursor): void;
}

export class StreamCursor implements StreamReader {
  private readonly log: SegmentSource;
  /** Offset of the next record returned. */
  private next: number;
  private seg: StreamSegment | undefined;
  private fd = -1;
  /** File position and offset of the next record to look at (may be before `next` right after a seek). */
  private pos = 0;
  private at = 0;
  /**
   * Bytes of the segment read at `bufStart`. A new buffer is allocated for each window, never overwritten: the
   * messages handed out are views into it (no copy per message) and stay valid while a consumer holds them.
   */
  private buf: Buffer = Buffer.alloc(0);
  private bufStart = 0;
  private closed = false;
  private readonly routing = newRoutingCache();

  constructor(log: SegmentSource, offset: number) {
    this.log = log;
    // Past the end it waits for that offset, as RabbitMQ's readers do.
    this.next = Math.max(offset, log.firstOffset);
  }

  get offset(): number {
    return Math.max(this.next, this.log.firstOffset);
  }

  get atEnd(): boolean {
    return this.closed || this.offset >= this.log.committedOffset;
  }

  read(max: number, maxBytes: number, accept?: (filterValue: string | undefined) => boolean): StreamRecord[] {
    const out: StreamRecord[] = [];
    let bytes = 0;
    let looked = 0;
    while (!this.closed && out.length < max && (out.length === 0 || bytes < maxBytes) && looked < SCAN_LIMIT) {
      if (this.next < this.log.firstOffset) this.leave(this.log.firstOffset);
      if (this.next >= this.log.committedOffset) break;
      if (!this.seg && !this.enter()) break;
      const seg = this.seg!;
      if (this.at >= seg.committedEnd) {
        // Read to its end: the next segment starts where this one ended.
        if (seg.complete || seg.removed) this.leave(Math.max(this.next, seg.committedEnd));
        else break;
        continue;
      }
      const limit = seg.committedSize;
      const size = this.recordAt(limit);
      if (size <= 0 || recordOffset(this.buf, this.pos - this.bufStart) !== this.at) {
        this.corrupt(seg);
        continue;
      }
      const p = this.pos - this.bufStart;
      const offset = this.at;
      this.pos += size;
      this.at += 1;
      if (offset < this.next) continue;
      this.next = offset + 1;
      looked += 1;
      if (accept && !accept(recordFilterValue(this.buf, p))) continue;
      const message = recordMessage(this.buf, p, size, this.routing);
      bytes += message.body.length;
      out.push({ offset, timestamp: recordTimestamp(this.buf, p), message });
    }
    return out;
  }

  /** Size of the whole, checked record at `pos`, reading a window from disk when needed; <= 0 when it is not. */
  private recordAt(limit: number): number {
    let p = this.pos - this.bufStart;
    if (p < 0 || p + 8 > this.buf.length) {
      this.load(limit, 0);
      p = 0;
    }
    const size = checkRecord(this.buf, p, this.buf.length);
    if (size !== 0) return size;
    if (p + 8 > this.buf.length) return -1;
    const want = announcedSize(this.buf, p);
    if (this.pos + want > limit) return -1;
    this.load(limit, want);
    return checkRecord(this.buf, 0, this.buf.length);
  }

  private load(limit: number, atLeast: number): void {
    const size = Math.min(Math.max(WINDOW, atLeast), limit - this.pos);
    const buf = Buffer.allocUnsafe(Math.max(size, 0));
    let got = 0;
    while (got < size) {
      const n = readSync(this.fd, buf, got, size - got, this.pos + got);
      if (n === 0) break;
      got += n;
    }
    this.buf = got === size ? buf : buf.subarray(0, got);
    this.bufStart = this.pos;
  }

  /** Opens the segment holding `next` and finds its record through the index. */
  private enter(): boolean {
    const seg = this.log.segmentFor(this.next);
    if (!seg) return false;
    try {
      this.fd = openSync(seg.path, 'r');
    } catch {
      // Deleted by retention between the lookup and the open: look again from the new head.
      return false;
    }
    this.seg = seg;
    const target = this.next;
    const chunk = target > seg.first ? searchIndex(seg.indexPath, seg.indexCount, (e) => e.offset <= target) : undefined;
    if (chunk && chunk.offset <= target) {
      this.pos = chunk.position;
      this.at = chunk.offset;
    } else {
      this.pos = 0;
      this.at = seg.first;
    }
    this.buf = Buffer.alloc(0);
    return true;
  }

  private leave(next: number): void {
    if (this.fd >= 0) closeSync(this.fd);
    this.fd = -1;
    this.seg = undefined;
    this.buf = Buffer.alloc(0);
    this.next = Math.max(next, this.next);
  }

  /**
   * A committed record does not check out (bit rot, or a file changed underneath): the rest of its segment cannot be
   * trusted and is skipped, as a torn tail is cut at boot.
   */
  private corrupt(seg: StreamSegment): void {
    const resume = seg.sealed ? seg.end : this.log.committedOffset;
    this.log.warn('corrupt record in a stream segment: the rest of the segment is skipped', {
      segment: seg.path,
      position: this.pos,
      offset: this.at,
      resumeAt: resume,
    });
    this.leave(resume);
  }

  close(): void {
    if (this.closed) return;
    this.leave(this.next);
    this.closed = true;
    this.log.readerClosed(this);
  }
}
