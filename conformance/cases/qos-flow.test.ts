// basic.qos prefetch limits as RabbitMQ 3.10 applies them (global=false: per consumer, for
// consumers started after the qos; global=true: one limit shared by all of the channel's
// consumers) and channel.flow sent by the client. prefetch_size != 0 is in bad-input.test.ts.
import type { Channel, ConsumeMessage } from 'amqplib';
import { describe, expect, it } from 'vitest';
import { connect, openBystander } from '../support/amqp.js';
import { channel, cleanUpAfterEach, Inbox, QUIET_MS, sleep, trackNames } from '../support/fixtures.js';
import { ArgsReader, args, rawConnect } from '../support/raw.js';

const { declareQueue } = cleanUpAfterEach(trackNames(), { raw: true, strict: true });

const bodies = (ms: ConsumeMessage[]) => ms.map((m) => m.content.toString());

async function fill(ch: Channel, q: string, n: number): Promise<void> {
  for (let i = 1; i <= n; i++) ch.sendToQueue(q, Buffer.from(`m${i}`));
  await ch.checkQueue(q); // a round trip: the publishes before it have been routed
}

describe('basic.qos prefetch_count', () => {
  it('with prefetch 2 and 5 messages delivers only 2 until one is acked, then one more per ack', async () => {
    expect.hasAssertions();
    const conn = await connect();
    const ch = await channel(conn);
    const q = await declareQueue(ch, 'prefetch-2');
    await fill(ch, q, 5);
    const consumer = await channel(conn);
    await expect(consumer.prefetch(2)).resolves.toBeDefined();
    const inbox = new Inbox();
    await consumer.consume(q, inbox.push, { noAck: false });
    expect(bodies(await inbox.exactly(2))).toEqual(['m1', 'm2']);
    consumer.ack(inbox.messages[0]!);
    expect(bodies(await inbox.exactly(3))).toEqual(['m1', 'm2', 'm3']);
    consumer.ack(inbox.messages[2]!, true);
    expect(bodies(await inbox.exactly(5))).toEqual(['m1', 'm2', 'm3', 'm4', 'm5']);
  });

  it('counts a nack with requeue as freeing a slot, and redelivers into it', async () => {
    expect.hasAssertions();
    const conn = await connect();
    const ch = await channel(conn);
    const q = await declareQueue(ch, 'prefetch-nack');
    await fill(ch, q, 3);
    const consumer = await channel(conn);
    await consumer.prefetch(1);
    const inbox = new Inbox();
    await consumer.consume(q, inbox.push, { noAck: false });
    await inbox.exactly(1);
    consumer.nack(inbox.messages[0]!, false, true);
    const ms = await inbox.exactly(2);
    expect(bodies(ms)).toEqual(['m1', 'm1']);
    expect(ms[1]!.fields.redelivered).toBe(true);
  });

  it('applies prefetch (global=false) to each consumer separately', async () => {
    expect.hasAssertions();
    const conn = await connect();
    const ch = await channel(conn);
    const q1 = await declareQueue(ch, 'per-consumer-a');
    const q2 = await declareQueue(ch, 'per-consumer-b');
    await fill(ch, q1, 5);
    await fill(ch, q2, 5);
    const consumer = await channel(conn);
    await consumer.prefetch(2, false);
    const a = new Inbox();
    const b = new Inbox();
    await consumer.consume(q1, a.push, { noAck: false });
    await consumer.consume(q2, b.push, { noAck: false });
    await a.exactly(2);
    await b.exactly(2);
  });

  it('applies a prefetch (global=false) only to consumers started after it', async () => {
    expect.hasAssertions();
    const conn = await connect();
    const ch = await channel(conn);
    const q1 = await declareQueue(ch, 'qos-later-a');
    const q2 = await declareQueue(ch, 'qos-later-b');
    await fill(ch, q1, 4);
    await fill(ch, q2, 4);
    const consumer = await channel(conn);
    const before = new Inbox();
    await consumer.consume(q1, before.push, { noAck: false }); // unlimited
    await before.exactly(4);
    await consumer.prefetch(1, false);
    const after = new Inbox();
    await consumer.consume(q2, after.push, { noAck: false });
    await after.exactly(1);
    // The first consumer stays unlimited.
    ch.sendToQueue(q1, Buffer.from('m5'));
    expect(bodies(await before.exactly(5))).toEqual(['m1', 'm2', 'm3', 'm4', 'm5']);
  });

  it('with prefetch 0 (the default) delivers everything', async () => {
    expect.hasAssertions();
    const conn = await connect();
    const ch = await channel(conn);
    const q = await declareQueue(ch, 'prefetch-0');
    await fill(ch, q, 20);
    const consumer = await channel(conn);
    await consumer.prefetch(0);
    const inbox = new Inbox();
    await consumer.consume(q, inbox.push, { noAck: false });
    await inbox.exactly(20);
  });

  it('ignores prefetch for noAck consumers', async () => {
    expect.hasAssertions();
    const conn = await connect();
    const ch = await channel(conn);
    const q = await declareQueue(ch, 'prefetch-noack');
    await fill(ch, q, 6);
    const consumer = await channel(conn);
    await consumer.prefetch(1);
    const inbox = new Inbox();
    await consumer.consume(q, inbox.push, { noAck: true });
    expect(bodies(await inbox.exactly(6))).toEqual(['m1', 'm2', 'm3', 'm4', 'm5', 'm6']);
  });

  it('does not limit basic.get', async () => {
    expect.hasAssertions();
    const conn = await connect();
    const ch = await channel(conn);
    const q = await declareQueue(ch, 'prefetch-get');
    await fill(ch, q, 3);
    await ch.prefetch(1, true);
    await ch.prefetch(1, false);
    const got = [await ch.get(q), await ch.get(q), await ch.get(q)];
    expect(got.map((m) => (m === false ? false : m.content.toString()))).toEqual(['m1', 'm2', 'm3']);
  });
});

