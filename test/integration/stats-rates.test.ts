// RabbitMQ's message_stats on queues, channels, exchanges, vhosts and the overview (publish, deliver, deliver_no_ack,
// get, get_no_ack, get_empty, ack, redeliver, confirm, return_unroutable, drop_unroutable, each with _details.rate),
// queue lengths and connection octets with _details, real rates over the 5 s sample interval, and the samples that
// ?lengths_age / msg_rates_age / data_rates_age ask for.
import amqp from 'amqplib';
import { describe, expect, it } from 'vitest';
import { useBroker } from '../support/broker.js';
import { apiClient, type Api } from '../support/http.js';

const broker = useBroker({ managementPort: 0 });
const api = (): Api => apiClient(`http://localhost:${broker.current.managementPort}`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** Waits until `ms` past the next 5 s boundary (when the sampler has run). */
const afterBoundary = (ms: number) => sleep(5000 - (Date.now() % 5000) + ms);

describe('message_stats', () => {
  it('counts every kind of delivery, publish, confirm and return on queue, channel, exchange, vhost and overview', async () => {
    expect.hasAssertions();
    const conn = await amqp.connect(broker.current.url);
    const pub = await conn.createConfirmChannel();
    await pub.assertExchange('stats-x', 'direct', { durable: false });
    await pub.assertQueue('stats-q', { durable: false });
    await pub.bindQueue('stats-q', 'stats-x', 'k');
    for (let i = 0; i < 6; i++) pub.publish('stats-x', 'k', Buffer.from(`m${i}`));
    pub.publish('stats-x', 'nowhere', Buffer.from('returned'), { mandatory: true });
    pub.publish('stats-x', 'nowhere', Buffer.from('dropped'));
    await pub.waitForConfirms();
    const cons = await conn.createChannel();
    const got1 = await cons.get('stats-q', { noAck: false });
    if (!got1) throw new Error('no message');
    cons.ack(got1);
    expect(await cons.get('stats-q', { noAck: true })).not.toBe(false);
    const requeued = await cons.get('stats-q', { noAck: false });
    if (!requeued) throw new Error('no message');
    cons.nack(requeued, false, true);
    // The four left (one of them the requeued, now redelivered) go to a manual-ack consumer.
    let n = 0;
    let tag = '';
    await new Promise<void>((resolve) => {
      void cons
        .consume('stats-q', (m) => {
          if (!m) return;
          cons.ack(m);
          if (++n === 4) resolve();
        })
        .then((ok) => (tag = ok.consumerTag));
    });
    await cons.cancel(tag);
    const noAckCh = await conn.createChannel();
    const noAckGot = new Promise<void>((resolve) => {
      void noAckCh.consume('stats-q', () => resolve(), { noAck: true });
    });
    pub.publish('stats-x', 'k', Buffer.from('last'));
    await pub.waitForConfirms();
    await noAckGot;
    expect(await cons.get('stats-q')).toBe(false);
    await sleep(50);

    const q = (await api().get('/api/queues/%2F/stats-q')).json;
    expect(q.message_stats).toMatchObject({ publish: 7, get: 2, get_no_ack: 1, deliver: 4, deliver_no_ack: 1, deliver_get: 8, ack: 5, redeliver: 1, get_empty: 1 });
    for (const k of ['publish', 'get', 'get_no_ack', 'deliver', 'deliver_no_ack', 'deliver_get', 'ack', 'redeliver', 'get_empty']) expect(typeof q.message_stats[`${k}_details`].rate).toBe('number');
    for (const k of ['messages', 'messages_ready', 'messages_unacknowledged']) expect(q[`${k}_details`]).toEqual({ rate: expect.any(Number) });

    const channels = (await api().get('/api/channels')).json as Array<{ number: number; message_stats?: Record<string, number> }>;
    const pubStats = channels.find((c) => c.number === 1)!.message_stats!;
    expect(pubStats).toMatchObject({ publish: 9, confirm: 9, return_unroutable: 1, drop_unroutable: 1 });
    expect(pubStats.confirm_details).toEqual({ rate: expect.any(Number) });
    const consStats = channels.find((c) => c.number === 2)!.message_stats!;
    expect(consStats).toMatchObject({ get: 2, get_no_ack: 1, deliver: 4, ack: 5, get_empty: 1, redeliver: 1, deliver_get: 7 });
    expect(channels.find((c) => c.number === 3)!.message_stats).toMatchObject({ deliver_no_ack: 1, deliver_get: 1 });

    const x = (await api().get('/api/exchanges/%2F/stats-x')).json;
    expect(x.message_stats).toMatchObject({ publish_in: 9, publish_out: 7, publish_in_details: { rate: expect.any(Number) } });

    const vhost = (await api().get('/api/vhosts/%2F')).json;
    expect(vhost.message_stats).toMatchObject({ publish: 9, confirm: 9, return_unroutable: 1, drop_unroutable: 1, deliver_get: 8, ack: 5, get_empty: 1 });
    expect(vhost.recv_oct).toBeGreaterThan(0);
    expect(vhost.send_oct_details).toEqual({ rate: expect.any(Number) });
    const overview = (await api().get('/api/overview')).json;
    expect(overview.message_stats).toMatchObject({ publish: 9, confirm: 9, deliver_get: 8, return_unroutable: 1 });
    expect(overview.queue_totals.messages_details).toEqual({ rate: expect.any(Number) });
    const connection = (await api().get('/api/connections')).json[0];
    expect(connection.recv_oct_details).toEqual({ rate: expect.any(Number) });

    // Closed channels' counts stay in their vhost's.
    await noAckCh.close();
    await pub.close();
    expect((await api().get('/api/vhosts/%2F')).json.message_stats).toMatchObject({ publish: 9, confirm: 9, deliver_no_ack: 1, ack: 5 });
    await conn.close();
  });

  it('gives real rates over the 5 s interval and RabbitMQ-shaped samples for lengths_age and msg_rates_age', async () => {
    expect.hasAssertions();
    const conn = await amqp.connect(broker.current.url);
    const ch = await conn.createConfirmChannel();
    await ch.assertQueue('rate-q', { durable: false });
    // Right after a sampling boundary, 100 publishes; after the next boundary the rate is 100 over 5 s.
    await afterBoundary(200);
    for (let i = 0; i < 100; i++) ch.sendToQueue('rate-q', Buffer.alloc(100));
    await ch.waitForConfirms();
    await afterBoundary(300);
    const q = (await api().get('/api/queues/%2F/rate-q?lengths_age=30&lengths_incr=5&msg_rates_age=30&msg_rates_incr=5')).json;
    expect(q.message_stats.publish).toBe(100);
    expect(q.message_stats.publish_details.rate).toBe(20);
    expect(q.messages_details.rate).toBe(20);
    const samples = q.messages_details.samples as Array<{ sample: number; timestamp: number }>;
    expect(samples).toHaveLength(7);
    expect(samples[0]!.sample).toBe(100);
    expect(samples[1]!.sample).toBe(0);
    expect(samples.every((s, i) => s.timestamp % 5000 === 0 && (i === 0 || samples[i - 1]!.timestamp - s.timestamp === 5000))).toBe(true);
    expect(q.messages_details.avg).toBeCloseTo(100 / 7, 5);
    expect(q.messages_details.avg_rate).toBeCloseTo(100 / 30, 5);
    expect(q.message_stats.publish_details.samples[0].sample).toBe(100);
    const plain = (await api().get('/api/queues/%2F/rate-q')).json;
    expect(plain.messages_details).toEqual({ rate: 20 });
    const overview = (await api().get('/api/overview?msg_rates_age=60&msg_rates_incr=10&lengths_age=60&lengths_incr=10')).json;
    expect(overview.message_stats.publish_details.samples).toHaveLength(7);
    expect(overview.queue_totals.messages_details.samples).toHaveLength(7);
    const c = ((await api().get('/api/connections?data_rates_age=10&data_rates_incr=5')).json as Array<{ recv_oct: number; recv_oct_details: { rate: number; samples: unknown[] } }>).sort((a, b) => b.recv_oct - a.recv_oct)[0]!;
    expect(c.recv_oct_details.rate).toBeGreaterThan(100 * 100 / 5);
    expect(c.recv_oct_details.samples).toHaveLength(3);
    await conn.close();
  }, 20_000);
});
