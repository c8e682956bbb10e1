// Prometheus scrapes of /metrics and /metrics/per-object, parsed as Prometheus text, with rabbitmq_prometheus's names.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import amqp from 'amqplib';
import parsePrometheusTextFormat from 'parse-prometheus-text-format';
import { describe, expect, it } from 'vitest';
import { eventually } from '../support/http.js';
import { useBroker } from '../support/broker.js';

const broker = useBroker({ prometheusPort: 0, managementPort: 0 });

/** RabbitMQ's Prometheus endpoint to compare with (RABBITMQ_PROMETHEUS_URL, default localhost:15692), when it answers. */
const rabbitPrometheus = await (async () => {
  const base = process.env.RABBITMQ_PROMETHEUS_URL ?? 'http://localhost:15692';
  try {
    const res = await fetch(`${base}/metrics`, { signal: AbortSignal.timeout(3000) });
    if (res.status === 200 && (await res.text()).includes('rabbitmq_build_info')) return base;
  } catch {
    // not reachable
  }
  if (process.env.WARREN_REQUIRE_RABBITMQ === '1') throw new Error(`RabbitMQ's Prometheus endpoint is required (WARREN_REQUIRE_RABBITMQ=1) and does not answer at ${base}`);
  return undefined;
})();

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

interface Scrape {
  types: Map<string, string>;
  helps: Map<string, string>;
  samples: Sample[];
}

/**
 * Parses the exposition with parse-prometheus-text-format (a real parser, as Prometheus's own client parses it), and
 * checks what it is lenient about: every family has a TYPE and a HELP, every value is a number, no series repeats.
 */
function parse(text: string): Scrape {
  expect(text.endsWith('\n')).toBe(true);
  const types = new Map<string, string>();
  const helps = new Map<string, string>();
  const samples: Sample[] = [];
  const families = parsePrometheusTextFormat(text);
  for (const f of families) {
    expect(types.has(f.name), `${f.name} declared once`).toBe(false);
    types.set(f.name, f.type.toLowerCase());
    helps.set(f.name, f.help);
    expect(f.help, `HELP of ${f.name}`).not.toBe('');
    const seen = new Set<string>();
    for (const m of f.metrics) {
      const key = JSON.stringify(m.labels ?? {});
      expect(seen.has(key), `${f.name}${key} once`).toBe(false);
      seen.add(key);
      if (f.type === 'HISTOGRAM') {
        for (const v of Object.values(m.buckets ?? {})) expect(Number.isFinite(Number(v)), `${f.name} bucket`).toBe(true);
        continue;
      }
      if (f.type === 'SUMMARY') {
        expect(Number.isFinite(Number(m.count)) && Number.isFinite(Number(m.sum)), `${f.name} count/sum`).toBe(true);
        continue;
      }
      const value = Number(m.value);
      expect(Number.isNaN(value) && m.value !== 'NaN', `value of ${f.name}: ${m.value}`).toBe(false);
      samples.push({ name: f.name, labels: m.labels ?? {}, value });
    }
  }
  // Sample lines belong to the family declared before them (the parser would file a stray one as UNTYPED).
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const name = /^[a-zA-Z_:][a-zA-Z0-9_:]*/.exec(line)![0];
    const family = types.has(name) ? name : name.replace(/_(bucket|sum|count)$/, '');
    expect(types.has(family), `TYPE before ${name}`).toBe(true);
  }
  return { types, helps, samples };
}

async function scrape(path: string): Promise<Scrape> {
  const res = await fetch(`http://localhost:${broker.current.prometheusPort}${path}`);
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toBe('text/plain; version=0.0.4');
  return parse(await res.text());
}

const value = (s: Scrape, name: string, labels: Record<string, string> = {}) =>
  s.samples.find((x) => x.name === name && Object.entries(labels).every(([k, v]) => x.labels[k] === v))?.value;

