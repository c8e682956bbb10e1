// Dead-lettering: x-dead-letter-exchange (DLX) and x-dead-letter-routing-key (DLRK) on classic
// queues, and the x-death / x-first-death-* headers. What RabbitMQ 3.10 does:
// - Triggers: basic.reject / basic.nack with requeue=false ("rejected"), expiry by either TTL
//   ("expired", also with nobody consuming), x-max-length overflow ("maxlen", see
//   ext-max-length.test.ts), quorum x-delivery-limit ("delivery_limit", ext-queue-type.test.ts).
//   Not: requeue=true, a closed channel's unacked messages, queue.purge, queue.delete.
// - The message is republished to the DLX with routing key DLRK if set, else with ALL of its
//   original routing keys (the publish routing key plus its CC and BCC keys). With a DLRK the CC
//   header is removed. Delivered copies show exchange = DLX, routing key = DLRK or the original key.
// - The `expiration` property is removed; every other property is kept.
// - x-death (array of tables, newest first). A first death adds
//     {count: long 1, reason, queue, time: timestamp (seconds), exchange, routing-keys: array of
//      longstr[, original-expiration: longstr]}
//   in exactly that field order. `exchange` is the exchange the message was last published to,
//   `routing-keys` its routing key plus CC keys (never BCC, never the DLRK), `original-expiration`
//   is present whenever the message had an expiration property, whatever the reason.
//   When the message already has x-death: an entry with the same queue AND reason gets count + 1
//   (time, exchange and routing-keys unchanged) and moves to the front; otherwise a new entry is
//   put in front. In both cases that front entry's fields are sorted by name (count, exchange,
//   original-expiration, queue, reason, routing-keys, time); older entries keep their order.
// - x-first-death-reason / -queue / -exchange are set (overwriting any publisher values) when the
//   message has no x-death yet, and never changed afterwards. The whole header table of a
//   dead-lettered message comes out sorted by key.
// - Cycles: when the DLX routes the message back to a queue already named in its x-death and no
//   entry from there to the newest is "rejected", that queue does not get it (other queues the DLX
//   routes to still do). The check runs on the updated x-death, so a queue that dead-letters
//   expired messages to itself drops them on the first expiry. Reason "rejected" is never a cycle.
// - A DLX that does not exist, or routes nowhere: the message is dropped silently.
//
// RabbitMQ 3.13/4.x differences (as far as known): 3.13 also adds x-last-death-reason / -queue /
// -exchange headers; 4.x builds x-death entries from its own records, always in the order
// [original-expiration,] count, reason, queue, time, exchange, routing-keys (no re-sorting of an
// updated entry), and no longer trusts x-death headers set by publishers.
import type { Channel, GetMessage } from 'amqplib';
import { describe, expect, it } from 'vitest';
import { uniqueName } from '../support/amqp.js';
import { channel, channelError, cleanUpAfterEach, drain, openWithPublisher as open, publish, sleep, trackNames } from '../support/fixtures.js';

// ---------------------------------------------------------------------------------------------
// Helpers (those the case files share are in ../support/fixtures.ts)
// ---------------------------------------------------------------------------------------------

const { qname, xname, declareQueue: declare } = cleanUpAfterEach(trackNames('ext-dlx'));

/** basic.get (no-ack) from q, retrying until a message is there (dead-lettering is asynchronous). */
async function getOne(ch: Channel, q: string, timeoutMs = 3_000): Promise<GetMessage> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const m = await ch.get(q, { noAck: true });
    if (m !== false) return m;
    if (Date.now() > deadline) throw new Error(`nothing arrived in ${q} within ${timeoutMs} ms`);
    await sleep(20);
  }
}

/** basic.get with ack mode, retrying until a message is there. */
async function getUnacked(ch: Channel, q: string): Promise<GetMessage> {
  for (let i = 0; i < 150; i++) {
    const m = await ch.get(q, { noAck: false });
    if (m !== false) return m;
    await sleep(20);
  }
  throw new Error(`nothing arrived in ${q}`);
}

/** A fanout DLX with one queue bound to it. */
async function fanoutDlx(ch: Channel): Promise<{ dlx: string; dlq: string }> {
  const dlx = xname('dlx');
  await ch.assertExchange(dlx, 'fanout', { durable: false });
  const dlq = await declare(ch, 'dlq', {});
  await ch.bindQueue(dlq, dlx, '');
  return { dlx, dlq };
}

