// Walks every endpoint of RabbitMQ 3.10.8's management API (test/fixtures/rabbitmq-management-3.10.8-endpoints.txt,
// its dispatcher's routes and methods) with one request sequence, against Warren and, when its management API answers,
// against RabbitMQ: each endpoint is requested at least once, each answer's status is the one expected on both, and
// the endpoints the README lists as not answered are exactly those Warren answers 404 and RabbitMQ does not.
// Everything made in RabbitMQ lives in a dedicated vhost and users, removed after.
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import amqp from 'amqplib';
import { afterAll, describe, expect, it } from 'vitest';
import { useBroker } from '../support/broker.js';
import { apiClient, eventually, reachableRabbitMq, type Api } from '../support/http.js';

interface Endpoint {
  readonly method: string;
  readonly pattern: string;
  readonly segments: readonly string[];
}

/** The dispatcher's routes in its order (the first matching pattern wins, as in cowboy). */
const ENDPOINTS: readonly Endpoint[] = readFileSync(new URL('../fixtures/rabbitmq-management-3.10.8-endpoints.txt', import.meta.url), 'utf8')
  .split('\n')
  .filter((l) => l.trim() !== '' && !l.startsWith('#'))
  .flatMap((l) => {
    const words = l.trim().split(/\s+/);
    const pattern = words.pop()!;
    return words.map((method) => ({ method, pattern, segments: pattern.split('/').filter((s) => s !== '') }));
  });

/** A pattern with its parameters as `:` (`/api/nodes/:node` and the README's `/api/nodes/NODE` are both `/api/nodes/:`). */
const shape = (path: string) =>
  path
    .split('/')
    .map((s) => (s.startsWith(':') || /^[A-Z_]+$/.test(s) ? ':' : s))
    .join('/');

