// Delivery acknowledgement timeout: the x-consumer-timeout queue argument.
//
// RabbitMQ 3.10 does NOT know x-consumer-timeout: it accepts the argument with any value and
// ignores it (no 3.10 module mentions it). 3.10 only has the node-wide `consumer_timeout` setting
// (default 1800000 ms = 30 min), read when a channel opens and checked on the channel's tick (every
// channel_tick_interval, default 60 s); it cannot be changed from a client, so these cases cannot
// be checked against 3.10 and are skipped there. x-consumer-timeout (and the consumer-timeout
// policy key, checked here too: the lower of policy and argument wins) came with RabbitMQ 3.12.
//
// When a delivery stays unacked past the timeout, RabbitMQ closes the CHANNEL (3.10 code, same text
// in 3.12+) with
//   406 "PRECONDITION_FAILED - delivery acknowledgement on channel <n> timed out. Timeout value used:
//   <ms> ms. This timeout value can be configured, see consumers doc guide to learn more"
// and class/method 0/0 (it answers no particular method). The channel's unacked messages are
// requeued as on any channel close. Because RabbitMQ only looks on its channel tick, against a real
// RabbitMQ ≥ 3.12 the close can come up to channel_tick_interval (60 s) late; the waits below allow
// for that when the product is RabbitMQ. Warren (product "Warren") runs every case.
import type { Channel, ChannelModel, ConsumeMessage } from 'amqplib';
import { describe, expect, inject, it } from 'vitest';
import { connect, isRabbitMQBefore, server, uniqueName } from '../support/amqp.js';
import { channel, cleanUpAfterEach, nextClose, sleep, trackNames } from '../support/fixtures.js';

// ---------------------------------------------------------------------------------------------
// Helpers (those the case files share are in ../support/fixtures.ts)
// ---------------------------------------------------------------------------------------------

/** product and version from connection.start, asked once when the file is collected. */
const broker = await server();

const NO_CONSUMER_TIMEOUT = await isRabbitMQBefore('3.12');
/** How long to wait for the broker to notice: RabbitMQ checks on its 60 s channel tick. */
const NOTICE_MS = broker.product === 'RabbitMQ' ? 75_000 : 5_000;
const CASE_MS = NOTICE_MS + 10_000;

const { queues, qname } = cleanUpAfterEach(trackNames());

async function declare(timeoutMs: number): Promise<{ conn: ChannelModel; ch: Channel; q: string }> {
  const conn = await connect();
  const ch = await channel(conn);
  const q = qname('ext-consumer-timeout');
  await ch.assertQueue(q, { durable: false, arguments: { 'x-consumer-timeout': timeoutMs } });
  return { conn, ch, q };
}

const timedOut = (channelNo: number, ms: number) =>
  `PRECONDITION_FAILED - delivery acknowledgement on channel ${channelNo} timed out. Timeout value used: ${ms} ms. ` +
  'This timeout value can be configured, see consumers doc guide to learn more';

// ---------------------------------------------------------------------------------------------

describe('x-consumer-timeout', () => {
  it.skipIf(NO_CONSUMER_TIMEOUT)(
    'closes the consumer\'s channel with 406 "delivery acknowledgement on channel 1 timed out. Timeout value used: 200 ms. …"',
    async () => {
      expect.hasAssertions();
      const { ch: admin, q } = await declare(200);
      // The consumer's channel is the first (number 1) of its own connection.
      const consumerConn = await connect();
      const c = await channel(consumerConn);
      const got: ConsumeMessage[] = [];
      await c.consume(q, (m) => m && got.push(m), { noAck: false });
      const closed = nextClose(c, NOTICE_MS);
      admin.sendToQueue(q, Buffer.from('never acked'));
      expect(await closed).toEqual({ code: 406, classId: 0, methodId: 0, text: timedOut(1, 200) });
      expect(got.map((m) => m.content.toString())).toEqual(['never acked']);
      // The unacked delivery went back to the queue with the channel.
      const again = await admin.get(q, { noAck: true });
      expect(again !== false && [again.content.toString(), again.fields.redelivered]).toEqual(['never acked', true]);
    },
    CASE_MS,
  );

  it.skipIf(NO_CONSUMER_TIMEOUT)(
    'a consumer-timeout policy reaches an existing queue, the lower of it and x-consumer-timeout winning',
    async () => {
      expect.hasAssertions();
      const { ch: admin, q } = await declare(600_000);
      const auth = 'Basic ' + Buffer.from('guest:guest').toString('base64');
      const policyUrl = `${inject('managementUrl')}/api/policies/%2F/${encodeURIComponent(q)}`;
      const put = await fetch(policyUrl, {
        method: 'PUT',
        headers: { authorization: auth, 'content-type': 'application/json' },
        body: JSON.stringify({ pattern: `^${q.replace(/[.]/g, '\\.')}$`, definition: { 'consumer-timeout': 200 }, 'apply-to': 'queues' }),
      });
      expect(put.status).toBe(201);
      try {
        await sleep(100);
        const consumerConn = await connect();
        const c = await channel(consumerConn);
        await c.consume(q, () => {}, { noAck: false });
        const closed = nextClose(c, NOTICE_MS);
        admin.sendToQueue(q, Buffer.from('never acked'));
        expect(await closed).toEqual({ code: 406, classId: 0, methodId: 0, text: timedOut(1, 200) });
      } finally {
        await fetch(policyUrl, { method: 'DELETE', headers: { authorization: auth } });
      }
    },
    CASE_MS,
  );

  it.skipIf(NO_CONSUMER_TIMEOUT)(
    'leaves a consumer that acks in time alone',
    async () => {
      expect.hasAssertions();
      const { ch: admin, q } = await declare(300);
      const consumerConn = await connect();
      const c = await channel(consumerConn);
      const errors: unknown[] = [];
      c.on('error', (e: unknown) => errors.push(e));
      const got: string[] = [];
      await c.consume(
        q,
        (m) => {
          if (!m) return;
          got.push(m.content.toString());
          setTimeout(() => c.ack(m), 50);
        },
        { noAck: false },
      );
      for (let i = 0; i < 6; i++) {
        admin.sendToQueue(q, Buffer.from(`m${i}`));
        await sleep(150);
      }
      await sleep(500);
      expect(errors).toEqual([]);
      expect(got).toEqual(['m0', 'm1', 'm2', 'm3', 'm4', 'm5']);
      expect(await c.checkQueue(q)).toMatchObject({ queue: q, messageCount: 0, consumerCount: 1 });
    },
    CASE_MS,
  );

  it.skipIf(broker.product !== 'RabbitMQ' || !NO_CONSUMER_TIMEOUT)(
    'RabbitMQ before 3.12 accepts x-consumer-timeout with any value and ignores it',
    async () => {
      expect.hasAssertions();
      const conn = await connect();
      const ch = await channel(conn);
      for (const value of [100, -1, 'abc']) {
        const q = uniqueName('ext-consumer-timeout.ignored');
        queues.add(q);
        expect(await ch.assertQueue(q, { durable: false, arguments: { 'x-consumer-timeout': value } })).toEqual({
          queue: q,
          messageCount: 0,
          consumerCount: 0,
        });
      }
    },
  );
});
