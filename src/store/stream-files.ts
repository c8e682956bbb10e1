// One stream on disk: segment files of offset-numbered records with a chunk index each, retention from the head, recovery.
import { closeSync, existsSync, fstatSync, ftruncateSync, mkdirSync, openSync, readdirSync, readFileSync, rmSync, truncateSync } from 'node:fs';
import { join } from 'node:path';
import { type Message, type StreamLog, type StreamReader, type StreamRetention, type StreamStats } from '../broker/index.js';
import { Writer } from '../protocol/index.js';
import { AppendFile } from './append-file.js';
import type { GroupCommit } from './group-commit.js';
import type { ReleaseDir } from './queue-files.js';
import { CHUNK_BYTES, CHUNK_RECORDS, INDEX_ENTRY, readEntry, searchIndex, writeEntry, type ChunkEntry } from './stream-index.js';
import { StreamCursor, type SegmentSource } from './stream-reader.js';
import { announcedSize, checkRecord, recordOffset, recordTimestamp, writeRecord } from './stream-record.js';
import { StreamSegment } from './stream-segment.js';
import { readAt, StreamWindowCache } from './stream-window-cache.js';

/** Bytes read at a time by the boot scan of records the index does not cover. */
const SCAN_WINDOW = 1024 * 1024;

type Warn = (msg: string, ctx: object) => void;

export class StreamFiles implements StreamLog, SegmentSource {
  private readonly dir: string;
  private readonly commit: GroupCommit;
  private readonly release: ReleaseDir;
  private readonly onCommit: () => void;
  readonly warn: Warn;
  private retention: StreamRetention;
  /** Kept segments, oldest first; the last one is appended to. */
  private readonly segments: StreamSegment[] = [];
  nextOffset = 0;
  committedOffset = 0;
  /** Timestamps given to records never go backwards (a clock set back must not reorder a time seek). */
  private lastTs = 0;
  private readonly scratch = new Writer(4096);
  private readonly readers = new Set<StreamCursor>();
  /** Windows of records decoded once for all readers (ten consumers reading together share them). */
  readonly windows = new StreamWindowCache();
  private destroyed = false;

  private constructor(dir: string, commit: GroupCommit, retention: StreamRetention, warn: Warn, onCommit: () => void, release: ReleaseDir) {
    this.dir = dir;
    this.commit = commit;
    this.retention = retention;
    this.warn = warn;
    this.onCommit = onCommit;
    this.release = release;
  }

  // ---- recovery ----------------------------------------------------------

  /**
   * Opens a stream's directory: each segment's index is checked (a sealed segment whose last entry ends where the
   * file ends is trusted as it is), records the index does not cover are scanned and indexed, and a torn or corrupt
   * tail is cut at the last complete record. Segments after a gap in the offsets (they can only hold records no
   * confirm covered) are dropped. Everything recovered is on disk, so it is all committed.
   */
  static recover(dir: string, commit: GroupCommit, retention: StreamRetention, warn: Warn, onCommit: () => void, release: ReleaseDir = () => true): StreamFiles {
    mkdirSync(dir, { recursive: true });
    const log = new StreamFiles(dir, commit, retention, warn, onCommit, release);
    const names = readdirSync(dir).filter((n) => /^\d{20}\.seg$/.test(n)).sort();
    let expected: number | undefined;
    for (let i = 0; i < names.length; i++) {
      const first = Number(names[i]!.slice(0, 20));
      if (expected !== undefined && first !== expected) {
        warn('stream segments after a gap in the offsets dropped', { expectedOffset: expected, segments: names.slice(i) });
        for (const name of names.slice(i)) removeFiles(new StreamSegment(dir, Number(name.slice(0, 20))));
        break;
      }
      const seg = log.recoverSegment(first, i === names.length - 1);
      seg.sealed = true;
      if (seg.end === seg.first && i < names.length - 1) {
        removeFiles(seg);
        continue;
      }
      expected = seg.end;
      log.segments.push(seg);
      if (seg.lastTs > log.lastTs) log.lastTs = seg.lastTs;
    }
    const last = log.segments[log.segments.length - 1];
    log.nextOffset = last ? last.end : 0;
    log.committedOffset = log.nextOffset;
    for (const name of readdirSync(dir)) {
      // Indexes of segments no longer there (a crash between deleting a segment and its index).
      if (name.endsWith('.sidx') && !existsSync(join(dir, name.slice(0, -'.sidx'.length) + '.seg'))) rmSync(join(dir, name), { force: true });
    }
    if (last && last.size < retention.maxSegmentSizeBytes) log.reopen(last);
    else log.roll();
    log.enforceRetention();
    return log;
  }

