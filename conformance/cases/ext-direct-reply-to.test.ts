// Direct reply-to: the amq.rabbitmq.reply-to pseudo-queue. What RabbitMQ 3.10 does:
// - basic.consume on amq.rabbitmq.reply-to must be no-ack: with no_ack=false → 406 "reply consumer
//   cannot acknowledge" (60, 20). A second one on the same channel → 406 "reply consumer already
//   set" (60, 20). The consumer tag asked for is used.
// - A basic.publish with reply_to "amq.rabbitmq.reply-to" from a channel that has that consumer
//   reaches the server with reply_to rewritten to "amq.rabbitmq.reply-to.<opaque>" — the same
//   name for every request of that channel, a different one per channel. From a channel without
//   the consumer (never had one, or cancelled it) → channel.close 406 "fast reply consumer does
//   not exist" (60, 40).
// - A reply published to the DEFAULT exchange with that name as routing key is delivered to that
//   consumer only (from any connection), with exchange "" and the full name as routing key. Via
//   another exchange (amq.direct) it goes nowhere. To an unknown or no-longer-consumed name it is
//   dropped; with mandatory it comes back as basic.return 312 NO_ROUTE.
//   (3.10 quirk, not asserted: a MANDATORY reply to a live name is delivered AND returned 312.)
// - queue.declare of "amq.rabbitmq.reply-to" (passive or not, any flags/arguments) →
//   declare-ok (name, 0 messages, 1 consumer), whether or not anyone consumes. Of a generated name
//   → the same (0, 1) while its channel consumes, else 404 "no queue '…' in vhost '/'". So are
//   other names under the prefix ("amq.rabbitmq.reply-toX", "….bogus").
// - basic.get, queue.bind, queue.purge on amq.rabbitmq.reply-to → 404 "no queue
//   'amq.rabbitmq.reply-to' in vhost '/'"; queue.delete → delete-ok with message_count 0.
// RabbitMQ 4.2 reimplemented direct reply-to (as far as known, the AMQP 0-9-1 face stays the same,
// but the rewritten name's format differs; the cases only rely on the prefix).
import type { Channel, ChannelModel, ConfirmChannel, ConsumeMessage, GetMessage, Message } from 'amqplib';
import { describe, expect, it } from 'vitest';
import { connect } from '../support/amqp.js';
import { channel, channelError, cleanUpAfterEach, nextClose, sleep, trackNames, until } from '../support/fixtures.js';

// ---------------------------------------------------------------------------------------------
// Helpers (those the case files share are in ../support/fixtures.ts)
// ---------------------------------------------------------------------------------------------

const RT = 'amq.rabbitmq.reply-to';
const { qname } = cleanUpAfterEach(trackNames('ext-reply-to'));

interface Rpc {
  conn: ChannelModel;
  /** The requester's channel, consuming from amq.rabbitmq.reply-to. */
  client: Channel;
  consumerTag: string;
  replies: ConsumeMessage[];
  /** The server's channel (confirm mode) and its request queue. */
  server: ConfirmChannel;
  requests: string;
}

async function rpc(): Promise<Rpc> {
  const conn = await connect();
  const server = await conn.createConfirmChannel();
  server.on('error', () => {});
  const requests = qname('requests');
  await server.assertQueue(requests, { durable: false });
  const client = await channel(conn);
  const replies: ConsumeMessage[] = [];
  const { consumerTag } = await client.consume(RT, (m) => m && replies.push(m), { noAck: true });
  return { conn, client, consumerTag, replies, server, requests };
}

/** Sends a request from `from` with reply_to amq.rabbitmq.reply-to and returns it as the server gets it. */
async function request(r: Rpc, from: Channel, body: string, correlationId?: string): Promise<GetMessage> {
  from.sendToQueue(r.requests, Buffer.from(body), correlationId === undefined ? { replyTo: RT } : { replyTo: RT, correlationId });
  for (let i = 0; i < 150; i++) {
    const m = await r.server.get(r.requests, { noAck: true });
    if (m !== false) return m;
    await sleep(20);
  }
  throw new Error('the request did not arrive');
}

// ---------------------------------------------------------------------------------------------

