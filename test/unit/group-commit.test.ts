// Group commit: one sync covers every write buffered before it; a failed write reaches every waiter and is logged once.
import { closeSync, existsSync, mkdtempSync, openSync, readdirSync, readFileSync, readlinkSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Message } from '../../src/broker/message.js';
import { GroupCommit, type BufferedFile } from '../../src/store/group-commit.js';
import { QueueFiles } from '../../src/store/queue-files.js';

/** Paths this process has open (Linux). */
function openPaths(): string[] {
  return readdirSync('/proc/self/fd').flatMap((fd) => {
    try {
      return [readlinkSync(`/proc/self/fd/${fd}`)];
    } catch {
      return [];
    }
  });
}

function fileWith(path: string, pending: string[]): BufferedFile & { flushes: number } {
  const fd = openSync(path, 'a');
  return {
    fd,
    flushes: 0,
    flush() {
      this.flushes += 1;
      for (const p of pending.splice(0)) writeSync(fd, p);
    },
  };
}

describe('GroupCommit', () => {
  it('writes buffered data once and releases every waiter of the batch after the sync', async () => {
    expect.hasAssertions();
    const dir = mkdtempSync(join(tmpdir(), 'warren-gc-'));
    const pending = ['a', 'b'];
    const file = fileWith(join(dir, 'f'), pending);
    const gc = new GroupCommit(() => {});
    gc.markDirty(file);
    const results = await Promise.all([0, 1, 2].map(() => new Promise<Error | undefined>((r) => gc.whenSynced(r))));
    expect(results).toEqual([undefined, undefined, undefined]);
    expect(file.flushes).toBe(1);
    expect(readFileSync(join(dir, 'f'), 'utf8')).toBe('ab');
    closeSync(file.fd);
    rmSync(dir, { recursive: true });
  });

  it('hands a failed write to every waiter as an error (so no ack goes out) and reports the cause once', async () => {
    expect.hasAssertions();
    const reported: Error[] = [];
    const gc = new GroupCommit((e) => reported.push(e));
    const broken: BufferedFile = {
      fd: -1,
      flush() {
        throw Object.assign(new Error('ENOSPC: no space left on device'), { code: 'ENOSPC' });
      },
    };
    for (let round = 0; round < 3; round++) {
      gc.markDirty(broken);
      const err = await new Promise<Error | undefined>((r) => gc.whenSynced(r));
      expect(err?.message).toMatch(/ENOSPC/);
    }
    expect(reported).toHaveLength(1);
  });

  it('writes a file whose write failed again with the next batch, and reports a cause again only after a success', async () => {
    expect.hasAssertions();
    const reported: Error[] = [];
    const gc = new GroupCommit((e) => reported.push(e));
    let fail = true;
    let written = 0;
    const dir = mkdtempSync(join(tmpdir(), 'warren-gc-'));
    const fd = openSync(join(dir, 'f'), 'a');
    const flaky: BufferedFile = {
      fd,
      flush() {
        if (fail) throw Object.assign(new Error('ENOSPC: no space left on device'), { code: 'ENOSPC' });
        written += 1;
      },
    };
    gc.markDirty(flaky);
    expect((await new Promise<Error | undefined>((r) => gc.whenSynced(r)))?.message).toMatch(/ENOSPC/);
    fail = false;
    // Nothing marks it dirty again: the next batch (of anyone) takes it anyway.
    expect(await new Promise<Error | undefined>((r) => gc.whenSynced(r))).toBeUndefined();
    expect(written).toBe(1);
    fail = true;
    gc.markDirty(flaky);
    await new Promise<Error | undefined>((r) => gc.whenSynced(r));
    expect(reported).toHaveLength(2);
    closeSync(fd);
    rmSync(dir, { recursive: true });
  });

  it.skipIf(!existsSync('/proc/self/fd'))('syncs a segment left behind at rollover before releasing its batch, then closes it', async () => {
    expect.hasAssertions();
    const dir = mkdtempSync(join(tmpdir(), 'warren-gc-'));
    const gc = new GroupCommit(() => {});
    const { files } = QueueFiles.recover(dir, gc, () => {});
    const body = Buffer.alloc(64 * 1024);
    for (let seq = 0; seq < 200; seq++) files.append(seq, new Message('', 'q', Buffer.from([0, 0]), body), 0); // 13 MB: one rollover
    const first = join(dir, '0000000000000000.seg');
    expect(openPaths()).toContain(first);
    expect(await new Promise<Error | undefined>((r) => gc.whenSynced(r))).toBeUndefined();
    // Closed only once synced (a rollover used to close it unsynced, and its last messages were confirmed without a
    // sync), in the background (the last close of a segment already unlinked frees its megabytes).
    for (let i = 0; i < 100 && openPaths().includes(first); i++) await new Promise((r) => setTimeout(r, 10));
    expect(openPaths()).not.toContain(first);
    expect(readFileSync(first).length).toBeGreaterThan(8 * 1024 * 1024);
    gc.close();
    files.closeFiles();
    rmSync(dir, { recursive: true });
  });

  it('releases every waiter of a batch even when one of them throws, and reports the exception instead of raising it', async () => {
    expect.hasAssertions();
    const reports: unknown[] = [];
    {
      const gc = new GroupCommit(
        () => {},
        (err) => reports.push(err),
      );
      const released: number[] = [];
      gc.whenSynced(() => released.push(1));
      gc.whenSynced(() => {
        throw new Error('EROFS: read-only file system, unlink');
      });
      const last = new Promise<Error | undefined>((r) => gc.whenSynced(r));
      expect(await last).toBeUndefined();
      expect(released).toEqual([1]);
      expect(reports).toHaveLength(1);
      gc.close();
    }
  });

  it('tells a publisher to wait only when a message was appended since it last asked', () => {
    const gc = new GroupCommit(() => {});
    expect(gc.takeDirty()).toBe(false);
    gc.noteAppend();
    expect(gc.takeDirty()).toBe(true);
    expect(gc.takeDirty()).toBe(false);
  });
});
