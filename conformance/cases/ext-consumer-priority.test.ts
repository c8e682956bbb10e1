// Consumer priorities: the x-priority argument of basic.consume. What RabbitMQ 3.10 does:
// - Messages go to the highest-priority consumer that can take them (has prefetch room); consumers
//   of lower priority get messages only while every higher one is blocked by its prefetch limit.
// - Consumers of equal priority share round-robin. Without x-priority a consumer has priority 0;
//   negative priorities are allowed.
// - x-priority must be an integer: a string → 406 "expected integer, got longstr", a double →
//   "expected integer, got double", on basic.consume (60, 20).
import type { Channel, ChannelModel, ConfirmChannel, ConsumeMessage } from 'amqplib';
import { describe, expect, it } from 'vitest';
import { channel, channelError, cleanUpAfterEach, openWithPublisher as open, sleep, trackNames } from '../support/fixtures.js';

// ---------------------------------------------------------------------------------------------
// Helpers (those the case files share are in ../support/fixtures.ts)
// ---------------------------------------------------------------------------------------------

const { qname } = cleanUpAfterEach(trackNames('ext-consumer-priority'));

async function declare(ch: Channel): Promise<string> {
  const q = qname('q');
  await ch.assertQueue(q, { durable: false });
  return q;
}

async function publishN(pub: ConfirmChannel, q: string, n: number): Promise<void> {
  for (let i = 0; i < n; i++) pub.sendToQueue(q, Buffer.from(`m${i}`));
  await pub.waitForConfirms();
}

interface Consumer {
  ch: Channel;
  got: ConsumeMessage[];
  bodies(): string[];
}

/** A consumer on its own channel with the given prefetch (0: unlimited) and x-priority (undefined: none). */
async function consumer(conn: ChannelModel, q: string, prefetch: number, priority: number | undefined): Promise<Consumer> {
  const ch = await channel(conn);
  if (prefetch > 0) await ch.prefetch(prefetch);
  const got: ConsumeMessage[] = [];
  await ch.consume(q, (m) => m && got.push(m), priority === undefined ? {} : { priority });
  return { ch, got, bodies: () => got.map((m) => m.content.toString()) };
}

async function settle(total: () => number, n: number): Promise<void> {
  for (let i = 0; i < 100 && total() < n; i++) await sleep(20);
  await sleep(50);
}

// ---------------------------------------------------------------------------------------------

describe('consumer priorities (x-priority)', () => {
  it('gives every message to the higher-priority consumer while it has prefetch room', async () => {
    expect.hasAssertions();
    const { conn, ch, pub } = await open();
    const q = await declare(ch);
    const low = await consumer(conn, q, 100, 1);
    const high = await consumer(conn, q, 100, 10);
    await publishN(pub, q, 5);
    await settle(() => low.got.length + high.got.length, 5);
    expect(high.bodies()).toEqual(['m0', 'm1', 'm2', 'm3', 'm4']);
    expect(low.bodies()).toEqual([]);
  });

  it('uses the lower-priority consumer only while the higher one is blocked by its prefetch', async () => {
    expect.hasAssertions();
    const { conn, ch, pub } = await open();
    const q = await declare(ch);
    const low = await consumer(conn, q, 100, 1);
    const high = await consumer(conn, q, 2, 10);
    await publishN(pub, q, 5);
    await settle(() => low.got.length + high.got.length, 5);
    expect(high.bodies()).toEqual(['m0', 'm1']);
    expect(low.bodies()).toEqual(['m2', 'm3', 'm4']);
  });

  it('goes back to the higher-priority consumer once it acks and has room again', async () => {
    expect.hasAssertions();
    const { conn, ch, pub } = await open();
    const q = await declare(ch);
    const low = await consumer(conn, q, 100, 0);
    const high = await consumer(conn, q, 1, 5);
    await publishN(pub, q, 1);
    await settle(() => high.got.length, 1);
    expect(high.bodies()).toEqual(['m0']);
    high.ch.ack(high.got[0]!);
    await sleep(50);
    await publishN(pub, q, 1);
    await settle(() => low.got.length + high.got.length, 2);
    expect(high.bodies()).toEqual(['m0', 'm0']);
    expect(low.bodies()).toEqual([]);
  });

  it('treats a consumer without x-priority as priority 0: a negative one gets nothing while it has room', async () => {
    expect.hasAssertions();
    const { conn, ch, pub } = await open();
    const q = await declare(ch);
    const negative = await consumer(conn, q, 100, -5);
    const plain = await consumer(conn, q, 100, undefined);
    await publishN(pub, q, 3);
    await settle(() => negative.got.length + plain.got.length, 3);
    expect(plain.bodies()).toEqual(['m0', 'm1', 'm2']);
    expect(negative.bodies()).toEqual([]);
  });

  it('round-robins between consumers of equal priority', async () => {
    expect.hasAssertions();
    const { conn, ch, pub } = await open();
    const q = await declare(ch);
    const a = await consumer(conn, q, 100, 7);
    const b = await consumer(conn, q, 100, 7);
    const low = await consumer(conn, q, 100, 1);
    await publishN(pub, q, 4);
    await settle(() => a.got.length + b.got.length + low.got.length, 4);
    expect([...a.bodies(), ...b.bodies()].sort()).toEqual(['m0', 'm1', 'm2', 'm3']);
    expect(a.got).toHaveLength(2);
    expect(low.bodies()).toEqual([]);
  });

  it.for([
    ['"abc"', 'abc', '"expected integer, got longstr"'],
    ['1.5', 1.5, '"expected integer, got double"'],
  ] as const)('refuses x-priority %s with 406 on basic.consume', async ([, value, reason]) => {
    expect.hasAssertions();
    const { ch } = await open();
    const q = await declare(ch);
    expect(await channelError(ch.consume(q, () => {}, { arguments: { 'x-priority': value } }))).toEqual({
      code: 406,
      classId: 60,
      methodId: 20,
      text: `PRECONDITION_FAILED - invalid arg 'x-priority' for queue '${q}' in vhost '/': ${reason}`,
    });
  });
});
