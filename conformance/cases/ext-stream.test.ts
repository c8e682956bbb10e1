// Stream queues (x-queue-type stream) over AMQP 0-9-1, as RabbitMQ 3.10.8 answers (each case verified against it):
// - Declare: durable, not exclusive, not auto-delete, named. auto-delete → 406 "invalid property 'auto-delete' …",
//   exclusive → 406 "invalid property 'exclusive-owner' …", durable=false → 406 "invalid property 'non-durable' …",
//   in that order, after the arguments; an empty name → 406 "Cannot declare a server-named queue for type
//   rabbit_stream_queue". Classic and quorum arguments → 406 "invalid arg '…' for queue '…' in vhost '/' of queue type
//   rabbit_stream_queue". x-max-age is a longstr of digits and one unit of Y M D h m s ('0s', '1d', '10', '1h ' →
//   invalid_max_age; another type → {unacceptable_type,…}); one that does not start with a digit ('yesterday',
//   '-1s') crashes RabbitMQ's channel: connection.close 541 "INTERNAL_ERROR". x-stream-max-segment-size-bytes at most
//   3,000,000,000 ("Exceeded max value for x-stream-max-segment-size-bytes"), x-initial-cluster-size a positive
//   integer, x-queue-leader-locator one of client-local, balanced, random, least-leaders.
// - Consume: a per-consumer basic.qos prefetch is required (none, or a global one only → 406 "consumer prefetch count
//   is not set for 'queue '…' in vhost '/''"); no-ack → connection.close 540 "automatic acknowledgement not supported
//   by stream queues …"; basic.get → 540 "basic.get not supported by stream queues …"; queue.purge → 540;
//   basic.nack and basic.reject → 540 "basic.nack and basic.reject not supported by stream queues …".
// - x-stream-offset: first, last (the first message of the last chunk), next (the default: only new messages), an
//   offset (below 0 is first; past the end waits for it), a timestamp (seconds), an interval ('1h', '30m'; '0s' or
//   '1d' → 406 {invalid_stream_offset_arg,{longstr,<<"…">>}}, no digits or another type such as a bool → 541).
//   Deliveries carry the header x-stream-offset (a long) besides the message's own headers. Acks are credit: the log
//   is not consumed; every consumer reads it on its own; consumers at the end get what comes later.
// - Filtering (RabbitMQ 3.13+, Warren only here): x-stream-filter-value on publish, x-stream-filter (a string or an
//   array) and x-stream-match-unfiltered on consume. RabbitMQ's Bloom filter may let other messages through (clients
//   filter again); Warren's filter is exact.
import type { Channel, ChannelModel, ConfirmChannel, ConsumeMessage } from 'amqplib';
import { describe, expect, it } from 'vitest';
import { connect, server } from '../support/amqp.js';
import { channel, channelError, cleanUpAfterEach, confirmChannel, eventually, Inbox, open, sleep, trackNames } from '../support/fixtures.js';

const IS_RABBITMQ = (await server()).product === 'RabbitMQ';

const { qname, xname } = cleanUpAfterEach(trackNames('ext-stream'));

const STREAM = { 'x-queue-type': 'stream' };

async function declareStream(ch: Channel, tag: string, extra: Record<string, unknown> = {}): Promise<string> {
  const q = qname(tag);
  await ch.assertQueue(q, { durable: true, arguments: { ...STREAM, ...extra } });
  return q;
}

/** Publishes bodies to the queue through the default exchange, then waits for the confirms. */
async function publishAll(pub: ConfirmChannel, q: string, bodies: string[], headers?: (i: number) => Record<string, unknown>): Promise<void> {
  bodies.forEach((b, i) => pub.sendToQueue(q, Buffer.from(b), headers ? { headers: headers(i) } : {}));
  await pub.waitForConfirms();
}

const range = (n: number, prefix = 'm') => Array.from({ length: n }, (_, i) => `${prefix}${i}`);

