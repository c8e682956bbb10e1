// One segment file of a stream as the log and its readers see it: offsets and bytes appended, and the committed part.
import { closeSync, openSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { Writer } from '../protocol/index.js';
import type { AppendFile } from './append-file.js';
import { indexPathOf, INDEX_ENTRY, writeEntry, type ChunkEntry } from './stream-index.js';

/** Segment files are named by the offset of their first record. */
export const segmentName = (first: number) => `${String(first).padStart(20, '0')}.seg`;

export class StreamSegment {
  readonly first: number;
  readonly path: string;
  readonly indexPath: string;
  /** The file appended to (the newest segment), or a retired one until its last sync; undefined after. */
  file: AppendFile | undefined;
  private indexFd = -1;
  /** Offset after its last appended record, and its size with what is still buffered. */
  end: number;
  size: number;
  /** The part a sync covered and the index names: readers see only this. */
  committedEnd: number;
  committedSize: number;
  indexCount = 0;
  /** Timestamps of its first and newest committed records (-1: none yet). */
  firstTs = -1;
  lastTs = -1;
  /** First offset of its newest committed chunk (-1: none yet). */
  lastChunkOffset = -1;
  /** Chunks appended but not yet covered by a sync, oldest first; the last one may still grow. */
  readonly pending: ChunkEntry[] = [];
  /** A newer segment was started after it (or its file gave up after a failed write): never appended to again. */
  sealed = false;
  /** Deleted (retention, stream deleted, or dropped after a failure): readers still in it read what they hold open. */
  removed = false;

  constructor(dir: string, first: number, size = 0, end = first) {
    this.first = first;
    this.path = join(dir, segmentName(first));
    this.indexPath = indexPathOf(this.path);
    this.end = end;
    this.size = size;
    this.committedEnd = end;
    this.committedSize = size;
  }

  /** Bytes on disk: the committed records and their index. */
  get diskBytes(): number {
    return this.committedSize + this.indexCount * INDEX_ENTRY;
  }

  /** Whether every record it will ever hold is committed. */
  get complete(): boolean {
    return this.sealed && this.committedEnd === this.end;
  }

  /**
   * A sync covered its first `size` bytes: the chunks inside become committed, each with an index entry (written to
   * the page cache, not synced: see stream-index.ts). Returns whether anything was committed.
   */
  synced(size: number, scratch: Writer): boolean {
    if (this.removed) return false;
    let any = false;
    scratch.pos = 0;
    while (this.pending.length > 0) {
      const c = this.pending[0]!;
      if (c.position + c.length > size) break;
      this.pending.shift();
      writeEntry(scratch, c);
      this.commitChunk(c);
      any = true;
    }
    if (any) this.appendIndex(scratch.buf.subarray(0, scratch.pos));
    return any;
  }

  /** Counts a chunk as committed (its index entry written by the caller). */
  commitChunk(c: ChunkEntry): void {
    this.committedEnd = c.offset + c.count;
    this.committedSize = c.position + c.length;
    this.indexCount += 1;
    if (this.firstTs < 0) this.firstTs = c.firstTs;
    this.lastTs = c.lastTs;
    this.lastChunkOffset = c.offset;
  }

  appendIndex(bytes: Buffer): void {
    if (bytes.length === 0) return;
    try {
      if (this.indexFd < 0) this.indexFd = openSync(this.indexPath, 'a');
      let off = 0;
      while (off < bytes.length) off += writeSync(this.indexFd, bytes, off, bytes.length - off);
    } catch {
      // A failing disk: an index short of entries is rebuilt from the records at the next boot. Seeks into the
      // chunks it lacks land at its last entry and read forward.
    }
  }

  closeIndex(): void {
    if (this.indexFd >= 0) closeSync(this.indexFd);
    this.indexFd = -1;
  }
}
