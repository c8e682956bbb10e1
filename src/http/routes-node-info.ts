// What a node says about itself beyond /api/nodes: /api/feature-flags (RabbitMQ 3.13's list, all enabled), /api/auth
// (the login page's settings, public), /api/login, /api/auth/attempts/{node} (login counts per protocol) and
// /api/nodes/{node}/memory[/relative] (a breakdown Node.js really measures).
import { getHeapSpaceStatistics } from 'node:v8';
import type { AuthCounts, Broker } from '../broker/index.js';
import { NODE_NAME } from './deps.js';
import { badRequest, HttpError, json, noContent, objectNotFound } from './http-kit.js';
import type { Router } from './router.js';
import { isManagementUser } from './users.js';

interface FeatureFlag {
  name: string;
  desc: string;
  doc_url: string;
  stability: 'stable' | 'required';
  provided_by: string;
}

/**
 * The feature flags RabbitMQ 3.13 lists (its experimental khepri_db left out: it would say the metadata store is
 * Khepri). Clients and tools check some of them; every feature they name is on in Warren, or has no meaning on one node.
 */
const FEATURE_FLAGS: readonly FeatureFlag[] = [
  { name: 'classic_mirrored_queue_version', desc: 'Support setting version for classic mirrored queues', doc_url: '', stability: 'required', provided_by: 'rabbit' },
  { name: 'classic_queue_type_delivery_support', desc: 'Bug fix for classic queue deliveries using mixed versions', doc_url: 'https://github.com/rabbitmq/rabbitmq-server/issues/5931', stability: 'required', provided_by: 'rabbit' },
  { name: 'direct_exchange_routing_v2', desc: 'v2 direct exchange routing implementation', doc_url: '', stability: 'required', provided_by: 'rabbit' },
  { name: 'drop_unroutable_metric', desc: 'Count unroutable publishes to be dropped in stats', doc_url: '', stability: 'stable', provided_by: 'rabbitmq_management_agent' },
  { name: 'empty_basic_get_metric', desc: 'Count AMQP `basic.get` on empty queues in stats', doc_url: '', stability: 'stable', provided_by: 'rabbitmq_management_agent' },
  { name: 'feature_flags_v2', desc: 'Feature flags subsystem V2', doc_url: '', stability: 'required', provided_by: 'rabbit' },
  { name: 'implicit_default_bindings', desc: 'Default bindings are now implicit, instead of being stored in the database', doc_url: '', stability: 'required', provided_by: 'rabbit' },
  { name: 'listener_records_in_ets', desc: 'Store listener records in ETS instead of Mnesia', doc_url: '', stability: 'required', provided_by: 'rabbit' },
  { name: 'maintenance_mode_status', desc: 'Maintenance mode status', doc_url: '', stability: 'required', provided_by: 'rabbit' },
  { name: 'message_containers', desc: 'Message containers.', doc_url: '', stability: 'stable', provided_by: 'rabbit' },
  { name: 'quorum_queue', desc: 'Support queues of type `quorum`', doc_url: 'https://www.rabbitmq.com/quorum-queues.html', stability: 'required', provided_by: 'rabbit' },
  { name: 'quorum_queue_non_voters', desc: 'Allows new quorum queue members to be added as non voters initially.', doc_url: '', stability: 'stable', provided_by: 'rabbit' },
  { name: 'restart_streams', desc: 'Support for restarting streams with optional preferred next leader argument.Used to implement stream leader rebalancing', doc_url: '', stability: 'required', provided_by: 'rabbit' },
  { name: 'stream_filtering', desc: 'Support for stream filtering.', doc_url: '', stability: 'stable', provided_by: 'rabbitmq_stream' },
  { name: 'stream_queue', desc: 'Support queues of type `stream`', doc_url: 'https://www.rabbitmq.com/stream.html', stability: 'required', provided_by: 'rabbit' },
  { name: 'stream_sac_coordinator_unblock_group', desc: 'Bug fix to unblock a group of consumers in a super stream partition', doc_url: 'https://github.com/rabbitmq/rabbitmq-server/issues/7743', stability: 'stable', provided_by: 'rabbit' },
  { name: 'stream_single_active_consumer', desc: 'Single active consumer for streams', doc_url: 'https://www.rabbitmq.com/stream.html', stability: 'required', provided_by: 'rabbit' },
  { name: 'stream_update_config_command', desc: 'A new internal command that is used to update streams as part of a policy.', doc_url: '', stability: 'stable', provided_by: 'rabbit' },
  { name: 'tracking_records_in_ets', desc: 'Store tracking records in ETS instead of Mnesia', doc_url: '', stability: 'required', provided_by: 'rabbit' },
  { name: 'user_limits', desc: 'Configure connection and channel limits for a user', doc_url: '', stability: 'required', provided_by: 'rabbit' },
  { name: 'virtual_host_metadata', desc: 'Virtual host metadata (description, tags, etc)', doc_url: '', stability: 'required', provided_by: 'rabbit' },
];

/** RabbitMQ's memory breakdown keys, in its order; Warren fills the ones Node.js measures and leaves the rest 0. */
const MEMORY_KEYS = [
  'connection_readers', 'connection_writers', 'connection_channels', 'connection_other', 'queue_procs', 'queue_slave_procs',
  'quorum_queue_procs', 'quorum_queue_dlx_procs', 'stream_queue_procs', 'stream_queue_replica_reader_procs', 'stream_queue_coordinator_procs',
  'plugins', 'other_proc', 'metrics', 'mgmt_db', 'mnesia', 'quorum_ets', 'other_ets', 'binary', 'msg_index', 'code', 'atom', 'other_system',
  'allocated_unused', 'reserved_unallocated',
] as const;

