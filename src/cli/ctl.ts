// `warren ctl`: rabbitmqctl's everyday commands (list_*, purge/delete queue, users, vhosts, permissions, limits, policies, parameters, shovels, close_connection),
// run against a running broker through its management HTTP API. Lists print tab-separated columns under a header line.
import type { Output } from './diagnostics.js';
import { ManagementClient, seg } from './management-client.js';
import { CliError, type ClientTarget } from './settings.js';

type Row = Record<string, unknown>;
type Column = (row: Row) => unknown;

const field =
  (...path: string[]): Column =>
  (row) => {
    let v: unknown = row;
    for (const key of path) {
      if (v === null || typeof v !== 'object') return undefined;
      v = (v as Row)[key];
    }
    return v;
  };

/** Columns answered straight from the API's field of the same name. */
function same(names: string[]): Record<string, Column> {
  return Object.fromEntries(names.map((n) => [n, field(n)]));
}

/** How -p applies: `vhost` lists one vhost (default: the broker's default vhost); `filter` lists all unless -p is given. */
type Scope = 'vhost' | 'filter' | 'none';

interface ListSpec {
  readonly scope: Scope;
  readonly path: (vhost: string | undefined) => string;
  readonly defaults: readonly string[];
  readonly columns: Readonly<Record<string, Column>>;
}

/** rabbitmqctl's info items (those Warren can answer), with its default columns. Connection and channel "pids" are their names. */
const LISTS: Record<string, ListSpec> = {
  list_queues: {
    scope: 'vhost',
    path: (v) => `/api/queues/${seg(v!)}`,
    defaults: ['name', 'messages'],
    columns: {
      ...same([
        'name',
        'durable',
        'auto_delete',
        'arguments',
        'policy',
        'exclusive',
        'exclusive_consumer_tag',
        'messages_ready',
        'messages_unacknowledged',
        'messages',
        'messages_ready_ram',
        'messages_unacknowledged_ram',
        'messages_ram',
        'messages_persistent',
        'message_bytes',
        'message_bytes_ready',
        'message_bytes_unacknowledged',
        'message_bytes_ram',
        'message_bytes_persistent',
        'head_message_timestamp',
        'consumers',
        'consumer_utilisation',
        'consumer_capacity',
        'memory',
        'state',
        'type',
      ]),
      owner_pid: field('owner_pid_details', 'name'),
    },
  },
  list_exchanges: {
    scope: 'vhost',
    path: (v) => `/api/exchanges/${seg(v!)}`,
    defaults: ['name', 'type'],
    columns: same(['name', 'type', 'durable', 'auto_delete', 'internal', 'arguments', 'policy']),
  },
  list_bindings: {
    scope: 'vhost',
    path: (v) => `/api/bindings/${seg(v!)}`,
    defaults: ['source_name', 'source_kind', 'destination_name', 'destination_kind', 'routing_key', 'arguments'],
    columns: {
      source_name: field('source'),
      source_kind: () => 'exchange',
      destination_name: field('destination'),
      destination_kind: field('destination_type'),
      routing_key: field('routing_key'),
      arguments: field('arguments'),
    },
  },
  list_connections: {
    scope: 'filter',
    path: (v) => (v === undefined ? '/api/connections' : `/api/vhosts/${seg(v)}/connections`),
    defaults: ['user', 'peer_host', 'peer_port', 'state'],
    columns: {
      pid: field('name'),
      ...same([
        'name',
        'port',
        'host',
        'peer_port',
        'peer_host',
        'ssl',
        'ssl_protocol',
        'ssl_key_exchange',
        'ssl_cipher',
        'ssl_hash',
        'peer_cert_subject',
        'peer_cert_issuer',
        'peer_cert_validity',
        'state',
        'channels',
        'protocol',
        'auth_mechanism',
        'user',
        'vhost',
        'timeout',
        'frame_max',
        'channel_max',
        'client_properties',
        'recv_oct',
        'recv_cnt',
        'send_oct',
        'send_cnt',
        'send_pend',
        'connected_at',
        'user_provided_name',
      ]),
    },
  },
  list_channels: {
    scope: 'filter',
    path: (v) => (v === undefined ? '/api/channels' : `/api/vhosts/${seg(v)}/channels`),
    defaults: ['pid', 'user', 'consumer_count', 'messages_unacknowledged'],
    columns: {
      pid: field('name'),
      connection: field('connection_details', 'name'),
      ...same([
        'name',
        'number',
        'user',
        'vhost',
        'transactional',
        'confirm',
        'consumer_count',
        'messages_unacknowledged',
        'messages_uncommitted',
        'acks_uncommitted',
        'messages_unconfirmed',
        'prefetch_count',
        'global_prefetch_count',
      ]),
    },
  },
  list_consumers: {
    scope: 'vhost',
    path: (v) => `/api/consumers/${seg(v!)}`,
    defaults: ['queue_name', 'channel_pid', 'consumer_tag', 'ack_required', 'prefetch_count', 'active', 'arguments'],
    columns: {
      queue_name: field('queue', 'name'),
      channel_pid: field('channel_details', 'name'),
      ...same(['consumer_tag', 'ack_required', 'prefetch_count', 'active', 'activity_status', 'arguments']),
    },
  },
  list_users: {
    scope: 'none',
    path: () => '/api/users',
    defaults: ['user', 'tags'],
    columns: { user: field('name'), tags: field('tags') },
  },
  list_vhosts: {
    scope: 'none',
    path: () => '/api/vhosts',
    defaults: ['name'],
    columns: same(['name', 'description', 'tags', 'tracing', 'cluster_state', 'default_queue_type', 'messages', 'messages_ready', 'messages_unacknowledged']),
  },
  list_permissions: {
    scope: 'vhost',
    path: (v) => `/api/vhosts/${seg(v!)}/permissions`,
    defaults: ['user', 'configure', 'write', 'read'],
    columns: same(['user', 'configure', 'write', 'read']),
  },
  list_topic_permissions: {
    scope: 'vhost',
    path: (v) => `/api/vhosts/${seg(v!)}/topic-permissions`,
    defaults: ['user', 'exchange', 'write', 'read'],
    columns: same(['user', 'exchange', 'write', 'read']),
  },
};