type Death = Record<string, unknown>;

function deaths(m: GetMessage): Death[] {
  return (m.properties.headers?.['x-death'] ?? []) as unknown as Death[];
}

/** amqplib's decoding of an AMQP timestamp ('T') field: seconds since the epoch. */
const timestampNow = () => ({ '!': 'timestamp', value: expect.toSatisfy((v: number) => Math.abs(v - Date.now() / 1000) < 10) });

const FIRST_DEATH_ORDER = ['count', 'reason', 'queue', 'time', 'exchange', 'routing-keys'];
const SORTED_ORDER = ['count', 'exchange', 'queue', 'reason', 'routing-keys', 'time'];

// ---------------------------------------------------------------------------------------------

describe('what dead-letters a message', () => {
  it.for(['basic.reject', 'basic.nack'] as const)(
    '%s with requeue=false: republished to the DLX with the original routing key, x-death reason "rejected"',
    async (how) => {
      expect.hasAssertions();
      const { ch, pub } = await open();
      const { dlx, dlq } = await fanoutDlx(ch);
      const q = await declare(ch, 'rejected', { 'x-dead-letter-exchange': dlx });
      await publish(pub, '', q, 'body');
      const m = await getUnacked(ch, q);
      if (how === 'basic.reject') ch.reject(m, false);
      else ch.nack(m, false, false);
      const dead = await getOne(ch, dlq);
      expect(dead.content.toString()).toBe('body');
      expect(dead.fields).toMatchObject({ exchange: dlx, routingKey: q, redelivered: false });
      expect(dead.properties.headers).toEqual({
        'x-death': [{ count: 1, reason: 'rejected', queue: q, time: timestampNow(), exchange: '', 'routing-keys': [q] }],
        'x-first-death-exchange': '',
        'x-first-death-queue': q,
        'x-first-death-reason': 'rejected',
      });
      expect(Object.keys(deaths(dead)[0]!)).toEqual(FIRST_DEATH_ORDER);
      expect(await drain(ch, q)).toEqual([]);
    },
  );

  it('basic.nack multiple=true requeue=false dead-letters every message it covers, in order', async () => {
    expect.hasAssertions();
    const { ch, pub } = await open();
    const { dlx, dlq } = await fanoutDlx(ch);
    const q = await declare(ch, 'nack-multiple', { 'x-dead-letter-exchange': dlx });
    for (const b of ['a', 'b', 'c']) await publish(pub, '', q, b);
    await getUnacked(ch, q);
    await getUnacked(ch, q);
    const last = await getUnacked(ch, q);
    ch.nack(last, true, false);
    await getOne(ch, dlq).then((m) => expect(m.content.toString()).toBe('a'));
    await sleep(50);
    expect(await drain(ch, dlq)).toEqual(['b', 'c']);
  });

  it('x-message-ttl expiry, with nobody consuming: reason "expired", no original-expiration', async () => {
    expect.hasAssertions();
    const { ch, pub } = await open();
    const { dlx, dlq } = await fanoutDlx(ch);
    const q = await declare(ch, 'queue-ttl', { 'x-dead-letter-exchange': dlx, 'x-message-ttl': 50 });
    await publish(pub, '', q, 'old');
    const dead = await getOne(ch, dlq);
    expect(dead.content.toString()).toBe('old');
    expect(dead.properties.headers).toEqual({
      'x-death': [{ count: 1, reason: 'expired', queue: q, time: timestampNow(), exchange: '', 'routing-keys': [q] }],
      'x-first-death-exchange': '',
      'x-first-death-queue': q,
      'x-first-death-reason': 'expired',
    });
  });

  it('per-message expiry: original-expiration holds the expiration, which is removed from the message', async () => {
    expect.hasAssertions();
    const { ch, pub } = await open();
    const { dlx, dlq } = await fanoutDlx(ch);
    const q = await declare(ch, 'msg-ttl', { 'x-dead-letter-exchange': dlx });
    await publish(pub, '', q, 'short-lived', { expiration: '50' });
    const dead = await getOne(ch, dlq);
    expect(dead.properties.expiration).toBeUndefined();
    expect(deaths(dead)).toEqual([
      { count: 1, reason: 'expired', queue: q, time: timestampNow(), exchange: '', 'routing-keys': [q], 'original-expiration': '50' },
    ]);
    expect(Object.keys(deaths(dead)[0]!)).toEqual([...FIRST_DEATH_ORDER, 'original-expiration']);
  });

  it('x-message-ttl lower than the expiration: reason "expired", original-expiration is the message\'s', async () => {
    expect.hasAssertions();
    const { ch, pub } = await open();
    const { dlx, dlq } = await fanoutDlx(ch);
    const q = await declare(ch, 'both-ttl', { 'x-dead-letter-exchange': dlx, 'x-message-ttl': 50 });
    await publish(pub, '', q, 'm', { expiration: '60000' });
    const dead = await getOne(ch, dlq);
    expect(deaths(dead)[0]).toMatchObject({ reason: 'expired', 'original-expiration': '60000' });
    expect(dead.properties.expiration).toBeUndefined();
  });

  it('a rejected message that had an expiration: original-expiration recorded, expiration removed, other properties kept', async () => {
    expect.hasAssertions();
    const { ch, pub } = await open();
    const { dlx, dlq } = await fanoutDlx(ch);
    const q = await declare(ch, 'props', { 'x-dead-letter-exchange': dlx });
    await publish(pub, '', q, 'm', {
      expiration: '60000',
      contentType: 'text/plain',
      contentEncoding: 'identity',
      headers: { custom: 'kept' },
      deliveryMode: 2,
      priority: 3,
      correlationId: 'corr',
      replyTo: 'reply-queue',
      messageId: 'id-1',
      timestamp: 1_700_000_000,
      type: 'kind',
      appId: 'app',
    });
    ch.reject(await getUnacked(ch, q), false);
    const dead = await getOne(ch, dlq);
    expect(deaths(dead)[0]).toMatchObject({ reason: 'rejected', 'original-expiration': '60000' });
    const { headers, ...rest } = dead.properties;
    expect(headers).toMatchObject({ custom: 'kept' });
    expect(rest).toMatchObject({
      contentType: 'text/plain',
      contentEncoding: 'identity',
      deliveryMode: 2,
      priority: 3,
      correlationId: 'corr',
      replyTo: 'reply-queue',
      messageId: 'id-1',
      timestamp: 1_700_000_000,
      type: 'kind',
      appId: 'app',
    });
    expect(rest.expiration).toBeUndefined();
  });

  it('does not dead-letter on requeue=true, on channel close with unacked messages, on queue.purge or queue.delete', async () => {
    expect.hasAssertions();
    const { conn, ch, pub } = await open();
    const { dlx, dlq } = await fanoutDlx(ch);
    const q = await declare(ch, 'not-dead', { 'x-dead-letter-exchange': dlx });
    await publish(pub, '', q, 'requeued');
    ch.nack(await getUnacked(ch, q), false, true);
    const other = await channel(conn);
    await getUnacked(other, q);
    await other.close();
    expect((await ch.checkQueue(q)).messageCount).toBe(1);
    await ch.purgeQueue(q);
    await publish(pub, '', q, 'deleted with the queue');
    await ch.deleteQueue(q);
    await sleep(150);
    expect(await drain(ch, dlq)).toEqual([]);
  });
});

