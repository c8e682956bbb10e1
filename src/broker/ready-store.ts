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

  /** Puts a requeued entry back at its original place (by arrival order) in its level. */
  insertInOrder(entry: QueueEntry): void {
    const d = this.levels[entry.priority]!;
    const front = d.peek();
    if (!front || entry.seq < front.seq) {
      d.unshift(entry);
      return;
    }
    let lo = 0;
    let hi = d.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (d.at(mid)!.seq < entry.seq) lo = mid + 1;
      else hi = mid;
    }
    d.insert(lo, entry);
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
