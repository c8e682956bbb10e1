// The management API's JSON shapes for queues, exchanges, bindings, connections, channels and consumers, with RabbitMQ's keys.
import { CHANNEL_FIELDS, consumerUtilisation, details, exchangeCounts, idleSince, isoTime, messageStats, NO_WINDOWS, QUEUE_FIELDS, withDetails, type Windows } from './rates.js';
import { createHash } from 'node:crypto';
import { NO_POLICY, Queue, StreamQueue, type AppliedPolicy, type Binding, type Exchange, type VirtualHost } from '../broker/index.js';
import type { FieldTable } from '../protocol/index.js';
import type { Connection } from '../server/index.js';
import type { Channel } from '../server/channel.js';
import { channelCounts, headMessageTimestamp, type ConsumerRef, type UnackedByQueue } from '../server/index.js';
import { tableToJson } from '../definitions/index.js';
import { tlsInfo } from '../shared/tls.js';
import { connectionName, hostOf, NODE_NAME } from './deps.js';

export function queueJson(q: Queue, unacked: UnackedByQueue, owner: Connection | undefined, w: Windows = NO_WINDOWS, applied: AppliedPolicy = NO_POLICY): Record<string, unknown> {
  const ready = q.messageCount;
  const readyBytes = q.messageBytes;
  const unackedCount = q.unacked;
  const unackedB = unacked.bytes.get(q) ?? 0;
  const consumers = q.consumers;
  const exclusiveConsumer = consumers.find((c) => c.exclusive);
  const type = q.settings.type;
  const activeTag = q.settings.singleActiveConsumer ? (consumers[0]?.tag ?? null) : null;
  const out: Record<string, unknown> = {
    arguments: tableToJson(q.arguments),
    auto_delete: q.autoDelete,
    consumers: consumers.length,
    durable: q.durable,
    effective_policy_definition: applied.definition,
    exclusive: q.exclusive,
    // A quorum queue has no exclusive consumers, and names its active consumer's tag single_active_consumer_ctag.
    ...(type === 'quorum' ? { single_active_consumer_ctag: activeTag } : { exclusive_consumer_tag: exclusiveConsumer?.tag ?? null, single_active_consumer_tag: activeTag }),
    message_bytes: readyBytes + unackedB,
    message_bytes_ready: readyBytes,
    message_bytes_unacknowledged: unackedB,
    // A stream's delivered messages stay in it: its depth is its log.
    ...withDetails(q, { messages: q instanceof StreamQueue ? ready : ready + unackedCount, messages_ready: ready, messages_unacknowledged: unackedCount }, w.lengths),
    name: q.name,
    node: NODE_NAME,
    operator_policy: applied.operatorPolicy?.name ?? null,
    policy: applied.policy?.name ?? null,
    state: 'running',
    type,
    vhost: q.vhost,
  };
  const stats = messageStats(q, q.stats, QUEUE_FIELDS, w.msgRates);
  if (stats) out.message_stats = stats;
  // Whether consumers keep up: RabbitMQ's consumer_utilisation, and two Warren additions (consumer lag, dead letters).
  const util = consumerUtilisation(q, consumers.length, (now) => q.consumerBlockedMs(now));
  const utilisation = util === undefined ? undefined : Math.round(util * 1000) / 1000;
  if (utilisation !== undefined) out.consumer_utilisation = utilisation;
  if (type !== 'stream') Object.assign(out, memoryAndDiskJson(q, unacked, utilisation ?? 0));
  if (type === 'quorum') Object.assign(out, quorumJson());
  // A classic queue's process hibernates when idle, and RabbitMQ then says since when (quorum queues and streams do not).
  const idle = type === 'classic' ? idleSince(q, q.declaredAt) : undefined;
  if (idle !== undefined) out.idle_since = isoTime(idle);
  const oldest = q.oldestReadyAt;
  out.oldest_message_age_ms = oldest === undefined ? 0 : Date.now() - oldest;
  out.messages_dead_lettered = q.deadLettered;
  if (owner) out.owner_pid_details = { name: connectionName(owner), peer_host: hostOf(owner.socket.remoteAddress), peer_port: owner.socket.remotePort ?? 0 };
  if (q instanceof StreamQueue) Object.assign(out, streamJson(q));
  return out;
}

