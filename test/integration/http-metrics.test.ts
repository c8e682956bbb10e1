// Prometheus scrapes of /metrics and /metrics/per-object, parsed as Prometheus text, with rabbitmq_prometheus's names.
import amqp from 'amqplib';
import { describe, expect, it } from 'vitest';
import { eventually } from '../support/http.js';
import { useBroker } from '../support/broker.js';

const broker = useBroker({ prometheusPort: 0, managementPort: 0 });

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

/** Parses the Prometheus text exposition format (0.0.4) strictly enough to catch malformed output. */
function parse(text: string): Scrape {
  const types = new Map<string, string>();
  const helps = new Map<string, string>();
  const samples: Sample[] = [];
  expect(text.endsWith('\n')).toBe(true);
  for (const line of text.split('\n')) {
    if (line === '') continue;
    const meta = /^# (TYPE|HELP) ([a-zA-Z_:][a-zA-Z0-9_:]*) (.*)$/.exec(line);
    if (meta) {
      (meta[1] === 'TYPE' ? types : helps).set(meta[2]!, meta[3]!);
      if (meta[1] === 'TYPE') expect(['gauge', 'counter', 'untyped', 'summary', 'histogram']).toContain(meta[3]);
      continue;
    }
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m) throw new Error(`not a Prometheus sample line: ${line}`);
    const labels: Record<string, string> = {};
    if (m[2]) {
      const re = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"(?:,|$)/gy;
      let consumed = 0;
      for (let l = re.exec(m[2]); l; l = re.exec(m[2])) {
        labels[l[1]!] = l[2]!.replace(/\\n/g, '\n').replace(/\\"/g, '"').replace(/\\\\/g, '\\');
        consumed = re.lastIndex;
      }
      if (consumed !== m[2].length) throw new Error(`bad labels: ${m[2]}`);
    }
    const value = Number(m[3]);
    if (Number.isNaN(value) && m[3] !== 'NaN') throw new Error(`bad value: ${line}`);
    expect(types.has(m[1]!), `TYPE before ${m[1]}`).toBe(true);
    samples.push({ name: m[1]!, labels, value });
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
});