describe('where a dead-lettered message is routed', () => {
  it('x-dead-letter-routing-key replaces the routing key; x-death keeps the original one', async () => {
    expect.hasAssertions();
    const { ch, pub } = await open();
    const dlx = xname('direct-dlx');
    await ch.assertExchange(dlx, 'direct', { durable: false });
    const byNew = await declare(ch, 'by-new-key', {});
    const byOld = await declare(ch, 'by-old-key', {});
    const q = await declare(ch, 'dlrk', { 'x-dead-letter-exchange': dlx, 'x-dead-letter-routing-key': 'new-key' });
    await ch.bindQueue(byNew, dlx, 'new-key');
    await ch.bindQueue(byOld, dlx, q);
    await publish(pub, '', q, 'm');
    ch.reject(await getUnacked(ch, q), false);
    const dead = await getOne(ch, byNew);
    expect(dead.fields).toMatchObject({ exchange: dlx, routingKey: 'new-key' });
    expect(deaths(dead)[0]).toMatchObject({ queue: q, exchange: '', 'routing-keys': [q] });
    expect(await drain(ch, byOld)).toEqual([]);
  });

  it('the default exchange as DLX delivers to the queue named by the DLRK', async () => {
    expect.hasAssertions();
    const { ch, pub } = await open();
    const target = await declare(ch, 'target', {});
    const q = await declare(ch, 'to-default', { 'x-dead-letter-exchange': '', 'x-dead-letter-routing-key': target });
    await publish(pub, '', q, 'm');
    ch.reject(await getUnacked(ch, q), false);
    const dead = await getOne(ch, target);
    expect(dead.fields).toMatchObject({ exchange: '', routingKey: target });
    expect(dead.properties.headers).toMatchObject({ 'x-first-death-queue': q, 'x-first-death-exchange': '' });
  });

  it('without a DLRK, routes with the original routing key AND its CC and BCC keys; keeps the CC header', async () => {
    expect.hasAssertions();
    const { ch, pub } = await open();
    const src = xname('src');
    const dlx = xname('dlx');
    await ch.assertExchange(src, 'direct', { durable: false });
    await ch.assertExchange(dlx, 'direct', { durable: false });
    const q = await declare(ch, 'cc-src', { 'x-dead-letter-exchange': dlx });
    await ch.bindQueue(q, src, 'k1');
    const byKey: Record<string, string> = {};
    for (const k of ['k1', 'k2', 'k4', 'k9']) {
      byKey[k] = await declare(ch, `by-${k}`, {});
      await ch.bindQueue(byKey[k], dlx, k);
    }
    await publish(pub, src, 'k1', 'm', { headers: { CC: ['k2'], BCC: ['k4'] } });
    ch.reject(await getUnacked(ch, q), false);
    for (const k of ['k1', 'k2', 'k4']) {
      const dead = await getOne(ch, byKey[k]!);
      expect(dead.fields).toMatchObject({ exchange: dlx, routingKey: 'k1' });
      expect(dead.properties.headers!.CC).toEqual(['k2']);
      expect(dead.properties.headers!.BCC).toBeUndefined();
      // routing-keys lists the routing key and the CC keys, never BCC.
      expect(deaths(dead)[0]).toMatchObject({ exchange: src, 'routing-keys': ['k1', 'k2'] });
    }
    expect(await drain(ch, byKey.k9!)).toEqual([]);
  });

  it('with a DLRK, routes by the DLRK only and removes the CC header', async () => {
    expect.hasAssertions();
    const { ch, pub } = await open();
    const src = xname('src');
    const dlx = xname('dlx');
    await ch.assertExchange(src, 'direct', { durable: false });
    await ch.assertExchange(dlx, 'direct', { durable: false });
    const q = await declare(ch, 'cc-dlrk', { 'x-dead-letter-exchange': dlx, 'x-dead-letter-routing-key': 'new' });
    await ch.bindQueue(q, src, 'k1');
    const byNew = await declare(ch, 'by-new', {});
    const byK2 = await declare(ch, 'by-k2', {});
    await ch.bindQueue(byNew, dlx, 'new');
    await ch.bindQueue(byK2, dlx, 'k2');
    await publish(pub, src, 'k1', 'm', { headers: { CC: ['k2'], other: 1 } });
    ch.reject(await getUnacked(ch, q), false);
    const dead = await getOne(ch, byNew);
    expect(dead.fields.routingKey).toBe('new');
    expect(dead.properties.headers!.CC).toBeUndefined();
    expect(dead.properties.headers!.other).toBe(1);
    expect(deaths(dead)[0]).toMatchObject({ 'routing-keys': ['k1', 'k2'] });
    await sleep(50);
    expect(await drain(ch, byK2)).toEqual([]);
  });

  it('drops the message silently when the DLX does not exist; the channel stays open', async () => {
    expect.hasAssertions();
    const { ch, pub } = await open();
    const q = await declare(ch, 'missing-dlx', { 'x-dead-letter-exchange': uniqueName('ext-dlx.missing') });
    await publish(pub, '', q, 'm');
    ch.reject(await getUnacked(ch, q), false);
    await sleep(100);
    expect((await ch.checkQueue(q)).messageCount).toBe(0);
    await publish(pub, '', q, 'still working');
    expect(await drain(ch, q)).toEqual(['still working']);
  });

  it('drops the message silently when the DLX routes it nowhere', async () => {
    expect.hasAssertions();
    const { ch, pub } = await open();
    const dlx = xname('unbound');
    await ch.assertExchange(dlx, 'direct', { durable: false });
    const q = await declare(ch, 'nowhere', { 'x-dead-letter-exchange': dlx });
    await publish(pub, '', q, 'm');
    ch.reject(await getUnacked(ch, q), false);
    await sleep(100);
    expect((await ch.checkQueue(q)).messageCount).toBe(0);
  });
});