  private recoverSegment(first: number, newest: boolean): StreamSegment {
    const seg = new StreamSegment(this.dir, first);
    const fd = openSync(seg.path, 'r+');
    try {
      const size = fstatSync(fd).size;
      const idx = existsSync(seg.indexPath) ? readFileSync(seg.indexPath) : Buffer.alloc(0);
      const n = Math.floor(idx.length / INDEX_ENTRY);
      if (!newest && n > 0 && idx.length === n * INDEX_ENTRY) {
        const a = readEntry(idx, 0);
        const b = readEntry(idx, (n - 1) * INDEX_ENTRY);
        if (a && b && a.offset === first && a.position === 0 && b.position + b.length === size) {
          seg.end = seg.committedEnd = b.offset + b.count;
          seg.size = seg.committedSize = size;
          seg.indexCount = n;
          seg.firstTs = a.firstTs;
          seg.lastTs = b.lastTs;
          seg.lastChunkOffset = b.offset;
          return seg;
        }
      }
      let pos = 0;
      let at = first;
      let k = 0;
      for (; k < n; k++) {
        const e = readEntry(idx, k * INDEX_ENTRY);
        if (!e || e.offset !== at || e.position !== pos || e.count === 0 || e.position + e.length > size) break;
        // The newest segment's last chunk is checked record by record below: a crash tears only there.
        if (newest && (k === n - 1 || readEntry(idx, (k + 1) * INDEX_ENTRY) === undefined)) break;
        seg.commitChunk(e);
        pos += e.length;
        at += e.count;
      }
      if (idx.length !== k * INDEX_ENTRY) truncateSync(seg.indexPath, k * INDEX_ENTRY);
      // Records after the last valid entry: checked one by one and indexed in chunks.
      const rebuilt = new Writer(4096);
      let chunk: ChunkEntry | undefined;
      let buf: Buffer = Buffer.alloc(0);
      let bufStart = pos;
      for (;;) {
        let p = pos - bufStart;
        let r = checkRecord(buf, p, buf.length);
        if (r === 0 && pos < size) {
          const want = p + 8 <= buf.length ? announcedSize(buf, p) : 0;
          buf = readAt(fd, pos, Math.min(Math.max(SCAN_WINDOW, want), size - pos));
          bufStart = pos;
          p = 0;
          r = checkRecord(buf, 0, buf.length);
        }
        if (r <= 0 || recordOffset(buf, p) !== at) break;
        const ts = recordTimestamp(buf, p);
        if (!chunk || chunk.count >= CHUNK_RECORDS || chunk.length >= CHUNK_BYTES) {
          if (chunk) writeEntry(rebuilt, chunk);
          chunk = { offset: at, position: pos, firstTs: ts, lastTs: ts, count: 0, length: 0 };
        }
        chunk.count += 1;
        chunk.length += r;
        chunk.lastTs = ts;
        pos += r;
        at += 1;
      }
      if (chunk) writeEntry(rebuilt, chunk);
      for (let q = 0; q < rebuilt.pos; q += INDEX_ENTRY) seg.commitChunk(readEntry(rebuilt.buf, q)!);
      seg.appendIndex(rebuilt.buf.subarray(0, rebuilt.pos));
      seg.closeIndex();
      if (pos < size) {
        this.warn('stream segment tail cut at the last complete record', { segment: seg.path, validBytes: pos, droppedBytes: size - pos });
        ftruncateSync(fd, pos);
      }
      seg.end = seg.committedEnd = at;
      seg.size = seg.committedSize = pos;
      return seg;
    } finally {
      closeSync(fd);
    }
  }

  // ---- appending -----------------------------------------------------------

  /** Destroyed, or its broker stopped: nothing more touches the files. */
  private get inert(): boolean {
    return this.destroyed || this.commit.closed;
  }

