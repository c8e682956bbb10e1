// RabbitMQ's firehose: trace_on/trace_off (warren ctl and PUT /api/vhosts/{v} "tracing"), copies of publishes and
// deliveries on amq.rabbitmq.trace with RabbitMQ 3.10.8's keys and headers (the expected tables below are what that
// RabbitMQ sent for the same steps after `rabbitmqctl trace_on`), and broker.trace.waitFor / record for tests;
// publishes and gets through the management API traced as on RabbitMQ (compared side by side when it answers), and
// tracing off again after a restart, as RabbitMQ's.
import amqp, { type ConfirmChannel, type ChannelModel } from 'amqplib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startBroker } from '../../src/index.js';
import { useBroker } from '../support/broker.js';
import { apiClient, reachableRabbitMq, type Api } from '../support/http.js';
import { runWarren } from './cli-support.js';

const rabbit = await reachableRabbitMq();

const broker = useBroker({ managementPort: 0 });
let conn: ChannelModel;
let ch: ConfirmChannel;

const mgmt = () => `http://localhost:${broker.current.managementPort}`;
const auth = { authorization: `Basic ${Buffer.from('guest:guest').toString('base64')}` };
const putTracing = (tracing: unknown) =>
  fetch(`${mgmt()}/api/vhosts/%2F`, { method: 'PUT', headers: { ...auth, 'content-type': 'application/json' }, body: JSON.stringify({ tracing }) });
const tracingShown = async () => ((await (await fetch(`${mgmt()}/api/vhosts/%2F`, { headers: auth })).json()) as { tracing: boolean }).tracing;

beforeAll(async () => {
  conn = await amqp.connect(broker.current.url);
  ch = await conn.createConfirmChannel();
});
afterAll(async () => {
  await conn?.close().catch(() => {});
});

async function drain(queue: string): Promise<amqp.GetMessage[]> {
  await new Promise((r) => setTimeout(r, 100));
  const out: amqp.GetMessage[] = [];
  for (let m = await ch.get(queue, { noAck: true }); m; m = await ch.get(queue, { noAck: true })) out.push(m);
  return out;
}

