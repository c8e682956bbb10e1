// Queue types: the x-queue-type argument ("classic", "quorum", "stream"). What RabbitMQ 3.10 does:
// - "classic" is the default; declaring with or without x-queue-type "classic" is equivalent.
// - "quorum" queues must be durable, non-exclusive, non-auto-delete and named:
//     auto_delete            → 406 "invalid property 'auto-delete' for queue '…' in vhost '/'"
//     exclusive              → 406 "invalid property 'exclusive-owner' for queue '…' in vhost '/'"
//     durable=false          → 406 "invalid property 'non-durable' for queue '…' in vhost '/'"
//   checked in that order (auto-delete first), after the arguments; an empty name → 406
//   "Cannot declare a server-named queue for type rabbit_quorum_queue".
// - Arguments of another queue type → 406 "invalid arg '<arg>' for queue '…' in vhost '/' of queue
//   type rabbit_<type>_queue": a quorum queue refuses x-max-priority, x-queue-mode, …; a classic
//   queue refuses x-delivery-limit, x-dead-letter-strategy, x-quorum-initial-group-size,
//   x-max-age, … Unknown arguments are ignored by both. 3.10 does not validate x-delivery-limit.
// - x-delivery-limit N (quorum): a message can be returned to the queue (nack/reject requeue,
//   channel close) N times; returned once more it is dead-lettered with reason "delivery_limit"
//   (or dropped without a DLX). So N + 1 deliveries in all; limit 0 allows one delivery.
// - x-delivery-count (long) on quorum-queue deliveries: to a consumer it is absent on the first
//   delivery and 1, 2, … on redeliveries; basic.get always carries it, 0 on the first get. It is
//   not carried into the dead-lettered copy.
// - basic.qos global=true followed by basic.consume on a quorum queue → connection.close 540
//   "NOT_IMPLEMENTED - queue '…' in vhost '/' does not support global qos" (60, 20).
// - "stream" (3.10 supports streams): a durable stream declares fine; non-durable → 406
//   "invalid property 'non-durable' …" (the rest of streams is in ext-stream.test.ts).
// RabbitMQ 3.13/4.x differences (as far as known): 4.0 gives quorum queues a default
// x-delivery-limit of 20 (3.10: unlimited) and no longer counts some returns (e.g. a consumer's
// channel closing) towards the limit; 4.x quorum queues support consumer priorities and two
// message priorities without x-max-priority.
import type { Channel, ConsumeMessage, GetMessage } from 'amqplib';
import { describe, expect, it } from 'vitest';
import { uniqueName } from '../support/amqp.js';
import {
  channel,
  channelError,
  cleanUpAfterEach,
  openWithPublisher as open,
  sleep,
  trackNames,
  until as untilWithin,
} from '../support/fixtures.js';
import { args, rawConnect } from '../support/raw.js';

// ---------------------------------------------------------------------------------------------
// Helpers (those the case files share are in ../support/fixtures.ts)
// ---------------------------------------------------------------------------------------------

const { exchanges, qname } = cleanUpAfterEach(trackNames('ext-queue-type'), { raw: true });

const until = (cond: () => boolean, timeoutMs = 5_000) => untilWithin(cond, timeoutMs);

async function getOne(ch: Channel, q: string, noAck: boolean): Promise<GetMessage | false> {
  for (let i = 0; i < 25; i++) {
    const m = await ch.get(q, { noAck });
    if (m !== false) return m;
    await sleep(20);
  }
  return false;
}

const QUORUM = { 'x-queue-type': 'quorum' };

async function declareQuorum(ch: Channel, tag: string, extra: Record<string, unknown> = {}): Promise<string> {
  const q = qname(tag);
  await ch.assertQueue(q, { durable: true, arguments: { ...QUORUM, ...extra } });
  return q;
}

// ---------------------------------------------------------------------------------------------

