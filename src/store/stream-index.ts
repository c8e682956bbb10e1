// A stream segment's chunk index: per chunk its first offset, file position, timestamps and size, for seeks by offset or time.
import { closeSync, openSync, readSync } from 'node:fs';
import { crc32 } from 'node:zlib';
import { Writer } from '../protocol/index.js';
import { u64 } from './message-record.js';

/**
 * A chunk is the run of records one group commit wrote together (capped, so a seek never scans much). Index entry:
 * first offset u64, position u64, first and last timestamp u64 each, record count u32, byte length u32, CRC u32 of
 * the 40 bytes before it. Entries are appended only once their chunk is synced, so an entry never names bytes a crash
 * can lose; the index itself is not synced (after a power cut boot rebuilds what is missing from the records).
 */
export const INDEX_ENTRY = 44;

export interface ChunkEntry {
  offset: number;
  position: number;
  firstTs: number;
  lastTs: number;
  count: number;
  length: number;
}

export const indexPathOf = (segmentPath: string) => segmentPath.slice(0, -'.seg'.length) + '.sidx';

export function writeEntry(w: Writer, e: ChunkEntry): void {
  w.ensure(INDEX_ENTRY);
  const start = w.pos;
  w.u64(e.offset);
  w.u64(e.position);
  w.u64(e.firstTs);
  w.u64(e.lastTs);
  w.u32(e.count);
  w.u32(e.length);
  w.u32(crc32(w.buf.subarray(start, w.pos)));
}

/** The entry at byte `at` of `buf`, or undefined when its CRC does not match. */
export function readEntry(buf: Buffer, at: number): ChunkEntry | undefined {
  if (at + INDEX_ENTRY > buf.length) return undefined;
  if (crc32(buf.subarray(at, at + 40)) !== buf.readUInt32BE(at + 40)) return undefined;
  return {
    offset: u64(buf, at),
    position: u64(buf, at + 8),
    firstTs: u64(buf, at + 16),
    lastTs: u64(buf, at + 24),
    count: buf.readUInt32BE(at + 32),
    length: buf.readUInt32BE(at + 36),
  };
}

/** Reads entry `i` of an open index file. */
function entryAt(fd: number, i: number, scratch: Buffer): ChunkEntry | undefined {
  const n = readSync(fd, scratch, 0, INDEX_ENTRY, i * INDEX_ENTRY);
  return n === INDEX_ENTRY ? readEntry(scratch, 0) : undefined;
}

/**
 * Binary search over the first `count` entries of an index file: the last entry for which `before(entry)` holds
 * (entries are ordered so that it holds for a prefix), or the first entry when it holds for none.
 */
export function searchIndex(indexPath: string, count: number, before: (e: ChunkEntry) => boolean): ChunkEntry | undefined {
  if (count === 0) return undefined;
  const fd = openSync(indexPath, 'r');
  const scratch = Buffer.allocUnsafe(INDEX_ENTRY);
  try {
    let lo = 0;
    let hi = count - 1;
    const first = entryAt(fd, 0, scratch);
    if (!first || !before(first)) return first;
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1;
      const e = entryAt(fd, mid, scratch);
      if (e && before(e)) lo = mid;
      else hi = mid - 1;
    }
    return entryAt(fd, lo, scratch);
  } finally {
    closeSync(fd);
  }
}

/** A chunk is closed at the next group commit, or sooner once it has this many records or bytes. */
export const CHUNK_RECORDS = 4096;
export const CHUNK_BYTES = 1024 * 1024;
