// Node-level routes: /api/overview, /api/cluster-name, /api/whoami, /api/nodes, /api/health/checks/*, the deprecated
// /api/healthchecks/node, /api/aliveness-test/{vhost}, /api/extensions, /api/reset.
import { cpus } from 'node:os';
import { addCounters, Message, newCounters, type User } from '../broker/index.js';
import { AmqpError } from '../protocol/index.js';
import { checkVhostAccess } from './authz.js';
import { NODE_NAME, NO_CONNECTION, openConnections, PRODUCT_VERSION, vhostOr404, type ManagementDeps } from './deps.js';
import { advertisedIdentity } from '../server/index.js';
import { allConsumers } from '../server/index.js';
import { badRequest, json, keyMissing, noContent, objectNotFound, type Reply } from './http-kit.js';
import { CHANNEL_FIELDS, countersSinceReset, messageStats, windowsOf, withDetails, type Windows } from './rates.js';
import { churnValues, nodeKey, resetAllStatistics, vhostCounters, vhostLengths } from './stats-sampler.js';
import type { Router } from './router.js';
import { canAccessVhost, seesClientOf } from './scope.js';
import { isMonitor } from './users.js';


/** Ports the node listens on, filled in as listeners start. */
export interface Listeners {
  amqp: number;
  /** amqps (RabbitMQ's `amqp/ssl` listener). */
  amqpTls?: number | undefined;
  management: number | undefined;
  /** The management API over HTTPS. */
  managementTls?: number | undefined;
  prometheus: number | undefined;
}

export const EXCHANGE_TYPES = [
  { name: 'direct', description: 'AMQP direct exchange, as per the AMQP specification', enabled: true },
  { name: 'fanout', description: 'AMQP fanout exchange, as per the AMQP specification', enabled: true },
  { name: 'headers', description: 'AMQP headers exchange, as per the AMQP specification', enabled: true },
  { name: 'topic', description: 'AMQP topic exchange, as per the AMQP specification', enabled: true },
];

const AUTH_MECHANISMS = [
  { name: 'AMQPLAIN', description: 'QPid AMQPLAIN mechanism', enabled: true },
  { name: 'PLAIN', description: 'SASL PLAIN authentication mechanism', enabled: true },
];

function listenersJson(l: Listeners): unknown[] {
  const out: unknown[] = [{ node: NODE_NAME, protocol: 'amqp', ip_address: '::', port: l.amqp }];
  if (l.amqpTls !== undefined) out.push({ node: NODE_NAME, protocol: 'amqp/ssl', ip_address: '::', port: l.amqpTls });
  if (l.management !== undefined) out.push({ node: NODE_NAME, protocol: 'http', ip_address: '::', port: l.management });
  if (l.managementTls !== undefined) out.push({ node: NODE_NAME, protocol: 'https', ip_address: '::', port: l.managementTls });
  if (l.prometheus !== undefined) out.push({ node: NODE_NAME, protocol: 'http/prometheus', ip_address: '::', port: l.prometheus });
  return out;
}

/**
 * GET /api/overview. A monitoring user or administrator gets the node's totals, listeners and contexts; anyone else
 * (RabbitMQ's get_overview for a user) totals over the vhosts they may use and their own connections and channels,
 * with no consumer count and no node, listeners or contexts. Their message_stats sum those vhosts' queue counters
 * (Warren keeps no per-vhost publish counter; RabbitMQ counts a message published to two queues once).
 */
