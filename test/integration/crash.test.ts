// Crash safety: SIGKILL at a random moment while a publisher streams persistent messages with confirms;
// after restart every confirmed message is there exactly once, in order, uncorrupted. Also a bit-flipped tail.
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import amqp from 'amqplib';
import { afterEach, describe, expect, it } from 'vitest';
import { cleanup, startWarren, tempDir } from './cli-support.js';

/** `make stress` raises this; `make test` runs a few rounds. */
const ROUNDS = Number(process.env.WARREN_CRASH_ROUNDS ?? 3);

afterEach(cleanup);

/** Body of message i: its number and a checksum-like filler, so corruption shows. */
const bodyOf = (i: number) => `msg-${i}-${'x'.repeat(i % 97)}`;

describe('crash safety', () => {
  for (let round = 1; round <= ROUNDS; round++) {
    it(`round ${round}: every confirmed message survives a SIGKILL at a random moment, once and in order`, async () => {
      expect.hasAssertions();
      const dataDir = tempDir();
      const first = await startWarren([], { dataDir });
      const conn = await amqp.connect(`amqp://guest:guest@localhost:${first.port}`);
      conn.on('error', () => {});
      const ch = await conn.createConfirmChannel();
      ch.on('error', () => {});
      await ch.assertQueue('crash', { durable: true });
      let confirmedUpTo = -1;
      let stop = false;
      const publishing = (async () => {
        for (let i = 0; !stop; i++) {
          const ok = await new Promise<boolean>((resolve) => {
            try {
              ch.sendToQueue('crash', Buffer.from(bodyOf(i)), { persistent: true }, (err) => resolve(!err));
            } catch {
              resolve(false);
            }
          });
          if (!ok) return;
          confirmedUpTo = i;
        }
      })();
      await new Promise((r) => setTimeout(r, 100 + Math.random() * 400));
      first.child.kill('SIGKILL');
      await new Promise((r) => first.child.once('exit', r));
      stop = true;
      await publishing.catch(() => undefined);
      expect(confirmedUpTo).toBeGreaterThan(0);

      const second = await startWarren([], { dataDir });
      const conn2 = await amqp.connect(`amqp://guest:guest@localhost:${second.port}`);
      const ch2 = await conn2.createChannel();
      const got: string[] = [];
      await ch2.prefetch(500);
      const total = (await ch2.checkQueue('crash')).messageCount;
      await ch2.consume('crash', (m) => m && got.push(m.content.toString()), { noAck: true });
      while (got.length < total) await new Promise((r) => setTimeout(r, 10));
      // Exactly the messages 0..n in order (n ≥ the last confirmed), each intact.
      expect(got.length).toBeGreaterThanOrEqual(confirmedUpTo + 1);
      expect(got).toEqual(got.map((_, i) => bodyOf(i)));
      await conn2.close();
    });
  }

  it('recovers a segment with a bit-flipped tail up to the last valid record, warns, and starts', async () => {
    expect.hasAssertions();
    const dataDir = tempDir();
    const first = await startWarren([], { dataDir });
    const conn = await amqp.connect(`amqp://guest:guest@localhost:${first.port}`);
    const ch = await conn.createConfirmChannel();
    await ch.assertQueue('flip', { durable: true });
    for (let i = 0; i < 10; i++) ch.sendToQueue('flip', Buffer.from(bodyOf(i)), { persistent: true });
    await ch.waitForConfirms();
    await conn.close();
    first.child.kill('SIGKILL');
    await new Promise((r) => first.child.once('exit', r));

    const root = join(dataDir, 'messages');
    const qdir = join(root, readdirSync(root)[0]!);
    const segment = join(qdir, readdirSync(qdir).find((f) => f.endsWith('.seg'))!);
    const bytes = readFileSync(segment);
    bytes[bytes.length - 3] = bytes[bytes.length - 3]! ^ 0x10; // inside the last record's body: its CRC no longer matches
    writeFileSync(segment, bytes);

    const second = await startWarren([], { dataDir });
    await new Promise((r) => setTimeout(r, 50));
    expect(second.output()).toContain('segment tail cut at the last valid record');
    const conn2 = await amqp.connect(`amqp://guest:guest@localhost:${second.port}`);
    const ch2 = await conn2.createChannel();
    const got: string[] = [];
    for (let m = await ch2.get('flip', { noAck: true }); m; m = await ch2.get('flip', { noAck: true })) got.push(m.content.toString());
    expect(got).toEqual(Array.from({ length: 9 }, (_, i) => bodyOf(i)));
    expect(statSync(segment).size).toBeLessThan(bytes.length);
    await conn2.close();
  });
});
