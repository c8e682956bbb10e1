// One durable queue on disk: append-only segment files of messages (length + CRC per record) and a log of settlements.
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, unlink, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import type { Message, QueueStore, RecoveredMessages, StoredMessages } from '../broker/index.js';
import { Writer } from '../protocol/index.js';
import { AppendFile } from './append-file.js';
import { recordCrc } from './record-crc.js';
import type { GroupCommit } from './group-commit.js';
import { removeIndex, scanSegments, SegmentBacklog, writeIndex } from './segment-reader.js';
import { replaceFileSync } from './replace-file.js';
import { StoredReader } from './stored-reader.js';

/** A segment is closed and a new one started past this size. */
const SEGMENT_BYTES = 8 * 1024 * 1024;
const REMOVED = 1;
const DELIVERED = 2;
const MARK_BYTES = 9;

interface Segment {
  /** Sequence number of its first record: segment files are named by it. */
  readonly first: number;
  file: AppendFile | undefined;
  /** Its file once rolled over, until the group commit wrote it out (a page file's reference may read it first). */
  retired?: AppendFile | undefined;
  readonly path: string;
  /** Messages in it not yet removed. */
  live: number;
}

const segmentName = (first: number) => `${String(first).padStart(16, '0')}.seg`;

/** Told when a store is destroyed; answers whether its files go now (during boot replay they stay until the end). */
export type ReleaseDir = (dir: string) => boolean;

export class QueueFiles implements QueueStore {
  private readonly dir: string;
  private readonly commit: GroupCommit;
  private readonly release: ReleaseDir;
  private readonly segments: Segment[] = [];
  private marks: AppendFile;
  private destroyed = false;
  /** What recovery handed the queue to read lazily: its open segment is closed when the broker stops. */
  private backlog: SegmentBacklog | undefined;
  /** Index entries of the segment being written (see writeIndex): written out when it closes for good. */
  private readonly entries = new Writer(64 * 1024);
  /** The last appended message's exchange and routing key, and the two shortstrs they make (a queue's publishes mostly repeat them). */
  private lastExchange = '';
  private lastRoutingKey = '';
  private lastRoute: Buffer = Buffer.from([0, 0]);

  constructor(dir: string, commit: GroupCommit, release: ReleaseDir = () => true) {
    this.dir = dir;
    this.commit = commit;
    this.release = release;
    mkdirSync(dir, { recursive: true });
    this.marks = new AppendFile(join(dir, 'marks.log'), 0, commit);
  }

  // ---- recovery ----------------------------------------------------------

  /**
   * Opens what the queue held: the marks, then a scan of the segments' record headers (see scanSegments); the
   * messages themselves are read later, in order, through the returned backlog.
   */
  static recover(
    dir: string,
    commit: GroupCommit,
    warn: (msg: string, ctx: object) => void,
    release?: ReleaseDir,
  ): { files: QueueFiles; recovered: RecoveredMessages } {
    mkdirSync(dir, { recursive: true });
    const removed = new Set<number>();
    const delivered = new Set<number>();
    const marksPath = join(dir, 'marks.log');
    const marks = existsSync(marksPath) ? readFileSync(marksPath) : undefined;
    if (marks) {
      const buf = marks;
      const whole = buf.length - (buf.length % MARK_BYTES);
      for (let p = 0; p < whole; p += MARK_BYTES) {
        const seq = buf.readUInt32BE(p + 1) * 0x100000000 + buf.readUInt32BE(p + 5);
        (buf[p] === REMOVED ? removed : delivered).add(seq);
      }
    }
    const names = readdirSync(dir).filter((n) => n.endsWith('.seg')).sort();
    const scan = scanSegments(names.map((n) => join(dir, n)), removed, delivered, warn, (path) => unlinkSync(path));
    const files = new QueueFiles(dir, commit, release);
    files.rewriteMarks(scan.deliveredLive, scan.removedKept, marks);
    for (const k of scan.segments) files.segments.push({ first: k.first, path: k.path, file: undefined, live: k.live });
    // Only the marks of messages still in the segments matter to the reader.
    const first = scan.segments[0]?.first ?? Infinity;
    for (const seq of removed) if (seq < first) removed.delete(seq);
    const liveDelivered = new Set(scan.deliveredLive);
    files.backlog = new SegmentBacklog(scan, removed, liveDelivered, warn);
    return { files, recovered: files.backlog };
  }

