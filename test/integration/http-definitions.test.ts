// Definitions through GET/POST /api/definitions: RabbitMQ's JSON format, password hashes that authenticate, typed
// arguments, per-vhost files, refusals that change nothing, and a Warren → Warren round trip.
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import amqp from 'amqplib';
import { describe, expect, it } from 'vitest';
import { startBroker } from '../../src/index.js';
import { apiClient } from '../support/http.js';
import { useBroker } from '../support/broker.js';

const source = useBroker({ managementPort: 0 });

const api = () => apiClient(`http://localhost:${source.current.managementPort}`);

/** A second, empty broker for the round trip. */
async function withTarget<T>(fn: (target: Awaited<ReturnType<typeof startBroker>>) => Promise<T>): Promise<T> {
  const dir = mkdtempSync(join(tmpdir(), 'warren-defs-'));
  const target = await startBroker({ port: 0, dataDir: dir, logLevel: 'silent', managementPort: 0 });
  try {
    return await fn(target);
  } finally {
    await target.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** RabbitMQ's rabbit_password_hashing_sha256 with a fixed salt. */
function rabbitHash(password: string, salt = Buffer.from([1, 2, 3, 4])): string {
  return Buffer.concat([salt, createHash('sha256').update(salt).update(password).digest()]).toString('base64');
}

describe('definitions', () => {
  it('exports in RabbitMQ format: users with salted SHA-256 hashes, vhosts, permissions, queues, exchanges, bindings', async () => {
    expect.hasAssertions();
    const conn = await amqp.connect(source.current.url);
    const ch = await conn.createChannel();
    await ch.assertExchange('defs.x', 'topic', { durable: true, arguments: { 'alternate-exchange': 'amq.fanout' } });
    await ch.assertQueue('defs.q', { durable: true, arguments: { 'x-max-length': 10, 'x-dead-letter-exchange': 'defs.x' } });
    await ch.bindQueue('defs.q', 'defs.x', 'k.#', { b: true });
    await ch.assertQueue('defs.exclusive', { exclusive: true });
    const r = await api().get('/api/definitions');
    await conn.close();
    expect(r.status).toBe(200);
    const d = r.json;
    expect(Object.keys(d)).toEqual([
      'rabbit_version', 'rabbitmq_version', 'product_name', 'product_version', 'users', 'vhosts', 'permissions',
      'topic_permissions', 'parameters', 'global_parameters', 'policies', 'queues', 'exchanges', 'bindings',
    ]);
    const guest = d.users.find((u: { name: string }) => u.name === 'guest');
    expect(guest).toEqual({ name: 'guest', password_hash: expect.any(String), hashing_algorithm: 'rabbit_password_hashing_sha256', tags: ['administrator'], limits: {} });
    const raw = Buffer.from(guest.password_hash, 'base64');
    expect(createHash('sha256').update(raw.subarray(0, 4)).update('guest').digest().equals(raw.subarray(4))).toBe(true);
    expect(d.vhosts).toContainEqual({ name: '/' });
    expect(d.permissions).toContainEqual({ user: 'guest', vhost: '/', configure: '.*', write: '.*', read: '.*' });
    expect(d.queues).toContainEqual({ name: 'defs.q', vhost: '/', durable: true, auto_delete: false, arguments: { 'x-max-length': 10, 'x-dead-letter-exchange': 'defs.x' } });
    expect(d.queues.some((q: { name: string }) => q.name === 'defs.exclusive')).toBe(false);
    expect(d.exchanges).toContainEqual({ name: 'defs.x', vhost: '/', type: 'topic', durable: true, auto_delete: false, internal: false, arguments: { 'alternate-exchange': 'amq.fanout' } });
    expect(d.exchanges.some((x: { name: string }) => x.name === '' || x.name.startsWith('amq.'))).toBe(false);
    expect(d.bindings).toContainEqual({ source: 'defs.x', vhost: '/', destination: 'defs.q', destination_type: 'queue', routing_key: 'k.#', arguments: { b: true } });
    expect(d.bindings.some((b: { source: string }) => b.source === '')).toBe(false);
    const again = await api().get('/api/definitions');
    expect(again.json.users).toEqual(d.users);
    const dl = await api().get('/api/definitions?download=defs.json');
    expect(dl.headers.get('content-disposition')).toBe('attachment; filename="defs.json"');
  });

  it('round-trips Warren → Warren: the same definitions come back, and hashed users log in with their passwords', async () => {
    expect.hasAssertions();
    await api().put('/api/vhosts/defs-vh', {});
    await api().put('/api/users/defs-user', { password: 'pa55', tags: ['management'] });
    await api().put('/api/permissions/defs-vh/defs-user', { configure: '^defs', write: '.*', read: '.*' });
    await api().put('/api/exchanges/defs-vh/rt.x', { type: 'headers', durable: true, arguments: { note: 'hi', nested: { deep: [1, 'two', false] } } });
    await api().put('/api/queues/defs-vh/rt.q', { durable: true, arguments: { 'x-message-ttl': 60000, 'x-queue-mode': 'lazy', ratio: 0.5 } });
    await api().put('/api/queues/defs-vh/rt.transient', { durable: false, auto_delete: true });
    await api().post('/api/bindings/defs-vh/e/rt.x/q/rt.q', { routing_key: '', arguments: { 'x-match': 'any', kind: 'a' } });
    await api().post('/api/bindings/defs-vh/e/rt.x/e/amq.topic', { routing_key: 'r' });
    const exported = (await api().get('/api/definitions')).json;

    await withTarget(async (target) => {
      const tapi = apiClient(`http://localhost:${target.managementPort}`);
      const r = await tapi.post('/api/definitions', exported);
      expect(r.status).toBe(204);
      const back = (await tapi.get('/api/definitions')).json;
      for (const key of ['users', 'vhosts', 'permissions', 'queues', 'exchanges', 'bindings']) {
        expect(sorted(back[key]), key).toEqual(sorted(exported[key]));
      }
      // Arguments kept their RabbitMQ types: integers long, fractions double, strings longstr.
      const q = target.broker.vhosts.get('defs-vh')!.queues.get('rt.q')!;
      expect(q.arguments.get('x-message-ttl')).toEqual({ type: 'l', value: 60000 });
      expect(q.arguments.get('ratio')).toEqual({ type: 'd', value: 0.5 });
      expect(q.arguments.get('x-queue-mode')).toEqual({ type: 'S', value: 'lazy' });
      const x = target.broker.vhosts.get('defs-vh')!.exchanges.get('rt.x')!;
      expect(x.arguments.get('nested')).toEqual({ type: 'F', value: new Map([['deep', { type: 'A', value: [{ type: 'l', value: 1 }, { type: 'S', value: 'two' }, { type: 't', value: false }] }]]) });
      // The imported hash authenticates over AMQP, and the imported binding routes.
      const conn = await amqp.connect(`amqp://defs-user:pa55@localhost:${target.port}/defs-vh`);
      const ch = await conn.createChannel();
      ch.publish('rt.x', '', Buffer.from('routed'), { headers: { kind: 'a' } });
      await new Promise((r) => setTimeout(r, 50));
      const msg = await ch.get('rt.q', { noAck: true });
      expect(msg && msg.content.toString()).toBe('routed');
      await conn.close();
      await expect(amqp.connect(`amqp://defs-user:nope@localhost:${target.port}/defs-vh`)).rejects.toThrow(/ACCESS_REFUSED|403/);
    });
  });

  it('imports RabbitMQ-made users: sha256 and sha512 hashes, tags as a list or a comma string', async () => {
    expect.hasAssertions();
    const salt = Buffer.from([9, 8, 7, 6]);
    const sha512 = Buffer.concat([salt, createHash('sha512').update(salt).update('five12').digest()]).toString('base64');
    const r = await api().post('/api/definitions', {
      users: [
        { name: 'imp-a', password_hash: rabbitHash('alpha'), hashing_algorithm: 'rabbit_password_hashing_sha256', tags: 'management,monitoring' },
        { name: 'imp-b', password_hash: sha512, hashing_algorithm: 'rabbit_password_hashing_sha512', tags: ['administrator'] },
      ],
    });
    expect(r.status).toBe(204);
    expect((await api().get('/api/users/imp-a')).json).toEqual({ name: 'imp-a', password_hash: rabbitHash('alpha'), hashing_algorithm: 'rabbit_password_hashing_sha256', tags: ['management', 'monitoring'], limits: {} });
    // The hashes authenticate over AMQP: login passes and only connection.open is refused, for want of permissions.
    await expect(amqp.connect(`amqp://imp-a:alpha@localhost:${source.current.port}`)).rejects.toThrow(/ConnectionClose/);
    await expect(amqp.connect(`amqp://imp-b:five12@localhost:${source.current.port}`)).rejects.toThrow(/ConnectionClose/);
    await expect(amqp.connect(`amqp://imp-b:wrong@localhost:${source.current.port}`)).rejects.toThrow(/ACCESS_REFUSED|403/);
    expect((await apiClient(api().base, 'imp-b', 'five12').get('/api/whoami')).json).toEqual({ name: 'imp-b', tags: ['administrator'] });
    expect((await api().get('/api/permissions/%2F/imp-a')).status).toBe(404);
  });

  it('exports and imports one vhost with /api/definitions/{vhost}', async () => {
    expect.hasAssertions();
    await api().put('/api/vhosts/defs-one', {});
    await api().put('/api/queues/defs-one/one.q', { durable: true });
    const d = (await api().get('/api/definitions/defs-one')).json;
    expect(d).toMatchObject({ queues: [{ name: 'one.q', durable: true, auto_delete: false, arguments: {} }], exchanges: [], bindings: [] });
    expect(d.users).toBeUndefined();
    await api().put('/api/vhosts/defs-two', {});
    expect((await api().post('/api/definitions/defs-two', d)).status).toBe(204);
    expect((await api().get('/api/queues/defs-two/one.q')).json).toMatchObject({ name: 'one.q', vhost: 'defs-two', durable: true });
  });

  it('refuses a bad file with 400 and changes nothing', async () => {
    expect.hasAssertions();
    const before = (await api().get('/api/definitions')).json;
    const cases: Array<[unknown, RegExp]> = [
      ['{nope', /not_json/],
      [{ queues: [{ name: 'bad.q', vhost: 'no-such-vhost', durable: true, auto_delete: false, arguments: {} }] }, /vhost 'no-such-vhost' does not exist/],
      [{ queues: [{ name: 'bad.q', vhost: '/', arguments: { 'x-max-length': 'many' } }] }, /invalid arg 'x-max-length'/],
      [{ exchanges: [{ name: 'bad.x', vhost: '/', type: 'x-unknown' }] }, /unknown exchange type 'x-unknown'/],
      [{ queues: [{ name: 'bad.q', vhost: '/' }], bindings: [{ source: 'missing.x', vhost: '/', destination: 'bad.q', destination_type: 'queue', routing_key: '', arguments: {} }] }, /no exchange 'missing.x'/],
      [{ users: [{ name: 'bad-user', password_hash: 'xx', hashing_algorithm: 'rabbit_password_hashing_rot13' }] }, /unsupported hashing algorithm/],
      [{ queues: [{ name: 'bad.q', vhost: '/', arguments: { nothing: null } }] }, /null/],
      [{ queues: 'all of them' }, /'queues' must be a list/],
    ];
    for (const [body, reason] of cases) {
      const r = await api().post('/api/definitions', body);
      expect(r.status, JSON.stringify(body)).toBe(400);
      expect(r.json.error).toBe('bad_request');
      expect(String(r.json.reason)).toMatch(reason);
    }
    const after = (await api().get('/api/definitions')).json;
    expect(sorted(after.queues)).toEqual(sorted(before.queues));
    expect(sorted(after.users.map((u: { name: string }) => u.name))).toEqual(sorted(before.users.map((u: { name: string }) => u.name)));
  });

  it('keeps existing objects, skips amq.* exchanges, and imports policies', async () => {
    expect.hasAssertions();
    await api().put('/api/queues/%2F/keep.q', { durable: false });
    const r = await api().post('/api/definitions', {
      policies: [{ vhost: '/', name: 'ha', pattern: '.*', 'apply-to': 'queues', definition: { 'ha-mode': 'all' }, priority: 0 }],
      queues: [{ name: 'keep.q', vhost: '/', durable: true, auto_delete: false, arguments: {} }],
      exchanges: [{ name: 'amq.custom', vhost: '/', type: 'direct', durable: true, auto_delete: false, internal: false, arguments: {} }],
    });
    expect(r.status).toBe(204);
    expect((await api().get('/api/queues/%2F/keep.q')).json.durable).toBe(false);
    expect((await api().get('/api/exchanges/%2F/amq.custom')).status).toBe(404);
    expect((await api().get('/api/policies/%2F/ha')).json).toEqual({ vhost: '/', name: 'ha', pattern: '.*', 'apply-to': 'queues', definition: { 'ha-mode': 'all' }, priority: 0 });
    expect((await api().del('/api/policies/%2F/ha')).status).toBe(204);
  });

  it('refuses a file holding an invalid policy, naming it, and applies nothing of it', async () => {
    const r = await api().post('/api/definitions', {
      queues: [{ name: 'never.q', vhost: '/', durable: true, auto_delete: false, arguments: {} }],
      policies: [
        { vhost: '/', name: 'fine', pattern: '^a', definition: { 'max-length': 1 } },
        { vhost: '/', name: 'DLX', pattern: '^work\\.', definition: { 'message-ttl': 'soon' } },
      ],
    });
    expect(r.status).toBe(400);
    expect(r.json.reason).toBe(`definitions: policy 'DLX' in vhost '/': <<"soon">> is not a valid message TTL`);
    expect((await api().get('/api/queues/%2F/never.q')).status).toBe(404);
    expect((await api().get('/api/policies/%2F/fine')).status).toBe(404);
  });

  it('exports policies, operator policies and parameters as RabbitMQ does, and imports them back', async () => {
    expect((await api().put('/api/vhosts/defs-pol', {})).status).toBe(201);
    expect((await api().put('/api/policies/defs-pol/p', { pattern: '^a', definition: { 'max-length': 1 }, priority: 2 })).status).toBe(201);
    expect((await api().put('/api/operator-policies/defs-pol/o', { pattern: '^a', definition: { 'max-length': 1 } })).status).toBe(201);
    expect((await api().put('/api/vhost-limits/defs-pol/max-queues', { value: 5 })).status).toBe(204);
    expect((await api().put('/api/parameters/federation-upstream/defs-pol/up', { value: { uri: 'amqp://x' } })).status).toBe(201);
    const whole = (await api().get('/api/definitions')).json;
    const one = (await api().get('/api/definitions/defs-pol')).json;
    const policies = [{ vhost: 'defs-pol', name: 'p', pattern: '^a', 'apply-to': 'all', definition: { 'max-length': 1 }, priority: 2 }];
    const parameters = [
      { value: { 'max-queues': 5 }, vhost: 'defs-pol', component: 'vhost-limits', name: 'limits' },
      { value: { pattern: '^a', definition: { 'max-length': 1 }, priority: 0, 'apply-to': 'all' }, vhost: 'defs-pol', component: 'operator_policy', name: 'o' },
      { value: { uri: 'amqp://x' }, vhost: 'defs-pol', component: 'federation-upstream', name: 'up' },
    ];
    for (const d of [whole, one]) {
      expect(d.policies.filter((p: Json) => p.vhost === 'defs-pol')).toEqual(policies);
      expect(sorted(d.parameters.filter((p: Json) => p.vhost === 'defs-pol'))).toEqual(sorted(parameters));
    }
    expect(whole.global_parameters.map((g: Json) => g.name)).toContain('internal_cluster_id');
    expect((await api().del('/api/vhosts/defs-pol')).status).toBe(204);
    expect((await api().post('/api/definitions', { vhosts: [{ name: 'defs-pol' }], policies: whole.policies, parameters: whole.parameters })).status).toBe(204);
    const again = (await api().get('/api/definitions/defs-pol')).json;
    expect(again.policies).toEqual(policies);
    expect(sorted(again.parameters)).toEqual(sorted(parameters));
    expect((await api().del('/api/vhosts/defs-pol')).status).toBe(204);
  });

  it('requires an administrator', async () => {
    expect.hasAssertions();
    await api().put('/api/users/defs-mgmt', { password: 'pw', tags: ['management'] });
    const r = await apiClient(api().base, 'defs-mgmt', 'pw').get('/api/definitions');
    expect(r.status).toBe(401);
    expect(r.json).toEqual({ error: 'not_authorised', reason: 'Not administrator user' });
  });
});

function sorted<T>(items: T[]): T[] {
  return [...items].sort((a, b) => (JSON.stringify(a) < JSON.stringify(b) ? -1 : 1));
}
type Json = Record<string, any>;