/**
 * A classic or quorum queue's memory and disk fields, as RabbitMQ's: what is in memory (ready ones not paged out, and
 * every unacked one), what is persistent (kept in the queue's store), the consumer capacity (0 without consumers);
 * a classic queue's also what is paged out and the head message's timestamp property.
 */
function memoryAndDiskJson(q: Queue, unacked: UnackedByQueue, capacity: number): Record<string, unknown> {
  const out = q.unacked;
  const common = {
    consumer_capacity: capacity,
    consumer_utilisation: capacity,
    message_bytes_persistent: q.persistentBytes,
    message_bytes_ram: q.inMemoryBytes + (unacked.bytes.get(q) ?? 0),
    messages_persistent: q.persistentCount,
    messages_ram: q.inMemoryCount + out,
  };
  if (q.settings.type !== 'classic') return common;
  return {
    ...common,
    head_message_timestamp: headMessageTimestamp(q, unacked) ?? null,
    message_bytes_paged_out: q.pagedOutBytes,
    messages_paged_out: q.pagedOutCount,
    messages_ready_ram: q.inMemoryCount,
    messages_unacknowledged_ram: out,
    recoverable_slaves: null,
  };
}

/**
 * A quorum queue's cluster fields on one node: itself leader, member and online, no file open for readers, nothing
 * held for at-least-once dead-lettering (Warren dead-letters at most once).
 */
function quorumJson(): Record<string, unknown> {
  return {
    leader: NODE_NAME,
    members: [NODE_NAME],
    online: [NODE_NAME],
    open_files: { [NODE_NAME]: 0 },
    message_bytes_dlx: 0,
    messages_dlx: 0,
  };
}

/**
 * A stream's fields: its log is its messages (delivered ones stay), RabbitMQ's one-node members and readers, and
 * Warren's additions: segment files, bytes on disk, the first offset kept and the next one to be given.
 */
function streamJson(q: StreamQueue): Record<string, unknown> {
  const st = q.log.stats();
  return {
    message_bytes: st.bytes,
    message_bytes_ready: st.bytes,
    members: [NODE_NAME],
    online: [NODE_NAME],
    leader: NODE_NAME,
    readers: { [NODE_NAME]: q.consumerCount },
    stream_segments: st.segments,
    stream_bytes_on_disk: st.bytes,
    stream_first_offset: st.firstOffset,
    stream_next_offset: st.nextOffset,
  };
}

/** The single-queue view adds its consumers (as /api/consumers shows them). */
export function queueDetailJson(q: Queue, unacked: UnackedByQueue, owner: Connection | undefined, consumers: ConsumerRef[], w: Windows = NO_WINDOWS, applied: AppliedPolicy = NO_POLICY): Record<string, unknown> {
  return {
    ...queueJson(q, unacked, owner, w, applied),
    consumer_details: consumers.filter((c) => c.consumer.queue === q).map(consumerJson),
    deliveries: [],
    incoming: [],
  };
}

/** An exchange as the API shows it; `policy` is there only when one applies, as RabbitMQ's. */
export function exchangeJson(x: Exchange, w: Windows = NO_WINDOWS, applied: AppliedPolicy = NO_POLICY): Record<string, unknown> {
  const out: Record<string, unknown> = {
    arguments: tableToJson(x.arguments),
    auto_delete: x.autoDelete,
    durable: x.durable,
    internal: x.internal,
    name: x.name,
    ...(applied.policy ? { policy: applied.policy.name } : {}),
    type: x.type,
    vhost: x.vhost,
  };
  // Who declared an exchange is not recorded; the predeclared ones are the broker's own.
  if (x.name === '' || x.name.startsWith('amq.')) out.user_who_performed_action = 'rmq-internal';
  const counts = exchangeCounts(x);
  if (counts.publish_in! > 0) out.message_stats = withDetails(x, counts, w.msgRates);
  return out;
}