describe('x-death history', () => {
  /**
   * q1 dead-letters (on reject) to q2 through the default exchange; q2 expires messages after 50 ms
   * and dead-letters them back to q1. A "rejected" entry in the loop means it is not a cycle.
   */
  async function loop(ch: Channel): Promise<{ q1: string; q2: string }> {
    const q1 = qname('loop1');
    const q2 = qname('loop2');
    await ch.assertQueue(q1, { durable: false, arguments: { 'x-dead-letter-exchange': '', 'x-dead-letter-routing-key': q2 } });
    await ch.assertQueue(q2, {
      durable: false,
      arguments: { 'x-dead-letter-exchange': '', 'x-dead-letter-routing-key': q1, 'x-message-ttl': 50 },
    });
    return { q1, q2 };
  }

  it('puts a death from another queue in front; its fields come sorted by name; x-first-death-* stay', async () => {
    expect.hasAssertions();
    const { ch, pub } = await open();
    const { q1, q2 } = await loop(ch);
    await publish(pub, '', q1, 'm', { expiration: '60000' });
    ch.reject(await getUnacked(ch, q1), false);
    const back = await getUnacked(ch, q1); // rejected in q1, expired in q2, back in q1
    expect(deaths(back)).toEqual([
      { count: 1, exchange: '', queue: q2, reason: 'expired', 'routing-keys': [q2], time: timestampNow() },
      { count: 1, reason: 'rejected', queue: q1, time: timestampNow(), exchange: '', 'routing-keys': [q1], 'original-expiration': '60000' },
    ]);
    expect(Object.keys(deaths(back)[0]!)).toEqual(SORTED_ORDER);
    expect(Object.keys(deaths(back)[1]!)).toEqual([...FIRST_DEATH_ORDER, 'original-expiration']);
    expect(back.properties.headers).toMatchObject({
      'x-first-death-reason': 'rejected',
      'x-first-death-queue': q1,
      'x-first-death-exchange': '',
    });
    ch.ack(back);
  });

  it('dying again in the same queue for the same reason increments that entry\'s count and moves it to the front', async () => {
    expect.hasAssertions();
    const { ch, pub } = await open();
    const { q1, q2 } = await loop(ch);
    await publish(pub, '', q1, 'm', { expiration: '60000' });
    ch.reject(await getUnacked(ch, q1), false);
    ch.reject(await getUnacked(ch, q1), false);
    const second = await getUnacked(ch, q1);
    expect(deaths(second)).toEqual([
      { count: 2, exchange: '', queue: q2, reason: 'expired', 'routing-keys': [q2], time: timestampNow() },
      { count: 2, exchange: '', 'original-expiration': '60000', queue: q1, reason: 'rejected', 'routing-keys': [q1], time: timestampNow() },
    ]);
    ch.nack(second, false, false);
    // Now in q2, before it expires there again: the q1 "rejected" entry (count 3) is in front.
    const inQ2 = await getOne(ch, q2);
    expect(deaths(inQ2)).toEqual([
      { count: 3, exchange: '', 'original-expiration': '60000', queue: q1, reason: 'rejected', 'routing-keys': [q1], time: timestampNow() },
      { count: 2, exchange: '', queue: q2, reason: 'expired', 'routing-keys': [q2], time: timestampNow() },
    ]);
    expect(Object.keys(deaths(inQ2)[0]!)).toEqual(['count', 'exchange', 'original-expiration', 'queue', 'reason', 'routing-keys', 'time']);
    expect(inQ2.properties.headers!['x-first-death-queue']).toBe(q1);
  });

  it('a queue dead-lettering rejected messages to itself is no cycle; the count grows and time stays the first death\'s', async () => {
    expect.hasAssertions();
    const { ch, pub } = await open();
    const q = await declare(ch, 'self-reject', { 'x-dead-letter-exchange': '' });
    await publish(pub, '', q, 'm');
    ch.reject(await getUnacked(ch, q), false);
    const once = await getUnacked(ch, q);
    expect(once.fields.redelivered).toBe(false); // a new message as far as the queue is concerned
    expect(deaths(once)).toHaveLength(1);
    const firstTime = (deaths(once)[0]!.time as { value: number }).value;
    await sleep(1_100); // timestamps have whole seconds
    ch.reject(once, false);
    const twice = await getUnacked(ch, q);
    expect(deaths(twice)).toEqual([
      { count: 2, exchange: '', queue: q, reason: 'rejected', 'routing-keys': [q], time: { '!': 'timestamp', value: firstTime } },
    ]);
    ch.ack(twice);
  });

  it('overwrites publisher-set x-first-death-* on the first death and sorts the header table by key', async () => {
    expect.hasAssertions();
    const { ch, pub } = await open();
    const { dlx, dlq } = await fanoutDlx(ch);
    const q = await declare(ch, 'forged', { 'x-dead-letter-exchange': dlx });
    await publish(pub, '', q, 'm', { headers: { z: 1, a: 2, 'x-first-death-queue': 'forged', m: 3 } });
    const plain = await getUnacked(ch, q);
    expect(Object.keys(plain.properties.headers!)).toEqual(['z', 'a', 'x-first-death-queue', 'm']); // as published
    ch.reject(plain, false);
    const dead = await getOne(ch, dlq);
    expect(dead.properties.headers!['x-first-death-queue']).toBe(q);
    expect(Object.keys(dead.properties.headers!)).toEqual([
      'a',
      'm',
      'x-death',
      'x-first-death-exchange',
      'x-first-death-queue',
      'x-first-death-reason',
      'z',
    ]);
  });
});