  /**
   * Starts the marks log afresh with only what still matters: removal marks of settled records still in kept
   * segments (without them those records would come back at the next boot) and delivered marks of live ones.
   */
  private rewriteMarks(deliveredLive: readonly number[], removedKept: readonly number[], current: Buffer | undefined): void {
    this.marks.close();
    const path = join(this.dir, 'marks.log');
    const w = new Writer(MARK_BYTES * (deliveredLive.length + removedKept.length + 1));
    for (const seq of removedKept) writeMark(w, REMOVED, seq);
    for (const seq of deliveredLive) writeMark(w, DELIVERED, seq);
    const next = w.buf.subarray(0, w.pos);
    // Unchanged (an idle queue's, at every boot): keep it and skip the two syncs.
    if (current === undefined ? next.length > 0 : !current.equals(next)) replaceFileSync(path, next);
    this.marks = new AppendFile(path, w.pos, this.commit);
  }

  // ---- QueueStore --------------------------------------------------------

  /** Destroyed, or its broker stopped: nothing more touches the files. */
  private get inert(): boolean {
    return this.destroyed || this.commit.closed;
  }

  append(seq: number, message: Message, expiresAt: number): void {
    if (this.inert) return;
    let seg = this.segments[this.segments.length - 1];
    if (!seg || !seg.file || seg.file.length >= SEGMENT_BYTES) seg = this.startSegment(seq);
    const w = seg.file!.writer;
    const route = this.routeOf(message);
    const payloadLen = 16 + route.length + 4 + message.propertiesRaw.length + message.body.length;
    w.ensure(8 + payloadLen);
    const start = w.pos;
    w.u32(payloadLen);
    w.u32(0);
    w.u64(seq);
    w.u64(expiresAt);
    w.raw(route);
    w.u32(message.propertiesRaw.length);
    w.raw(message.propertiesRaw);
    w.raw(message.body);
    w.buf.writeUInt32BE(recordCrc(w.buf, start + 8, w.pos), start + 4);
    const e = this.entries;
    e.u64(seq);
    e.u32(payloadLen);
    e.u32(message.body.length);
    seg.live += 1;
    this.commit.noteAppend();
  }

  /** Exchange and routing key as a record holds them (two shortstrs), encoded again only when they change. */
  private routeOf(message: Message): Buffer {
    if (message.exchange !== this.lastExchange || message.routingKey !== this.lastRoutingKey) {
      const w = new Writer(2 + Buffer.byteLength(message.exchange) + Buffer.byteLength(message.routingKey));
      w.shortstr(message.exchange);
      w.shortstr(message.routingKey);
      this.lastExchange = message.exchange;
      this.lastRoutingKey = message.routingKey;
      this.lastRoute = w.buf.subarray(0, w.pos);
    }
    return this.lastRoute;
  }

  remove(seq: number): void {
    if (this.inert) return;
    writeMark(this.marks.writer, REMOVED, seq);
    const i = this.segmentIndex(seq);
    const seg = this.segments[i];
    if (!seg) return;
    seg.live -= 1;
    if (seg.live <= 0 && i < this.segments.length - 1) {
      // Every message of a closed segment is gone: the file goes and disk use shrinks.
      this.segments.splice(i, 1);
      seg.file?.close();
      deleteSegment(seg.path);
    }
  }

  openReader(): StoredMessages {
    return new StoredReader(
      () => this.segments,
      (seq) => this.segmentIndex(seq),
    );
  }

