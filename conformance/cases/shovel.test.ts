// Shovels to and from the broker under test: a second Warren (from dist/) runs the shovel, so against RabbitMQ this
// is RabbitMQ → Warren and Warren → RabbitMQ. Every message moves; with on-confirm, the shovel's connection to the
// broker under test force-closed mid-stream (the management API's DELETE /api/connections) loses none (counted).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { closeAllAmqp, connect, uniqueName } from '../support/amqp.js';
import { eventually, sleep } from '../support/fixtures.js';
import { url } from '../support/urls.js';

interface Warren {
  port: number;
  url: string;
  managementPort?: number;
  close(): Promise<void>;
}

const managementUrl = inject('managementUrl');
const auth = 'Basic ' + Buffer.from('guest:guest').toString('base64');

async function call(base: string, method: string, path: string, body?: unknown): Promise<{ status: number; json: any }> {
  const res = await fetch(base + path, { method, headers: { authorization: auth, 'content-type': 'application/json' }, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
  const text = await res.text();
  return { status: res.status, json: text === '' ? undefined : JSON.parse(text) };
}

let warren: Warren;
let warrenApi: string;
let dir: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'warren-shovel-conformance-'));
  // @ts-ignore -- dist/ exists only after `npm run build`; resolved at run time.
  const mod = (await import('../../dist/src/index.js')) as { startBroker(o: object): Promise<Warren> };
  warren = await mod.startBroker({ port: 0, managementPort: 0, dataDir: dir, logLevel: 'silent' });
  warrenApi = `http://localhost:${warren.managementPort}`;
});

afterAll(async () => {
  await closeAllAmqp();
  await warren?.close();
  rmSync(dir, { recursive: true, force: true });
});

async function fill(u: string, queue: string, n: number): Promise<void> {
  const c = await connect(u);
  const ch = await c.createConfirmChannel();
  await ch.assertQueue(queue, { durable: true });
  for (let i = 0; i < n; i++) ch.sendToQueue(queue, Buffer.from(String(i)), { persistent: true });
  await ch.waitForConfirms();
  await c.close();
}

async function depth(u: string, queue: string): Promise<number> {
  const c = await connect(u);
  try {
    const ch = await c.createChannel();
    return (await ch.checkQueue(queue)).messageCount;
  } finally {
    await c.close().catch(() => {});
  }
}

/** Every message of `queue`, deleting it after: distinct bodies and the total (duplicates counted). */
async function drain(u: string, queue: string): Promise<{ distinct: number; total: number }> {
  const c = await connect(u);
  const ch = await c.createChannel();
  const ids = new Set<string>();
  let total = 0;
  for (;;) {
    const m = await ch.get(queue, { noAck: true });
    if (m === false) break;
    ids.add(m.content.toString());
    total++;
  }
  await ch.deleteQueue(queue);
  await c.close();
  return { distinct: ids.size, total };
}

async function shovel(name: string, value: Record<string, unknown>): Promise<void> {
  expect((await call(warrenApi, 'PUT', `/api/parameters/shovel/%2f/${name}`, { value })).status).toBe(201);
}

async function running(name: string): Promise<void> {
  await eventually(async () => {
    const rows = (await call(warrenApi, 'GET', '/api/shovels')).json as Array<{ name: string; state: string }>;
    expect(rows.find((r) => r.name === name)?.state).toBe('running');
  }, 10_000);
}

describe('shovels with the broker under test', () => {
  it('the broker under test → Warren moves every message (on-confirm), then the shovel deletes itself (src-delete-after queue-length)', async () => {
    const q = uniqueName('shovel-in');
    await fill(url(), q, 3000);
    await shovel('in', { 'src-uri': url(), 'src-queue': q, 'dest-uri': 'amqp://', 'dest-queue': q, 'src-delete-after': 'queue-length' });
    await eventually(async () => expect(await depth('amqp://guest:guest@localhost:' + warren.port, q)).toBe(3000), 15_000);
    await eventually(async () => expect((await call(warrenApi, 'GET', '/api/parameters/shovel')).json).toEqual([]), 5_000);
    expect(await depth(url(), q)).toBe(0);
    const got = await drain(warren.url, q);
    expect(got).toEqual({ distinct: 3000, total: 3000 });
    const c = await connect(url());
    await (await c.createChannel()).deleteQueue(q);
    await c.close();
  });

  it('Warren → the broker under test loses no confirmed message when the shovel connection is closed mid-stream', async () => {
    const q = uniqueName('shovel-out');
    const N = 20000;
    await fill(warren.url, q, N);
    await shovel('out', { 'src-uri': 'amqp://', 'src-queue': q, 'dest-uri': url(), 'dest-queue': q, 'reconnect-delay': 0.2, 'src-prefetch-count': 100 });
    await running('out');
    await eventually(async () => expect(await depth(url(), q)).toBeGreaterThan(500), 15_000);
    // Close the shovel's connection on the broker under test, as an operator (or a restart) would.
    let closed = 0;
    await eventually(async () => {
      const conns = (await call(managementUrl, 'GET', '/api/connections')).json as Array<{ name: string; client_properties?: { connection_name?: string } }>;
      const mine = conns.filter((x) => x.client_properties?.connection_name === 'Shovel out');
      expect(mine.length).toBeGreaterThan(0);
      for (const x of mine) if ((await call(managementUrl, 'DELETE', `/api/connections/${encodeURIComponent(x.name)}`)).status === 204) closed++;
    }, 10_000);
    expect(closed).toBeGreaterThan(0);
    await sleep(100);
    await eventually(async () => expect(await depth(warren.url, q)).toBe(0), 20_000);
    await eventually(async () => expect(await depth(url(), q)).toBeGreaterThanOrEqual(N), 10_000);
    await running('out');
    expect((await call(warrenApi, 'DELETE', '/api/parameters/shovel/%2f/out')).status).toBe(204);
    const got = await drain(url(), q);
    // Every message; those in flight when the connection went (at most the prefetch) may be there twice.
    expect(got.distinct).toBe(N);
    expect(got.total - N).toBeLessThanOrEqual(100);
    const c = await connect(warren.url);
    await (await c.createChannel()).deleteQueue(q);
    await c.close();
  }, 40_000);
});