describe('dead-letter cycles', () => {
  it('drops at the first expiry a message that a queue would dead-letter to itself', async () => {
    expect.hasAssertions();
    const { ch, pub } = await open();
    const q = await declare(ch, 'self-expire', { 'x-dead-letter-exchange': '', 'x-message-ttl': 100 });
    await publish(pub, '', q, 'm');
    await sleep(400);
    expect((await ch.checkQueue(q)).messageCount).toBe(0);
    expect(await ch.get(q, { noAck: true })).toBe(false);
  });

  it('leaves out only the cycling queue: another queue bound to the same DLX still gets the message, once', async () => {
    expect.hasAssertions();
    const { ch, pub } = await open();
    const dlx = xname('cycle');
    await ch.assertExchange(dlx, 'fanout', { durable: false });
    const q = await declare(ch, 'cycling', { 'x-dead-letter-exchange': dlx, 'x-message-ttl': 50 });
    const monitor = await declare(ch, 'monitor', {});
    await ch.bindQueue(q, dlx, '');
    await ch.bindQueue(monitor, dlx, '');
    await publish(pub, '', q, 'm');
    const dead = await getOne(ch, monitor);
    expect(deaths(dead)).toEqual([{ count: 1, reason: 'expired', queue: q, time: timestampNow(), exchange: '', 'routing-keys': [q] }]);
    await sleep(300);
    expect((await ch.checkQueue(q)).messageCount).toBe(0);
    expect(await drain(ch, monitor)).toEqual([]);
  });
});