/** The README's table of 3.10.8 endpoints Warren does not answer: `METHOD /api/…` per row. */
function readmeUnanswered(): Set<string> {
  const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8').split('\n');
  const start = readme.findIndex((l) => l.startsWith('| RabbitMQ 3.10.8 management endpoint |'));
  expect(start, 'README table of unanswered endpoints').toBeGreaterThan(0);
  const out = new Set<string>();
  for (const line of readme.slice(start + 2)) {
    if (!line.startsWith('|')) break;
    const m = /^\| `([A-Z]+) (\/api\/[^`]*)`/.exec(line);
    expect(m, `README row ${line}`).not.toBeNull();
    out.add(`${m![1]} ${shape(m![2]!)}`);
  }
  return out;
}

function endpointOf(method: string, path: string): Endpoint | undefined {
  const segs = path.split('?')[0]!.split('/').filter((s) => s !== '').map(decodeURIComponent);
  for (const e of ENDPOINTS) {
    if (e.segments.length !== segs.length) continue;
    if (!e.segments.every((p, i) => p.startsWith(':') || p === segs[i])) continue;
    if (e.method === method) return e;
    // A path the dispatcher gives to an earlier pattern with other methods is that pattern's (cowboy stops there).
    if (ENDPOINTS.some((o) => o.pattern === e.pattern && o.method === method)) continue;
    return undefined;
  }
  return undefined;
}

/** Where a walk runs: a broker's API, its AMQP port and node name, and the names made for the walk. */
interface Target {
  readonly name: 'Warren' | 'RabbitMQ';
  readonly api: Api;
  readonly amqpPort: number;
}

interface Step {
  readonly method: string;
  readonly path: string;
  /** The status expected from both brokers, or from each. RabbitMQ 'skip': not sent to the shared RabbitMQ (why in a comment). */
  readonly expect: number | { readonly warren: number; readonly rabbit: number | 'skip' };
  readonly body?: unknown;
  readonly headers?: Record<string, string>;
}

interface Answer {
  readonly step: Step;
  readonly status: number;
  /** array, object, string, empty: the kind of body. */
  readonly kind: string;
}

const enc = encodeURIComponent;
const id = randomUUID().slice(0, 8);

/** The request sequence; `c` holds what the setup learnt (node name, connection and channel names). */
function steps(c: { node: string; clusterName: string; conn: string; conn2: string; channel: string; amqpPort: number }): Step[] {
  const V = enc(`warren-walk-${id}`);
  const V2 = enc(`warren-walk-${id}-2`);
  const U = enc(`warren-walk-${id}`);
  const U2 = enc(`warren-walk-${id}-2`);
  const U3 = enc(`warren-walk-${id}-3`);
  const G = enc(`warren-walk-${id}`);
  const node = enc(c.node);
  const vhost = decodeURIComponent(V);
  const shovel = { 'src-uri': 'amqp://localhost:1', 'src-queue': 'walk-src', 'dest-uri': 'amqp://localhost:1', 'dest-queue': 'walk-dest' };
  const publish = { properties: {}, routing_key: 'walk.q', payload: 'hello', payload_encoding: 'string' };
  return [
    // ---- the node
    { method: 'GET', path: '/api/overview', expect: 200 },
    { method: 'GET', path: '/api/cluster-name', expect: 200 },
    // The same name again: nothing changes on the shared RabbitMQ.
    { method: 'PUT', path: '/api/cluster-name', body: { name: c.clusterName }, expect: 204 },
    { method: 'GET', path: '/api/nodes', expect: 200 },
    { method: 'GET', path: `/api/nodes/${node}`, expect: 200 },
    { method: 'GET', path: `/api/nodes/${node}/memory`, expect: 200 },
    { method: 'GET', path: `/api/nodes/${node}/memory/relative`, expect: 200 },
    // Erlang ETS tables: the README says why Warren has none.
    { method: 'GET', path: `/api/nodes/${node}/memory/ets`, expect: { warren: 404, rabbit: 200 } },
    { method: 'GET', path: `/api/nodes/${node}/memory/ets/relative`, expect: { warren: 404, rabbit: 200 } },
    { method: 'GET', path: `/api/nodes/${node}/memory/ets/rabbit_queue`, expect: { warren: 404, rabbit: 200 } },
    { method: 'GET', path: `/api/nodes/${node}/memory/ets/rabbit_queue/relative`, expect: { warren: 404, rabbit: 200 } },
    { method: 'GET', path: '/api/extensions', expect: 200 },
    { method: 'GET', path: '/api/whoami', expect: 200 },
    { method: 'GET', path: '/api/feature-flags', expect: 200 },
    { method: 'PUT', path: '/api/feature-flags/quorum_queue/enable', body: {}, expect: 204 },
    { method: 'PUT', path: '/api/feature-flags/no_such_flag/enable', body: {}, expect: 400 },
    { method: 'GET', path: '/api/auth', expect: 200 },
    { method: 'POST', path: '/api/login', body: `username=${U}&password=walk-${id}`, headers: { 'content-type': 'application/x-www-form-urlencoded' }, expect: 200 },
    { method: 'POST', path: '/api/login', body: `username=${U}&password=wrong`, headers: { 'content-type': 'application/x-www-form-urlencoded' }, expect: 401 },
    { method: 'GET', path: `/api/auth/attempts/${node}`, expect: 200 },
    { method: 'GET', path: `/api/auth/attempts/${node}/source`, expect: 200 },
    { method: 'DELETE', path: `/api/auth/attempts/${node}/source`, expect: 204 },
    // Zeroes the shared RabbitMQ's login counters, which other tests may read: Warren only.
    { method: 'DELETE', path: `/api/auth/attempts/${node}`, expect: { warren: 204, rabbit: 'skip' } },
    { method: 'GET', path: '/api/healthchecks/node', expect: 200 },
    { method: 'GET', path: `/api/healthchecks/node/${node}`, expect: 200 },
    { method: 'GET', path: '/api/health/checks/alarms', expect: 200 },
    { method: 'GET', path: '/api/health/checks/local-alarms', expect: 200 },
    { method: 'GET', path: '/api/health/checks/certificate-expiration/1/months', expect: 200 },
    { method: 'GET', path: `/api/health/checks/port-listener/${c.amqpPort}`, expect: 200 },
    { method: 'GET', path: '/api/health/checks/protocol-listener/amqp', expect: 200 },
    { method: 'GET', path: '/api/health/checks/virtual-hosts', expect: 200 },
    { method: 'GET', path: '/api/health/checks/node-is-mirror-sync-critical', expect: 200 },
    { method: 'GET', path: '/api/health/checks/node-is-quorum-critical', expect: 200 },
    { method: 'GET', path: `/api/aliveness-test/${V}`, expect: 200 },
    { method: 'POST', path: '/api/rebalance/queues', body: {}, expect: 204 },
    // ---- connections, channels, consumers (two AMQP connections of user U in vhost V)
    { method: 'GET', path: '/api/connections', expect: 200 },
    { method: 'GET', path: `/api/connections/${enc(c.conn)}`, expect: 200 },
    { method: 'GET', path: `/api/connections/${enc(c.conn)}/channels`, expect: 200 },
    { method: 'GET', path: `/api/vhosts/${V}/connections`, expect: 200 },
    { method: 'GET', path: `/api/vhosts/${V}/channels`, expect: 200 },
    { method: 'GET', path: '/api/channels', expect: 200 },
    { method: 'GET', path: `/api/channels/${enc(c.channel)}`, expect: 200 },
    { method: 'GET', path: '/api/consumers', expect: 200 },
    { method: 'GET', path: `/api/consumers/${V}`, expect: 200 },
    { method: 'DELETE', path: `/api/connections/${enc(c.conn2)}`, expect: 204 },
    { method: 'GET', path: `/api/connections/username/${U}`, expect: 200 },
    { method: 'DELETE', path: `/api/connections/username/${U}`, expect: 204 },
    // ---- exchanges, queues, bindings, messages
    { method: 'GET', path: '/api/exchanges', expect: 200 },
    { method: 'GET', path: `/api/exchanges/${V}`, expect: 200 },
    { method: 'PUT', path: `/api/exchanges/${V}/walk-x`, body: { type: 'topic', durable: true }, expect: 201 },
    { method: 'PUT', path: `/api/exchanges/${V}/walk-x2`, body: { type: 'fanout', durable: false }, expect: 201 },
    { method: 'GET', path: `/api/exchanges/${V}/walk-x`, expect: 200 },
    { method: 'PUT', path: `/api/queues/${V}/walk-q`, body: { durable: true }, expect: 201 },
    { method: 'GET', path: '/api/queues', expect: 200 },
    { method: 'GET', path: `/api/queues/${V}`, expect: 200 },
    { method: 'GET', path: `/api/queues/${V}/walk-q`, expect: 200 },
    { method: 'POST', path: `/api/bindings/${V}/e/walk-x/q/walk-q`, body: { routing_key: 'walk.#' }, expect: 201 },
    { method: 'GET', path: `/api/bindings/${V}/e/walk-x/q/walk-q`, expect: 200 },
    { method: 'GET', path: `/api/bindings/${V}/e/walk-x/q/walk-q/${enc('walk.#')}`, expect: 200 },
    { method: 'POST', path: `/api/bindings/${V}/e/walk-x/e/walk-x2`, body: { routing_key: 'k' }, expect: 201 },
    { method: 'GET', path: `/api/bindings/${V}/e/walk-x/e/walk-x2`, expect: 200 },
    { method: 'GET', path: `/api/bindings/${V}/e/walk-x/e/walk-x2/k`, expect: 200 },
    { method: 'GET', path: '/api/bindings', expect: 200 },
    { method: 'GET', path: `/api/bindings/${V}`, expect: 200 },
    // The bindings handler lists POST, but only the exchange-to-destination paths create: 405 elsewhere, on both.
    { method: 'POST', path: '/api/bindings', body: {}, expect: 405 },
    { method: 'POST', path: `/api/bindings/${V}`, body: {}, expect: 405 },
    { method: 'GET', path: `/api/exchanges/${V}/walk-x/bindings/source`, expect: 200 },
    { method: 'GET', path: `/api/exchanges/${V}/walk-x2/bindings/destination`, expect: 200 },
    { method: 'POST', path: `/api/exchanges/${V}/walk-x/bindings/source`, body: {}, expect: 405 },
    { method: 'POST', path: `/api/exchanges/${V}/walk-x/bindings/destination`, body: {}, expect: 405 },
    { method: 'GET', path: `/api/queues/${V}/walk-q/bindings`, expect: 200 },
    { method: 'POST', path: `/api/queues/${V}/walk-q/bindings`, body: {}, expect: 405 },
    { method: 'POST', path: `/api/exchanges/${V}/walk-x/publish`, body: publish, expect: 200 },
    { method: 'POST', path: `/api/exchanges/${V}/walk-x/publish`, body: publish, expect: 200 },
    { method: 'POST', path: `/api/queues/${V}/walk-q/get`, body: { count: 1, ackmode: 'ack_requeue_false', encoding: 'auto' }, expect: 200 },
    { method: 'POST', path: `/api/queues/${V}/walk-q/actions`, body: { action: 'sync' }, expect: 204 },
    { method: 'POST', path: `/api/queues/${V}/walk-q/actions`, body: { action: 'cancel_sync' }, expect: 204 },
    { method: 'POST', path: `/api/queues/${V}/walk-q/actions`, body: { action: 'rebalance' }, expect: 400 },
    { method: 'DELETE', path: `/api/queues/${V}/walk-q/contents`, expect: 204 },
    { method: 'DELETE', path: `/api/bindings/${V}/e/walk-x/e/walk-x2/k`, expect: 204 },
    { method: 'DELETE', path: `/api/bindings/${V}/e/walk-x/q/walk-q/${enc('walk.#')}`, expect: 204 },
    { method: 'DELETE', path: `/api/queues/${V}/walk-q`, expect: 204 },
    { method: 'DELETE', path: `/api/exchanges/${V}/walk-x2`, expect: 204 },
    // ---- vhosts, users, permissions, limits
    { method: 'GET', path: '/api/vhosts', expect: 200 },
    { method: 'PUT', path: `/api/vhosts/${V2}`, body: { description: 'walk' }, expect: 201 },
    { method: 'GET', path: `/api/vhosts/${V2}`, expect: 200 },
    { method: 'POST', path: `/api/vhosts/${V2}/start/${node}`, body: {}, expect: 204 },
    { method: 'DELETE', path: `/api/vhosts/${V2}`, expect: 204 },
    { method: 'GET', path: `/api/vhosts/${V}/permissions`, expect: 200 },
    { method: 'GET', path: `/api/vhosts/${V}/topic-permissions`, expect: 200 },
    { method: 'GET', path: '/api/users', expect: 200 },
    { method: 'PUT', path: `/api/users/${U2}`, body: { password: 'walk', tags: '' }, expect: 201 },
    { method: 'PUT', path: `/api/users/${U3}`, body: { password: 'walk', tags: '' }, expect: 201 },
    { method: 'GET', path: `/api/users/${U2}`, expect: 200 },
    { method: 'GET', path: '/api/users/without-permissions', expect: 200 },
    { method: 'PUT', path: `/api/permissions/${V}/${U2}`, body: { configure: '.*', write: '.*', read: '.*' }, expect: 201 },
    { method: 'GET', path: `/api/permissions/${V}/${U2}`, expect: 200 },
    { method: 'GET', path: '/api/permissions', expect: 200 },
    { method: 'GET', path: `/api/users/${U2}/permissions`, expect: 200 },
    { method: 'PUT', path: `/api/topic-permissions/${V}/${U2}`, body: { exchange: 'amq.topic', write: '.*', read: '.*' }, expect: 201 },
    { method: 'GET', path: `/api/topic-permissions/${V}/${U2}`, expect: 200 },
    // The exchange comes from the body; GET lists all of the user's in the vhost; DELETE removes the path's exchange's.
    { method: 'PUT', path: `/api/topic-permissions/${V}/${U2}/walk-x`, body: { exchange: 'walk-x', write: '^a', read: '^b' }, expect: 204 },
    { method: 'GET', path: `/api/topic-permissions/${V}/${U2}/walk-x`, expect: 200 },
    { method: 'DELETE', path: `/api/topic-permissions/${V}/${U2}/walk-x`, expect: 204 },
    { method: 'GET', path: '/api/topic-permissions', expect: 200 },
    { method: 'GET', path: `/api/users/${U2}/topic-permissions`, expect: 200 },
    { method: 'DELETE', path: `/api/topic-permissions/${V}/${U2}`, expect: 204 },
    { method: 'GET', path: `/api/topic-permissions/${V}/${U2}/walk-x`, expect: 404 },
    { method: 'DELETE', path: `/api/permissions/${V}/${U2}`, expect: 204 },
    { method: 'PUT', path: `/api/user-limits/${U2}/max-connections`, body: { value: 10 }, expect: 204 },
    { method: 'GET', path: '/api/user-limits', expect: 200 },
    { method: 'GET', path: `/api/user-limits/${U2}`, expect: 200 },
    { method: 'DELETE', path: `/api/user-limits/${U2}/max-connections`, expect: 204 },
    { method: 'PUT', path: `/api/vhost-limits/${V}/max-queues`, body: { value: 100 }, expect: 204 },
    { method: 'GET', path: '/api/vhost-limits', expect: 200 },
    { method: 'GET', path: `/api/vhost-limits/${V}`, expect: 200 },
    { method: 'DELETE', path: `/api/vhost-limits/${V}/max-queues`, expect: 204 },
    { method: 'POST', path: '/api/users/bulk-delete', body: { users: [decodeURIComponent(U2)] }, expect: 204 },
    { method: 'DELETE', path: `/api/users/${U3}`, expect: 204 },
    // ---- policies and parameters
    { method: 'PUT', path: `/api/policies/${V}/walk-p`, body: { pattern: '^walk-', definition: { 'max-length': 10 }, priority: 0, 'apply-to': 'queues' }, expect: 201 },
    { method: 'GET', path: '/api/policies', expect: 200 },
    { method: 'GET', path: `/api/policies/${V}`, expect: 200 },
    { method: 'GET', path: `/api/policies/${V}/walk-p`, expect: 200 },
    { method: 'DELETE', path: `/api/policies/${V}/walk-p`, expect: 204 },
    { method: 'PUT', path: `/api/operator-policies/${V}/walk-op`, body: { pattern: '^walk-', definition: { 'max-length': 10 }, priority: 0, 'apply-to': 'queues' }, expect: 201 },
    { method: 'GET', path: '/api/operator-policies', expect: 200 },
    { method: 'GET', path: `/api/operator-policies/${V}`, expect: 200 },
    { method: 'GET', path: `/api/operator-policies/${V}/walk-op`, expect: 200 },
    { method: 'DELETE', path: `/api/operator-policies/${V}/walk-op`, expect: 204 },
    { method: 'PUT', path: `/api/parameters/shovel/${V}/walk-shovel`, body: { value: shovel }, expect: 201 },
    { method: 'GET', path: '/api/parameters', expect: 200 },
    { method: 'GET', path: '/api/parameters/shovel', expect: 200 },
    { method: 'GET', path: `/api/parameters/shovel/${V}`, expect: 200 },
    { method: 'GET', path: `/api/parameters/shovel/${V}/walk-shovel`, expect: 200 },
    { method: 'DELETE', path: `/api/parameters/shovel/${V}/walk-shovel`, expect: 204 },
    { method: 'GET', path: '/api/global-parameters', expect: 200 },
    { method: 'PUT', path: `/api/global-parameters/${G}`, body: { value: { walk: true } }, expect: 201 },
    { method: 'GET', path: `/api/global-parameters/${G}`, expect: 200 },
    { method: 'DELETE', path: `/api/global-parameters/${G}`, expect: 204 },
    // ---- definitions (imports touch only the walk's vhost)
    { method: 'GET', path: '/api/definitions', expect: 200 },
    { method: 'GET', path: '/api/all-configuration', expect: 200 },
    { method: 'GET', path: `/api/definitions/${V}`, expect: 200 },
    { method: 'POST', path: '/api/definitions', body: { queues: [{ name: 'walk-imported', vhost, durable: true, auto_delete: false, arguments: {} }] }, expect: 204 },
    { method: 'POST', path: '/api/all-configuration', body: { queues: [{ name: 'walk-imported-2', vhost, durable: true, auto_delete: false, arguments: {} }] }, expect: 204 },
    { method: 'POST', path: `/api/definitions/${V}`, body: { queues: [{ name: 'walk-imported-3', durable: true, auto_delete: false, arguments: {} }] }, expect: 204 },
    { method: 'GET', path: `/api/queues/${V}/walk-imported-3`, expect: 200 },
    // ---- statistics reset: on the shared RabbitMQ it would zero every other test's counters, so Warren only
    { method: 'DELETE', path: '/api/reset', expect: { warren: 204, rabbit: 'skip' } },
    { method: 'DELETE', path: `/api/reset/${node}`, expect: { warren: 204, rabbit: 'skip' } },
    { method: 'DELETE', path: `/api/reset/${enc('nobody@nowhere')}`, expect: 404 },
    // ---- clean up
    { method: 'DELETE', path: `/api/exchanges/${V}/walk-x`, expect: 204 },
    { method: 'DELETE', path: `/api/users/${U}`, expect: 204 },
    { method: 'DELETE', path: `/api/vhosts/${V}`, expect: 204 },
  ];
}

const kindOf = (text: string, json: unknown) => (text === '' ? 'empty' : Array.isArray(json) ? 'array' : json === undefined ? 'text' : typeof json);

/** Sets up the walk's vhost, user and two AMQP connections on a target, then sends every step in order. */
async function walk(t: Target): Promise<Answer[]> {
  const vhost = `warren-walk-${id}`;
  const user = `warren-walk-${id}`;
  const { api } = t;
  expect((await api.put(`/api/vhosts/${enc(vhost)}`, {})).status).toBe(201);
  expect((await api.put(`/api/users/${enc(user)}`, { password: `walk-${id}`, tags: 'management' })).status).toBe(201);
  for (const u of [user, 'guest']) expect([201, 204]).toContain((await api.put(`/api/permissions/${enc(vhost)}/${enc(u)}`, { configure: '.*', write: '.*', read: '.*' })).status);
  const connect = async () => {
    const conn = await amqp.connect({ hostname: 'localhost', port: t.amqpPort, username: user, password: `walk-${id}`, vhost });
    conn.on('error', () => {});
    const ch = await conn.createChannel();
    ch.on('error', () => {});
    return conn;
  };
  const conns = [await connect(), await connect()];
  try {
    // RabbitMQ lists a connection and its channel once their first stats are out (up to 5 s).
    const names = await eventually(async () => {
      const cs = (await api.get(`/api/vhosts/${enc(vhost)}/connections`)).json as Array<{ name: string }>;
      const chs = (await api.get(`/api/vhosts/${enc(vhost)}/channels`)).json as Array<{ name: string; connection_details: { name: string } }>;
      if (cs.length < 2 || chs.length < 2) return undefined;
      const conn = cs[0]!.name;
      return { conn, conn2: cs[1]!.name, channel: chs.find((ch) => ch.connection_details.name === conn)!.name };
    }, 15_000);
    const overview = (await api.get('/api/overview')).json as { node: string };
    const clusterName = ((await api.get('/api/cluster-name')).json as { name: string }).name;
    const answers: Answer[] = [];
    for (const step of steps({ node: overview.node, clusterName, amqpPort: t.amqpPort, ...names })) {
      const expected = typeof step.expect === 'number' ? step.expect : t.name === 'Warren' ? step.expect.warren : step.expect.rabbit;
      if (expected === 'skip') continue;
      const r = await api.request(step.method, step.path, step.body, step.headers);
      answers.push({ step, status: r.status, kind: kindOf(r.text, r.json) });
    }
    return answers;
  } finally {
    for (const c of conns) await c.close().catch(() => {});
    await api.del(`/api/vhosts/${enc(vhost)}`);
    await api.del(`/api/users/${enc(user)}`);
    for (const n of ['-2', '-3']) await api.del(`/api/users/${enc(user + n)}`);
  }
}

const rabbit = await reachableRabbitMq();
const warren = useBroker({ managementPort: 0 });
let rabbitAnswers: Answer[] | undefined;
let warrenAnswers: Answer[] | undefined;
afterAll(() => {
  rabbitAnswers = undefined;
  warrenAnswers = undefined;
});

const key = (s: Step) => `${s.method} ${s.path}`;
const expectedOf = (s: Step, who: 'warren' | 'rabbit') => (typeof s.expect === 'number' ? s.expect : s.expect[who]);

describe("RabbitMQ 3.10.8's management API, endpoint by endpoint", () => {
  it('the walk requests every endpoint of the list; the README names exactly those Warren does not answer', () => {
    const placeholder = { node: 'n@h', clusterName: 'c', conn: 'a', conn2: 'b', channel: 'a (1)', amqpPort: 5672 };
    const covered = new Map<string, Step[]>();
    for (const s of steps(placeholder)) {
      const e = endpointOf(s.method, s.path);
      expect(e, `${key(s)} is an endpoint of the list`).toBeDefined();
      const k = `${e!.method} ${e!.pattern}`;
      covered.set(k, [...(covered.get(k) ?? []), s]);
    }
    const missing = ENDPOINTS.map((e) => `${e.method} ${e.pattern}`).filter((k) => !covered.has(k));
    expect(missing, 'endpoints the walk does not request').toEqual([]);
    // The README's rows: endpoints of the list whose every request Warren answers 404 while RabbitMQ answers.
    const unanswered = readmeUnanswered();
    const expectUnanswered = [...covered]
      .filter(([, ss]) => ss.every((s) => expectedOf(s, 'warren') === 404 && expectedOf(s, 'rabbit') !== 404))
      .map(([k]) => {
        const [method, pattern] = k.split(' ');
        return `${method} ${shape(pattern!)}`;
      });
    expect([...unanswered].sort()).toEqual(expectUnanswered.sort());
    expect(ENDPOINTS.length).toBeGreaterThan(120);
  });

  it('Warren answers each request of the walk with the status expected', async () => {
    expect.hasAssertions();
    warrenAnswers = await walk({ name: 'Warren', api: apiClient(`http://localhost:${warren.current.managementPort}`), amqpPort: warren.current.port });
    const wrong = warrenAnswers.filter((a) => a.status !== expectedOf(a.step, 'warren')).map((a) => `${key(a.step)}: ${a.status}, expected ${String(expectedOf(a.step, 'warren'))}`);
    expect(wrong).toEqual([]);
  }, 60_000);

  it.runIf(rabbit !== undefined)('RabbitMQ answers the same walk with the same statuses and the same kinds of body', async () => {
    expect.hasAssertions();
    rabbitAnswers = await walk({ name: 'RabbitMQ', api: rabbit!, amqpPort: Number(process.env.RABBITMQ_AMQP_PORT ?? 5672) });
    const wrong = rabbitAnswers.filter((a) => a.status !== expectedOf(a.step, 'rabbit')).map((a) => `${key(a.step)}: ${a.status}, expected ${String(expectedOf(a.step, 'rabbit'))}`);
    expect(wrong).toEqual([]);
    // Where both answered alike, the bodies are of one kind (a list, an object, nothing).
    const warrenByStep = new Map((warrenAnswers ?? []).map((a) => [a.step, a]));
    const kinds = rabbitAnswers
      .filter((a) => warrenByStep.get(a.step)?.status === a.status)
      .filter((a) => warrenByStep.get(a.step)!.kind !== a.kind)
      .map((a) => `${a.step.method} ${a.step.path.replace(/warren-walk-[0-9a-f]+/g, 'V')}: Warren ${warrenByStep.get(a.step)!.kind}, RabbitMQ ${a.kind}`);
    expect(kinds).toEqual([]);
  }, 60_000);

  it.runIf(rabbit !== undefined)("every path RabbitMQ's API documentation page lists is in the endpoint list (the list stays true)", async () => {
    expect.hasAssertions();
    const html = (await rabbit!.get('/api/index.html')).text;
    const documented = [...html.matchAll(/<td class="path">([\s\S]*?)<\/td>/g)].flatMap((m) =>
      m[1]!
        .split(/<br\s*\/?>|\n/)
        .map((p) => p.replace(/<i>[^<]*<\/i>/g, ':').replace(/<[^>]+>/g, '').replace(/\(deprecated\)/, '').trim())
        .filter((p) => p.startsWith('/api')),
    );
    expect(documented.length).toBeGreaterThan(80);
    // A documented segment in italics (a parameter) must be a parameter of the route; a plain one the same word or one.
    const listed = (path: string) => {
      const segs = shape(path).split('/').filter((x) => x !== '');
      return ENDPOINTS.some((e) => e.segments.length === segs.length && e.segments.every((p, i) => p.startsWith(':') || p === segs[i]));
    };
    // The federation plugin's links are documented there but served only with that plugin.
    const notListed = documented.filter((p) => !listed(p) && !p.startsWith('/api/federation-links'));
    expect(notListed).toEqual([]);
  });
});
