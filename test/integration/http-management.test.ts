// The management HTTP API through real HTTP against a real broker: auth, node routes, queues, exchanges, bindings,
// publish/get, connections, channels and consumers, with RabbitMQ's status codes and error shapes.
import amqp from 'amqplib';
import { describe, expect, it } from 'vitest';
import { apiClient, eventually, type Api } from '../support/http.js';
import { useBroker } from '../support/broker.js';

const broker = useBroker({ managementPort: 0 });

function api(user = 'guest', pass = 'guest'): Api {
  return apiClient(`http://localhost:${broker.current.managementPort}`, user, pass);
}

async function connect(name?: string) {
  const conn = await amqp.connect(broker.current.url, name ? { clientProperties: { connection_name: name } } : {});
  conn.on('error', () => {});
  return conn;
}

describe('management API: authentication and errors', () => {
  it('answers 401 not_authorized with a Basic challenge for a wrong password or no credentials', async () => {
    expect.hasAssertions();
    const bad = await api('guest', 'wrong').get('/api/overview');
    expect(bad.status).toBe(401);
    expect(bad.json).toEqual({ error: 'not_authorized', reason: 'Login failed' });
    expect(bad.headers.get('www-authenticate')).toBe('Basic realm="RabbitMQ Management"');
    const none = await fetch(`http://localhost:${broker.current.managementPort}/api/overview`);
    expect(none.status).toBe(401);
  });

  it('refuses users without a management tag, and non-administrators on administrator routes', async () => {
    expect.hasAssertions();
    expect((await api().put('/api/users/plain', { password: 'pw', tags: '' })).status).toBe(201);
    expect((await api('plain', 'pw').get('/api/overview')).json).toEqual({ error: 'not_authorized', reason: 'Not management user' });
    expect((await api().put('/api/users/watcher', { password: 'pw', tags: ['management'] })).status).toBe(201);
    expect((await api('watcher', 'pw').get('/api/whoami')).json).toEqual({ name: 'watcher', tags: ['management'] });
    const users = await api('watcher', 'pw').get('/api/users');
    expect(users.status).toBe(401);
    expect(users.json).toEqual({ error: 'not_authorised', reason: 'Not administrator user' });
    await api().del('/api/users/plain');
    await api().del('/api/users/watcher');
  });

  it('answers 404 Object Not Found for unknown paths and objects, 405 with Allow for a wrong method', async () => {
    expect.hasAssertions();
    for (const path of ['/api/nope', '/api/queues/nope', '/api/queues/%2F/missing', '/api/exchanges/%2F/missing', '/api/connections/nope', '/nothing']) {
      const r = await api().get(path);
      expect(r.status, path).toBe(404);
      expect(r.json, path).toEqual({ error: 'Object Not Found', reason: 'Not Found' });
    }
    const r = await api().request('PATCH', '/api/queues');
    expect(r.status).toBe(405);
    expect(r.headers.get('allow')).toContain('GET');
  });

  it('answers 400 not_json for a body that is not a JSON object', async () => {
    expect.hasAssertions();
    for (const body of ['{bad json', '[]', '"x"']) {
      const r = await api().put('/api/queues/%2F/http.badjson', body);
      expect(r.status).toBe(400);
      expect(r.json).toEqual({ error: 'bad_request', reason: 'not_json' });
    }
  });
});

