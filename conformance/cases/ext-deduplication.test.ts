// Message deduplication, LavinMQ-style: the argument x-message-deduplication: true on an exchange
// (of any type) or on a queue. Plain RabbitMQ 3.10 has no deduplication (it needs a plugin that is
// not installed), so the whole file is skipped when the product is RabbitMQ. What is expected:
// - The id of a message is its x-deduplication-header header (or the header the x-deduplication-header
//   argument names); a message without it is never a duplicate. Each exchange and each queue keeps its own cache of ids seen, at most x-cache-size
//   entries (default 1000; when full the oldest id is forgotten first) and, with x-cache-ttl (ms),
//   each for that long. A per-message x-cache-ttl header sets the age for that message's id.
// - A duplicate at an exchange is not routed: a confirm still acks it, and a mandatory publish gets
//   no basic.return. A duplicate at a queue is not enqueued (a confirm acks it); other queues the
//   message is routed to still get it.
// - A delayed message (x-delayed-message) is checked when published, not again when it is routed
//   after the delay.
// - A bad x-cache-size / x-cache-ttl is refused with 406 PRECONDITION_FAILED "invalid arg
//   '<arg>' for exchange '<x>' in vhost '/': \"expected integer, got longstr\"" or
//   "…: {value_negative,-1}" (exchange.declare 40,10; for a queue "for queue '<q>' in vhost '/'",
//   queue.declare 50,10).
import type { Channel, ConfirmChannel, Options } from 'amqplib';
import { describe, expect, it } from 'vitest';
import { server } from '../support/amqp.js';
import {
  channel,
  channelError,
  cleanUpAfterEach,
  drain,
  openWithPublisher as open,
  publishConfirmed,
  sleep,
  trackNames,
} from '../support/fixtures.js';

// ---------------------------------------------------------------------------------------------
// Helpers (those the case files share are in ../support/fixtures.ts)
// ---------------------------------------------------------------------------------------------

/** Deduplication is a plugin on RabbitMQ, not installed on the RabbitMQ the suite is checked against. */
const IS_RABBITMQ = (await server()).product === 'RabbitMQ';

const { qname, xname } = cleanUpAfterEach(trackNames('ext-dedup'));

/** Publishes `body` with x-deduplication-header `id` (none when undefined) and returns the confirm. */
function send(pub: ConfirmChannel, exchange: string, routingKey: string, body: string, id: string | undefined, options: Options.Publish = {}): Promise<'ack' | 'nack'> {
  const headers = { ...(options.headers as Record<string, unknown> | undefined), ...(id === undefined ? {} : { 'x-deduplication-header': id }) };
  return publishConfirmed(pub, exchange, routingKey, body, { ...options, headers });
}

const DEDUP = { 'x-message-deduplication': true };

/** An exchange of `type` with the given arguments, and one queue bound to it with `key`. */
async function exchangeWithQueue(ch: Channel, type: string, xArgs: Record<string, unknown>, key = 'k'): Promise<{ x: string; q: string }> {
  const x = xname(type);
  await ch.assertExchange(x, type, { durable: false, arguments: xArgs });
  const q = qname(type);
  await ch.assertQueue(q, { durable: false });
  await ch.bindQueue(q, x, key);
  return { x, q };
}

/** A signed 32-bit integer header value, whatever its size (amqplib would pick the smallest type). */
const int = (value: number) => ({ '!': 'int', value });

// ---------------------------------------------------------------------------------------------