/** rabbitmqctl's rendering: strings bare, lists in brackets, maps as lists of `{"key",value}` tuples. */
export function renderValue(v: unknown, nested = false): string {
  if (v === undefined || v === null) return '';
  if (typeof v === 'string') return nested ? JSON.stringify(v) : v.replace(/[\t\n]/g, ' ');
  if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') return String(v);
  if (Array.isArray(v)) return `[${v.map((x) => renderValue(x, nested)).join(', ')}]`;
  return `[${Object.entries(v as Row).map(([k, x]) => `{${JSON.stringify(k)},${renderValue(x, true)}}`).join(',')}]`;
}

export interface CtlOptions {
  vhost: string | undefined;
  quiet: boolean;
  tableHeaders: boolean;
  ifEmpty: boolean;
  ifUnused: boolean;
  /** list_vhost_limits / list_user_limits `--global`: every vhost's or user's limits. */
  global?: boolean;
  /** list_user_limits `--user USER` (default: the user the command logs in as). */
  user?: string | undefined;
  /** set_policy / set_operator_policy `--priority N` (default 0). */
  priority?: string | undefined;
  /** set_policy / set_operator_policy `--apply-to T` (default all). */
  applyTo?: string | undefined;
}

interface Command {
  readonly usage: string;
  readonly args: number | [number, number];
  readonly run: (api: ManagementClient, args: string[], o: CtlOptions, io: Output) => Promise<void>;
}

const vhostOf = (api: ManagementClient, o: CtlOptions): string => o.vhost ?? api.target.vhost;
const info = (o: CtlOptions, io: Output, line: string) => {
  if (!o.quiet) io.out(line);
};
const noVhost = (v: string) => `vhost '${v}' does not exist`;

/** Limits as rabbitmqctl prints them: one JSON object, keys in order, no spaces (`{}` when none are set). */
function limitsLine(value: unknown): string {
  const entries = value !== null && typeof value === 'object' ? Object.entries(value as Row) : [];
  return JSON.stringify(Object.fromEntries(entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))));
}

/** One row per vhost or user of /api/vhost-limits or /api/user-limits, as `{vhost|user, value}`. */
function limitRows(json: unknown, key: 'vhost' | 'user'): Map<string, unknown> {
  const out = new Map<string, unknown>();
  if (Array.isArray(json)) for (const r of json as Row[]) if (typeof r[key] === 'string') out.set(r[key], r.value);
  return out;
}

