// The statistics JSON of Warren and RabbitMQ 3.10.8 side by side (skipped when RabbitMQ's management API does not
// answer): the same traffic on both, then message_stats, the *_details objects and their samples (lengths_age,
// msg_rates_age, data_rates_age) of a queue, an exchange, a channel, a connection, a vhost and the overview must have
// the same keys both ways. Everything made in RabbitMQ lives in a vhost of its own, removed after.
import { randomUUID } from 'node:crypto';
import amqp from 'amqplib';
import { describe, expect, it } from 'vitest';
import { useBroker } from '../support/broker.js';
import { apiClient, reachableRabbitMq, type Api } from '../support/http.js';

type Json = Record<string, any>;

const rabbit = await reachableRabbitMq();
const warren = useBroker({ managementPort: 0 });
const id = randomUUID().slice(0, 8);
const vhost = `warren-shapes-${id}`;
const WINDOWS = 'lengths_age=60&lengths_incr=5&msg_rates_age=60&msg_rates_incr=5&data_rates_age=60&data_rates_incr=5';

/** Every key path under `x` down to the objects inside samples (`message_stats.publish_details.samples[].sample`). */
function shape(x: unknown, at = ''): string[] {
  if (Array.isArray(x)) return x.length > 0 ? shape(x[0], `${at}[]`) : [];
  if (x === null || typeof x !== 'object') return [at];
  return Object.entries(x as Json).flatMap(([k, v]) => [`${at}.${k}`, ...shape(v, `${at}.${k}`).filter((p) => p !== `${at}.${k}`)]);
}

/** The same traffic on a broker: publishes (confirmed, one returned, one dropped), a consumer acking, gets. */
async function traffic(api: Api, port: number): Promise<amqp.ChannelModel> {
  const v = encodeURIComponent(vhost);
  expect((await api.put(`/api/vhosts/${v}`, {})).status).toBe(201);
  expect([201, 204]).toContain((await api.put(`/api/permissions/${v}/guest`, { configure: '.*', write: '.*', read: '.*' })).status);
  const conn = await amqp.connect({ hostname: 'localhost', port, username: 'guest', password: 'guest', vhost });
  const ch = await conn.createConfirmChannel();
  await ch.assertExchange('shapes.x', 'direct', { durable: false });
  await ch.assertQueue('shapes.q', { durable: false });
  await ch.bindQueue('shapes.q', 'shapes.x', 'k');
  ch.on('return', () => {});
  for (let i = 0; i < 5; i++) ch.publish('shapes.x', 'k', Buffer.from(`m${i}`));
  ch.publish('shapes.x', 'nowhere', Buffer.from('returned'), { mandatory: true });
  ch.publish('shapes.x', 'nowhere', Buffer.from('dropped'));
  await ch.waitForConfirms();
  const got = await ch.get('shapes.q');
  if (got) ch.ack(got);
  await ch.get('shapes.q', { noAck: true });
  // The two gets took two; the consumer takes and acks the other three, then a get finds the queue empty.
  const consumer = await conn.createChannel();
  let acked = 0;
  const drained = new Promise<void>((resolve) => {
    void consumer.consume('shapes.q', (m) => {
      if (!m) return;
      consumer.ack(m);
      if (++acked === 3) resolve();
    });
  });
  await drained;
  expect(await ch.get('shapes.q')).toBe(false);
  return conn;
}

/** The statistics objects once the broker's counts are all in (RabbitMQ emits them every 5 s). */
async function objects(api: Api): Promise<Record<string, Json>> {
  const v = encodeURIComponent(vhost);
  const deadline = Date.now() + 20_000;
  for (;;) {
    const queue = (await api.get(`/api/queues/${v}/shapes.q?${WINDOWS}`)).json as Json;
    const exchange = (await api.get(`/api/exchanges/${v}/shapes.x?${WINDOWS}`)).json as Json;
    const vh = (await api.get(`/api/vhosts/${v}?${WINDOWS}`)).json as Json;
    const overview = (await api.get(`/api/overview?${WINDOWS}`)).json as Json;
    const channels = ((await api.get(`/api/vhosts/${v}/channels`)).json ?? []) as Json[];
    const connections = ((await api.get(`/api/vhosts/${v}/connections`)).json ?? []) as Json[];
    const publisher = channels.find((c) => c.confirm === true);
    const ready =
      queue.message_stats?.ack === 4 &&
      queue.message_stats?.publish === 5 &&
      queue.message_stats?.get_no_ack === 1 &&
      exchange.message_stats?.publish_in === 7 &&
      vh.message_stats?.return_unroutable === 1 &&
      publisher !== undefined &&
      connections.length === 1 &&
      'recv_oct_details' in vh;
    if (ready || Date.now() > deadline) {
      const channel = publisher ? (await api.get(`/api/channels/${encodeURIComponent(publisher.name)}?${WINDOWS}`)).json : {};
      const connection = connections[0] ? (await api.get(`/api/connections/${encodeURIComponent(connections[0].name)}?${WINDOWS}`)).json : {};
      return { queue, exchange, vhost: vh, overview, channel, connection };
    }
    await new Promise((r) => setTimeout(r, 500));
  }
}

