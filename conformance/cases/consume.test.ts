// Consumers: basic.consume (tags, exclusivity, no-ack), basic.cancel from either side,
// round-robin dispatch and basic.get, with RabbitMQ 3.10's exact refusals.
import type { Channel, ConsumeMessage } from 'amqplib';
import { describe, expect, it } from 'vitest';
import { connect, openBystander, uniqueName } from '../support/amqp.js';
import { cleanUpAfterEach, Inbox, openChannel, sleep, trackNames, withTimeout } from '../support/fixtures.js';
import { args, rawConnect } from '../support/raw.js';

const { declareQueue } = cleanUpAfterEach(trackNames(), { raw: true, strict: true });

const bodies = (ms: ConsumeMessage[]) => ms.map((m) => m.content.toString());

/** A round trip on the channel, so everything sent before it has been handled by the broker. */
async function sync(ch: Channel): Promise<void> {
  await ch.checkExchange('amq.direct');
}

const consumeArgs = (q: string, tag: string, exclusive = false) =>
  args().short(0).shortstr(q).shortstr(tag).bits(false, false, exclusive, false).table({}).build();

describe('basic.consume', () => {
  it('generates an amq.ctag- consumer tag when none is given, unique per consumer, and delivers with it', async () => {
    expect.hasAssertions();
    const conn = await connect();
    const { ch } = await openChannel(conn);
    const q = await declareQueue(ch, 'ctag');
    const inbox = new Inbox();
    const a = await ch.consume(q, inbox.push, { noAck: true });
    const b = await ch.consume(q, () => {}, { noAck: true });
    // RabbitMQ: "amq.ctag-" then 16 random bytes in URL-safe base64 without padding.
    expect(a.consumerTag).toMatch(/^amq\.ctag-[A-Za-z0-9_-]{22}$/);
    expect(b.consumerTag).toMatch(/^amq\.ctag-[A-Za-z0-9_-]{22}$/);
    expect(a.consumerTag).not.toBe(b.consumerTag);
    await ch.cancel(b.consumerTag);
    ch.sendToQueue(q, Buffer.from('tagged'));
    await inbox.waitForItems(1);
    expect(inbox.messages[0]!.fields.consumerTag).toBe(a.consumerTag);
  });

  it('keeps a consumer tag chosen by the client', async () => {
    expect.hasAssertions();
    const conn = await connect();
    const { ch } = await openChannel(conn);
    const q = await declareQueue(ch, 'own-tag');
    const inbox = new Inbox();
    const ok = await ch.consume(q, inbox.push, { noAck: true, consumerTag: 'my-tag ☃' });
    expect(ok.consumerTag).toBe('my-tag ☃');
    ch.sendToQueue(q, Buffer.from('x'));
    await inbox.waitForItems(1);
    expect(inbox.messages[0]!.fields.consumerTag).toBe('my-tag ☃');
  });

  it("closes the connection with 530 NOT_ALLOWED \"attempt to reuse consumer tag '…'\" when a tag is reused on the channel", async () => {
    expect.hasAssertions();
    const bystander = await openBystander();
    const q = await declareQueue(bystander.channel, 'reuse-tag');
    const c = await rawConnect();
    await c.openChannel(1);
    c.sendMethod(1, 60, 20, consumeArgs(q, 'dup-tag'));
    await c.expectMethod(60, 21);
    c.sendMethod(1, 60, 20, consumeArgs(q, 'dup-tag'));
    expect(await c.expectConnectionClose()).toEqual({
      replyCode: 530,
      replyText: "NOT_ALLOWED - attempt to reuse consumer tag 'dup-tag'",
      classId: 60,
      methodId: 20,
    });
    await expect(c.waitForClose(5_000)).resolves.toBeUndefined();
    await bystander.assertStillWorks();
  });

  it('allows the same consumer tag on two different channels', async () => {
    expect.hasAssertions();
    const conn = await connect();
    const { ch: a } = await openChannel(conn);
    const { ch: b } = await openChannel(conn);
    const q = await declareQueue(a, 'same-tag-two-channels');
    await expect(a.consume(q, () => {}, { consumerTag: 'shared' })).resolves.toEqual({ consumerTag: 'shared' });
    await expect(b.consume(q, () => {}, { consumerTag: 'shared' })).resolves.toEqual({ consumerTag: 'shared' });
  });

  it("refuses a second consumer on a queue with an exclusive consumer: 403 ACCESS_REFUSED \"queue '…' in vhost '/' in exclusive use\"", async () => {
    expect.hasAssertions();
    const conn = await connect();
    const { ch } = await openChannel(conn);
    const q = await declareQueue(ch, 'exclusive-consumer');
    await ch.consume(q, () => {}, { exclusive: true });

    const other = await connect();
    const { ch: och, error } = await openChannel(other);
    await expect(och.consume(q, () => {})).rejects.toMatchObject({ code: 403 });
    const e = await withTimeout(error, 5_000, 'channel error');
    expect({ code: e.code, classId: e.classId, methodId: e.methodId }).toEqual({ code: 403, classId: 60, methodId: 20 });
    expect(e.message).toContain(`with message "ACCESS_REFUSED - queue '${q}' in vhost '/' in exclusive use"`);

    // Also from another channel of the same connection.
    const { ch: same, error: sameError } = await openChannel(conn);
    await expect(same.consume(q, () => {})).rejects.toMatchObject({ code: 403 });
    expect((await sameError).message).toContain(`with message "ACCESS_REFUSED - queue '${q}' in vhost '/' in exclusive use"`);
  });

  it('refuses an exclusive consume on a queue that already has a consumer with 403 ACCESS_REFUSED', async () => {
    expect.hasAssertions();
    const conn = await connect();
    const { ch } = await openChannel(conn);
    const q = await declareQueue(ch, 'exclusive-late');
    await ch.consume(q, () => {});

    const { ch: och, error } = await openChannel(conn);
    await expect(och.consume(q, () => {}, { exclusive: true })).rejects.toMatchObject({ code: 403 });
    const e = await withTimeout(error, 5_000, 'channel error');
    expect({ code: e.code, classId: e.classId, methodId: e.methodId }).toEqual({ code: 403, classId: 60, methodId: 20 });
    expect(e.message).toContain(`with message "ACCESS_REFUSED - queue '${q}' in vhost '/' in exclusive use"`);
  });

  it('lets another consumer in once the exclusive consumer is cancelled', async () => {
    expect.hasAssertions();
    const conn = await connect();
    const { ch } = await openChannel(conn);
    const q = await declareQueue(ch, 'exclusive-cancelled');
    const { consumerTag } = await ch.consume(q, () => {}, { exclusive: true });
    await ch.cancel(consumerTag);
    const { ch: och } = await openChannel(conn);
    const inbox = new Inbox();
    await expect(och.consume(q, inbox.push)).resolves.toMatchObject({ consumerTag: expect.any(String) });
    ch.sendToQueue(q, Buffer.from('now yours'));
    await inbox.waitForItems(1);
    expect(bodies(inbox.messages)).toEqual(['now yours']);
  });

  it("refuses a consume on a missing queue with 404 NOT_FOUND \"no queue '…' in vhost '/'\"", async () => {
    expect.hasAssertions();
    const conn = await connect();
    const { ch, error } = await openChannel(conn);
    const q = uniqueName('no-such-queue');
    await expect(ch.consume(q, () => {})).rejects.toMatchObject({ code: 404 });
    const e = await withTimeout(error, 5_000, 'channel error');
    expect({ code: e.code, classId: e.classId, methodId: e.methodId }).toEqual({ code: 404, classId: 60, methodId: 20 });
    expect(e.message).toContain(`with message "NOT_FOUND - no queue '${q}' in vhost '/'"`);
  });

  it('with noAck, delivers and forgets: closing the channel requeues nothing', async () => {
    expect.hasAssertions();
    const conn = await connect();
    const { ch } = await openChannel(conn);
    const q = await declareQueue(ch, 'no-ack');
    const { ch: consumer } = await openChannel(conn);
    const inbox = new Inbox();
    await consumer.consume(q, inbox.push, { noAck: true });
    for (const b of ['1', '2', '3']) ch.sendToQueue(q, Buffer.from(b));
    await inbox.waitForItems(3);
    expect(bodies(inbox.messages)).toEqual(['1', '2', '3']);
    expect(inbox.messages.map((m) => m.fields.redelivered)).toEqual([false, false, false]);
    expect(inbox.messages.map((m) => m.fields.deliveryTag)).toEqual([1, 2, 3]);
    await consumer.close();
    expect((await ch.checkQueue(q)).messageCount).toBe(0);
  });

  it('without noAck, closing the channel requeues what was delivered (control for the noAck case)', async () => {
    expect.hasAssertions();
    const conn = await connect();
    const { ch } = await openChannel(conn);
    const q = await declareQueue(ch, 'ack-control');
    const { ch: consumer } = await openChannel(conn);
    const inbox = new Inbox();
    await consumer.consume(q, inbox.push, { noAck: false });
    for (const b of ['1', '2', '3']) ch.sendToQueue(q, Buffer.from(b));
    await inbox.waitForItems(3);
    await consumer.close();
    expect((await ch.checkQueue(q)).messageCount).toBe(3);
  });
});