/** rabbitmqctl's limits argument: a JSON object of limit names and integers. */
function limitsArg(text: string): Record<string, unknown> {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    throw new CliError(`limits must be a JSON object, like '{"max-connections": 10}'; got ${text}`, 64);
  }
  if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new CliError(`limits must be a JSON object, like '{"max-connections": 10}'; got ${text}`, 64);
  return v as Record<string, unknown>;
}

async function userExists(api: ManagementClient, user: string): Promise<boolean> {
  return (await userRecord(api, user)) !== undefined;
}

/** The user as GET /api/users/{name} shows it (its password hash and tags), or undefined when there is none. */
async function userRecord(api: ManagementClient, user: string): Promise<{ password_hash: string; hashing_algorithm: string; tags: string[] } | undefined> {
  const r = await api.request('GET', `/api/users/${seg(user)}`);
  if (r.status === 200) return r.json as { password_hash: string; hashing_algorithm: string; tags: string[] };
  if (r.status === 404) return undefined;
  throw new CliError(`GET /api/users/${user}: ${r.status} ${r.text}`);
}

/** A JSON argument (a policy definition, a parameter value), refused as rabbitmqctl refuses it. */
function jsonArg(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new CliError('JSON decoding error. Reason: badarg', 64);
  }
}

/** A value as rabbitmqctl prints it in its lists: compact JSON. */
const jsonText = (v: unknown) => JSON.stringify(v ?? null);

