// Group commit: one sync covers every write buffered before it; a failed write reaches every waiter and is logged once.
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { GroupCommit, type BufferedFile } from '../../src/store/group-commit.js';

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

  it('tells a publisher to wait only when a message was appended since it last asked', () => {
    const gc = new GroupCommit(() => {});
    expect(gc.takeDirty()).toBe(false);
    gc.noteAppend();
    expect(gc.takeDirty()).toBe(true);
    expect(gc.takeDirty()).toBe(false);
  });
});