describe('basic.cancel', () => {
  it('cancel-ok echoes the tag, and no more messages reach the cancelled consumer', async () => {
    expect.hasAssertions();
    const conn = await connect();
    const { ch } = await openChannel(conn);
    const q = await declareQueue(ch, 'cancel');
    const inbox = new Inbox();
    const { consumerTag } = await ch.consume(q, inbox.push, { noAck: true });
    ch.sendToQueue(q, Buffer.from('before'));
    await inbox.waitForItems(1);
    await expect(ch.cancel(consumerTag)).resolves.toEqual({ consumerTag });
    ch.sendToQueue(q, Buffer.from('after'));
    await sync(ch);
    await sleep(300);
    expect(bodies(inbox.messages)).toEqual(['before']);
    expect((await ch.checkQueue(q)).messageCount).toBe(1);
    expect((await ch.checkQueue(q)).consumerCount).toBe(0);
  });

  it('answers cancel of an unknown consumer tag with cancel-ok, channel still open', async () => {
    expect.hasAssertions();
    const conn = await connect();
    const { ch } = await openChannel(conn);
    // amqplib's cancel() is a plain RPC: it resolves with the cancel-ok's fields.
    await expect(ch.cancel('never-consumed')).resolves.toEqual({ consumerTag: 'never-consumed' });
    await expect(ch.checkExchange('amq.direct')).resolves.toBeDefined();
  });

  it('sends basic.cancel to consumers of a deleted queue (amqplib calls the consumer with null)', async () => {
    expect.hasAssertions();
    const conn = await connect();
    const { ch } = await openChannel(conn);
    const q = uniqueName('deleted-under-consumer');
    await ch.assertQueue(q, { durable: false });
    const inbox = new Inbox();
    const cancels: Array<{ consumerTag: string }> = [];
    ch.on('cancel', (f: { consumerTag: string }) => cancels.push(f));
    const { consumerTag } = await ch.consume(q, inbox.push);

    const other = await connect();
    const och = await other.createChannel();
    const del = await och.deleteQueue(q);
    expect(del.messageCount).toBe(0);
    await inbox.waitForItems(1);
    expect(inbox.items).toEqual([null]);
    expect(cancels).toEqual([{ consumerTag, nowait: true }]);
    // The channel itself stays open.
    await expect(ch.checkExchange('amq.direct')).resolves.toBeDefined();
  });
});

