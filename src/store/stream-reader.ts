// A cursor over a stream's committed records: seeks by its segment's chunk index, then reads forward window by window.
import { closeSync, openSync } from 'node:fs';
import type { StreamReader, StreamRecord } from '../broker/index.js';
import { searchIndex } from './stream-index.js';
import type { StreamSegment } from './stream-segment.js';
import type { DecodedWindow, StreamWindowCache, WindowRecord } from './stream-window-cache.js';
/** Records a filtered read looks at before returning, so a consumer skipping much does not hold up the process. */
const SCAN_LIMIT = 4096;

/** What a reader needs of its log. */
export interface SegmentSource {
  readonly firstOffset: number;
  readonly committedOffset: number;
  /** The kept segment holding `offset` (the newest when offset is at or past the end). */
  segmentFor(offset: number): StreamSegment | undefined;
  warn(msg: string, ctx: object): void;
  /** Decoded windows shared by the log's readers. */
  readonly windows: StreamWindowCache;
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
  /** The decoded window holding `pos`, and the index there of the record at `pos`. */
  private win: DecodedWindow | undefined;
  private wi = 0;
  private closed = false;

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
      const r = this.recordAt(seg);
      if (r === undefined || r.offset !== this.at) {
        this.corrupt(seg);
        continue;
      }
      this.pos += r.size;
      this.at += 1;
      if (r.offset < this.next) continue;
      this.next = r.offset + 1;
      looked += 1;
      if (accept && !accept(r.filterValue)) continue;
      bytes += r.bodySize;
      out.push(r);
    }
    return out;
  }

  /** The whole, checked record at `pos`, from the shared window holding it; undefined when there is none. */
  private recordAt(seg: StreamSegment): WindowRecord | undefined {
    let w = this.win;
    if (w === undefined || this.pos < w.start || this.pos >= w.end) {
      w = this.log.windows.window(seg, this.fd, this.pos, seg.committedSize);
      this.win = w;
      if (w === undefined) return undefined;
      this.wi = w.indexOf(this.pos);
    }
    if (this.wi < 0 || this.wi >= w.count || w.starts[this.wi]! !== this.pos - w.start) {
      this.wi = w.indexOf(this.pos);
      if (this.wi < 0) return undefined;
    }
    return w.record(this.wi++, this.log.windows.sharing);
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
    this.win = undefined;
    return true;
  }

  private leave(next: number): void {
    if (this.fd >= 0) closeSync(this.fd);
    this.fd = -1;
    this.seg = undefined;
    this.win = undefined;
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
