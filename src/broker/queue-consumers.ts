// A queue's consumers in registration order, and which one takes the next message: the single active one, or the
// highest priority group first with round-robin inside it.
import type { Consumer } from './queue-contracts.js';

export class QueueConsumers {
  /** Registration order (single active consumer takes the first). */
  readonly list: Consumer[] = [];
  /** By descending priority, rebuilt when consumers change and priorities differ. */
  private byPriority: Consumer[] | undefined;
  /** Where round-robin resumes inside a priority group. */
  private rr = 0;

  get length(): number {
    return this.list.length;
  }

  add(consumer: Consumer): void {
    this.list.push(consumer);
    this.reorder();
  }

  /** Removes a consumer; returns the place it had (0: the single active one), or -1 when it was not there. */
  remove(consumer: Consumer): number {
    const i = this.list.indexOf(consumer);
    if (i < 0) return -1;
    this.list.splice(i, 1);
    this.reorder();
    return i;
  }

  /** Takes every consumer out, in registration order. */
  clear(): Consumer[] {
    const all = this.list.splice(0);
    this.byPriority = undefined;
    return all;
  }

  find(tag: string): Consumer | undefined {
    return this.list.find((c) => c.tag === tag);
  }

  /** The consumer that takes the next message, undefined when none can now. */
  pick(singleActive: boolean): Consumer | undefined {
    const list = this.list;
    if (list.length === 0) return undefined;
    if (singleActive) {
      const active = list[0]!;
      return active.canTake() ? active : undefined;
    }
    const ordered = this.byPriority ?? list;
    const n = ordered.length;
    // Walk priority groups from the highest; round-robin inside a group.
    for (let start = 0; start < n; ) {
      const p = ordered[start]!.priority;
      let end = start + 1;
      while (end < n && ordered[end]!.priority === p) end++;
      const size = end - start;
      for (let i = 0; i < size; i++) {
        const c = ordered[start + ((this.rr + i) % size)]!;
        if (c.canTake()) {
          this.rr = (this.rr + i + 1) % 0x7fffffff;
          return c;
        }
      }
      start = end;
    }
    return undefined;
  }

  private reorder(): void {
    const list = this.list;
    const mixed = list.some((c) => c.priority !== list[0]!.priority);
    this.byPriority = mixed ? [...list].sort((a, b) => b.priority - a.priority) : undefined;
  }
}
