// The shapes of the management API's JSON that the dashboard reads (only the fields it uses; all may be missing).

export interface Rate {
  rate?: number;
}

/** message_stats of a queue, an exchange or the overview: counters and their X_details. */
export type MessageStats = Partial<Record<string, number | Rate>>;

export interface Whoami {
  name: string;
  tags?: string | string[];
}

export interface Overview {
  product_name?: string;
  product_version?: string;
  rabbitmq_version?: string;
  erlang_version?: string;
  node?: string;
  queue_totals?: { messages?: number; messages_ready?: number; messages_unacknowledged?: number };
  object_totals?: Partial<Record<'connections' | 'channels' | 'exchanges' | 'queues' | 'consumers', number>>;
  message_stats?: MessageStats;
  listeners?: { protocol: string; ip_address: string; port: number }[];
}

export type Arguments = Record<string, unknown>;

export interface Consumer {
  consumer_tag: string;
  channel_details?: { name: string };
  ack_required?: boolean;
  prefetch_count?: number;
  active?: boolean;
  /** Stream consumers (Warren's fields): last offset delivered (-1: none yet) and messages not handed yet. */
  stream_offset?: number;
  stream_lag?: number;
}

export interface Queue {
  name: string;
  vhost: string;
  type?: string;
  state?: string;
  durable?: boolean;
  auto_delete?: boolean;
  exclusive?: boolean;
  arguments?: Arguments;
  consumers?: number;
  consumer_utilisation?: number | null;
  messages?: number;
  messages_ready?: number;
  messages_unacknowledged?: number;
  message_bytes_ready?: number;
  message_bytes_unacknowledged?: number;
  oldest_message_age_ms?: number;
  messages_dead_lettered?: number;
  message_stats?: MessageStats;
  owner_pid_details?: { name: string };
  consumer_details?: Consumer[];
  policy?: string | null;
  operator_policy?: string | null;
  effective_policy_definition?: Record<string, unknown> | null;
  /** Streams (Warren's fields): segment files, bytes on disk, first offset kept, next offset given. */
  stream_segments?: number;
  stream_bytes_on_disk?: number;
  stream_first_offset?: number;
  stream_next_offset?: number;
}

export interface Exchange {
  name: string;
  vhost: string;
  type: string;
  durable?: boolean;
  auto_delete?: boolean;
  internal?: boolean;
  arguments?: Arguments;
  /** Present only when a policy applies (as RabbitMQ's API). */
  policy?: string;
}

/** A policy or operator policy as /api/policies lists it. */
export interface Policy {
  vhost: string;
  name: string;
  pattern: string;
  'apply-to': string;
  definition: Record<string, unknown>;
  priority: number;
}

/** A dynamic shovel's status row as /api/shovels lists it. */
export interface Shovel {
  vhost: string;
  name: string;
  type: string;
  state: 'starting' | 'running' | 'terminated';
  timestamp: string;
  reason?: string;
  src_uri?: string;
  src_queue?: string;
  src_exchange?: string;
  dest_uri?: string;
  dest_queue?: string;
  dest_exchange?: string;
}

export interface Binding {
  source: string;
  vhost: string;
  destination: string;
  destination_type: 'queue' | 'exchange';
  routing_key: string;
  arguments?: Arguments;
  properties_key: string;
}

export interface Connection {
  name: string;
  user: string;
  state?: string;
  vhost?: string;
  user_provided_name?: string;
  channels?: number;
  recv_oct?: number;
  send_oct?: number;
  client_properties?: Record<string, unknown>;
}

export interface Channel {
  name: string;
  user: string;
  vhost?: string;
  state?: string;
  confirm?: boolean;
  transactional?: boolean;
  consumer_count?: number;
  prefetch_count?: number;
  global_prefetch_count?: number;
  messages_unacknowledged?: number;
  messages_uncommitted?: number;
}

export interface FetchedMessage {
  exchange: string;
  routing_key: string;
  redelivered?: boolean;
  properties?: Record<string, unknown>;
  payload: string;
  payload_bytes?: number;
  payload_encoding?: string;
  message_count?: number;
}

export interface User {
  name: string;
  tags: string[] | string;
  password_hash?: string;
  hashing_algorithm?: string;
}

export interface Vhost {
  name: string;
  tracing?: boolean;
  description?: string;
  tags?: string[];
  messages?: number;
}

/** One entry of /api/vhost-limits: the vhost and its limits by name (max-connections, max-queues). */
export interface VhostLimits {
  vhost: string;
  value: Record<string, number>;
}

export interface Permission {
  user: string;
  vhost: string;
  configure: string;
  write: string;
  read: string;
}

export interface TopicPermission {
  user: string;
  vhost: string;
  exchange: string;
  write: string;
  read: string;
}

/** One event of /api/warren/trace/{vhost}/stream: a traced publish or delivery. */
export interface TraceMessage {
  seq: number;
  type: 'publish' | 'deliver';
  timestamp: number;
  vhost: string;
  exchange: string;
  routing_keys: string[];
  /** Publishes: the queues it was routed to. */
  routed_queues?: string[];
  /** Deliveries: the queue it came from. */
  queue?: string;
  redelivered?: boolean;
  node: string;
  user: string;
  channel: number;
  connection: string;
  properties: Record<string, unknown> & { headers?: Record<string, unknown> };
  payload_bytes: number;
  payload: string;
  payload_encoding: 'string' | 'base64';
  payload_truncated: boolean;
}

/** The stream's first event, and its count of events dropped while the browser read too slowly. */
export interface TraceStatus {
  vhost: string;
  tracing: boolean;
}
