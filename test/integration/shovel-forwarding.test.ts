// Shovels forward content as it came: every property and header byte-for-byte, empty and multi-frame bodies (re-split
// for a destination with a smaller frame_max); rewriting keys change exactly what they say; src-delete-after moves
// exactly its count with batched acks at the source, in every ack-mode.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import amqp, { type GetMessage, type Options } from 'amqplib';
import { afterEach, describe, expect, it } from 'vitest';
import { startBroker, type RunningBroker, type StartOptions } from '../../src/index.js';
import { apiClient, eventually, type Api } from '../support/http.js';

const running: RunningBroker[] = [];
const dirs: string[] = [];

afterEach(async () => {
  for (const b of running.splice(0).reverse()) await b.close().catch(() => {});
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

async function start(o: StartOptions = {}): Promise<RunningBroker> {
  const dataDir = mkdtempSync(join(tmpdir(), 'warren-shovel-fwd-'));
  dirs.push(dataDir);
  const b = await startBroker({ port: 0, managementPort: 0, dataDir, logLevel: 'silent', ...o });
  running.push(b);
  return b;
}

const api = (b: RunningBroker): Api => apiClient(`http://localhost:${b.managementPort}`);

/** Every basic property set, headers of every common field type, nested. */
const ALL: Options.Publish = {
  contentType: 'application/x-test',
  contentEncoding: 'gzip',
  headers: { i: 7, s: 'text', f: 1.5, b: true, nested: { list: [1, 'two', { three: 3 }] }, big: 2 ** 40 },
  deliveryMode: 2,
  priority: 3,
  correlationId: 'corr-1',
  replyTo: 'replies',
  expiration: '600000',
  messageId: 'm-1',
  timestamp: 1700000000,
  type: 'kind',
  userId: 'guest',
  appId: 'tests',
};

const BODIES = [Buffer.alloc(0), Buffer.from('sixteen bytes...'), Buffer.alloc(300_000, 0x5a)];

/** Publishes each body with ALL to `queue` (and to `control`, a queue on the same broker the shovel leaves alone). */
async function publish(url: string, queues: string[], bodies: Buffer[], o: Options.Publish = ALL): Promise<void> {
  const c = await amqp.connect(url);
  const ch = await c.createConfirmChannel();
  for (const q of queues) {
    await ch.assertQueue(q, { durable: true });
    for (const b of bodies) ch.sendToQueue(q, b, o);
  }
  await ch.waitForConfirms();
  await c.close();
}

async function take(url: string, queue: string, n: number): Promise<GetMessage[]> {
  const c = await amqp.connect(url);
  const ch = await c.createChannel();
  const out: GetMessage[] = [];
  // The shovel declares the destination queue once it runs.
  await eventually(async () => ((await depth(url, queue)) >= 0 ? true : undefined), 15000);
  await eventually(async () => {
    for (;;) {
      const m = await ch.get(queue, { noAck: true });
      if (m === false) break;
      out.push(m);
    }
    return out.length >= n ? true : undefined;
  }, 15000);
  await c.close();
  return out;
}

async function depth(url: string, queue: string): Promise<number> {
  const c = await amqp.connect(url);
  const ch = await c.createChannel();
  try {
    return (await ch.checkQueue(queue)).messageCount;
  } catch {
    return -1;
  } finally {
    await c.close().catch(() => {});
  }
}

const shovel = (src: RunningBroker, name: string, value: Record<string, unknown>) => api(src).put(`/api/parameters/shovel/%2f/${name}`, { value: { 'src-uri': 'amqp://', ...value } });

describe('shovels forward content as it came', () => {
  for (const ackMode of ['on-confirm', 'on-publish', 'no-ack']) {
    it(`${ackMode}: every property and header arrives as published, empty and multi-frame bodies intact, to a destination with a smaller frame_max`, async () => {
      expect.hasAssertions();
      const dest = await start({ frameMax: 4096 });
      const src = await start();
      await publish(src.url, ['from', 'control'], BODIES);
      expect((await shovel(src, 'exact', { 'src-queue': 'from', 'dest-uri': dest.url, 'dest-queue': 'to', 'ack-mode': ackMode })).status).toBe(201);
      const moved = await take(dest.url, 'to', BODIES.length);
      const control = await take(src.url, 'control', BODIES.length);
      expect(moved).toHaveLength(BODIES.length);
      for (let i = 0; i < BODIES.length; i++) {
        expect(moved[i]!.content.equals(BODIES[i]!)).toBe(true);
        // Byte-for-byte: what the destination delivers is what the source delivers for the same publish.
        expect(moved[i]!.properties).toEqual(control[i]!.properties);
        expect(moved[i]!.fields).toMatchObject({ exchange: '', routingKey: 'to', redelivered: false });
      }
      expect(moved[1]!.properties.headers).toEqual(ALL.headers);
      await eventually(async () => ((await depth(src.url, 'from')) === 0 ? true : undefined));
    });
  }

  it("with neither dest-queue nor dest-exchange-key, each message keeps its own exchange and routing key", async () => {
    expect.hasAssertions();
    const dest = await start();
    const src = await start();
    const c = await amqp.connect(dest.url);
    const ch = await c.createChannel();
    await ch.assertExchange('events', 'topic');
    await ch.assertQueue('all');
    await ch.bindQueue('all', 'events', '#');
    await c.close();
    const p = await amqp.connect(src.url);
    const pch = await p.createConfirmChannel();
    await pch.assertExchange('events', 'topic');
    await pch.assertQueue('tap', { durable: true });
    await pch.bindQueue('tap', 'events', '#');
    for (const key of ['a.b', 'c', 'd.e.f']) pch.publish('events', key, Buffer.from(key));
    await pch.waitForConfirms();
    await p.close();
    await shovel(src, 'keys', { 'src-queue': 'tap', 'dest-uri': dest.url, 'dest-exchange': 'events' });
    const moved = await take(dest.url, 'all', 3);
    expect(moved.map((m) => [m.fields.exchange, m.fields.routingKey, m.content.toString()])).toEqual([
      ['events', 'a.b', 'a.b'],
      ['events', 'c', 'c'],
      ['events', 'd.e.f', 'd.e.f'],
    ]);
  });

  it('dest-publish-properties, dest-add-timestamp-header and add-forward-headers rewrite exactly those, keeping the rest', async () => {
    expect.hasAssertions();
    const dest = await start();
    const src = await start();
    const before = Math.floor(Date.now() / 1000);
    await publish(src.url, ['from', 'control'], [Buffer.from('x'), Buffer.alloc(200_000, 1)], { ...ALL, headers: { ...ALL.headers, 'x-shovelled': [{ 'shovel-name': 'earlier' }] } });
    await shovel(src, 'rewrite', {
      'src-queue': 'from',
      'dest-uri': dest.url,
      'dest-queue': 'to',
      'dest-publish-properties': { priority: 9, app_id: 'shovel' },
      'dest-add-timestamp-header': true,
      'add-forward-headers': true,
    });
    const moved = await take(dest.url, 'to', 2);
    const control = await take(src.url, 'control', 2);
    expect(moved[1]!.content.equals(Buffer.alloc(200_000, 1))).toBe(true);
    for (const [i, m] of moved.entries()) {
      const { headers, ...rest } = m.properties;
      const { headers: _h, ...published } = control[i]!.properties;
      expect(rest).toEqual({ ...published, priority: 9, appId: 'shovel' });
      const h = headers as Record<string, unknown>;
      for (const k of Object.keys(ALL.headers as object)) expect(h[k]).toEqual((ALL.headers as Record<string, unknown>)[k]);
      // A timestamp field (type T), as amqplib decodes one.
      const ts = h['x-shovelled-timestamp'] as { '!': string; value: number };
      expect(ts['!']).toBe('timestamp');
      expect(ts.value).toBeGreaterThanOrEqual(before);
      expect(ts.value).toBeLessThanOrEqual(Math.ceil(Date.now() / 1000));
      const list = h['x-shovelled'] as Array<Record<string, unknown>>;
      expect(list).toHaveLength(2);
      expect(list[0]).toEqual({ 'shovel-name': 'earlier' });
      expect(list[1]).toMatchObject({ 'shovel-name': 'rewrite', 'src-queue': 'from', 'dest-queue': 'to' });
    }
  });

  for (const ackMode of ['on-confirm', 'on-publish']) {
    it(`${ackMode}: src-delete-after moves exactly its count with a prefetch above it; the rest stays at the source, none twice`, async () => {
      expect.hasAssertions();
      const dest = await start();
      const src = await start();
      const bodies = Array.from({ length: 1000 }, (_, i) => Buffer.from(String(i)));
      await publish(src.url, ['from'], bodies, { persistent: true });
      await shovel(src, 'some', { 'src-queue': 'from', 'dest-uri': dest.url, 'dest-queue': 'to', 'ack-mode': ackMode, 'src-delete-after': 150, 'src-prefetch-count': 1000 });
      await eventually(async () => (((await api(src).get('/api/shovels')).json as unknown[]).length === 0 ? true : undefined), 15000);
      await eventually(async () => ((await depth(src.url, 'from')) === 850 ? true : undefined));
      const moved = await take(dest.url, 'to', 150);
      expect(moved.map((m) => Number(m.content.toString()))).toEqual(Array.from({ length: 150 }, (_, i) => i));
      const left = await take(src.url, 'from', 850);
      expect(new Set(left.map((m) => Number(m.content.toString()))).size).toBe(850);
      expect(Math.min(...left.map((m) => Number(m.content.toString())))).toBe(150);
    });
  }
});
