// What management, monitoring and administrator users see and may do through the management API, by vhost
// permissions: one set of expectations run against Warren and, when its management API answers, a real RabbitMQ
// (3.10; everything made there lives in dedicated vhosts and users, removed after).
import { randomUUID } from 'node:crypto';
import amqp from 'amqplib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiClient, eventually, reachableRabbitMq, type Api } from '../support/http.js';
import { useBroker } from '../support/broker.js';

const rabbit = await reachableRabbitMq();
const warren = useBroker({ managementPort: 0 });

type Json = Record<string, any>;
const enc = encodeURIComponent;
const VHOST_REFUSED = { error: 'not_authorised', reason: 'User not authorised to access virtual host' };
const OBJECT_REFUSED = { error: 'not_authorised', reason: 'User not authorised to access object' };
const NOT_ADMIN = { error: 'not_authorised', reason: 'Not administrator user' };
const NOT_MONITOR = { error: 'not_authorised', reason: 'Not monitor user' };

/** A broker under test: its API as an administrator, and where its AMQP listener is. */
interface Target {
  admin(): Api;
  amqpHost(): { hostname: string; port: number };
}

const warrenTarget: Target = {
  admin: () => apiClient(`http://localhost:${warren.current.managementPort}`),
  amqpHost: () => ({ hostname: 'localhost', port: warren.current.port }),
};