function overview(deps: ManagementDeps, listeners: Listeners, user: User, w: Windows): Record<string, unknown> {
  const { broker, server } = deps;
  const monitor = isMonitor(user);
  let queues = 0;
  let exchanges = 0;
  let ready = 0;
  let unacked = 0;
  const counters = newCounters();
  for (const v of broker.vhosts.values()) {
    if (!monitor && !canAccessVhost(broker, user, v.name)) continue;
    exchanges += v.exchanges.size;
    queues += v.queues.size;
    const l = vhostLengths(v);
    ready += l.messages_ready;
    unacked += l.messages_unacknowledged;
    // The node's counts since a reset are taken off below; a narrower view takes off each vhost's.
    addCounters(counters, monitor ? vhostCounters(server, v) : countersSinceReset(v, vhostCounters(server, v)));
  }
  const conns = openConnections(server).filter((c) => seesClientOf(user, c.username));
  const channels = conns.reduce((n, c) => n + c.channels.size, 0);
  const identity = advertisedIdentity(server.options);
  const common = {
    management_version: identity.rabbitmqVersion,
    rates_mode: 'basic',
    sample_retention_policies: { global: [600], basic: [60], detailed: [] },
    exchange_types: EXCHANGE_TYPES,
    product_version: identity.version,
    product_name: identity.product,
    rabbitmq_version: identity.rabbitmqVersion,
    cluster_name: broker.parameters.clusterName(NODE_NAME),
    erlang_version: `Node.js ${process.version}`,
    disable_stats: false,
    enable_queue_totals: true,
    queue_totals: monitor
      ? withDetails(nodeKey(deps), { messages: ready + unacked, messages_ready: ready, messages_unacknowledged: unacked }, w.lengths)
      : { messages: ready + unacked, messages_ready: ready, messages_unacknowledged: unacked },
    statistics_db_event_queue: 0,
  };
  if (!monitor) {
    // Totals over some vhosts only: counts without rates (the node's samples cover every vhost).
    return { ...common, message_stats: messageStats(user, counters, CHANNEL_FIELDS, undefined) ?? {}, object_totals: { channels, connections: conns.length, exchanges, queues } };
  }
  return {
    ...common,
    message_stats: messageStats(nodeKey(deps), counters, CHANNEL_FIELDS, w.msgRates) ?? {},
    churn_rates: withDetails(nodeKey(deps), churnValues(deps), w.lengths),
    object_totals: { channels, connections: conns.length, consumers: allConsumers(server).length, exchanges, queues },
    node: NODE_NAME,
    listeners: listenersJson(listeners),
    contexts: [listeners.management, listeners.managementTls]
      .filter((p): p is number => p !== undefined)
      .map((p) => ({ node: NODE_NAME, description: 'RabbitMQ Management', path: '/', port: String(p), ...(p === listeners.managementTls ? { ssl: 'true' } : {}) })),
  };
}

/** RabbitMQ's alarms health check: 200 ok, or 503 naming the resources in alarm. */
function alarmsCheck(deps: ManagementDeps): Reply {
  const active = [...deps.server.alarms.active];
  if (active.length === 0) return json({ status: 'ok' });
  return {
    status: 503,
    body: { status: 'failed', reason: 'resource alarm(s) in effect', alarms: active.map((resource) => ({ node: NODE_NAME, resource })) },
  };
}

function nodeJson(deps: ManagementDeps): Record<string, unknown> {
  const mem = process.memoryUsage();
  return {
    name: NODE_NAME,
    type: 'disc',
    running: true,
    os_pid: String(process.pid),
    uptime: Math.round(process.uptime() * 1000),
    processors: cpus().length,
    mem_used: mem.rss,
    mem_limit: Math.round(deps.server.alarms.memoryLimit),
    mem_alarm: deps.server.alarms.active.has('memory'),
    disk_free_alarm: deps.server.alarms.active.has('disk'),
    disk_free_limit: Math.round(deps.server.alarms.diskLimit),
    sockets_used: deps.server.connections.size,
    partitions: [],
    cluster_links: [],
    run_queue: 0,
    rates_mode: 'basic',
    exchange_types: EXCHANGE_TYPES,
    auth_mechanisms: AUTH_MECHANISMS,
    applications: [{ name: 'warren', description: 'Warren, an AMQP 0-9-1 broker', version: PRODUCT_VERSION }],
    enabled_plugins: ['rabbitmq_management', 'rabbitmq_prometheus'],
  };
}

