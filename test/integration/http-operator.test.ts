// Management API bodies as RabbitMQ reads them (rabbitmqadmin's "count":"1", "durable":"true"; RabbitMQ's 400 reasons
// otherwise) and the node endpoints it answers: /api/feature-flags, /api/auth, /api/nodes/{node}/memory[/relative].
// The body cases run against Warren and, when its management API answers, against RabbitMQ with the same expectations.
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { useBroker } from '../support/broker.js';
import { apiClient, reachableRabbitMq, type Api } from '../support/http.js';

const warren = useBroker({ managementPort: 0, prometheusPort: 0 });
const rabbit = await reachableRabbitMq();
const wapi = (): Api => apiClient(`http://localhost:${warren.current.managementPort}`);
const targets: Array<[string, () => Api]> = [['Warren', wapi]];
if (rabbit) targets.push(['RabbitMQ', () => rabbit]);

for (const [name, api] of targets) {
  describe(`request bodies as RabbitMQ reads them (${name})`, () => {
    it('takes count and truncate as numbers or strings of digits, and refuses others with not_integer', async () => {
      expect.hasAssertions();
      const q = `warren-coerce-${randomUUID().slice(0, 8)}`;
      expect((await api().put(`/api/queues/%2F/${q}`, { durable: 'false', auto_delete: 'false' })).status).toBe(201);
      try {
        for (const body of ['hello world', 'second']) {
          const r = await api().post('/api/exchanges/%2F/amq.default/publish', { routing_key: q, payload: body, payload_encoding: 'string', properties: {} });
          expect(r.json).toEqual({ routed: true });
        }
        const got = await api().post(`/api/queues/%2F/${q}/get`, { count: '1', ackmode: 'ack_requeue_true', encoding: 'auto', truncate: '5' });
        expect(got.status).toBe(200);
        expect(got.json).toHaveLength(1);
        expect(got.json[0]).toMatchObject({ payload: 'hello', payload_bytes: 11, message_count: 1 });
        const both = await api().post(`/api/queues/%2F/${q}/get`, { count: 2.9, ackmode: 'ack_requeue_true', encoding: 'auto' });
        expect(both.json.map((m: { payload: string }) => m.payload)).toEqual(['hello world', 'second']);
        // 0 takes nothing; RabbitMQ's countdown from a negative count never reaches zero: it takes every message.
        for (const [count, taken] of [[0, 0], ['0', 0], [-1, 2], ['-1', 2]] as const) {
          const r = await api().post(`/api/queues/%2F/${q}/get`, { count, ackmode: 'ack_requeue_true', encoding: 'auto' });
          expect([count, r.status, r.json.length]).toEqual([count, 200, taken]);
        }
        for (const count of ['x', ' 1', '1e2', true, null]) {
          const bad = await api().post(`/api/queues/%2F/${q}/get`, { count, ackmode: 'ack_requeue_true', encoding: 'auto' });
          expect([bad.status, bad.json]).toEqual([400, { error: 'bad_request', reason: ['not_integer', count] }]);
        }
        const badTruncate = await api().post(`/api/queues/%2F/${q}/get`, { count: 1, ackmode: 'ack_requeue_true', encoding: 'auto', truncate: 'x' });
        expect([badTruncate.status, badTruncate.json]).toEqual([400, { error: 'bad_request', reason: ['not_integer', 'x'] }]);
      } finally {
        await api().del(`/api/queues/%2F/${q}`);
      }
    });

    it('takes booleans as true/false or "true"/"false", and refuses others with not_boolean', async () => {
      expect.hasAssertions();
      const id = randomUUID().slice(0, 8);
      const x = `warren-coerce-x-${id}`;
      expect((await api().put(`/api/exchanges/%2F/${x}`, { type: 'direct', durable: 'false', auto_delete: 'false', internal: 'false' })).status).toBe(201);
      expect((await api().get(`/api/exchanges/%2F/${x}`)).json).toMatchObject({ durable: false, auto_delete: false, internal: false });
      await api().del(`/api/exchanges/%2F/${x}`);
      const q = `warren-coerce-q-${id}`;
      expect((await api().put(`/api/queues/%2F/${q}`, { durable: 'true', auto_delete: false })).status).toBe(201);
      expect((await api().get(`/api/queues/%2F/${q}`)).json).toMatchObject({ durable: true, auto_delete: false });
      await api().del(`/api/queues/%2F/${q}`);
      for (const durable of ['yes', 'True', '1', 1, null]) {
        const bad = await api().put(`/api/queues/%2F/${q}-bad`, { durable });
        expect([bad.status, bad.json]).toEqual([400, { error: 'bad_request', reason: ['not_boolean', durable] }]);
      }
      const v = `warren-coerce-v-${id}`;
      const badVhost = await api().put(`/api/vhosts/${v}`, { tracing: 'yes' });
      expect([badVhost.status, badVhost.json]).toEqual([400, { error: 'bad_request', reason: ['not_boolean', 'yes'] }]);
      expect((await api().put(`/api/vhosts/${v}`, { tracing: 'false' })).status).toBe(201);
      expect((await api().del(`/api/vhosts/${v}`)).status).toBe(204);
    });

    it('keeps strings refused where RabbitMQ refuses them: message properties, policy priority, limit values, x-arguments', async () => {
      expect.hasAssertions();
      const id = randomUUID().slice(0, 8);
      const v = `warren-coerce-strict-${id}`;
      expect((await api().put(`/api/vhosts/${v}`, {})).status).toBe(201);
      try {
        expect([201, 204]).toContain((await api().put(`/api/permissions/${v}/guest`, { configure: '.*', write: '.*', read: '.*' })).status);
        const publish = (properties: Record<string, unknown>) =>
          api().post(`/api/exchanges/${v}/amq.default/publish`, { properties, routing_key: 'nowhere', payload: 'x', payload_encoding: 'string' });
        for (const [properties, reason] of [
          [{ delivery_mode: '2' }, ['not_int', 'delivery_mode']],
          [{ priority: '1' }, ['not_int', 'priority']],
          [{ delivery_mode: 2.5 }, ['not_int', 'delivery_mode']],
          [{ timestamp: 'x' }, ['not_int', 'timestamp']],
          [{ content_type: 5 }, ['not_string', 'content_type']],
        ] as const) {
          const r = await publish(properties);
          expect([properties, r.status, r.json]).toEqual([properties, 400, { error: 'bad_request', reason }]);
        }
        // A boolean outside properties is coerced as elsewhere.
        expect((await api().post(`/api/exchanges/${v}/amq.default/publish`, { properties: {}, routing_key: 'nowhere', payload: 'x', payload_encoding: 'string', mandatory: 'true' })).json).toEqual({ routed: false });
        const policy = await api().put(`/api/policies/${v}/p`, { pattern: '^x', definition: { 'max-length': 1 }, priority: '3' });
        expect([policy.status, policy.json?.reason]).toEqual([400, 'Validation failed\n\npriority should be a number, actually was &lt;&lt;"3"&gt;&gt;\n']);
        const limit = await api().put(`/api/vhost-limits/${v}/max-connections`, { value: '10' });
        expect([limit.status, limit.json?.reason]).toEqual([400, 'Validation failed\n\nmax-connections should be a number, actually was <<"10">>\n']);
        const userLimit = await api().put('/api/user-limits/guest/max-channels', { value: '100' });
        expect([userLimit.status, userLimit.json?.reason]).toEqual([400, 'max-channels should be a number, actually was <<"100">>']);
        const arg = await api().put(`/api/queues/${v}/q1`, { durable: 'true', arguments: { 'x-max-length': '5' } });
        expect([arg.status, arg.json?.reason]).toEqual([400, `invalid arg 'x-max-length' for queue 'q1' in vhost '${v}': "expected integer, got longstr"`]);
      } finally {
        await api().del(`/api/vhosts/${v}`);
      }
    });

    it('answers /api/feature-flags to administrators only, every flag a name, desc, state and stability', async () => {
      expect.hasAssertions();
      const r = await api().get('/api/feature-flags');
      expect(r.status).toBe(200);
      for (const f of r.json) expect(Object.keys(f).sort()).toEqual(['desc', 'doc_url', 'name', 'provided_by', 'stability', 'state']);
      expect(r.json.map((f: { name: string }) => f.name)).toEqual(expect.arrayContaining(['quorum_queue', 'stream_queue', 'user_limits', 'virtual_host_metadata', 'implicit_default_bindings', 'maintenance_mode_status']));
    });

    it('answers /api/auth without credentials', async () => {
      expect.hasAssertions();
      const r = await fetch(`${api().base}/api/auth`);
      expect(r.status).toBe(200);
      expect(await r.json()).toEqual({ enable_uaa: false, uaa_client_id: '', uaa_location: '' });
    });

    it("answers /api/nodes/{node}/memory with RabbitMQ's categories and /memory/relative in percent", async () => {
      expect.hasAssertions();
      const node = (await api().get('/api/nodes')).json[0].name as string;
      const abs = await api().get(`/api/nodes/${encodeURIComponent(node)}/memory`);
      expect(abs.status).toBe(200);
      const m = abs.json.memory;
      for (const k of ['connection_readers', 'queue_procs', 'other_proc', 'binary', 'code', 'other_system', 'allocated_unused', 'reserved_unallocated']) expect(typeof m[k]).toBe('number');
      expect(m.strategy).toBe('rss');
      expect(m.total.rss).toBeGreaterThan(0);
      const rel = await api().get(`/api/nodes/${encodeURIComponent(node)}/memory/relative`);
      expect(rel.json.memory.total).toBe(100);
      expect(Object.keys(rel.json.memory).sort()).toEqual(Object.keys(m).filter((k) => k !== 'strategy').sort());
      expect((await api().get('/api/nodes/nobody@nowhere/memory')).status).toBe(404);
    });
  });
}