describe('management API: node', () => {
  it('serves /api/overview with totals, listeners and product', async () => {
    expect.hasAssertions();
    const r = await api().get('/api/overview');
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toBe('application/json');
    expect(r.json).toMatchObject({
      product_name: 'Warren',
      node: 'warren@localhost',
      object_totals: { connections: expect.any(Number), channels: expect.any(Number), queues: expect.any(Number), exchanges: expect.any(Number), consumers: expect.any(Number) },
      queue_totals: { messages: expect.any(Number), messages_ready: expect.any(Number), messages_unacknowledged: expect.any(Number) },
    });
    expect(typeof r.json.rabbitmq_version).toBe('string');
    expect(r.json.listeners).toContainEqual(expect.objectContaining({ protocol: 'amqp', port: broker.current.port }));
    expect(r.json.listeners).toContainEqual(expect.objectContaining({ protocol: 'http', port: broker.current.managementPort }));
    expect(r.json.exchange_types.map((t: { name: string }) => t.name).sort()).toEqual(['direct', 'fanout', 'headers', 'topic']);
  });

  it('serves /api/whoami, /api/nodes and the health checks', async () => {
    expect.hasAssertions();
    expect((await api().get('/api/whoami')).json).toEqual({ name: 'guest', tags: ['administrator'] });
    const nodes = await api().get('/api/nodes');
    expect(nodes.json).toHaveLength(1);
    expect(nodes.json[0]).toMatchObject({ name: 'warren@localhost', running: true, type: 'disc', mem_alarm: false, disk_free_alarm: false });
    expect((await api().get('/api/nodes/warren@localhost')).json.name).toBe('warren@localhost');
    expect((await api().get('/api/health/checks/alarms')).json).toEqual({ status: 'ok' });
    expect((await api().get('/api/health/checks/virtual-hosts')).json).toEqual({ status: 'ok' });
    expect((await api().get(`/api/health/checks/port-listener/${broker.current.port}`)).json).toEqual({ status: 'ok', port: broker.current.port });
    expect((await api().get('/api/health/checks/port-listener/1')).status).toBe(503);
  });

  it('runs the aliveness test as a real declare, publish and get in the vhost', async () => {
    expect.hasAssertions();
    const r = await api().get('/api/aliveness-test/%2F');
    expect(r.status).toBe(200);
    expect(r.json).toEqual({ status: 'ok' });
    const q = broker.current.broker.vhosts.get('/')!.queues.get('aliveness-test');
    expect(q?.messageCount).toBe(0);
    expect((await api().get('/api/aliveness-test/nope')).status).toBe(404);
  });
});

describe('management API: vhosts, users, permissions', () => {
  it('lists, creates and deletes vhosts; a deleted vhost closes its connections', async () => {
    expect.hasAssertions();
    expect((await api().get('/api/vhosts')).json).toContainEqual(expect.objectContaining({ name: '/', description: 'Default virtual host', tracing: false }));
    expect((await api().put('/api/vhosts/http-vh', { description: 'test vhost' })).status).toBe(201);
    expect((await api().put('/api/vhosts/http-vh', {})).status).toBe(204);
    expect((await api().get('/api/vhosts/http-vh')).json).toMatchObject({ name: 'http-vh', description: 'test vhost', messages: 0 });
    const conn = await amqp.connect(`${broker.current.url}/http-vh`);
    conn.on('error', () => {});
    const closed = new Promise<unknown>((resolve) => conn.on('close', resolve));
    const ch = await conn.createChannel();
    await ch.assertQueue('in-vh');
    expect((await api().del('/api/vhosts/http-vh')).status).toBe(204);
    expect(String(await closed)).toMatch(/320/);
    expect((await api().get('/api/vhosts/http-vh')).status).toBe(404);
    expect((await api().del('/api/vhosts/http-vh')).status).toBe(404);
  });

  it('lists users with RabbitMQ password hashes; creates users that can log in over AMQP', async () => {
    expect.hasAssertions();
    const users = await api().get('/api/users');
    expect(users.json).toContainEqual({ name: 'guest', password_hash: expect.any(String), hashing_algorithm: 'rabbit_password_hashing_sha256', tags: ['administrator'], limits: {} });
    expect(Buffer.from(users.json[0].password_hash, 'base64')).toHaveLength(36);
    expect((await api().put('/api/users/http-user', { password: 's3cret', tags: 'management,monitoring' })).status).toBe(201);
    expect((await api().put('/api/permissions/%2F/http-user', { configure: '.*', write: '.*', read: '.*' })).status).toBe(201);
    expect((await api().get('/api/users/http-user')).json.tags).toEqual(['management', 'monitoring']);
    const conn = await amqp.connect(`amqp://http-user:s3cret@localhost:${broker.current.port}`);
    await conn.close();
    await expect(amqp.connect(`amqp://http-user:wrong@localhost:${broker.current.port}`)).rejects.toThrow(/ACCESS_REFUSED|403/);
    expect((await api().del('/api/users/http-user')).status).toBe(204);
    expect((await api().get('/api/users/http-user')).status).toBe(404);
  });

  it("PUT without credentials clears an existing user's password and gives a new user a random one, as RabbitMQ 3.10", async () => {
    expect.hasAssertions();
    const amqpUrl = (user: string, pass: string) => `amqp://${user}:${pass}@localhost:${broker.current.port}`;
    expect((await api().put('/api/users/cleared', { password: 'pw1', tags: 'management' })).status).toBe(201);
    expect((await api().put('/api/permissions/%2F/cleared', { configure: '.*', write: '.*', read: '.*' })).status).toBe(201);
    await (await amqp.connect(amqpUrl('cleared', 'pw1'))).close();
    // Tags only: RabbitMQ (verified on 3.10.8) stores an empty hash, and the old password no longer logs in.
    expect((await api().put('/api/users/cleared', { tags: 'monitoring' })).status).toBe(204);
    expect((await api().get('/api/users/cleared')).json).toMatchObject({ password_hash: '', tags: ['monitoring'] });
    await expect(amqp.connect(amqpUrl('cleared', 'pw1'))).rejects.toThrow(/ACCESS_REFUSED|403/);
    expect((await api('cleared', 'pw1').get('/api/whoami')).status).toBe(401);
    // A new user without credentials gets a hash of a random password: shown like any other, usable by nobody.
    expect((await api().put('/api/users/unknowable', { tags: 'management' })).status).toBe(201);
    const hash = (await api().get('/api/users/unknowable')).json.password_hash as string;
    expect(Buffer.from(hash, 'base64')).toHaveLength(36);
    expect((await api('unknowable', '').get('/api/whoami')).status).toBe(401);
    for (const u of ['cleared', 'unknowable']) expect((await api().del(`/api/users/${u}`)).status).toBe(204);
  });

  it('shows guest with full permissions on every vhost, and explicit permissions once set', async () => {
    expect.hasAssertions();
    expect((await api().get('/api/permissions')).json).toContainEqual({ user: 'guest', vhost: '/', configure: '.*', write: '.*', read: '.*' });
    expect((await api().get('/api/permissions/%2F/guest')).json).toEqual({ user: 'guest', vhost: '/', configure: '.*', write: '.*', read: '.*' });
    await api().put('/api/users/perm-user', { password: 'pw', tags: [] });
    expect((await api().get('/api/permissions/%2F/perm-user')).status).toBe(404);
    expect((await api().put('/api/permissions/%2F/perm-user', { configure: '^x', write: '.*' })).json).toEqual({ error: 'bad_request', reason: '[{key_missing,read}]' });
    expect((await api().put('/api/permissions/%2F/perm-user', { configure: '^x', write: '.*', read: '' })).status).toBe(201);
    expect((await api().get('/api/users/perm-user/permissions')).json).toEqual([{ user: 'perm-user', vhost: '/', configure: '^x', write: '.*', read: '' }]);
    expect((await api().del('/api/permissions/%2F/perm-user')).status).toBe(204);
    expect((await api().get('/api/permissions/%2F/perm-user')).status).toBe(404);
    await api().del('/api/users/perm-user');
  });
});

