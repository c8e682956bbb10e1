// Streams in the management API, Prometheus and definitions: type "stream", message count, bytes on disk, segments,
// each consumer's offset and lag; definitions round-trip into Warren and RabbitMQ; a stream survives a restart.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import amqp, { type Channel } from 'amqplib';
import { afterAll, describe, expect, it } from 'vitest';
import { startBroker } from '../../src/index.js';
import { apiClient, eventually, reachableRabbitMq } from '../support/http.js';
import { useBroker } from '../support/broker.js';

const broker = useBroker({ prometheusPort: 0, managementPort: 0 });
const api = () => apiClient(`http://localhost:${broker.current.managementPort}`);
const STREAM = { 'x-queue-type': 'stream' };

async function publish(ch: amqp.ConfirmChannel, q: string, n: number, size = 100): Promise<void> {
  for (let i = 0; i < n; i++) ch.sendToQueue(q, Buffer.alloc(size, 0x61));
  await ch.waitForConfirms();
}

/** A consumer with prefetch `prefetch` that never acks: it stops `prefetch` messages in. */
async function stuckConsumer(ch: Channel, q: string, prefetch: number, offset: unknown): Promise<string> {
  await ch.prefetch(prefetch);
  return (await ch.consume(q, () => {}, { arguments: { 'x-stream-offset': offset } })).consumerTag;
}

describe('streams in the management API and metrics', () => {
  it('shows type, message count, bytes on disk, segments, and each consumer\'s offset and lag', async () => {
    expect.hasAssertions();
    const conn = await amqp.connect(broker.current.url);
    const pub = await conn.createConfirmChannel();
    await pub.assertQueue('s.mgmt', { durable: true, arguments: { ...STREAM, 'x-stream-max-segment-size-bytes': 2000 } });
    await publish(pub, 's.mgmt', 50);
    const tag = await stuckConsumer(await conn.createChannel(), 's.mgmt', 10, 'first');
    const q = await eventually(async () => {
      const r = (await api().get('/api/queues/%2F/s.mgmt')).json;
      return r?.consumer_details?.[0]?.stream_offset === 9 ? r : undefined;
    });
    expect(q).toMatchObject({ type: 'stream', durable: true, arguments: STREAM, messages: 50, messages_ready: 50, consumers: 1, members: [expect.any(String)] });
    expect(q.stream_segments).toBeGreaterThan(1);
    expect(q.stream_bytes_on_disk).toBeGreaterThan(50 * 100);
    expect(q.stream_first_offset).toBe(0);
    expect(q.stream_next_offset).toBe(50);
    expect(q.consumer_details[0]).toMatchObject({ consumer_tag: tag, stream_offset: 9, stream_lag: 40, arguments: { 'x-stream-offset': 'first' }, prefetch_count: 10 });
    const listed = (await api().get('/api/queues')).json.find((x: { name: string }) => x.name === 's.mgmt');
    expect(listed).toMatchObject({ type: 'stream', messages: 50, stream_segments: q.stream_segments });

    const scrape = async (path: string) => (await fetch(`http://localhost:${broker.current.prometheusPort}${path}`)).text();
    const perObject = await scrape('/metrics/per-object');
    expect(perObject).toMatch(new RegExp(`^warren_stream_segments\\{vhost="/",queue="s.mgmt"\\} ${q.stream_segments}$`, 'm'));
    expect(perObject).toMatch(/^warren_stream_bytes_on_disk\{vhost="\/",queue="s\.mgmt"\} \d+$/m);
    expect(perObject).toContain(`warren_stream_consumer_lag{vhost="/",queue="s.mgmt",consumer_tag="${tag}"} 40`);
    expect(perObject).toContain(`warren_stream_consumer_offset{vhost="/",queue="s.mgmt",consumer_tag="${tag}"} 9`);
    expect(perObject).toMatch(/^rabbitmq_queue_messages\{vhost="\/",queue="s\.mgmt"\} 50$/m);
    expect(await scrape('/metrics')).toMatch(/^warren_stream_consumer_lag 40$/m);
    // Getting and purging are refused as RabbitMQ 3.10.8's API refuses them.
    expect(await api().post('/api/queues/%2F/s.mgmt/get', { count: 1, ackmode: 'ack_requeue_true', encoding: 'auto' })).toMatchObject({
      status: 400,
      json: { error: 'bad_request', reason: "540 basic.get not supported by stream queues queue 's.mgmt' in vhost '/'" },
    });
    expect(await api().del('/api/queues/%2F/s.mgmt/contents')).toMatchObject({
      status: 400,
      json: { error: 'bad_request', reason: "queue.purge not supported by stream queues queue 's.mgmt' in vhost '/'" },
    });
    await conn.close();
  });

  it('exports a stream in definitions that import into Warren (and RabbitMQ, when one runs) unchanged', async () => {
    expect.hasAssertions();
    const conn = await amqp.connect(broker.current.url);
    const ch = await conn.createChannel();
    const args = { ...STREAM, 'x-max-age': '7D', 'x-max-length-bytes': 1_000_000, 'x-stream-max-segment-size-bytes': 100_000 };
    await ch.assertQueue('s.defs', { durable: true, arguments: args });
    await conn.close();
    const defs = (await api().get('/api/definitions')).json;
    const def = defs.queues.find((x: { name: string }) => x.name === 's.defs');
    expect(def).toEqual({ name: 's.defs', vhost: '/', durable: true, auto_delete: false, arguments: args });

    const dir = mkdtempSync(join(tmpdir(), 'warren-defs-'));
    const other = await startBroker({ port: 0, managementPort: 0, dataDir: dir, logLevel: 'silent' });
    try {
      const o = apiClient(`http://localhost:${other.managementPort}`);
      expect((await o.post('/api/definitions', { queues: [def] })).status).toBeLessThan(300);
      expect((await o.get('/api/queues/%2F/s.defs')).json).toMatchObject({ type: 'stream', arguments: args, durable: true });
      expect((await o.get('/api/definitions')).json.queues).toEqual([def]);
    } finally {
      await other.close();
      rmSync(dir, { recursive: true, force: true });
    }

    const rabbit = await reachableRabbitMq();
    if (rabbit) {
      const name = `warren-test.s.defs.${process.pid}`;
      try {
        expect((await rabbit.post('/api/definitions', { queues: [{ ...def, name }] })).status).toBeLessThan(300);
        expect((await rabbit.get(`/api/queues/%2F/${encodeURIComponent(name)}`)).json).toMatchObject({ type: 'stream', arguments: args, durable: true });
      } finally {
        await rabbit.del(`/api/queues/%2F/${encodeURIComponent(name)}`);
      }
    }
  });
});

