// A queue's ready messages in delivery order: one FIFO per priority level, each with the newest part paged to disk.
import { Deque } from '../shared/deque.js';
import type { PageFile } from './persistence.js';
import type { QueueEntry } from './queue-entry.js';

/** Entries recovered at boot and still on disk (in the queue's own segments), read back in order. */
export interface Backlog {
  readonly remaining: number;
  readonly remainingBytes: number;
  read(max: number, maxBytes: number): QueueEntry[];
  close(): void;
}

/**
 * One priority level: its oldest ready entries in memory, then (if any) a recovered backlog still on disk, then
 * newer entries in its page file, in order.
 */
interface Level {
  readonly mem: Deque<QueueEntry>;
  backlog: Backlog | undefined;
  /** Opened on first use. */
  pager: PageFile | undefined;
  /** Entries and body bytes waiting on disk (backlog and page file). */
  paged: number;
  pagedBytes: number;
}

export class ReadyStore {
  /** Index = priority level; a queue without x-max-priority has one level. */
  private readonly levels: Level[];
  private readonly openPage: (() => PageFile) | undefined;
  /** Entries and body bytes on disk (backlogs and page files), all levels together. */
  pagedCount = 0;
  pagedBytes = 0;
  /** Backlog entries found unreadable since the queue last looked: its counts must drop by these. */
  lostCount = 0;
  lostBytes = 0;

  constructor(maxPriority: number, openPage?: () => PageFile) {
    this.levels = Array.from({ length: maxPriority + 1 }, () => ({ mem: new Deque<QueueEntry>(), backlog: undefined, pager: undefined, paged: 0, pagedBytes: 0 }));
    this.openPage = openPage;
  }

  /** True when entries can be paged out (the queue has somewhere to put them). */
  get canPage(): boolean {
    return this.openPage !== undefined;
  }

  /** A new entry goes to memory (the caller decides; an entry behind paged ones of its level must be paged). */
  push(entry: QueueEntry): void {
    this.levels[entry.priority]!.mem.push(entry);
  }

  /** Entries of this priority level already wait on disk: a newer one must follow them there. */
  pagedAt(priority: number): boolean {
    return this.levels[priority]!.paged > 0;
  }

  /** Appends a new entry to its level's page file. */
  page(entry: QueueEntry): void {
    const level = this.levels[entry.priority]!;
    level.pager ??= this.openPage!();
    level.pager.append(entry);
    level.paged += 1;
    level.pagedBytes += entry.message.bodySize;
    this.pagedCount += 1;
    this.pagedBytes += entry.message.bodySize;
  }

  /**
   * The level whose paged entries should come into memory before the next shift, or -1: the highest level holding
   * anything ready, when its memory part is empty, or (with `lowMemory`) when it has paged entries at all.
   */
  levelToPageIn(lowMemory: boolean): number {
    for (let p = this.levels.length - 1; p >= 0; p--) {
      const level = this.levels[p]!;
      const d = level.mem;
      while (d.length > 0 && d.peek()!.state !== 'ready') d.shift();
      if (d.length > 0) return lowMemory && level.paged > 0 ? p : -1;
      if (level.paged > 0) return p;
    }
    return -1;
  }

  /** Recovered entries beyond memory, to be delivered before anything paged later (set once, at boot). */
  attachBacklog(priority: number, backlog: Backlog): void {
    const level = this.levels[priority]!;
    level.backlog = backlog;
    level.paged += backlog.remaining;
    level.pagedBytes += backlog.remainingBytes;
    this.pagedCount += backlog.remaining;
    this.pagedBytes += backlog.remainingBytes;
  }

  /** Reads from a level's backlog, keeping the counts right (entries read, and any found unreadable). */
  private readBacklog(level: Level, backlog: Backlog, max: number, maxBytes: number): QueueEntry[] {
    const count = backlog.remaining;
    const bytes = backlog.remainingBytes;
    const entries = backlog.read(max, maxBytes);
    const goneCount = count - backlog.remaining;
    const goneBytes = bytes - backlog.remainingBytes;
    level.paged -= goneCount;
    level.pagedBytes -= goneBytes;
    this.pagedCount -= goneCount;
    this.pagedBytes -= goneBytes;
    let readBytes = 0;
    for (const e of entries) readBytes += e.message.bodySize;
    this.lostCount += goneCount - entries.length;
    this.lostBytes += goneBytes - readBytes;
    if (backlog.remaining === 0) {
      backlog.close();
      level.backlog = undefined;
    }
    return entries;
  }