/** A consumer with a prefetch that acks what it gets; returns its inbox. */
async function consumeStream(ch: Channel, q: string, args: Record<string, unknown> = {}, prefetch = 100): Promise<Inbox> {
  await ch.prefetch(prefetch);
  const inbox = new Inbox();
  await ch.consume(q, (m) => {
    inbox.push(m);
    if (m) ch.ack(m);
  }, { arguments: args });
  return inbox;
}

const offsets = (ms: ConsumeMessage[]) => ms.map((m) => m.properties.headers?.['x-stream-offset'] as number);
const bodies = (ms: ConsumeMessage[]) => ms.map((m) => m.content.toString());

/** The connection.close a broker sends for `op` on a fresh connection: code and reply text. */
async function connectionError(op: (ch: Channel, conn: ChannelModel) => Promise<unknown>): Promise<{ code: number | undefined; text: string }> {
  const conn = await connect();
  const closed = new Promise<{ code: number | undefined; text: string }>((resolve) => {
    conn.on('error', (e: Error & { code?: number }) => {
      const m = /with message "([\s\S]*)"$/.exec(e.message);
      resolve({ code: e.code, text: m ? m[1]! : e.message });
    });
  });
  const ch = await channel(conn);
  await op(ch, conn).catch(() => undefined);
  return Promise.race([closed, sleep(5_000).then(() => ({ code: undefined, text: 'no connection.close within 5 s' }))]);
}

/** A stream with `n` messages m0… published and confirmed. */
async function streamWith(tag: string, n: number, extra: Record<string, unknown> = {}): Promise<{ q: string; conn: ChannelModel; ch: Channel; pub: ConfirmChannel }> {
  const { conn, ch } = await open();
  const pub = await confirmChannel(conn);
  const q = await declareStream(ch, tag, extra);
  await publishAll(pub, q, range(n));
  return { q, conn, ch, pub };
}

// ---------------------------------------------------------------------------------------------

