// Decoded windows of a stream's segments, shared by its readers: each record is read, checked and decoded once however many read it.
import { readSync } from 'node:fs';
import type { Message, QueueEntry, StreamRecord } from '../broker/index.js';
import { announcedSize, checkRecord, newRoutingCache, recordBodySize, recordFilterValue, recordMessage, recordOffset, recordTimestamp, type RoutingCache } from './stream-record.js';
import type { StreamSegment } from './stream-segment.js';

/** Bytes read from disk at a time (a record bigger than this is read whole). */
const WINDOW = 128 * 1024;
/**
 * What the cache may hold per reader beyond the first, and at most, in bytes of segment plus an estimate of the
 * decoded records' objects. One reader alone keeps only the window it reads (nothing to share: a replay's memory stays
 * flat); ten readers of one stream drift tens of thousands of messages apart and share windows over that spread, and
 * one that falls further behind decodes its own windows, as if alone.
 */
const BUDGET_PER_READER = 4 * 1024 * 1024;
const MAX_BUDGET = 32 * 1024 * 1024;
/** Estimated bytes of one decoded record's objects (the record, its entry, its two messages and their buffer views). */
const RECORD_COST = 480;

/** One record of a decoded window; its message is made on first use (a filtered read may never need it). */
export class WindowRecord implements StreamRecord {
  readonly offset: number;
  readonly timestamp: number;
  readonly filterValue: string | undefined;
  /** Position in its segment file and size in bytes (header included). */
  readonly position: number;
  readonly size: number;
  readonly bodySize: number;
  entry: QueueEntry | undefined = undefined;
  private decoded: Message | undefined = undefined;
  private readonly window: DecodedWindow;

  constructor(window: DecodedWindow, at: number, size: number) {
    const buf = window.buf;
    this.window = window;
    this.offset = recordOffset(buf, at);
    this.timestamp = recordTimestamp(buf, at);
    this.filterValue = recordFilterValue(buf, at);
    this.position = window.start + at;
    this.size = size;
    this.bodySize = recordBodySize(buf, at, size);
  }

  get message(): Message {
    if (this.decoded === undefined) {
      const w = this.window;
      this.decoded = recordMessage(w.buf, this.position - w.start, this.size, w.routing);
    }
    return this.decoded;
  }
}

/**
 * Records read from one segment at `start`, up to `end` (the end of its last whole record). The buffer is never
 * reused: messages are views into it and stay valid while a consumer holds them, cached or not.
 */
export class DecodedWindow {
  readonly segment: StreamSegment;
  readonly start: number;
  end: number;
  readonly buf: Buffer;
  /** Where each record starts in `buf`, in order. */
  readonly starts: number[] = [];
  /** Records made so far, kept while readers share the window (a reader alone makes them as it goes, keeping none). */
  private made: Array<WindowRecord | undefined> | undefined;
  readonly routing: RoutingCache = newRoutingCache();
  lastUsed = 0;

  constructor(segment: StreamSegment, start: number, buf: Buffer) {
    this.segment = segment;
    this.start = start;
    this.end = start;
    this.buf = buf;
  }

  get count(): number {
    return this.starts.length;
  }

  get cost(): number {
    return this.buf.length + this.starts.length * RECORD_COST;
  }

  /** Record `i`: the same object for every reader while `share`, a new one otherwise. */
  record(i: number, share: boolean): WindowRecord {
    const made = this.made;
    const had = made?.[i];
    if (had !== undefined) return had;
    const at = this.starts[i]!;
    const next = i + 1 < this.starts.length ? this.starts[i + 1]! : this.end - this.start;
    const r = new WindowRecord(this, at, next - at);
    if (share) (this.made ??= new Array<WindowRecord | undefined>(this.starts.length))[i] = r;
    return r;
  }

