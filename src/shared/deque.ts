// A growable ring-buffer double-ended queue: O(1) push/shift at both ends, no per-item allocation.

export class Deque<T> {
  private items: (T | undefined)[];
  private head = 0;
  private count = 0;

  constructor(capacity = 16) {
    this.items = new Array<T | undefined>(capacity);
  }

  get length(): number {
    return this.count;
  }

  push(item: T): void {
    if (this.count === this.items.length) this.grow();
    this.items[(this.head + this.count) % this.items.length] = item;
    this.count += 1;
  }

  unshift(item: T): void {
    if (this.count === this.items.length) this.grow();
    this.head = (this.head - 1 + this.items.length) % this.items.length;
    this.items[this.head] = item;
    this.count += 1;
  }

  shift(): T | undefined {
    if (this.count === 0) return undefined;
    const item = this.items[this.head];
    this.items[this.head] = undefined;
    this.head = (this.head + 1) % this.items.length;
    this.count -= 1;
    return item;
  }

  pop(): T | undefined {
    if (this.count === 0) return undefined;
    const i = (this.head + this.count - 1) % this.items.length;
    const item = this.items[i];
    this.items[i] = undefined;
    this.count -= 1;
    return item;
  }

  peek(): T | undefined {
    return this.count === 0 ? undefined : this.items[this.head];
  }

  at(index: number): T | undefined {
    if (index < 0 || index >= this.count) return undefined;
    return this.items[(this.head + index) % this.items.length];
  }

  /** Replaces the contents with `items`, front first. */
  assign(items: readonly T[]): void {
    this.reset(items);
  }

  /** Removes every item for which `drop` is true; O(n). */
  removeWhere(drop: (item: T) => boolean): T[] {
    const kept: T[] = [];
    const removed: T[] = [];
    for (const item of this.toArray()) (drop(item) ? removed : kept).push(item);
    if (removed.length > 0) this.reset(kept);
    return removed;
  }

  clear(): T[] {
    const all = this.toArray();
    this.reset([]);
    return all;
  }

  toArray(): T[] {
    const out: T[] = [];
    for (let i = 0; i < this.count; i++) out.push(this.items[(this.head + i) % this.items.length] as T);
    return out;
  }

  private reset(items: readonly T[]): void {
    let cap = 16;
    while (cap < items.length) cap *= 2;
    this.items = new Array<T | undefined>(cap);
    for (let i = 0; i < items.length; i++) this.items[i] = items[i];
    this.head = 0;
    this.count = items.length;
  }

  private grow(): void {
    const next = new Array<T | undefined>(this.items.length * 2);
    for (let i = 0; i < this.count; i++) next[i] = this.items[(this.head + i) % this.items.length];
    this.items = next;
    this.head = 0;
  }
}
