// Against a real RabbitMQ (skipped when its management API does not answer): a Warren definitions export imports
// into RabbitMQ and a RabbitMQ export imports into Warren, users' password hashes included; and the JSON Warren's
// API returns uses RabbitMQ's keys. Everything made in RabbitMQ lives in dedicated vhosts and users, removed after.
import { randomUUID } from 'node:crypto';
import amqp from 'amqplib';
import { afterAll, describe, expect, it } from 'vitest';
import { apiClient, eventually, reachableRabbitMq, type Api } from '../support/http.js';
import { useBroker } from '../support/broker.js';

const WARREN_QUEUE_KEYS = new Set(['oldest_message_age_ms', 'messages_dead_lettered', 'consumer_utilisation']);
/** RabbitMQ's queue keys Warren leaves out: Erlang process figures and classic-queue internals (the README says why). */
const RABBIT_ONLY_QUEUE_KEYS = new Set(['memory', 'reductions', 'reductions_details', 'garbage_collection', 'backing_queue_status']);
/** Keys each broker adds at its own moment (idle_since: a second after the last activity in RabbitMQ, 5 to 10 s in Warren). */
const TIMING_KEYS = new Set(['idle_since']);

const rabbit = await reachableRabbitMq();
/** Whether that RabbitMQ runs the shovel plugin (`make rabbitmq` enables it): then a shovel parameter is in the round trips. */
const rabbitShovels = rabbit ? (await rabbit.get('/api/shovels')).status === 200 : false;
const warren = useBroker({ managementPort: 0 });
const wapi = (): Api => apiClient(`http://localhost:${warren.current.managementPort}`);
/** RabbitMQ's AMQP listener (RABBITMQ_AMQP_PORT, default 5672, on the management host); an object, since amqplib does not percent-decode URL passwords. */
const rabbitAmqp = (username: string, password: string, vhost: string): amqp.Options.Connect => ({
  hostname: new URL(rabbit?.base ?? 'http://localhost').hostname,
  port: Number(process.env.RABBITMQ_AMQP_PORT ?? 5672),
  username,
  password,
  vhost,
});
const warrenAmqp = (username: string, password: string, vhost: string): amqp.Options.Connect => ({ hostname: 'localhost', port: warren.current.port, username, password, vhost });

const id = randomUUID().slice(0, 8);
const toRabbit = { vhost: `warren-interop-in-${id}`, user: `warren-interop-in-${id}`, password: `pw-${id}-ü` };
const fromRabbit = { vhost: `warren-interop-out-${id}`, user: `warren-interop-out-${id}`, password: `pw2-${id}-ß` };
const enc = encodeURIComponent;

type Json = Record<string, any>;

/** A full definitions file narrowed to one vhost and one user (so importing it touches nothing else). */
function narrow(d: Json, vhost: string, user: string): Json {
  const inVhost = (x: Json) => x.vhost === vhost;
  return {
    rabbit_version: d.rabbit_version,
    rabbitmq_version: d.rabbitmq_version,
    product_name: d.product_name,
    product_version: d.product_version,
    users: d.users.filter((u: Json) => u.name === user),
    vhosts: d.vhosts.filter((v: Json) => v.name === vhost),
    permissions: d.permissions.filter((p: Json) => p.vhost === vhost && p.user === user),
    topic_permissions: [],
    parameters: d.parameters.filter(inVhost),
    global_parameters: [],
    policies: d.policies.filter(inVhost),
    queues: d.queues.filter(inVhost),
    exchanges: d.exchanges.filter(inVhost),
    bindings: d.bindings.filter(inVhost),
  };
}

const sorted = (items: Json[]) => [...items].sort((a, b) => (JSON.stringify(a) < JSON.stringify(b) ? -1 : 1));
/** Parameters in component and name order (their values' key order differs between Warren and RabbitMQ). */
const byName = (items: Json[]) => [...items].sort((a, b) => (`${a.component}/${a.name}` < `${b.component}/${b.name}` ? -1 : 1));
const withoutVhost = (items: Json[]) => items.map(({ vhost: _v, ...rest }) => rest);

