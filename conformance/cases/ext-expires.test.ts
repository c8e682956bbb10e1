// Queue TTL: the x-expires queue argument. What RabbitMQ 3.10 does:
// - A queue that stays unused for x-expires ms is deleted (messages and all; nothing is dead-lettered).
// - "Use" that restarts the interval: having a consumer (the clock only starts when the last one
//   goes), basic.get (even on an empty queue), and queue.declare of the queue, passive or not
//   (both ask the queue for its counts, which resets the timer).
// - Not use: basic.publish to it, queue.bind, queue.purge.
// - x-expires 0 → 406 {value_zero,0}; negative → {value_negative,N}; above 315360000000 →
//   {value_too_large,N}; a string → "expected integer, got longstr".
//
// To look at a queue without "using" it, the cases bind it to amq.fanout on a throwaway channel:
// queue.bind answers 404 once the queue is gone and does not reset the timer.
import type { Channel, ChannelModel } from 'amqplib';
import { describe, expect, it } from 'vitest';
import { channel, channelError, cleanUpAfterEach, open, sleep, trackNames } from '../support/fixtures.js';

// ---------------------------------------------------------------------------------------------
// Helpers (those the case files share are in ../support/fixtures.ts)
// ---------------------------------------------------------------------------------------------

const { qname } = cleanUpAfterEach(trackNames('ext-expires'));

/** Whether q exists, found out with a queue.bind (which does not count as use of an x-expires queue). */
async function exists(conn: ChannelModel, q: string): Promise<boolean> {
  const ch = await channel(conn);
  try {
    await ch.bindQueue(q, 'amq.fanout', 'ext-expires-probe');
  } catch (e) {
    if ((e as { code?: number }).code === 404) return false;
    throw e;
  }
  await ch.close();
  return true;
}

async function declareExpiring(ch: Channel, tag: string, expires: number): Promise<string> {
  const q = qname(tag);
  await ch.assertQueue(q, { durable: false, arguments: { 'x-expires': expires } });
  return q;
}

// ---------------------------------------------------------------------------------------------

describe('x-expires', () => {
  it('deletes a queue nobody uses once the interval has passed, messages included', async () => {
    expect.hasAssertions();
    const { conn, ch } = await open();
    const q = await declareExpiring(ch, 'unused', 200);
    ch.sendToQueue(q, Buffer.from('lost with the queue'));
    await sleep(100);
    expect(await exists(conn, q)).toBe(true);
    await sleep(300);
    expect(await exists(conn, q)).toBe(false);
  });

  it('keeps a queue with a consumer; the interval starts when the last consumer is cancelled', async () => {
    expect.hasAssertions();
    const { conn, ch } = await open();
    const q = await declareExpiring(ch, 'consumer', 200);
    const c = await channel(conn);
    const { consumerTag } = await c.consume(q, () => {}, { noAck: true });
    await sleep(500);
    expect(await exists(conn, q)).toBe(true);
    await c.cancel(consumerTag);
    await sleep(100);
    expect(await exists(conn, q)).toBe(true);
    await sleep(300);
    expect(await exists(conn, q)).toBe(false);
  });

  it('restarts the interval on basic.get, even one that finds the queue empty', async () => {
    expect.hasAssertions();
    const { conn, ch } = await open();
    const q = await declareExpiring(ch, 'get', 250);
    await sleep(150);
    expect(await ch.get(q, { noAck: true })).toBe(false);
    await sleep(150); // 300 ms after the declare, 150 ms after the get
    expect(await exists(conn, q)).toBe(true);
    await sleep(300);
    expect(await exists(conn, q)).toBe(false);
  });

  it.for([
    ['a passive declare', true],
    ['a redeclare', false],
  ] as const)('restarts the interval on %s', async ([, passive]) => {
    expect.hasAssertions();
    const { conn, ch } = await open();
    const q = await declareExpiring(ch, 'declare', 250);
    await sleep(150);
    if (passive) await ch.checkQueue(q);
    else await ch.assertQueue(q, { durable: false, arguments: { 'x-expires': 250 } });
    await sleep(150);
    expect(await exists(conn, q)).toBe(true);
    await sleep(300);
    expect(await exists(conn, q)).toBe(false);
  });

  it.for(['basic.publish', 'queue.purge'] as const)('does not count %s as use', async (what) => {
    expect.hasAssertions();
    const { conn, ch } = await open();
    const q = await declareExpiring(ch, 'not-use', 250);
    await sleep(150);
    if (what === 'basic.publish') ch.sendToQueue(q, Buffer.from('m'));
    else await ch.purgeQueue(q);
    await sleep(250); // 400 ms after the declare
    expect(await exists(conn, q)).toBe(false);
  });

  it.for([
    ['0', 0, '{value_zero,0}'],
    ['-1', -1, '{value_negative,-1}'],
    ['"abc"', 'abc', '"expected integer, got longstr"'],
    ['315360000001', 315_360_000_001, '{value_too_large,315360000001}'],
  ] as const)('refuses x-expires %s with 406 "invalid arg \'x-expires\' …"', async ([, value, reason]) => {
    expect.hasAssertions();
    const { ch } = await open();
    const q = qname('bad');
    expect(await channelError(ch.assertQueue(q, { durable: false, arguments: { 'x-expires': value } }))).toEqual({
      code: 406,
      classId: 50,
      methodId: 10,
      text: `PRECONDITION_FAILED - invalid arg 'x-expires' for queue '${q}' in vhost '/': ${reason}`,
    });
  });

  it('accepts x-expires 315360000000 (the largest value)', async () => {
    expect.hasAssertions();
    const { ch } = await open();
    const q = qname('max');
    expect(await ch.assertQueue(q, { durable: false, arguments: { 'x-expires': 315_360_000_000 } })).toEqual({
      queue: q,
      messageCount: 0,
      consumerCount: 0,
    });
  });
});
