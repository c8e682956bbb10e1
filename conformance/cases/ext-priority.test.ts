// Priority queues: the x-max-priority queue argument. What RabbitMQ 3.10 (classic queues) does:
// - Ready messages are handed out highest priority first, FIFO within a priority.
// - A message without a priority property counts as 0; a priority above x-max-priority counts as
//   x-max-priority. The priority property itself is delivered unchanged (e.g. 200).
// - A requeued message goes back to the head of its own priority.
// - Without x-max-priority (or with x-max-priority 0) the priority property is ignored: plain FIFO.
// - x-max-priority must be an integer 0…255: 256 → {max_value_exceeded,256}, -1 →
//   {value_negative,-1}, a string → "expected integer, got longstr". Quorum queues refuse the
//   argument altogether (ext-queue-type.test.ts).
// RabbitMQ 3.13/4.x: the same for classic queues (4.x quorum queues have two built-in priority
// levels without the argument — not covered here).
import type { Channel, ConfirmChannel, ConsumeMessage } from 'amqplib';
import { describe, expect, it } from 'vitest';
import {
  channel,
  channelError,
  cleanUpAfterEach,
  drain as drainQueue,
  openWithPublisher as open,
  sleep,
  trackNames,
} from '../support/fixtures.js';

// ---------------------------------------------------------------------------------------------
// Helpers (those the case files share are in ../support/fixtures.ts)
// ---------------------------------------------------------------------------------------------

const { qname, declareQueue: declare } = cleanUpAfterEach(trackNames('ext-priority'));

/** Publishes [body, priority] pairs in order (undefined: no priority property) and waits for the confirms. */
async function publishAll(pub: ConfirmChannel, q: string, msgs: ReadonlyArray<readonly [string, number | undefined]>): Promise<void> {
  for (const [body, priority] of msgs) pub.sendToQueue(q, Buffer.from(body), priority === undefined ? {} : { priority });
  await pub.waitForConfirms();
}

/** basic.get (no-ack) until empty: "body:priority-property" in delivery order. */
const drain = (ch: Channel, q: string) => drainQueue(ch, q, (m) => `${m.content.toString()}:${m.properties.priority ?? '-'}`);

const MIXED = [
  ['a', undefined],
  ['b', 5],
  ['c', 10],
  ['d', 5],
  ['e', 200],
  ['f', 0],
  ['g', 11],
  ['h', 1],
  ['i', 255],
] as const;

// ---------------------------------------------------------------------------------------------

describe('x-max-priority', () => {
  it('hands out the highest priority first, FIFO within a priority; above the max counts as the max, none as 0', async () => {
    expect.hasAssertions();
    const { ch, pub } = await open();
    const q = await declare(ch, 'order', { 'x-max-priority': 10 });
    await publishAll(pub, q, MIXED);
    expect((await ch.checkQueue(q)).messageCount).toBe(9);
    // c(10), e(200→10), g(11→10), i(255→10) in publish order; then b, d (5); h (1); a (none→0), f (0).
    expect(await drain(ch, q)).toEqual(['c:10', 'e:200', 'g:11', 'i:255', 'b:5', 'd:5', 'h:1', 'a:-', 'f:0']);
  });

  it('delivers to a consumer in priority order what was queued before it subscribed', async () => {
    expect.hasAssertions();
    const { conn, ch, pub } = await open();
    const q = await declare(ch, 'consumer', { 'x-max-priority': 3 });
    await publishAll(pub, q, [
      ['low', 1],
      ['none', undefined],
      ['high', 3],
      ['mid', 2],
    ]);
    const c = await channel(conn);
    const got: string[] = [];
    await c.consume(q, (m: ConsumeMessage | null) => m && got.push(m.content.toString()), { noAck: true });
    for (let i = 0; i < 100 && got.length < 4; i++) await sleep(20);
    expect(got).toEqual(['high', 'mid', 'low', 'none']);
  });

  it('puts a requeued message back at the head of its own priority', async () => {
    expect.hasAssertions();
    const { ch, pub } = await open();
    const q = await declare(ch, 'requeue', { 'x-max-priority': 10 });
    await publishAll(pub, q, [
      ['lo1', 1],
      ['hi', 9],
      ['lo2', 1],
    ]);
    const hi = await ch.get(q, { noAck: false });
    const lo1 = await ch.get(q, { noAck: false });
    expect([hi !== false && hi.content.toString(), lo1 !== false && lo1.content.toString()]).toEqual(['hi', 'lo1']);
    if (lo1 !== false) ch.nack(lo1, false, true);
    await sleep(50);
    expect(await drain(ch, q)).toEqual(['lo1:1', 'lo2:1']);
    if (hi !== false) ch.ack(hi);
  });

  it.for([
    ['no x-max-priority', {}],
    ['x-max-priority 0', { 'x-max-priority': 0 }],
  ] as const)('ignores the priority property with %s (plain FIFO)', async ([, args]) => {
    expect.hasAssertions();
    const { ch, pub } = await open();
    const q = await declare(ch, 'fifo', args);
    await publishAll(pub, q, MIXED);
    expect(await drain(ch, q)).toEqual(['a:-', 'b:5', 'c:10', 'd:5', 'e:200', 'f:0', 'g:11', 'h:1', 'i:255']);
  });

  it('accepts x-max-priority 255', async () => {
    expect.hasAssertions();
    const { ch } = await open();
    const q = qname('max');
    expect(await ch.assertQueue(q, { durable: false, arguments: { 'x-max-priority': 255 } })).toEqual({ queue: q, messageCount: 0, consumerCount: 0 });
  });

  it.for([
    ['256', 256, '{max_value_exceeded,256}'],
    ['-1', -1, '{value_negative,-1}'],
    ['"abc"', 'abc', '"expected integer, got longstr"'],
    ['1.5', 1.5, '"expected integer, got double"'],
  ] as const)('refuses x-max-priority %s with 406 "invalid arg \'x-max-priority\' …"', async ([, value, reason]) => {
    expect.hasAssertions();
    const { ch } = await open();
    const q = qname('bad');
    expect(await channelError(ch.assertQueue(q, { durable: false, arguments: { 'x-max-priority': value } }))).toEqual({
      code: 406,
      classId: 50,
      methodId: 10,
      text: `PRECONDITION_FAILED - invalid arg 'x-max-priority' for queue '${q}' in vhost '/': ${reason}`,
    });
  });
});