/** Builds the same topology through an API (Warren's or RabbitMQ's). */
async function buildTopology(api: Api, vhost: string, user: string, password: string): Promise<void> {
  const v = enc(vhost);
  expect((await api.put(`/api/vhosts/${v}`, {})).status).toBe(201);
  expect((await api.put(`/api/users/${enc(user)}`, { password, tags: 'management' })).status).toBe(201);
  expect((await api.put(`/api/permissions/${v}/${enc(user)}`, { configure: '.*', write: '.*', read: '.*' })).status).toBe(201);
  expect((await api.put(`/api/exchanges/${v}/orders`, { type: 'topic', durable: true, arguments: { 'alternate-exchange': 'unrouted' } })).status).toBe(201);
  expect((await api.put(`/api/exchanges/${v}/unrouted`, { type: 'fanout', durable: true })).status).toBe(201);
  expect((await api.put(`/api/exchanges/${v}/by-header`, { type: 'headers', durable: true, auto_delete: false, internal: false })).status).toBe(201);
  expect((await api.put(`/api/queues/${v}/orders.created`, { durable: true, arguments: { 'x-max-length': 1000, 'x-message-ttl': 60000, 'x-dead-letter-exchange': 'unrouted', 'x-queue-mode': 'lazy' } })).status).toBe(201);
  expect((await api.put(`/api/queues/${v}/orders.lost`, { durable: true, arguments: { 'x-max-priority': 5 } })).status).toBe(201);
  expect((await api.put(`/api/queues/${v}/scratch`, { durable: false, auto_delete: false, arguments: { note: 'hello', weight: 0.25, flag: true } })).status).toBe(201);
  expect((await api.post(`/api/bindings/${v}/e/orders/q/orders.created`, { routing_key: 'order.created.#' })).status).toBe(201);
  expect((await api.post(`/api/bindings/${v}/e/unrouted/q/orders.lost`, { routing_key: '' })).status).toBe(201);
  expect((await api.post(`/api/bindings/${v}/e/by-header/q/scratch`, { routing_key: '', arguments: { 'x-match': 'any', kind: 'scratch', n: 3 } })).status).toBe(201);
  expect((await api.post(`/api/bindings/${v}/e/orders/e/by-header`, { routing_key: 'audit.*' })).status).toBe(201);
  expect((await api.put(`/api/policies/${v}/orders`, { pattern: '^orders\\.', definition: { 'max-length': 500, 'dead-letter-exchange': 'unrouted' }, priority: 2, 'apply-to': 'queues' })).status).toBe(201);
  if (rabbitShovels) {
    // URIs nothing listens on: the shovel is kept and exported but opens no connection or channel the other cases would see.
    const value = { 'src-uri': 'amqp://localhost:1', 'src-exchange': 'unrouted', 'src-exchange-key': 'none', 'dest-uri': 'amqp://localhost:1', 'dest-exchange': 'by-header', 'ack-mode': 'on-publish' };
    expect((await api.put(`/api/parameters/shovel/${v}/relay`, { value })).status).toBe(201);
  }
  expect((await api.put(`/api/operator-policies/${v}/cap`, { pattern: '.*', definition: { expires: 3_600_000 } })).status).toBe(201);
}

/** Logs in as the imported user (its hash must verify) and routes through the imported bindings. */
async function checkRouting(url: amqp.Options.Connect): Promise<void> {
  const conn = await amqp.connect(url);
  try {
    const ch = await conn.createChannel();
    ch.publish('orders', 'order.created.eu', Buffer.from('o1'));
    ch.publish('orders', 'nothing.matches', Buffer.from('o2'));
    const created = await eventually(async () => (await ch.get('orders.created', { noAck: true })) || undefined);
    expect(created.content.toString()).toBe('o1');
    const lost = await eventually(async () => (await ch.get('orders.lost', { noAck: true })) || undefined);
    expect(lost.content.toString()).toBe('o2');
  } finally {
    await conn.close();
  }
}

