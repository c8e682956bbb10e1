// Length limits: x-max-length (messages), x-max-length-bytes (body bytes) and x-overflow.
// What RabbitMQ 3.10 (classic queues) does:
// - Only READY messages count: delivered-but-unacked ones do not. Only body bytes count for
//   x-max-length-bytes (a 0-byte body always fits).
// - drop-head (default): the new message is enqueued and the oldest ready ones are dropped until
//   the queue is within its limits; dropped messages are dead-lettered with reason "maxlen" when
//   the queue has a DLX. The publisher gets an ack. With x-max-length 0 a message still reaches a
//   consumer that is waiting for it.
// - reject-publish: the new message is refused. A confirm-mode publisher gets basic.nack (amqplib's
//   confirm callback gets an error); without confirms it is dropped silently; no basic.return even
//   with mandatory. Refused even with x-max-length 0 and a consumer waiting. If the message was
//   routed to other queues too, they keep their copies and the publisher still gets a nack.
// - reject-publish-dlx: like reject-publish, and the refused message is dead-lettered ("maxlen").
// - Bad values: x-max-length(-bytes) negative → {value_negative,N}; x-overflow an unknown string →
//   invalid_overflow; x-overflow not a string → {unacceptable_type,<amqp type>}.
import type { Channel } from 'amqplib';
import { describe, expect, it } from 'vitest';
import {
  channel,
  channelError,
  cleanUpAfterEach,
  drain,
  eventually,
  openWithPublisher as open,
  publishConfirmed,
  sleep,
  trackNames,
} from '../support/fixtures.js';

// ---------------------------------------------------------------------------------------------
// Helpers (those the case files share are in ../support/fixtures.ts)
// ---------------------------------------------------------------------------------------------

const { qname, xname, declareQueue: declare } = cleanUpAfterEach(trackNames('ext-max-length'));

/** A fanout DLX with one queue bound to it; returns the exchange and the queue. */
async function deadLetterTarget(ch: Channel): Promise<{ dlx: string; dlq: string }> {
  const dlx = xname('dlx');
  await ch.assertExchange(dlx, 'fanout', { durable: false });
  const dlq = await declare(ch, 'dlq', {});
  await ch.bindQueue(dlq, dlx, '');
  return { dlx, dlq };
}

// ---------------------------------------------------------------------------------------------

describe('x-max-length, overflow drop-head (the default)', () => {
  it('keeps the newest messages and drops the oldest; every publish is confirmed with ack', async () => {
    expect.hasAssertions();
    const { ch, pub } = await open();
    const q = await declare(ch, 'drop-head', { 'x-max-length': 2 });
    const answers = [];
    for (const b of ['a', 'b', 'c', 'd']) answers.push(await publishConfirmed(pub, '', q, b));
    expect(answers).toEqual(['ack', 'ack', 'ack', 'ack']);
    expect((await ch.checkQueue(q)).messageCount).toBe(2);
    expect(await drain(ch, q)).toEqual(['c', 'd']);
  });

  it('dead-letters the dropped head with reason "maxlen" when the queue has a DLX', async () => {
    expect.hasAssertions();
    const { ch, pub } = await open();
    const { dlx, dlq } = await deadLetterTarget(ch);
    const q = await declare(ch, 'drop-head-dlx', { 'x-max-length': 1, 'x-dead-letter-exchange': dlx });
    expect(await publishConfirmed(pub, '', q, 'old')).toBe('ack');
    expect(await publishConfirmed(pub, '', q, 'new')).toBe('ack');
    const dead = await eventually(async () => {
      const m = await ch.get(dlq, { noAck: true });
      if (m === false) throw new Error('nothing dead-lettered yet');
      return m;
    });
    expect(dead.content.toString()).toBe('old');
    const death = (dead.properties.headers!['x-death'] as unknown as Array<Record<string, unknown>>)[0]!;
    expect(death).toMatchObject({ count: 1, reason: 'maxlen', queue: q, exchange: '', 'routing-keys': [q] });
    expect(dead.properties.headers!['x-first-death-reason']).toBe('maxlen');
    expect(await drain(ch, q)).toEqual(['new']);
  });

  it('does not count delivered-but-unacked messages against the limit', async () => {
    expect.hasAssertions();
    const { ch, pub } = await open();
    const q = await declare(ch, 'unacked', { 'x-max-length': 1 });
    await publishConfirmed(pub, '', q, 'a');
    const held = await ch.get(q, { noAck: false });
    expect(held).not.toBe(false);
    await publishConfirmed(pub, '', q, 'b');
    await publishConfirmed(pub, '', q, 'c');
    expect(await drain(ch, q)).toEqual(['c']);
    if (held !== false) ch.ack(held);
  });

  it('with x-max-length 0 still hands a message to a consumer that is waiting for it', async () => {
    expect.hasAssertions();
    const { conn, ch, pub } = await open();
    const q = await declare(ch, 'zero-consumer', { 'x-max-length': 0 });
    expect(await publishConfirmed(pub, '', q, 'nobody')).toBe('ack');
    expect((await ch.checkQueue(q)).messageCount).toBe(0);
    const c = await channel(conn);
    const got: string[] = [];
    await c.consume(q, (m) => m && got.push(m.content.toString()), { noAck: true });
    expect(await publishConfirmed(pub, '', q, 'waited-for')).toBe('ack');
    await eventually(async () => expect(got).toEqual(['waited-for']));
  });
});