describe('x-queue-type classic', () => {
  it.for([
    ['declared with x-queue-type classic, redeclared without', { 'x-queue-type': 'classic' }, {}],
    ['declared without, redeclared with x-queue-type classic', {}, { 'x-queue-type': 'classic' }],
  ] as const)('is the default: %s is accepted', async ([, first, second]) => {
    expect.hasAssertions();
    const { ch } = await open();
    const q = qname('classic');
    await ch.assertQueue(q, { durable: false, arguments: first });
    expect(await ch.assertQueue(q, { durable: false, arguments: second })).toEqual({ queue: q, messageCount: 0, consumerCount: 0 });
  });

  it.for([
    ['"bogus"', 'bogus', `"unsupported queue type 'bogus'"`],
    ['5', 5, '{unacceptable_type,byte}'],
  ] as const)('refuses x-queue-type %s with 406', async ([, value, reason]) => {
    expect.hasAssertions();
    const { ch } = await open();
    const q = qname('bad-type');
    expect(await channelError(ch.assertQueue(q, { durable: false, arguments: { 'x-queue-type': value } }))).toEqual({
      code: 406,
      classId: 50,
      methodId: 10,
      text: `PRECONDITION_FAILED - invalid arg 'x-queue-type' for queue '${q}' in vhost '/': ${reason}`,
    });
  });
});

describe('x-queue-type quorum: declaring', () => {
  it('declares a durable quorum queue that takes, counts and hands out messages', async () => {
    expect.hasAssertions();
    const { ch, pub } = await open();
    const q = qname('durable');
    expect(await ch.assertQueue(q, { durable: true, arguments: QUORUM })).toEqual({ queue: q, messageCount: 0, consumerCount: 0 });
    pub.sendToQueue(q, Buffer.from('m'));
    await pub.waitForConfirms();
    expect(await ch.checkQueue(q)).toEqual({ queue: q, messageCount: 1, consumerCount: 0 });
    const m = await ch.get(q, { noAck: true });
    expect(m !== false && m.content.toString()).toBe('m');
  });

  it.for([
    ['durable=false', { durable: false }, 'non-durable'],
    ['exclusive', { durable: true, exclusive: true }, 'exclusive-owner'],
    ['exclusive and durable=false', { durable: false, exclusive: true }, 'exclusive-owner'],
    ['auto_delete', { durable: true, autoDelete: true }, 'auto-delete'],
    ['auto_delete and exclusive', { durable: true, exclusive: true, autoDelete: true }, 'auto-delete'],
    ['auto_delete and durable=false', { durable: false, autoDelete: true }, 'auto-delete'],
  ] as const)('refuses %s with 406 "invalid property \'…\' for queue …"', async ([, flags, property]) => {
    expect.hasAssertions();
    const { ch } = await open();
    const q = qname('bad-flags');
    expect(await channelError(ch.assertQueue(q, { ...flags, arguments: QUORUM }))).toEqual({
      code: 406,
      classId: 50,
      methodId: 10,
      text: `PRECONDITION_FAILED - invalid property '${property}' for queue '${q}' in vhost '/'`,
    });
  });

  it('refuses a server-named quorum queue with 406 "Cannot declare a server-named queue for type rabbit_quorum_queue"', async () => {
    expect.hasAssertions();
    const { ch } = await open();
    expect(await channelError(ch.assertQueue('', { durable: true, arguments: QUORUM }))).toEqual({
      code: 406,
      classId: 50,
      methodId: 10,
      text: 'PRECONDITION_FAILED - Cannot declare a server-named queue for type rabbit_quorum_queue',
    });
  });

  it.for([
    ['quorum', 'x-max-priority', 5],
    ['quorum', 'x-queue-mode', 'lazy'],
    ['classic', 'x-delivery-limit', 2],
    ['classic', 'x-dead-letter-strategy', 'at-least-once'],
    ['classic', 'x-quorum-initial-group-size', 3],
    ['classic', 'x-max-age', '1D'],
  ] as const)('refuses on a %s queue the argument %s (another type\'s) with 406 "… of queue type …"', async ([type, arg, value]) => {
    expect.hasAssertions();
    const { ch } = await open();
    const q = qname('foreign-arg');
    const durable = type === 'quorum';
    const a = type === 'quorum' ? { ...QUORUM, [arg]: value } : { [arg]: value };
    expect(await channelError(ch.assertQueue(q, { durable, arguments: a }))).toEqual({
      code: 406,
      classId: 50,
      methodId: 10,
      text: `PRECONDITION_FAILED - invalid arg '${arg}' for queue '${q}' in vhost '/' of queue type rabbit_${type}_queue`,
    });
  });

  it('checks the arguments before the flags: a non-durable quorum queue with x-max-priority gets the argument error', async () => {
    expect.hasAssertions();
    const { ch } = await open();
    const q = qname('order');
    expect(await channelError(ch.assertQueue(q, { durable: false, arguments: { ...QUORUM, 'x-max-priority': 5 } }))).toMatchObject({
      code: 406,
      text: `PRECONDITION_FAILED - invalid arg 'x-max-priority' for queue '${q}' in vhost '/' of queue type rabbit_quorum_queue`,
    });
  });

  it.for([
    ['a classic queue as quorum', {}, QUORUM, "received the value 'quorum' of type 'longstr' but current is none"],
    ['a quorum queue without x-queue-type', QUORUM, {}, "received none but current is the value 'quorum' of type 'longstr'"],
    ['a quorum queue as classic', QUORUM, { 'x-queue-type': 'classic' }, "received 'classic' but current is 'quorum'"],
  ] as const)('refuses redeclaring %s with 406 inequivalent arg \'x-queue-type\'', async ([, first, second, detail]) => {
    expect.hasAssertions();
    const { ch } = await open();
    const q = qname('redeclare');
    await ch.assertQueue(q, { durable: true, arguments: first });
    expect(await channelError(ch.assertQueue(q, { durable: true, arguments: second }))).toEqual({
      code: 406,
      classId: 50,
      methodId: 10,
      text: `PRECONDITION_FAILED - inequivalent arg 'x-queue-type' for queue '${q}' in vhost '/': ${detail}`,
    });
  });

  it('closes the connection with 540 "… does not support global qos" for a consume after basic.qos global=true', async () => {
    expect.hasAssertions();
    const { ch } = await open();
    const q = await declareQuorum(ch, 'global-qos');
    const c = await rawConnect();
    await c.openChannel(1);
    c.sendMethod(1, 60, 10, args().long(0).short(5).bits(true).build()); // basic.qos global
    await c.expectMethod(60, 11);
    c.sendMethod(1, 60, 20, args().short(0).shortstr(q).shortstr('').bits(false, false, false, false).table({}).build());
    expect(await c.expectConnectionClose()).toEqual({
      replyCode: 540,
      replyText: `NOT_IMPLEMENTED - queue '${q}' in vhost '/' does not support global qos`,
      classId: 60,
      methodId: 20,
    });
  });
});