describe('management API: queues', () => {
  it('declares a queue with PUT that AMQP then sees, with arguments typed as RabbitMQ types them', async () => {
    expect.hasAssertions();
    const r = await api().put('/api/queues/%2F/http.q1', { durable: true, auto_delete: false, arguments: { 'x-max-length': 5, 'x-queue-mode': 'lazy' } });
    expect(r.status).toBe(201);
    expect(r.text).toBe('');
    expect((await api().put('/api/queues/%2F/http.q1', { durable: true, arguments: { 'x-max-length': 5, 'x-queue-mode': 'lazy' } })).status).toBe(204);
    const conn = await connect();
    const ch = await conn.createChannel();
    const ok = await ch.checkQueue('http.q1');
    expect(ok).toMatchObject({ queue: 'http.q1', messageCount: 0 });
    const q = broker.current.broker.vhosts.get('/')!.queues.get('http.q1')!;
    expect(q.arguments.get('x-max-length')).toEqual({ type: 'l', value: 5 });
    expect(q.durable).toBe(true);
    await conn.close();
  });

  it('refuses inequivalent redeclares, bad flags, reserved names and missing vhosts as RabbitMQ does', async () => {
    expect.hasAssertions();
    await api().put('/api/queues/%2F/http.q2', { durable: false });
    expect((await api().put('/api/queues/%2F/http.q2', { durable: true })).json).toEqual({
      error: 'bad_request',
      reason: "inequivalent arg 'durable' for queue 'http.q2' in vhost '/': received 'true' but current is 'false'",
    });
    expect((await api().put('/api/queues/%2F/http.q2', { auto_delete: 'yes' })).json).toEqual({ error: 'bad_request', reason: ['not_boolean', 'yes'] });
    expect((await api().put('/api/queues/%2F/amq.foo', {})).json).toEqual({ error: 'not_authorised', reason: 'Access refused.' });
    expect((await api().put('/api/queues/%2F/amq.foo', {})).status).toBe(401);
    const noVhost = await api().put('/api/queues/nope/q', {});
    expect(noVhost.status).toBe(404);
    expect(noVhost.json).toEqual({ error: 'not_found', reason: 'vhost_not_found' });
    const badArg = await api().put('/api/queues/%2F/http.q3', { arguments: { 'x-max-length': 'abc' } });
    expect(badArg.status).toBe(400);
    expect(badArg.json.reason).toMatch(/^invalid arg 'x-max-length' for queue 'http.q3' in vhost '\/'/);
  });

  it('lists queues with depth and consumer counts, and shows one queue with its consumers', async () => {
    expect.hasAssertions();
    const conn = await connect();
    const ch = await conn.createChannel();
    await ch.assertQueue('http.depth', { durable: false });
    for (let i = 0; i < 3; i++) ch.sendToQueue('http.depth', Buffer.from(`m${i}`));
    await ch.prefetch(1);
    const consumerCh = await conn.createChannel();
    await consumerCh.prefetch(1);
    await consumerCh.consume('http.depth', () => {}, { consumerTag: 'http-ctag' });
    const q = await eventually(async () => {
      const r = await api().get('/api/queues/%2F/http.depth');
      return r.json?.messages_unacknowledged === 1 && r.json?.messages_ready === 2 ? r.json : undefined;
    });
    expect(q).toMatchObject({
      name: 'http.depth',
      vhost: '/',
      durable: false,
      auto_delete: false,
      exclusive: false,
      arguments: {},
      messages: 3,
      messages_ready: 2,
      messages_unacknowledged: 1,
      message_bytes: 6,
      message_bytes_ready: 4,
      message_bytes_unacknowledged: 2,
      consumers: 1,
      state: 'running',
      type: 'classic',
      node: 'warren@localhost',
    });
    expect(q.consumer_details).toEqual([expect.objectContaining({ consumer_tag: 'http-ctag', ack_required: true, prefetch_count: 1, queue: { name: 'http.depth', vhost: '/' } })]);
    const list = await api().get('/api/queues/%2F');
    expect(list.json.find((x: { name: string }) => x.name === 'http.depth')).toMatchObject({ messages: 3, consumers: 1 });
    const all = await api().get('/api/queues');
    expect(all.json.some((x: { name: string }) => x.name === 'http.depth')).toBe(true);
    await conn.close();
  });

  it('pages, sorts and selects columns as RabbitMQ does', async () => {
    expect.hasAssertions();
    for (const n of ['http.page.a', 'http.page.b', 'http.page.c']) await api().put(`/api/queues/%2F/${n}`, {});
    const page = await api().get('/api/queues/%2F?page=1&page_size=2&name=http.page.&columns=name,messages&sort=name&sort_reverse=true');
    expect(page.json).toMatchObject({ filtered_count: 3, item_count: 2, page: 1, page_count: 2, page_size: 2 });
    expect(page.json.items).toEqual([{ name: 'http.page.c', messages: 0 }, { name: 'http.page.b', messages: 0 }]);
  });

  it('purges with DELETE …/contents and deletes with DELETE, honouring if-empty and if-unused', async () => {
    expect.hasAssertions();
    const conn = await connect();
    const ch = await conn.createChannel();
    await ch.assertQueue('http.purge', { durable: false });
    ch.sendToQueue('http.purge', Buffer.from('x'));
    await eventually(async () => ((await ch.checkQueue('http.purge')).messageCount === 1 ? true : undefined));
    const notEmpty = await api().del('/api/queues/%2F/http.purge?if-empty=true');
    expect(notEmpty.json).toEqual({ error: 'bad_request', reason: "queue 'http.purge' in vhost '/' not empty" });
    expect((await api().del('/api/queues/%2F/http.purge/contents')).status).toBe(204);
    expect((await ch.checkQueue('http.purge')).messageCount).toBe(0);
    await ch.consume('http.purge', () => {});
    expect((await api().del('/api/queues/%2F/http.purge?if-unused=true')).json).toEqual({ error: 'bad_request', reason: "queue 'http.purge' in vhost '/' in use" });
    expect((await api().del('/api/queues/%2F/http.purge')).status).toBe(204);
    expect((await api().del('/api/queues/%2F/http.purge')).status).toBe(404);
    expect((await api().del('/api/queues/%2F/http.purge/contents')).status).toBe(404);
    await conn.close();
  });

  it("refuses to touch another connection's exclusive queue (405 RESOURCE_LOCKED as 400)", async () => {
    expect.hasAssertions();
    const conn = await connect();
    const ch = await conn.createChannel();
    await ch.assertQueue('http.excl', { exclusive: true });
    const del = await api().del('/api/queues/%2F/http.excl');
    expect(del.status).toBe(400);
    expect(del.json.reason).toMatch(/^cannot obtain exclusive access to locked queue 'http.excl' in vhost '\/'/);
    const get = await api().post('/api/queues/%2F/http.excl/get', { count: 1, ackmode: 'ack_requeue_true', encoding: 'auto' });
    expect(get.json.reason).toMatch(/^405 RESOURCE_LOCKED - cannot obtain exclusive access/);
    const shown = await api().get('/api/queues/%2F/http.excl');
    expect(shown.json.exclusive).toBe(true);
    expect(shown.json.owner_pid_details.name).toMatch(/ -> /);
    await conn.close();
  });
});

