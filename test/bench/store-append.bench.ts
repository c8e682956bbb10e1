// Appending a persistent message to a durable queue's segment (record, CRC, index entry), as each publish to it does:
// 16 B and 1 KB bodies. Nothing is synced: each 8 MB segment rollover writes out the segment before it.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, bench, describe } from 'vitest';
import { Message } from '../../src/broker/message.js';
import { GroupCommit } from '../../src/store/group-commit.js';
import { QueueFiles } from '../../src/store/queue-files.js';

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function appender(size: number): () => void {
  const dir = mkdtempSync(join(tmpdir(), 'warren-append-bench-'));
  dirs.push(dir);
  const gc = new GroupCommit(() => {});
  const { files } = QueueFiles.recover(dir, gc, () => {});
  const message = new Message('', 'bench-queue', Buffer.from([0x10, 0, 2]), Buffer.alloc(size, 0x61));
  let seq = 0;
  return () => files.append(seq++, message, 0);
}

describe('append a persistent message to its segment', () => {
  const small = appender(16);
  const large = appender(1024);
  bench('16 B body', small);
  bench('1 KB body', large);
});
