// Single active consumer: the x-single-active-consumer queue argument. What RabbitMQ 3.10 (classic
// queues) does:
// - Of all consumers, only the first one registered (the active one) gets messages; the others
//   wait. queue.declare-ok consumer_count counts all of them.
// - When the active consumer is cancelled, or its channel closes, the next one in registration
//   order becomes active. Unacked messages of a closed channel are requeued and go to it
//   (redelivered=true).
// - basic.get works regardless. An exclusive basic.consume on such a queue is always refused:
//   403 "ACCESS_REFUSED - queue '…' in vhost '/' in exclusive use" (even with no consumer).
// - The argument must be a bool: "yes" → {unacceptable_type,longstr}, 1 → {unacceptable_type,byte}.
//   Redeclaring without it or with false → 406 inequivalent arg.
//
// Not covered, a RabbitMQ 3.10.8 defect: when the active consumer is cancelled WHILE it still holds
// unacked messages, the next consumer is marked active (rabbitmqctl list_consumers) but receives
// nothing at all, not the ready messages, not new ones, not after the old ones are acked. The cases
// below cancel an active consumer only when it holds nothing. (Later RabbitMQ versions hand over.)
import type { Channel, ChannelModel, ConfirmChannel, ConsumeMessage } from 'amqplib';
import { describe, expect, it } from 'vitest';
import { channel, channelError, cleanUpAfterEach, openWithPublisher as open, sleep, trackNames, until } from '../support/fixtures.js';

// ---------------------------------------------------------------------------------------------
// Helpers (those the case files share are in ../support/fixtures.ts)
// ---------------------------------------------------------------------------------------------

const { qname } = cleanUpAfterEach(trackNames('ext-sac'));

async function declareSac(ch: Channel, tag = 'q'): Promise<string> {
  const q = qname(tag);
  await ch.assertQueue(q, { durable: false, arguments: { 'x-single-active-consumer': true } });
  return q;
}

async function publishAll(pub: ConfirmChannel, q: string, bodies: string[]): Promise<void> {
  for (const b of bodies) pub.sendToQueue(q, Buffer.from(b));
  await pub.waitForConfirms();
}

interface Consumer {
  ch: Channel;
  tag: string;
  got: ConsumeMessage[];
  bodies(): string[];
}

async function consumer(conn: ChannelModel, q: string, opts: { noAck: boolean; prefetch?: number }): Promise<Consumer> {
  const ch = await channel(conn);
  if (opts.prefetch) await ch.prefetch(opts.prefetch);
  const got: ConsumeMessage[] = [];
  const { consumerTag } = await ch.consume(q, (m) => m && got.push(m), { noAck: opts.noAck });
  return { ch, tag: consumerTag, got, bodies: () => got.map((m) => m.content.toString()) };
}

// ---------------------------------------------------------------------------------------------