// ---- bindings ----------------------------------------------------------

/** One binding as the API lists it (the default exchange's implicit ones included). */
export interface BindingView {
  readonly vhost: string;
  readonly source: string;
  readonly destination: string;
  readonly destinationType: 'queue' | 'exchange';
  readonly routingKey: string;
  readonly arguments: Record<string, unknown>;
  /** The arguments with their wire types (what unbinding must match). */
  readonly table: FieldTable;
}

export function bindingView(b: Binding, vhost: string): BindingView {
  return {
    vhost,
    source: b.source.name,
    destination: b.destination.name,
    destinationType: b.destination instanceof Queue ? 'queue' : 'exchange',
    routingKey: b.routingKey,
    arguments: tableToJson(b.arguments),
    table: b.arguments,
  };
}

/** Every binding of a vhost: the default exchange's implicit one per queue, then the declared ones. */
export function vhostBindings(v: VirtualHost): BindingView[] {
  const implicit: BindingView[] = [...v.queues.keys()].map((q) => ({
    vhost: v.name,
    source: '',
    destination: q,
    destinationType: 'queue',
    routingKey: q,
    arguments: {},
    table: new Map(),
  }));
  const explicit: BindingView[] = [];
  for (const x of v.exchanges.values()) for (const b of x.bindings) explicit.push(bindingView(b, v.name));
  return [...implicit, ...explicit].sort(compareBindings);
}