  /** Index of the record at file position `pos`, or -1. */
  indexOf(pos: number): number {
    const rs = this.starts;
    const want = pos - this.start;
    let lo = 0;
    let hi = rs.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const p = rs[mid]!;
      if (p === want) return mid;
      if (p < want) lo = mid + 1;
      else hi = mid - 1;
    }
    return -1;
  }
}

export class StreamWindowCache {
  private readonly windows: DecodedWindow[] = [];
  private held = 0;
  private clock = 0;
  private budget = 0;

  /** Whether readers share record objects (more than one reader): a reader alone keeps nothing it has read. */
  get sharing(): boolean {
    return this.budget > 0;
  }

  /** The log has this many open readers: the budget follows. */
  setReaders(readers: number): void {
    this.budget = Math.min(MAX_BUDGET, Math.max(0, readers - 1) * BUDGET_PER_READER);
    this.trim();
  }

  /**
   * The window of `segment` holding the record at `pos` (whose file is open as `fd` and committed up to `limit`):
   * a cached one, or one read and decoded now. Undefined when no whole, checked record starts there (corrupt).
   */
  window(segment: StreamSegment, fd: number, pos: number, limit: number): DecodedWindow | undefined {
    for (const w of this.windows) {
      if (w.segment === segment && w.start <= pos && pos < w.end) {
        w.lastUsed = ++this.clock;
        return w;
      }
    }
    const w = load(segment, fd, pos, limit);
    if (!w) return undefined;
    w.lastUsed = ++this.clock;
    this.windows.push(w);
    this.held += w.cost;
    this.trim();
    return w;
  }

  /** Evicts the least recently used windows beyond the budget (the newest one stays). */
  private trim(): void {
    while (this.held > this.budget && this.windows.length > 1) this.evictOldest();
  }

  private evictOldest(): void {
    let oldest = 0;
    for (let i = 1; i < this.windows.length; i++) if (this.windows[i]!.lastUsed < this.windows[oldest]!.lastUsed) oldest = i;
    const [w] = this.windows.splice(oldest, 1);
    this.held -= w!.cost;
  }

  /** A segment was removed: its windows go (readers still in it keep the ones they hold). */
  dropSegment(segment: StreamSegment): void {
    for (let i = this.windows.length - 1; i >= 0; i--) {
      if (this.windows[i]!.segment !== segment) continue;
      this.held -= this.windows[i]!.cost;
      this.windows.splice(i, 1);
    }
  }

  clear(): void {
    this.windows.length = 0;
    this.held = 0;
  }

  /** Windows and bytes held (for tests). */
  get size(): { windows: number; cost: number } {
    return { windows: this.windows.length, cost: this.held };
  }
}

/** Reads a window at `pos` (a whole record at least, never past `limit`) and decodes its whole, checked records. */
function load(segment: StreamSegment, fd: number, pos: number, limit: number): DecodedWindow | undefined {
  let buf = readAt(fd, pos, Math.min(WINDOW, limit - pos));
  let first = checkRecord(buf, 0, buf.length);
  if (first === 0 && buf.length >= 8) {
    // Bigger than a window: read it whole, unless it claims to reach past what is committed.
    const want = announcedSize(buf, 0);
    if (pos + want > limit) return undefined;
    buf = readAt(fd, pos, want);
    first = checkRecord(buf, 0, buf.length);
  }
  if (first <= 0) return undefined;
  const w = new DecodedWindow(segment, pos, buf);
  let p = 0;
  let size = first;
  while (size > 0) {
    w.starts.push(p);
    p += size;
    size = checkRecord(buf, p, buf.length);
  }
  w.end = pos + p;
  return w;
}

/** `size` bytes of `fd` at `pos` (fewer when the file ends first), in a new buffer. */
export function readAt(fd: number, pos: number, size: number): Buffer {
  const buf = Buffer.allocUnsafe(Math.max(size, 0));
  let got = 0;
  while (got < size) {
    const n = readSync(fd, buf, got, size - got, pos + got);
    if (n === 0) break;
    got += n;
  }
  return got === size ? buf : buf.subarray(0, got);
}