describe('dispatch', () => {
  it('round-robins between two consumers, one message each in turn', async () => {
    expect.hasAssertions();
    const conn = await connect();
    const { ch } = await openChannel(conn);
    const q = await declareQueue(ch, 'round-robin');
    const { ch: c1 } = await openChannel(conn);
    const { ch: c2 } = await openChannel(conn);
    const order: string[] = [];
    const inbox = new Inbox();
    const a = await c1.consume(q, (m) => {
      if (m) order.push('a');
      inbox.push(m);
    }, { noAck: true });
    const b = await c2.consume(q, (m) => {
      if (m) order.push('b');
      inbox.push(m);
    }, { noAck: true });
    expect(a.consumerTag).not.toBe(b.consumerTag);
    for (let i = 0; i < 10; i++) ch.sendToQueue(q, Buffer.from(String(i)));
    await inbox.waitForItems(10);
    const byConsumer = (tag: string) => bodies(inbox.messages.filter((m) => m.fields.consumerTag === tag));
    const first = byConsumer(a.consumerTag).includes('0') ? 'even' : 'odd';
    const even = ['0', '2', '4', '6', '8'];
    const odd = ['1', '3', '5', '7', '9'];
    expect(byConsumer(a.consumerTag)).toEqual(first === 'even' ? even : odd);
    expect(byConsumer(b.consumerTag)).toEqual(first === 'even' ? odd : even);
  });

  it('round-robins between two consumers on the same channel', async () => {
    expect.hasAssertions();
    const conn = await connect();
    const { ch } = await openChannel(conn);
    const q = await declareQueue(ch, 'round-robin-one-channel');
    const inbox = new Inbox();
    const a = await ch.consume(q, inbox.push, { noAck: true });
    const b = await ch.consume(q, inbox.push, { noAck: true });
    for (let i = 0; i < 6; i++) ch.sendToQueue(q, Buffer.from(String(i)));
    await inbox.waitForItems(6);
    const tags = inbox.messages.map((m) => m.fields.consumerTag);
    expect(new Set(tags)).toEqual(new Set([a.consumerTag, b.consumerTag]));
    for (let i = 1; i < tags.length; i++) expect(tags[i]).not.toBe(tags[i - 1]);
    expect(bodies(inbox.messages)).toEqual(['0', '1', '2', '3', '4', '5']);
  });
});