describe('consuming from amq.rabbitmq.reply-to', () => {
  it('refuses no_ack=false with 406 "reply consumer cannot acknowledge"', async () => {
    expect.hasAssertions();
    const conn = await connect();
    const ch = await channel(conn);
    expect(await channelError(ch.consume(RT, () => {}, { noAck: false }))).toEqual({
      code: 406,
      classId: 60,
      methodId: 20,
      text: 'PRECONDITION_FAILED - reply consumer cannot acknowledge',
    });
  });

  it('refuses a second reply consumer on the same channel with 406 "reply consumer already set"', async () => {
    expect.hasAssertions();
    const conn = await connect();
    const ch = await channel(conn);
    await ch.consume(RT, () => {}, { noAck: true });
    expect(await channelError(ch.consume(RT, () => {}, { noAck: true }))).toEqual({
      code: 406,
      classId: 60,
      methodId: 20,
      text: 'PRECONDITION_FAILED - reply consumer already set',
    });
  });

  it('uses the consumer tag the client asks for', async () => {
    expect.hasAssertions();
    const conn = await connect();
    const ch = await channel(conn);
    expect(await ch.consume(RT, () => {}, { noAck: true, consumerTag: 'my-reply-consumer' })).toEqual({ consumerTag: 'my-reply-consumer' });
  });
});

describe('requests and replies', () => {
  it('rewrites reply_to to amq.rabbitmq.reply-to.<opaque>, the same for every request of the channel', async () => {
    expect.hasAssertions();
    const r = await rpc();
    const first = await request(r, r.client, 'req1', 'c1');
    const second = await request(r, r.client, 'req2');
    expect(first.properties.replyTo).toMatch(/^amq\.rabbitmq\.reply-to\..+/);
    expect(second.properties.replyTo).toBe(first.properties.replyTo);
    expect(first.properties.correlationId).toBe('c1');
  });

  it('delivers a reply sent to the default exchange to the requesting consumer, from any connection', async () => {
    expect.hasAssertions();
    const r = await rpc();
    const req = await request(r, r.client, 'req', 'c1');
    const replyTo = req.properties.replyTo as string;
    r.server.publish('', replyTo, Buffer.from('resp1'), { correlationId: 'c1', headers: { h: 1 } });
    await r.server.waitForConfirms();
    const other = await connect();
    const otherCh = await other.createConfirmChannel();
    otherCh.publish('', replyTo, Buffer.from('resp2'));
    await otherCh.waitForConfirms();
    await until(() => r.replies.length === 2);
    const [a, b] = r.replies;
    expect(a!.content.toString()).toBe('resp1');
    expect(a!.fields).toMatchObject({ consumerTag: r.consumerTag, redelivered: false, exchange: '', routingKey: replyTo });
    expect(a!.properties).toMatchObject({ correlationId: 'c1', headers: { h: 1 } });
    expect(b!.content.toString()).toBe('resp2');
  });

  it('gives each requesting channel its own name, and each reply reaches only its requester', async () => {
    expect.hasAssertions();
    const r = await rpc();
    const client2 = await channel(r.conn);
    const replies2: ConsumeMessage[] = [];
    await client2.consume(RT, (m) => m && replies2.push(m), { noAck: true });
    const to1 = (await request(r, r.client, 'one')).properties.replyTo as string;
    const to2 = (await request(r, client2, 'two')).properties.replyTo as string;
    expect(to2).not.toBe(to1);
    r.server.publish('', to2, Buffer.from('for two'));
    r.server.publish('', to1, Buffer.from('for one'));
    await r.server.waitForConfirms();
    await until(() => r.replies.length === 1 && replies2.length === 1);
    await sleep(50);
    expect(r.replies.map((m) => m.content.toString())).toEqual(['for one']);
    expect(replies2.map((m) => m.content.toString())).toEqual(['for two']);
  });

  it('does not deliver a reply published through another exchange (amq.direct)', async () => {
    expect.hasAssertions();
    const r = await rpc();
    const replyTo = (await request(r, r.client, 'req')).properties.replyTo as string;
    r.server.publish('amq.direct', replyTo, Buffer.from('wrong exchange'));
    r.server.publish('', replyTo, Buffer.from('right exchange'));
    await r.server.waitForConfirms();
    await until(() => r.replies.length >= 1);
    await sleep(100);
    expect(r.replies.map((m) => m.content.toString())).toEqual(['right exchange']);
  });

  it('returns a mandatory reply to an unknown name 312 NO_ROUTE; without mandatory it is dropped silently', async () => {
    expect.hasAssertions();
    const r = await rpc();
    const returned: Message[] = [];
    r.server.on('return', (m: Message) => returned.push(m));
    const bogus = `${RT}.bogus`;
    r.server.publish('', bogus, Buffer.from('quiet'));
    r.server.publish('', bogus, Buffer.from('loud'), { mandatory: true });
    await r.server.waitForConfirms();
    await until(() => returned.length === 1);
    expect(returned.map((m) => ({ ...m.fields, body: m.content.toString() }))).toEqual([
      { replyCode: 312, replyText: 'NO_ROUTE', exchange: '', routingKey: bogus, body: 'loud' },
    ]);
    expect(r.replies).toEqual([]);
  });

  it('returns a mandatory reply once the requester has cancelled its reply consumer', async () => {
    expect.hasAssertions();
    const r = await rpc();
    const replyTo = (await request(r, r.client, 'req')).properties.replyTo as string;
    await r.client.cancel(r.consumerTag);
    const returned: Message[] = [];
    r.server.on('return', (m: Message) => returned.push(m));
    r.server.publish('', replyTo, Buffer.from('too late'), { mandatory: true });
    await r.server.waitForConfirms();
    await until(() => returned.length === 1);
    expect(returned[0]!.fields).toMatchObject({ replyCode: 312, replyText: 'NO_ROUTE', routingKey: replyTo });
    expect(r.replies).toEqual([]);
  });

  it.for(['never consumed', 'cancelled its reply consumer'] as const)(
    'closes the channel with 406 "fast reply consumer does not exist" for reply_to amq.rabbitmq.reply-to from a channel that %s',
    async (how) => {
      expect.hasAssertions();
      const r = await rpc();
      const ch = await channel(r.conn);
      if (how === 'cancelled its reply consumer') {
        const { consumerTag } = await ch.consume(RT, () => {}, { noAck: true });
        await ch.cancel(consumerTag);
      }
      const closed = nextClose(ch);
      ch.sendToQueue(r.requests, Buffer.from('req'), { replyTo: RT });
      expect(await closed).toEqual({ code: 406, classId: 60, methodId: 40, text: 'PRECONDITION_FAILED - fast reply consumer does not exist' });
      expect((await r.server.checkQueue(r.requests)).messageCount).toBe(0);
    },
  );
});