describe('dead-letter argument validation', () => {
  it.for([
    ['x-dead-letter-routing-key without x-dead-letter-exchange', { 'x-dead-letter-routing-key': 'rk' }, "invalid arg 'x-dead-letter-routing-key' for queue '%q' in vhost '/': routing_key_but_no_dlx_defined"],
    ['x-dead-letter-routing-key 5', { 'x-dead-letter-exchange': 'dlx', 'x-dead-letter-routing-key': 5 }, "invalid arg 'x-dead-letter-routing-key' for queue '%q' in vhost '/': {unacceptable_type,byte}"],
    ['x-dead-letter-exchange 5', { 'x-dead-letter-exchange': 5 }, "invalid type 'byte' for arg 'x-dead-letter-exchange' in queue '%q' in vhost '/'"],
  ] as const)('refuses %s with 406', async ([, args, text]) => {
    expect.hasAssertions();
    const { ch } = await open();
    const q = qname('bad');
    expect(await channelError(ch.assertQueue(q, { durable: false, arguments: args }))).toEqual({
      code: 406,
      classId: 50,
      methodId: 10,
      text: `PRECONDITION_FAILED - ${text.replace('%q', q)}`,
    });
  });

  it('accepts a DLX that does not exist (yet)', async () => {
    expect.hasAssertions();
    const { ch } = await open();
    const q = qname('dlx-later');
    expect(await ch.assertQueue(q, { durable: false, arguments: { 'x-dead-letter-exchange': uniqueName('ext-dlx.later') } })).toEqual({
      queue: q,
      messageCount: 0,
      consumerCount: 0,
    });
  });
});