  append(message: Message, filterValue: string | undefined): number {
    const offset = this.nextOffset;
    if (this.inert) return offset;
    let seg = this.segments[this.segments.length - 1];
    if (!seg || seg.sealed || !seg.file || (seg.size >= this.retention.maxSegmentSizeBytes && seg.end > seg.first)) seg = this.roll();
    const file = seg.file!;
    const now = Date.now();
    const ts = now > this.lastTs ? now : this.lastTs;
    this.lastTs = ts;
    const position = file.length;
    // Nothing buffered: the group commit wrote what came before, so this record opens a chunk.
    const fresh = file.length === file.size;
    const size = writeRecord(file.writer, offset, ts, message, filterValue);
    const c = seg.pending[seg.pending.length - 1];
    if (!c || fresh || c.count >= CHUNK_RECORDS || c.length >= CHUNK_BYTES) {
      seg.pending.push({ offset, position, firstTs: ts, lastTs: ts, count: 1, length: size });
    } else {
      c.count += 1;
      c.length += size;
      c.lastTs = ts;
    }
    this.nextOffset = offset + 1;
    seg.end = offset + 1;
    seg.size = position + size;
    this.commit.noteAppend();
    return offset;
  }

  private hooks(seg: StreamSegment) {
    return { onGiveUp: () => this.gaveUp(seg), onSynced: (size: number) => this.synced(seg, size) };
  }

  private reopen(seg: StreamSegment): void {
    seg.sealed = false;
    seg.file = new AppendFile(seg.path, seg.size, this.commit, this.hooks(seg));
  }

  /** Starts a new segment at the next offset; the previous one is sealed (its file closes after its last sync). */
  private roll(): StreamSegment {
    const last = this.segments[this.segments.length - 1];
    if (last && !last.sealed) {
      last.sealed = true;
      last.file?.retire();
      if (last.pending.length === 0) this.retired(last);
    }
    const seg = new StreamSegment(this.dir, this.nextOffset);
    rmSync(seg.indexPath, { force: true });
    seg.file = new AppendFile(seg.path, 0, this.commit, this.hooks(seg));
    this.segments.push(seg);
    this.enforceRetention();
    return seg;
  }

  private retired(seg: StreamSegment): void {
    seg.file = undefined;
    seg.closeIndex();
  }

  /** A sync covered the first `size` bytes of a segment: its chunks there are committed, readers are told. */
  private synced(seg: StreamSegment, size: number): void {
    const any = seg.synced(size, this.scratch);
    if (seg.sealed && seg.pending.length === 0) this.retired(seg);
    if (any) this.advance();
  }

  /** Moves the committed offset over every segment whose records are all committed up to the first that is not. */
  private advance(): void {
    let c = this.committedOffset;
    for (let i = this.indexOf(c); i < this.segments.length; i++) {
      const s = this.segments[i]!;
      if (s.first > c) break;
      if (s.committedEnd > c) c = s.committedEnd;
      if (!s.complete) break;
    }
    if (c <= this.committedOffset) return;
    this.committedOffset = c;
    if (this.inert) return;
    try {
      this.onCommit();
    } catch (e) {
      this.commit.reportInternalError(e, 'a stream commit callback');
    }
  }

  /**
   * A write or sync of a segment failed and its file gave up (see AppendFile.failed): what it had not committed is
   * gone (its publishers get nacks), and so is every newer segment, which can only hold records after those. The
   * next append starts a fresh segment at the segment's committed end, so offsets stay contiguous.
   */
  private gaveUp(seg: StreamSegment): void {
    if (seg.removed) return;
    const i = this.segments.indexOf(seg);
    for (const later of this.segments.splice(i + 1)) {
      later.removed = true;
      later.pending.length = 0;
      try {
        later.file?.failed();
      } catch {
        // Closed anyway.
      }
      later.file = undefined;
      later.closeIndex();
      this.windows.dropSegment(later);
      removeFiles(later);
    }
    seg.pending.length = 0;
    seg.end = seg.committedEnd;
    seg.size = seg.committedSize;
    seg.sealed = true;
    this.retired(seg);
    if (seg.end === seg.first) {
      // Nothing of it committed: the fresh segment takes its name.
      seg.removed = true;
      this.segments.splice(this.segments.indexOf(seg), 1);
      removeFiles(seg);
    }
    this.nextOffset = seg.end;
  }

  // ---- reading ---------------------------------------------------------------

