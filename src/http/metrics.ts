// Prometheus metrics on port 15692 with rabbitmq_prometheus's names: /metrics (aggregated), /metrics/per-object
// (one series per queue, channel and connection) and /metrics/detailed?family=…&vhost=… (rabbitmq_detailed_*).
// Everything is read from the broker model at scrape time; the message path only increments integers.
import { createServer } from 'node:http';
import { listenTcp } from '../shared/listen.js';
import type { ManagementDeps } from './deps.js';
import { Exposition } from './exposition.js';
import { closeHttp, send } from './http-kit.js';
import type { HttpListener, HttpListenOptions } from './management.js';
import { channelFamilies, churnFamilies, queuePublishedSamples, connectionFamilies, globalFamilies, MESSAGE_SIZE_BUCKETS, MESSAGE_SIZE_HELP, nodeFamilies, queueFamilies, type Family } from './metrics-families.js';

const CONTENT_TYPE = 'text/plain; version=0.0.4';

/** Scrapes so far, per registry (RabbitMQ's telemetry_scrape_* summaries). */
interface ScrapeTelemetry {
  count: number;
  seconds: number;
  bytes: number;
}

type Telemetry = Map<'default' | 'detailed', ScrapeTelemetry>;

function write(out: Exposition, families: readonly Family[], prefix: string): void {
  for (const f of families) out.family(f.absolute ? f.name : `${prefix}${f.name}`, f.type, f.help, f.samples);
}

function writeTelemetry(out: Exposition, telemetry: Telemetry): void {
  const rows = [...telemetry.entries()];
  const labels = (registry: string) => ({ registry, content_type: CONTENT_TYPE });
  out.summary('telemetry_scrape_duration_seconds', 'Scrape duration', rows.map(([r, t]) => [labels(r), t.count, t.seconds] as const));
  out.summary('telemetry_scrape_size_bytes', 'Scrape size, not encoded', rows.map(([r, t]) => [labels(r), t.count, t.bytes] as const));
  out.summary('telemetry_scrape_encoded_size_bytes', 'Scrape size, encoded', rows.map(([r, t]) => [{ ...labels(r), encoding: 'identity' }, t.count, t.bytes] as const));
}

/** The scrape body of /metrics, or of /metrics/per-object when `perObject`. */
export function renderMetrics(deps: ManagementDeps, perObject: boolean, telemetry: Telemetry = new Map()): string {
  const out = new Exposition();
  write(out, nodeFamilies(deps, perObject), 'rabbitmq_');
  write(out, churnFamilies(deps), 'rabbitmq_');
  write(out, globalFamilies(deps), 'rabbitmq_');
  const t = deps.broker.totals;
  out.histogram('rabbitmq_message_size_bytes', MESSAGE_SIZE_HELP, { protocol: 'amqp091' }, MESSAGE_SIZE_BUCKETS, t.messageSizes, t.messageSizeSum);
  write(out, queueFamilies(deps, perObject), 'rabbitmq_');
  write(out, channelFamilies(deps, perObject), 'rabbitmq_');
  write(out, connectionFamilies(deps, perObject), 'rabbitmq_');
  write(out, shovelFamilies(deps), '');
  writeTelemetry(out, telemetry);
  return out.toString();
}

const SHOVEL_STATES = ['starting', 'running', 'terminated'] as const;

/** Per shovel: warren_shovel_state (1 for its current state, 0 for the others) and messages moved. */
function shovelFamilies(deps: ManagementDeps): Family[] {
  const rows = deps.shovels?.counters() ?? [];
  if (rows.length === 0) return [];
  return [
    {
      name: 'warren_shovel_state',
      type: 'gauge',
      help: 'Dynamic shovel state: 1 for the state it is in (starting, running or terminated), 0 for the others',
      samples: rows.flatMap((r) => SHOVEL_STATES.map((state) => [{ vhost: r.vhost, shovel: r.name, state }, r.state === state ? 1 : 0] as const)),
    },
    {
      name: 'warren_shovel_messages_moved_total',
      type: 'counter',
      help: 'Messages a dynamic shovel has settled at its source since it started',
      samples: rows.map((r) => [{ vhost: r.vhost, shovel: r.name }, r.moved] as const),
    },
  ];
}

const QUEUE_COARSE = new Set(['queue_messages_ready', 'queue_messages_unacked', 'queue_messages']);
const CHANNEL_GAUGES = new Set(['channel_consumers', 'channel_messages_unacked', 'channel_messages_unconfirmed', 'channel_messages_uncommitted', 'channel_acks_uncommitted', 'channel_prefetch', 'consumer_prefetch']);
const CHANNEL_EXCHANGE = new Set(['channel_messages_published_total', 'channel_messages_confirmed_total', 'channel_messages_unroutable_returned_total', 'channel_messages_unroutable_dropped_total']);