describe('firehose', () => {
  it('has amq.rabbitmq.trace, a durable internal topic exchange, in every vhost', async () => {
    const res = await fetch(`${mgmt()}/api/exchanges/%2F/amq.rabbitmq.trace`, { headers: auth });
    expect(await res.json()).toMatchObject({ name: 'amq.rabbitmq.trace', type: 'topic', durable: true, internal: true, auto_delete: false });
  });

  it('copies nothing while tracing is off', async () => {
    const tq = (await ch.assertQueue('', { exclusive: true })).queue;
    await ch.bindQueue(tq, 'amq.rabbitmq.trace', '#');
    await ch.assertQueue('off-q', { durable: false });
    ch.sendToQueue('off-q', Buffer.from('x'));
    await ch.waitForConfirms();
    await ch.get('off-q', { noAck: true });
    expect(await drain(tq)).toEqual([]);
    expect(await tracingShown()).toBe(false);
  });

  it("publishes and deliveries traced with RabbitMQ's routing keys and headers (tracing on through the API)", async () => {
    expect((await putTracing(true)).status).toBe(204);
    expect(await tracingShown()).toBe(true);
    const tq = (await ch.assertQueue('', { exclusive: true })).queue;
    await ch.bindQueue(tq, 'amq.rabbitmq.trace', '#');
    await ch.assertQueue('tr-q', { durable: false });
    await ch.assertExchange('tr-x', 'direct', { durable: false });
    await ch.bindQueue('tr-q', 'tr-x', 'k');
    ch.publish('tr-x', 'k', Buffer.from('hello'), { headers: { h: 1 }, contentType: 'text/plain', CC: ['k2'] });
    ch.sendToQueue('tr-q', Buffer.from('direct'), { deliveryMode: 2 });
    await ch.waitForConfirms();
    const got = await ch.get('tr-q', { noAck: false });
    ch.ack(got as amqp.GetMessage);
    const traced = await drain(tq);
    const connection = expect.stringMatching(/^127\.0\.0\.1:\d+ -> 127\.0\.0\.1:\d+$/);
    const common = { node: 'warren@localhost', vhost: '/', connection, channel: 1, user: 'guest' };
    expect(traced.map((m) => [m.fields.exchange, m.fields.routingKey, m.content.toString(), m.properties.headers])).toEqual([
      [
        'amq.rabbitmq.trace',
        'publish.tr-x',
        'hello',
        { exchange_name: 'tr-x', routing_keys: ['k', 'k2'], properties: { headers: { CC: ['k2'], h: 1 }, content_type: 'text/plain' }, ...common, routed_queues: ['tr-q'] },
      ],
      ['amq.rabbitmq.trace', 'publish.', 'direct', { exchange_name: '', routing_keys: ['tr-q'], properties: { delivery_mode: 2, headers: {} }, ...common, routed_queues: ['tr-q'] }],
      [
        'amq.rabbitmq.trace',
        'deliver.tr-q',
        'hello',
        { exchange_name: 'tr-x', routing_keys: ['k', 'k2'], properties: { headers: { CC: ['k2'], h: 1 }, content_type: 'text/plain' }, node: 'warren@localhost', redelivered: 0, vhost: '/', connection, channel: 1, user: 'guest' },
      ],
    ]);
    // Key order as RabbitMQ's too.
    expect(Object.keys(traced[0]!.properties.headers!)).toEqual(['exchange_name', 'routing_keys', 'properties', 'node', 'vhost', 'connection', 'channel', 'user', 'routed_queues']);
    expect(Object.keys(traced[2]!.properties.headers!)).toEqual(['exchange_name', 'routing_keys', 'properties', 'node', 'redelivered', 'vhost', 'connection', 'channel', 'user']);
    expect((await putTracing(false)).status).toBe(204);
    expect(await tracingShown()).toBe(false);
    ch.sendToQueue('tr-q', Buffer.from('untraced'));
    await ch.waitForConfirms();
    expect(await drain(tq)).toEqual([]);
    await ch.deleteQueue('tr-q');
  });

  it('rejects a tracing value that is not a boolean, as RabbitMQ', async () => {
    const res = await putTracing('yes');
    expect(res.status).toBe(400);
  });

  it('warren ctl trace_on / trace_off [-p VHOST] print what rabbitmqctl prints and switch the vhost', async () => {
    const on = await runWarren(['ctl', 'trace_on', '-p', '/', '--management-url', mgmt()]);
    expect(on.stdout).toBe('Starting tracing for vhost "/" ...\nTrace enabled for vhost /\n');
    expect(await tracingShown()).toBe(true);
    const off = await runWarren(['ctl', 'trace_off', '--management-url', mgmt()]);
    expect(off.stdout).toBe('Stopping tracing for vhost "/" ...\nTrace disabled for vhost /\n');
    expect(await tracingShown()).toBe(false);
  });

  it('broker.trace.waitFor resolves on the matching delivery and record() lists the run', async () => {
    const trace = broker.current.trace;
    const recorder = trace.record();
    await ch.assertQueue('orders', { durable: false });
    const delivered = trace.waitFor({ queue: 'orders', kind: 'deliver', where: (e) => e.message.body.toString() === 'order 2' }, { timeout: 2_000 });
    ch.sendToQueue('orders', Buffer.from('order 1'));
    ch.sendToQueue('orders', Buffer.from('order 2'));
    await ch.waitForConfirms();
    await ch.consume('orders', () => {}, { noAck: true });
    const e = await delivered;
    expect([e.kind, e.queue, e.message.body.toString(), e.origin.user]).toEqual(['deliver', 'orders', 'order 2', 'guest']);
    recorder.stop();
    expect(recorder.format().split('\n')).toEqual([
      'publish (default) orders -> [orders] "order 1"',
      'publish (default) orders -> [orders] "order 2"',
      'deliver orders ((default) orders) "order 1"',
      'deliver orders ((default) orders) "order 2"',
    ]);
    await expect(trace.waitFor({ queue: 'nothing' }, { timeout: 50 })).rejects.toThrow(/trace.waitFor \{"queue":"nothing"\}: nothing matched in 50 ms; saw 0/);
    trace.off();
  });
});

/**
 * Publishes and gets through the management API with tracing on in a fresh vhost, and returns what a queue bound to
 * amq.rabbitmq.trace with '#' received (the vhost is deleted after).
 */
async function tracedApiTraffic(api: Api, amqpUrl: string): Promise<Array<[string, string, unknown]>> {
  const vhost = `trace-api-${randomUUID().slice(0, 8)}`;
  const v = encodeURIComponent(vhost);
  expect((await api.put(`/api/vhosts/${v}`, { tracing: true })).status).toBe(201);
  try {
    // The vhost's creator may have its permissions already (204) or not (201).
    expect([201, 204]).toContain((await api.put(`/api/permissions/${v}/guest`, { configure: '.*', write: '.*', read: '.*' })).status);
    const c = await amqp.connect(`${amqpUrl}/${v}`);
    try {
      const tch = await c.createChannel();
      const tq = (await tch.assertQueue('', { exclusive: true })).queue;
      await tch.bindQueue(tq, 'amq.rabbitmq.trace', '#');
      await tch.assertQueue('api-q', { durable: false });
      const published = await api.post(`/api/exchanges/${v}/amq.default/publish`, {
        properties: { content_type: 'text/plain', headers: { a: 1 } },
        routing_key: 'api-q',
        payload: 'via api',
        payload_encoding: 'string',
      });
      expect(published.json).toEqual({ routed: true });
      const unroutable = await api.post(`/api/exchanges/${v}/amq.direct/publish`, { properties: {}, routing_key: 'nowhere', payload: 'aGk=', payload_encoding: 'base64' });
      expect(unroutable.json).toEqual({ routed: false });
      const got = await api.post(`/api/queues/${v}/api-q/get`, { count: 1, ackmode: 'ack_requeue_false', encoding: 'auto' });
      expect(got.json).toMatchObject([{ payload: 'via api' }]);
      await new Promise((r) => setTimeout(r, 200));
      const out: Array<[string, string, unknown]> = [];
      for (let m = await tch.get(tq, { noAck: true }); m; m = await tch.get(tq, { noAck: true })) out.push([m.fields.routingKey, m.content.toString(), m.properties.headers]);
      return out;
    } finally {
      await c.close();
    }
  } finally {
    await api.del(`/api/vhosts/${v}`);
  }
}