describe('management API: exchanges and bindings', () => {
  it('declares an exchange with PUT that AMQP sees, and refuses inequivalent and reserved declares', async () => {
    expect.hasAssertions();
    expect((await api().put('/api/exchanges/%2F/http.x', { type: 'fanout', durable: true })).status).toBe(201);
    expect((await api().put('/api/exchanges/%2F/http.x', { type: 'fanout', durable: true })).status).toBe(204);
    expect((await api().put('/api/exchanges/%2F/http.x', { type: 'direct', durable: true })).json).toEqual({
      error: 'bad_request',
      reason: "inequivalent arg 'type' for exchange 'http.x' in vhost '/': received 'direct' but current is 'fanout'",
    });
    expect((await api().put('/api/exchanges/%2F/http.bogus', { type: 'bogus' })).json).toEqual({ error: 'bad_request', reason: "unknown exchange type 'bogus'" });
    expect((await api().put('/api/exchanges/%2F/amq.mine', { type: 'direct' })).status).toBe(401);
    expect((await api().put('/api/exchanges/%2F/http.notype', {})).json).toEqual({ error: 'bad_request', reason: '[{key_missing,type}]' });
    const conn = await connect();
    const ch = await conn.createChannel();
    expect(await ch.checkExchange('http.x')).toBeDefined();
    await conn.close();
    expect((await api().get('/api/exchanges/%2F/http.x')).json).toMatchObject({ name: 'http.x', vhost: '/', type: 'fanout', durable: true, auto_delete: false, internal: false, arguments: {} });
  });

  it('lists exchanges with the default one as "" and addresses it as amq.default', async () => {
    expect.hasAssertions();
    const list = await api().get('/api/exchanges/%2F');
    const names = list.json.map((x: { name: string }) => x.name);
    expect(names).toEqual(expect.arrayContaining(['', 'amq.direct', 'amq.fanout', 'amq.topic', 'amq.headers', 'amq.match']));
    expect((await api().get('/api/exchanges/%2F/amq.default')).json).toMatchObject({ name: '', type: 'direct', durable: true });
  });

  it('deletes exchanges, refusing system ones (401) and in-use ones with if-unused', async () => {
    expect.hasAssertions();
    await api().put('/api/exchanges/%2F/http.del', { type: 'direct' });
    await api().put('/api/queues/%2F/http.del.q', {});
    await api().post('/api/bindings/%2F/e/http.del/q/http.del.q', { routing_key: 'k' });
    expect((await api().del('/api/exchanges/%2F/http.del?if-unused=true')).json).toEqual({ error: 'bad_request', reason: "exchange 'http.del' in vhost '/' in use" });
    expect((await api().del('/api/exchanges/%2F/amq.direct')).json).toEqual({ error: 'not_authorised', reason: 'Access refused.' });
    expect((await api().del('/api/exchanges/%2F/http.del')).status).toBe(204);
    expect((await api().del('/api/exchanges/%2F/http.del')).status).toBe(404);
  });

  it('binds with POST (201 + Location), lists, reads and deletes bindings by properties key', async () => {
    expect.hasAssertions();
    await api().put('/api/exchanges/%2F/http.bx', { type: 'topic' });
    await api().put('/api/queues/%2F/http.bq', {});
    const bound = await api().post('/api/bindings/%2F/e/http.bx/q/http.bq', { routing_key: 'a.#', arguments: { k: 1 } });
    expect(bound.status).toBe(201);
    const location = bound.headers.get('location')!;
    expect(location).toMatch(/^http\.bq\/a\.%2523~[A-Za-z0-9_-]{6}$/);
    const list = await api().get('/api/bindings/%2F/e/http.bx/q/http.bq');
    expect(list.json).toEqual([
      { source: 'http.bx', vhost: '/', destination: 'http.bq', destination_type: 'queue', routing_key: 'a.#', arguments: { k: 1 }, properties_key: expect.stringMatching(/^a\.%23~/) },
    ]);
    const props = list.json[0].properties_key as string;
    expect(`http.bq/${encodeURIComponent(props)}`).toBe(location);
    const queueBindings = await api().get('/api/queues/%2F/http.bq/bindings');
    expect(queueBindings.json.map((b: { source: string }) => b.source)).toEqual(['', 'http.bx']);
    const all = await api().get('/api/bindings/%2F');
    expect(all.json).toContainEqual(expect.objectContaining({ source: '', destination: 'http.bq', routing_key: 'http.bq', properties_key: 'http.bq' }));
    expect((await api().get(`/api/bindings/%2F/e/http.bx/q/http.bq/${encodeURIComponent(props)}`)).json.routing_key).toBe('a.#');

    const conn = await connect();
    const ch = await conn.createChannel();
    ch.publish('http.bx', 'a.b', Buffer.from('via binding'));
    const msg = await eventually(async () => (await ch.get('http.bq', { noAck: true })) || undefined);
    expect(msg.content.toString()).toBe('via binding');

    expect((await api().del(`/api/bindings/%2F/e/http.bx/q/http.bq/${encodeURIComponent(props)}`)).status).toBe(204);
    expect((await api().get('/api/bindings/%2F/e/http.bx/q/http.bq')).json).toEqual([]);
    expect((await api().del(`/api/bindings/%2F/e/http.bx/q/http.bq/${encodeURIComponent(props)}`)).status).toBe(404);
    await conn.close();
  });

  it('unbinds what AMQP bound with typed arguments, and binds exchange to exchange', async () => {
    expect.hasAssertions();
    const conn = await connect();
    const ch = await conn.createChannel();
    await ch.assertExchange('http.hx', 'headers');
    await ch.assertQueue('http.hq');
    await ch.bindQueue('http.hq', 'http.hx', '', { 'x-match': 'all', n: 7 });
    const [b] = (await api().get('/api/bindings/%2F/e/http.hx/q/http.hq')).json;
    expect(b.arguments).toEqual({ 'x-match': 'all', n: 7 });
    expect((await api().del(`/api/bindings/%2F/e/http.hx/q/http.hq/${encodeURIComponent(b.properties_key)}`)).status).toBe(204);
    expect((await api().get('/api/bindings/%2F/e/http.hx/q/http.hq')).json).toEqual([]);

    expect((await api().post('/api/bindings/%2F/e/http.hx/e/amq.fanout', {})).status).toBe(201);
    const e2e = await api().get('/api/exchanges/%2F/http.hx/bindings/source');
    expect(e2e.json).toEqual([expect.objectContaining({ source: 'http.hx', destination: 'amq.fanout', destination_type: 'exchange', routing_key: '', properties_key: '~' })]);
    expect((await api().get('/api/exchanges/%2F/amq.fanout/bindings/destination')).json).toHaveLength(1);
    expect((await api().post('/api/bindings/%2F/e/nope/q/http.hq', {})).json).toEqual({ error: 'not_found', reason: "no exchange 'nope' in vhost '/'" });
    expect((await api().post('/api/bindings/%2F/e/http.hx/q/nope', {})).json).toEqual({ error: 'not_found', reason: "no queue 'nope' in vhost '/'" });
    await conn.close();
  });
});