describe('policies on a stream', () => {
  it('apply max-length-bytes to a stream at once: whole head segments go, offsets stay', async () => {
    expect.hasAssertions();
    const conn = await amqp.connect(broker.current.url);
    const pub = await conn.createConfirmChannel();
    await pub.assertQueue('s.policy', { durable: true, arguments: { ...STREAM, 'x-stream-max-segment-size-bytes': 2000 } });
    await publish(pub, 's.policy', 200);
    const before = (await api().get('/api/queues/%2F/s.policy')).json;
    expect(before.stream_first_offset).toBe(0);
    expect((await api().put('/api/policies/%2F/s-bytes', { pattern: '^s\\.policy$', 'apply-to': 'queues', definition: { 'max-length-bytes': 5000 } })).status).toBeLessThan(300);
    const after = await eventually(async () => {
      const q = (await api().get('/api/queues/%2F/s.policy')).json;
      return q.stream_first_offset > 0 ? q : undefined;
    });
    expect(after.stream_bytes_on_disk).toBeLessThan(5000 + 2500);
    expect(after.stream_next_offset).toBe(200);
    expect(after.messages).toBe(200 - after.stream_first_offset);
    expect(after.policy).toBe('s-bytes');
    await api().del('/api/policies/%2F/s-bytes');
    await conn.close();
  });
});