/** The headers with what differs by broker and by run made comparable: the node, and the direct connection's pid. */
function comparable(traced: Array<[string, string, unknown]>, node: string): unknown {
  return traced.map(([key, body, headers]) => {
    const h = { ...(headers as Record<string, unknown>) };
    expect(h.node).toBe(node);
    // An Erlang pid as RabbitMQ prints it: <node.creation.id.serial> (the serial grows when the id wraps).
    expect(h.connection).toMatch(new RegExp(`^<${node.replace(/[.@]/g, '\\$&')}\\.\\d+\\.\\d+\\.\\d+>$`));
    return [key, body, { ...h, node: 'NODE', connection: 'PID' }];
  });
}

describe('firehose: messages published and got through the management API', () => {
  const expected = [
    [
      'publish.',
      'via api',
      { exchange_name: '', routing_keys: ['api-q'], properties: { headers: { a: 1 }, content_type: 'text/plain' }, node: 'NODE', vhost: expect.stringMatching(/^trace-api-/), connection: 'PID', channel: 1, user: 'guest', routed_queues: ['api-q'] },
    ],
    [
      'publish.amq.direct',
      'hi',
      { exchange_name: 'amq.direct', routing_keys: ['nowhere'], properties: {}, node: 'NODE', vhost: expect.stringMatching(/^trace-api-/), connection: 'PID', channel: 1, user: 'guest', routed_queues: [] },
    ],
    [
      'deliver.api-q',
      'via api',
      { exchange_name: '', routing_keys: ['api-q'], properties: { headers: { a: 1 }, content_type: 'text/plain' }, node: 'NODE', redelivered: 0, vhost: expect.stringMatching(/^trace-api-/), connection: 'PID', channel: 1, user: 'guest' },
    ],
  ];

  it("are traced as RabbitMQ traces them: the API user, channel 1 and the request's direct connection as an Erlang pid", async () => {
    const traced = await tracedApiTraffic(apiClient(mgmt()), broker.current.url);
    expect(comparable(traced, 'warren@localhost')).toEqual(expected);
    // One direct connection per request, as RabbitMQ's: the three pids differ.
    expect(new Set(traced.map(([, , h]) => (h as { connection: string }).connection)).size).toBe(3);
    expect(Object.keys(traced[0]![2] as object)).toEqual(['exchange_name', 'routing_keys', 'properties', 'node', 'vhost', 'connection', 'channel', 'user', 'routed_queues']);
  });

  it.skipIf(!rabbit)('match what RabbitMQ 3.10.8 sends for the same requests', async () => {
    const overview = (await rabbit!.get('/api/overview')).json as { node: string };
    const traced = await tracedApiTraffic(rabbit!, 'amqp://guest:guest@localhost:5672');
    expect(comparable(traced, overview.node)).toEqual(expected);
    expect(Object.keys(traced[0]![2] as object)).toEqual(['exchange_name', 'routing_keys', 'properties', 'node', 'vhost', 'connection', 'channel', 'user', 'routed_queues']);
  });
});

describe('firehose across a restart', () => {
  it('is off again after the broker restarts, as on RabbitMQ 3.10.8 (trace_on lives in the running node only); the vhost stays', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'warren-trace-'));
    const start = () => startBroker({ port: 0, managementPort: 0, dataDir: dir, logLevel: 'silent' });
    try {
      let b = await start();
      let api = apiClient(`http://localhost:${b.managementPort}`);
      expect((await api.put('/api/vhosts/traced', { tracing: true })).status).toBe(201);
      expect((await api.get('/api/vhosts/traced')).json.tracing).toBe(true);
      expect((await api.get('/api/vhosts/%2F')).json.tracing).toBe(false);
      await b.close();
      b = await start();
      try {
        api = apiClient(`http://localhost:${b.managementPort}`);
        const after = await api.get('/api/vhosts/traced');
        expect([after.status, after.json.tracing]).toEqual([200, false]);
        expect(b.broker.vhosts.get('traced')!.tracer).toBeUndefined();
      } finally {
        await b.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
