// Policies and operator policies through the management HTTP API, as RabbitMQ 3.10.8 answers: PUT (201 new, 204
// replaced), GET, DELETE (404 when absent), RabbitMQ's 400 "Validation failed" reasons (HTML-escaped, as its
// management plugin sends them), who may manage them (policymaker and administrator with access to the vhost; operator
// policies administrators only), and the `policy`, `operator_policy`, `effective_policy_definition` fields of queues
// and exchanges. RabbitMQ fills those fields from its stats, a few seconds after a change: the cases poll.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { closeAllAmqp, connect } from '../support/amqp.js';
import { withVhost } from '../support/urls.js';

const api = inject('managementUrl');
const suffix = randomUUID().slice(0, 8);
const vhost = `policies-${suffix}`;
const other = `policies-other-${suffix}`;
const v = encodeURIComponent(vhost);
const PASS = 'pw-policies';
const users = { policymaker: `pm-${suffix}`, management: `mg-${suffix}`, monitoring: `mo-${suffix}`, noaccess: `pn-${suffix}` };

async function call(method: string, path: string, body?: unknown, user = 'guest', pass = 'guest'): Promise<{ status: number; json: any }> {
  const auth = 'Basic ' + Buffer.from(`${user}:${pass}`).toString('base64');
  const res = await fetch(api + path, { method, headers: { authorization: auth, 'content-type': 'application/json' }, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
  const text = await res.text();
  return { status: res.status, json: text === '' ? undefined : JSON.parse(text) };
}

/** RabbitMQ's 400; its /api/policies handler HTML-escapes the reason, the others do not. */
const failed = (reason: string, escaped = true) => ({
  status: 400,
  json: { error: 'bad_request', reason: `Validation failed\n\n${escaped ? reason.replace(/</g, '&lt;').replace(/>/g, '&gt;') : reason}\n` },
});

/** Polls GET `path` until `pick` of its JSON equals `expected` (RabbitMQ's stats lag), then asserts it. */
async function eventuallyShows(path: string, pick: (j: any) => unknown, expected: unknown, ms = 15_000): Promise<void> {
  const deadline = Date.now() + ms;
  let last: unknown;
  for (;;) {
    const r = await call('GET', path);
    last = r.status === 200 ? pick(r.json) : r;
    if (JSON.stringify(last) === JSON.stringify(expected) || Date.now() > deadline) break;
    await new Promise((res) => setTimeout(res, 250));
  }
  expect(last).toEqual(expected);
}

beforeAll(async () => {
  for (const name of [vhost, other]) {
    expect((await call('PUT', `/api/vhosts/${encodeURIComponent(name)}`, {})).status).toBe(201);
    expect([201, 204]).toContain((await call('PUT', `/api/permissions/${encodeURIComponent(name)}/guest`, { configure: '.*', write: '.*', read: '.*' })).status);
  }
  for (const [tag, name] of Object.entries(users)) {
    expect((await call('PUT', `/api/users/${name}`, { password: PASS, tags: tag === 'noaccess' ? 'policymaker' : tag })).status).toBe(201);
    if (tag !== 'noaccess') expect((await call('PUT', `/api/permissions/${v}/${name}`, { configure: '.*', write: '.*', read: '.*' })).status).toBe(201);
  }
});

afterAll(async () => {
  await closeAllAmqp();
  for (const name of [vhost, other]) await call('DELETE', `/api/vhosts/${encodeURIComponent(name)}`);
  for (const name of Object.values(users)) await call('DELETE', `/api/users/${name}`);
});

describe('policies through the management API', () => {
  it('PUT creates (201) and replaces (204); GET shows the policy with its defaults; DELETE removes it (404 after)', async () => {
    expect((await call('PUT', `/api/policies/${v}/p1`, { pattern: '^work\\.', definition: { 'message-ttl': 5000, 'dead-letter-exchange': 'dlx' } })).status).toBe(201);
    expect((await call('GET', `/api/policies/${v}/p1`)).json).toEqual({
      vhost,
      name: 'p1',
      pattern: '^work\\.',
      'apply-to': 'all',
      definition: { 'dead-letter-exchange': 'dlx', 'message-ttl': 5000 },
      priority: 0,
    });
    expect((await call('PUT', `/api/policies/${v}/p1`, { pattern: '^w', definition: { 'max-length': 1 }, priority: 3, 'apply-to': 'queues' })).status).toBe(204);
    expect((await call('GET', `/api/policies/${v}`)).json).toEqual([{ vhost, name: 'p1', pattern: '^w', 'apply-to': 'queues', definition: { 'max-length': 1 }, priority: 3 }]);
    const all = (await call('GET', '/api/policies')).json as Array<{ vhost: string; name: string }>;
    expect(all.filter((p) => p.vhost === vhost).map((p) => p.name)).toEqual(['p1']);
    expect((await call('DELETE', `/api/policies/${v}/p1`)).status).toBe(204);
    expect((await call('GET', `/api/policies/${v}/p1`)).status).toBe(404);
    expect((await call('DELETE', `/api/policies/${v}/p1`)).status).toBe(404);
    expect((await call('GET', `/api/policies/${v}`)).json).toEqual([]);
  });

  it('a vhost that does not exist is 404', async () => {
    expect(await call('PUT', `/api/policies/nope-${suffix}/p`, { pattern: '.', definition: { 'max-length': 1 } })).toEqual({ status: 404, json: { error: 'not_found', reason: 'vhost_not_found' } });
    expect((await call('GET', `/api/policies/nope-${suffix}`)).status).toBe(404);
  });

  it.each<[string, Record<string, unknown>, { status: number; json: unknown }]>([
    ['no pattern', { definition: { 'max-length': 1 } }, { status: 400, json: { error: 'bad_request', reason: '[{key_missing,pattern}]' } }],
    ['no definition', { pattern: '.' }, { status: 400, json: { error: 'bad_request', reason: '[{key_missing,definition}]' } }],
    ['an invalid regex', { pattern: '(', definition: { 'max-length': 1 } }, failed('pattern should be regular expression but is invalid: {"missing )",1}')],
    ['an unknown key', { pattern: '.', definition: { foo: 1 } }, failed('[{<<"foo">>,1}] are not recognised policy settings')],
    ['a wrong type', { pattern: '.', definition: { 'message-ttl': 'soon' } }, failed('<<"soon">> is not a valid message TTL')],
    ['a negative value', { pattern: '.', definition: { 'max-length': -1 } }, failed('-1 is not a valid maximum length')],
    ['a zero expiry', { pattern: '.', definition: { expires: 0 } }, failed('0 is not a valid queue expiry')],
    ['an unknown overflow', { pattern: '.', definition: { overflow: 'x' } }, failed('<<"x">> is not a valid overflow value')],
    ['an unknown apply-to', { pattern: '.', definition: { 'max-length': 1 }, 'apply-to': 'foo' }, failed("apply-to 'foo' unrecognised; should be 'queues', 'exchanges' or 'all'")],
    ['a priority that is not a number', { pattern: '.', definition: { 'max-length': 1 }, priority: '5' }, failed('priority should be a number, actually was <<"5">>')],
    ['an empty definition', { pattern: '.', definition: {} }, failed('no policy provided')],
  ])('refuses %s with 400 and stores nothing', async (_what, body, expected) => {
    expect(await call('PUT', `/api/policies/${v}/bad`, body)).toEqual(expected);
    expect((await call('GET', `/api/policies/${v}/bad`)).status).toBe(404);
  });

  it('accepts keys that have no effect on one node (queue-mode, ha-mode) and reports them', async () => {
    expect((await call('PUT', `/api/policies/${v}/noop`, { pattern: '^noop$', definition: { 'queue-mode': 'lazy', 'ha-mode': 'all' } })).status).toBe(201);
    expect((await call('GET', `/api/policies/${v}/noop`)).json.definition).toEqual({ 'ha-mode': 'all', 'queue-mode': 'lazy' });
    expect((await call('DELETE', `/api/policies/${v}/noop`)).status).toBe(204);
  });
});

describe('operator policies', () => {
  it('take only the operator keys, are managed by administrators, and listed under /api/parameters/operator_policy', async () => {
    expect(await call('PUT', `/api/operator-policies/${v}/op`, { pattern: '.', definition: { 'dead-letter-exchange': 'x' } })).toEqual(
      failed('[{<<"dead-letter-exchange">>,<<"x">>}] are not recognised policy settings', false),
    );
    expect((await call('PUT', `/api/operator-policies/${v}/op`, { pattern: '^never$', definition: { 'max-length': 5, expires: 100000 } })).status).toBe(201);
    expect((await call('GET', `/api/operator-policies/${v}`)).json).toEqual([
      { vhost, name: 'op', pattern: '^never$', 'apply-to': 'all', definition: { expires: 100000, 'max-length': 5 }, priority: 0 },
    ]);
    const params = (await call('GET', `/api/parameters/operator_policy/${v}`)).json;
    expect(params).toEqual([{ value: { pattern: '^never$', definition: { expires: 100000, 'max-length': 5 }, priority: 0, 'apply-to': 'all' }, vhost, component: 'operator_policy', name: 'op' }]);
    expect(await call('PUT', `/api/operator-policies/${v}/op2`, { pattern: '.', definition: { 'max-length': 1 } }, users.policymaker, PASS)).toEqual({
      status: 401,
      json: { error: 'not_authorised', reason: 'Not administrator user' },
    });
    expect((await call('DELETE', `/api/operator-policies/${v}/op`)).status).toBe(204);
    expect((await call('DELETE', `/api/operator-policies/${v}/op`)).status).toBe(404);
  });
});

describe('who may manage policies', () => {
  const refusedObject = { status: 401, json: { error: 'not_authorised', reason: 'User not authorised to access object' } };

  it('a policymaker with access to the vhost may; management and monitoring users may only list', async () => {
    const body = { pattern: '^pm$', definition: { 'max-length': 1 } };
    expect((await call('PUT', `/api/policies/${v}/by-pm`, body, users.policymaker, PASS)).status).toBe(201);
    expect((await call('GET', `/api/policies/${v}/by-pm`, undefined, users.policymaker, PASS)).status).toBe(200);
    for (const u of [users.management, users.monitoring]) {
      expect(await call('PUT', `/api/policies/${v}/by-other`, body, u, PASS)).toEqual(refusedObject);
      expect(await call('GET', `/api/policies/${v}/by-pm`, undefined, u, PASS)).toEqual(refusedObject);
      expect(await call('DELETE', `/api/policies/${v}/by-pm`, undefined, u, PASS)).toEqual(refusedObject);
      const listed = (await call('GET', `/api/policies/${v}`, undefined, u, PASS)).json as Array<{ name: string }>;
      expect(listed.map((p) => p.name)).toEqual(['by-pm']);
    }
    expect((await call('DELETE', `/api/policies/${v}/by-pm`, undefined, users.policymaker, PASS)).status).toBe(204);
  });

  it('a policymaker without access to the vhost may not, and does not see its policies', async () => {
    const body = { pattern: '^pm$', definition: { 'max-length': 1 } };
    expect(await call('PUT', `/api/policies/${v}/by-pn`, body, users.noaccess, PASS)).toEqual(refusedObject);
    expect(await call('GET', `/api/policies/${v}`, undefined, users.noaccess, PASS)).toEqual({
      status: 401,
      json: { error: 'not_authorised', reason: 'User not authorised to access virtual host' },
    });
    // An administrator may manage any vhost's policies.
    expect((await call('PUT', `/api/policies/${encodeURIComponent(other)}/by-admin`, body)).status).toBe(201);
    const seen = (await call('GET', '/api/policies', undefined, users.policymaker, PASS)).json as Array<{ vhost: string }>;
    expect(seen.some((p) => p.vhost === other)).toBe(false);
    expect((await call('DELETE', `/api/policies/${encodeURIComponent(other)}/by-admin`)).status).toBe(204);
  });
});

describe('queues and exchanges show the policy in force', () => {
  it('policy, operator_policy and the merged effective_policy_definition (operator: the lower number)', async () => {
    const conn = await connect(withVhost(vhost));
    const ch = await conn.createChannel();
    await ch.assertQueue('shown.q', { durable: false, arguments: { 'x-message-ttl': 1000 } });
    await ch.assertQueue('plain.q', { durable: false });
    await ch.assertExchange('shown.x', 'direct', { durable: false });
    await ch.assertExchange('plain.x', 'direct', { durable: false });
    expect((await call('PUT', `/api/policies/${v}/shown`, { pattern: '^shown\\.', definition: { 'max-length': 10, 'message-ttl': 5000 }, priority: 1 })).status).toBe(201);
    expect((await call('PUT', `/api/policies/${v}/shown-low`, { pattern: '^shown\\.', definition: { 'max-length': 99 } })).status).toBe(201);
    expect((await call('PUT', `/api/operator-policies/${v}/cap`, { pattern: '^shown\\.q$', definition: { 'max-length': 5, expires: 100000 } })).status).toBe(201);
    const fields = (j: any) => ({ policy: j.policy, operator_policy: j.operator_policy, effective_policy_definition: j.effective_policy_definition });
    await eventuallyShows(`/api/queues/${v}/shown.q`, fields, {
      policy: 'shown',
      operator_policy: 'cap',
      effective_policy_definition: { expires: 100000, 'max-length': 5, 'message-ttl': 5000 },
    });
    await eventuallyShows(`/api/queues/${v}/plain.q`, fields, { policy: null, operator_policy: null, effective_policy_definition: {} });
    await eventuallyShows(`/api/exchanges/${v}/shown.x`, (j) => j.policy, 'shown');
    await eventuallyShows(`/api/exchanges/${v}/plain.x`, (j) => 'policy' in j, false);
    // The queue's own arguments are left as declared.
    expect((await call('GET', `/api/queues/${v}/shown.q`)).json.arguments).toEqual({ 'x-message-ttl': 1000 });
    // Deleting the policies takes them off.
    for (const p of ['policies/' + v + '/shown', 'policies/' + v + '/shown-low', 'operator-policies/' + v + '/cap']) expect((await call('DELETE', `/api/${p}`)).status).toBe(204);
    await eventuallyShows(`/api/queues/${v}/shown.q`, fields, { policy: null, operator_policy: null, effective_policy_definition: {} });
    await conn.close();
  });
});

describe('runtime and global parameters', () => {
  it('vhost limits show as the vhost-limits component; user policies only under their own component', async () => {
    expect((await call('PUT', `/api/vhost-limits/${v}/max-queues`, { value: 50 })).status).toBe(204);
    expect((await call('PUT', `/api/policies/${v}/listed`, { pattern: '^zz$', definition: { 'max-length': 1 } })).status).toBe(201);
    const mine = ((await call('GET', '/api/parameters')).json as Array<{ vhost: string }>).filter((p) => p.vhost === vhost);
    expect(mine).toEqual([{ value: { 'max-queues': 50 }, vhost, component: 'vhost-limits', name: 'limits' }]);
    expect((await call('GET', `/api/parameters/vhost-limits/${v}/limits`)).json).toEqual({ value: { 'max-queues': 50 }, vhost, component: 'vhost-limits', name: 'limits' });
    expect((await call('GET', `/api/parameters/policy/${v}`)).json).toEqual([
      { value: { pattern: '^zz$', definition: { 'max-length': 1 }, priority: 0, 'apply-to': 'all' }, vhost, component: 'policy', name: 'listed' },
    ]);
    expect((await call('DELETE', `/api/policies/${v}/listed`)).status).toBe(204);
    expect((await call('DELETE', `/api/vhost-limits/${v}/max-queues`)).status).toBe(204);
    expect(await call('PUT', `/api/parameters/no-such-component-${suffix}/${v}/x`, { value: 1 })).toEqual(failed(`component no-such-component-${suffix} not found`, false));
    expect(await call('PUT', `/api/parameters/vhost-limits/${v}/limits`, {})).toEqual({ status: 400, json: { error: 'bad_request', reason: '[{key_missing,value}]' } });
  });

  it('global parameters: internal_cluster_id always, any other set and deleted; cluster_name is the overview cluster name', async () => {
    const list = (await call('GET', '/api/global-parameters')).json as Array<{ name: string; value: unknown }>;
    const id = list.find((p) => p.name === 'internal_cluster_id');
    expect(id?.value).toMatch(/^rabbitmq-cluster-id-[A-Za-z0-9_-]{22}$/);
    const key = `conformance-${suffix}`;
    expect((await call('PUT', `/api/global-parameters/${key}`, { value: { a: 1 } })).status).toBe(201);
    expect((await call('PUT', `/api/global-parameters/${key}`, { value: { a: 2 } })).status).toBe(204);
    expect((await call('GET', `/api/global-parameters/${key}`)).json).toEqual({ value: { a: 2 }, name: key });
    expect((await call('DELETE', `/api/global-parameters/${key}`)).status).toBe(204);
    expect((await call('GET', `/api/global-parameters/${key}`)).status).toBe(404);
    expect(await call('PUT', `/api/global-parameters/${key}`, {})).toEqual({ status: 400, json: { error: 'bad_request', reason: '[{key_missing,value}]' } });

    const before = (await call('GET', '/api/global-parameters/cluster_name')).json?.value as string | undefined;
    const original = (await call('GET', '/api/overview')).json.cluster_name as string;
    try {
      expect((await call('PUT', '/api/global-parameters/cluster_name', { value: `named-${suffix}` })).status).toBeLessThan(300);
      expect((await call('GET', '/api/overview')).json.cluster_name).toBe(`named-${suffix}`);
      // New connections are told the cluster name in connection.start.
      const conn = await connect(withVhost(vhost));
      expect((conn.connection.serverProperties as Record<string, unknown>).cluster_name).toBe(`named-${suffix}`);
      await conn.close();
    } finally {
      await call('PUT', '/api/global-parameters/cluster_name', { value: before ?? original });
    }
    expect((await call('GET', `/api/global-parameters/cluster_name`, undefined, users.management, PASS)).status).toBe(401);
  });
});