  get firstOffset(): number {
    return this.segments[0]?.first ?? this.nextOffset;
  }

  segmentFor(offset: number): StreamSegment | undefined {
    return this.segments[this.indexOf(offset)];
  }

  /** Index of the segment holding `offset`: the last whose first offset is at most it (0 when before all). */
  private indexOf(offset: number): number {
    let lo = 0;
    let hi = this.segments.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1;
      if (this.segments[mid]!.first <= offset) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }

  openReader(offset: number): StreamReader {
    const r = new StreamCursor(this, offset);
    this.readers.add(r);
    this.windows.setReaders(this.readers.size);
    return r;
  }

  readerClosed(reader: StreamCursor): void {
    this.readers.delete(reader);
    this.windows.setReaders(this.readers.size);
  }

  lastChunkOffset(): number {
    for (let i = this.segments.length - 1; i >= 0; i--) {
      const s = this.segments[i]!;
      if (s.first >= this.committedOffset) continue;
      if (s.lastChunkOffset >= 0) return s.lastChunkOffset;
    }
    return this.committedOffset;
  }

  offsetAt(timestamp: number): number {
    const seg = this.segments.find((s) => s.first < this.committedOffset && s.lastTs >= timestamp);
    if (!seg) return this.committedOffset;
    let from = seg.first;
    if (seg.firstTs < timestamp) {
      const e = searchIndex(seg.indexPath, seg.indexCount, (c) => c.lastTs < timestamp);
      if (e) from = e.lastTs < timestamp ? e.offset + e.count : e.offset;
    }
    const cursor = new StreamCursor(this, from);
    try {
      for (;;) {
        const [r] = cursor.read(1, Infinity);
        if (!r) return this.committedOffset;
        if (r.timestamp >= timestamp) return r.offset;
      }
    } finally {
      cursor.close();
    }
  }

  // ---- retention and upkeep ----------------------------------------------------

  setRetention(retention: StreamRetention): void {
    this.retention = retention;
    this.enforceRetention();
  }

  /**
   * Drops whole segments from the head, never the newest one nor one with records not yet committed: while the
   * stream is larger than max-length-bytes, and while the head's newest record is older than max-age.
   */
  enforceRetention(now = Date.now()): void {
    if (this.inert) return;
    const { maxLengthBytes, maxAgeMs } = this.retention;
    if (maxLengthBytes === undefined && maxAgeMs === undefined) return;
    let total = 0;
    for (const s of this.segments) total += s.diskBytes;
    while (this.segments.length > 1) {
      const head = this.segments[0]!;
      if (!head.complete) break;
      const tooBig = maxLengthBytes !== undefined && total > maxLengthBytes;
      const tooOld = maxAgeMs !== undefined && head.lastTs >= 0 && head.lastTs < now - maxAgeMs;
      if (!tooBig && !tooOld) break;
      this.segments.shift();
      total -= head.diskBytes;
      head.removed = true;
      head.closeIndex();
      this.windows.dropSegment(head);
      removeFiles(head);
    }
  }

  stats(): StreamStats {
    let bytes = 0;
    for (const s of this.segments) bytes += s.diskBytes;
    return {
      messages: Math.max(0, this.committedOffset - this.firstOffset),
      bytes,
      segments: this.segments.length,
      firstOffset: this.firstOffset,
      nextOffset: this.nextOffset,
    };
  }

  destroy(): void {
    if (this.inert) return;
    this.destroyed = true;
    this.closeAll();
    if (this.release(this.dir)) rmSync(this.dir, { recursive: true, force: true });
  }

  /** The broker stops: file descriptors are closed (the group commit has already written and synced what was buffered). */
  closeFiles(): void {
    this.closeAll();
  }

  private closeAll(): void {
    for (const r of [...this.readers]) r.close();
    this.windows.clear();
    for (const s of this.segments) {
      try {
        s.file?.close();
      } catch {
        // Already reported by the group commit; nothing more can be done here.
      }
      s.file = undefined;
      s.closeIndex();
    }
  }
}

/** Best effort: a file system that refuses leaves the files for the next boot, whose scan drops them. */
function removeFiles(seg: StreamSegment): void {
  try {
    rmSync(seg.path, { force: true });
    rmSync(seg.indexPath, { force: true });
  } catch {
    // Left for later.
  }
}