describe('x-max-length-bytes', () => {
  it('counts body bytes only and drops from the head until the rest fits', async () => {
    expect.hasAssertions();
    const { ch, pub } = await open();
    const q = await declare(ch, 'bytes', { 'x-max-length-bytes': 10 });
    for (const b of ['12345', '67890', 'abc']) await publishConfirmed(pub, '', q, b, { headers: { big: 'x'.repeat(100) } });
    expect(await drain(ch, q)).toEqual(['67890', 'abc']);
  });

  it('drops a message larger than the limit by itself (drop-head)', async () => {
    expect.hasAssertions();
    const { ch, pub } = await open();
    const q = await declare(ch, 'bytes-too-big', { 'x-max-length-bytes': 4 });
    expect(await publishConfirmed(pub, '', q, '12345')).toBe('ack');
    expect((await ch.checkQueue(q)).messageCount).toBe(0);
  });

  it('with reject-publish refuses what does not fit, but still takes a 0-byte body when full', async () => {
    expect.hasAssertions();
    const { ch, pub } = await open();
    const q = await declare(ch, 'bytes-reject', { 'x-max-length-bytes': 10, 'x-overflow': 'reject-publish' });
    const answers = [];
    for (const b of ['12345', '67890', 'x', '']) answers.push(await publishConfirmed(pub, '', q, b));
    expect(answers).toEqual(['ack', 'ack', 'nack', 'ack']);
    expect(await drain(ch, q)).toEqual(['12345', '67890', '']);
  });
});

describe('x-overflow reject-publish', () => {
  it('nacks the publish that finds the queue full and keeps the queue as it was', async () => {
    expect.hasAssertions();
    const { ch, pub } = await open();
    const q = await declare(ch, 'reject', { 'x-max-length': 2, 'x-overflow': 'reject-publish' });
    const answers = [];
    for (const b of ['a', 'b', 'c']) answers.push(await publishConfirmed(pub, '', q, b));
    expect(answers).toEqual(['ack', 'ack', 'nack']);
    expect(await drain(ch, q)).toEqual(['a', 'b']);
  });

  it('gives amqplib\'s confirm callback an error for the refused message', async () => {
    expect.hasAssertions();
    const { ch, pub } = await open();
    const q = await declare(ch, 'reject-callback', { 'x-max-length': 0, 'x-overflow': 'reject-publish' });
    const err = await new Promise<unknown>((resolve) => pub.sendToQueue(q, Buffer.from('m'), {}, (e: unknown) => resolve(e)));
    expect(err).toBeInstanceOf(Error);
  });

  it('does not dead-letter the refused message, even with a DLX', async () => {
    expect.hasAssertions();
    const { ch, pub } = await open();
    const { dlx, dlq } = await deadLetterTarget(ch);
    const q = await declare(ch, 'reject-no-dl', { 'x-max-length': 1, 'x-overflow': 'reject-publish', 'x-dead-letter-exchange': dlx });
    expect(await publishConfirmed(pub, '', q, 'a')).toBe('ack');
    expect(await publishConfirmed(pub, '', q, 'b')).toBe('nack');
    await sleep(100);
    expect(await drain(ch, dlq)).toEqual([]);
  });

  it('sends no basic.return for a refused mandatory message, only the nack', async () => {
    expect.hasAssertions();
    const { ch, pub } = await open();
    const q = await declare(ch, 'reject-mandatory', { 'x-max-length': 0, 'x-overflow': 'reject-publish' });
    const returned: string[] = [];
    pub.on('return', (m: { content: Buffer }) => returned.push(m.content.toString()));
    expect(await publishConfirmed(pub, '', q, 'm', { mandatory: true })).toBe('nack');
    await sleep(100);
    expect(returned).toEqual([]);
  });

  it('refuses even when a consumer is waiting (x-max-length 0)', async () => {
    expect.hasAssertions();
    const { conn, ch, pub } = await open();
    const q = await declare(ch, 'reject-consumer', { 'x-max-length': 0, 'x-overflow': 'reject-publish' });
    const c = await channel(conn);
    const got: string[] = [];
    await c.consume(q, (m) => m && got.push(m.content.toString()), { noAck: true });
    expect(await publishConfirmed(pub, '', q, 'm')).toBe('nack');
    await sleep(100);
    expect(got).toEqual([]);
  });

  it('does not count delivered-but-unacked messages against the limit', async () => {
    expect.hasAssertions();
    const { ch, pub } = await open();
    const q = await declare(ch, 'reject-unacked', { 'x-max-length': 1, 'x-overflow': 'reject-publish' });
    expect(await publishConfirmed(pub, '', q, 'a')).toBe('ack');
    const held = await ch.get(q, { noAck: false });
    expect(await publishConfirmed(pub, '', q, 'b')).toBe('ack');
    expect(await publishConfirmed(pub, '', q, 'c')).toBe('nack');
    if (held !== false) ch.ack(held);
  });

  it('drops the refused message silently for a publisher without confirms', async () => {
    expect.hasAssertions();
    const { conn, ch } = await open();
    const q = await declare(ch, 'reject-no-confirm', { 'x-max-length': 1, 'x-overflow': 'reject-publish' });
    const p = await conn.createChannel();
    const errors: unknown[] = [];
    p.on('error', (e: unknown) => errors.push(e));
    p.sendToQueue(q, Buffer.from('a'));
    p.sendToQueue(q, Buffer.from('b'));
    await sleep(150);
    expect(errors).toEqual([]);
    expect(await drain(ch, q)).toEqual(['a']);
  });

  it('nacks a message routed to a full queue and another one, which keeps its copy', async () => {
    expect.hasAssertions();
    const { ch, pub } = await open();
    const fx = xname('fanout');
    await ch.assertExchange(fx, 'fanout', { durable: false });
    const full = await declare(ch, 'reject-full', { 'x-max-length': 0, 'x-overflow': 'reject-publish' });
    const other = await declare(ch, 'reject-other', {});
    await ch.bindQueue(full, fx, '');
    await ch.bindQueue(other, fx, '');
    expect(await publishConfirmed(pub, fx, '', 'both')).toBe('nack');
    expect(await drain(ch, other)).toEqual(['both']);
  });
});

