// For store unit tests: temporary directories removed after each test, a small message, and a wait for the next group commit.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach } from 'vitest';
import { Message } from '../../src/broker/message.js';
import type { GroupCommit } from '../../src/store/group-commit.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** A fresh directory under the system's temporary one, removed after the test. */
export function storeDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  dirs.push(dir);
  return dir;
}

/** A message with this body, routed to queue 'q' with empty properties. */
export const msg = (body: string | Buffer) => new Message('', 'q', Buffer.from([0, 0]), typeof body === 'string' ? Buffer.from(body) : body);

/** Resolves when the next sync of `gc` is over: undefined, or the error that failed it. */
export const synced = (gc: GroupCommit) => new Promise<Error | undefined>((r) => gc.whenSynced(r));
