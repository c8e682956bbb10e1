// After a failed fdatasync of a stream segment the log never appends to that segment again: what the sync did not
// cover is dropped (its publishers get nacks, readers never saw it), the next record starts a fresh segment at the
// committed end, and recovery returns exactly the confirmed records at contiguous offsets.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';

vi.mock('node:fs', async (original) => (await import('../support/store-files.js')).observedFs(await original()));
const { failNextSync } = await import('../support/store-files.js');
const { GroupCommit } = await import('../../src/store/group-commit.js');
const { StreamFiles } = await import('../../src/store/stream-files.js');
const { msg, storeDir, synced } = await import('../support/store-helpers.js');

const RETENTION = { maxLengthBytes: undefined, maxAgeMs: undefined, maxSegmentSizeBytes: 500_000_000 };

describe('a stream segment whose sync failed', () => {
  it('is given up: unconfirmed records vanish, later ones go to a fresh segment at the committed end', async () => {
    expect.hasAssertions();
    const dir = storeDir('warren-streamfail-');
    const reported: Error[] = [];
    let gc = new GroupCommit((e) => reported.push(e));
    let log = StreamFiles.recover(dir, gc, RETENTION, () => {}, () => {});
    log.append(msg('a0'), undefined);
    log.append(msg('a1'), undefined);
    expect(await synced(gc)).toBeUndefined();

    failNextSync.add(join(dir, `${'0'.repeat(20)}.seg`));
    log.append(msg('lost2'), undefined);
    const failed = synced(gc);
    await new Promise((r) => setImmediate(r));
    log.append(msg('lost3'), undefined);
    const during = synced(gc);
    expect((await failed)?.message).toMatch(/EIO/);
    expect((await during)?.message).toMatch(/EIO/);
    expect(log.committedOffset).toBe(2);

    expect(log.append(msg('b2'), undefined)).toBe(2);
    expect(await synced(gc)).toBeUndefined();
    expect(readdirSync(dir).filter((n) => n.endsWith('.seg')).sort()).toEqual([`${'0'.repeat(20)}.seg`, `${'2'.padStart(20, '0')}.seg`]);
    const r = log.openReader(0);
    expect(r.read(10, Infinity).map((x) => x.message.body.toString())).toEqual(['a0', 'a1', 'b2']);
    r.close();

    gc.close();
    log.closeFiles();
    gc = new GroupCommit(() => {});
    log = StreamFiles.recover(dir, gc, RETENTION, () => {}, () => {});
    const back = log.openReader(0).read(10, Infinity);
    expect(back.map((x) => [x.offset, x.message.body.toString()])).toEqual([[0, 'a0'], [1, 'a1'], [2, 'b2']]);
    expect(reported).toHaveLength(1);
    gc.close();
    log.closeFiles();
  });
});
