// Dynamic shovels between two real Warrens: every message moved, none confirmed lost when the destination is
// restarted mid-stream, status rows, RabbitMQ's validation answers, and no password in logs or status.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import amqp from 'amqplib';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { startBroker, type RunningBroker, type StartOptions } from '../../src/index.js';
import { apiClient, eventually, type Api } from '../support/http.js';

const running: RunningBroker[] = [];
const dirs: string[] = [];

afterEach(async () => {
  for (const b of running.splice(0).reverse()) await b.close().catch(() => {});
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'warren-shovel-'));
  dirs.push(d);
  return d;
}

async function start(o: StartOptions = {}): Promise<RunningBroker> {
  const b = await startBroker({ port: 0, managementPort: 0, dataDir: tempDir(), logLevel: 'silent', ...o });
  running.push(b);
  return b;
}

const api = (b: RunningBroker): Api => apiClient(`http://localhost:${b.managementPort}`);

/** Publishes `n` persistent messages with bodies "0".."n-1" to `queue` (declared durable) and waits for confirms. */
async function fill(url: string, queue: string, n: number, from = 0): Promise<void> {
  const c = await amqp.connect(url);
  const ch = await c.createConfirmChannel();
  await ch.assertQueue(queue, { durable: true });
  for (let i = from; i < from + n; i++) ch.sendToQueue(queue, Buffer.from(String(i)), { persistent: true, headers: { i } });
  await ch.waitForConfirms();
  await c.close();
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

/** Takes every message of `queue` (ids from the bodies); duplicates are counted too. */
async function drain(url: string, queue: string): Promise<{ ids: Set<number>; total: number; headers: unknown[] }> {
  const c = await amqp.connect(url);
  const ch = await c.createChannel();
  const ids = new Set<number>();
  let total = 0;
  const headers: unknown[] = [];
  for (;;) {
    const m = await ch.get(queue, { noAck: true });
    if (m === false) break;
    ids.add(Number(m.content.toString()));
    if (headers.length < 1) headers.push(m.properties.headers);
    total++;
  }
  await c.close();
  return { ids, total, headers };
}

describe('shovels between two Warrens', () => {
  it('moves every message of a queue with on-confirm; the status says running with RabbitMQ fields, passwords hidden', async () => {
    expect.hasAssertions();
    const dest = await start();
    const src = await start();
    await fill(src.url, 'from', 2000);
    const destUri = dest.url.replace('guest:guest', 'guest:guest');
    const put = await api(src).put('/api/parameters/shovel/%2f/s1', {
      value: { 'src-uri': 'amqp://', 'src-queue': 'from', 'dest-uri': destUri, 'dest-queue': 'to', 'add-forward-headers': true },
    });
    expect(put.status).toBe(201);
    await eventually(async () => ((await depth(dest.url, 'to')) === 2000 && (await depth(src.url, 'from')) === 0 ? true : undefined), 15000);
    const rows = (await api(src).get('/api/shovels')).json as Array<Record<string, unknown>>;
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      name: 's1',
      vhost: '/',
      type: 'dynamic',
      state: 'running',
      src_uri: 'amqp://',
      dest_uri: `amqp://guest@localhost:${dest.port}`,
      src_protocol: 'amqp091',
      dest_protocol: 'amqp091',
      src_queue: 'from',
      dest_queue: 'to',
    });
    expect(rows[0]!.timestamp).toMatch(/^\d{4}-\d\d-\d\d \d{1,2}:\d\d:\d\d$/);
    expect(JSON.stringify(rows)).not.toContain('guest:guest');
    expect((await api(src).get('/api/shovels/%2f')).json).toHaveLength(1);
    expect((await api(src).get('/api/shovels/vhost/%2f/s1')).json).toHaveLength(1);
    expect((await api(src).get('/api/shovels/vhost/%2f/nope')).status).toBe(404);
    const got = await drain(dest.url, 'to');
    expect(got.ids.size).toBe(2000);
    expect(got.total).toBe(2000);
    const shovelled = (got.headers[0] as { 'x-shovelled': Array<Record<string, unknown>> })['x-shovelled'];
    expect(shovelled[0]).toMatchObject({ 'shovel-name': 's1', 'shovel-type': 'dynamic', 'shovel-vhost': '/', 'src-queue': 'from', 'dest-queue': 'to' });
    expect(JSON.stringify(shovelled)).not.toContain('guest:guest');
    // Deleting the parameter stops the shovel.
    expect((await api(src).del('/api/parameters/shovel/%2f/s1')).status).toBe(204);
    expect((await api(src).get('/api/shovels')).json).toEqual([]);
  });

  it('loses no confirmed message when the destination is stopped and restarted mid-stream (on-confirm)', async () => {
    expect.hasAssertions();
    const destDir = tempDir();
    let dest = await start({ dataDir: destDir });
    const destPort = dest.port;
    const src = await start();
    const N = 20000;
    await fill(src.url, 'work', N);
    await api(src).put('/api/parameters/shovel/%2f/mover', {
      value: { 'src-uri': 'amqp://', 'src-queue': 'work', 'dest-uri': dest.url, 'dest-queue': 'work', 'reconnect-delay': 0.2, 'src-prefetch-count': 200 },
    });
    await eventually(async () => ((await depth(dest.url, 'work')) > 2000 ? true : undefined), 15000);
    await dest.close();
    running.splice(running.indexOf(dest), 1);
    await eventually(async () => {
      const rows = (await api(src).get('/api/shovels')).json as Array<{ state: string }>;
      return rows[0]?.state !== 'running' ? true : undefined;
    });
    const leftWhileDown = await depth(src.url, 'work');
    expect(leftWhileDown).toBeGreaterThan(0);
    dest = await start({ dataDir: destDir, port: destPort });
    await eventually(async () => ((await depth(src.url, 'work')) === 0 ? true : undefined), 30000);
    await eventually(async () => {
      const rows = (await api(src).get('/api/shovels')).json as Array<{ state: string }>;
      return rows[0]?.state === 'running' ? true : undefined;
    });
    const got = await drain(dest.url, 'work');
    // Every message is there; a few may be there twice (published but unconfirmed when the destination went away).
    expect(got.ids.size).toBe(N);
    expect(got.total).toBeGreaterThanOrEqual(N);
    expect(got.total - N).toBeLessThanOrEqual(200);
  }, 60_000);

  it('moves with on-publish and no-ack, from an exchange to an exchange, and src-delete-after deletes the shovel', async () => {
    expect.hasAssertions();
    const dest = await start();
    const src = await start();
    const c = await amqp.connect(dest.url);
    const ch = await c.createChannel();
    await ch.assertExchange('in', 'direct', { durable: true });
    await ch.assertQueue('got', { durable: true });
    await ch.bindQueue('got', 'in', 'k2');
    await c.close();
    await fill(src.url, 'q1', 500);
    await api(src).put('/api/parameters/shovel/%2f/pub', {
      value: { 'src-uri': 'amqp://', 'src-queue': 'q1', 'dest-uri': dest.url, 'dest-exchange': 'in', 'dest-exchange-key': 'k2', 'ack-mode': 'on-publish', 'src-delete-after': 'queue-length' },
    });
    await eventually(async () => ((await depth(dest.url, 'got')) === 500 ? true : undefined), 15000);
    await eventually(async () => ((await api(src).get('/api/parameters/shovel')).json.length === 0 ? true : undefined));
    expect((await api(src).get('/api/shovels')).json).toEqual([]);

    // no-ack from an exchange: a server-named queue bound with src-exchange-key.
    const sc = await amqp.connect(src.url);
    const sch = await sc.createConfirmChannel();
    await sch.assertExchange('events', 'topic', { durable: true });
    await api(src).put('/api/parameters/shovel/%2f/ex', {
      value: { 'src-uri': 'amqp://', 'src-exchange': 'events', 'src-exchange-key': 'a.#', 'dest-uri': dest.url, 'dest-queue': 'ev', 'ack-mode': 'no-ack' },
    });
    await eventually(async () => ((await api(src).get('/api/shovels')).json[0]?.state === 'running' ? true : undefined));
    for (let i = 0; i < 300; i++) sch.publish('events', i % 2 ? 'a.b' : 'b.a', Buffer.from(String(i)));
    await sch.waitForConfirms();
    await sc.close();
    await eventually(async () => ((await depth(dest.url, 'ev')) === 150 ? true : undefined), 15000);
    const rows = (await api(src).get('/api/shovels')).json as Array<Record<string, unknown>>;
    expect(rows[0]).toMatchObject({ src_exchange: 'events', src_exchange_key: 'a.#', dest_queue: 'ev' });
  }, 30_000);
});

