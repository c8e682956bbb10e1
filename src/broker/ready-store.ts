// A queue's ready messages in delivery order: one FIFO per priority level, requeued entries back in their place.
import { Deque } from './deque.js';
import type { QueueEntry } from './queue-entry.js';

export class ReadyStore {
  /** Index = priority level; a queue without x-max-priority has one level. */
  private readonly levels: Deque<QueueEntry>[];

  constructor(maxPriority: number) {
    this.levels = Array.from({ length: maxPriority + 1 }, () => new Deque<QueueEntry>());
  }

  push(entry: QueueEntry): void {
    this.levels[entry.priority]!.push(entry);
  }

  /** The next ready entry, highest priority first; entries that expired in place are skipped. */
  shift(): QueueEntry | undefined {
    for (let p = this.levels.length - 1; p >= 0; p--) {
      const d = this.levels[p]!;
      while (d.length > 0) {
        const e = d.shift()!;
        if (e.state === 'ready') return e;
      }
    }
    return undefined;
  }

  peek(): QueueEntry | undefined {
    for (let p = this.levels.length - 1; p >= 0; p--) {
      const d = this.levels[p]!;
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
      const d = this.levels[p]!;
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

  /** Empties the store, returning the entries still ready. */
  clear(): QueueEntry[] {
    const out: QueueEntry[] = [];
    for (const d of this.levels) for (const e of d.clear()) if (e.state === 'ready') out.push(e);
    return out;
  }

  /** Ready entries in delivery order (for inspection, not the hot path). */
  toArray(): QueueEntry[] {
    const out: QueueEntry[] = [];
    for (let p = this.levels.length - 1; p >= 0; p--) for (const e of this.levels[p]!.toArray()) if (e.state === 'ready') out.push(e);
    return out;
  }
}