describe('amq.rabbitmq.reply-to as a queue name', () => {
  it.for([
    ['a passive declare', true],
    ['a declare with flags and arguments', false],
  ] as const)('answers %s with declare-ok (0 messages, 1 consumer) even when nobody consumes', async ([, passive]) => {
    expect.hasAssertions();
    const conn = await connect();
    const ch = await channel(conn);
    const ok = passive
      ? await ch.checkQueue(RT)
      : await ch.assertQueue(RT, { durable: true, exclusive: true, arguments: { 'x-max-length': 'not even checked' } });
    expect(ok).toEqual({ queue: RT, messageCount: 0, consumerCount: 1 });
  });

  it('answers a declare of a generated name with (0, 1) while its channel consumes, 404 afterwards', async () => {
    expect.hasAssertions();
    const r = await rpc();
    const replyTo = (await request(r, r.client, 'req')).properties.replyTo as string;
    const ch = await channel(r.conn);
    expect(await ch.checkQueue(replyTo)).toEqual({ queue: replyTo, messageCount: 0, consumerCount: 1 });
    await r.client.cancel(r.consumerTag);
    expect(await channelError(ch.checkQueue(replyTo))).toEqual({
      code: 404,
      classId: 50,
      methodId: 10,
      text: `NOT_FOUND - no queue '${replyTo}' in vhost '/'`,
    });
  });

  it.for([`${RT}.bogus`, `${RT}X`])('answers a passive declare of %s with 404', async (name) => {
    expect.hasAssertions();
    const conn = await connect();
    const ch = await channel(conn);
    expect(await channelError(ch.checkQueue(name))).toEqual({
      code: 404,
      classId: 50,
      methodId: 10,
      text: `NOT_FOUND - no queue '${name}' in vhost '/'`,
    });
  });

  it.for([
    ['basic.get', 60, 70],
    ['queue.bind', 50, 20],
    ['queue.purge', 50, 30],
  ] as const)('answers %s on it with 404 "no queue \'amq.rabbitmq.reply-to\' in vhost \'/\'"', async ([what, classId, methodId]) => {
    expect.hasAssertions();
    const conn = await connect();
    const ch = await channel(conn);
    const op = what === 'basic.get' ? ch.get(RT) : what === 'queue.bind' ? ch.bindQueue(RT, 'amq.direct', 'rk') : ch.purgeQueue(RT);
    expect(await channelError(op)).toEqual({ code: 404, classId, methodId, text: `NOT_FOUND - no queue '${RT}' in vhost '/'` });
  });

  it('answers queue.delete on it with delete-ok, message_count 0', async () => {
    expect.hasAssertions();
    const conn = await connect();
    const ch = await channel(conn);
    expect(await ch.deleteQueue(RT)).toEqual({ messageCount: 0 });
  });
});
