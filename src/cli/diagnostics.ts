// `warren ping` and `warren status`, like rabbitmq-diagnostics: exit 0 when the broker answers, 1 when it does not.
import { amqpPing } from './amqp-ping.js';
import { ManagementClient } from './management-client.js';
import { CliError, type ClientTarget } from './settings.js';

export interface Output {
  out(line: string): void;
  err(line: string): void;
}

/** AMQP handshake to the broker (or, with `viaManagement`, GET /api/overview). */
export async function ping(target: ClientTarget, viaManagement: boolean, quiet: boolean, io: Output): Promise<void> {
  if (viaManagement) {
    const api = new ManagementClient(target);
    const overview = (await api.get('/api/overview')) as { product_name?: string; product_version?: string };
    if (!quiet) io.out(`Ping succeeded: ${overview.product_name ?? 'broker'} ${overview.product_version ?? ''} answers on ${target.managementUrl}`.replace(/ +on/, ' on'));
    return;
  }
  const where = `${target.host.includes(':') ? `[${target.host}]` : target.host}:${target.port}`;
  let result;
  try {
    result = await amqpPing(target);
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    const why = err.code === 'ECONNREFUSED' ? 'connection refused' : err.code === 'ENOTFOUND' ? 'host not found' : err.message;
    throw new CliError(`ping failed: no AMQP broker answers on ${where}: ${why} (is it running? set --port / WARREN_PORT)`);
  }
  if (quiet) return;
  const who = `${result.product} ${result.version}`;
  if (result.stage === 'open') io.out(`Ping succeeded: ${who} answers AMQP 0-9-1 on ${where}`);
  else if (result.stage === 'login-refused') {
    io.out(`Ping succeeded: ${who} answers AMQP 0-9-1 on ${where}`);
    io.err(`note: login as '${target.username}' was refused (${result.detail ?? ''}); set --username and --password to check it`);
  } else {
    io.out(`Ping succeeded: ${who} answers AMQP 0-9-1 on ${where}`);
    io.err(`note: opening vhost '${target.vhost}' was refused (${result.detail ?? ''})`);
  }
}

interface OverviewJson {
  product_name?: string;
  product_version?: string;
  rabbitmq_version?: string;
  erlang_version?: string;
  node?: string;
  listeners?: Array<{ protocol?: string; ip_address?: string; port?: number }>;
  object_totals?: { connections?: number; channels?: number; consumers?: number; exchanges?: number; queues?: number };
  queue_totals?: { messages?: number; messages_ready?: number; messages_unacknowledged?: number };
}

interface NodeJson {
  os_pid?: string;
  uptime?: number;
  mem_used?: number;
  mem_limit?: number;
  mem_alarm?: boolean;
  disk_free_alarm?: boolean;
}

const PURPOSE: Record<string, string> = {
  amqp: 'AMQP 0-9-1 and AMQP 1.0',
  http: 'HTTP API',
  'http/prometheus': 'Prometheus exporter API over HTTP',
  'amqp/ssl': 'AMQP 0-9-1 and AMQP 1.0 over TLS',
};

function duration(ms: number): string {
  let s = Math.floor(ms / 1000);
  const d = Math.floor(s / 86400);
  s -= d * 86400;
  const h = Math.floor(s / 3600);
  s -= h * 3600;
  const m = Math.floor(s / 60);
  s -= m * 60;
  return `${d} days, ${h} hours, ${m} minutes, ${s} seconds`;
}

/** A short summary like `rabbitmq-diagnostics status`, from the management API. */
export async function status(target: ClientTarget, io: Output): Promise<void> {
  const api = new ManagementClient(target);
  const overview = (await api.get('/api/overview')) as OverviewJson;
  const nodes = (await api.get('/api/nodes')) as NodeJson[];
  const vhosts = (await api.request('GET', '/api/vhosts')).json;
  const node = nodes[0] ?? {};
  const totals = overview.object_totals ?? {};
  const queued = overview.queue_totals ?? {};
  const lines = [
    `Status of node ${overview.node ?? 'unknown'} ...`,
    '',
    'Runtime',
    '',
    `OS PID: ${node.os_pid ?? 'unknown'}`,
    `Uptime (seconds): ${node.uptime !== undefined ? Math.floor(node.uptime / 1000) : 'unknown'}${node.uptime !== undefined ? ` (${duration(node.uptime)})` : ''}`,
    `Product name: ${overview.product_name ?? 'unknown'}`,
    `Product version: ${overview.product_version ?? 'unknown'}`,
    `RabbitMQ version: ${overview.rabbitmq_version ?? 'unknown'}`,
    `Runtime: ${overview.erlang_version ?? 'unknown'}`,
    '',
    'Alarms',
    '',
    node.mem_alarm || node.disk_free_alarm ? [node.mem_alarm ? 'memory' : '', node.disk_free_alarm ? 'free disk space' : ''].filter(Boolean).join(', ') : '(none)',
    '',
    'Memory',
    '',
    `Total memory used: ${node.mem_used !== undefined ? (node.mem_used / 1e6).toFixed(1) : 'unknown'} MB`,
    `Memory high watermark: ${node.mem_limit !== undefined ? (node.mem_limit / 1e6).toFixed(1) : 'unknown'} MB`,
    '',
    'Listeners',
    '',
    ...(overview.listeners ?? []).map((l) => `Interface: [${l.ip_address ?? '::'}], port: ${l.port ?? '?'}, protocol: ${l.protocol ?? '?'}, purpose: ${PURPOSE[l.protocol ?? ''] ?? l.protocol ?? ''}`),
    '',
    'Totals',
    '',
    `Connection count: ${totals.connections ?? 0}`,
    `Channel count: ${totals.channels ?? 0}`,
    `Consumer count: ${totals.consumers ?? 0}`,
    `Virtual host count: ${Array.isArray(vhosts) ? vhosts.length : 'unknown'}`,
    `Queue count: ${totals.queues ?? 0}`,
    `Exchange count: ${totals.exchanges ?? 0}`,
    `Messages: ${queued.messages ?? 0} (ready ${queued.messages_ready ?? 0}, unacknowledged ${queued.messages_unacknowledged ?? 0})`,
  ];
  for (const l of lines) io.out(l);
}