describe('basic.get', () => {
  it('answers get-empty on an empty queue', async () => {
    expect.hasAssertions();
    const conn = await connect();
    const { ch } = await openChannel(conn);
    const q = await declareQueue(ch, 'get-empty');
    await expect(ch.get(q)).resolves.toBe(false);
    await expect(ch.get(q, { noAck: true })).resolves.toBe(false);
  });

  it('answers get-ok with the number of messages left, in order, then get-empty', async () => {
    expect.hasAssertions();
    const conn = await connect();
    const { ch } = await openChannel(conn);
    const q = await declareQueue(ch, 'get-ok');
    for (const b of ['a', 'b', 'c']) ch.sendToQueue(q, Buffer.from(b));
    await sync(ch);
    const seen: Array<{ body: string; messageCount: number; deliveryTag: number; redelivered: boolean; exchange: string; routingKey: string }> = [];
    for (let i = 0; i < 3; i++) {
      const m = await ch.get(q, { noAck: true });
      expect(m).not.toBe(false);
      if (m === false) return;
      const { messageCount, deliveryTag, redelivered, exchange, routingKey } = m.fields;
      seen.push({ body: m.content.toString(), messageCount, deliveryTag, redelivered, exchange, routingKey });
    }
    expect(seen).toEqual([
      { body: 'a', messageCount: 2, deliveryTag: 1, redelivered: false, exchange: '', routingKey: q },
      { body: 'b', messageCount: 1, deliveryTag: 2, redelivered: false, exchange: '', routingKey: q },
      { body: 'c', messageCount: 0, deliveryTag: 3, redelivered: false, exchange: '', routingKey: q },
    ]);
    await expect(ch.get(q)).resolves.toBe(false);
  });

  it('with acks, a got message is unacked until acked: closing the channel requeues it as redelivered', async () => {
    expect.hasAssertions();
    const conn = await connect();
    const { ch } = await openChannel(conn);
    const q = await declareQueue(ch, 'get-unacked');
    ch.sendToQueue(q, Buffer.from('held'));
    await sync(ch);
    const { ch: getter } = await openChannel(conn);
    const m = await getter.get(q, { noAck: false });
    expect(m && m.fields.redelivered).toBe(false);
    expect((await ch.checkQueue(q)).messageCount).toBe(0);
    await getter.close();
    const again = await ch.get(q, { noAck: false });
    expect(again && again.content.toString()).toBe('held');
    expect(again && again.fields.redelivered).toBe(true);
    expect(again && again.fields.messageCount).toBe(0);
    if (again) ch.ack(again);
  });

  it("refuses basic.get on a missing queue with 404 NOT_FOUND \"no queue '…' in vhost '/'\"", async () => {
    expect.hasAssertions();
    const conn = await connect();
    const { ch, error } = await openChannel(conn);
    const q = uniqueName('get-missing');
    await expect(ch.get(q)).rejects.toMatchObject({ code: 404 });
    const e = await withTimeout(error, 5_000, 'channel error');
    expect({ code: e.code, classId: e.classId, methodId: e.methodId }).toEqual({ code: 404, classId: 60, methodId: 70 });
    expect(e.message).toContain(`with message "NOT_FOUND - no queue '${q}' in vhost '/'"`);
  });
});
