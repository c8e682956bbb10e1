// connection.start's capabilities table: exactly RabbitMQ 3.10.8's keys, each advertised true and each proven here by
// exercising it, so an advertised capability that stops working (or one added without a proof) fails this file.
import { afterEach, describe, expect, it } from 'vitest';
import type { ChannelModel } from 'amqplib';
import { closeAllAmqp, connect, uniqueName } from '../support/amqp.js';
import { HandshakeRefusedError, destroyAllRaw, rawConnect } from '../support/raw.js';

afterEach(async () => {
  destroyAllRaw();
  await closeAllAmqp();
});

const RABBITMQ_3_10_CAPABILITIES = [
  'authentication_failure_close',
  'basic.nack',
  'connection.blocked',
  'consumer_cancel_notify',
  'consumer_priorities',
  'direct_reply_to',
  'exchange_exchange_bindings',
  'per_consumer_qos',
  'publisher_confirms',
];

function capabilitiesOf(conn: ChannelModel): Record<string, unknown> {
  const props = conn.connection.serverProperties as unknown as Record<string, unknown>;
  return props.capabilities as Record<string, unknown>;
}

const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** One proof per capability: it uses the feature as a client that trusts the flag would. */
const EXERCISES: Record<string, (conn: ChannelModel) => Promise<void>> = {
  async publisher_confirms(conn) {
    const ch = await conn.createConfirmChannel();
    const q = (await ch.assertQueue('', { exclusive: true })).queue;
    await new Promise<void>((resolve, reject) => ch.sendToQueue(q, Buffer.from('x'), {}, (err) => (err ? reject(err) : resolve())));
    await ch.close();
  },
  async exchange_exchange_bindings(conn) {
    const ch = await conn.createChannel();
    const src = uniqueName('e2e-src');
    const dst = uniqueName('e2e-dst');
    await ch.assertExchange(src, 'direct', { autoDelete: true });
    await ch.assertExchange(dst, 'fanout', { autoDelete: true });
    await ch.bindExchange(dst, src, 'k');
    const q = (await ch.assertQueue('', { exclusive: true })).queue;
    await ch.bindQueue(q, dst, '');
    ch.publish(src, 'k', Buffer.from('via e2e'));
    let got: Awaited<ReturnType<typeof ch.get>> = false;
    for (let i = 0; i < 50 && got === false; i++) {
      got = await ch.get(q, { noAck: true });
      if (got === false) await wait(20);
    }
    expect(got && got.content.toString()).toBe('via e2e');
    await ch.close();
  },
  async 'basic.nack'(conn) {
    const ch = await conn.createChannel();
    const q = (await ch.assertQueue('', { exclusive: true })).queue;
    ch.sendToQueue(q, Buffer.from('a'));
    ch.sendToQueue(q, Buffer.from('b'));
    const first = await ch.get(q, { noAck: false });
    const second = await ch.get(q, { noAck: false });
    expect(first && second).not.toBe(false);
    if (second === false) return;
    // One nack settling both (multiple, requeue): what basic.nack adds over basic.reject.
    ch.nack(second, true, true);
    const again = [await ch.get(q, { noAck: true }), await ch.get(q, { noAck: true })];
    expect(again.map((m) => m && [m.content.toString(), m.fields.redelivered])).toEqual([['a', true], ['b', true]]);
    await ch.close();
  },
  async consumer_cancel_notify(conn) {
    const ch = await conn.createChannel();
    const q = uniqueName('cancel-notify');
    await ch.assertQueue(q, { durable: false });
    const cancelled = new Promise<unknown>((resolve) => void ch.consume(q, (m) => m === null && resolve(m)));
    const other = await conn.createChannel();
    await wait(50);
    await other.deleteQueue(q);
    await expect(cancelled).resolves.toBeNull();
    await other.close();
    await ch.close();
  },
  async 'connection.blocked'(conn) {
    // The broker must accept a client that announces the capability and keep the connection usable. Triggering an
    // alarm needs broker configuration (test/integration/alarms.test.ts proves connection.blocked/unblocked are sent).
    const ch = await conn.createChannel();
    await ch.checkExchange('amq.direct');
    await ch.close();
  },
  async consumer_priorities(conn) {
    const ch = await conn.createChannel();
    const q = (await ch.assertQueue('', { exclusive: true })).queue;
    const seen: string[] = [];
    await ch.consume(q, () => seen.push('low'), { noAck: true, priority: 1 });
    await ch.consume(q, () => seen.push('high'), { noAck: true, priority: 10 });
    for (let i = 0; i < 5; i++) ch.sendToQueue(q, Buffer.from(String(i)));
    for (let i = 0; i < 50 && seen.length < 5; i++) await wait(20);
    expect(seen).toEqual(['high', 'high', 'high', 'high', 'high']);
    await ch.close();
  },
  async authentication_failure_close() {
    // A client that announces it is told why with connection.close 403 instead of a dropped socket.
    const err = await rawConnect({ password: 'wrong-password' }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(HandshakeRefusedError);
    expect((err as HandshakeRefusedError).close.replyCode).toBe(403);
  },
  async per_consumer_qos(conn) {
    const ch = await conn.createChannel();
    const q = (await ch.assertQueue('', { exclusive: true })).queue;
    await ch.prefetch(1, false); // per consumer: each of the two gets one
    const got: string[] = [];
    await ch.consume(q, () => got.push('a'), { noAck: false });
    await ch.consume(q, () => got.push('b'), { noAck: false });
    for (let i = 0; i < 4; i++) ch.sendToQueue(q, Buffer.from(String(i)));
    for (let i = 0; i < 50 && got.length < 2; i++) await wait(20);
    await wait(50);
    expect(got.sort()).toEqual(['a', 'b']);
    await ch.close();
  },
  async direct_reply_to(conn) {
    const server = await conn.createChannel();
    const rpc = uniqueName('rpc');
    await server.assertQueue(rpc, { exclusive: true });
    await server.consume(rpc, (m) => m && server.sendToQueue(m.properties.replyTo as string, Buffer.from(`re: ${m.content}`)), { noAck: true });
    const client = await conn.createChannel();
    const reply = new Promise<string>((resolve) => void client.consume('amq.rabbitmq.reply-to', (m) => m && resolve(m.content.toString()), { noAck: true }));
    await wait(20);
    client.sendToQueue(rpc, Buffer.from('ping'), { replyTo: 'amq.rabbitmq.reply-to' });
    await expect(reply).resolves.toBe('re: ping');
    await client.close();
    await server.close();
  },
};

describe('capabilities (connection.start)', () => {
  it("advertises exactly RabbitMQ 3.10.8's capability keys, every one true", async () => {
    expect.hasAssertions();
    const conn = await connect();
    const caps = capabilitiesOf(conn);
    expect(Object.keys(caps).sort()).toEqual(RABBITMQ_3_10_CAPABILITIES);
    for (const k of RABBITMQ_3_10_CAPABILITIES) expect(caps[k], k).toBe(true);
    await conn.close();
  });

  it('has a proof below for every capability the broker advertises', async () => {
    expect.hasAssertions();
    const conn = await connect();
    expect(Object.keys(EXERCISES).sort()).toEqual(Object.keys(capabilitiesOf(conn)).sort());
    await conn.close();
  });

  for (const [name, exercise] of Object.entries(EXERCISES)) {
    it(`${name}: the advertised feature works`, async () => {
      expect.hasAssertions();
      const conn = await connect();
      expect(capabilitiesOf(conn)[name]).toBe(true);
      await exercise(conn);
      await conn.close();
    });
  }
});
