// One message's place in one queue, and the min-heap that finds the next entry to expire.
import type { Message } from './message.js';

export type EntryState = 'ready' | 'out' | 'gone';

/** A message routed to two queues has an entry in each. */
export interface QueueEntry {
  /** As published (dead-lettering and the store use this one). */
  readonly message: Message;
  /** What consumers get when the queue adds headers (quorum x-delivery-count); else undefined. */
  delivery: Message | undefined;
  /** Arrival order in this queue; requeued entries go back to their place by it. */
  readonly seq: number;
  readonly priority: number;
  /** Epoch ms after which it must not be delivered; 0 for never. */
  readonly expiresAt: number;
  redelivered: boolean;
  /** ready: in the queue; out: delivered, awaiting settlement; gone: expired, dropped or settled. */
  state: EntryState;
  /** Times returned to the queue (quorum queues' x-delivery-count). */
  deliveryCount: number;
  /** Epoch ms it entered the queue (the age of the oldest ready message is the consumer lag). */
  readonly enqueuedAt: number;
  /** Written to the queue's store (persistent message, durable queue): its removal must be recorded. */
  persisted: boolean;
}

/** Binary min-heap of entries by expiresAt. */
export class ExpiryHeap {
  private readonly items: QueueEntry[] = [];

  get size(): number {
    return this.items.length;
  }

  peek(): QueueEntry | undefined {
    return this.items[0];
  }

  push(e: QueueEntry): void {
    const a = this.items;
    a.push(e);
    let i = a.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (a[parent]!.expiresAt <= e.expiresAt) break;
      a[i] = a[parent]!;
      i = parent;
    }
    a[i] = e;
  }

  pop(): QueueEntry | undefined {
    const a = this.items;
    const top = a[0];
    const last = a.pop();
    if (a.length === 0 || last === undefined) return top;
    let i = 0;
    const n = a.length;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      const c = r < n && a[r]!.expiresAt < a[l]!.expiresAt ? r : l;
      if (a[c]!.expiresAt >= last.expiresAt) break;
      a[i] = a[c]!;
      i = c;
    }
    a[i] = last;
    return top;
  }

  clear(): void {
    this.items.length = 0;
  }
}