describe('management API: publish and get', () => {
  it('publishes through an exchange ({"routed": true/false}) and AMQP receives it with its properties', async () => {
    expect.hasAssertions();
    const conn = await connect();
    const ch = await conn.createChannel();
    await ch.assertQueue('http.pub', { durable: false });
    const r = await api().post('/api/exchanges/%2F/amq.default/publish', {
      properties: { delivery_mode: 2, content_type: 'text/plain', headers: { h: 'v', n: 3 }, correlation_id: 'c1', priority: 4 },
      routing_key: 'http.pub',
      payload: 'from http',
      payload_encoding: 'string',
    });
    expect(r.status).toBe(200);
    expect(r.json).toEqual({ routed: true });
    const msg = await eventually(async () => (await ch.get('http.pub', { noAck: true })) || undefined);
    expect(msg.content.toString()).toBe('from http');
    expect(msg.properties).toMatchObject({ contentType: 'text/plain', deliveryMode: 2, correlationId: 'c1', priority: 4, headers: { h: 'v', n: 3 } });
    expect((await api().post('/api/exchanges/%2F/amq.direct/publish', { properties: {}, routing_key: 'nowhere', payload: 'AAE=', payload_encoding: 'base64' })).json).toEqual({ routed: false });
    await conn.close();
  });

  it('refuses publishes with missing keys, to missing exchanges, and with a foreign user_id', async () => {
    expect.hasAssertions();
    expect((await api().post('/api/exchanges/%2F/amq.direct/publish', { routing_key: '', payload: 'x', payload_encoding: 'string' })).json).toEqual({
      error: 'bad_request',
      reason: '[{key_missing,properties}]',
    });
    expect((await api().post('/api/exchanges/%2F/nope/publish', { properties: {}, routing_key: '', payload: 'x', payload_encoding: 'string' })).json).toEqual({
      error: 'bad_request',
      reason: "404 NOT_FOUND - no exchange 'nope' in vhost '/'",
    });
    const foreign = await api().post('/api/exchanges/%2F/amq.direct/publish', { properties: { user_id: 'someone' }, routing_key: '', payload: 'x', payload_encoding: 'string' });
    expect(foreign.json.reason).toBe("406 PRECONDITION_FAILED - user_id property set to 'someone' but authenticated user was 'guest'");
  });

  it('gets messages with each ackmode and encoding, as RabbitMQ shapes them', async () => {
    expect.hasAssertions();
    const conn = await connect();
    const ch = await conn.createChannel();
    await ch.assertQueue('http.get', { durable: false });
    ch.sendToQueue('http.get', Buffer.from('hello'), { contentType: 'text/plain', headers: { a: 1 } });
    ch.sendToQueue('http.get', Buffer.from([0xff, 0x00]));
    await eventually(async () => ((await ch.checkQueue('http.get')).messageCount === 2 ? true : undefined));

    const peek = await api().post('/api/queues/%2F/http.get/get', { count: 5, ackmode: 'ack_requeue_true', encoding: 'auto' });
    expect(peek.status).toBe(200);
    expect(peek.json).toEqual([
      { payload_bytes: 5, redelivered: false, exchange: '', routing_key: 'http.get', message_count: 1, properties: { content_type: 'text/plain', headers: { a: 1 } }, payload: 'hello', payload_encoding: 'string' },
      { payload_bytes: 2, redelivered: false, exchange: '', routing_key: 'http.get', message_count: 0, properties: { headers: {} }, payload: '/wA=', payload_encoding: 'base64' },
    ]);
    expect((await ch.checkQueue('http.get')).messageCount).toBe(2);
    const again = await api().post('/api/queues/%2F/http.get/get', { count: 1, ackmode: 'ack_requeue_true', encoding: 'base64', truncate: 2 });
    expect(again.json[0]).toMatchObject({ redelivered: true, payload: Buffer.from('he').toString('base64'), payload_encoding: 'base64', payload_bytes: 5 });
    const taken = await api().post('/api/queues/%2F/http.get/get', { count: 1, ackmode: 'ack_requeue_false', encoding: 'auto' });
    expect(taken.json[0].payload).toBe('hello');
    expect((await ch.checkQueue('http.get')).messageCount).toBe(1);
    const rejected = await api().post('/api/queues/%2F/http.get/get', { count: 1, ackmode: 'reject_requeue_false', encoding: 'auto' });
    expect(rejected.json).toHaveLength(1);
    expect((await ch.checkQueue('http.get')).messageCount).toBe(0);
    expect((await api().post('/api/queues/%2F/http.get/get', { count: 1, ackmode: 'ack_requeue_true', encoding: 'auto' })).json).toEqual([]);

    expect((await api().post('/api/queues/%2F/http.get/get', { count: 1, encoding: 'auto' })).json).toEqual({ error: 'bad_request', reason: '[{key_missing,ackmode}]' });
    expect((await api().post('/api/queues/%2F/http.get/get', { count: 1, ackmode: 'ack_requeue_true', encoding: 'zz' })).json).toEqual({
      error: 'bad_request',
      reason: 'Unsupported encoding. Please use auto or base64.',
    });
    expect((await api().post('/api/queues/%2F/nope/get', { count: 1, ackmode: 'ack_requeue_true', encoding: 'auto' })).json).toEqual({
      error: 'not_found',
      reason: "NOT_FOUND - no queue 'nope' in vhost '/'",
    });
    await conn.close();
  });
});

