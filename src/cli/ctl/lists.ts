// `warren ctl list_*`: rabbitmqctl's info items per list (the columns Warren can answer, and the default ones) on the management API.
import { seg } from '../management-client.js';
import type { Row } from './command.js';

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
export type Scope = 'vhost' | 'filter' | 'none';

export interface ListSpec {
  readonly scope: Scope;
  readonly path: (vhost: string | undefined) => string;
  readonly defaults: readonly string[];
  readonly columns: Readonly<Record<string, Column>>;
}

/** rabbitmqctl's info items (those Warren can answer), with its default columns. Connection and channel "pids" are their names. */
export const LISTS: Record<string, ListSpec> = {
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
