// A queue's ready messages in delivery order: one FIFO per priority level, each with the newest part paged to disk.
import { Deque } from './deque.js';
import type { PageFile } from './persistence.js';
import type { QueueEntry } from './queue-entry.js';

/** One priority level: its oldest ready entries in memory, the newer ones (if any) in its page file, in order. */
interface Level {
  readonly mem: Deque<QueueEntry>;
  /** Opened on first use. */
  pager: PageFile | undefined;
  /** Entries and body bytes waiting in the page file. */
  paged: number;
  pagedBytes: number;
}

export class ReadyStore {
  /** Index = priority level; a queue without x-max-priority has one level. */
  private readonly levels: Level[];
  private readonly openPage: (() => PageFile) | undefined;
  /** Entries and body bytes in page files, all levels together. */
  pagedCount = 0;
  pagedBytes = 0;

  constructor(maxPriority: number, openPage?: () => PageFile) {
    this.levels = Array.from({ length: maxPriority + 1 }, () => ({ mem: new Deque<QueueEntry>(), pager: undefined, paged: 0, pagedBytes: 0 }));
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

  /** Takes the next paged entries of a level out of its file (up to `max`, and about `maxBytes` of bodies). */
  readPaged(priority: number, max: number, maxBytes: number): QueueEntry[] {
    const level = this.levels[priority]!;
    if (!level.pager || level.paged === 0) return [];
    const entries = level.pager.read(Math.min(max, level.paged), maxBytes);
    for (const e of entries) {
      level.paged -= 1;
      level.pagedBytes -= e.message.bodySize;
      this.pagedCount -= 1;
      this.pagedBytes -= e.message.bodySize;
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

  /** Empties the page files, handing each paged entry to `each` first (persistent ones must leave the store). */
  clearPaged(each: (entry: QueueEntry) => void): void {
    for (const level of this.levels) {
      if (!level.pager || level.paged === 0) continue;
      for (let batch = level.pager.read(10_000, Infinity); batch.length > 0; batch = level.pager.read(10_000, Infinity)) for (const e of batch) each(e);
      level.pager.clear();
      level.paged = 0;
      level.pagedBytes = 0;
    }
    this.pagedCount = 0;
    this.pagedBytes = 0;
  }

  /** The queue is deleted: page files go. */
  destroy(): void {
    for (const level of this.levels) level.pager?.destroy();
  }

  /** Ready entries in memory in delivery order (for inspection, not the hot path). */
  toArray(): QueueEntry[] {
    const out: QueueEntry[] = [];
    for (let p = this.levels.length - 1; p >= 0; p--) for (const e of this.levels[p]!.mem.toArray()) if (e.state === 'ready') out.push(e);
    return out;
  }
}