function scopeSuite(t: Target): void {
  const id = randomUUID().slice(0, 8);
  const A = `scope-a-${id}`;
  const B = `scope-b-${id}`;
  const user = (role: string) => `scope-${role}-${id}`;
  const PW = 'pw';
  /** management, monitoring, policymaker and administrator users with permissions in A only; `owner` (no tags) in B only. */
  const ROLES: Array<[string, string, string]> = [
    ['mgmt', 'management', A],
    ['mon', 'monitoring', A],
    ['pm', 'policymaker', A],
    ['adm', 'administrator', A],
    ['owner', '', B],
  ];
  const as = (role: string) => apiClient(t.admin().base, user(role), PW);
  const conns: amqp.ChannelModel[] = [];
  /** Connection names by role, as the API lists them. */
  const connName = new Map<string, string>();
  const mine = (items: Json[]) => items.filter((i) => i.vhost === A || i.vhost === B);
  const ourVhosts = (items: Json[]) => items.map((v) => v.name).filter((n) => n === A || n === B);
  const ours = (items: Json[]) => items.filter((i) => ROLES.some(([r]) => i.user === user(r)));

  beforeAll(async () => {
    const admin = t.admin();
    for (const v of [A, B]) expect((await admin.put(`/api/vhosts/${enc(v)}`, {})).status).toBe(201);
    for (const [role, tags, vhost] of ROLES) {
      expect((await admin.put(`/api/users/${user(role)}`, { password: PW, tags })).status).toBe(201);
      expect((await admin.put(`/api/permissions/${enc(vhost)}/${user(role)}`, { configure: '.*', write: '.*', read: '.*' })).status).toBe(201);
    }
    for (const [v, suffix] of [[A, 'a'], [B, 'b']] as const) {
      expect((await admin.put(`/api/queues/${enc(v)}/q${suffix}`, {})).status).toBe(201);
      expect((await admin.put(`/api/exchanges/${enc(v)}/x${suffix}`, { type: 'direct' })).status).toBe(201);
      expect((await admin.post(`/api/bindings/${enc(v)}/e/x${suffix}/q/q${suffix}`, { routing_key: 'k' })).status).toBe(201);
      expect((await admin.put(`/api/vhost-limits/${enc(v)}/max-queues`, { value: 100 })).status).toBe(204);
    }
    // A consuming connection each for the management, monitoring and no-tag users.
    for (const [role, vhost, queue] of [['mgmt', A, 'qa'], ['mon', A, 'qa'], ['owner', B, 'qb']] as const) {
      const conn = await amqp.connect({ ...t.amqpHost(), username: user(role), password: PW, vhost });
      conn.on('error', () => {});
      conns.push(conn);
      const ch = await conn.createChannel();
      await ch.consume(queue, () => {});
    }
    // RabbitMQ lists connections, channels and consumers once its stats have caught up.
    await eventually(async () => {
      const listed = ours((await admin.get('/api/connections')).json ?? []);
      const consumers = ((await admin.get('/api/consumers')).json ?? []).map((c: Json) => c.channel_details);
      if (listed.length < 3 || ours((await admin.get('/api/channels')).json ?? []).length < 3 || ours(consumers).length < 3) return undefined;
      // Queue totals too: RabbitMQ has them once each queue has sent its first stats (up to collect_statistics_interval, 5 s).
      if ((await admin.get(`/api/vhosts/${enc(A)}`)).json?.messages === undefined) return undefined;
      for (const c of listed) connName.set(c.user, c.name);
      return true;
    }, 20_000);
  });

  afterAll(async () => {
    await Promise.all(conns.map((c) => c.close().catch(() => {})));
    const admin = t.admin();
    for (const [role] of ROLES) await admin.del(`/api/users/${user(role)}`);
    for (const v of [A, B]) await admin.del(`/api/vhosts/${enc(v)}`);
  });

  it('a management or policymaker user lists queues, exchanges, bindings, vhosts and vhost limits of its vhosts only', async () => {
    expect.hasAssertions();
    for (const role of ['mgmt', 'pm']) {
      const api = as(role);
      expect((await api.get('/api/queues')).json.map((q: Json) => [q.vhost, q.name])).toEqual([[A, 'qa']]);
      const exchanges = (await api.get('/api/exchanges')).json;
      expect(new Set(exchanges.map((x: Json) => x.vhost))).toEqual(new Set([A]));
      expect(exchanges.map((x: Json) => x.name)).toContain('xa');
      expect((await api.get('/api/bindings')).json.map((b: Json) => [b.vhost, b.source, b.destination])).toEqual([
        [A, '', 'qa'],
        [A, 'xa', 'qa'],
      ]);
      expect((await api.get('/api/vhosts')).json.map((v: Json) => v.name)).toEqual([A]);
      expect((await api.get('/api/vhost-limits')).json).toEqual([{ vhost: A, value: { 'max-queues': 100 } }]);
      expect((await api.get(`/api/vhost-limits/${enc(A)}`)).json).toEqual([{ vhost: A, value: { 'max-queues': 100 } }]);
      expect((await api.get('/api/user-limits')).status).toBe(200);
    }
  });

  it("a monitoring user lists every vhost, but queues, exchanges and bindings only of the vhosts it has permissions in", async () => {
    expect.hasAssertions();
    const api = as('mon');
    expect(mine((await api.get('/api/queues')).json).map((q: Json) => [q.vhost, q.name])).toEqual([[A, 'qa']]);
    expect(new Set((await api.get('/api/exchanges')).json.map((x: Json) => x.vhost))).toEqual(new Set([A]));
    expect(new Set((await api.get('/api/bindings')).json.map((x: Json) => x.vhost))).toEqual(new Set([A]));
    expect(ourVhosts((await api.get('/api/vhosts')).json)).toEqual([A, B]);
    expect(mine((await api.get('/api/vhost-limits')).json).map((l: Json) => l.vhost)).toEqual([A, B]);
    expect((await api.get(`/api/vhost-limits/${enc(B)}`)).json).toEqual([{ vhost: B, value: { 'max-queues': 100 } }]);
  });

  it('an administrator lists and reads every vhost without permissions in it; its aliveness test there is refused', async () => {
    expect.hasAssertions();
    const api = as('adm');
    expect(mine((await api.get('/api/queues')).json).map((q: Json) => [q.vhost, q.name])).toEqual([
      [A, 'qa'],
      [B, 'qb'],
    ]);
    expect(ourVhosts((await api.get('/api/vhosts')).json)).toEqual([A, B]);
    expect((await api.get(`/api/queues/${enc(B)}/qb`)).status).toBe(200);
    expect((await api.get(`/api/exchanges/${enc(B)}/xb/bindings/source`)).json.map((b: Json) => b.destination)).toEqual(['qb']);
    expect((await api.get(`/api/vhosts/${enc(B)}`)).json.name).toBe(B);
    // Over a direct AMQP connection as the administrator, which has no access to B.
    const alive = await api.get(`/api/aliveness-test/${enc(B)}`);
    expect([alive.status, alive.json]).toEqual([401, { error: 'not_authorised', reason: 'Access refused.' }]);
  });

  it('answers 401 to management and monitoring users on any route naming a vhost they have no permissions in', async () => {
    expect.hasAssertions();
    const b = enc(B);
    const requests: Array<[string, string, unknown?]> = [
      ['GET', `/api/queues/${b}`],
      ['GET', `/api/queues/${b}/qb`],
      ['GET', `/api/queues/${b}/missing`],
      ['GET', `/api/queues/${b}/qb/bindings`],
      ['PUT', `/api/queues/${b}/made`, {}],
      ['DELETE', `/api/queues/${b}/qb`],
      ['DELETE', `/api/queues/${b}/qb/contents`],
      ['POST', `/api/queues/${b}/qb/get`, { count: 1, ackmode: 'ack_requeue_true', encoding: 'auto' }],
      ['GET', `/api/exchanges/${b}`],
      ['GET', `/api/exchanges/${b}/xb`],
      ['GET', `/api/exchanges/${b}/xb/bindings/source`],
      ['PUT', `/api/exchanges/${b}/made`, { type: 'direct' }],
      ['DELETE', `/api/exchanges/${b}/xb`],
      ['POST', `/api/exchanges/${b}/xb/publish`, { properties: {}, routing_key: 'k', payload: 'x', payload_encoding: 'string' }],
      ['GET', `/api/bindings/${b}`],
      ['GET', `/api/bindings/${b}/e/xb/q/qb`],
      ['POST', `/api/bindings/${b}/e/xb/q/qb`, { routing_key: 'k2' }],
      ['DELETE', `/api/bindings/${b}/e/xb/q/qb/k`],
      ['GET', `/api/vhosts/${b}/connections`],
      ['GET', `/api/vhosts/${b}/channels`],
      ['GET', `/api/aliveness-test/${b}`],
    ];
    for (const role of ['mgmt', 'mon']) {
      const api = as(role);
      for (const [method, path, body] of requests) {
        const r = await api.request(method, path, body);
        expect([r.status, r.json], `${role} ${method} ${path}`).toEqual([401, VHOST_REFUSED]);
      }
    }
    // The user's own vhost works; a vhost that does not exist is a 404 as for anyone.
    const api = as('mgmt');
    expect((await api.put(`/api/queues/${enc(A)}/made`, {})).status).toBe(201);
    expect((await api.del(`/api/queues/${enc(A)}/made`)).status).toBe(204);
    expect((await api.get(`/api/queues/${enc(A)}/missing`)).status).toBe(404);
    expect((await api.get(`/api/queues/nothing-${id}`)).json).toEqual({ error: 'Object Not Found', reason: 'Not Found' });
    expect((await api.put(`/api/queues/nothing-${id}/q`, {})).json).toEqual({ error: 'not_found', reason: 'vhost_not_found' });
    // Vhost limits follow the vhosts a user sees (a monitoring user sees B's, above).
    expect((await api.get(`/api/vhost-limits/${b}`)).json).toEqual(VHOST_REFUSED);
    // Nothing refused was done.
    expect(mine((await t.admin().get('/api/queues')).json).map((q: Json) => q.name)).toEqual(['qa', 'qb']);
    expect((await t.admin().get(`/api/bindings/${b}/e/xb/q/qb`)).json.map((x: Json) => x.routing_key)).toEqual(['k']);
  });

  it('keeps a single vhost, the vhost changes and the node to administrators and monitoring users', async () => {
    expect.hasAssertions();
    for (const role of ['mgmt', 'mon']) {
      const api = as(role);
      for (const [method, path] of [['GET', `/api/vhosts/${enc(A)}`], ['GET', `/api/vhosts/${enc(B)}`], ['PUT', `/api/vhosts/${enc(B)}`], ['DELETE', `/api/vhosts/${enc(B)}`]] as const) {
        const r = await api.request(method, path, method === 'PUT' ? {} : undefined);
        expect([r.status, r.json], `${role} ${method} ${path}`).toEqual([401, NOT_ADMIN]);
      }
    }
    const nodes = await as('mgmt').get('/api/nodes');
    expect([nodes.status, nodes.json]).toEqual([401, NOT_MONITOR]);
    expect((await as('pm').get('/api/nodes')).json).toEqual(NOT_MONITOR);
    expect((await as('mon').get('/api/nodes')).status).toBe(200);
    expect((await as('mgmt').get('/api/whoami')).json).toEqual({ name: user('mgmt'), tags: ['management'] });
  });

  it('shows a management user its own connections, channels and consumers; a monitoring user everyone’s', async () => {
    expect.hasAssertions();
    const mgmt = as('mgmt');
    expect((await mgmt.get('/api/connections')).json.map((c: Json) => c.user)).toEqual([user('mgmt')]);
    expect((await mgmt.get(`/api/vhosts/${enc(A)}/connections`)).json.map((c: Json) => c.user)).toEqual([user('mgmt')]);
    expect((await mgmt.get('/api/channels')).json.map((c: Json) => c.user)).toEqual([user('mgmt')]);
    expect((await mgmt.get('/api/consumers')).json.map((c: Json) => c.channel_details.user)).toEqual([user('mgmt')]);
    // No vhost check on a vhost's consumers: just none of its own there.
    const cons = await mgmt.get(`/api/consumers/${enc(B)}`);
    expect([cons.status, cons.json]).toEqual([200, []]);
    expect((await as('pm').get('/api/connections')).json).toEqual([]);

    const mon = as('mon');
    const everyone = [user('mgmt'), user('mon'), user('owner')].sort();
    expect(ours((await mon.get('/api/connections')).json).map((c: Json) => c.user).sort()).toEqual(everyone);
    expect(ours((await mon.get('/api/channels')).json).map((c: Json) => c.user).sort()).toEqual(everyone);
    expect((await mon.get(`/api/consumers/${enc(B)}`)).json.map((c: Json) => c.channel_details.user)).toEqual([user('owner')]);

    // One connection by name: read by its owner or a monitoring user; closed only by its owner or an administrator.
    const other = enc(connName.get(user('owner'))!);
    const own = enc(connName.get(user('mgmt'))!);
    for (const [api, method, path] of [
      [mgmt, 'GET', `/api/connections/${other}`],
      [mgmt, 'GET', `/api/connections/${other}/channels`],
      [mgmt, 'GET', `/api/channels/${enc(`${connName.get(user('owner'))!} (1)`)}`],
      [mgmt, 'DELETE', `/api/connections/${other}`],
      [mon, 'DELETE', `/api/connections/${other}`],
    ] as const) {
      const r = await api.request(method, path);
      expect([r.status, r.json], `${method} ${path}`).toEqual([401, OBJECT_REFUSED]);
    }
    expect((await mgmt.get(`/api/connections/${own}`)).json.user).toBe(user('mgmt'));
    expect((await mgmt.get(`/api/channels/${enc(`${connName.get(user('mgmt'))!} (1)`)}`)).status).toBe(200);
    expect((await mon.get(`/api/connections/${other}`)).json.user).toBe(user('owner'));
    expect((await mon.get(`/api/connections/${other}/channels`)).status).toBe(200);
  });

  it('gives a management user an overview of its own vhosts and connections, without the node, listeners or consumers', async () => {
    expect.hasAssertions();
    const mgmt = (await as('mgmt').get('/api/overview')).json;
    for (const key of ['node', 'listeners', 'contexts']) expect(mgmt, key).not.toHaveProperty(key);
    const exchangesInA = (await as('mgmt').get('/api/exchanges')).json.length;
    expect(mgmt.object_totals).toEqual({ channels: 1, connections: 1, exchanges: exchangesInA, queues: 1 });
    expect(mgmt.queue_totals).toMatchObject({ messages: 0, messages_ready: 0, messages_unacknowledged: 0 });

    const mon = (await as('mon').get('/api/overview')).json;
    for (const key of ['node', 'listeners', 'contexts']) expect(mon, key).toHaveProperty(key);
    expect(mon.object_totals.connections).toBeGreaterThanOrEqual(3);
    expect(mon.object_totals.consumers).toBeGreaterThanOrEqual(3);
    expect(mon.object_totals.queues).toBeGreaterThanOrEqual(2);
  });
}

describe('management API scoping by vhost permissions: Warren', () => scopeSuite(warrenTarget));

describe.skipIf(!rabbit)('management API scoping by vhost permissions: RabbitMQ', () =>
  scopeSuite({
    admin: () => rabbit!,
    amqpHost: () => ({ hostname: new URL(rabbit!.base).hostname, port: Number(process.env.RABBITMQ_AMQP_PORT ?? 5672) }),
  }),
);