describe('declaring a stream', () => {
  it('declares a durable stream; a passive declare and a redeclare see it', async () => {
    expect.hasAssertions();
    const { ch } = await open();
    const q = qname('plain');
    expect(await ch.assertQueue(q, { durable: true, arguments: STREAM })).toEqual({ queue: q, messageCount: 0, consumerCount: 0 });
    expect(await ch.checkQueue(q)).toEqual({ queue: q, messageCount: 0, consumerCount: 0 });
    expect(await ch.assertQueue(q, { durable: true, arguments: STREAM })).toEqual({ queue: q, messageCount: 0, consumerCount: 0 });
  });

  it.for([
    ['non-durable', { durable: false }, 'non-durable'],
    ['exclusive', { durable: true, exclusive: true }, 'exclusive-owner'],
    ['auto-delete', { durable: true, autoDelete: true }, 'auto-delete'],
    ['non-durable and exclusive', { durable: false, exclusive: true }, 'exclusive-owner'],
    ['auto-delete and exclusive', { durable: true, exclusive: true, autoDelete: true }, 'auto-delete'],
    ['non-durable and auto-delete', { durable: false, autoDelete: true }, 'auto-delete'],
  ] as const)('refuses a %s stream with 406 "invalid property"', async ([, flags, property]) => {
    expect.hasAssertions();
    const { ch } = await open();
    const q = qname('flags');
    expect(await channelError(ch.assertQueue(q, { ...flags, arguments: STREAM }))).toEqual({
      code: 406,
      classId: 50,
      methodId: 10,
      text: `PRECONDITION_FAILED - invalid property '${property}' for queue '${q}' in vhost '/'`,
    });
  });

  it('refuses a server-named stream', async () => {
    expect.hasAssertions();
    const { ch } = await open();
    expect(await channelError(ch.assertQueue('', { durable: true, arguments: STREAM }))).toEqual({
      code: 406,
      classId: 50,
      methodId: 10,
      text: 'PRECONDITION_FAILED - Cannot declare a server-named queue for type rabbit_stream_queue',
    });
  });

  it.for([
    ['x-message-ttl', 1000],
    ['x-expires', 1000],
    ['x-max-length', 10],
    ['x-dead-letter-exchange', 'x'],
    ['x-max-priority', 10],
    ['x-single-active-consumer', true],
    ['x-overflow', 'reject-publish'],
    ['x-delivery-limit', 3],
    ['x-queue-mode', 'lazy'],
    ['x-max-in-memory-length', 4],
  ] as const)('refuses %s with "… of queue type rabbit_stream_queue"', async ([arg, value]) => {
    expect.hasAssertions();
    const { ch } = await open();
    const q = qname('other-arg');
    expect(await channelError(ch.assertQueue(q, { durable: true, arguments: { ...STREAM, [arg]: value } }))).toEqual({
      code: 406,
      classId: 50,
      methodId: 10,
      text: `PRECONDITION_FAILED - invalid arg '${arg}' for queue '${q}' in vhost '/' of queue type rabbit_stream_queue`,
    });
  });

  it.for([
    ['x-max-age', '7D'],
    ['x-max-age', '1Y'],
    ['x-max-age', '2M'],
    ['x-max-age', '12h'],
    ['x-max-age', '30m'],
    ['x-max-age', '10s'],
    ['x-max-age', '01h'],
    ['x-max-length-bytes', 0],
    ['x-max-length-bytes', 1_000_000],
    ['x-stream-max-segment-size-bytes', 3_000_000_000],
    ['x-stream-max-segment-size-bytes', 1],
    ['x-initial-cluster-size', 3],
    ['x-queue-leader-locator', 'client-local'],
    ['x-queue-leader-locator', 'balanced'],
    ['x-queue-leader-locator', 'random'],
    ['x-queue-leader-locator', 'least-leaders'],
    ['x-stream-filter-size-bytes', 32],
    ['x-not-an-argument', 1],
  ] as const)('accepts %s = %s', async ([arg, value]) => {
    expect.hasAssertions();
    const { ch } = await open();
    const q = qname('good-arg');
    expect(await ch.assertQueue(q, { durable: true, arguments: { ...STREAM, [arg]: value } })).toEqual({ queue: q, messageCount: 0, consumerCount: 0 });
  });

  it.for([
    ['x-max-age', '0s', 'invalid_max_age'],
    ['x-max-age', '1d', 'invalid_max_age'],
    ['x-max-age', '10', 'invalid_max_age'],
    ['x-max-age', '1h1', 'invalid_max_age'],
    ['x-max-age', '2.5h', 'invalid_max_age'],
    ['x-max-age', '1h ', 'invalid_max_age'],
    ['x-max-age', '1S', 'invalid_max_age'],
    ['x-max-age', 10, '{unacceptable_type,byte}'],
    ['x-max-age', true, '{unacceptable_type,bool}'],
    ['x-max-length-bytes', -1, '{value_negative,-1}'],
    ['x-max-length-bytes', 'a', '"expected integer, got longstr"'],
    ['x-stream-max-segment-size-bytes', -5, '{value_negative,-5}'],
    ['x-stream-max-segment-size-bytes', 'a', '"expected integer, got longstr"'],
    ['x-initial-cluster-size', 0, '{value_zero,0}'],
    ['x-initial-cluster-size', -1, '{value_negative,-1}'],
    ['x-initial-cluster-size', 1.5, '"expected integer, got double"'],
    ['x-queue-leader-locator', 'Balanced', 'invalid_queue_locator_arg'],
    ['x-queue-leader-locator', 1, '{unacceptable_type,byte}'],
  ] as const)('refuses %s = %j with 406 "invalid arg …: %s"', async ([arg, value, reason]) => {
    expect.hasAssertions();
    const { ch } = await open();
    const q = qname('bad-arg');
    expect(await channelError(ch.assertQueue(q, { durable: true, arguments: { ...STREAM, [arg]: value } }))).toEqual({
      code: 406,
      classId: 50,
      methodId: 10,
      text: `PRECONDITION_FAILED - invalid arg '${arg}' for queue '${q}' in vhost '/': ${reason}`,
    });
  });

  it('checks the arguments in RabbitMQ\'s order: x-max-length-bytes before x-max-age, both before other types\' arguments and the flags', async () => {
    expect.hasAssertions();
    const { conn } = await open();
    const q = qname('order');
    const declare = async (flags: { durable: boolean }, args: Record<string, unknown>) =>
      (await channelError((await channel(conn)).assertQueue(q, { ...flags, arguments: { ...STREAM, ...args } }))).text;
    expect(await declare({ durable: true }, { 'x-max-age': '0s', 'x-max-length-bytes': -1 })).toContain("invalid arg 'x-max-length-bytes'");
    expect(await declare({ durable: true }, { 'x-message-ttl': 5, 'x-max-age': '0s' })).toContain("invalid arg 'x-max-age'");
    expect(await declare({ durable: false }, { 'x-message-ttl': 5 })).toContain("invalid arg 'x-message-ttl'");
    expect(await declare({ durable: false }, { 'x-stream-max-segment-size-bytes': 4_000_000_000 })).toContain("invalid property 'non-durable'");
    expect(await declare({ durable: true }, { 'x-stream-max-segment-size-bytes': 3_000_000_001 })).toBe(
      'PRECONDITION_FAILED - Exceeded max value for x-stream-max-segment-size-bytes',
    );
  });

  it.for(['yesterday', '-1s', '+1h', '', 'h'])('answers x-max-age %j (no leading digits) as RabbitMQ 3.10.8 does: connection.close 541 INTERNAL_ERROR', async (value) => {
    expect.hasAssertions();
    const q = qname('age-crash');
    expect(await connectionError((ch) => ch.assertQueue(q, { durable: true, arguments: { ...STREAM, 'x-max-age': value } }))).toEqual({
      code: 541,
      text: 'INTERNAL_ERROR',
    });
  });

  it('compares stream arguments on redeclare', async () => {
    expect.hasAssertions();
    const { conn } = await open();
    const q = qname('equivalence');
    const base = { 'x-max-length-bytes': 100, 'x-stream-max-segment-size-bytes': 1000, 'x-initial-cluster-size': 1, 'x-queue-leader-locator': 'balanced', 'x-max-age': '7D' };
    await (await channel(conn)).assertQueue(q, { durable: true, arguments: { ...STREAM, ...base } });
    const redeclare = async (args: Record<string, unknown>) => (await channelError((await channel(conn)).assertQueue(q, { durable: true, arguments: args }))).text;
    const res = `for queue '${q}' in vhost '/'`;
    expect(await redeclare({ ...STREAM, ...base, 'x-max-age': '8D' })).toBe(`PRECONDITION_FAILED - inequivalent arg 'x-max-age' ${res}: received '8D' but current is '7D'`);
    expect(await redeclare({ ...STREAM, ...base, 'x-stream-max-segment-size-bytes': 2000 })).toBe(
      `PRECONDITION_FAILED - inequivalent arg 'x-stream-max-segment-size-bytes' ${res}: received '2000' but current is '1000'`,
    );
    expect(await redeclare({ ...STREAM, ...base, 'x-initial-cluster-size': 2 })).toBe(`PRECONDITION_FAILED - inequivalent arg 'x-initial-cluster-size' ${res}: received '2' but current is '1'`);
    expect(await redeclare({ ...STREAM, ...base, 'x-queue-leader-locator': 'client-local' })).toBe(
      `PRECONDITION_FAILED - inequivalent arg 'x-queue-leader-locator' ${res}: received 'client-local' but current is 'balanced'`,
    );
    expect(await redeclare({ ...base })).toBe(`PRECONDITION_FAILED - inequivalent arg 'x-queue-type' ${res}: received none but current is the value 'stream' of type 'longstr'`);
  });
});

