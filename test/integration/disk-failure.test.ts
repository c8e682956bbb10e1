// A real disk failure: the data dir is a small tmpfs filled up while the broker runs. Persistent publishes get
// basic.nack (never an ack), the error is logged once with its cause, other traffic goes on, and once space is
// back the queue's files are intact: the segment that failed is never appended to again (later records go to a
// fresh one), it keeps only what a sync covered, and a restart brings back exactly the confirmed messages.
import { execFileSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readdirSync, rmSync, rmdirSync, statSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import amqp from 'amqplib';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { startBroker, type RunningBroker } from '../../src/index.js';

/** Mounting a tmpfs needs root (CAP_SYS_ADMIN); elsewhere the test is skipped. */
function mountTmpfs(dir: string, size: string): boolean {
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', dir], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

const mountPoint = mkdtempSync(join(tmpdir(), 'warren-diskfull-'));
const mounted = mountTmpfs(mountPoint, '4m');
if (!mounted) rmdirSync(mountPoint);

/** Fills the file system until a write fails: big chunks, then smaller ones, down to single bytes. */
function fill(path: string): void {
  const fd = openSync(path, 'w');
  try {
    for (const size of [256 * 1024, 4096, 1]) {
      const chunk = Buffer.alloc(size, 0x66);
      for (;;) {
        try {
          writeSync(fd, chunk);
        } catch (e) {
          if ((e as NodeJS.ErrnoException).code === 'ENOSPC') break;
          throw e;
        }
      }
    }
  } finally {
    closeSync(fd);
  }
}

/** Publishes one message and resolves true for an ack, false for a nack. */
function publish(ch: amqp.ConfirmChannel, queue: string, body: Buffer, persistent: boolean): Promise<boolean> {
  return new Promise((resolve) => ch.sendToQueue(queue, body, { persistent }, (err) => resolve(!err)));
}

const bodyOf = (i: number) => Buffer.concat([Buffer.from(`msg ${i} `), Buffer.alloc(16 * 1024, 0x61 + (i % 26))]);

describe.skipIf(!mounted)('disk failure', () => {
  it('nacks persistent publishes while the disk is full, logs the cause once, keeps serving, and recovers intact', async () => {
    expect.hasAssertions();
    const lines: Array<{ level: number; msg: string; err?: { code?: string; message?: string; path?: string } }> = [];
    const logger = pino({ level: 'info' }, { write: (s: string) => lines.push(JSON.parse(s) as (typeof lines)[number]) });
    const dataDir = join(mountPoint, 'data');
    let b: RunningBroker | undefined;
    try {
      // The disk alarm (50 MB by default) would block publishers before the disk fills, as RabbitMQ's does; it is
      // off here so that the write failure itself is what the publisher meets (a disk that fails, or fills faster
      // than the alarm polls).
      b = await startBroker({ port: 0, dataDir, logger, diskFreeLimit: { absolute: 0 } });
      let conn = await amqp.connect(b.url);
      let ch = await conn.createConfirmChannel();
      await ch.assertQueue('victim', { durable: true });
      await ch.assertQueue('bystander', { durable: true });
      expect(await publish(ch, 'victim', bodyOf(0), true)).toBe(true);
      const victimDir = join(dataDir, 'messages', readdirSync(join(dataDir, 'messages')).find((d) => readdirSync(join(dataDir, 'messages', d)).some((f) => f.endsWith('.seg')))!);
      const firstSegment = join(victimDir, '0000000000000000.seg');
      const confirmedSize = statSync(firstSegment).size;

      fill(join(mountPoint, 'filler'));
      // Several batches, each failing on write: every one is a nack.
      const results: boolean[] = [];
      for (let i = 1; i <= 6; i++) results.push(await publish(ch, 'victim', bodyOf(i), true));
      const burst = await Promise.all([7, 8, 9, 10].map((i) => publish(ch, 'victim', bodyOf(i), true)));
      expect([...results, ...burst]).toEqual(Array(10).fill(false));

      // The broker keeps serving: transient traffic on another queue, new connections, reads of the failing queue.
      expect(await publish(ch, 'bystander', Buffer.from('transient'), false)).toBe(true);
      const other = await amqp.connect(b.url);
      const och = await other.createChannel();
      expect((await och.get('bystander', { noAck: true }) || undefined)?.content.toString()).toBe('transient');
      expect((await och.checkQueue('victim')).messageCount).toBe(11);
      await other.close();

      const errors = lines.filter((l) => l.level >= 50);
      expect(errors).toHaveLength(1);
      expect(errors[0]!.msg).toMatch(/message store write or sync failed/);
      expect(errors[0]!.err?.code).toBe('ENOSPC');
      expect(errors[0]!.err?.path).toContain(join(dataDir, 'messages'));

      // Space comes back: the next persistent publish is acked, in a fresh segment. The failed one was cut back to
      // what its last good sync covered and is never written again (a failed fdatasync may have dropped pages that a
      // later sync of the same file would not bring back).
      rmSync(join(mountPoint, 'filler'));
      expect(await publish(ch, 'victim', bodyOf(11), true)).toBe(true);
      expect(statSync(firstSegment).size).toBe(confirmedSize);
      // Nacked messages stay in the running queue (as in RabbitMQ, a nack means the broker may or may not keep it).
      expect((await ch.checkQueue('victim')).messageCount).toBe(12);
      await conn.close();
      await b.close();

      b = await startBroker({ port: 0, dataDir, logger, diskFreeLimit: { absolute: 0 } });
      expect(lines.some((l) => /segment tail cut/.test(l.msg))).toBe(false);
      conn = await amqp.connect(b.url);
      ch = await conn.createConfirmChannel();
      const got: Buffer[] = [];
      for (let m = await ch.get('victim', { noAck: true }); m; m = await ch.get('victim', { noAck: true })) got.push(m.content);
      // The confirmed ones, once each, in order; the nacked ones' records were dropped with the failed batches.
      expect(got.map((g) => g.toString('latin1').split(' ', 2).join(' '))).toEqual(['msg 0', 'msg 11']);
      expect(got[0]!.equals(bodyOf(0))).toBe(true);
      expect(got[1]!.equals(bodyOf(11))).toBe(true);
      await conn.close();
    } finally {
      await b?.close();
      execFileSync('umount', ['-l', mountPoint]);
      rmdirSync(mountPoint);
    }
  });
});
