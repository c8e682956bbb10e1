// `warren ping`, `warren status`, `warren export-definitions` and `warren import-definitions` against brokers the
// test starts (real processes, real HTTP), and their exit codes when nothing answers.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import amqp from 'amqplib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiClient } from '../support/http.js';
import { cleanup, freePort, runWarren, startWarren, tempDir, type StartedWarren } from './cli-support.js';

afterAll(cleanup);

describe('warren ping and status', () => {
  let w: StartedWarren;
  beforeAll(async () => {
    w = await startWarren();
  });

  it('ping exits 0 after an AMQP handshake with the running broker', async () => {
    expect.hasAssertions();
    const r = await runWarren(['ping', '--port', String(w.port)]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(`Ping succeeded: Warren ${w.line.version as string} answers AMQP 0-9-1 on localhost:${w.port}\n`);
    expect(r.stderr).toBe('');
    const viaEnv = await runWarren(['ping', '-q'], { WARREN_PORT: String(w.port) });
    expect(viaEnv.code).toBe(0);
    expect(viaEnv.stdout).toBe('');
  });

  it('ping still exits 0 when the broker answers but refuses the login, and says so', async () => {
    expect.hasAssertions();
    const r = await runWarren(['ping', '--port', String(w.port), '--username', 'guest', '--password', 'wrong']);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain("login as 'guest' was refused (403 ACCESS_REFUSED");
  });

  it('ping --management asks the management API', async () => {
    expect.hasAssertions();
    const r = await runWarren(['ping', '--management', '--management-url', w.managementUrl]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`answers on ${w.managementUrl}`);
  });

  it('status prints version, uptime, listeners and totals', async () => {
    expect.hasAssertions();
    const api = apiClient(w.managementUrl);
    await api.put('/api/queues/%2F/status-q', { durable: false });
    await api.post('/api/exchanges/%2F/amq.default/publish', { routing_key: 'status-q', payload: 'x', payload_encoding: 'string', properties: {} });
    const conn = await amqp.connect(`amqp://guest:guest@localhost:${w.port}`);
    try {
      const r = await runWarren(['status', '--management-url', w.managementUrl]);
      expect(r.code).toBe(0);
      expect(r.stdout).toContain('Status of node warren@localhost ...');
      expect(r.stdout).toContain(`Product name: Warren\nProduct version: ${w.line.version as string}`);
      expect(r.stdout).toMatch(/Uptime \(seconds\): \d+/);
      expect(r.stdout).toContain(`Interface: [::], port: ${w.port}, protocol: amqp, purpose: AMQP 0-9-1 and AMQP 1.0`);
      expect(r.stdout).toContain(`port: ${w.managementPort}, protocol: http, purpose: HTTP API`);
      expect(r.stdout).toContain(`port: ${w.prometheusPort}, protocol: http/prometheus`);
      expect(r.stdout).toContain('Connection count: 1');
      expect(r.stdout).toContain('Queue count: 1');
      expect(r.stdout).toContain('Messages: 1 (ready 1, unacknowledged 0)');
    } finally {
      await conn.close();
    }
  });

  it('ping and status exit 1 with a clear message when nothing answers', async () => {
    expect.hasAssertions();
    const port = await freePort();
    const ping = await runWarren(['ping', '--port', String(port)]);
    expect(ping.code).toBe(1);
    expect(ping.stdout).toBe('');
    expect(ping.stderr).toBe(`warren: ping failed: no AMQP broker answers on localhost:${port}: connection refused (is it running? set --port / WARREN_PORT)\n`);
    const status = await runWarren(['status', '--management-url', `http://localhost:${port}`]);
    expect(status.code).toBe(1);
    expect(status.stderr).toContain(`warren: cannot reach the management API at http://localhost:${port}: connection refused`);
    const mping = await runWarren(['ping', '--management', '--management-url', `http://localhost:${port}`]);
    expect(mping.code).toBe(1);
  });

  it('status exits 1 when the credentials are refused', async () => {
    expect.hasAssertions();
    const r = await runWarren(['status', '--management-url', w.managementUrl, '--username', 'guest', '--password', 'nope']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`refused user 'guest'`);
  });
});

describe('warren export-definitions and import-definitions', () => {
  let a: StartedWarren;
  let b: StartedWarren;
  beforeAll(async () => {
    [a, b] = await Promise.all([startWarren(), startWarren()]);
    const api = apiClient(a.managementUrl);
    expect((await api.put('/api/vhosts/shop', {})).status).toBe(201);
    expect((await api.put('/api/users/clerk', { password: 'till', tags: 'management' })).status).toBe(201);
    expect((await api.put('/api/permissions/shop/clerk', { configure: '^$', write: 'orders', read: '.*' })).status).toBe(201);
    expect((await api.put('/api/exchanges/shop/orders', { type: 'topic', durable: true })).status).toBe(201);
    expect((await api.put('/api/queues/shop/paid', { durable: true, arguments: { 'x-message-ttl': 60000 } })).status).toBe(201);
    expect((await api.post('/api/bindings/shop/e/orders/q/paid', { routing_key: 'order.paid' })).status).toBe(201);
  });

  const topology = (defs: Record<string, unknown>) => ({
    vhosts: (defs.vhosts as Array<{ name: string }>).map((v) => v.name).sort(),
    users: (defs.users as Array<{ name: string; password_hash: string; tags: string[] }>).map((u) => [u.name, u.password_hash, u.tags]).sort(),
    permissions: defs.permissions,
    exchanges: defs.exchanges,
    queues: defs.queues,
    bindings: defs.bindings,
  });

  it('round-trips a broker through a file: export from one, import into another', async () => {
    expect.hasAssertions();
    const file = join(tempDir(), 'defs.json');
    const exported = await runWarren(['export-definitions', file, '--management-url', a.managementUrl]);
    expect(exported.code).toBe(0);
    expect(exported.stdout).toBe(`Exported definitions from ${a.managementUrl} to ${file}\n`);
    const defs = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
    expect(defs.queues).toEqual([{ name: 'paid', vhost: 'shop', durable: true, auto_delete: false, arguments: { 'x-message-ttl': 60000 } }]);

    const imported = await runWarren(['import-definitions', file, '--management-url', b.managementUrl]);
    expect(imported.code).toBe(0);
    expect(imported.stdout).toBe(`Imported definitions from ${file} into ${b.managementUrl}\n`);

    const again = await runWarren(['export-definitions', '-', '--management-url', b.managementUrl]);
    expect(again.code).toBe(0);
    expect(topology(JSON.parse(again.stdout) as Record<string, unknown>)).toEqual(topology(defs));

    // The imported user logs in to the second broker with its original password.
    const conn = await amqp.connect(`amqp://clerk:till@localhost:${b.port}/shop`);
    await conn.close();
  });

  it('exports to stdout without a file and imports from stdin with -', async () => {
    expect.hasAssertions();
    const out = await runWarren(['export-definitions', '--management-url', a.managementUrl]);
    expect(out.code).toBe(0);
    const defs = JSON.parse(out.stdout) as Record<string, unknown>;
    expect(defs.product_name).toBe('Warren');
    const c = await startWarren();
    const r = await runWarren(['import-definitions', '-', '--management-url', c.managementUrl], {}, out.stdout);
    expect(r.code).toBe(0);
    expect((await apiClient(c.managementUrl).get('/api/queues/shop/paid')).status).toBe(200);
  });

  it('exports and imports one vhost with -p', async () => {
    expect.hasAssertions();
    const out = await runWarren(['export-definitions', '-p', 'shop', '--management-url', a.managementUrl]);
    expect(out.code).toBe(0);
    const defs = JSON.parse(out.stdout) as Record<string, unknown>;
    expect(defs.users).toBeUndefined();
    expect((defs.queues as Array<{ name: string }>).map((q) => q.name)).toEqual(['paid']);
    const file = join(tempDir(), 'shop.json');
    writeFileSync(file, out.stdout);
    const api = apiClient(b.managementUrl);
    await api.put('/api/vhosts/shop2', {});
    const r = await runWarren(['import-definitions', file, '-p', 'shop2', '--management-url', b.managementUrl]);
    expect(r.code).toBe(0);
    expect((await api.get('/api/queues/shop2/paid')).status).toBe(200);
  });

  it('refuses a bad file with a clear message and exit 1, changing nothing', async () => {
    expect.hasAssertions();
    const dir = tempDir();
    const notJson = join(dir, 'bad.json');
    writeFileSync(notJson, '{"queues": [');
    const r1 = await runWarren(['import-definitions', notJson, '--management-url', b.managementUrl]);
    expect(r1.code).toBe(1);
    expect(r1.stderr).toContain(`warren: ${notJson}: not valid JSON`);
    const badVhost = join(dir, 'ghost.json');
    writeFileSync(badVhost, JSON.stringify({ queues: [{ name: 'q', vhost: 'ghost', durable: true }] }));
    const r2 = await runWarren(['import-definitions', badVhost, '--management-url', b.managementUrl]);
    expect(r2.code).toBe(1);
    expect(r2.stderr).toContain(`import of ${badVhost} refused (400): definitions: vhost 'ghost' does not exist`);
    const missing = await runWarren(['import-definitions', join(dir, 'nope.json'), '--management-url', b.managementUrl]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('no such file');
    const usage = await runWarren(['import-definitions', '--management-url', b.managementUrl]);
    expect(usage.code).toBe(64);
  });

  it('exits 1 when the management API does not answer', async () => {
    expect.hasAssertions();
    const port = await freePort();
    const r = await runWarren(['export-definitions', '--management-url', `http://localhost:${port}`]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('cannot reach the management API');
  });
});