describe('consuming from a stream', () => {
  it('gives every message the next offset: a consumer from first gets them in order with an x-stream-offset header, routing and properties intact', async () => {
    expect.hasAssertions();
    const { conn, ch } = await open();
    const pub = await confirmChannel(conn);
    const q = await declareStream(ch, 'offsets');
    for (let i = 0; i < 5; i++) pub.sendToQueue(q, Buffer.from(`m${i}`), { headers: { n: i }, contentType: 'text/plain', messageId: `id${i}` });
    await pub.waitForConfirms();
    const inbox = await consumeStream(ch, q, { 'x-stream-offset': 'first' });
    const got = await inbox.exactly(5);
    expect(bodies(got)).toEqual(range(5));
    expect(offsets(got)).toEqual([0, 1, 2, 3, 4]);
    expect(got.map((m) => m.properties.headers)).toEqual([0, 1, 2, 3, 4].map((n) => ({ n, 'x-stream-offset': n })));
    expect(got.map((m) => [m.properties.contentType, m.properties.messageId])).toEqual([0, 1, 2, 3, 4].map((n) => ['text/plain', `id${n}`]));
    expect(got.map((m) => [m.fields.exchange, m.fields.routingKey, m.fields.redelivered])).toEqual(got.map(() => ['', q, false]));
  });

  it('refuses a consumer without a per-consumer prefetch with 406, also when only a global qos is set', async () => {
    expect.hasAssertions();
    const { q, conn } = await streamWith('no-qos', 1);
    const text = `PRECONDITION_FAILED - consumer prefetch count is not set for 'queue '${q}' in vhost '/''`;
    const none = await channel(conn);
    expect(await channelError(none.consume(q, () => {}))).toEqual({ code: 406, classId: 60, methodId: 20, text });
    const global = await channel(conn);
    await global.prefetch(10, true);
    expect(await channelError(global.consume(q, () => {}))).toEqual({ code: 406, classId: 60, methodId: 20, text });
    // Both: the per-consumer one counts.
    const both = await channel(conn);
    await both.prefetch(10, true);
    await both.prefetch(10, false);
    expect(await both.consume(q, () => {})).toMatchObject({ consumerTag: expect.any(String) });
  });

  it('closes the connection with 540 for no-ack consumers, basic.get, queue.purge, basic.nack and basic.reject', async () => {
    expect.hasAssertions();
    const { q } = await streamWith('not-implemented', 3);
    const res = `queue '${q}' in vhost '/'`;
    expect(await connectionError(async (ch) => {
      await ch.prefetch(10);
      await ch.consume(q, () => {}, { noAck: true });
    })).toEqual({ code: 540, text: `NOT_IMPLEMENTED - automatic acknowledgement not supported by stream queues ${res}` });
    expect(await connectionError((ch) => ch.get(q))).toEqual({ code: 540, text: `NOT_IMPLEMENTED - basic.get not supported by stream queues ${res}` });
    expect(await connectionError((ch) => ch.get(q, { noAck: true }))).toEqual({ code: 540, text: `NOT_IMPLEMENTED - basic.get not supported by stream queues ${res}` });
    expect(await connectionError((ch) => ch.purgeQueue(q))).toEqual({ code: 540, text: `NOT_IMPLEMENTED - queue.purge not supported by stream queues ${res}` });
    for (const settle of [(ch: Channel, m: ConsumeMessage) => ch.nack(m, false, true), (ch: Channel, m: ConsumeMessage) => ch.reject(m, false)]) {
      expect(await connectionError(async (ch) => {
        await ch.prefetch(10);
        const first = new Promise<ConsumeMessage>((resolve) => void ch.consume(q, (m) => m && resolve(m), { arguments: { 'x-stream-offset': 'first' } }));
        settle(ch, await first);
        await sleep(1_000);
      })).toEqual({ code: 540, text: `NOT_IMPLEMENTED - basic.nack and basic.reject not supported by stream queues ${res}` });
    }
  });

  it('refuses other queue types\' consumer arguments with "… of queue type rabbit_stream_queue"', async () => {
    expect.hasAssertions();
    const { q, conn } = await streamWith('consume-args', 1);
    const ch = await channel(conn);
    await ch.prefetch(10);
    expect(await channelError(ch.consume(q, () => {}, { arguments: { 'x-priority': 5 } }))).toEqual({
      code: 406,
      classId: 60,
      methodId: 20,
      text: `PRECONDITION_FAILED - invalid arg 'x-priority' for queue '${q}' in vhost '/' of queue type rabbit_stream_queue`,
    });
  });

  it.for([
    ['first', 0],
    [0, 0],
    [4, 4],
    [9, 9],
    [-1, 0],
    ['1h', 0],
    ['1D', 0],
    ['10s', 0],
  ] as const)('x-stream-offset %j starts at offset %i and reads to the end', async ([spec, from]) => {
    expect.hasAssertions();
    const { q, ch } = await streamWith('spec', 10);
    const inbox = await consumeStream(ch, q, { 'x-stream-offset': spec });
    const got = await inbox.exactly(10 - from);
    expect(offsets(got)).toEqual(Array.from({ length: 10 - from }, (_, i) => from + i));
  });

  it('x-stream-offset next (and no x-stream-offset) gets only messages published after it started; a consumer at the end waits for them', async () => {
    expect.hasAssertions();
    const { q, conn, ch, pub } = await streamWith('next', 5);
    const next = await consumeStream(ch, q, { 'x-stream-offset': 'next' });
    const dflt = await consumeStream(await channel(conn), q);
    const past = await consumeStream(await channel(conn), q, { 'x-stream-offset': 6 });
    await sleep(300);
    expect(next.messages).toEqual([]);
    await publishAll(pub, q, ['later0', 'later1']);
    for (const inbox of [next, dflt]) {
      const got = await inbox.exactly(2);
      expect(bodies(got)).toEqual(['later0', 'later1']);
      expect(offsets(got)).toEqual([5, 6]);
    }
    // An offset past the end waits for that offset.
    expect(offsets(await past.exactly(1))).toEqual([6]);
  });

  it('x-stream-offset last starts at the last chunk: a message confirmed on its own after the others is its own chunk', async () => {
    expect.hasAssertions();
    const { q, ch, pub } = await streamWith('last', 10);
    await sleep(100);
    await publishAll(pub, q, ['alone']);
    const inbox = await consumeStream(ch, q, { 'x-stream-offset': 'last' });
    const got = await inbox.exactly(1);
    expect(bodies(got)).toEqual(['alone']);
    expect(offsets(got)).toEqual([10]);
  });

  it('x-stream-offset as an AMQP timestamp: one in the past reads everything, one in the future only what comes later', async () => {
    expect.hasAssertions();
    const { q, conn, ch, pub } = await streamWith('timestamp', 3);
    const now = Math.floor(Date.now() / 1000);
    const past = await consumeStream(ch, q, { 'x-stream-offset': { '!': 'timestamp', value: now - 3600 } });
    const future = await consumeStream(await channel(conn), q, { 'x-stream-offset': { '!': 'timestamp', value: now + 3600 } });
    expect(offsets(await past.exactly(3))).toEqual([0, 1, 2]);
    expect(future.messages).toEqual([]);
    // A start past the last message is the end: what comes later is delivered.
    await publishAll(pub, q, ['later']);
    expect(offsets(await future.exactly(1))).toEqual([3]);
  });

  it('x-stream-offset as a long or a signed byte is an offset', async () => {
    expect.hasAssertions();
    const { q, conn, ch } = await streamWith('numeric', 6);
    const asLong = await consumeStream(ch, q, { 'x-stream-offset': { '!': 'long', value: 3 } });
    const asByte = await consumeStream(await channel(conn), q, { 'x-stream-offset': { '!': 'byte', value: 4 } });
    expect(offsets(await asLong.exactly(3))).toEqual([3, 4, 5]);
    expect(offsets(await asByte.exactly(2))).toEqual([4, 5]);
  });

  it.for(['0s', '1d', '1h1', '5'])('refuses x-stream-offset %j with 406 invalid_stream_offset_arg', async (spec) => {
    expect.hasAssertions();
    const { q, ch } = await streamWith('bad-spec', 1);
    await ch.prefetch(10);
    expect(await channelError(ch.consume(q, () => {}, { arguments: { 'x-stream-offset': spec } }))).toEqual({
      code: 406,
      classId: 60,
      methodId: 20,
      text: `PRECONDITION_FAILED - invalid arg 'x-stream-offset' for queue '${q}' in vhost '/': {invalid_stream_offset_arg,{longstr,<<"${spec}">>}}`,
    });
  });

  it.for(['yesterday', 'FIRST', '-1h', '', true, 1.5])('answers x-stream-offset %j as RabbitMQ 3.10.8 does: connection.close 541 INTERNAL_ERROR', async (spec) => {
    expect.hasAssertions();
    const { q } = await streamWith('crash-spec', 1);
    expect(await connectionError(async (ch) => {
      await ch.prefetch(10);
      await ch.consume(q, () => {}, { arguments: { 'x-stream-offset': spec } });
    })).toEqual({ code: 541, text: 'INTERNAL_ERROR' });
  });

  it('treats acks as credit: without acks a consumer gets no more than its prefetch of one-message chunks, with acks it reads on', async () => {
    expect.hasAssertions();
    const { conn, ch } = await open();
    const pub = await confirmChannel(conn);
    const q = await declareStream(ch, 'credit');
    // Each message confirmed before the next is published: one chunk each.
    for (let i = 0; i < 10; i++) await publishAll(pub, q, [`m${i}`]);
    await ch.prefetch(2);
    const got: ConsumeMessage[] = [];
    await ch.consume(q, (m) => m && got.push(m), { arguments: { 'x-stream-offset': 'first' } });
    await sleep(500);
    expect(got.length).toBeGreaterThanOrEqual(1);
    expect(got.length).toBeLessThanOrEqual(2);
    ch.ack(got[got.length - 1]!, true);
    await sleep(500);
    expect(got.length).toBeGreaterThan(2);
    expect(got.length).toBeLessThanOrEqual(4);
    while (got.length < 10) {
      ch.ack(got[got.length - 1]!, true);
      await sleep(100);
    }
    expect(offsets(got)).toEqual(range(10).map((_, i) => i));
  });

  it('is not consumed by acks: two consumers each read everything, and the count stays', async () => {
    expect.hasAssertions();
    const { q, conn, ch } = await streamWith('non-destructive', 8);
    const a = await consumeStream(ch, q, { 'x-stream-offset': 'first' });
    const b = await consumeStream(await channel(conn), q, { 'x-stream-offset': 'first' }, 3);
    expect(bodies(await a.exactly(8))).toEqual(range(8));
    expect(bodies(await b.exactly(8))).toEqual(range(8));
    const again = await consumeStream(await channel(conn), q, { 'x-stream-offset': 'first' });
    expect(bodies(await again.exactly(8))).toEqual(range(8));
    // RabbitMQ updates a stream's message count every few seconds; Warren at once.
    const check = await channel(conn);
    await eventually(async () => expect((await check.checkQueue(q)).messageCount).toBe(8), 10_000);
  });

  it('gets messages routed through exchange-to-exchange bindings and alternate exchanges, and a mandatory publish to it is not returned', async () => {
    expect.hasAssertions();
    const { conn, ch } = await open();
    const pub = await confirmChannel(conn);
    const returned: unknown[] = [];
    pub.on('return', (m) => returned.push(m));
    const q = await declareStream(ch, 'routing');
    const front = xname('front');
    const back = xname('back');
    const ae = xname('ae');
    const withAe = xname('with-ae');
    await ch.assertExchange(front, 'topic', { durable: false });
    await ch.assertExchange(back, 'direct', { durable: false });
    await ch.assertExchange(ae, 'fanout', { durable: false });
    await ch.assertExchange(withAe, 'direct', { durable: false, alternateExchange: ae });
    await ch.bindExchange(back, front, 'a.#');
    await ch.bindQueue(q, back, 'a.b');
    await ch.bindQueue(q, ae, '');
    pub.publish(front, 'a.b', Buffer.from('via-e2e'), { mandatory: true });
    pub.publish(withAe, 'nothing', Buffer.from('via-ae'), { mandatory: true });
    pub.publish(front, 'z', Buffer.from('unroutable'), { mandatory: true });
    await pub.waitForConfirms();
    await sleep(100);
    expect(returned).toHaveLength(1);
    const inbox = await consumeStream(ch, q, { 'x-stream-offset': 'first' });
    const got = await inbox.exactly(2);
    expect(got.map((m) => [m.content.toString(), m.fields.exchange, m.fields.routingKey])).toEqual([
      ['via-e2e', front, 'a.b'],
      ['via-ae', withAe, 'nothing'],
    ]);
  });

  it('drops whole segments from the head past x-max-length-bytes; the offsets of what is kept do not change', async () => {
    expect.hasAssertions();
    const { conn, ch } = await open();
    const pub = await confirmChannel(conn);
    const q = await declareStream(ch, 'retention', { 'x-max-length-bytes': 2000, 'x-stream-max-segment-size-bytes': 500 });
    const body = 'x'.repeat(100);
    for (let batch = 0; batch < 20; batch++) {
      for (let i = 0; i < 5; i++) pub.sendToQueue(q, Buffer.from(`${batch * 5 + i}:${body}`));
      await pub.waitForConfirms();
    }
    const inbox = await consumeStream(ch, q, { 'x-stream-offset': 'first' });
    await sleep(1_000);
    const got = inbox.messages;
    expect(got.length).toBeGreaterThan(0);
    expect(got.length).toBeLessThan(100);
    // The head went: the first kept message is not the first published, and neither is its offset. (RabbitMQ's
    // offsets also count a bookkeeping record at the start of each segment, so they run ahead of message numbers.)
    const numbers = got.map((m) => Number(m.content.toString().split(':')[0]));
    expect(numbers[0]).toBeGreaterThan(0);
    expect(offsets(got)[0]).toBeGreaterThan(0);
    expect(numbers).toEqual(Array.from({ length: got.length }, (_, i) => numbers[0]! + i));
    expect(numbers.at(-1)).toBe(99);
    expect(offsets(got).every((o, i, all) => i === 0 || o > all[i - 1]!)).toBe(true);
  });

  it('is deleted with its messages; delete-ok counts none (as RabbitMQ 3.10.8)', async () => {
    expect.hasAssertions();
    const { q, ch } = await streamWith('delete', 4);
    expect(await ch.deleteQueue(q)).toEqual({ messageCount: 0 });
    expect((await channelError(ch.checkQueue(q))).code).toBe(404);
  });
});