/** RabbitMQ's aliveness test: declare `aliveness-test`, publish to it through the default exchange, get it back. */
function aliveness(deps: ManagementDeps, user: User, vhostName: string): Reply {
  const vhost = vhostOr404(deps.broker, vhostName);
  // Over a direct connection as the user: an administrator without access to the vhost is refused there.
  checkVhostAccess(deps.broker, user, vhost);
  try {
    const q = vhost.declareQueue({ name: 'aliveness-test', passive: false, durable: false, exclusive: false, autoDelete: false, arguments: new Map(), connectionId: NO_CONNECTION });
    const body = Buffer.from('test_message');
    vhost.publish(vhost.exchange(''), Message.fromProperties('', q.name, {}, body));
    for (let e = q.get(true); e; e = q.get(true)) if (e.message.body.equals(body)) return json({ status: 'ok' });
    return { status: 503, body: { status: 'failed', reason: 'message not returned' } };
  } catch (e) {
    // RabbitMQ runs the test over a direct AMQP channel: a channel error (max-queues reached) is its API's 400.
    if (e instanceof AmqpError) throw badRequest(`${e.code} ${e.message}`);
    return { status: 503, body: { status: 'failed', reason: e instanceof Error ? e.message : String(e) } };
  }
}

export function nodeRoutes(router: Router, deps: ManagementDeps, listeners: Listeners): void {
  const ok = () => json({ status: 'ok' });
  router
    .get('/api/overview', (ctx) => json(overview(deps, listeners, ctx.user, windowsOf(ctx.query))))
    .get('/api/cluster-name', () => json({ name: deps.broker.parameters.clusterName(NODE_NAME) }))
    // RabbitMQ keeps the name as the cluster_name global parameter (durable, in definitions); any string, even empty.
    .put('/api/cluster-name', async (ctx) => {
      const name = (await ctx.body()).name;
      if (name === undefined) throw keyMissing('name');
      if (typeof name !== 'string') throw badRequest('name must be a string');
      deps.broker.parameters.setGlobal('cluster_name', name);
      return noContent();
    }, 'administrator')
    .get('/api/whoami', (ctx) => json({ name: ctx.user.name, tags: [...ctx.user.tags] }))
    .get('/api/extensions', () => json([]))
    .get('/api/nodes', () => json([nodeJson(deps)]), 'monitoring')
    .get('/api/nodes/:node', (ctx) => {
      if (ctx.param('node') !== NODE_NAME) throw objectNotFound();
      return json(nodeJson(deps));
    }, 'monitoring')
    .get('/api/health/checks/alarms', () => alarmsCheck(deps))
    .get('/api/health/checks/local-alarms', () => alarmsCheck(deps))
    .get('/api/health/checks/virtual-hosts', ok)
    .get('/api/health/checks/node-is-quorum-critical', ok)
    .get('/api/health/checks/node-is-mirror-sync-critical', ok)
    .get('/api/health/checks/certificate-expiration/:within/:unit', ok)
    .get('/api/health/checks/port-listener/:port', (ctx) => {
      const port = Number(ctx.param('port'));
      const ports = [listeners.amqp, listeners.amqpTls, listeners.management, listeners.managementTls, listeners.prometheus].filter((p): p is number => p !== undefined);
      if (ports.includes(port)) return json({ status: 'ok', port });
      return { status: 503, body: { status: 'failed', reason: 'No active listener', missing: port, ports } };
    })
    .get('/api/health/checks/protocol-listener/:protocol', (ctx) => {
      const protocol = ctx.param('protocol').toLowerCase();
      const known = ['amqp', 'amqp091', 'amqp0.9.1', 'amqp0-9-1', 'http', 'management'];
      if (listeners.amqpTls !== undefined) known.push('amqps', 'amqp/ssl');
      if (listeners.managementTls !== undefined) known.push('https');
      if (known.includes(protocol)) return json({ status: 'ok', protocol });
      return { status: 503, body: { status: 'failed', reason: 'No active listener', missing: protocol, protocols: ['amqp', 'http'] } };
    })
    // RabbitMQ 3.10's deprecated node health check (its replacements are under /api/health/checks).
    .get('/api/healthchecks/node', ok)
    .get('/api/healthchecks/node/:node', (ctx) => {
      if (ctx.param('node') !== NODE_NAME) throw objectNotFound();
      return ok();
    })
    // Resets the statistics database: message_stats count again from 0 and the rate samples start afresh.
    .delete('/api/reset', () => {
      resetAllStatistics(deps);
      return noContent();
    }, 'administrator')
    .delete('/api/reset/:node', (ctx) => {
      if (ctx.param('node') !== NODE_NAME) throw objectNotFound();
      resetAllStatistics(deps);
      return noContent();
    }, 'administrator')
    .get('/api/aliveness-test/:vhost', (ctx) => aliveness(deps, ctx.user, ctx.param('vhost')));
}