describe('basic.qos global=true', () => {
  it('shares one limit among all the channel\'s consumers', async () => {
    expect.hasAssertions();
    const conn = await connect();
    const ch = await channel(conn);
    const q1 = await declareQueue(ch, 'global-a');
    const q2 = await declareQueue(ch, 'global-b');
    await fill(ch, q1, 5);
    await fill(ch, q2, 5);
    const consumer = await channel(conn);
    await consumer.prefetch(3, true);
    const all = new Inbox();
    await consumer.consume(q1, all.push, { noAck: false });
    await consumer.consume(q2, all.push, { noAck: false });
    const ms = await all.exactly(3);
    // Acking one frees one slot for the whole channel.
    consumer.ack(ms[0]!);
    await all.exactly(4);
    // Both queues still hold the rest: 10 published, 4 delivered.
    const c1 = await ch.checkQueue(q1);
    const c2 = await ch.checkQueue(q2);
    expect(c1.messageCount + c2.messageCount).toBe(6);
  });

  it('shares the limit between two consumers of the same queue', async () => {
    expect.hasAssertions();
    const conn = await connect();
    const ch = await channel(conn);
    const q = await declareQueue(ch, 'global-same-queue');
    const consumer = await channel(conn);
    await consumer.prefetch(4, true);
    const a = new Inbox();
    const b = new Inbox();
    await consumer.consume(q, a.push, { noAck: false });
    await consumer.consume(q, b.push, { noAck: false });
    await fill(ch, q, 10);
    await sleep(QUIET_MS);
    expect(a.messages.length + b.messages.length).toBe(4);
    expect((await ch.checkQueue(q)).messageCount).toBe(6);
  });

  it('enforces both limits when the per-consumer prefetch is set before the global one', async () => {
    expect.hasAssertions();
    const conn = await connect();
    const ch = await channel(conn);
    const qs = [await declareQueue(ch, 'both-a'), await declareQueue(ch, 'both-b'), await declareQueue(ch, 'both-c')];
    for (const q of qs) await fill(ch, q, 5);
    const consumer = await channel(conn);
    await consumer.prefetch(1, false); // per consumer, for the consumers below
    await consumer.prefetch(2, true); // per channel
    const inboxes = qs.map(() => new Inbox());
    for (let i = 0; i < qs.length; i++) await consumer.consume(qs[i]!, inboxes[i]!.push, { noAck: false });
    await sleep(QUIET_MS);
    const counts = inboxes.map((x) => x.messages.length);
    expect(counts.reduce((s, n) => s + n, 0)).toBe(2); // the channel's limit
    expect(Math.max(...counts)).toBe(1); // each consumer's limit
  });

  it('drops the channel limit when a per-consumer (global=false) qos follows a global one', async () => {
    expect.hasAssertions();
    // RabbitMQ 3.10's basic.qos global=false also "unlimits" the channel's global prefetch.
    const conn = await connect();
    const ch = await channel(conn);
    const qs = [await declareQueue(ch, 'unlimit-a'), await declareQueue(ch, 'unlimit-b'), await declareQueue(ch, 'unlimit-c')];
    for (const q of qs) await fill(ch, q, 5);
    const consumer = await channel(conn);
    await consumer.prefetch(2, true);
    await consumer.prefetch(1, false);
    const inboxes = qs.map(() => new Inbox());
    for (let i = 0; i < qs.length; i++) await consumer.consume(qs[i]!, inboxes[i]!.push, { noAck: false });
    await sleep(QUIET_MS);
    expect(inboxes.map((x) => x.messages.length)).toEqual([1, 1, 1]);
  });

  it('delivers more at once when the channel limit is raised, without any ack', async () => {
    expect.hasAssertions();
    const conn = await connect();
    const ch = await channel(conn);
    const q = await declareQueue(ch, 'global-raise');
    await fill(ch, q, 6);
    const consumer = await channel(conn);
    await consumer.prefetch(1, true);
    const inbox = new Inbox();
    await consumer.consume(q, inbox.push, { noAck: false });
    await inbox.exactly(1);
    await consumer.prefetch(4, true);
    expect(bodies(await inbox.exactly(4))).toEqual(['m1', 'm2', 'm3', 'm4']);
  });
});

describe('channel.flow from the client', () => {
  it('answers channel.flow active=true with flow-ok active=true', async () => {
    expect.hasAssertions();
    const c = await rawConnect();
    await c.openChannel(1);
    c.sendMethod(1, 20, 20, args().bits(true).build());
    const ok = await c.expectMethod(20, 21);
    expect(ok.channel).toBe(1);
    expect(new ArgsReader(ok.method!.args).octet()).toBe(1);
    await c.close();
  });

  it('refuses channel.flow active=false with connection.close 540 NOT_IMPLEMENTED "active=false"', async () => {
    expect.hasAssertions();
    const bystander = await openBystander();
    const c = await rawConnect();
    await c.openChannel(1);
    c.sendMethod(1, 20, 20, args().bits(false).build());
    expect(await c.expectConnectionClose()).toEqual({
      replyCode: 540,
      replyText: 'NOT_IMPLEMENTED - active=false',
      classId: 20,
      methodId: 20,
    });
    await expect(c.waitForClose(5_000)).resolves.toBeUndefined();
    await bystander.assertStillWorks();
  });
});