/**
 * The same publishes give the same results on both brokers: the `orders` policy's max-length 500 (lower than the
 * queue's x-max-length 1000) keeps the newest 500 of 510 messages in orders.created and dead-letters the 10 oldest
 * (to `unrouted`, the queue's own x-dead-letter-exchange) into orders.lost.
 */
async function checkPolicies(url: amqp.Options.Connect): Promise<void> {
  const conn = await amqp.connect(url);
  try {
    const ch = await conn.createConfirmChannel();
    for (let i = 0; i < 510; i++) ch.sendToQueue('orders.created', Buffer.from(`p${i}`));
    await ch.waitForConfirms();
    const counts = async () => [(await ch.checkQueue('orders.created')).messageCount, (await ch.checkQueue('orders.lost')).messageCount];
    expect(await eventually(async () => ((await counts()).join() === '500,10' ? counts() : undefined))).toEqual([500, 10]);
    const oldest = await ch.get('orders.created', { noAck: true });
    expect(oldest && oldest.content.toString()).toBe('p10');
    await ch.purgeQueue('orders.created');
    await ch.purgeQueue('orders.lost');
  } finally {
    await conn.close();
  }
}

describe.skipIf(!rabbit)('definitions and JSON shapes against RabbitMQ', () => {
  const r = rabbit!;

  afterAll(async () => {
    for (const s of [toRabbit, fromRabbit]) {
      await r.del(`/api/vhosts/${enc(s.vhost)}`);
      await r.del(`/api/users/${enc(s.user)}`);
    }
  });

  it('a Warren export imports into RabbitMQ: same queues, exchanges, bindings, policies (the same publishes give the same results); the user logs in with its password', async () => {
    expect.hasAssertions();
    await buildTopology(wapi(), toRabbit.vhost, toRabbit.user, toRabbit.password);
    const exported = narrow((await wapi().get('/api/definitions')).json, toRabbit.vhost, toRabbit.user);
    expect(exported.users).toHaveLength(1);

    const res = await r.post('/api/definitions', exported);
    expect(res.status, res.text).toBeLessThan(300);

    const back = (await r.get(`/api/definitions/${enc(toRabbit.vhost)}`)).json;
    expect(sorted(back.queues)).toEqual(sorted(withoutVhost(exported.queues)));
    expect(sorted(back.exchanges)).toEqual(sorted(withoutVhost(exported.exchanges)));
    expect(sorted(back.bindings)).toEqual(sorted(withoutVhost(exported.bindings)));
    expect(exported.policies).toHaveLength(1);
    expect(back.policies).toEqual(exported.policies);
    expect(byName(back.parameters)).toEqual(byName(exported.parameters));
    if (rabbitShovels) expect(exported.parameters.map((p: Json) => p.component)).toContain('shovel');
    const user = (await r.get(`/api/users/${enc(toRabbit.user)}`)).json;
    expect(user).toMatchObject({ name: toRabbit.user, password_hash: exported.users[0].password_hash, hashing_algorithm: 'rabbit_password_hashing_sha256', tags: ['management'] });
    expect((await r.get(`/api/permissions/${enc(toRabbit.vhost)}/${enc(toRabbit.user)}`)).json).toMatchObject({ configure: '.*', write: '.*', read: '.*' });
    // RabbitMQ types JSON integers as long on import, as Warren does.
    const q = (await r.get(`/api/queues/${enc(toRabbit.vhost)}/orders.created`)).json;
    expect(q.arguments).toEqual({ 'x-max-length': 1000, 'x-message-ttl': 60000, 'x-dead-letter-exchange': 'unrouted', 'x-queue-mode': 'lazy' });
    await checkRouting(rabbitAmqp(toRabbit.user, toRabbit.password, toRabbit.vhost));
    await checkPolicies(rabbitAmqp(toRabbit.user, toRabbit.password, toRabbit.vhost));
  });

  it('a RabbitMQ export imports into Warren: same queues, exchanges, bindings, policies (the same publishes give the same results); the user logs in with its password', async () => {
    expect.hasAssertions();
    await buildTopology(r, fromRabbit.vhost, fromRabbit.user, fromRabbit.password);
    const exported = narrow((await r.get('/api/definitions')).json, fromRabbit.vhost, fromRabbit.user);
    expect(exported.product_name).toBe('RabbitMQ');
    expect(exported.queues).toHaveLength(3);

    const res = await wapi().post('/api/definitions', exported);
    expect(res.status, res.text).toBe(204);

    const back = (await wapi().get(`/api/definitions/${enc(fromRabbit.vhost)}`)).json;
    expect(sorted(back.queues)).toEqual(sorted(withoutVhost(exported.queues)));
    expect(sorted(back.exchanges)).toEqual(sorted(withoutVhost(exported.exchanges)));
    expect(sorted(back.bindings)).toEqual(sorted(withoutVhost(exported.bindings)));
    expect(exported.policies).toHaveLength(1);
    expect(back.policies).toEqual(exported.policies);
    expect(byName(back.parameters)).toEqual(byName(exported.parameters));
    if (rabbitShovels) expect(exported.parameters.map((p: Json) => p.component)).toContain('shovel');
    expect((await wapi().get(`/api/users/${enc(fromRabbit.user)}`)).json).toEqual(exported.users[0]);
    const q = warren.current.broker.vhosts.get(fromRabbit.vhost)!.queues.get('orders.created')!;
    expect(q.arguments.get('x-max-length')).toEqual({ type: 'l', value: 1000 });
    await checkRouting(warrenAmqp(fromRabbit.user, fromRabbit.password, fromRabbit.vhost));
    await checkPolicies(warrenAmqp(fromRabbit.user, fromRabbit.password, fromRabbit.vhost));
  });

  it("Warren's JSON objects use RabbitMQ's keys (each Warren key exists in RabbitMQ's object of the same kind)", async () => {
    expect.hasAssertions();
    const vh = toRabbit.vhost; // exists on both sides after the first test
    const open = async (url: amqp.Options.Connect) => {
      const conn = await amqp.connect(url, { clientProperties: { connection_name: `shape-${id}` } });
      const ch = await conn.createChannel();
      await ch.prefetch(3);
      await ch.consume('scratch', () => {}, { consumerTag: `shape-${id}` });
      return conn;
    };
    // The user the first test imported into RabbitMQ (with its permissions on the vhost) exists in Warren too.
    const wconn = await open(warrenAmqp(toRabbit.user, toRabbit.password, vh));
    const rconn = await open(rabbitAmqp(toRabbit.user, toRabbit.password, vh));
    try {
      const find = (api: Api, path: string, pick: (x: Json) => boolean) =>
        eventually(async () => ((await api.get(path)).json as Json[] | undefined)?.find(pick), 20_000);
      const byName = (x: Json) => x.user_provided_name === `shape-${id}` && x.channels === 1;
      const pairs: Array<[string, Json, Json]> = [];
      const both = async (label: string, get: (api: Api) => Promise<Json>) => pairs.push([label, await get(wapi()), await get(r)]);
      await both('overview', async (a) => (await a.get('/api/overview')).json);
      await both('whoami', async (a) => (await a.get('/api/whoami')).json);
      // RabbitMQ adds message counts, and byte counts of the vhost's open connections, once their statistics arrive.
      await both('vhost', async (a) => eventually(async () => { const v = (await a.get(`/api/vhosts/${enc(vh)}`)).json; return 'messages' in v && 'recv_oct' in v ? v : undefined; }, 20_000));
      await both('user', async (a) => (await a.get(`/api/users/${enc(toRabbit.user)}`)).json);
      await both('permission', async (a) => (await a.get(`/api/permissions/${enc(vh)}/${enc(toRabbit.user)}`)).json);
      await both('exchange', async (a) => (await a.get(`/api/exchanges/${enc(vh)}/orders`)).json);
      await both('exchange in list', async (a) => (await a.get(`/api/exchanges/${enc(vh)}`)).json.find((x: Json) => x.name === 'orders'));
      await both('binding', async (a) => (await a.get(`/api/bindings/${enc(vh)}`)).json.find((x: Json) => x.source === 'orders'));
      await both('queue', async (a) => eventually(async () => { const q = (await a.get(`/api/queues/${enc(vh)}/scratch`)).json; return q.consumers === 1 ? q : undefined; }, 20_000));
      await both('queue in list', async (a) => find(a, `/api/queues/${enc(vh)}`, (x) => x.name === 'scratch' && x.consumers === 1));
      await both('connection', async (a) => find(a, '/api/connections', byName));
      // This case's own channel: on the connection found above (a shovel in the vhost has channels of its own).
      await both('channel', async (a) => {
        const conn = (await find(a, '/api/connections', byName)) as Json;
        return find(a, '/api/channels', (x) => x.connection_details?.name === conn.name && x.consumer_count === 1 && x.vhost === vh);
      });
      await both('consumer', async (a) => find(a, '/api/consumers', (x) => x.consumer_tag === `shape-${id}`));
      await both('node', async (a) => (await a.get('/api/nodes')).json[0]);
      await both('definitions', async (a) => (await a.get('/api/definitions')).json);
      for (const [label, w, rb] of pairs) {
        // Warren's documented additions (consumer lag and dead letters per queue) are not RabbitMQ keys.
        const extra = Object.keys(w).filter((k) => !(k in rb) && !WARREN_QUEUE_KEYS.has(k) && !TIMING_KEYS.has(k));
        expect(extra, `${label}: keys Warren has and RabbitMQ does not`).toEqual([]);
      }
      // The values that tools read agree in kind.
      const get = (label: string) => pairs.find((p) => p[0] === label)!;
      for (const label of ['queue', 'queue in list']) {
        const [, w, rb] = get(label);
        const absent = Object.keys(rb).filter((k) => !(k in w) && !RABBIT_ONLY_QUEUE_KEYS.has(k) && !TIMING_KEYS.has(k));
        expect(absent, `${label}: keys RabbitMQ has and Warren does not`).toEqual([]);
      }
      for (const label of ['queue', 'queue in list']) {
        const [, w, rb] = get(label);
        for (const k of ['name', 'vhost', 'durable', 'auto_delete', 'exclusive', 'arguments', 'consumers', 'messages', 'messages_ready', 'messages_unacknowledged', 'state', 'type']) {
          expect(w[k], `${label}.${k}`).toEqual(rb[k]);
        }
      }
      const [, wc, rc] = get('consumer');
      expect({ ...wc, channel_details: undefined }).toEqual({ ...rc, channel_details: undefined });
      const [, wch, rch] = get('channel');
      for (const k of ['prefetch_count', 'global_prefetch_count', 'consumer_count', 'confirm', 'transactional', 'state', 'user', 'vhost', 'number']) expect(wch[k], `channel.${k}`).toEqual(rch[k]);
      const [, wconnJson, rconnJson] = get('connection');
      for (const k of ['user', 'vhost', 'protocol', 'state', 'channels', 'auth_mechanism', 'user_provided_name', 'type', 'ssl']) expect(wconnJson[k], `connection.${k}`).toEqual(rconnJson[k]);
    } finally {
      await wconn.close();
      await rconn.close();
    }
  }, 60_000);

  /**
   * Declares `queue` in the shared vhost through one broker, lets `fill` publish to it on a confirm channel, waits for
   * the API's queue object to be `ready` (RabbitMQ's figures come with its next statistics emission), deletes the
   * queue and returns that object.
   */
  async function queueAfter(url: amqp.Options.Connect, api: Api, queue: string, options: amqp.Options.AssertQueue, fill: (ch: amqp.ConfirmChannel) => Promise<void>, ready: (q: Json) => boolean): Promise<Json> {
    const conn = await amqp.connect(url);
    try {
      const ch = await conn.createConfirmChannel();
      await ch.assertQueue(queue, options);
      await fill(ch);
      const q = await eventually(async () => {
        const j = (await api.get(`/api/queues/${enc(toRabbit.vhost)}/${queue}`)).json as Json;
        return ready(j) ? j : undefined;
      }, 20_000);
      await ch.deleteQueue(queue);
      return q;
    } finally {
      await conn.close();
    }
  }

  it("a classic queue's persistent, in-memory and head-timestamp figures are RabbitMQ's", async () => {
    expect.hasAssertions();
    const vh = toRabbit.vhost;
    const queue = `figures-${id}`;
    const FIELDS = ['messages', 'messages_persistent', 'message_bytes_persistent', 'messages_ram', 'message_bytes_ram', 'messages_ready_ram', 'messages_unacknowledged_ram', 'messages_paged_out', 'message_bytes_paged_out', 'head_message_timestamp', 'consumer_capacity', 'consumer_utilisation', 'recoverable_slaves'];
    const figures = async (url: amqp.Options.Connect, api: Api) => {
      const fill = async (ch: amqp.ConfirmChannel) => {
        ch.sendToQueue(queue, Buffer.from('aa'), { persistent: true, timestamp: 1_700_000_000 });
        ch.sendToQueue(queue, Buffer.from('bbb'), { persistent: true, timestamp: 1_700_000_200 });
        ch.sendToQueue(queue, Buffer.from('c'), { persistent: false });
        await ch.waitForConfirms();
        expect(await ch.get(queue, { noAck: false })).toBeTruthy(); // aa stays unacked until the connection closes
      };
      const q = await queueAfter(url, api, queue, { durable: true }, fill, (j) => j.messages === 3 && j.messages_unacknowledged === 1 && 'messages_persistent' in j);
      return Object.fromEntries(FIELDS.map((k) => [k, q[k]]));
    };
    const w = await figures(warrenAmqp(toRabbit.user, toRabbit.password, vh), wapi());
    expect(w).toMatchObject({ messages_persistent: 2, message_bytes_persistent: 5, messages_ram: 3, head_message_timestamp: 1_700_000_000 });
    expect(w).toEqual(await figures(rabbitAmqp(toRabbit.user, toRabbit.password, vh), r));
  }, 60_000);

  it("a quorum queue's JSON has RabbitMQ's keys both ways, and counts every message as persistent, as RabbitMQ's log keeps them all", async () => {
    expect.hasAssertions();
    const vh = toRabbit.vhost;
    const queue = `quorum-${id}`;
    // RabbitMQ 3.10 keeps no quorum message body in memory (messages_ram 0); Warren does, and says so.
    const FIELDS = ['messages', 'messages_persistent', 'message_bytes_persistent', 'messages_dlx', 'message_bytes_dlx', 'consumer_capacity', 'consumer_utilisation', 'single_active_consumer_ctag', 'leader', 'members', 'online', 'open_files', 'type'];
    const seen = (url: amqp.Options.Connect, api: Api) =>
      queueAfter(url, api, queue, { durable: true, arguments: { 'x-queue-type': 'quorum' } }, async (ch) => {
        ch.sendToQueue(queue, Buffer.from('aa'), { persistent: true });
        ch.sendToQueue(queue, Buffer.from('bbb'), { persistent: false });
        await ch.waitForConfirms();
      }, (j) => j.messages === 2 && 'messages_persistent' in j);
    const w = await seen(warrenAmqp(toRabbit.user, toRabbit.password, vh), wapi());
    const rb = await seen(rabbitAmqp(toRabbit.user, toRabbit.password, vh), r);
    /** The fields, each broker's own node name written NODE (leader, members, online, open_files name it). */
    const pick = (q: Json) => JSON.parse(JSON.stringify(Object.fromEntries(FIELDS.map((k) => [k, q[k] ?? null]))).replaceAll(`"${q.node}"`, '"NODE"'));
    expect(pick(w)).toMatchObject({ messages_persistent: 2, message_bytes_persistent: 5, leader: 'NODE', members: ['NODE'], open_files: { NODE: 0 } });
    expect(pick(w)).toEqual(pick(rb));
    expect(Object.keys(rb).filter((k) => !(k in w) && !RABBIT_ONLY_QUEUE_KEYS.has(k) && k !== 'message_stats'), 'keys RabbitMQ has and Warren does not').toEqual([]);
    expect(Object.keys(w).filter((k) => !(k in rb) && !WARREN_QUEUE_KEYS.has(k) && k !== 'message_stats'), 'keys Warren has and RabbitMQ does not').toEqual([]);
  }, 60_000);
});