function compareBindings(a: BindingView, b: BindingView): number {
  return cmp(a.source, b.source) || cmp(a.destinationType, b.destinationType) || cmp(a.destination, b.destination) || cmp(a.routingKey, b.routingKey);
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

export function bindingJson(b: BindingView): Record<string, unknown> {
  return {
    source: b.source,
    vhost: b.vhost,
    destination: b.destination,
    destination_type: b.destinationType,
    routing_key: b.routingKey,
    arguments: b.arguments,
    properties_key: propertiesKey(b.routingKey, b.arguments),
  };
}

/**
 * RabbitMQ's binding "properties key" used in binding URLs: the quoted routing key, plus `~` and a hash of the
 * arguments when there are any ("~" alone for an empty key without arguments). The hash is Warren's own
 * (RabbitMQ uses erlang:phash2), with the same shape: base64url of 4 bytes.
 */
export function propertiesKey(routingKey: string, args: Record<string, unknown>): string {
  const hasArgs = Object.keys(args).length > 0;
  if (routingKey === '' && !hasArgs) return '~';
  const quoted = quotePlus(routingKey).replace(/~/g, '%7E');
  if (!hasArgs) return quoted;
  const hash = createHash('sha256').update(canonicalJson(args)).digest().subarray(0, 4).toString('base64url');
  return `${quoted}~${hash}`;
}

/** mochiweb's quote_plus: unreserved characters kept, space as '+', the rest %XX. */
export function quotePlus(s: string): string {
  let out = '';
  for (const byte of Buffer.from(s, 'utf8')) {
    const c = String.fromCharCode(byte);
    if (/[A-Za-z0-9_.\-~]/.test(c)) out += c;
    else if (c === ' ') out += '+';
    else out += '%' + byte.toString(16).toUpperCase().padStart(2, '0');
  }
  return out;
}

function canonicalJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`;
  if (v !== null && typeof v === 'object') {
    const keys = Object.keys(v).sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson((v as Record<string, unknown>)[k])}`).join(',')}}`;
  }
  return JSON.stringify(typeof v === 'bigint' ? v.toString() : v);
}

// ---- connections, channels, consumers -------------------------------------

export function connectionJson(conn: Connection, w: Windows = NO_WINDOWS): Record<string, unknown> {
  const s = conn.socket;
  const tls = tlsInfo(s);
  const props = tableToJson(conn.clientProperties);
  const out: Record<string, unknown> = {
    auth_mechanism: conn.authMechanism,
    channel_max: conn.channelMax,
    channels: conn.channels.size,
    client_properties: props,
    connected_at: conn.connectedAt,
    frame_max: conn.output.frameMax,
    host: hostOf(s.localAddress),
    name: connectionName(conn),
    node: NODE_NAME,
    peer_cert_issuer: tls.peer_cert_issuer,
    peer_cert_subject: tls.peer_cert_subject,
    peer_cert_validity: tls.peer_cert_validity,
    peer_host: hostOf(s.remoteAddress),
    peer_port: s.remotePort ?? 0,
    port: s.localPort ?? 0,
    protocol: 'AMQP 0-9-1',
    recv_oct: s.bytesRead,
    recv_oct_details: details(conn, 'recv_oct', w.dataRates),
    send_oct: s.bytesWritten,
    send_oct_details: details(conn, 'send_oct', w.dataRates),
    ssl: tls.ssl,
    ssl_cipher: tls.ssl_cipher,
    ssl_hash: null,
    ssl_key_exchange: null,
    ssl_protocol: tls.ssl_protocol,
    state: conn.isOpen ? 'running' : 'closing',
    timeout: conn.heartbeat,
    type: 'network',
    user: conn.username,
    user_who_performed_action: conn.username,
    vhost: conn.vhost?.name ?? '',
  };
  if (typeof props.connection_name === 'string') out.user_provided_name = props.connection_name;
  return out;
}

export function channelName(ch: Channel): string {
  return `${connectionName(ch.conn)} (${ch.id})`;
}

export function channelJson(ch: Channel, w: Windows = NO_WINDOWS): Record<string, unknown> {
  const conn = ch.conn;
  const d = channelCounts(ch);
  const stats = messageStats(ch, ch.stats, CHANNEL_FIELDS, w.msgRates);
  const idle = idleSince(ch, ch.openedAt);
  return {
    ...(stats ? { message_stats: stats } : {}),
    ...(idle !== undefined ? { idle_since: isoTime(idle) } : {}),
    acks_uncommitted: 0,
    confirm: ch.confirmMode,
    connection_details: { name: connectionName(conn), peer_host: hostOf(conn.socket.remoteAddress), peer_port: conn.socket.remotePort ?? 0 },
    consumer_count: d.consumers,
    global_prefetch_count: d.channelPrefetch,
    messages_unacknowledged: d.unacked,
    messages_uncommitted: d.uncommitted,
    messages_unconfirmed: 0,
    name: channelName(ch),
    node: NODE_NAME,
    number: ch.id,
    pending_raft_commands: 0,
    prefetch_count: d.consumerPrefetch,
    state: ch.state === 'open' ? 'running' : 'closing',
    transactional: ch.txMode,
    user: conn.username,
    user_who_performed_action: conn.username,
    vhost: conn.vhost?.name ?? '',
  };
}

export function consumerJson({ consumer: c, channel: ch }: ConsumerRef): Record<string, unknown> {
  const conn = ch.conn;
  const q = c.queue;
  const sac = q.settings.singleActiveConsumer;
  const active = !sac || q.consumers[0] === c;
  const position = q instanceof StreamQueue ? q.consumerPosition(c) : undefined;
  return {
    ...(position ? { stream_offset: position.offset, stream_lag: position.lag } : {}),
    arguments: position && c.arguments ? tableToJson(c.arguments) : c.priority !== 0 ? { 'x-priority': c.priority } : {},
    ack_required: !c.noAck,
    active,
    activity_status: sac ? (active ? 'single_active' : 'waiting') : 'up',
    channel_details: {
      connection_name: connectionName(conn),
      name: channelName(ch),
      node: NODE_NAME,
      number: ch.id,
      peer_host: hostOf(conn.socket.remoteAddress),
      peer_port: conn.socket.remotePort ?? 0,
      user: conn.username,
    },
    consumer_tag: c.tag,
    exclusive: c.exclusive,
    prefetch_count: c.prefetch,
    queue: { name: q.name, vhost: q.vhost },
  };
}