describe.skipIf(IS_RABBITMQ)('x-message-deduplication on an exchange (LavinMQ-style; skipped on RabbitMQ, which lacks it)', () => {
  it('drops a message whose x-deduplication-header was already seen: not routed, yet acked; messages without the header always pass', async () => {
    expect.hasAssertions();
    const { ch, pub } = await open();
    const { x, q } = await exchangeWithQueue(ch, 'direct', DEDUP);
    const confirms = [
      await send(pub, x, 'k', 'a1', 'a'),
      await send(pub, x, 'k', 'a2', 'a'),
      await send(pub, x, 'k', 'b1', 'b'),
      await send(pub, x, 'k', 'a3', 'a'),
      await send(pub, x, 'k', 'plain1', undefined),
      await send(pub, x, 'k', 'plain2', undefined),
    ];
    expect(confirms).toEqual(['ack', 'ack', 'ack', 'ack', 'ack', 'ack']);
    expect(await drain(ch, q)).toEqual(['a1', 'b1', 'plain1', 'plain2']);
  });

  it('sends no basic.return for a mandatory duplicate, whether or not its routing key would match', async () => {
    expect.hasAssertions();
    const { ch, pub, returned } = await open();
    const { x, q } = await exchangeWithQueue(ch, 'direct', DEDUP);
    expect(await send(pub, x, 'k', 'first', 'id', { mandatory: true })).toBe('ack');
    expect(await send(pub, x, 'k', 'dup-routable', 'id', { mandatory: true })).toBe('ack');
    expect(await send(pub, x, 'nowhere', 'dup-unroutable', 'id', { mandatory: true })).toBe('ack');
    expect(await send(pub, x, 'nowhere', 'new-unroutable', 'other', { mandatory: true })).toBe('ack');
    expect(returned.map((m) => m.content.toString())).toEqual(['new-unroutable']);
    expect(await drain(ch, q)).toEqual(['first']);
  });

  it('works on a topic exchange: the id counts whatever the routing key, and the first copy is routed by pattern', async () => {
    expect.hasAssertions();
    const { ch, pub } = await open();
    const { x, q } = await exchangeWithQueue(ch, 'topic', DEDUP, 'a.*');
    await send(pub, x, 'a.b', 'x-on-a.b', 'x');
    await send(pub, x, 'a.c', 'x-on-a.c', 'x');
    await send(pub, x, 'z.z', 'y-on-z.z', 'y');
    await send(pub, x, 'a.b', 'y-on-a.b', 'y');
    await send(pub, x, 'a.d', 'w-on-a.d', 'w');
    expect(await drain(ch, q)).toEqual(['x-on-a.b', 'w-on-a.d']);
  });

  it('works on a fanout exchange, dropping the duplicate for every bound queue', async () => {
    expect.hasAssertions();
    const { ch, pub } = await open();
    const { x, q } = await exchangeWithQueue(ch, 'fanout', DEDUP, '');
    const q2 = qname('fanout-2');
    await ch.assertQueue(q2, { durable: false });
    await ch.bindQueue(q2, x, '');
    await send(pub, x, '', 'm1', 'id');
    await send(pub, x, '', 'm2', 'id');
    expect(await drain(ch, q)).toEqual(['m1']);
    expect(await drain(ch, q2)).toEqual(['m1']);
  });

  it('keeps a cache per exchange: the same id passes each deduplicating exchange once', async () => {
    expect.hasAssertions();
    const { ch, pub } = await open();
    const one = await exchangeWithQueue(ch, 'direct', DEDUP);
    const two = await exchangeWithQueue(ch, 'direct', DEDUP);
    await send(pub, one.x, 'k', 'one-1', 'id');
    await send(pub, two.x, 'k', 'two-1', 'id');
    await send(pub, one.x, 'k', 'one-2', 'id');
    await send(pub, two.x, 'k', 'two-2', 'id');
    expect(await drain(ch, one.q)).toEqual(['one-1']);
    expect(await drain(ch, two.q)).toEqual(['two-1']);
  });

  it('does not deduplicate without x-message-deduplication: true (x-cache-size alone, or false)', async () => {
    expect.hasAssertions();
    const { ch, pub } = await open();
    const sizeOnly = await exchangeWithQueue(ch, 'direct', { 'x-cache-size': 10 });
    const off = await exchangeWithQueue(ch, 'direct', { 'x-message-deduplication': false });
    for (const { x } of [sizeOnly, off]) {
      await send(pub, x, 'k', 'm1', 'id');
      await send(pub, x, 'k', 'm2', 'id');
    }
    expect(await drain(ch, sizeOnly.q)).toEqual(['m1', 'm2']);
    expect(await drain(ch, off.q)).toEqual(['m1', 'm2']);
  });

  it('keeps at most x-cache-size ids, forgetting the oldest first', async () => {
    expect.hasAssertions();
    const { ch, pub } = await open();
    const { x, q } = await exchangeWithQueue(ch, 'direct', { ...DEDUP, 'x-cache-size': 2 });
    await send(pub, x, 'k', 'a1', 'a');
    await send(pub, x, 'k', 'b1', 'b');
    await send(pub, x, 'k', 'a2', 'a'); // still cached: dropped
    await send(pub, x, 'k', 'c1', 'c'); // the cache is full: a is forgotten
    await send(pub, x, 'k', 'a3', 'a'); // new again; b is forgotten
    await send(pub, x, 'k', 'c2', 'c'); // still cached: dropped
    expect(await drain(ch, q)).toEqual(['a1', 'b1', 'c1', 'a3']);
  });

  it('keeps 1000 ids by default', async () => {
    expect.hasAssertions();
    const { ch, pub } = await open();
    const { x, q } = await exchangeWithQueue(ch, 'direct', DEDUP);
    for (let i = 0; i < 1000; i++) pub.publish(x, 'k', Buffer.from(`first-${i}`), { headers: { 'x-deduplication-header': `id-${i}` } });
    await pub.waitForConfirms();
    await send(pub, x, 'k', 'again-0', 'id-0'); // 1000 ids cached: dropped
    await send(pub, x, 'k', 'first-1000', 'id-1000'); // the 1001st id: id-0 is forgotten
    await send(pub, x, 'k', 'again-0-later', 'id-0');
    const got = await drain(ch, q);
    expect(got.length).toBe(1002);
    expect(got.slice(998)).toEqual(['first-998', 'first-999', 'first-1000', 'again-0-later']);
  });

  it('forgets an id x-cache-ttl ms after it was seen', async () => {
    expect.hasAssertions();
    const { ch, pub } = await open();
    const { x, q } = await exchangeWithQueue(ch, 'direct', { ...DEDUP, 'x-cache-ttl': 100 });
    await send(pub, x, 'k', 'a1', 'a');
    await send(pub, x, 'k', 'a2', 'a');
    await sleep(250);
    await send(pub, x, 'k', 'a3', 'a');
    await send(pub, x, 'k', 'a4', 'a');
    expect(await drain(ch, q)).toEqual(['a1', 'a3']);
  });

  it('lets a per-message x-cache-ttl header set the age of that id when the exchange has none', async () => {
    expect.hasAssertions();
    const { ch, pub } = await open();
    const { x, q } = await exchangeWithQueue(ch, 'direct', DEDUP);
    await send(pub, x, 'k', 'short1', 'short', { headers: { 'x-cache-ttl': int(100) } });
    await send(pub, x, 'k', 'forever1', 'forever');
    await send(pub, x, 'k', 'short2', 'short');
    await sleep(250);
    await send(pub, x, 'k', 'short3', 'short');
    await send(pub, x, 'k', 'forever2', 'forever');
    expect(await drain(ch, q)).toEqual(['short1', 'forever1', 'short3']);
  });

  it("lets a per-message x-cache-ttl header override the exchange's x-cache-ttl for that id", async () => {
    expect.hasAssertions();
    const { ch, pub } = await open();
    const { x, q } = await exchangeWithQueue(ch, 'direct', { ...DEDUP, 'x-cache-ttl': 100 });
    await send(pub, x, 'k', 'long1', 'long', { headers: { 'x-cache-ttl': int(10_000) } });
    await send(pub, x, 'k', 'default1', 'default');
    await sleep(250);
    await send(pub, x, 'k', 'long2', 'long');
    await send(pub, x, 'k', 'default2', 'default');
    expect(await drain(ch, q)).toEqual(['long1', 'default1', 'default2']);
  });

  it('checks a delayed message (x-delayed-message) when it is published, not again when it is routed after the delay', async () => {
    expect.hasAssertions();
    const { ch, pub } = await open();
    const { x, q } = await exchangeWithQueue(ch, 'x-delayed-message', { ...DEDUP, 'x-delayed-type': 'direct' });
    await send(pub, x, 'k', 'm1', 'id', { headers: { 'x-delay': 100 } });
    await send(pub, x, 'k', 'm2', 'id', { headers: { 'x-delay': 100 } });
    await sleep(400);
    expect(await drain(ch, q)).toEqual(['m1']);
  });

  it.for(['x-cache-size', 'x-cache-ttl'])(
    'refuses a string %s with 406 "invalid arg … for exchange …: \\"expected integer, got longstr\\""',
    async (arg) => {
      expect.hasAssertions();
      const { conn } = await open();
      const ch = await channel(conn);
      const x = xname('bad');
      const e = await channelError(ch.assertExchange(x, 'direct', { durable: false, arguments: { ...DEDUP, [arg]: '10' } }));
      expect(e).toEqual({
        code: 406,
        classId: 40,
        methodId: 10,
        text: `PRECONDITION_FAILED - invalid arg '${arg}' for exchange '${x}' in vhost '/': "expected integer, got longstr"`,
      });
      const probe = await channel(conn);
      await expect(probe.checkExchange(x)).rejects.toThrow(/404/);
    },
  );

  it('refuses a negative x-cache-size with 406 "invalid arg … for exchange …: {value_negative,-1}"', async () => {
    expect.hasAssertions();
    const { conn } = await open();
    const ch = await channel(conn);
    const x = xname('negative');
    const e = await channelError(ch.assertExchange(x, 'direct', { durable: false, arguments: { ...DEDUP, 'x-cache-size': -1 } }));
    expect(e).toEqual({
      code: 406,
      classId: 40,
      methodId: 10,
      text: `PRECONDITION_FAILED - invalid arg 'x-cache-size' for exchange '${x}' in vhost '/': {value_negative,-1}`,
    });
  });

  it('reads the id from the header x-deduplication-header names (LavinMQ\'s argument); a name that is not a string is 406', async () => {
    expect.hasAssertions();
    const { ch, pub } = await open();
    const { x, q } = await exchangeWithQueue(ch, 'direct', { ...DEDUP, 'x-deduplication-header': 'msg-id' });
    await publishConfirmed(pub, x, 'k', 'm1', { headers: { 'msg-id': 'a' } });
    await publishConfirmed(pub, x, 'k', 'm2', { headers: { 'msg-id': 'a', 'x-deduplication-header': 'z' } });
    await publishConfirmed(pub, x, 'k', 'm3', { headers: { 'x-deduplication-header': 'a' } });
    await publishConfirmed(pub, x, 'k', 'm4', { headers: { 'x-deduplication-header': 'a' } });
    expect(await drain(ch, q)).toEqual(['m1', 'm3', 'm4']);
    const bad = xname('bad-header');
    const e = await channelError((await channel((await open()).conn)).assertExchange(bad, 'direct', { durable: false, arguments: { ...DEDUP, 'x-deduplication-header': true } }));
    expect(e).toEqual({
      code: 406,
      classId: 40,
      methodId: 10,
      text: `PRECONDITION_FAILED - invalid arg 'x-deduplication-header' for exchange '${bad}' in vhost '/': "expected longstr, got bool"`,
    });
  });
});