/** RabbitMQ's /metrics/detailed families Warren can answer, each as the families it is made of. */
const DETAILED: Readonly<Record<string, (deps: ManagementDeps, vhosts: ReadonlySet<string> | undefined) => Family[]>> = {
  connection_churn_metrics: (deps) => churnFamilies(deps),
  queue_coarse_metrics: (deps, v) => queueFamilies(deps, true, v).filter((f) => QUEUE_COARSE.has(f.name)),
  queue_consumer_count: (deps, v) => queueFamilies(deps, true, v).filter((f) => f.name === 'queue_consumers'),
  queue_metrics: (deps, v) => queueFamilies(deps, true, v).filter((f) => !f.absolute && !QUEUE_COARSE.has(f.name) && f.name !== 'queue_consumers' && f.name !== 'queue_messages_published_total'),
  channel_queue_exchange_metrics: (deps, v) => [{ name: 'queue_messages_published_total', type: 'counter', help: 'Total number of messages published to queues', samples: queuePublishedSamples(deps, v) }],
  channel_metrics: (deps, v) => channelFamilies(deps, true, v).filter((f) => CHANNEL_GAUGES.has(f.name)),
  channel_exchange_metrics: (deps, v) => channelFamilies(deps, true, v).filter((f) => CHANNEL_EXCHANGE.has(f.name)),
  channel_queue_metrics: (deps, v) => channelFamilies(deps, true, v).filter((f) => !CHANNEL_GAUGES.has(f.name) && !CHANNEL_EXCHANGE.has(f.name)),
  connection_coarse_metrics: (deps, v) => connectionFamilies(deps, true, v).filter((f) => f.name !== 'connection_channels'),
  connection_metrics: (deps, v) => connectionFamilies(deps, true, v).filter((f) => f.name === 'connection_channels'),
  exchange_names: (deps, v) => [
    {
      name: 'exchange_name',
      type: 'gauge',
      help: 'Enumerates exchanges without any additional info. This value is cluster-wide. A cheaper alternative to `exchange_bindings`',
      samples: [...deps.broker.vhosts.values()].filter((x) => v === undefined || v.has(x.name)).flatMap((vh) => [...vh.exchanges.values()].map((x) => [{ vhost: vh.name, exchange: x.name, type: x.type }, 1] as const)),
    },
  ],
  exchange_bindings: (deps, v) => [
    {
      name: 'exchange_bindings',
      type: 'gauge',
      help: 'Number of bindings for an exchange. This value is cluster-wide.',
      samples: [...deps.broker.vhosts.values()].filter((x) => v === undefined || v.has(x.name)).flatMap((vh) => [...vh.exchanges.values()].map((x) => [{ vhost: vh.name, exchange: x.name, type: x.type }, x.bindings.length] as const)),
    },
  ],
};

/** /metrics/detailed: the asked families (unknown ones are left out, as RabbitMQ does), for the asked vhosts. */
export function renderDetailed(deps: ManagementDeps, query: URLSearchParams, telemetry: Telemetry = new Map()): string {
  const out = new Exposition();
  const vhostNames = query.getAll('vhost');
  const vhosts = vhostNames.length > 0 ? new Set(vhostNames) : undefined;
  for (const name of new Set(query.getAll('family'))) {
    const build = DETAILED[name];
    if (build) write(out, build(deps, vhosts), 'rabbitmq_detailed_');
  }
  writeTelemetry(out, telemetry);
  return out.toString();
}

/** Starts the Prometheus endpoint (no authentication, as rabbitmq_prometheus). */
export async function startMetrics(deps: ManagementDeps, opts: HttpListenOptions): Promise<HttpListener> {
  const telemetry: Telemetry = new Map();
  const scrape = (registry: 'default' | 'detailed', render: () => string): string => {
    const started = process.hrtime.bigint();
    const text = render();
    const t = telemetry.get(registry) ?? { count: 0, seconds: 0, bytes: 0 };
    t.count += 1;
    t.seconds += Number(process.hrtime.bigint() - started) / 1e9;
    t.bytes += Buffer.byteLength(text);
    telemetry.set(registry, t);
    return text;
  };
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const path = url.pathname.replace(/\/+$/, '');
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(res, { status: 405, headers: { allow: 'GET, HEAD' } });
    if (path === '/metrics' || path === '/metrics/per-object') {
      return send(res, { status: 200, text: scrape('default', () => renderMetrics(deps, path === '/metrics/per-object', telemetry)), contentType: CONTENT_TYPE });
    }
    if (path === '/metrics/detailed') return send(res, { status: 200, text: scrape('detailed', () => renderDetailed(deps, url.searchParams, telemetry)), contentType: CONTENT_TYPE });
    send(res, { status: 404, text: 'Not Found\n' });
  });
  const port = await listenTcp(server, opts.port, opts.host);
  return { port, close: () => closeHttp(server) };
}