describe('shovels are parameters', () => {
  it('survive a restart of the broker running them (and keep moving), and are in the definitions export', async () => {
    expect.hasAssertions();
    const dest = await start();
    const dir = tempDir();
    let src = await start({ dataDir: dir });
    await fill(src.url, 'kept', 100);
    const value = { 'src-uri': 'amqp://', 'src-queue': 'kept', 'dest-uri': dest.url, 'dest-queue': 'kept' };
    expect((await api(src).put('/api/parameters/shovel/%2f/durable', { value })).status).toBe(201);
    await eventually(async () => ((await depth(dest.url, 'kept')) === 100 ? true : undefined), 10000);
    const exported = (await api(src).get('/api/definitions')).json as { parameters: unknown[] };
    expect(exported.parameters).toContainEqual({ value, vhost: '/', component: 'shovel', name: 'durable' });
    await src.close();
    running.splice(running.indexOf(src), 1);
    src = await start({ dataDir: dir });
    await eventually(async () => ((await api(src).get('/api/shovels')).json[0]?.state === 'running' ? true : undefined), 10000);
    await fill(src.url, 'kept', 50, 100);
    await eventually(async () => ((await depth(dest.url, 'kept')) === 150 ? true : undefined), 10000);
  }, 30_000);
});

describe('shovel bad input', () => {
  it('answers invalid values with RabbitMQ reasons', async () => {
    expect.hasAssertions();
    const b = await start();
    const put = (value: unknown) => api(b).put('/api/parameters/shovel/%2f/bad', { value });
    const base = { 'src-uri': 'amqp://', 'dest-uri': 'amqp://' };
    const cases: Array<[unknown, string]> = [
      [{ ...base, 'src-queue': 'a', 'src-exchange': 'x' }, "Cannot specify 'src-exchange' and 'src-queue'"],
      [{ ...base, 'src-queue': 'a', foo: 1 }, 'Unrecognised terms [{&lt;&lt;"foo"&gt;&gt;,1}] in bad'],
      [{ ...base }, "Must specify 'src-exchange' or 'src-queue'"],
      [{ 'src-uri': 'amqp://', 'src-queue': 'a' }, 'Key "dest-uri" not found in bad'],
      [{ ...base, 'src-queue': 'a', 'dest-queue': 'b', 'dest-exchange': 'x' }, "Cannot specify 'dest-exchange' and 'dest-queue'"],
      [{ ...base, 'src-queue': 'a', 'ack-mode': 'foo' }, 'ack-mode should be one of [&lt;&lt;"no-ack"&gt;&gt;,&lt;&lt;"on-publish"&gt;&gt;,&lt;&lt;"on-confirm"&gt;&gt;], actually was &lt;&lt;"foo"&gt;&gt;'],
      [{ ...base, 'src-queue': 'a', 'src-prefetch-count': 'x' }, 'src-prefetch-count should be a number, actually was &lt;&lt;"x"&gt;&gt;'],
      [{ ...base, 'src-queue': 'a', 'src-delete-after': -1 }, 'src-delete-after should be a number greater than or equal to 0, "never" or "queue-length", actually was -1'],
      [{ ...base, 'src-queue': 'a', 'reconnect-delay': 'x' }, 'reconnect-delay should be a number, actually was &lt;&lt;"x"&gt;&gt;'],
      [{ ...base, 'src-queue': 'a', 'add-forward-headers': 'x' }, 'add-forward-headers should be boolean, actually was &lt;&lt;"x"&gt;&gt;'],
      [{ ...base, 'src-queue': 'a', 'dest-publish-properties': 1 }, 'dest-publish-properties not a list 1'],
      [{ ...base, 'src-queue': 1 }, 'src-queue should be binary, actually was 1'],
      [{ 'src-uri': 1, 'dest-uri': 'amqp://', 'src-queue': 'a' }, 'src-uri should be list, actually was 1'],
      [{ ...base, 'src-queue': 'a', 'src-protocol': 'amqp10' }, 'src-protocol &lt;&lt;"amqp10"&gt;&gt; is not supported by Warren (only amqp091)'],
    ];
    for (const [value, reason] of cases) {
      const r = await put(value);
      expect(r.status, JSON.stringify(value)).toBe(400);
      expect(r.json).toEqual({ error: 'bad_request', reason: `Validation failed\n\n${reason}\n` });
    }
    const uri = await put({ 'src-uri': ['amqp://', 'amqp://u:topsecret@h:99999'], 'dest-uri': 'amqp://', 'src-queue': 'a' });
    expect(uri.status).toBe(400);
    expect(uri.json.reason).toMatch(/^Validation failed\n\n"amqp:\/\/u@h:99999" not a valid URI: /);
    expect(uri.text).not.toContain('topsecret');
    expect((await api(b).get('/api/parameters/shovel')).json).toEqual([]);
  });

  it('a refused login or an unreachable destination is terminated with a reason, retried, and no password is ever logged', async () => {
    expect.hasAssertions();
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        lines.push(chunk.toString());
        done();
      },
    });
    const dest = await start();
    const src = await start({ logger: pino({ level: 'debug' }, sink) });
    await fill(src.url, 'keep', 10);
    await api(src).put('/api/parameters/shovel/%2f/refused', {
      value: { 'src-uri': 'amqp://', 'src-queue': 'keep', 'dest-uri': `amqp://guest:wrong-pw-123@localhost:${dest.port}`, 'dest-queue': 'x', 'reconnect-delay': 0.1 },
    });
    await api(src).put('/api/parameters/shovel/%2f/nowhere', {
      value: { 'src-uri': 'amqp://', 'src-queue': 'keep', 'dest-uri': 'amqp://guest:other-pw-456@127.0.0.1:1', 'dest-queue': 'x', 'reconnect-delay': 0.1 },
    });
    const refused = await eventually(async () => {
      const rows = (await api(src).get('/api/shovels')).json as Array<{ name: string; state: string; reason?: string }>;
      const r = rows.find((x) => x.name === 'refused');
      return r?.state === 'terminated' ? r : undefined;
    });
    expect(refused.reason).toMatch(/refused the login/);
    const nowhere = await eventually(async () => {
      const rows = (await api(src).get('/api/shovels')).json as Array<{ name: string; state: string; reason?: string }>;
      const r = rows.find((x) => x.name === 'nowhere');
      return r?.state === 'terminated' ? r : undefined;
    });
    expect(nowhere.reason).toMatch(/ECONNREFUSED|cannot connect/);
    // Retried: several failures logged for each.
    await eventually(async () => (lines.filter((l) => l.includes('"shovel":"refused"') && l.includes('will retry')).length >= 3 ? true : undefined));
    expect(await depth(src.url, 'keep')).toBe(10);
    const all = lines.join('');
    expect(all).not.toContain('wrong-pw-123');
    expect(all).not.toContain('other-pw-456');
    expect(JSON.stringify((await api(src).get('/api/shovels')).json)).not.toMatch(/wrong-pw|other-pw/);
    // restart: 204 for a shovel, 404 otherwise.
    expect((await api(src).del('/api/shovels/vhost/%2f/refused/restart')).status).toBe(204);
    expect((await api(src).del('/api/shovels/vhost/%2f/none/restart')).status).toBe(404);
  }, 20_000);
});
