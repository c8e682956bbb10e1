// The on-confirm bookkeeping of a shovel: which source delivery tag each destination publish carries, which of them
// the destination confirmed, and how far the source may be acked with multiple=true without acking an unconfirmed one.

/** What release() hands to: a destination nack (requeued at the source one by one), then the multiple ack. */
export interface ReleaseSink {
  nackAtSource(tag: number): void;
}

const PENDING = 0;
const ACKED = 1;
const NACKED = 2;

/** A ring of source tags indexed by the destination's publish sequence number (1, 2, 3… per channel). */
export class ConfirmWindow {
  private tags = new Float64Array(1024);
  private states = new Uint8Array(1024);
  private mask = 1023;
  /** The lowest sequence number not yet released. */
  private first = 1;
  /** The sequence number the next publish gets. */
  private next = 1;
  /** Acked sequence numbers among those released by the last release() call. */
  releasedAcks = 0;
  /** Nacked ones among them. */
  releasedNacks = 0;

  /** Publishes not yet released (confirmed or not). */
  get size(): number {
    return this.next - this.first;
  }

  /** Records the next publish: it carries source delivery `tag`. */
  push(tag: number): void {
    if (this.next - this.first > this.mask) this.grow();
    const i = this.next & this.mask;
    this.tags[i] = tag;
    this.states[i] = PENDING;
    this.next++;
  }

  /** The destination's basic.ack / basic.nack for `seq` (and all before it, with multiple). Unknown numbers are ignored. */
  settle(seq: number, multiple: boolean, ack: boolean): void {
    const state = ack ? ACKED : NACKED;
    const last = Math.min(seq, this.next - 1);
    if (multiple) {
      for (let s = this.first; s <= last; s++) {
        const i = s & this.mask;
        if (this.states[i] === PENDING) this.states[i] = state;
      }
    } else if (seq >= this.first && seq < this.next) {
      const i = seq & this.mask;
      if (this.states[i] === PENDING) this.states[i] = state;
    }
  }

  /**
   * Releases the settled publishes at the front: nacked ones go to `sink` in order; returns the highest acked source
   * tag released (-1 when none), which the source may then ack with multiple=true: every earlier tag is settled (a
   * multiple ack must name a tag still unacked, so never a nacked one).
   */
  release(sink: ReleaseSink): number {
    let tag = -1;
    let acks = 0;
    let nacks = 0;
    while (this.first < this.next) {
      const i = this.first & this.mask;
      const state = this.states[i];
      if (state === PENDING) break;
      if (state === NACKED) {
        nacks++;
        sink.nackAtSource(this.tags[i]!);
      } else {
        acks++;
        tag = this.tags[i]!;
      }
      this.first++;
    }
    this.releasedAcks = acks;
    this.releasedNacks = nacks;
    return tag;
  }

  private grow(): void {
    const size = (this.mask + 1) * 2;
    const tags = new Float64Array(size);
    const states = new Uint8Array(size);
    for (let s = this.first; s < this.next; s++) {
      tags[s & (size - 1)] = this.tags[s & this.mask]!;
      states[s & (size - 1)] = this.states[s & this.mask]!;
    }
    this.tags = tags;
    this.states = states;
    this.mask = size - 1;
  }
}
