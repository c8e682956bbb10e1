// The signals that tell whether consumers keep up: message counters and rates, oldest-message age, dead-letter counts.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import amqp from 'amqplib';
import { describe, expect, it } from 'vitest';
import { startBroker } from '../../src/index.js';
import { useBroker } from '../support/broker.js';
import { apiClient } from '../support/http.js';

const broker = useBroker({ prometheusPort: 0, managementPort: 0 });

async function metric(name: string, perObject = false): Promise<string> {
  const res = await fetch(`http://localhost:${broker.current.prometheusPort}/metrics${perObject ? '/per-object' : ''}`);
  return (await res.text()).split('\n').filter((l) => l.startsWith(name)).join('\n');
}

describe('message counters', () => {
  it('reports consumer utilisation: 1 while consumers keep up, below 1 while they are saturated', async () => {
    expect.hasAssertions();
    const conn = await amqp.connect(broker.current.url);
    const ch = await conn.createConfirmChannel();
    await ch.assertQueue('util-q');
    const consumer = await conn.createChannel();
    await consumer.prefetch(1);
    // A consumer that never acks: after its one message, the queue waits on it.
    await consumer.consume('util-q', () => {});
    const api = apiClient(`http://localhost:${broker.current.managementPort}`);
    expect((await api.get('/api/queues/%2F/util-q')).json.consumer_utilisation).toBe(1);
    for (let i = 0; i < 3; i++) ch.sendToQueue('util-q', Buffer.from(`u${i}`));
    await ch.waitForConfirms();
    await new Promise((r) => setTimeout(r, 5200));
    expect((await api.get('/api/queues/%2F/util-q')).json.consumer_utilisation).toBeLessThan(0.5);
    await conn.close();
  });

  it('counts published, delivered, redelivered and acked messages per queue (API message_stats) and globally (metrics)', async () => {
    expect.hasAssertions();
    const conn = await amqp.connect(broker.current.url);
    const ch = await conn.createConfirmChannel();
    await ch.assertQueue('stats-q');
    for (let i = 0; i < 5; i++) ch.sendToQueue('stats-q', Buffer.from(`m${i}`));
    await ch.waitForConfirms();
    const a = await ch.get('stats-q');
    if (!a) throw new Error('no message');
    ch.nack(a, false, true); // back to the queue: the next get is a redelivery
    for (let i = 0; i < 5; i++) {
      const m = await ch.get('stats-q');
      if (!m) throw new Error('no message');
      ch.ack(m);
    }
    // A synchronous method after the acks: the broker has handled them once it answers.
    await ch.checkQueue('stats-q');
    const q = (await apiClient(`http://localhost:${broker.current.managementPort}`).get('/api/queues/%2F/stats-q')).json;
    expect(q.message_stats).toMatchObject({ publish: 5, deliver_get: 6, redeliver: 1, ack: 5 });
    expect(q.message_stats.publish_details).toEqual({ rate: expect.any(Number) });
    // Per object, RabbitMQ's series is per channel, exchange and queue.
    expect(await metric('rabbitmq_queue_messages_published_total', true)).toContain('queue_vhost="/",queue="stats-q",exchange_vhost="/",exchange=""} 5');
    expect(await metric('rabbitmq_global_messages_acknowledged_total{protocol="amqp091",queue_type="rabbit_classic_queue"}')).toMatch(/ [5-9]\d*$/);
    await conn.close();
  });

  it('reports the age of the oldest waiting message, and 0 once consumers caught up', async () => {
    expect.hasAssertions();
    const conn = await amqp.connect(broker.current.url);
    const ch = await conn.createConfirmChannel();
    await ch.assertQueue('lagging');
    ch.sendToQueue('lagging', Buffer.from('waiting'));
    await ch.waitForConfirms();
    await new Promise((r) => setTimeout(r, 300));
    const line = await metric('warren_queue_oldest_message_age_seconds{vhost="/",queue="lagging"}', true);
    expect(Number(line.split(' ').pop())).toBeGreaterThanOrEqual(0.25);
    const api = apiClient(`http://localhost:${broker.current.managementPort}`);
    expect((await api.get('/api/queues/%2F/lagging')).json.oldest_message_age_ms).toBeGreaterThanOrEqual(250);
    await ch.purgeQueue('lagging');
    expect((await api.get('/api/queues/%2F/lagging')).json.oldest_message_age_ms).toBe(0);
    expect(await metric('warren_queue_oldest_message_age_seconds{vhost="/",queue="lagging"}', true)).toMatch(/ 0$/);
    await conn.close();
  });

  it('counts dead-lettered messages by reason', async () => {
    expect.hasAssertions();
    const conn = await amqp.connect(broker.current.url);
    const ch = await conn.createConfirmChannel();
    await ch.assertExchange('stats-dlx', 'fanout');
    await ch.assertQueue('stats-src', { arguments: { 'x-dead-letter-exchange': 'stats-dlx', 'x-message-ttl': 20 } });
    const before = Number((await metric('rabbitmq_global_messages_dead_lettered_expired_total{queue_type="rabbit_classic_queue",dead_letter_strategy="at_most_once"}')).split(' ').pop());
    ch.sendToQueue('stats-src', Buffer.from('x'));
    ch.sendToQueue('stats-src', Buffer.from('y'));
    await ch.waitForConfirms();
    await new Promise((r) => setTimeout(r, 150));
    expect(Number((await metric('rabbitmq_global_messages_dead_lettered_expired_total{queue_type="rabbit_classic_queue",dead_letter_strategy="at_most_once"}')).split(' ').pop())).toBe(before + 2);
    expect((await apiClient(`http://localhost:${broker.current.managementPort}`).get('/api/queues/%2F/stats-src')).json.messages_dead_lettered).toBe(2);
    expect(await metric('warren_queue_messages_dead_lettered_total{vhost="/",queue="stats-src"}', true)).toMatch(/ 2$/);
    await conn.close();
  });

  it('keeps the global counters of each broker apart when two run in one process', async () => {
    expect.hasAssertions();
    const dir = mkdtempSync(join(tmpdir(), 'warren-test-'));
    const other = await startBroker({ port: 0, dataDir: dir, logLevel: 'silent', prometheusPort: 0 });
    try {
      const conn = await amqp.connect(broker.current.url);
      const ch = await conn.createConfirmChannel();
      await ch.assertQueue('apart-q');
      for (let i = 0; i < 3; i++) ch.sendToQueue('apart-q', Buffer.from(`a${i}`));
      await ch.waitForConfirms();
      await conn.close();
      const received = async (port: number | undefined) => {
        const text = await (await fetch(`http://localhost:${port}/metrics`)).text();
        return Number(text.split('\n').find((l) => l.startsWith('rabbitmq_global_messages_received_total'))?.split(' ').pop());
      };
      expect(await received(broker.current.prometheusPort)).toBeGreaterThanOrEqual(3);
      expect(await received(other.prometheusPort)).toBe(0);
    } finally {
      await other.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
