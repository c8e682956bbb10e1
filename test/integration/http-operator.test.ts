// Management API bodies as RabbitMQ reads them (rabbitmqadmin's "count":"1", "durable":"true"; RabbitMQ's 400 reasons
// otherwise) and the node endpoints it answers: /api/feature-flags, /api/auth, /api/nodes/{node}/memory[/relative].
// The body cases run against Warren and, when its management API answers, against RabbitMQ with the same expectations.
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { useBroker } from '../support/broker.js';
import { apiClient, reachableRabbitMq, type Api } from '../support/http.js';

const warren = useBroker({ managementPort: 0 });
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
  });
}

describe('what Warren itself reports', () => {
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