describe('x-single-active-consumer', () => {
  it('delivers only to the first consumer; declare-ok counts every consumer', async () => {
    expect.hasAssertions();
    const { conn, ch, pub } = await open();
    const q = await declareSac(ch);
    const first = await consumer(conn, q, { noAck: true });
    const second = await consumer(conn, q, { noAck: true });
    expect(await ch.checkQueue(q)).toEqual({ queue: q, messageCount: 0, consumerCount: 2 });
    await publishAll(pub, q, ['m0', 'm1', 'm2', 'm3']);
    await until(() => first.got.length === 4);
    await sleep(50);
    expect(first.bodies()).toEqual(['m0', 'm1', 'm2', 'm3']);
    expect(second.bodies()).toEqual([]);
  });

  it('keeps the others waiting while the active consumer is blocked by its prefetch', async () => {
    expect.hasAssertions();
    const { conn, ch, pub } = await open();
    const q = await declareSac(ch);
    const first = await consumer(conn, q, { noAck: false, prefetch: 1 });
    const second = await consumer(conn, q, { noAck: true });
    await publishAll(pub, q, ['m0', 'm1', 'm2']);
    await until(() => first.got.length === 1);
    await sleep(100);
    expect(second.bodies()).toEqual([]);
    expect((await ch.checkQueue(q)).messageCount).toBe(2);
    first.ch.ack(first.got[0]!);
    await until(() => first.got.length === 2);
    expect(first.bodies()).toEqual(['m0', 'm1']);
    expect(second.bodies()).toEqual([]);
  });

  it('hands over to the next consumer, in registration order, when the active one is cancelled', async () => {
    expect.hasAssertions();
    const { conn, ch, pub } = await open();
    const q = await declareSac(ch);
    const first = await consumer(conn, q, { noAck: true });
    const second = await consumer(conn, q, { noAck: true });
    const third = await consumer(conn, q, { noAck: true });
    await publishAll(pub, q, ['before']);
    await until(() => first.got.length === 1);
    await first.ch.cancel(first.tag);
    await publishAll(pub, q, ['after']);
    await until(() => second.got.length === 1);
    await sleep(50);
    expect(first.bodies()).toEqual(['before']);
    expect(second.bodies()).toEqual(['after']);
    expect(third.bodies()).toEqual([]);
  });

  it('hands over when the active consumer\'s channel closes: its unacked messages go to the next one, redelivered', async () => {
    expect.hasAssertions();
    const { conn, ch, pub } = await open();
    const q = await declareSac(ch);
    const first = await consumer(conn, q, { noAck: false, prefetch: 1 });
    const second = await consumer(conn, q, { noAck: false, prefetch: 10 });
    await publishAll(pub, q, ['m0', 'm1']);
    await until(() => first.got.length === 1);
    await first.ch.close();
    await until(() => second.got.length === 2);
    expect(second.got.map((m) => [m.content.toString(), m.fields.redelivered])).toEqual([
      ['m0', true],
      ['m1', false],
    ]);
  });

  it('answers basic.get whatever the consumers do', async () => {
    expect.hasAssertions();
    const { ch, pub } = await open();
    const q = await declareSac(ch);
    await publishAll(pub, q, ['g']);
    const m = await ch.get(q, { noAck: true });
    expect(m !== false && m.content.toString()).toBe('g');
  });

  it('refuses an exclusive basic.consume with 403 "… in exclusive use", even with no consumer', async () => {
    expect.hasAssertions();
    const { ch } = await open();
    const q = await declareSac(ch);
    expect(await channelError(ch.consume(q, () => {}, { exclusive: true }))).toEqual({
      code: 403,
      classId: 60,
      methodId: 20,
      text: `ACCESS_REFUSED - queue '${q}' in vhost '/' in exclusive use`,
    });
  });

  it('with x-single-active-consumer false, consumers share messages round-robin', async () => {
    expect.hasAssertions();
    const { conn, ch, pub } = await open();
    const q = qname('off');
    await ch.assertQueue(q, { durable: false, arguments: { 'x-single-active-consumer': false } });
    const a = await consumer(conn, q, { noAck: true });
    const b = await consumer(conn, q, { noAck: true });
    await publishAll(pub, q, ['m0', 'm1', 'm2', 'm3']);
    await until(() => a.got.length + b.got.length === 4);
    expect(a.got).toHaveLength(2);
    expect(b.got).toHaveLength(2);
  });

  it.for([
    ['"yes"', 'yes', '{unacceptable_type,longstr}'],
    ['1', 1, '{unacceptable_type,byte}'],
  ] as const)('refuses x-single-active-consumer %s with 406', async ([, value, reason]) => {
    expect.hasAssertions();
    const { ch } = await open();
    const q = qname('bad');
    expect(await channelError(ch.assertQueue(q, { durable: false, arguments: { 'x-single-active-consumer': value } }))).toEqual({
      code: 406,
      classId: 50,
      methodId: 10,
      text: `PRECONDITION_FAILED - invalid arg 'x-single-active-consumer' for queue '${q}' in vhost '/': ${reason}`,
    });
  });

  it.for([
    ['without the argument', {}, "received none but current is the value 'true' of type 'bool'"],
    ['with false', { 'x-single-active-consumer': false }, "received 'false' but current is 'true'"],
  ] as const)('refuses a redeclare %s with 406 inequivalent arg', async ([, args, detail]) => {
    expect.hasAssertions();
    const { ch } = await open();
    const q = await declareSac(ch, 'redeclare');
    expect(await channelError(ch.assertQueue(q, { durable: false, arguments: args }))).toEqual({
      code: 406,
      classId: 50,
      methodId: 10,
      text: `PRECONDITION_FAILED - inequivalent arg 'x-single-active-consumer' for queue '${q}' in vhost '/': ${detail}`,
    });
  });
});