/**
 * What RabbitMQ has that Warren leaves out, each with its reason in the README: Erlang reductions, and the overview's
 * counts of messages its queues wrote to and read from disk (not counted yet).
 */
const LEFT_OUT = [/\.reductions_details/, /^\.message_stats\.disk_(reads|writes)/];

/** The parts of each object that are statistics: message_stats, every *_details, queue_totals, churn_rates. */
function statistics(o: Json): string[] {
  return shape(o)
    .filter((p) => /(^\.message_stats|_details|^\.queue_totals|^\.churn_rates)/.test(p))
    .filter((p) => !LEFT_OUT.some((re) => re.test(p)))
    .sort();
}

describe.runIf(rabbit !== undefined)("statistics JSON against RabbitMQ 3.10.8's", () => {
  it('message_stats, *_details and their samples have the same keys on queue, exchange, channel, connection, vhost and overview', async () => {
    expect.hasAssertions();
    const wapi = apiClient(`http://localhost:${warren.current.managementPort}`);
    const wconn = await traffic(wapi, warren.current.port);
    const rconn = await traffic(rabbit!, Number(process.env.RABBITMQ_AMQP_PORT ?? 5672));
    try {
      const [ours, theirs] = await Promise.all([objects(wapi), objects(rabbit!)]);
      const differences: string[] = [];
      for (const kind of Object.keys(theirs)) {
        const [a, b] = [statistics(ours[kind]!), statistics(theirs[kind]!)];
        for (const p of b) if (!a.includes(p)) differences.push(`${kind}${p}: RabbitMQ has it, Warren not`);
        for (const p of a) if (!b.includes(p)) differences.push(`${kind}${p}: Warren has it, RabbitMQ not`);
      }
      expect(differences).toEqual([]);
      // The counts agree too where both count the same traffic. Warren counts empty gets and dropped unroutable
      // messages as RabbitMQ does with its empty_basic_get_metric and drop_unroutable_metric feature flags, which a
      // node upgraded from an older release may still have disabled: then those two are not compared.
      const flags = new Map(((await rabbit!.get('/api/feature-flags')).json as Json[]).map((f) => [f.name as string, f.state as string]));
      const skip = new Set([...(flags.get('empty_basic_get_metric') === 'enabled' ? [] : ['get_empty']), ...(flags.get('drop_unroutable_metric') === 'enabled' ? [] : ['drop_unroutable'])]);
      const counts = (o: Json) => Object.fromEntries(Object.entries(o.message_stats ?? {}).filter(([k]) => !k.endsWith('_details') && !skip.has(k)));
      for (const kind of ['queue', 'exchange', 'vhost', 'channel']) expect(counts(ours[kind]!), kind).toEqual(counts(theirs[kind]!));
      // The per-object lists (a channel's publishes per exchange and deliveries per queue, an exchange's incoming and
      // outgoing, a queue's incoming and deliveries) are filled in RabbitMQ's detailed rates mode only; in its default
      // basic mode, which both advertise, they stay empty after this traffic. Per exchange and per queue counts are
      // the Prometheus per-object series (http-metrics.test.ts).
      const lists = (o: Record<string, Json>) => ({ channel: [o.channel!.publishes, o.channel!.deliveries], exchange: [o.exchange!.incoming, o.exchange!.outgoing], queue: [o.queue!.incoming, o.queue!.deliveries] });
      expect((await rabbit!.get('/api/overview')).json.rates_mode).toBe('basic');
      expect((await wapi.get('/api/overview')).json.rates_mode).toBe('basic');
      expect(lists(theirs)).toEqual({ channel: [[], []], exchange: [[], []], queue: [[], []] });
      expect(lists(ours)).toEqual(lists(theirs));
    } finally {
      await wconn.close();
      await rconn.close();
      await wapi.del(`/api/vhosts/${encodeURIComponent(vhost)}`);
      await rabbit!.del(`/api/vhosts/${encodeURIComponent(vhost)}`);
    }
  }, 60_000);
});
