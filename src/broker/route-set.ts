// The destinations one publish reaches, each once, in the order found; reused from publish to publish without allocating.
import type { Destination, RouteSink } from './exchanges/exchange-type.js';

/** Up to this many destinations, an add scans them; past it a Set keeps membership (a scan would be quadratic). */
const SCAN_LIMIT = 16;

export class RouteSet implements RouteSink<Destination> {
  private readonly items: Array<Destination | undefined> = [];
  private count = 0;
  /** Membership past SCAN_LIMIT, made when first needed and dropped by clear(). */
  private index: Set<Destination> | undefined;

  get size(): number {
    return this.count;
  }

  /** The i-th destination found (0 ≤ i < size). */
  at(i: number): Destination {
    return this.items[i]!;
  }

  add(d: Destination): void {
    const items = this.items;
    const n = this.count;
    if (n < SCAN_LIMIT) {
      for (let i = 0; i < n; i++) if (items[i] === d) return;
    } else {
      let index = this.index;
      if (index === undefined) {
        index = this.index = new Set();
        for (let i = 0; i < n; i++) index.add(items[i]!);
      }
      if (index.has(d)) return;
      index.add(d);
    }
    items[n] = d;
    this.count = n + 1;
  }

  /** Empties it, keeping its storage (and holding no destination: a deleted queue is not kept alive by it). */
  clear(): void {
    const items = this.items;
    for (let i = 0; i < this.count; i++) items[i] = undefined;
    this.count = 0;
    this.index = undefined;
  }
}
