// RabbitMQ's firehose: trace_on/trace_off (warren ctl and PUT /api/vhosts/{v} "tracing"), copies of publishes and
// deliveries on amq.rabbitmq.trace with RabbitMQ 3.10.8's keys and headers (the expected tables below are what that
// RabbitMQ sent for the same steps after `rabbitmqctl trace_on`), and broker.trace.waitFor / record for tests.
import amqp, { type ConfirmChannel, type ChannelModel } from 'amqplib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useBroker } from '../support/broker.js';
import { runWarren } from './cli-support.js';

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