describe('a stream-max-segment-size-bytes policy on a stream', () => {
  it('cuts the log into segments of the policy size from then on, the lower of argument and policy winning', async () => {
    expect.hasAssertions();
    const conn = await amqp.connect(broker.current.url);
    const pub = await conn.createConfirmChannel();
    await pub.assertQueue('s.seg', { durable: true, arguments: STREAM });
    await pub.assertQueue('s.seg.arg', { durable: true, arguments: { ...STREAM, 'x-stream-max-segment-size-bytes': 1000 } });
    expect((await api().put('/api/policies/%2F/s-seg', { pattern: '^s\\.seg', 'apply-to': 'queues', definition: { 'stream-max-segment-size-bytes': 5000 } })).status).toBeLessThan(300);
    await publish(pub, 's.seg', 200);
    await publish(pub, 's.seg.arg', 200);
    const seg = (await api().get('/api/queues/%2F/s.seg')).json;
    const arg = (await api().get('/api/queues/%2F/s.seg.arg')).json;
    expect(seg.effective_policy_definition).toEqual({ 'stream-max-segment-size-bytes': 5000 });
    // About 20 kB of messages: a handful of 5 kB segments under the policy, many more under the argument's 1 kB.
    expect(seg.stream_segments).toBeGreaterThan(2);
    expect(arg.stream_segments).toBeGreaterThan(seg.stream_segments * 2);
    await api().del('/api/policies/%2F/s-seg');
    await conn.close();
  });
});

describe('a max-age policy on a stream', () => {
  it('drops whole head segments older than the policy allows, with the lower of argument and policy winning', async () => {
    expect.hasAssertions();
    const conn = await amqp.connect(broker.current.url);
    const pub = await conn.createConfirmChannel();
    await pub.assertQueue('s.age', { durable: true, arguments: { ...STREAM, 'x-stream-max-segment-size-bytes': 2000, 'x-max-age': '7D' } });
    await publish(pub, 's.age', 200);
    await new Promise((r) => setTimeout(r, 1500));
    expect((await api().put('/api/policies/%2F/s-age', { pattern: '^s\\.age$', 'apply-to': 'queues', definition: { 'max-age': '1s' } })).status).toBeLessThan(300);
    const after = await eventually(async () => {
      const q = (await api().get('/api/queues/%2F/s.age')).json;
      return q.stream_first_offset > 0 ? q : undefined;
    });
    expect(after.effective_policy_definition).toEqual({ 'max-age': '1s' });
    expect(after.stream_next_offset).toBe(200);
    await api().del('/api/policies/%2F/s-age');
    await conn.close();
  });
});

describe('a stream across a restart', () => {
  const dirs: string[] = [];
  afterAll(() => {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it('keeps its messages at their offsets and continues after them', async () => {
    expect.hasAssertions();
    const dir = mkdtempSync(join(tmpdir(), 'warren-stream-restart-'));
    dirs.push(dir);
    let b = await startBroker({ port: 0, dataDir: dir, logLevel: 'silent' });
    let conn = await amqp.connect(b.url);
    let pub = await conn.createConfirmChannel();
    await pub.assertQueue('s.restart', { durable: true, arguments: STREAM });
    for (let i = 0; i < 30; i++) pub.sendToQueue('s.restart', Buffer.from(`before-${i}`));
    await pub.waitForConfirms();
    await conn.close();
    await b.close();

    b = await startBroker({ port: 0, dataDir: dir, logLevel: 'silent' });
    conn = await amqp.connect(b.url);
    pub = await conn.createConfirmChannel();
    expect((await pub.checkQueue('s.restart')).messageCount).toBe(30);
    pub.sendToQueue('s.restart', Buffer.from('after'));
    await pub.waitForConfirms();
    const ch = await conn.createChannel();
    await ch.prefetch(100);
    const got: Array<[number, string]> = [];
    await ch.consume('s.restart', (m) => {
      if (!m) return;
      got.push([m.properties.headers?.['x-stream-offset'] as number, m.content.toString()]);
      ch.ack(m);
    }, { arguments: { 'x-stream-offset': 'first' } });
    await eventually(async () => (got.length === 31 ? true : undefined));
    expect(got).toEqual([...Array.from({ length: 30 }, (_, i) => [i, `before-${i}`]), [30, 'after']]);
    await conn.close();
    await b.close();
  });
});
