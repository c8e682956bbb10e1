// Prometheus metrics on port 15692 with rabbitmq_prometheus's names: /metrics (aggregated) and /metrics/per-object.
// Everything is read from the broker model at scrape time; nothing is counted on the message path.
import { createServer } from 'node:http';
import type { Queue } from '../broker/index.js';
import { listenTcp } from '../shared/listen.js';
import { NODE_NAME, openConnections, PRODUCT_VERSION, RABBITMQ_COMPAT_VERSION, type ManagementDeps } from './deps.js';
import { closeHttp, send } from './http-kit.js';
import type { HttpListener, HttpListenOptions } from './management.js';

const CONTENT_TYPE = 'text/plain; version=0.0.4';

type Labels = Record<string, string>;

/** Accumulates metric families in Prometheus text format (TYPE then HELP, as rabbitmq_prometheus writes them). */
class Exposition {
  private readonly lines: string[] = [];

  family(name: string, type: 'gauge' | 'counter' | 'untyped', help: string, samples: Array<[Labels, number]>): void {
    this.lines.push(`# TYPE ${name} ${type}`, `# HELP ${name} ${help}`);
    for (const [labels, value] of samples) this.lines.push(`${name}${labelText(labels)} ${formatValue(value)}`);
  }

  toString(): string {
    return this.lines.join('\n') + '\n';
  }
}

function labelText(labels: Labels): string {
  const entries = Object.entries(labels);
  if (entries.length === 0) return '';
  return `{${entries.map(([k, v]) => `${k}="${v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`).join(',')}}`;
}

function formatValue(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (!Number.isFinite(v)) return v > 0 ? '+Inf' : '-Inf';
  return String(v);
}

const QUEUE_SERIES: ReadonlyArray<[string, string, (q: Queue) => number]> = [
  ['rabbitmq_queue_messages_ready', 'Messages ready to be delivered to consumers', (q) => q.messageCount],
  ['rabbitmq_queue_messages_unacked', 'Messages delivered to consumers but not yet acknowledged', (q) => q.unacked],
  ['rabbitmq_queue_messages', 'Sum of ready and unacknowledged messages - total queue depth', (q) => q.messageCount + q.unacked],
  ['rabbitmq_queue_messages_ready_bytes', 'Size in bytes of ready messages', (q) => q.messageBytes],
  ['rabbitmq_queue_consumers', 'Consumers on a queue', (q) => q.consumerCount],
];

const QUEUE_COUNTERS: ReadonlyArray<[string, string, (q: Queue) => number]> = [
  ['rabbitmq_queue_messages_published_total', 'Total number of messages published to queues', (q) => q.stats.published],
  ['rabbitmq_queue_messages_delivered_total', 'Total number of messages delivered to consumers (and basic.get)', (q) => q.stats.delivered],
  ['rabbitmq_queue_messages_acked_total', 'Total number of messages acknowledged by consumers', (q) => q.stats.acked],
  ['warren_queue_messages_dead_lettered_total', 'Total number of messages that left the queue for its dead-letter exchange', (q) => q.deadLettered],
];