for (const [name, api] of targets) {
  describe(`endpoints a single node answers (${name})`, () => {
    it('deletes users in bulk, stopping at an unknown one with no_such_user', async () => {
      expect.hasAssertions();
      const id = randomUUID().slice(0, 8);
      for (const u of ['a', 'b']) expect((await api().put(`/api/users/bulk-${u}-${id}`, { password: 'x', tags: '' })).status).toBe(201);
      const r = await api().post('/api/users/bulk-delete', { users: [`bulk-a-${id}`, `bulk-b-${id}`, `nobody-${id}`] });
      expect([r.status, r.json]).toEqual([400, { error: 'bad_request', reason: ['no_such_user', `nobody-${id}`] }]);
      expect((await api().get(`/api/users/bulk-a-${id}`)).status).toBe(404);
      expect((await api().get(`/api/users/bulk-b-${id}`)).status).toBe(404);
      expect((await api().post('/api/users/bulk-delete', {})).json).toEqual({ error: 'bad_request', reason: '[{key_missing,users}]' });
      expect((await api().post('/api/users/bulk-delete', { users: [] })).status).toBe(204);
    });

    it("lists and closes a user's connections, starts a running vhost, and rebalances nothing", async () => {
      expect.hasAssertions();
      expect((await api().get(`/api/connections/username/nobody-${randomUUID()}`)).json).toEqual([]);
      expect((await api().del(`/api/connections/username/nobody-${randomUUID()}`)).status).toBe(204);
      const node = (await api().get('/api/nodes')).json[0].name as string;
      expect((await api().post(`/api/vhosts/%2F/start/${encodeURIComponent(node)}`)).status).toBe(204);
      expect((await api().post('/api/vhosts/%2F/start/nope%40x')).json).toEqual({ error: 'bad_request', reason: 'Request to node nope@x failed with nodedown' });
      expect((await api().post(`/api/vhosts/no-such-vhost/start/${encodeURIComponent(node)}`)).json).toEqual({ error: 'bad_request', reason: `Request to node ${node} failed with {no_such_vhost,<<"no-such-vhost">>}` });
      expect((await api().post('/api/rebalance/queues')).status).toBe(204);
    });

    it("counts the API's publishes and gets in the queue's and the vhost's message_stats, as RabbitMQ's direct channel", async () => {
      expect.hasAssertions();
      const v = `warren-api-stats-${randomUUID().slice(0, 8)}`;
      expect((await api().put(`/api/vhosts/${v}`, {})).status).toBe(201);
      try {
        expect([201, 204]).toContain((await api().put(`/api/permissions/${v}/guest`, { configure: '.*', write: '.*', read: '.*' })).status);
        expect((await api().put(`/api/queues/${v}/q`, {})).status).toBe(201);
        const publish = (routing_key: string) => api().post(`/api/exchanges/${v}/amq.default/publish`, { properties: {}, routing_key, payload: 'x', payload_encoding: 'string' });
        for (let i = 0; i < 3; i++) expect((await publish('q')).json).toEqual({ routed: true });
        expect((await publish('nowhere')).json).toEqual({ routed: false });
        const get = (count: number, ackmode: string) => api().post(`/api/queues/${v}/q/get`, { count, ackmode, encoding: 'auto' });
        expect((await get(2, 'ack_requeue_false')).json).toHaveLength(2);
        expect((await get(1, 'ack_requeue_true')).json).toHaveLength(1);
        expect((await get(1, 'reject_requeue_false')).json[0]).toMatchObject({ redelivered: true });
        // An empty get is not counted as get_empty.
        expect((await get(1, 'ack_requeue_false')).json).toEqual([]);
        const counts = (stats: Record<string, unknown> | undefined) => Object.fromEntries(Object.entries(stats ?? {}).filter(([k]) => !k.endsWith('_details')));
        const queueCounts = { ack: 0, deliver: 0, deliver_get: 4, deliver_no_ack: 0, get: 2, get_empty: 0, get_no_ack: 2, publish: 3, redeliver: 1 };
        const vhostCounts = { ...queueCounts, publish: 4, confirm: 4, return_unroutable: 1, drop_unroutable: 0 };
        // RabbitMQ's counts arrive with its statistics emissions (every 5 s), not all in the same one.
        const same = (a: unknown, b: unknown) => JSON.stringify(Object.entries(a as object).sort()) === JSON.stringify(Object.entries(b as object).sort());
        let queue: Record<string, unknown> = {};
        let vhost: Record<string, unknown> = {};
        for (const deadline = Date.now() + 30_000; Date.now() < deadline; await new Promise((r) => setTimeout(r, 250))) {
          queue = counts((await api().get(`/api/queues/${v}/q`)).json.message_stats);
          vhost = counts((await api().get(`/api/vhosts/${v}`)).json.message_stats);
          if (same(queue, queueCounts) && same(vhost, vhostCounts)) break;
        }
        expect(queue).toEqual(queueCounts);
        expect(vhost).toEqual(vhostCounts);
      } finally {
        await api().del(`/api/vhosts/${v}`);
      }
    }, 45_000);

    it('keeps topic permissions per exchange under /topic-permissions/VHOST/USER/EXCHANGE: PUT from the body, DELETE of that exchange only', async () => {
      expect.hasAssertions();
      const id = randomUUID().slice(0, 8);
      const [v, u] = [`warren-topic-x-${id}`, `warren-topic-x-${id}`];
      expect((await api().put(`/api/vhosts/${v}`, {})).status).toBe(201);
      expect((await api().put(`/api/users/${u}`, { password: 'p', tags: '' })).status).toBe(201);
      try {
        expect((await api().get(`/api/topic-permissions/${v}/${u}/amq.topic`)).status).toBe(404);
        expect((await api().put(`/api/topic-permissions/${v}/${u}/amq.topic`, { exchange: 'amq.topic', write: '.*', read: '.*' })).status).toBe(201);
        // The body names the exchange; the path's is not read.
        expect((await api().put(`/api/topic-permissions/${v}/${u}/ignored`, { exchange: 'other', write: '^a', read: '^b' })).status).toBe(204);
        expect((await api().put(`/api/topic-permissions/${v}/${u}/x`, { write: 'a', read: 'b' })).json).toEqual({ error: 'bad_request', reason: '[{key_missing,exchange}]' });
        const exchanges = async () => ((await api().get(`/api/topic-permissions/${v}/${u}/anything`)).json as Array<{ exchange: string }>).map((t) => t.exchange).sort();
        expect(await exchanges()).toEqual(['amq.topic', 'other']);
        expect((await api().del(`/api/topic-permissions/${v}/${u}/amq.topic`)).status).toBe(204);
        expect(await exchanges()).toEqual(['other']);
        expect((await api().del(`/api/topic-permissions/${v}/${u}/none-such`)).status).toBe(204);
        expect((await api().del(`/api/topic-permissions/${v}/${u}/other`)).status).toBe(204);
        expect((await api().del(`/api/topic-permissions/${v}/${u}/other`)).status).toBe(404);
      } finally {
        await api().del(`/api/vhosts/${v}`);
        await api().del(`/api/users/${u}`);
      }
    });

    it('answers queue actions, the form login, login attempts per protocol and the deprecated node health check', async () => {
      expect.hasAssertions();
      const id = randomUUID().slice(0, 8);
      const q = `warren-actions-${id}`;
      expect((await api().put(`/api/queues/%2F/${q}`, { durable: false })).status).toBe(201);
      try {
        for (const action of ['sync', 'cancel_sync']) expect((await api().post(`/api/queues/%2F/${q}/actions`, { action })).status).toBe(204);
        expect((await api().post(`/api/queues/%2F/${q}/actions`, { action: 'SYNC' })).json).toEqual({ error: 'bad_request', reason: ['unknown', 'SYNC'] });
        expect((await api().post(`/api/queues/%2F/${q}/actions`, {})).json).toEqual({ error: 'bad_request', reason: '[{key_missing,action}]' });
      } finally {
        await api().del(`/api/queues/%2F/${q}`);
      }
      const form = { 'content-type': 'application/x-www-form-urlencoded' };
      const u = `warren-login-${id}`;
      expect((await api().put(`/api/users/${u}`, { password: 'pw', tags: 'management' })).status).toBe(201);
      try {
        const ok = await api().request('POST', '/api/login', `username=${u}&password=pw`, form);
        expect([ok.status, ok.json, ok.headers.get('set-cookie')]).toEqual([200, 'ok', `auth=${Buffer.from(`${u}:pw`).toString('base64')}; Version=1`]);
        const bad = await api().request('POST', '/api/login', `username=${u}&password=nope`, form);
        expect([bad.status, bad.json]).toEqual([401, { error: 'not_authorized', reason: 'Login failed' }]);
      } finally {
        await api().del(`/api/users/${u}`);
      }
      const node = encodeURIComponent((await api().get('/api/nodes')).json[0].name as string);
      const attempts = (await api().get(`/api/auth/attempts/${node}`)).json as Array<Record<string, unknown>>;
      const http = attempts.find((a) => a.protocol === 'http');
      expect(http).toMatchObject({ auth_attempts: expect.any(Number), auth_attempts_failed: expect.any(Number), auth_attempts_succeeded: expect.any(Number) });
      expect(http!.auth_attempts_failed).toBeGreaterThanOrEqual(1);
      expect(http!.auth_attempts).toBe((http!.auth_attempts_failed as number) + (http!.auth_attempts_succeeded as number));
      expect((await api().get(`/api/auth/attempts/${node}/source`)).json).toEqual([]);
      expect((await api().get('/api/auth/attempts/nobody%40nowhere')).status).toBe(404);
      expect((await api().get('/api/healthchecks/node')).json).toEqual({ status: 'ok' });
      expect((await api().get(`/api/healthchecks/node/${node}`)).json).toEqual({ status: 'ok' });
    });
  });
}