/**
 * The process's memory as RabbitMQ's categories, summing to the resident set size (its `rss` strategy): `binary` is
 * Buffer memory (message bodies, socket data), `code` V8's code spaces, `other_proc` the rest of the JS heap in use,
 * `allocated_unused` heap V8 holds but does not use, `other_system` everything else resident (native code, stacks).
 */
export function memoryBreakdown(): Record<string, unknown> {
  const mem = process.memoryUsage();
  let code = 0;
  for (const s of getHeapSpaceStatistics()) if (s.space_name.startsWith('code')) code += s.space_used_size;
  const out: Record<string, number> = Object.fromEntries(MEMORY_KEYS.map((k) => [k, 0]));
  out.binary = mem.arrayBuffers;
  out.code = code;
  out.other_proc = Math.max(0, mem.heapUsed - code);
  out.allocated_unused = Math.max(0, mem.heapTotal - mem.heapUsed);
  out.other_system = Math.max(0, mem.rss - mem.heapTotal - mem.arrayBuffers);
  return { ...out, strategy: 'rss', total: { erlang: mem.heapUsed + mem.arrayBuffers, rss: mem.rss, allocated: mem.heapTotal + mem.arrayBuffers } };
}

/** The same as whole percentages of the total, as RabbitMQ's /memory/relative. */
function relative(breakdown: Record<string, unknown>): Record<string, number> {
  const total = (breakdown.total as { rss: number }).rss;
  const out: Record<string, number> = { total: 100 };
  for (const k of MEMORY_KEYS) out[k] = total > 0 ? Math.round((100 * (breakdown[k] as number)) / total) : 0;
  return out;
}

/** RabbitMQ's auth attempt rows: one per protocol that has seen a login since start or the last DELETE. */
function authAttempts(broker: Broker): unknown[] {
  const rows: unknown[] = [];
  const auth: Record<string, AuthCounts> = broker.totals.auth;
  for (const protocol of ['http', 'amqp091']) {
    const a = auth[protocol]!;
    if (a.succeeded + a.failed === 0) continue;
    rows.push({ protocol, auth_attempts: a.succeeded + a.failed, auth_attempts_failed: a.failed, auth_attempts_succeeded: a.succeeded });
  }
  return rows;
}

const LOGIN_FAILED = () => new HttpError(401, 'not_authorized', 'Login failed', { 'www-authenticate': 'Basic realm="RabbitMQ Management"' });

export function nodeInfoRoutes(router: Router, broker: Broker): void {
  const node = (name: string) => {
    if (name !== NODE_NAME) throw objectNotFound();
  };
  router
    .get('/api/feature-flags', () => json(FEATURE_FLAGS.map((f) => ({ name: f.name, desc: f.desc, doc_url: f.doc_url, state: 'enabled', stability: f.stability, provided_by: f.provided_by }))), 'administrator')
    // Every flag is already on: enabling one is a no-op, as RabbitMQ's for an enabled flag; an unknown one is refused.
    .put('/api/feature-flags/:name/enable', (ctx) => {
      if (!FEATURE_FLAGS.some((f) => f.name === ctx.param('name'))) throw badRequest('unsupported');
      return noContent();
    }, 'administrator')
    // The login form's POST (username and password form-encoded): "ok" and RabbitMQ's auth cookie, else 401.
    .post('/api/login', async (ctx) => {
      const form = new URLSearchParams((await ctx.rawBody()).toString('utf8'));
      const username = form.get('username');
      const password = form.get('password');
      if (username === null || password === null) throw LOGIN_FAILED();
      const user = broker.authenticate(username, password);
      broker.totals.auth.http[user ? 'succeeded' : 'failed'] += 1;
      if (!user || !isManagementUser(user)) throw LOGIN_FAILED();
      return { status: 200, body: 'ok', headers: { 'set-cookie': `auth=${Buffer.from(`${username}:${password}`).toString('base64')}; Version=1` } };
    }, 'public')
    // Login attempts per protocol (the counters rabbitmq_auth_attempts_* export); DELETE zeroes them, as RabbitMQ's.
    .get('/api/auth/attempts/:node', (ctx) => {
      node(ctx.param('node'));
      return json(authAttempts(broker));
    }, 'monitoring')
    .delete('/api/auth/attempts/:node', (ctx) => {
      node(ctx.param('node'));
      for (const a of Object.values(broker.totals.auth)) {
        a.succeeded = 0;
        a.failed = 0;
      }
      return noContent();
    }, 'monitoring')
    // Per source address: RabbitMQ tracks none unless its track_auth_attempt_source setting is on (off by default).
    .get('/api/auth/attempts/:node/source', (ctx) => {
      node(ctx.param('node'));
      return json([]);
    }, 'monitoring')
    .delete('/api/auth/attempts/:node/source', (ctx) => {
      node(ctx.param('node'));
      return noContent();
    }, 'monitoring')
    // Read by the login page before anyone has logged in, as RabbitMQ's (no OAuth 2 / UAA in Warren).
    .get('/api/auth', () => json({ enable_uaa: false, uaa_client_id: '', uaa_location: '' }), 'public')
    // Moves queue leaders between cluster nodes; one node has nothing to move.
    .post('/api/rebalance/queues', () => ({ status: 204 }), 'administrator')
    .get('/api/nodes/:node/memory', (ctx) => {
      node(ctx.param('node'));
      return json({ memory: memoryBreakdown() });
    }, 'monitoring')
    .get('/api/nodes/:node/memory/relative', (ctx) => {
      node(ctx.param('node'));
      return json({ memory: relative(memoryBreakdown()) });
    }, 'monitoring');
}