describe('Prometheus metrics', () => {
  it('serves /metrics with the common rabbitmq_prometheus series, aggregated', async () => {
    expect.hasAssertions();
    const conn = await amqp.connect(broker.current.url);
    const ch = await conn.createChannel();
    await ch.assertQueue('metrics.q', { durable: false });
    for (let i = 0; i < 4; i++) ch.sendToQueue('metrics.q', Buffer.from('x'));
    const consumerCh = await conn.createChannel();
    await consumerCh.prefetch(1);
    await consumerCh.consume('metrics.q', () => {});
    const s = await eventually(async () => {
      const got = await scrape('/metrics');
      return value(got, 'rabbitmq_queue_messages_unacked') === 1 && value(got, 'rabbitmq_queue_messages_ready') === 3 ? got : undefined;
    });
    for (const name of ['rabbitmq_queue_messages_ready', 'rabbitmq_queue_messages_unacked', 'rabbitmq_queue_messages', 'rabbitmq_queue_consumers', 'rabbitmq_connections', 'rabbitmq_channels', 'rabbitmq_consumers', 'rabbitmq_queues']) {
      expect(s.types.get(name), name).toBe('gauge');
      expect(s.helps.get(name), name).toBeTruthy();
      expect(s.samples.filter((x) => x.name === name), name).toHaveLength(1);
    }
    expect(value(s, 'rabbitmq_queue_messages')).toBe(4);
    expect(value(s, 'rabbitmq_queue_consumers')).toBe(1);
    expect(value(s, 'rabbitmq_connections')).toBe(1);
    expect(value(s, 'rabbitmq_channels')).toBe(2);
    expect(value(s, 'rabbitmq_consumers')).toBe(1);
    expect(value(s, 'rabbitmq_queues')).toBe(1);
    expect(s.samples.find((x) => x.name === 'rabbitmq_identity_info')?.labels).toMatchObject({ rabbitmq_node: 'warren@localhost', rabbitmq_cluster: 'warren@localhost' });
    await conn.close();
  });

  it('serves /metrics/per-object with vhost and queue labels', async () => {
    expect.hasAssertions();
    const conn = await amqp.connect(broker.current.url);
    const ch = await conn.createChannel();
    await ch.assertQueue('metrics "quoted" \\ q', { durable: false });
    await ch.assertQueue('metrics.two', { durable: false });
    ch.sendToQueue('metrics.two', Buffer.from('a'));
    ch.sendToQueue('metrics.two', Buffer.from('b'));
    const s = await eventually(async () => {
      const got = await scrape('/metrics/per-object');
      return value(got, 'rabbitmq_queue_messages_ready', { vhost: '/', queue: 'metrics.two' }) === 2 ? got : undefined;
    });
    expect(value(s, 'rabbitmq_queue_messages_ready', { vhost: '/', queue: 'metrics "quoted" \\ q' })).toBe(0);
    expect(value(s, 'rabbitmq_queue_consumers', { vhost: '/', queue: 'metrics.two' })).toBe(0);
    expect(value(s, 'rabbitmq_queues')).toBe(3);
    await conn.close();
  });

  it('answers 404 for other paths and needs no credentials', async () => {
    expect.hasAssertions();
    expect((await fetch(`http://localhost:${broker.current.prometheusPort}/nope`)).status).toBe(404);
    expect((await fetch(`http://localhost:${broker.current.prometheusPort}/metrics/`)).status).toBe(200);
  });

  it('is listed among the management overview listeners', async () => {
    expect.hasAssertions();
    const res = await fetch(`http://localhost:${broker.current.managementPort}/api/overview`, { headers: { authorization: 'Basic ' + Buffer.from('guest:guest').toString('base64') } });
    const body = (await res.json()) as { listeners: Array<{ protocol: string; port: number }> };
    expect(body.listeners).toContainEqual(expect.objectContaining({ protocol: 'http/prometheus', port: broker.current.prometheusPort }));
  });

  const shared = (file: string) => readFileSync(join(import.meta.dirname, '..', '..', '..', 'shared', 'rabbitmq', file), 'utf8');
  /** The family a sample name belongs to (a histogram's _bucket, _sum, _count). */
  const familyOf = (s: Scrape, name: string) => (s.types.has(name) ? name : name.replace(/_(bucket|sum|count)$/, ''));
  /** Families whose labels the README's table says differ from RabbitMQ's, with why. */
  const labelExceptions = () => {
    const readme = readFileSync(join(import.meta.dirname, '..', '..', 'README.md'), 'utf8');
    const section = readme.slice(readme.indexOf('| families whose labels differ from RabbitMQ 3.10.8'));
    return new Set([...section.slice(0, section.indexOf('\n\n')).matchAll(/`(rabbitmq_[a-z_]+)`/g)].map((m) => m[1]!));
  };
  /** Names the README's table says Warren does not serve, with why. */
  const notServed = () => {
    const readme = readFileSync(join(import.meta.dirname, '..', '..', 'README.md'), 'utf8');
    const section = readme.slice(readme.indexOf('RabbitMQ 3.10.8 metrics Warren does not serve'));
    return new Set([...section.slice(0, section.indexOf('\n\n', section.indexOf('|---'))).matchAll(/`([a-z_]+)`/g)].map((m) => m[1]!));
  };

  it("serves every metric RabbitMQ's Grafana dashboard 'RabbitMQ-Overview' queries", async () => {
    expect.hasAssertions();
    const conn = await amqp.connect(broker.current.url);
    const ch = await conn.createConfirmChannel();
    await ch.assertQueue('grafana.q', { durable: false });
    ch.sendToQueue('grafana.q', Buffer.alloc(300));
    await ch.waitForConfirms();
    const s = await scrape('/metrics');
    const wanted = shared('grafana-overview-metrics.txt').split('\n').filter((l) => l !== '' && !l.startsWith('#'));
    expect(wanted.length).toBeGreaterThan(30);
    expect(wanted.filter((name) => !s.types.has(familyOf(s, name)))).toEqual([]);
    const text = await (await fetch(`http://localhost:${broker.current.prometheusPort}/metrics`)).text();
    expect(text).toContain('rabbitmq_message_size_bytes_bucket{protocol="amqp091",le="1024"} ');
    expect(text).toMatch(/rabbitmq_message_size_bytes_count\{protocol="amqp091"\} [1-9]/);
    await conn.close();
  });

  it('serves every RabbitMQ 3.10.8 metric a Node.js node can mean, with its type, and lists the others in the README', async () => {
    expect.hasAssertions();
    const conn = await amqp.connect(broker.current.url);
    const ch = await conn.createChannel();
    await ch.assertQueue('coverage.q', { durable: false });
    const aggregated = await scrape('/metrics');
    const perObject = await scrape('/metrics/per-object');
    const skipped = notServed();
    const missing: string[] = [];
    const wrongType: string[] = [];
    let section = '';
    for (const line of shared('prometheus-metrics-3.10.8.txt').split('\n')) {
      if (line.startsWith('# /metrics/per-object')) section = 'per-object';
      if (line === '' || line.startsWith('#')) continue;
      const [name, type] = line.split(' ') as [string, string];
      const s = section === 'per-object' ? perObject : aggregated;
      if (name.startsWith('erlang_') || skipped.has(name)) continue;
      if (!s.types.has(name)) missing.push(name);
      else if (s.types.get(name) !== type) wrongType.push(`${name}: ${s.types.get(name)} (RabbitMQ: ${type})`);
    }
    expect(missing).toEqual([]);
    expect(wrongType).toEqual([]);
    // Every rabbitmq_* name served is RabbitMQ's (3.10.8's list, or 3.13's message size histogram); Warren's own are warren_*.
    const known = new Set(shared('prometheus-metrics-3.10.8.txt').split('\n').map((l) => l.split(' ')[0]!));
    known.add('rabbitmq_message_size_bytes');
    const invented = [...aggregated.types.keys(), ...perObject.types.keys()].filter((n) => n.startsWith('rabbitmq_') && !known.has(n));
    expect(invented).toEqual([]);
    expect([...perObject.types.keys()].filter((n) => n.startsWith('warren_'))).toEqual(expect.arrayContaining(['warren_queue_messages_delivered_total', 'warren_queue_messages_acked_total']));
    await conn.close();
  });

  it("splits queue-side global counters by queue_type and dead-lettering by queue type and strategy, as RabbitMQ's series", async () => {
    expect.hasAssertions();
    const conn = await amqp.connect(broker.current.url);
    const ch = await conn.createConfirmChannel();
    await ch.assertQueue('typed.classic', { durable: false, arguments: { 'x-message-ttl': 1 } });
    await ch.assertQueue('typed.quorum', { durable: true, arguments: { 'x-queue-type': 'quorum' } });
    const before = await scrape('/metrics');
    const at = (s: Scrape, name: string, labels: Record<string, string>) => value(s, name, labels) ?? NaN;
    ch.sendToQueue('typed.quorum', Buffer.from('q'));
    ch.sendToQueue('typed.classic', Buffer.from('expires'));
    await ch.waitForConfirms();
    const m = await eventually(async () => (await ch.get('typed.quorum', { noAck: true })) || undefined);
    expect(m.content.toString()).toBe('q');
    await new Promise((r) => setTimeout(r, 50));
    expect(await ch.get('typed.classic')).toBe(false);
    const after = await scrape('/metrics');
    const classic = { protocol: 'amqp091', queue_type: 'rabbit_classic_queue' };
    const quorum = { protocol: 'amqp091', queue_type: 'rabbit_quorum_queue' };
    const diff = (name: string, labels: Record<string, string>) => at(after, name, labels) - at(before, name, labels);
    expect(diff('rabbitmq_global_messages_delivered_get_auto_ack_total', quorum)).toBe(1);
    expect(diff('rabbitmq_global_messages_delivered_get_auto_ack_total', classic)).toBe(0);
    expect(diff('rabbitmq_global_messages_get_empty_total', classic)).toBe(1);
    expect(diff('rabbitmq_global_messages_delivered_total', { protocol: 'amqp091', queue_type: 'rabbit_stream_queue' })).toBe(0);
    // Expired without a dead-letter exchange: counted under "disabled", as RabbitMQ does.
    expect(diff('rabbitmq_global_messages_dead_lettered_expired_total', { queue_type: 'rabbit_classic_queue', dead_letter_strategy: 'disabled' })).toBe(1);
    expect(diff('rabbitmq_global_messages_dead_lettered_expired_total', { queue_type: 'rabbit_classic_queue', dead_letter_strategy: 'at_most_once' })).toBe(0);
    await ch.deleteQueue('typed.quorum');
    await conn.close();
  });

  it.runIf(rabbitPrometheus !== undefined)("gives every family it shares with RabbitMQ's exposition RabbitMQ's type, HELP and labels (the README lists the exceptions)", async () => {
    expect.hasAssertions();
    // The same small traffic on both brokers, so that per-object families have series on each.
    const traffic = async (url: string, q: string) => {
      const conn = await amqp.connect(url);
      const ch = await conn.createConfirmChannel();
      await ch.assertQueue(q, { durable: false, autoDelete: false });
      ch.sendToQueue(q, Buffer.from('x'));
      await ch.waitForConfirms();
      const got = await ch.get(q);
      if (got) ch.ack(got);
      await ch.consume(q, () => {});
      return { conn, ch };
    };
    const q = `warren-labels-${Date.now()}`;
    const w = await traffic(broker.current.url, q);
    const r = await traffic(process.env.RABBITMQ_URL ?? 'amqp://guest:guest@localhost:5672', q);
    try {
      // RabbitMQ's per-object series appear with its next statistics emission (every 5 s).
      await new Promise((res) => setTimeout(res, 5500));
      const exceptions = labelExceptions();
      const problems: string[] = [];
      const detailed = '/metrics/detailed?' + ['queue_coarse_metrics', 'queue_consumer_count', 'queue_metrics', 'channel_metrics', 'channel_exchange_metrics', 'channel_queue_metrics', 'channel_queue_exchange_metrics', 'connection_coarse_metrics', 'connection_metrics', 'connection_churn_metrics', 'exchange_names', 'exchange_bindings'].map((f) => `family=${f}`).join('&');
      for (const path of ['/metrics', '/metrics/per-object', detailed]) {
        const ours = await scrape(path);
        const theirs = parse(await (await fetch(rabbitPrometheus + path)).text());
        for (const [name, type] of theirs.types) {
          if (!ours.types.has(name)) continue;
          if (ours.types.get(name) !== type) problems.push(`${path} ${name}: type ${ours.types.get(name)}, RabbitMQ ${type}`);
          if (ours.helps.get(name) !== theirs.helps.get(name)) problems.push(`${path} ${name}: HELP "${ours.helps.get(name)}", RabbitMQ "${theirs.helps.get(name)}"`);
          // A listed family stands for its rabbitmq_detailed_* twin too.
          if (exceptions.has(name) || exceptions.has(name.replace(/^rabbitmq_detailed_/, 'rabbitmq_'))) continue;
          const keys = (sc: Scrape) => [...new Set(sc.samples.filter((x) => x.name === name).map((x) => Object.keys(x.labels).sort().join(',')))].sort();
          const [a, b] = [keys(ours), keys(theirs)];
          if (a.length > 0 && b.length > 0 && JSON.stringify(a) !== JSON.stringify(b)) problems.push(`${path} ${name}: labels [${a.join(' | ')}], RabbitMQ [${b.join(' | ')}]`);
          // Node-wide counters: the same series (label values) as RabbitMQ's, e.g. each queue_type and dead_letter_strategy.
          if (name.startsWith('rabbitmq_global_')) {
            const series = (sc: Scrape) => sc.samples.filter((x) => x.name === name).map((x) => JSON.stringify(Object.entries(x.labels).sort())).sort();
            if (JSON.stringify(series(ours)) !== JSON.stringify(series(theirs))) problems.push(`${path} ${name}: series ${series(ours).join(' ')}, RabbitMQ ${series(theirs).join(' ')}`);
          }
        }
      }
      expect(problems).toEqual([]);
    } finally {
      await w.ch.deleteQueue(q);
      await r.ch.deleteQueue(q);
      await w.conn.close();
      await r.conn.close();
    }
  }, 30_000);

  it.runIf(rabbitPrometheus !== undefined)('splits channel counters by exchange and by queue, and queue publishes by channel, exchange and queue, with the series and counts of RabbitMQ', async () => {
    expect.hasAssertions();
    const tag = `warren-split-${Date.now()}`;
    const [x, q1, q2] = [`${tag}.x`, `${tag}.q1`, `${tag}.q2`];
    // The same traffic on both: a confirming publisher into a fanout exchange, the default exchange (by queue name)
    // and amq.direct (unroutable, mandatory and not); a consumer acking one queue's messages; gets from the other.
    const traffic = async (url: string) => {
      const conn = await amqp.connect(url);
      const pub = await conn.createConfirmChannel();
      await pub.assertExchange(x, 'fanout', { durable: false });
      for (const q of [q1, q2]) {
        await pub.assertQueue(q, { durable: false });
        await pub.bindQueue(q, x, '');
      }
      for (let i = 0; i < 5; i++) pub.publish(x, '', Buffer.from('a'));
      for (let i = 0; i < 3; i++) pub.sendToQueue(q1, Buffer.from('b'));
      pub.publish('amq.direct', 'nowhere', Buffer.from('c'), { mandatory: true });
      pub.publish('amq.direct', 'nowhere', Buffer.from('c'));
      await pub.waitForConfirms();
      const sub = await conn.createChannel();
      let consumed = 0;
      await sub.consume(q1, (m) => {
        if (m) sub.ack(m);
        consumed += 1;
      });
      const got = await sub.get(q2);
      if (got) sub.ack(got);
      await sub.get(q2, { noAck: true });
      const back = await sub.get(q2);
      if (back) sub.nack(back, false, true);
      const again = await sub.get(q2);
      if (again) sub.ack(again);
      await eventually(async () => (consumed === 8 ? true : undefined));
      return { conn, pub };
    };
    const ofTest = (s: Scrape) => {
      // The channels of this test: those with a series of its exchange or queues; their rows for every exchange and queue.
      const channels = new Set(s.samples.filter((m) => [x, q1, q2].some((n) => m.labels.exchange === n || m.labels.queue === n)).map((m) => m.labels.channel));
      const rows = s.samples.filter((m) => /^rabbitmq_(channel_(messages_(published|confirmed|unroutable|delivered|redelivered|acked)|get)|queue_messages_published_total$)/.test(m.name) && channels.has(m.labels.channel));
      return rows.map((m) => `${m.name}{${Object.entries(m.labels).filter(([k]) => k !== 'channel').sort().map(([k, v]) => `${k}=${v}`).join(',')}} ${m.value}`).sort();
    };
    const w = await traffic(broker.current.url);
    const r = await traffic(process.env.RABBITMQ_URL ?? 'amqp://guest:guest@localhost:5672');
    try {
      const ours = ofTest(await scrape('/metrics/per-object'));
      // RabbitMQ counts drops only with its drop_unroutable_metric feature flag, which an upgraded node may have off.
      const auth = { authorization: 'Basic ' + Buffer.from('guest:guest').toString('base64') };
      const flags = (await (await fetch((process.env.RABBITMQ_MANAGEMENT_HTTP ?? 'http://localhost:15672') + '/api/feature-flags', { headers: auth })).json()) as Array<{ name: string; state: string }>;
      const dropCounted = flags.some((f) => f.name === 'drop_unroutable_metric' && f.state === 'enabled');
      const comparable = (rows: string[]) => (dropCounted ? rows : rows.filter((l) => !l.startsWith('rabbitmq_channel_messages_unroutable_dropped_total')));
      // Each RabbitMQ channel emits its rows on its own statistics timer (every 5 s): wait until both channels' are in,
      // as long as 30 s on a loaded machine; the last scrape is what gets compared.
      let theirs: string[] = [];
      for (const deadline = Date.now() + 30_000; Date.now() < deadline; await new Promise((r) => setTimeout(r, 250))) {
        theirs = ofTest(parse(await (await fetch(rabbitPrometheus + '/metrics/per-object')).text()));
        if (JSON.stringify(comparable(theirs)) === JSON.stringify(comparable(ours))) break;
      }
      expect(comparable(ours)).toEqual(comparable(theirs));
      expect(theirs).toContain(`rabbitmq_queue_messages_published_total{exchange=${x},exchange_vhost=/,queue=${q1},queue_vhost=/} 5`);
      // Spot checks of what the rows say, on Warren's side.
      expect(ours).toContain(`rabbitmq_channel_messages_published_total{exchange=${x},vhost=/} 5`);
      expect(ours).toContain('rabbitmq_channel_messages_published_total{exchange=,vhost=/} 3');
      expect(ours).toContain('rabbitmq_channel_messages_unroutable_returned_total{exchange=amq.direct,vhost=/} 1');
      expect(ours).toContain('rabbitmq_channel_messages_unroutable_dropped_total{exchange=amq.direct,vhost=/} 1');
      expect(ours).toContain(`rabbitmq_channel_messages_acked_total{queue=${q2},vhost=/} 2`);
      expect(ours).toContain(`rabbitmq_queue_messages_published_total{exchange=${x},exchange_vhost=/,queue=${q2},queue_vhost=/} 5`);
      expect(ours).toContain(`rabbitmq_queue_messages_published_total{exchange=,exchange_vhost=/,queue=${q1},queue_vhost=/} 3`);
      expect(ours).toContain(`rabbitmq_channel_messages_redelivered_total{queue=${q2},vhost=/} 1`);
    } finally {
      for (const c of [w, r]) {
        for (const q of [q1, q2]) await c.pub.deleteQueue(q);
        await c.pub.deleteExchange(x);
        await c.conn.close();
      }
    }
  }, 60_000);

  it('serves /metrics/detailed for the asked families and vhosts, as rabbitmq_detailed_*', async () => {
    expect.hasAssertions();
    const conn = await amqp.connect(broker.current.url);
    const ch = await conn.createChannel();
    await ch.assertQueue('detailed.q', { durable: false });
    ch.sendToQueue('detailed.q', Buffer.from('x'));
    await eventually(async () => (value(await scrape('/metrics/per-object'), 'rabbitmq_queue_messages_ready', { queue: 'detailed.q' }) === 1 ? true : undefined));
    const s = await scrape('/metrics/detailed?family=queue_coarse_metrics&family=connection_churn_metrics&family=no_such_family&vhost=%2F');
    expect(value(s, 'rabbitmq_detailed_queue_messages_ready', { vhost: '/', queue: 'detailed.q' })).toBe(1);
    expect(s.types.get('rabbitmq_detailed_connections_opened_total')).toBe('counter');
    expect(s.types.has('rabbitmq_detailed_queue_consumers')).toBe(false);
    expect(s.types.has('rabbitmq_queue_messages_ready')).toBe(false);
    const other = await scrape('/metrics/detailed?family=queue_coarse_metrics&vhost=elsewhere');
    expect(other.samples.filter((x) => x.name === 'rabbitmq_detailed_queue_messages_ready')).toEqual([]);
    const channels = await scrape('/metrics/detailed?family=channel_metrics&family=channel_exchange_metrics');
    expect(channels.samples.some((x) => x.name === 'rabbitmq_detailed_channel_messages_published_total' && x.labels.channel !== undefined)).toBe(true);
    await conn.close();
  });
});