  /** Takes the next entries of a level from disk (up to `max`, and about `maxBytes` of bodies). */
  readPaged(priority: number, max: number, maxBytes: number): QueueEntry[] {
    const level = this.levels[priority]!;
    if (level.backlog) {
      const entries = this.readBacklog(level, level.backlog, max, maxBytes);
      if (entries.length > 0) return entries;
    }
    if (!level.pager || level.paged === 0) return [];
    const entries = level.pager.read(Math.min(max, level.paged), maxBytes);
    for (const e of entries) {
      level.paged -= 1;
      level.pagedBytes -= e.message.bodySize;
      this.pagedCount -= 1;
      this.pagedBytes -= e.message.bodySize;
    }
    const lost = level.pager.takeLost?.();
    if (lost && lost.count > 0) {
      // References to stored messages whose records are gone (see PageFile.takeLost): they leave the counts.
      level.paged -= lost.count;
      level.pagedBytes -= lost.bytes;
      this.pagedCount -= lost.count;
      this.pagedBytes -= lost.bytes;
      this.lostCount += lost.count;
      this.lostBytes += lost.bytes;
    }
    return entries;
  }

  /** The next ready entry in memory, highest priority first; entries that expired in place are skipped. */
  shift(): QueueEntry | undefined {
    for (let p = this.levels.length - 1; p >= 0; p--) {
      const d = this.levels[p]!.mem;
      while (d.length > 0) {
        const e = d.shift()!;
        if (e.state === 'ready') return e;
      }
    }
    return undefined;
  }

  peek(): QueueEntry | undefined {
    for (let p = this.levels.length - 1; p >= 0; p--) {
      const d = this.levels[p]!.mem;
      while (d.length > 0) {
        const e = d.peek()!;
        if (e.state === 'ready') return e;
        d.shift();
      }
    }
    return undefined;
  }

  /**
   * Puts requeued entries back at their original places (by arrival order) in their levels: O(k log k) when they
   * all go in front of what is ready (the usual case: they were the oldest), else one O(n + k) merge per level,
   * never one O(n) insert per entry (a consumer with prefetch 1000 closing on a long queue).
   */
  putBack(entries: QueueEntry[]): void {
    if (entries.length === 0) return;
    entries.sort((a, b) => a.seq - b.seq);
    for (let p = 0; p < this.levels.length; p++) {
      const back = this.levels.length === 1 ? entries : entries.filter((e) => e.priority === p);
      if (back.length === 0) continue;
      const d = this.levels[p]!.mem;
      const front = d.peek();
      if (!front || back[back.length - 1]!.seq < front.seq) {
        for (let i = back.length - 1; i >= 0; i--) d.unshift(back[i]!);
        continue;
      }
      const current = d.toArray();
      const merged: QueueEntry[] = new Array<QueueEntry>(current.length + back.length);
      let i = 0;
      let j = 0;
      let k = 0;
      while (i < current.length && j < back.length) merged[k++] = current[i]!.seq < back[j]!.seq ? current[i++]! : back[j++]!;
      while (i < current.length) merged[k++] = current[i++]!;
      while (j < back.length) merged[k++] = back[j++]!;
      d.assign(merged);
    }
  }

  /** Empties memory, returning the entries still ready there (paged entries stay: see clearPaged). */
  clear(): QueueEntry[] {
    const out: QueueEntry[] = [];
    for (const level of this.levels) for (const e of level.mem.clear()) if (e.state === 'ready') out.push(e);
    return out;
  }

  /** Empties the backlogs and page files, handing each entry to `each` first (persistent ones must leave the store). */
  clearPaged(each: (entry: QueueEntry) => void): void {
    for (const level of this.levels) {
      const backlog = level.backlog;
      if (backlog) {
        for (let batch = backlog.read(10_000, Infinity); batch.length > 0; batch = backlog.read(10_000, Infinity)) for (const e of batch) each(e);
        backlog.close();
        level.backlog = undefined;
      }
      const pager = level.pager;
      if (pager && level.paged > 0) {
        for (let batch = pager.read(10_000, Infinity); batch.length > 0; batch = pager.read(10_000, Infinity)) for (const e of batch) each(e);
        pager.clear();
      }
      level.paged = 0;
      level.pagedBytes = 0;
    }
    this.pagedCount = 0;
    this.pagedBytes = 0;
  }

  /** The queue is deleted: page files go, a backlog is not read (its segments are gone). */
  destroy(): void {
    for (const level of this.levels) {
      level.backlog?.close();
      level.backlog = undefined;
      level.pager?.destroy();
      level.pager = undefined;
    }
  }

  /** Ready entries in memory in delivery order (for inspection, not the hot path). */
  toArray(): QueueEntry[] {
    const out: QueueEntry[] = [];
    for (let p = this.levels.length - 1; p >= 0; p--) for (const e of this.levels[p]!.mem.toArray()) if (e.state === 'ready') out.push(e);
    return out;
  }
}