/** The reason of a 400, without RabbitMQ's HTML escaping. */
function unescaped(e: unknown): never {
  if (e instanceof CliError) throw new CliError(e.message.replace(/^PUT \S+: 400 /, '').replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&').trimEnd(), e.exitCode);
  throw e;
}

/** set_policy and set_operator_policy: `NAME PATTERN DEFINITION` with --priority and --apply-to. */
function setPolicy(kind: 'policies' | 'operator-policies', what: string): Command {
  return {
    usage: `${kind === 'policies' ? 'set_policy' : 'set_operator_policy'} [-p VHOST] [--priority N] [--apply-to all|queues|exchanges|classic_queues|quorum_queues|streams] NAME PATTERN DEFINITION`,
    args: 3,
    run: async (api, [name, pattern, definition], o, io) => {
      const v = vhostOf(api, o);
      const priority = o.priority === undefined ? 0 : Number(o.priority);
      if (!Number.isFinite(priority)) throw new CliError(`--priority must be a number, got ${o.priority!}`, 64);
      info(o, io, `Setting ${what} "${name!}" for pattern "${pattern!}" to "${definition!}" with priority "${priority}" for vhost "${v}" ...`);
      const body = { pattern, definition: jsonArg(definition!), priority, 'apply-to': o.applyTo ?? 'all' };
      await api.expectOk('PUT', `/api/${kind}/${seg(v)}/${seg(name!)}`, body, { notFound: noVhost(v) }).catch(unescaped);
    },
  };
}

function clearPolicy(kind: 'policies' | 'operator-policies', what: string): Command {
  return {
    usage: `${kind === 'policies' ? 'clear_policy' : 'clear_operator_policy'} [-p VHOST] NAME`,
    args: 1,
    run: async (api, [name], o, io) => {
      const v = vhostOf(api, o);
      info(o, io, `Clearing ${what} "${name!}" on vhost "${v}" ...`);
      await api.expectOk('DELETE', `/api/${kind}/${seg(v)}/${seg(name!)}`, undefined, { notFound: 'Parameter does not exist' });
    },
  };
}

function listPolicies(kind: 'policies' | 'operator-policies', what: string): Command {
  return {
    usage: `${kind === 'policies' ? 'list_policies' : 'list_operator_policies'} [-p VHOST]   (vhost name pattern apply-to definition priority)`,
    args: 0,
    run: async (api, [], o, io) => {
      const v = vhostOf(api, o);
      info(o, io, `Listing ${what} for vhost "${v}" ...`);
      const rows = await api.get(`/api/${kind}/${seg(v)}`, noVhost(v));
      if (o.tableHeaders) io.out('vhost\tname\tpattern\tapply-to\tdefinition\tpriority');
      for (const r of Array.isArray(rows) ? (rows as Row[]) : []) {
        io.out([r.vhost, r.name, r.pattern, r['apply-to']].map((x) => renderValue(x)).join('\t') + `\t${jsonText(r.definition)}\t${renderValue(r.priority)}`);
      }
    },
  };
}

const POLICY_COMMANDS: Record<string, Command> = {
  set_policy: setPolicy('policies', 'policy'),
  clear_policy: clearPolicy('policies', 'policy'),
  list_policies: listPolicies('policies', 'policies'),
  set_operator_policy: setPolicy('operator-policies', 'operator policy override'),
  clear_operator_policy: clearPolicy('operator-policies', 'operator policy'),
  list_operator_policies: listPolicies('operator-policies', 'operator policy overrides'),
  set_parameter: {
    usage: 'set_parameter [-p VHOST] COMPONENT NAME VALUE',
    args: 3,
    run: async (api, [component, name, value], o, io) => {
      const v = vhostOf(api, o);
      info(o, io, `Setting runtime parameter "${name!}" for component "${component!}" to "${value!}" in vhost "${v}" ...`);
      await api.expectOk('PUT', `/api/parameters/${seg(component!)}/${seg(v)}/${seg(name!)}`, { value: jsonArg(value!) }, { notFound: noVhost(v) }).catch(unescaped);
    },
  },
  clear_parameter: {
    usage: 'clear_parameter [-p VHOST] COMPONENT NAME',
    args: 2,
    run: async (api, [component, name], o, io) => {
      const v = vhostOf(api, o);
      info(o, io, `Clearing runtime parameter "${name!}" for component "${component!}" on vhost "${v}" ...`);
      await api.expectOk('DELETE', `/api/parameters/${seg(component!)}/${seg(v)}/${seg(name!)}`, undefined, { notFound: 'Parameter does not exist' });
    },
  },
  list_parameters: {
    usage: 'list_parameters [-p VHOST]   (component name value)',
    args: 0,
    run: async (api, [], o, io) => {
      const v = vhostOf(api, o);
      info(o, io, `Listing runtime parameters for vhost "${v}" ...`);
      const rows = (await api.get('/api/parameters')) as Row[];
      if (o.tableHeaders) io.out('component\tname\tvalue');
      for (const r of Array.isArray(rows) ? rows : []) if (r.vhost === v) io.out(`${renderValue(r.component)}\t${renderValue(r.name)}\t${jsonText(r.value)}`);
    },
  },
  set_global_parameter: {
    usage: 'set_global_parameter NAME VALUE',
    args: 2,
    run: async (api, [name, value], o, io) => {
      info(o, io, `Setting global runtime parameter "${name!}" to "${value!}" ...`);
      await api.expectOk('PUT', `/api/global-parameters/${seg(name!)}`, { value: jsonArg(value!) }).catch(unescaped);
    },
  },
  clear_global_parameter: {
    usage: 'clear_global_parameter NAME',
    args: 1,
    run: async (api, [name], o, io) => {
      info(o, io, `Clearing global runtime parameter "${name!}" ...`);
      await api.expectOk('DELETE', `/api/global-parameters/${seg(name!)}`, undefined, { notFound: 'Parameter does not exist' });
    },
  },
  list_global_parameters: {
    usage: 'list_global_parameters   (name value)',
    args: 0,
    run: async (api, [], o, io) => {
      info(o, io, 'Listing global runtime parameters ...');
      const rows = (await api.get('/api/global-parameters')) as Row[];
      if (o.tableHeaders) io.out('name\tvalue');
      for (const r of Array.isArray(rows) ? rows : []) io.out(`${renderValue(r.name)}\t${jsonText(r.value)}`);
    },
  },
};

/** The node name rabbitmqctl's shovel commands print (the API's overview). */
async function nodeName(api: ManagementClient): Promise<string> {
  const o = (await api.get('/api/overview')) as Row | undefined;
  return typeof o?.node === 'string' ? o.node : 'warren@localhost';
}

const shovelMissing = (node: string, v: string) => new CliError(`Shovel with the given name was not found on the target node '${node}' and / or virtual host '${v}'`, 69);

/** rabbitmq_shovel's rabbitmqctl commands, on GET /api/shovels and the shovel parameters. */
const SHOVEL_COMMANDS: Record<string, Command> = {
  shovel_status: {
    usage: 'shovel_status   (destination last_changed name source state termination_reason type vhost)',
    args: 0,
    run: async (api, [], o, io) => {
      const node = await nodeName(api);
      info(o, io, `Shovel status on node ${node}`);
      const rows = (await api.get('/api/shovels')) as Row[];
      if (o.tableHeaders) io.out('destination\tlast_changed\tname\tsource\tstate\ttermination_reason\ttype\tvhost');
      for (const r of Array.isArray(rows) ? rows : []) {
        const changed = typeof r.timestamp === 'string' ? r.timestamp.replace(/ (\d):/, ' 0$1:') : '';
        io.out([r.dest_uri ?? '', changed, r.name, r.src_uri ?? '', r.state, r.reason ?? '', r.type, r.vhost].map((x) => renderValue(x)).join('\t'));
      }
    },
  },
  delete_shovel: {
    usage: 'delete_shovel [-p VHOST] NAME',
    args: 1,
    run: async (api, [name], o, io) => {
      const v = vhostOf(api, o);
      info(o, io, `Deleting shovel ${name!} in vhost ${v}`);
      const r = await api.request('DELETE', `/api/parameters/shovel/${seg(v)}/${seg(name!)}`);
      if (r.status === 404) throw shovelMissing(await nodeName(api), v);
      if (r.status >= 300) throw new CliError(`DELETE /api/parameters/shovel: ${r.status} ${r.text}`);
    },
  },
  restart_shovel: {
    usage: 'restart_shovel [-p VHOST] NAME',
    args: 1,
    run: async (api, [name], o, io) => {
      const v = vhostOf(api, o);
      const node = await nodeName(api);
      info(o, io, `Restarting dynamic Shovel ${name!} in virtual host ${v} on node ${node}`);
      const r = await api.request('DELETE', `/api/shovels/vhost/${seg(v)}/${seg(name!)}/restart`);
      if (r.status === 404) throw shovelMissing(node, v);
      if (r.status >= 300) throw new CliError(`DELETE /api/shovels/vhost/…/restart: ${r.status} ${r.text}`);
    },
  },
};

const MUTATIONS: Record<string, Command> = {
  ...POLICY_COMMANDS,
  ...SHOVEL_COMMANDS,
  purge_queue: {
    usage: 'purge_queue [-p VHOST] QUEUE',
    args: 1,
    run: async (api, [queue], o, io) => {
      const v = vhostOf(api, o);
      info(o, io, `Purging queue '${queue!}' in vhost '${v}' ...`);
      await api.expectOk('DELETE', `/api/queues/${seg(v)}/${seg(queue!)}/contents`, undefined, { notFound: `queue '${queue!}' in vhost '${v}' does not exist` });
    },
  },
  delete_queue: {
    usage: 'delete_queue [-p VHOST] QUEUE [--if-empty|-e] [--if-unused|-u]',
    args: 1,
    run: async (api, [queue], o, io) => {
      const v = vhostOf(api, o);
      const path = `/api/queues/${seg(v)}/${seg(queue!)}`;
      const before = await api.request('GET', path);
      if (before.status === 404) throw new CliError(`queue '${queue!}' in vhost '${v}' does not exist`);
      info(o, io, `Deleting queue '${queue!}' on vhost '${v}' ...`);
      const query = [o.ifEmpty ? 'if-empty=true' : '', o.ifUnused ? 'if-unused=true' : ''].filter(Boolean).join('&');
      await api.expectOk('DELETE', query === '' ? path : `${path}?${query}`, undefined, { notFound: `queue '${queue!}' in vhost '${v}' does not exist` });
      const messages = (before.json as { messages?: number } | undefined)?.messages;
      if (typeof messages === 'number') info(o, io, `Queue was successfully deleted with ${messages} message${messages === 1 ? '' : 's'}`);
    },
  },
  close_connection: {
    usage: 'close_connection CONNECTION [REASON]   (CONNECTION as `list_connections name` prints it)',
    args: [1, 2],
    run: async (api, [name, reason], o, io) => {
      const why = reason ?? 'Closed via warren ctl';
      info(o, io, `Closing connection ${name!}, reason: ${why}...`);
      await api.expectOk('DELETE', `/api/connections/${seg(name!)}`, undefined, { notFound: `no connection named '${name!}'`, headers: { 'x-reason': why } });
    },
  },
  add_user: {
    usage: 'add_user USER PASSWORD',
    args: 2,
    run: async (api, [user, password], o, io) => {
      info(o, io, `Adding user "${user!}" ...`);
      if (await userExists(api, user!)) throw new CliError(`user '${user!}' already exists`);
      await api.expectOk('PUT', `/api/users/${seg(user!)}`, { password: password!, tags: '' });
    },
  },
  delete_user: {
    usage: 'delete_user USER',
    args: 1,
    run: async (api, [user], o, io) => {
      info(o, io, `Deleting user "${user!}" ...`);
      await api.expectOk('DELETE', `/api/users/${seg(user!)}`, undefined, { notFound: `user '${user!}' does not exist` });
    },
  },
  change_password: {
    usage: 'change_password USER PASSWORD',
    args: 2,
    run: async (api, [user, password], o, io) => {
      info(o, io, `Changing password for user "${user!}" ...`);
      const current = await userRecord(api, user!);
      if (!current) throw new CliError(`user '${user!}' does not exist`);
      // The API's PUT replaces the whole user (RabbitMQ 3.10 requires the tags): the tags go along unchanged.
      await api.expectOk('PUT', `/api/users/${seg(user!)}`, { password: password!, tags: current.tags.join(',') });
    },
  },
  set_user_tags: {
    usage: 'set_user_tags USER [TAG ...]',
    args: [1, Infinity],
    run: async (api, [user, ...tags], o, io) => {
      info(o, io, `Setting tags for user "${user!}" to [${tags.join(', ')}] ...`);
      const current = await userRecord(api, user!);
      if (!current) throw new CliError(`user '${user!}' does not exist`);
      // A PUT without credentials clears the password (as RabbitMQ's does): the current hash goes along unchanged.
      const credentials = { password_hash: current.password_hash, hashing_algorithm: current.hashing_algorithm };
      await api.expectOk('PUT', `/api/users/${seg(user!)}`, { ...credentials, tags: tags.join(',') });
    },
  },
  set_permissions: {
    usage: 'set_permissions [-p VHOST] USER CONFIGURE WRITE READ',
    args: 4,
    run: async (api, [user, configure, write, read], o, io) => {
      const v = vhostOf(api, o);
      info(o, io, `Setting permissions for user "${user!}" in vhost "${v}" ...`);
      if (!(await userExists(api, user!))) throw new CliError(`user '${user!}' does not exist`);
      await api.expectOk('PUT', `/api/permissions/${seg(v)}/${seg(user!)}`, { configure, write, read }, { notFound: noVhost(v) });
    },
  },
  clear_permissions: {
    usage: 'clear_permissions [-p VHOST] USER',
    args: 1,
    run: async (api, [user], o, io) => {
      const v = vhostOf(api, o);
      info(o, io, `Clearing permissions for user "${user!}" in vhost "${v}" ...`);
      await api.expectOk('DELETE', `/api/permissions/${seg(v)}/${seg(user!)}`, undefined, { notFound: `user '${user!}' has no permissions in vhost '${v}'` });
    },
  },
  set_topic_permissions: {
    usage: 'set_topic_permissions [-p VHOST] USER EXCHANGE WRITE READ',
    args: 4,
    run: async (api, [user, exchange, write, read], o, io) => {
      const v = vhostOf(api, o);
      info(o, io, `Setting topic permissions on "${exchange!}" for user "${user!}" in vhost "${v}" ...`);
      if (!(await userExists(api, user!))) throw new CliError(`user '${user!}' does not exist`);
      await api.expectOk('PUT', `/api/topic-permissions/${seg(v)}/${seg(user!)}`, { exchange, write, read });
    },
  },
  clear_topic_permissions: {
    usage: 'clear_topic_permissions [-p VHOST] USER',
    args: 1,
    run: async (api, [user], o, io) => {
      const v = vhostOf(api, o);
      info(o, io, `Clearing topic permissions for user "${user!}" in vhost "${v}" ...`);
      await api.expectOk('DELETE', `/api/topic-permissions/${seg(v)}/${seg(user!)}`, undefined, { notFound: `user '${user!}' has no topic permissions in vhost '${v}'` });
    },
  },
  list_vhost_limits: {
    usage: 'list_vhost_limits [-p VHOST] [--global]   (one vhost\'s limits as JSON; --global: a vhost<TAB>limits row per vhost)',
    args: 0,
    run: async (api, [], o, io) => {
      if (o.global) {
        info(o, io, 'Listing limits for all vhosts ...');
        const limits = limitRows(await api.get('/api/vhost-limits'), 'vhost');
        const vhosts = await api.get('/api/vhosts');
        if (o.tableHeaders) io.out('vhost\tlimits');
        for (const v of Array.isArray(vhosts) ? (vhosts as Row[]) : []) io.out(`${renderValue(v.name)}\t${limitsLine(limits.get(String(v.name)))}`);
        return;
      }
      const v = vhostOf(api, o);
      info(o, io, `Listing limits for vhost "${v}" ...`);
      io.out(limitsLine(limitRows(await api.get(`/api/vhost-limits/${seg(v)}`, noVhost(v)), 'vhost').get(v)));
    },
  },
  list_user_limits: {
    usage: 'list_user_limits [--user USER] [--global]   (one user\'s limits as JSON; --global: a user<TAB>limits row per user with limits)',
    args: 0,
    run: async (api, [], o, io) => {
      if (o.global) {
        info(o, io, 'Listing limits for all users ...');
        if (o.tableHeaders) io.out('user\tlimits');
        for (const [user, value] of limitRows(await api.get('/api/user-limits'), 'user')) io.out(`${renderValue(user)}\t${limitsLine(value)}`);
        return;
      }
      const user = o.user ?? api.target.username;
      info(o, io, `Listing limits for user "${user}" ...`);
      io.out(limitsLine(limitRows(await api.get(`/api/user-limits/${seg(user)}`, `user '${user}' does not exist`), 'user').get(user)));
    },
  },
  set_vhost_limits: {
    usage: `set_vhost_limits [-p VHOST] '{"max-connections": N, "max-queues": N}'`,
    args: 1,
    run: async (api, [definition], o, io) => {
      const v = vhostOf(api, o);
      info(o, io, `Applying limits for vhost "${v}": ${definition!} ...`);
      const limits = limitsArg(definition!);
      for (const [name, value] of Object.entries(limits)) {
        await api.expectOk('PUT', `/api/vhost-limits/${seg(v)}/${seg(name)}`, { value }, { notFound: noVhost(v) });
      }
      // As rabbitmqctl, the definition replaces the vhost's limits: those it leaves out are cleared.
      for (const name of ['max-connections', 'max-queues']) {
        if (!(name in limits)) await api.expectOk('DELETE', `/api/vhost-limits/${seg(v)}/${name}`, undefined, { notFound: noVhost(v) });
      }
    },
  },
  clear_vhost_limits: {
    usage: 'clear_vhost_limits [-p VHOST]',
    args: 0,
    run: async (api, [], o, io) => {
      const v = vhostOf(api, o);
      info(o, io, `Clearing vhost "${v}" limits ...`);
      for (const name of ['max-connections', 'max-queues']) await api.expectOk('DELETE', `/api/vhost-limits/${seg(v)}/${name}`, undefined, { notFound: noVhost(v) });
    },
  },
  set_user_limits: {
    usage: `set_user_limits USER '{"max-connections": N, "max-channels": N}'`,
    args: 2,
    run: async (api, [user, definition], o, io) => {
      info(o, io, `Setting user limits to "${definition!}" for user "${user!}" ...`);
      if (!(await userExists(api, user!))) throw new CliError(`user '${user!}' does not exist`);
      for (const [name, value] of Object.entries(limitsArg(definition!))) {
        await api.expectOk('PUT', `/api/user-limits/${seg(user!)}/${seg(name)}`, { value });
      }
    },
  },
  clear_user_limits: {
    usage: 'clear_user_limits USER max-connections|max-channels|all',
    args: 2,
    run: async (api, [user, limit], o, io) => {
      info(o, io, `Clearing "${limit!}" limit for user "${user!}" ...`);
      if (limit !== 'all' && limit !== 'max-connections' && limit !== 'max-channels') throw new CliError(`unknown limit '${limit!}'; expected max-connections, max-channels or all`, 64);
      for (const name of limit === 'all' ? ['max-connections', 'max-channels'] : [limit]) {
        await api.expectOk('DELETE', `/api/user-limits/${seg(user!)}/${name}`, undefined, { notFound: `user '${user!}' does not exist` });
      }
    },
  },
  add_vhost: {
    usage: 'add_vhost VHOST',
    args: 1,
    run: async (api, [vhost], o, io) => {
      info(o, io, `Adding vhost "${vhost!}" ...`);
      await api.expectOk('PUT', `/api/vhosts/${seg(vhost!)}`, {});
    },
  },
  trace_on: {
    usage: 'trace_on [-p VHOST]',
    args: 0,
    run: async (api, _args, o, io) => setTracing(api, vhostOf(api, o), true, o, io),
  },
  trace_off: {
    usage: 'trace_off [-p VHOST]',
    args: 0,
    run: async (api, _args, o, io) => setTracing(api, vhostOf(api, o), false, o, io),
  },
  delete_vhost: {
    usage: 'delete_vhost VHOST',
    args: 1,
    run: async (api, [vhost], o, io) => {
      info(o, io, `Deleting vhost "${vhost!}" ...`);
      await api.expectOk('DELETE', `/api/vhosts/${seg(vhost!)}`, undefined, { notFound: noVhost(vhost!) });
    },
  },
};

/** rabbitmqctl trace_on/trace_off: the vhost's `tracing` through the API; as rabbitmqctl, a missing vhost is no error. */
async function setTracing(api: ManagementClient, vhost: string, on: boolean, o: CtlOptions, io: Output): Promise<void> {
  info(o, io, `${on ? 'Starting' : 'Stopping'} tracing for vhost "${vhost}" ...`);
  const exists = (await api.request('GET', `/api/vhosts/${seg(vhost)}`)).status === 200;
  if (exists) await api.expectOk('PUT', `/api/vhosts/${seg(vhost)}`, { tracing: on });
  io.out(`Trace ${on ? 'enabled' : 'disabled'} for vhost ${vhost}`);
}

export const CTL_COMMANDS = [...Object.keys(LISTS), ...Object.keys(MUTATIONS)];

export function ctlHelp(): string {
  const lists = Object.entries(LISTS).map(([name, spec]) => {
    const p = spec.scope === 'none' ? '' : '[-p VHOST] ';
    return `  ${name} ${p}[COLUMN ...]\n      default columns: ${spec.defaults.join(' ')}\n      columns: ${Object.keys(spec.columns).join(' ')}`;
  });
  const mutations = Object.values(MUTATIONS).map((c) => `  ${c.usage}`);
  return `Usage: warren ctl COMMAND [options] [arguments]

Runs rabbitmqctl's commands against a running broker through its management HTTP API.

Lists (tab-separated, the first line names the columns):
${lists.join('\n')}

Changes:
${mutations.join('\n')}
`;
}

/** Runs one ctl command; `args` are the positionals after the command name. */
export async function runCtl(command: string, args: string[], target: ClientTarget, o: CtlOptions, io: Output): Promise<void> {
  const api = new ManagementClient(target);
  const list = LISTS[command];
  if (list) {
    const columns = args.length > 0 ? args : [...list.defaults];
    const bad = columns.filter((c) => list.columns[c] === undefined);
    if (bad.length > 0) {
      throw new CliError(`${command}: unknown column${bad.length > 1 ? 's' : ''} ${bad.join(', ')}; known columns: ${Object.keys(list.columns).join(', ')}`, 64);
    }
    const vhost = list.scope === 'vhost' ? vhostOf(api, o) : list.scope === 'filter' ? o.vhost : undefined;
    if (list.scope === 'none' && o.vhost !== undefined) throw new CliError(`${command} lists every vhost; it takes no -p`, 64);
    const rows = await api.get(list.path(vhost), vhost !== undefined ? noVhost(vhost) : undefined);
    if (!Array.isArray(rows)) throw new CliError(`${command}: unexpected reply from ${list.path(vhost)}`);
    if (o.tableHeaders) io.out(columns.join('\t'));
    for (const row of rows as Row[]) io.out(columns.map((c) => renderValue(list.columns[c]!(row))).join('\t'));
    return;
  }
  const mutation = MUTATIONS[command];
  if (!mutation) throw new CliError(`unknown ctl command '${command}'; run \`warren ctl --help\` for the list`, 64);
  const [min, max] = typeof mutation.args === 'number' ? [mutation.args, mutation.args] : mutation.args;
  if (args.length < min || args.length > max) throw new CliError(`usage: warren ctl ${mutation.usage}`, 64);
  await mutation.run(api, args, o, io);
}