describe('what Warren itself reports', () => {
  it('zeroes message_stats and drops rate samples on DELETE /api/reset, leaving Prometheus counters alone', async () => {
    expect.hasAssertions();
    const q = `reset-q-${randomUUID().slice(0, 8)}`;
    await wapi().put(`/api/queues/%2F/${q}`, { durable: false });
    const publish = () => wapi().post('/api/exchanges/%2F/amq.default/publish', { routing_key: q, payload: 'x', payload_encoding: 'string', properties: {} });
    for (let i = 0; i < 3; i++) await publish();
    const stats = async () => (await wapi().get(`/api/queues/%2F/${q}`)).json.message_stats;
    expect((await stats()).publish).toBe(3);
    const published = async () => (await wapi().get('/api/overview')).json.message_stats.publish as number | undefined;
    const before = await published();
    expect(before).toBeGreaterThanOrEqual(3);
    expect((await wapi().del('/api/reset')).status).toBe(204);
    expect(await stats()).toBeUndefined();
    expect(await published()).toBeUndefined();
    await publish();
    expect(await stats()).toMatchObject({ publish: 1, publish_details: { rate: 0 } });
    expect(await published()).toBe(1);
    // The queue still holds what it held; only the statistics started again.
    expect((await wapi().get(`/api/queues/%2F/${q}`)).json.messages_ready).toBe(4);
    expect((await wapi().del('/api/reset/nobody%40nowhere')).status).toBe(404);
    await wapi().del(`/api/queues/%2F/${q}`);
  });

  it('sets the cluster name as the cluster_name global parameter, shown by the overview and exported', async () => {
    expect.hasAssertions();
    expect((await wapi().put('/api/cluster-name', {})).json).toEqual({ error: 'bad_request', reason: '[{key_missing,name}]' });
    expect((await wapi().put('/api/cluster-name', { name: 'warren-cluster' })).status).toBe(204);
    expect((await wapi().get('/api/cluster-name')).json).toEqual({ name: 'warren-cluster' });
    expect((await wapi().get('/api/overview')).json.cluster_name).toBe('warren-cluster');
    expect((await wapi().get('/api/global-parameters/cluster_name')).json).toMatchObject({ name: 'cluster_name', value: 'warren-cluster' });
    expect((await wapi().get('/api/definitions')).json.global_parameters).toContainEqual({ name: 'cluster_name', value: 'warren-cluster' });
    await wapi().put('/api/users/cn-monitor', { password: 'p', tags: 'monitoring' });
    expect((await apiClient(wapi().base, 'cn-monitor', 'p').put('/api/cluster-name', { name: 'x' })).status).toBe(401);
  });

  it('counts logins per protocol and zeroes them on DELETE /api/auth/attempts/NODE, as the Prometheus counters', async () => {
    expect.hasAssertions();
    const node = encodeURIComponent((await wapi().get('/api/nodes')).json[0].name as string);
    const amqp = (await import('amqplib')).default;
    await (await amqp.connect(warren.current.url)).close();
    await amqp.connect(warren.current.url.replace('guest:guest', 'guest:wrong')).catch(() => undefined);
    const rows = (await wapi().get(`/api/auth/attempts/${node}`)).json as Array<{ protocol: string; auth_attempts_failed: number; auth_attempts_succeeded: number }>;
    expect(rows.map((r) => r.protocol).sort()).toEqual(['amqp091', 'http']);
    expect(rows.find((r) => r.protocol === 'amqp091')).toMatchObject({ auth_attempts_failed: 1, auth_attempts_succeeded: expect.any(Number) });
    expect((await wapi().del(`/api/auth/attempts/${node}`)).status).toBe(204);
    // The GET itself is the one login counted since.
    expect((await wapi().get(`/api/auth/attempts/${node}`)).json).toEqual([{ protocol: 'http', auth_attempts: 1, auth_attempts_failed: 0, auth_attempts_succeeded: 1 }]);
    const metrics = await (await fetch(`http://localhost:${warren.current.prometheusPort}/metrics`)).text();
    expect(metrics).toMatch(/^rabbitmq_auth_attempts_failed_total\{protocol="amqp091"\} 0$/m);
  });

  it('enables a known feature flag (a no-op: all are on) and refuses an unknown one', async () => {
    expect.hasAssertions();
    expect((await wapi().put('/api/feature-flags/stream_filtering/enable', {})).status).toBe(204);
    expect((await wapi().put('/api/feature-flags/no_such_flag/enable', {})).json).toEqual({ error: 'bad_request', reason: 'unsupported' });
  });

  it('lists RabbitMQ 3.13 feature flags, all enabled, and refuses non-administrators', async () => {
    expect.hasAssertions();
    const flags = (await wapi().get('/api/feature-flags')).json as Array<{ name: string; state: string }>;
    expect(flags.length).toBeGreaterThanOrEqual(20);
    expect(flags.every((f) => f.state === 'enabled')).toBe(true);
    expect(flags.map((f) => f.name)).toEqual(expect.arrayContaining(['message_containers', 'stream_filtering', 'feature_flags_v2', 'direct_exchange_routing_v2']));
    await wapi().put('/api/users/ff-monitor', { password: 'p', tags: 'monitoring' });
    const monitor = apiClient(wapi().base, 'ff-monitor', 'p');
    expect((await monitor.get('/api/feature-flags')).json).toEqual({ error: 'not_authorised', reason: 'Not administrator user' });
    expect((await monitor.get('/api/nodes/rabbit@localhost/memory')).status).not.toBe(401);
    await wapi().put('/api/users/ff-mgmt', { password: 'p', tags: 'management' });
    expect((await apiClient(wapi().base, 'ff-mgmt', 'p').get('/api/nodes/rabbit@localhost/memory')).json).toEqual({ error: 'not_authorised', reason: 'Not monitor user' });
  });

  it("lists a user's connections and closes them all", async () => {
    expect.hasAssertions();
    const amqp = (await import('amqplib')).default;
    const conns = await Promise.all([amqp.connect(warren.current.url), amqp.connect(warren.current.url)]);
    const closed = conns.map((c) => new Promise<void>((resolve) => c.on('close', () => resolve())));
    for (const c of conns) c.on('error', () => {});
    const listed = await wapi().get('/api/connections/username/guest');
    expect(listed.json).toHaveLength(2);
    expect(listed.json[0]).toMatchObject({ user: 'guest', recv_oct_details: { rate: expect.any(Number) } });
    expect((await wapi().del('/api/connections/username/guest')).status).toBe(204);
    await Promise.all(closed);
  });

  it('measures memory: the categories add up to the resident set, and Buffer memory grows with message bodies held', async () => {
    expect.hasAssertions();
    const node = (await wapi().get('/api/nodes')).json[0].name as string;
    const before = (await wapi().get(`/api/nodes/${encodeURIComponent(node)}/memory`)).json.memory;
    const sum = Object.entries(before).filter(([k]) => k !== 'strategy' && k !== 'total').reduce((n, [, v]) => n + (v as number), 0);
    expect(sum).toBeGreaterThan(before.total.rss * 0.95);
    expect(sum).toBeLessThanOrEqual(before.total.rss * 1.05);
    await wapi().put('/api/queues/%2F/mem-q', { durable: false });
    const payload = Buffer.alloc(1024 * 1024, 7).toString('base64');
    for (let i = 0; i < 16; i++) await wapi().post('/api/exchanges/%2F/amq.default/publish', { routing_key: 'mem-q', payload, payload_encoding: 'base64', properties: {} });
    const after = (await wapi().get(`/api/nodes/${encodeURIComponent(node)}/memory`)).json.memory;
    expect(after.binary - before.binary).toBeGreaterThan(15 * 1024 * 1024);
    await wapi().del('/api/queues/%2F/mem-q');
  });
});