describe('x-queue-type quorum: x-delivery-limit and x-delivery-count', () => {
  it('delivers a message limit + 1 times, then dead-letters it with reason "delivery_limit"', async () => {
    expect.hasAssertions();
    const { conn, ch, pub } = await open();
    const dlx = uniqueName('ext-queue-type.dlx');
    exchanges.add(dlx);
    await ch.assertExchange(dlx, 'fanout', { durable: false });
    const dlq = qname('dlq');
    await ch.assertQueue(dlq, { durable: false });
    await ch.bindQueue(dlq, dlx, '');
    const q = await declareQuorum(ch, 'limit', { 'x-delivery-limit': 2, 'x-dead-letter-exchange': dlx });
    pub.sendToQueue(q, Buffer.from('poison'), { headers: { h: 1 } });
    await pub.waitForConfirms();
    const c = await channel(conn);
    await c.prefetch(1);
    const seen: Array<{ redelivered: boolean; headers: unknown }> = [];
    await c.consume(q, (m: ConsumeMessage | null) => {
      if (!m) return;
      seen.push({ redelivered: m.fields.redelivered, headers: m.properties.headers });
      c.nack(m, false, true);
    });
    const dead = await (async () => {
      for (let i = 0; i < 250; i++) {
        const m = await ch.get(dlq, { noAck: true });
        if (m !== false) return m;
        await sleep(20);
      }
      throw new Error('not dead-lettered');
    })();
    expect(seen).toEqual([
      { redelivered: false, headers: { h: 1 } },
      { redelivered: true, headers: { h: 1, 'x-delivery-count': 1 } },
      { redelivered: true, headers: { h: 1, 'x-delivery-count': 2 } },
    ]);
    expect(dead.content.toString()).toBe('poison');
    expect(dead.fields).toMatchObject({ exchange: dlx, routingKey: q });
    expect(dead.properties.headers).toEqual({
      h: 1,
      'x-death': [
        {
          count: 1,
          reason: 'delivery_limit',
          queue: q,
          time: { '!': 'timestamp', value: expect.any(Number) },
          exchange: '',
          'routing-keys': [q],
        },
      ],
      'x-first-death-exchange': '',
      'x-first-death-queue': q,
      'x-first-death-reason': 'delivery_limit',
    });
    expect((await ch.checkQueue(q)).messageCount).toBe(0);
  });

  it('basic.get carries x-delivery-count from the first get (0); past the limit the message is dropped without a DLX', async () => {
    expect.hasAssertions();
    const { ch, pub } = await open();
    const q = await declareQuorum(ch, 'limit-get', { 'x-delivery-limit': 2 });
    pub.sendToQueue(q, Buffer.from('m'));
    await pub.waitForConfirms();
    const counts: unknown[] = [];
    for (let i = 0; i < 3; i++) {
      const m = await getOne(ch, q, false);
      if (m === false) break;
      counts.push([m.fields.redelivered, m.properties.headers?.['x-delivery-count']]);
      ch.nack(m, false, true);
    }
    expect(counts).toEqual([
      [false, 0],
      [true, 1],
      [true, 2],
    ]);
    expect(await getOne(ch, q, true)).toBe(false);
    expect((await ch.checkQueue(q)).messageCount).toBe(0);
  });

  it('x-delivery-limit 0 allows a single delivery', async () => {
    expect.hasAssertions();
    const { ch, pub } = await open();
    const q = await declareQuorum(ch, 'limit-0', { 'x-delivery-limit': 0 });
    pub.sendToQueue(q, Buffer.from('once'));
    await pub.waitForConfirms();
    const m = await getOne(ch, q, false);
    expect(m !== false && m.content.toString()).toBe('once');
    if (m !== false) ch.nack(m, false, true);
    await sleep(100);
    expect(await getOne(ch, q, true)).toBe(false);
  });

  it('without x-delivery-limit redelivers for ever, counting in x-delivery-count (absent on the first delivery to a consumer)', async () => {
    expect.hasAssertions();
    const { conn, ch, pub } = await open();
    const q = await declareQuorum(ch, 'no-limit');
    pub.sendToQueue(q, Buffer.from('m'));
    await pub.waitForConfirms();
    const c = await channel(conn);
    await c.prefetch(1);
    const counts: unknown[] = [];
    await c.consume(q, (m: ConsumeMessage | null) => {
      if (!m) return;
      counts.push(m.properties.headers?.['x-delivery-count']);
      if (counts.length < 5) c.nack(m, false, true);
      else c.ack(m);
    });
    await until(() => counts.length === 5);
    expect(counts).toEqual([undefined, 1, 2, 3, 4]);
  });
});

describe('x-queue-type stream', () => {
  it('declares a durable stream, and refuses a non-durable one with 406 "invalid property \'non-durable\'"', async () => {
    expect.hasAssertions();
    const { ch } = await open();
    const s = qname('stream');
    expect(await ch.assertQueue(s, { durable: true, arguments: { 'x-queue-type': 'stream' } })).toEqual({ queue: s, messageCount: 0, consumerCount: 0 });
    const ch2 = await channel((await open()).conn);
    const t = qname('stream-transient');
    expect(await channelError(ch2.assertQueue(t, { durable: false, arguments: { 'x-queue-type': 'stream' } }))).toEqual({
      code: 406,
      classId: 50,
      methodId: 10,
      text: `PRECONDITION_FAILED - invalid property 'non-durable' for queue '${t}' in vhost '/'`,
    });
  });
});