  delivered(seq: number): void {
    if (!this.inert) writeMark(this.marks.writer, DELIVERED, seq);
  }

  destroy(): void {
    if (this.inert) return;
    this.destroyed = true;
    // A failing disk must not stop the delete: nothing in these files is needed any more.
    for (const f of [...this.segments.map((s) => s.file), this.marks]) {
      try {
        f?.close();
      } catch {
        // Closed anyway (see AppendFile.close).
      }
    }
    if (this.release(this.dir)) rmSync(this.dir, { recursive: true, force: true });
  }

  /** The broker stops: file descriptors are closed (the group commit has already written what was buffered). */
  closeFiles(): void {
    this.backlog?.close();
    for (const s of this.segments) {
      const file = s.file;
      if (!file) continue;
      s.file = undefined;
      try {
        file.close();
        // Whole on disk: the next boot reads its index instead of it (it is never appended to again).
        if (s.live > 0) this.saveIndex(s.path, file.size);
      } catch {
        // Already reported by the group commit; nothing more can be done at shutdown.
      }
    }
    try {
      this.marks.close();
    } catch {
      // As above.
    }
  }

  private startSegment(first: number): Segment {
    const last = this.segments[this.segments.length - 1];
    if (last?.file) {
      if (last.live > 0) this.saveIndex(last.path, last.file.length);
      last.file.retire();
      // Only the newest closed segment keeps its file for readers (an older one's was written out long ago).
      for (const s of this.segments) {
        if (!s.retired) continue;
        try {
          s.retired.flush();
        } catch {
          // The group commit reports and handles it (its own flush of the same file fails the same way).
        }
        s.retired = undefined;
      }
      last.retired = last.file;
      last.file = undefined;
      if (last.live <= 0) {
        this.segments.pop();
        deleteSegment(last.path);
      }
    }
    this.entries.pos = 0;
    const path = join(this.dir, segmentName(first));
    removeIndex(path);
    const seg: Segment = { first, path, file: undefined, live: 0 };
    seg.file = new AppendFile(path, 0, this.commit, { onGiveUp: () => this.segmentFailed(seg) });
    this.segments.push(seg);
    return seg;
  }

  /**
   * A write or sync of a segment failed and its file gave up (see AppendFile.failed): its index (written at
   * rollover, counting records that may be gone) goes, and the next append starts a fresh segment. Its messages
   * still count in it until they are settled (those whose records were dropped included: they were nacked).
   */
  private segmentFailed(seg: Segment): void {
    seg.file = undefined;
    try {
      removeIndex(seg.path);
    } catch {
      // A failing disk: an index that no longer matches the cut segment's size is ignored at boot.
    }
  }

  /** Writes the index of the segment being closed; a failure only costs a scan at the next boot. */
  private saveIndex(path: string, size: number): void {
    try {
      writeIndex(path, this.entries.buf.subarray(0, this.entries.pos), size);
    } catch {
      removeIndex(path);
    }
  }

  /** Index of the segment holding `seq` (segments hold ascending, contiguous ranges). */
  private segmentIndex(seq: number): number {
    let lo = 0;
    let hi = this.segments.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1;
      if (this.segments[mid]!.first <= seq) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }
}

/**
 * Deletes a segment none of whose messages is left, in the background (unlinking a segment's megabytes on the event
 * loop stalled every connection: 3.9% of the CPU profile with persistent 1 KB messages), then its index. Best effort:
 * a file system that refuses (read-only after I/O errors) must not fail the ack or sync callback that settled the last
 * message; the next boot finds the file empty of live messages and deletes it then. Segment names are never reused.
 */
function deleteSegment(path: string): void {
  unlink(path, (e) => {
    if (e && e.code !== 'ENOENT') return; // left for the next boot
    try {
      removeIndex(path);
    } catch {
      // Left for the next boot.
    }
  });
}

function writeMark(w: Writer, kind: number, seq: number): void {
  w.u8(kind);
  w.u64(seq);
}
