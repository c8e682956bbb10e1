// At boot a queue's marks log is rewritten to what still matters; the new file is synced before it replaces the old
// one and the rename is synced through the directory (else a power cut could leave an empty marks log, and acked
// messages would come back). An unchanged marks log is left alone. fsyncSync is observed; the file system is real.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';

vi.mock('node:fs', async (original) => (await import('../support/store-files.js')).observedFs(await original()));
const { fsynced } = await import('../support/store-files.js');

const { GroupCommit } = await import('../../src/store/group-commit.js');
const { QueueFiles } = await import('../../src/store/queue-files.js');

const { msg, storeDir, synced } = await import('../support/store-helpers.js');

describe('the marks log rewrite at boot', () => {
  it('syncs the new marks log and its directory before relying on it, and leaves an unchanged one alone', async () => {
    expect.hasAssertions();
    const dir = storeDir('warren-marks-');
    let gc = new GroupCommit(() => {});
    const { files } = QueueFiles.recover(dir, gc, () => {});
    for (let seq = 0; seq < 4; seq++) files.append(seq, msg(`m${seq}`), 0);
    files.delivered(1);
    files.remove(0);
    files.delivered(2);
    files.delivered(3);
    files.remove(3);
    expect(await synced(gc)).toBeUndefined();
    gc.close();
    files.closeFiles();

    // Boot 1: the log held 5 marks, only 2 still matter (delivered 1 and 2; removal 0 and 3 are in a kept segment).
    const marks = join(dir, 'marks.log');
    const before = statSync(marks).size;
    fsynced.length = 0;
    gc = new GroupCommit(() => {});
    let again = QueueFiles.recover(dir, gc, () => {});
    expect(fsynced).toEqual([`${marks}.tmp`, dir]);
    expect(statSync(marks).size).toBeLessThan(before);
    expect(readdirSync(dir).some((n) => n.endsWith('.tmp'))).toBe(false);
    const back = again.recovered.read(100, Infinity);
    expect(back.map((r) => [r.seq, r.message.body.toString(), r.redelivered])).toEqual([
      [1, 'm1', true],
      [2, 'm2', true],
    ]);
    gc.close();
    again.files.closeFiles();

    // Boot 2: nothing changed since, so the marks log is kept as it is (same inode, no syncs).
    const inode = statSync(marks).ino;
    fsynced.length = 0;
    gc = new GroupCommit(() => {});
    again = QueueFiles.recover(dir, gc, () => {});
    expect(fsynced).toEqual([]);
    expect(statSync(marks).ino).toBe(inode);
    expect(again.recovered.read(100, Infinity).map((r) => r.seq)).toEqual([1, 2]);
    gc.close();
    again.files.closeFiles();
    expect(existsSync(marks)).toBe(true);
  });
});