describe('x-overflow reject-publish-dlx', () => {
  it('nacks the refused message and dead-letters it with reason "maxlen"', async () => {
    expect.hasAssertions();
    const { ch, pub } = await open();
    const { dlx, dlq } = await deadLetterTarget(ch);
    const q = await declare(ch, 'reject-dlx', { 'x-max-length': 2, 'x-overflow': 'reject-publish-dlx', 'x-dead-letter-exchange': dlx });
    const answers = [];
    for (const b of ['a', 'b', 'c']) answers.push(await publishConfirmed(pub, '', q, b));
    expect(answers).toEqual(['ack', 'ack', 'nack']);
    const dead = await eventually(async () => {
      const m = await ch.get(dlq, { noAck: true });
      if (m === false) throw new Error('nothing dead-lettered yet');
      return m;
    });
    expect(dead.content.toString()).toBe('c');
    expect(dead.fields).toMatchObject({ exchange: dlx, routingKey: q });
    const death = (dead.properties.headers!['x-death'] as unknown as Array<Record<string, unknown>>)[0]!;
    expect(death).toMatchObject({ count: 1, reason: 'maxlen', queue: q, exchange: '', 'routing-keys': [q] });
    expect(await drain(ch, q)).toEqual(['a', 'b']);
  });
});

describe('length-limit argument validation', () => {
  it.for([
    ['x-max-length', -1, '{value_negative,-1}'],
    ['x-max-length', 'abc', '"expected integer, got longstr"'],
    ['x-max-length', 1.5, '"expected integer, got double"'],
    ['x-max-length-bytes', -1, '{value_negative,-1}'],
    ['x-max-length-bytes', 'abc', '"expected integer, got longstr"'],
    ['x-overflow', 'bogus', 'invalid_overflow'],
    ['x-overflow', 'Drop-Head', 'invalid_overflow'],
    ['x-overflow', 5, '{unacceptable_type,byte}'],
    ['x-overflow', true, '{unacceptable_type,bool}'],
  ] as const)('refuses %s %j with 406 "invalid arg …"', async ([arg, value, reason]) => {
    expect.hasAssertions();
    const { ch } = await open();
    const q = qname('bad');
    expect(await channelError(ch.assertQueue(q, { durable: false, arguments: { [arg]: value } }))).toEqual({
      code: 406,
      classId: 50,
      methodId: 10,
      text: `PRECONDITION_FAILED - invalid arg '${arg}' for queue '${q}' in vhost '/': ${reason}`,
    });
  });

  it.for(['drop-head', 'reject-publish', 'reject-publish-dlx'])('accepts x-overflow %s (without a DLX too)', async (overflow) => {
    expect.hasAssertions();
    const { ch } = await open();
    const q = qname('overflow-ok');
    expect(await ch.assertQueue(q, { durable: false, arguments: { 'x-overflow': overflow, 'x-max-length': 0 } })).toEqual({
      queue: q,
      messageCount: 0,
      consumerCount: 0,
    });
  });
});
