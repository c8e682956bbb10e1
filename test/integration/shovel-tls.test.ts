// Shovels over amqps:// with RabbitMQ's URI query parameters (cacertfile, verify, server_name_indication): a
// destination with a certificate from the given CA gets every message; one the CA did not sign is refused (terminated).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import amqp from 'amqplib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBroker, type RunningBroker } from '../../src/index.js';
import { apiClient, eventually } from '../support/http.js';

let dir = '';
const file = (name: string) => join(dir, name);
const brokers: RunningBroker[] = [];

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'warren-shovel-tls-'));
  const openssl = (...a: string[]) => execFileSync('openssl', a, { cwd: dir, stdio: 'pipe' });
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  for (const ca of ['ca', 'other-ca']) {
    openssl('req', '-x509', ...ec, '-keyout', `${ca}.key`, '-out', `${ca}.pem`, '-days', '2', '-subj', `/CN=${ca}`, '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign');
  }
  openssl('req', ...ec, '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=localhost');
  writeFileSync(file('server.ext'), 'subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n');
  openssl('x509', '-req', '-in', 'server.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-set_serial', '1001', '-days', '2', '-out', 'server.pem', '-extfile', 'server.ext');
});

afterAll(async () => {
  for (const b of brokers) await b.close().catch(() => {});
  rmSync(dir, { recursive: true, force: true });
});

async function start(o: Parameters<typeof startBroker>[0] = {}): Promise<RunningBroker> {
  const b = await startBroker({ port: 0, managementPort: 0, dataDir: mkdtempSync(join(dir, 'data-')), logLevel: 'silent', ...o });
  brokers.push(b);
  return b;
}

describe('shovels over amqps://', () => {
  it('verify_peer with the right cacertfile moves every message; with another CA the shovel is terminated with the reason', async () => {
    expect.hasAssertions();
    const dest = await start({ tls: { port: 0, cert: readFileSync(file('server.pem')), key: readFileSync(file('server.key')) } });
    const src = await start();
    const api = apiClient(`http://localhost:${src.managementPort}`);
    const c = await amqp.connect(src.url);
    const ch = await c.createConfirmChannel();
    await ch.assertQueue('tls-src', { durable: true });
    for (let i = 0; i < 200; i++) ch.sendToQueue('tls-src', Buffer.from(String(i)), { persistent: true });
    await ch.waitForConfirms();
    await c.close();
    const uri = (ca: string) => `amqps://guest:guest@localhost:${dest.tlsPort}?cacertfile=${encodeURIComponent(file(ca))}&verify=verify_peer&server_name_indication=localhost`;
    expect((await api.put('/api/parameters/shovel/%2f/bad-ca', { value: { 'src-uri': 'amqp://', 'src-queue': 'tls-none', 'dest-uri': uri('other-ca.pem'), 'dest-queue': 'x', 'reconnect-delay': 0.2 } })).status).toBe(201);
    expect((await api.put('/api/parameters/shovel/%2f/tls', { value: { 'src-uri': 'amqp://', 'src-queue': 'tls-src', 'dest-uri': uri('ca.pem'), 'dest-queue': 'tls-dst' } })).status).toBe(201);
    const d = await amqp.connect(dest.url);
    const dch = await d.createChannel();
    await eventually(async () => ((await dch.assertQueue('tls-dst', { durable: true })).messageCount === 200 ? true : undefined), 10000);
    await d.close();
    const rows = (await api.get('/api/shovels')).json as Array<{ name: string; state: string; dest_uri?: string; reason?: string }>;
    expect(rows.find((r) => r.name === 'tls')).toMatchObject({ state: 'running', dest_uri: expect.stringMatching(/^amqps:\/\/guest@localhost:\d+\?cacertfile=/) });
    const bad = await eventually(async () => {
      const r = ((await api.get('/api/shovels')).json as typeof rows).find((x) => x.name === 'bad-ca');
      return r?.state === 'terminated' ? r : undefined;
    });
    expect(bad.reason).toMatch(/certificate|verify|issuer/i);
  }, 30_000);
});