describe.skipIf(IS_RABBITMQ)('x-message-deduplication on a queue (LavinMQ-style; skipped on RabbitMQ, which lacks it)', () => {
  it('does not enqueue a message whose id the queue already saw, yet acks it; other queues still get it', async () => {
    expect.hasAssertions();
    const { ch, pub } = await open();
    const x = xname('fanout');
    await ch.assertExchange(x, 'fanout', { durable: false });
    const dedup = qname('dedup');
    await ch.assertQueue(dedup, { durable: false, arguments: DEDUP });
    const plain = qname('plain');
    await ch.assertQueue(plain, { durable: false });
    for (const q of [dedup, plain]) await ch.bindQueue(q, x, '');
    const confirms = [
      await send(pub, x, '', 'a1', 'a'),
      await send(pub, x, '', 'a2', 'a'),
      await send(pub, x, '', 'b1', 'b'),
      await send(pub, x, '', 'none1', undefined),
      await send(pub, x, '', 'none2', undefined),
    ];
    expect(confirms).toEqual(['ack', 'ack', 'ack', 'ack', 'ack']);
    expect(await drain(ch, dedup)).toEqual(['a1', 'b1', 'none1', 'none2']);
    expect(await drain(ch, plain)).toEqual(['a1', 'a2', 'b1', 'none1', 'none2']);
  });

  it('deduplicates messages sent through the default exchange, with no basic.return for a mandatory duplicate', async () => {
    expect.hasAssertions();
    const { ch, pub, returned } = await open();
    const q = qname('default-x');
    await ch.assertQueue(q, { durable: false, arguments: DEDUP });
    expect(await send(pub, '', q, 'm1', 'id', { mandatory: true })).toBe('ack');
    expect(await send(pub, '', q, 'm2', 'id', { mandatory: true })).toBe('ack');
    expect(returned).toEqual([]);
    expect(await drain(ch, q)).toEqual(['m1']);
  });

  it('keeps a cache per queue: the same id is enqueued once in each deduplicating queue', async () => {
    expect.hasAssertions();
    const { ch, pub } = await open();
    const x = xname('fanout');
    await ch.assertExchange(x, 'fanout', { durable: false });
    const one = qname('one');
    const two = qname('two');
    for (const q of [one, two]) {
      await ch.assertQueue(q, { durable: false, arguments: DEDUP });
      await ch.bindQueue(q, x, '');
    }
    await send(pub, x, '', 'm1', 'id');
    await send(pub, '', two, 'direct-to-two', 'id');
    await send(pub, x, '', 'm2', 'id');
    expect(await drain(ch, one)).toEqual(['m1']);
    expect(await drain(ch, two)).toEqual(['m1']);
  });

  it('keeps at most x-cache-size ids, forgetting the oldest first', async () => {
    expect.hasAssertions();
    const { ch, pub } = await open();
    const q = qname('size');
    await ch.assertQueue(q, { durable: false, arguments: { ...DEDUP, 'x-cache-size': 1 } });
    await send(pub, '', q, 'a1', 'a');
    await send(pub, '', q, 'a2', 'a');
    await send(pub, '', q, 'b1', 'b');
    await send(pub, '', q, 'a3', 'a');
    expect(await drain(ch, q)).toEqual(['a1', 'b1', 'a3']);
  });

  it('forgets an id after x-cache-ttl ms, or after the message\'s own x-cache-ttl header', async () => {
    expect.hasAssertions();
    const { ch, pub } = await open();
    const q = qname('ttl');
    await ch.assertQueue(q, { durable: false, arguments: { ...DEDUP, 'x-cache-ttl': 100 } });
    await send(pub, '', q, 'a1', 'a');
    await send(pub, '', q, 'long1', 'long', { headers: { 'x-cache-ttl': int(10_000) } });
    await send(pub, '', q, 'a2', 'a');
    await sleep(250);
    await send(pub, '', q, 'a3', 'a');
    await send(pub, '', q, 'long2', 'long');
    expect(await drain(ch, q)).toEqual(['a1', 'long1', 'a3']);
  });

  it('refuses a string x-cache-size with 406 "invalid arg … for queue …: \\"expected integer, got longstr\\""', async () => {
    expect.hasAssertions();
    const { conn } = await open();
    const ch = await channel(conn);
    const q = qname('bad');
    const e = await channelError(ch.assertQueue(q, { durable: false, arguments: { ...DEDUP, 'x-cache-size': 'ten' } }));
    expect(e).toEqual({
      code: 406,
      classId: 50,
      methodId: 10,
      text: `PRECONDITION_FAILED - invalid arg 'x-cache-size' for queue '${q}' in vhost '/': "expected integer, got longstr"`,
    });
    const probe = await channel(conn);
    await expect(probe.checkQueue(q)).rejects.toThrow(/404/);
  });

  it('refuses a negative x-cache-size with 406 "invalid arg … for queue …: {value_negative,-1}"', async () => {
    expect.hasAssertions();
    const { conn } = await open();
    const ch = await channel(conn);
    const q = qname('negative');
    const e = await channelError(ch.assertQueue(q, { durable: false, arguments: { ...DEDUP, 'x-cache-size': -1 } }));
    expect(e).toEqual({
      code: 406,
      classId: 50,
      methodId: 10,
      text: `PRECONDITION_FAILED - invalid arg 'x-cache-size' for queue '${q}' in vhost '/': {value_negative,-1}`,
    });
  });
});