describe('management API: connections, channels, consumers', () => {
  it('lists connections, channels and consumers with RabbitMQ names and fields', async () => {
    expect.hasAssertions();
    const conn = await connect('http-listed');
    const ch = await conn.createChannel();
    await ch.assertQueue('http.cons', { durable: false });
    await ch.prefetch(7);
    await ch.consume('http.cons', () => {}, { consumerTag: 'listed-tag' });
    const c = (await api().get('/api/connections')).json.find((x: { user_provided_name?: string }) => x.user_provided_name === 'http-listed');
    expect(c).toMatchObject({
      name: expect.stringMatching(/^127\.0\.0\.1:\d+ -> 127\.0\.0\.1:\d+$/),
      user: 'guest',
      vhost: '/',
      protocol: 'AMQP 0-9-1',
      state: 'running',
      channels: 1,
      auth_mechanism: 'PLAIN',
      client_properties: expect.objectContaining({ product: 'amqplib', connection_name: 'http-listed' }),
      peer_host: '127.0.0.1',
      port: broker.current.port,
      frame_max: expect.any(Number),
      timeout: expect.any(Number),
    });
    expect((await api().get(`/api/connections/${encodeURIComponent(c.name)}`)).json.name).toBe(c.name);
    const channels = (await api().get(`/api/connections/${encodeURIComponent(c.name)}/channels`)).json;
    expect(channels).toEqual([expect.objectContaining({ name: `${c.name} (1)`, number: 1, consumer_count: 1, prefetch_count: 7, confirm: false, transactional: false, connection_details: expect.objectContaining({ name: c.name }) })]);
    expect((await api().get(`/api/channels/${encodeURIComponent(`${c.name} (1)`)}`)).json.number).toBe(1);
    const consumers = (await api().get('/api/consumers/%2F')).json.filter((x: { consumer_tag: string }) => x.consumer_tag === 'listed-tag');
    expect(consumers).toEqual([
      {
        arguments: {},
        ack_required: true,
        active: true,
        activity_status: 'up',
        channel_details: expect.objectContaining({ connection_name: c.name, name: `${c.name} (1)`, number: 1, user: 'guest' }),
        consumer_tag: 'listed-tag',
        exclusive: false,
        prefetch_count: 7,
        queue: { name: 'http.cons', vhost: '/' },
      },
    ]);
    await conn.close();
  });

  it('closes a connection with DELETE: the amqplib client sees 320 CONNECTION_FORCED with the X-Reason text', async () => {
    expect.hasAssertions();
    const conn = await connect('http-doomed');
    const closed = new Promise<Error>((resolve) => conn.on('close', resolve));
    const c = (await api().get('/api/connections')).json.find((x: { user_provided_name?: string }) => x.user_provided_name === 'http-doomed');
    const r = await api().del(`/api/connections/${encodeURIComponent(c.name)}`, { 'x-reason': 'recovery test' });
    expect(r.status).toBe(204);
    const err = await closed;
    expect((err as Error & { code?: number }).code).toBe(320);
    expect(String(err)).toContain('CONNECTION_FORCED - recovery test');
    await eventually(async () => ((await api().get(`/api/connections/${encodeURIComponent(c.name)}`)).status === 404 ? true : undefined));
  });

  it('closes with "Closed via management plugin" when no reason is given', async () => {
    expect.hasAssertions();
    const conn = await connect('http-doomed-2');
    const closed = new Promise<Error>((resolve) => conn.on('close', resolve));
    const c = (await api().get('/api/connections')).json.find((x: { user_provided_name?: string }) => x.user_provided_name === 'http-doomed-2');
    await api().del(`/api/connections/${encodeURIComponent(c.name)}`);
    expect(String(await closed)).toContain('CONNECTION_FORCED - Closed via management plugin');
  });
});
