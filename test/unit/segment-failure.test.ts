// After a failed fdatasync of a segment the store never appends to that segment again: the kernel may have dropped
// its dirty pages and a later sync of the same file can succeed, so later confirms would cover records sitting after
// a hole (which recovery cuts off). Later records go to a fresh segment; recovery brings back exactly what was
// confirmed, in order. The sync failure is injected (fdatasync of one file fails once); the rest is the real file system.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';

vi.mock('node:fs', async (original) => (await import('../support/store-files.js')).observedFs(await original()));
const { failNextSync } = await import('../support/store-files.js');

const { GroupCommit } = await import('../../src/store/group-commit.js');
const { QueueFiles } = await import('../../src/store/queue-files.js');

const { msg, storeDir, synced } = await import('../support/store-helpers.js');

describe('a segment whose sync failed', () => {
  it('is not appended to again: later records go to a fresh segment, and recovery returns exactly the confirmed ones in order', async () => {
    expect.hasAssertions();
    const dir = storeDir('warren-segfail-');
    const reported: Error[] = [];
    let gc = new GroupCommit((e) => reported.push(e));
    const { files } = QueueFiles.recover(dir, gc, () => {});
    const first = join(dir, '0000000000000000.seg');

    files.append(0, msg('a0'), 0);
    files.append(1, msg('a1'), 0);
    expect(await synced(gc)).toBeUndefined();
    const syncedSize = statSync(first).size;

    // This batch's sync fails; a record appended while it runs waits for the next batch.
    failNextSync.add(first);
    files.append(2, msg('lost2'), 0);
    const failedBatch = synced(gc);
    await new Promise((r) => setImmediate(r)); // the batch has flushed and its sync is under way
    files.append(3, msg('lost3'), 0);
    const appendedDuringSync = synced(gc);
    expect((await failedBatch)?.message).toMatch(/EIO/);
    // Its record was in the given-up file's buffer: never written anywhere, so its publisher must not get an ack.
    expect((await appendedDuringSync)?.message).toMatch(/EIO/);
    expect(reported).toHaveLength(1);

    // The failed segment keeps only what the earlier sync covered; a later record (and its confirm) goes elsewhere.
    files.append(4, msg('b4'), 0);
    expect(await synced(gc)).toBeUndefined();
    expect(statSync(first).size).toBe(syncedSize);
    expect(readdirSync(dir).filter((n) => n.endsWith('.seg')).sort()).toEqual(['0000000000000000.seg', '0000000000000004.seg']);
    files.append(5, msg('b5'), 0);
    expect(await synced(gc)).toBeUndefined();
    expect(statSync(first).size).toBe(syncedSize);

    // Clean stop: no index for the failed segment (it would count the dropped records); recovery sees 0,1,4,5.
    gc.close();
    files.closeFiles();
    expect(existsSync(join(dir, '0000000000000000.idx'))).toBe(false);
    gc = new GroupCommit(() => {});
    const again = QueueFiles.recover(dir, gc, () => {});
    const back = again.recovered.read(100, Infinity);
    expect(back.map((r) => `${r.seq}:${r.message.body.toString()}`)).toEqual(['0:a0', '1:a1', '4:b4', '5:b5']);
    expect(again.recovered.lastSeq).toBe(5);
    gc.close();
    again.files.closeFiles();
  });

  it('is given up when its sync fails after rollover too (no index kept for it), and later segments are unaffected', async () => {
    expect.hasAssertions();
    const dir = storeDir('warren-segfail-');
    let gc = new GroupCommit(() => {});
    const { files } = QueueFiles.recover(dir, gc, () => {});
    const first = join(dir, '0000000000000000.seg');
    const big = Buffer.alloc(64 * 1024, 0x62);
    files.append(0, msg('a0'), 0);
    expect(await synced(gc)).toBeUndefined();
    const syncedSize = statSync(first).size;
    // 130 records of 64 KB: the first segment fills up (8 MB) and is retired with an index; its sync fails.
    failNextSync.add(first);
    for (let seq = 1; seq <= 130; seq++) files.append(seq, msg(big), 0);
    expect(existsSync(join(dir, '0000000000000000.idx'))).toBe(true);
    expect((await synced(gc))?.message).toMatch(/EIO/);
    expect(existsSync(join(dir, '0000000000000000.idx'))).toBe(false);
    expect(statSync(first).size).toBe(syncedSize);
    files.append(131, msg('c131'), 0);
    expect(await synced(gc)).toBeUndefined();
    gc.close();
    files.closeFiles();

    gc = new GroupCommit(() => {});
    const again = QueueFiles.recover(dir, gc, () => {});
    const seqs = again.recovered.read(1000, Infinity).map((r) => r.seq);
    // The retired segment's records past its last good sync were nacked; everything in the next segment stays.
    const second = readdirSync(dir).filter((n) => n.endsWith('.seg')).sort()[1]!;
    const secondFirst = Number(second.slice(0, 16));
    expect(seqs).toEqual([0, ...Array.from({ length: 131 - secondFirst + 1 }, (_, i) => secondFirst + i)]);
    gc.close();
    again.files.closeFiles();
  });
});

/** Makes a file immutable (chattr +i: even root gets EPERM deleting it), or false where that is not possible. */
function immutable(path: string, on: boolean): boolean {
  try {
    execFileSync('chattr', [on ? '+i' : '-i', path], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

const probeDir = mkdtempSync(join(tmpdir(), 'warren-chattr-'));
const probe = join(probeDir, 'f');
writeFileSync(probe, '');
const canChattr = immutable(probe, true) && immutable(probe, false);
rmSync(probeDir, { recursive: true, force: true });

describe.skipIf(!canChattr)('a segment file the file system refuses to delete', () => {
  it('does not make settling its last message throw (an ack would fail its connection; a sync callback, the process)', async () => {
    expect.hasAssertions();
    const dir = storeDir('warren-segfail-');
    const gc = new GroupCommit(() => {});
    const { files } = QueueFiles.recover(dir, gc, () => {});
    const big = Buffer.alloc(64 * 1024, 0x62);
    for (let seq = 0; seq < 140; seq++) files.append(seq, msg(big), 0); // two segments
    expect(await synced(gc)).toBeUndefined();
    const segs = readdirSync(dir).filter((n) => n.endsWith('.seg')).sort();
    expect(segs).toHaveLength(2);
    const first = join(dir, segs[0]!);
    const inFirst = Number(segs[1]!.slice(0, 16));
    expect(immutable(first, true)).toBe(true);
    try {
      expect(() => {
        for (let seq = 0; seq < inFirst; seq++) files.remove(seq);
      }).not.toThrow();
      // The store goes on: later messages are kept and settled as usual.
      files.append(140, msg('after'), 0);
      expect(await synced(gc)).toBeUndefined();
    } finally {
      immutable(first, false);
      gc.close();
      files.closeFiles();
    }
    // The file that could not go is dropped by the next boot (all its messages were settled).
    const again = QueueFiles.recover(dir, new GroupCommit(() => {}), () => {});
    expect(again.recovered.remaining).toBe(141 - inFirst);
    expect(existsSync(first)).toBe(false);
    again.recovered.close();
  });
});