/** The scrape body; `perObject` labels queue series with vhost and queue instead of summing them. */
export function renderMetrics(deps: ManagementDeps, perObject: boolean): string {
  const out = new Exposition();
  const queues = [...deps.broker.vhosts.values()].flatMap((v) => [...v.queues.values()]);
  const conns = openConnections(deps.server);
  const channels = conns.reduce((n, c) => n + c.channels.size, 0);
  const consumers = queues.reduce((n, q) => n + q.consumerCount, 0);

  out.family('rabbitmq_build_info', 'untyped', 'RabbitMQ & Erlang/OTP version info', [
    [{ rabbitmq_version: RABBITMQ_COMPAT_VERSION, prometheus_plugin_version: RABBITMQ_COMPAT_VERSION, product: 'Warren', product_version: PRODUCT_VERSION, erlang_version: process.version }, 1],
  ]);
  out.family('rabbitmq_identity_info', 'untyped', 'RabbitMQ node & cluster identity info', [
    [{ rabbitmq_node: NODE_NAME, rabbitmq_cluster: NODE_NAME, rabbitmq_cluster_permanent_id: `warren-cluster-id-${NODE_NAME}` }, 1],
  ]);
  for (const [name, help, read] of QUEUE_SERIES) {
    const samples: Array<[Labels, number]> = perObject
      ? queues.map((q) => [{ vhost: q.vhost, queue: q.name }, read(q)])
      : [[{}, queues.reduce((n, q) => n + read(q), 0)]];
    out.family(name, 'gauge', help, samples);
  }
  for (const [name, help, read] of QUEUE_COUNTERS) {
    const samples: Array<[Labels, number]> = perObject
      ? queues.map((q) => [{ vhost: q.vhost, queue: q.name }, read(q)])
      : [[{}, queues.reduce((n, q) => n + read(q), 0)]];
    out.family(name, 'counter', help, samples);
  }
  const now = Date.now();
  const age = (q: Queue) => {
    const at = q.oldestReadyAt;
    return at === undefined ? 0 : (now - at) / 1000;
  };
  out.family('warren_queue_oldest_message_age_seconds', 'gauge', 'Age of the oldest message waiting in a queue (consumer lag)',
    perObject ? queues.map((q) => [{ vhost: q.vhost, queue: q.name }, age(q)]) : [[{}, queues.reduce((m, q) => Math.max(m, age(q)), 0)]]);
  const totals = deps.broker.totals;
  out.family('rabbitmq_global_messages_received_total', 'counter', 'Total number of messages received from publishers', [[{}, totals.published]]);
  out.family('rabbitmq_global_messages_delivered_total', 'counter', 'Total number of messages delivered to consumers', [[{}, totals.delivered]]);
  out.family('rabbitmq_global_messages_redelivered_total', 'counter', 'Total number of messages redelivered to consumers', [[{}, totals.redelivered]]);
  out.family('rabbitmq_global_messages_acknowledged_total', 'counter', 'Total number of messages acknowledged by consumers', [[{}, totals.acked]]);
  out.family('rabbitmq_global_messages_unroutable_dropped_total', 'counter', 'Total number of messages published as non-mandatory into an exchange and dropped as unroutable', [[{}, totals.unroutable]]);
  for (const reason of ['expired', 'rejected', 'maxlen', 'delivery_limit'] as const) {
    out.family(`rabbitmq_global_messages_dead_lettered_${reason}_total`, 'counter', `Total number of messages dead-lettered due to ${reason}`, [[{}, totals.deadLettered[reason]]]);
  }
  const alarms = deps.server.alarms;
  out.family('rabbitmq_alarms_memory_used_watermark', 'gauge', 'is set when a node memory used watermark is exceeded', [[{}, alarms.active.has('memory') ? 1 : 0]]);
  out.family('rabbitmq_alarms_free_disk_space_watermark', 'gauge', 'is set when a node free disk space watermark is exceeded', [[{}, alarms.active.has('disk') ? 1 : 0]]);
  out.family('rabbitmq_resident_memory_limit_bytes', 'gauge', 'Memory high watermark in bytes', [[{}, Math.round(alarms.memoryLimit)]]);
  out.family('rabbitmq_disk_space_available_limit_bytes', 'gauge', 'Free disk space low watermark in bytes', [[{}, Math.round(alarms.diskLimit)]]);
  out.family('rabbitmq_connections', 'gauge', 'Connections currently open', [[{}, conns.length]]);
  out.family('rabbitmq_channels', 'gauge', 'Channels currently open', [[{}, channels]]);
  out.family('rabbitmq_consumers', 'gauge', 'Consumers currently connected', [[{}, consumers]]);
  out.family('rabbitmq_queues', 'gauge', 'Queues available', [[{}, queues.length]]);
  out.family('rabbitmq_process_resident_memory_bytes', 'gauge', 'Memory used in bytes', [[{}, process.memoryUsage().rss]]);
  return out.toString();
}

/** Starts the Prometheus endpoint (no authentication, as rabbitmq_prometheus). */
export async function startMetrics(deps: ManagementDeps, opts: HttpListenOptions): Promise<HttpListener> {
  const server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://localhost').pathname.replace(/\/+$/, '');
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(res, { status: 405, headers: { allow: 'GET, HEAD' } });
    if (path === '/metrics' || path === '/metrics/per-object') {
      return send(res, { status: 200, text: renderMetrics(deps, path === '/metrics/per-object'), contentType: CONTENT_TYPE });
    }
    send(res, { status: 404, text: 'Not Found\n' });
  });
  const port = await listenTcp(server, opts.port, opts.host);
  return { port, close: () => closeHttp(server) };
}