describe.skipIf(IS_RABBITMQ)('filtering a stream (RabbitMQ 3.13+; exact in Warren)', () => {
  async function filtered(tag: string) {
    const { conn, ch } = await open();
    const pub = await confirmChannel(conn);
    const q = await declareStream(ch, tag);
    const values = ['a', 'b', undefined, 'c', 'a', undefined, 'b', 'a'];
    await publishAll(pub, q, values.map((v, i) => `${v ?? '-'}${i}`), (i) => (values[i] === undefined ? {} : { 'x-stream-filter-value': values[i] }));
    return { q, conn, ch };
  }

  it('delivers only messages whose x-stream-filter-value the consumer asked for (a string or an array)', async () => {
    expect.hasAssertions();
    const { q, conn, ch } = await filtered('filter');
    const one = await consumeStream(ch, q, { 'x-stream-offset': 'first', 'x-stream-filter': 'a' });
    const two = await consumeStream(await channel(conn), q, { 'x-stream-offset': 'first', 'x-stream-filter': ['b', 'c'] });
    expect(bodies(await one.exactly(3))).toEqual(['a0', 'a4', 'a7']);
    expect(offsets(one.messages)).toEqual([0, 4, 7]);
    expect(bodies(await two.exactly(3))).toEqual(['b1', 'c3', 'b6']);
  });

  it('with x-stream-match-unfiltered also delivers messages published without a filter value', async () => {
    expect.hasAssertions();
    const { q, ch } = await filtered('unfiltered');
    const inbox = await consumeStream(ch, q, { 'x-stream-offset': 'first', 'x-stream-filter': 'b', 'x-stream-match-unfiltered': true });
    expect(bodies(await inbox.exactly(4))).toEqual(['b1', '-2', '-5', 'b6']);
  });
});
