// Stream crash safety: rounds of publishing with confirms to one stream, each ended by SIGKILL at a random moment;
// after every restart each confirmed message is there at its offset, nothing is out of place, and the stream goes on.
import amqp, { type Channel, type ConsumeMessage } from 'amqplib';
import { afterEach, describe, expect, it } from 'vitest';
import { cleanup, startWarren, tempDir } from './cli-support.js';

/** `make stress` may raise this; `make test` runs this many kills. */
const ROUNDS = Number(process.env.WARREN_STREAM_CRASH_ROUNDS ?? 6);
/** Publishes in flight at once (confirms come back in batches, so kills land inside group commits). */
const WINDOW = 200;

afterEach(cleanup);

/** The body of the message meant for offset `o`: its offset and a filler whose length varies. */
const bodyOf = (o: number) => `offset-${o}-${'y'.repeat(o % 61)}`;

/** Reads the whole stream from the first offset: [offset, body] pairs. */
async function readAll(ch: Channel, q: string, count: number): Promise<Array<[number, string]>> {
  const got: Array<[number, string]> = [];
  await ch.prefetch(1000);
  await ch.consume(q, (m: ConsumeMessage | null) => {
    if (!m) return;
    got.push([m.properties.headers?.['x-stream-offset'] as number, m.content.toString()]);
    ch.ack(m);
  }, { arguments: { 'x-stream-offset': 'first' } });
  const deadline = Date.now() + 20_000;
  while (got.length < count && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
  return got;
}

describe('stream crash safety', () => {
  it(`keeps every confirmed message at its offset across ${ROUNDS} SIGKILLs at random moments`, async () => {
    expect.hasAssertions();
    const dataDir = tempDir();
    const confirmed = new Set<number>();
    for (let round = 0; round < ROUNDS; round++) {
      const broker = await startWarren([], { dataDir });
      const conn = await amqp.connect(`amqp://guest:guest@localhost:${broker.port}`);
      conn.on('error', () => {});
      const ch = await conn.createConfirmChannel();
      ch.on('error', () => {});
      const { messageCount } = await ch.assertQueue('s', { durable: true, arguments: { 'x-queue-type': 'stream', 'x-stream-max-segment-size-bytes': 64 * 1024 } });
      // Everything before the crash that reached the disk is kept, confirmed or not: the stream goes on from its end.
      const reader = await conn.createChannel();
      const before = await readAll(reader, 's', messageCount);
      expect(before.length).toBe(messageCount);
      expect(before.map(([o]) => o)).toEqual(before.map((_, i) => i));
      expect(before.every(([o, body]) => body === bodyOf(o))).toBe(true);
      const present = new Set(before.map(([o]) => o));
      for (const o of confirmed) expect(present.has(o)).toBe(true);
      await reader.close();

      let next = messageCount;
      let stop = false;
      let inFlight = 0;
      const publishing = (async () => {
        while (!stop) {
          if (inFlight >= WINDOW) {
            await new Promise((r) => setImmediate(r));
            continue;
          }
          const o = next++;
          inFlight += 1;
          try {
            ch.sendToQueue('s', Buffer.from(bodyOf(o)), {}, (err) => {
              inFlight -= 1;
              if (!err) confirmed.add(o);
            });
          } catch {
            return;
          }
          if (o % 50 === 0) await new Promise((r) => setImmediate(r));
        }
      })();
      await new Promise((r) => setTimeout(r, 150 + Math.random() * 500));
      broker.child.kill('SIGKILL');
      await new Promise((r) => broker.child.once('exit', r));
      stop = true;
      await publishing.catch(() => undefined);
    }
    expect(confirmed.size).toBeGreaterThan(ROUNDS * 10);

    const last = await startWarren([], { dataDir });
    const conn = await amqp.connect(`amqp://guest:guest@localhost:${last.port}`);
    const ch = await conn.createChannel();
    const { messageCount } = await ch.checkQueue('s');
    const all = await readAll(ch, 's', messageCount);
    expect(all.length).toBe(messageCount);
    expect(all.map(([o]) => o)).toEqual(all.map((_, i) => i));
    expect(all.filter(([o, body]) => body !== bodyOf(o))).toEqual([]);
    const present = new Set(all.map(([o]) => o));
    expect([...confirmed].filter((o) => !present.has(o))).toEqual([]);
    await conn.close();
  }, 20_000 + ROUNDS * 5_000);
});
