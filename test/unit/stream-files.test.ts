// A stream's log on the real file system: offsets, commits, seeks by offset and time, retention, recovery of torn tails.
import { appendFileSync, existsSync, readdirSync, readFileSync, statSync, truncateSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { StreamRecord, StreamRetention } from '../../src/broker/persistence.js';
import { GroupCommit } from '../../src/store/group-commit.js';
import { INDEX_ENTRY } from '../../src/store/stream-index.js';
import { StreamFiles } from '../../src/store/stream-files.js';
import { Message } from '../../src/broker/message.js';
import { msg, storeDir, synced } from '../support/store-helpers.js';

const NO_LIMITS: StreamRetention = { maxLengthBytes: undefined, maxAgeMs: undefined, maxSegmentSizeBytes: 500_000_000 };
const small = (over: Partial<StreamRetention> = {}): StreamRetention => ({ ...NO_LIMITS, maxSegmentSizeBytes: 4096, ...over });

const open: Array<{ gc: GroupCommit; log: StreamFiles }> = [];
afterEach(() => {
  vi.useRealTimers();
  for (const { gc, log } of open.splice(0)) {
    gc.close();
    log.closeFiles();
  }
});

function openLog(dir: string, retention = NO_LIMITS, warnings: Array<[string, object]> = [], onCommit = () => {}) {
  const gc = new GroupCommit((e) => {
    throw e;
  });
  const log = StreamFiles.recover(dir, gc, retention, (m, c) => warnings.push([m, c]), onCommit);
  open.push({ gc, log });
  return { gc, log };
}

/** Closes cleanly, as a broker stop does. */
function stop(gc: GroupCommit, log: StreamFiles): void {
  gc.close();
  log.closeFiles();
  open.splice(open.findIndex((o) => o.log === log), 1);
}

function readAll(log: StreamFiles, from: number): StreamRecord[] {
  const r = log.openReader(from);
  const out: StreamRecord[] = [];
  for (;;) {
    const batch = r.read(100, Infinity);
    if (batch.length === 0) break;
    out.push(...batch);
  }
  expect(r.atEnd).toBe(true);
  r.close();
  return out;
}

const bodies = (rs: StreamRecord[]) => rs.map((r) => r.message.body.toString());
const segments = (dir: string) => readdirSync(dir).filter((n) => n.endsWith('.seg')).sort();

async function appendMany(log: StreamFiles, gc: GroupCommit, n: number, from = 0, perSync = 10, size = 0): Promise<void> {
  for (let i = from; i < from + n; i++) {
    log.append(msg(`m${i}`.padEnd(size, '.')), undefined);
    if ((i + 1) % perSync === 0) await synced(gc);
  }
  await synced(gc);
}

describe('stream log', () => {
  it('gives each message the next offset and lets readers see only what a sync put on disk', async () => {
    expect.hasAssertions();
    const dir = storeDir('warren-stream-');
    let commits = 0;
    const { gc, log } = openLog(dir, NO_LIMITS, [], () => commits++);
    const m = new Message('amq.direct', 'key', Buffer.from([0x80, 0, 0, 0, 0, 9, 116, 101, 120, 116, 47, 112, 108, 97, 105, 110].slice(0, 2)), Buffer.from('hello'));
    expect(log.append(m, undefined)).toBe(0);
    expect(log.append(msg('b'), 'f')).toBe(1);
    expect(log.nextOffset).toBe(2);
    const r = log.openReader(0);
    expect(r.read(10, Infinity)).toEqual([]);
    expect(r.atEnd).toBe(true);
    await synced(gc);
    expect(commits).toBeGreaterThan(0);
    expect(log.committedOffset).toBe(2);
    expect(r.atEnd).toBe(false);
    const got = r.read(10, Infinity);
    expect(got.map((g) => g.offset)).toEqual([0, 1]);
    expect(got[0]!.message.exchange).toBe('amq.direct');
    expect(got[0]!.message.routingKey).toBe('key');
    expect(got[0]!.message.propertiesRaw).toEqual(m.propertiesRaw);
    expect(got[0]!.message.body.toString()).toBe('hello');
    expect(got[0]!.timestamp).toBeGreaterThan(Date.now() - 10_000);
    expect(r.atEnd).toBe(true);
    // Tailing: what comes later is read from where the reader stopped.
    log.append(msg('c'), undefined);
    await synced(gc);
    expect(bodies(r.read(10, Infinity))).toEqual(['c']);
    expect(log.stats()).toMatchObject({ messages: 3, segments: 1, firstOffset: 0, nextOffset: 3 });
  });

  it('reads in batches bounded by count and bytes, and skips what a filter refuses without decoding it', async () => {
    expect.hasAssertions();
    const { gc, log } = openLog(storeDir('warren-stream-'));
    for (let i = 0; i < 20; i++) log.append(msg(`m${i}`), i % 2 === 0 ? 'even' : i % 5 === 0 ? undefined : 'odd');
    await synced(gc);
    const r = log.openReader(0);
    expect(r.read(3, Infinity).map((x) => x.offset)).toEqual([0, 1, 2]);
    expect(r.read(100, 5).map((x) => x.offset)).toEqual([3, 4, 5]);
    const f = log.openReader(0);
    expect(f.read(100, Infinity, (v) => v === 'even').map((x) => x.offset)).toEqual([0, 2, 4, 6, 8, 10, 12, 14, 16, 18]);
    const u = log.openReader(0);
    expect(u.read(100, Infinity, (v) => v === undefined).map((x) => x.offset)).toEqual([5, 15]);
  });

  it('seeks to an offset through the chunk index, across segments, and clamps out-of-range offsets', async () => {
    expect.hasAssertions();
    const dir = storeDir('warren-stream-');
    const { gc, log } = openLog(dir, small());
    await appendMany(log, gc, 1000, 0, 7, 40);
    expect(segments(dir).length).toBeGreaterThan(5);
    for (const at of [0, 1, 6, 7, 8, 499, 500, 998, 999]) {
      const r = log.openReader(at);
      const [first] = r.read(1, Infinity);
      expect(first?.offset).toBe(at);
      expect(first?.message.body.toString()).toBe(`m${at}`.padEnd(40, '.'));
      r.close();
    }
    const past = log.openReader(5000);
    expect(past.read(1, Infinity)).toEqual([]);
    // Past the end it waits for that offset.
    expect(past.offset).toBe(5000);
    expect(past.atEnd).toBe(true);
    expect(bodies(readAll(log, 0))).toHaveLength(1000);
    expect(readAll(log, 0).map((r) => r.offset)).toEqual(Array.from({ length: 1000 }, (_, i) => i));
  });

  it('finds the first message at or after a timestamp, and the start of the last chunk', async () => {
    expect.hasAssertions();
    vi.useFakeTimers({ toFake: ['Date'] });
    const { gc, log } = openLog(storeDir('warren-stream-'), small());
    vi.setSystemTime(1_000_000);
    await appendMany(log, gc, 100, 0, 10, 30);
    vi.setSystemTime(2_000_000);
    await appendMany(log, gc, 100, 100, 10, 30);
    vi.setSystemTime(3_000_000);
    for (let i = 200; i < 205; i++) log.append(msg(`m${i}`), undefined);
    await synced(gc);
    expect(log.offsetAt(0)).toBe(0);
    expect(log.offsetAt(1_000_000)).toBe(0);
    expect(log.offsetAt(1_000_001)).toBe(100);
    expect(log.offsetAt(2_000_000)).toBe(100);
    expect(log.offsetAt(2_500_000)).toBe(200);
    expect(log.offsetAt(9_000_000)).toBe(205);
    // The last five were written by one group commit: one chunk.
    expect(log.lastChunkOffset()).toBe(200);
    const last = log.openReader(log.lastChunkOffset());
    expect(last.read(10, Infinity).map((r) => r.offset)).toEqual([200, 201, 202, 203, 204]);
  });

  it('drops whole segments from the head past max-length-bytes; offsets never change', async () => {
    expect.hasAssertions();
    const dir = storeDir('warren-stream-');
    const { gc, log } = openLog(dir, small({ maxLengthBytes: 20_000 }));
    await appendMany(log, gc, 2000, 0, 10, 40);
    const stats = log.stats();
    expect(stats.bytes).toBeLessThanOrEqual(20_000 + 4096 + 200);
    expect(stats.firstOffset).toBeGreaterThan(0);
    expect(segments(dir)[0]).toBe(`${String(stats.firstOffset).padStart(20, '0')}.seg`);
    const rest = readAll(log, 0);
    expect(rest[0]!.offset).toBe(stats.firstOffset);
    expect(rest[0]!.message.body.toString()).toBe(`m${stats.firstOffset}`.padEnd(40, '.'));
    expect(rest[rest.length - 1]!.offset).toBe(1999);
    expect(stats.messages).toBe(2000 - stats.firstOffset);
  });

  it('drops head segments whose newest message is older than max-age, never the newest segment', async () => {
    expect.hasAssertions();
    vi.useFakeTimers({ toFake: ['Date'] });
    const dir = storeDir('warren-stream-');
    vi.setSystemTime(10_000_000);
    const { gc, log } = openLog(dir, small({ maxAgeMs: 60_000 }));
    await appendMany(log, gc, 300, 0, 10, 40);
    vi.setSystemTime(10_030_000);
    await appendMany(log, gc, 300, 300, 10, 40);
    const before = segments(dir).length;
    log.enforceRetention(10_065_000);
    expect(log.firstOffset).toBeGreaterThan(200);
    expect(log.firstOffset).toBeLessThanOrEqual(300);
    expect(segments(dir).length).toBeLessThan(before);
    log.enforceRetention(99_000_000);
    expect(log.stats().segments).toBe(1);
    expect(readAll(log, 0).at(-1)?.offset).toBe(599);
  });

  it('a reader behind what retention deleted continues at the new head', async () => {
    expect.hasAssertions();
    const { gc, log } = openLog(storeDir('warren-stream-'), small({ maxLengthBytes: 12_000 }));
    await appendMany(log, gc, 50, 0, 10, 40);
    const r = log.openReader(0);
    expect(r.read(5, Infinity).map((x) => x.offset)).toEqual([0, 1, 2, 3, 4]);
    await appendMany(log, gc, 1000, 50, 10, 40);
    const head = log.firstOffset;
    expect(head).toBeGreaterThan(50);
    const next: number[] = [];
    for (;;) {
      const b = r.read(100, Infinity);
      if (b.length === 0) break;
      next.push(...b.map((x) => x.offset));
    }
    // What it was at is gone: it continues at the head, in order, to the tail.
    expect(next[0]).toBe(head);
    expect(next).toEqual(Array.from({ length: 1050 - head }, (_, i) => head + i));
    expect(next.at(-1)).toBe(1049);
  });

  it('comes back after a clean stop and after a crash with every record at its offset, and appends after them', async () => {
    expect.hasAssertions();
    const dir = storeDir('warren-stream-');
    let { gc, log } = openLog(dir, small());
    await appendMany(log, gc, 500, 0, 9, 20);
    stop(gc, log);
    ({ gc, log } = openLog(dir, small()));
    expect(log.nextOffset).toBe(500);
    await appendMany(log, gc, 100, 500, 9, 20);
    // No clean stop this time: the process "dies" (what was written is in the page cache, as after kill -9).
    ({ gc, log } = openLog(dir, small()));
    expect(log.nextOffset).toBe(600);
    const all = readAll(log, 0);
    expect(all.map((r) => r.offset)).toEqual(Array.from({ length: 600 }, (_, i) => i));
    expect(all.map((r) => r.message.body.toString())).toEqual(Array.from({ length: 600 }, (_, i) => `m${i}`.padEnd(20, '.')));
    expect(log.lastChunkOffset()).toBeGreaterThan(580);
  });

  it('cuts a torn tail at the last complete record at boot, logs it, and serves everything before it', async () => {
    expect.hasAssertions();
    const dir = storeDir('warren-stream-');
    let { gc, log } = openLog(dir);
    await appendMany(log, gc, 50, 0, 5, 30);
    stop(gc, log);
    const seg = join(dir, segments(dir).at(-1)!);
    const size = statSync(seg).size;
    // Half of the last record is gone, and garbage follows (a write torn by a crash).
    truncateSync(seg, size - 20);
    appendFileSync(seg, Buffer.from('garbage garbage garbage'));
    const warnings: Array<[string, object]> = [];
    ({ gc, log } = openLog(dir, NO_LIMITS, warnings));
    expect(warnings.map((w) => w[0])).toEqual(['stream segment tail cut at the last complete record']);
    expect(log.nextOffset).toBe(49);
    expect(readAll(log, 0).map((r) => r.offset)).toEqual(Array.from({ length: 49 }, (_, i) => i));
    log.append(msg('after'), undefined);
    await synced(gc);
    expect(readAll(log, 49).map((r) => [r.offset, r.message.body.toString()])).toEqual([[49, 'after']]);
  });

  it('cuts at a record whose CRC fails, and rebuilds a lost or corrupt index from the records', async () => {
    expect.hasAssertions();
    const dir = storeDir('warren-stream-');
    let { gc, log } = openLog(dir, small());
    await appendMany(log, gc, 300, 0, 3, 40);
    stop(gc, log);
    const names = segments(dir);
    // The first segment loses its index; the second's index gets a flipped byte; the last a flipped record byte.
    unlinkSync(join(dir, names[0]!.replace('.seg', '.sidx')));
    const idx1 = join(dir, names[1]!.replace('.seg', '.sidx'));
    const b = readFileSync(idx1);
    b[INDEX_ENTRY + 3]! ^= 0xff;
    writeFileSync(idx1, b);
    const lastSeg = join(dir, names.at(-1)!);
    const data = readFileSync(lastSeg);
    data[data.length - 5]! ^= 0xff;
    writeFileSync(lastSeg, data);
    const warnings: Array<[string, object]> = [];
    ({ gc, log } = openLog(dir, small(), warnings));
    expect(warnings).toHaveLength(1);
    expect(log.nextOffset).toBe(299);
    expect(existsSync(join(dir, names[0]!.replace('.seg', '.sidx')))).toBe(true);
    for (const at of [1, 2, 50, 100, 150, 298]) {
      const r = log.openReader(at);
      expect(r.read(1, Infinity)[0]?.offset).toBe(at);
      r.close();
    }
    expect(readAll(log, 0)).toHaveLength(299);
  });

  it('drops segments after a gap in the offsets (they cannot hold confirmed records)', async () => {
    expect.hasAssertions();
    const dir = storeDir('warren-stream-');
    let { gc, log } = openLog(dir, small());
    await appendMany(log, gc, 300, 0, 3, 40);
    stop(gc, log);
    const names = segments(dir);
    expect(names.length).toBeGreaterThan(3);
    // The second segment lost its tail (torn), so the third does not start where the second now ends.
    const second = join(dir, names[1]!);
    truncateSync(second, statSync(second).size - 10);
    const warnings: Array<[string, object]> = [];
    ({ gc, log } = openLog(dir, small(), warnings));
    expect(warnings.map((w) => w[0])).toEqual(['stream segment tail cut at the last complete record', 'stream segments after a gap in the offsets dropped']);
    const all = readAll(log, 0);
    expect(all.map((r) => r.offset)).toEqual(Array.from({ length: all.length }, (_, i) => i));
    expect(log.nextOffset).toBe(all.length);
    expect(segments(dir).length).toBeLessThanOrEqual(3);
  });

  it('goes away with its files when destroyed', async () => {
    expect.hasAssertions();
    const dir = storeDir('warren-stream-');
    const { gc, log } = openLog(dir);
    await appendMany(log, gc, 10);
    const r = log.openReader(0);
    log.destroy();
    expect(existsSync(dir)).toBe(false);
    expect(r.atEnd).toBe(true);
    expect(log.append(msg('x'), undefined)).toBe(10);
  });

  it('decodes each record once for readers reading together, and keeps one window for a reader alone', async () => {
    expect.hasAssertions();
    const dir = storeDir('warren-stream-');
    const { gc, log } = openLog(dir);
    await appendMany(log, gc, 20_000, 0, 1000, 40);
    const alone = log.openReader(0);
    for (let n = 0; n < 20_000; ) n += alone.read(500, Infinity).length;
    // 20,000 records of about 90 bytes span more than one 128 KB window; one reader keeps only the one it is in.
    expect(log.windows.size.windows).toBe(1);
    alone.close();
    const readers = Array.from({ length: 10 }, () => log.openReader(0));
    const batches = readers.map((r) => r.read(300, Infinity));
    for (const b of batches) expect(b.map((x) => x.offset)).toEqual(Array.from({ length: 300 }, (_, i) => i));
    // The same record objects (so their queue entries and delivered messages are made once, not ten times).
    for (const b of batches.slice(1)) b.forEach((x, i) => expect(x).toBe(batches[0]![i]));
    // Readers far apart still each read their own, in order, every record.
    while (readers[0]!.offset < 15_300) readers[0]!.read(15_300 - readers[0]!.offset, Infinity);
    const far = readers[0]!.read(4000, Infinity).map((x) => x.offset);
    expect(far).toEqual(Array.from({ length: 4000 }, (_, i) => 15_300 + i));
    const near = readers[1]!.read(1000, Infinity);
    expect(near.map((x) => x.offset)).toEqual(Array.from({ length: 1000 }, (_, i) => 300 + i));
    expect(near[999]!.message.body.toString()).toBe('m1299'.padEnd(40, '.'));
    expect(log.windows.size.cost).toBeLessThanOrEqual(32 * 1024 * 1024);
    for (const r of readers) r.close();
    // Back to one reader's worth once the others are gone.
    expect(log.windows.size.windows).toBe(1);
  });
});
