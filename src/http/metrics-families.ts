// The metric families Warren serves, with rabbitmq_prometheus's names, types, labels and units: node and process,
// churn and global counters, and queue, channel and connection series (summed on /metrics, one series per object
// on /metrics/per-object and /metrics/detailed). Read from the broker at scrape time; Warren-only ones are warren_*.
import { readdirSync, readFileSync } from 'node:fs';
import { MESSAGE_SIZE_BUCKETS, StreamQueue, type Queue, type QueueTypeTotals, type StreamStats } from '../broker/index.js';
import type { Channel } from '../server/channel.js';
import type { ChannelExchangeCounters, ChannelQueueCounters } from '../server/channel-object-stats.js';
import { channelCounts, headMessageTimestamp, unackedByQueue, type Connection } from '../server/index.js';
import { connectionName, NODE_NAME, openConnections, type ManagementDeps } from './deps.js';
import { advertisedIdentity } from '../server/index.js';
import type { Labels, MetricType } from './exposition.js';
import { channelName } from './format.js';
import { consumerUtilisation } from './rates.js';

export interface Family {
  /** The name after `rabbitmq_` (or the whole name when `absolute`). */
  readonly name: string;
  readonly type: MetricType;
  readonly help: string;
  readonly samples: ReadonlyArray<readonly [Labels, number]>;
  readonly absolute?: boolean;
}

const AMQP: Labels = { protocol: 'amqp091' };

/** Open file descriptors of this process (Linux /proc), or undefined where there is no /proc. */
function openFds(): number | undefined {
  try {
    return readdirSync('/proc/self/fd').length - 1;
  } catch {
    return undefined;
  }
}

let maxFdsCache: number | undefined;
function maxFds(): number | undefined {
  if (maxFdsCache !== undefined) return maxFdsCache;
  try {
    const line = readFileSync('/proc/self/limits', 'utf8').split('\n').find((l) => l.startsWith('Max open files'));
    const soft = line?.split(/\s{2,}/)[1];
    if (soft !== undefined && /^\d+$/.test(soft)) maxFdsCache = Number(soft);
  } catch {
    // no /proc
  }
  return maxFdsCache;
}

const one = (v: number): ReadonlyArray<readonly [Labels, number]> => [[{}, v]];

/** Node, process and resource families; the alarms only on the aggregated endpoint, as RabbitMQ's per-object one has none. */
export function nodeFamilies(deps: ManagementDeps, perObject = false): Family[] {
  const { server } = deps;
  const alarms = server.alarms;
  const fds = openFds();
  const max = maxFds();
  const identity = advertisedIdentity(server.options);
  const out: Family[] = [
    { name: 'build_info', type: 'untyped', help: 'RabbitMQ & Erlang/OTP version info', samples: [[{ rabbitmq_version: identity.rabbitmqVersion, prometheus_plugin_version: identity.rabbitmqVersion, prometheus_client_version: '4.9.1', erlang_version: process.version, product: identity.product, product_version: identity.version }, 1]] },
    { name: 'identity_info', type: 'untyped', help: 'RabbitMQ node & cluster identity info', samples: [[{ rabbitmq_node: NODE_NAME, rabbitmq_cluster: NODE_NAME, rabbitmq_cluster_permanent_id: `warren-cluster-id-${NODE_NAME}` }, 1]] },
    { name: 'process_start_time_seconds', absolute: true, type: 'gauge', help: 'Start time of the process since unix epoch in seconds.', samples: one(Math.round(Date.now() / 1000 - process.uptime())) },
    { name: 'erlang_uptime_seconds', type: 'gauge', help: 'Node uptime', samples: one(Math.round(process.uptime() * 1000) / 1000) },
    { name: 'process_resident_memory_bytes', type: 'gauge', help: 'Memory used in bytes', samples: one(process.memoryUsage().rss) },
    { name: 'resident_memory_limit_bytes', type: 'gauge', help: 'Memory high watermark in bytes', samples: one(Math.round(alarms.memoryLimit)) },
    { name: 'disk_space_available_limit_bytes', type: 'gauge', help: 'Free disk space low watermark in bytes', samples: one(Math.round(alarms.diskLimit)) },
    ...(perObject
      ? []
      : [
          { name: 'alarms_file_descriptor_limit', type: 'untyped' as const, help: 'is 1 if file descriptor limit alarm is in effect', samples: one(0) },
          { name: 'alarms_free_disk_space_watermark', type: 'untyped' as const, help: 'is 1 if free disk space watermark alarm is in effect', samples: one(alarms.active.has('disk') ? 1 : 0) },
          { name: 'alarms_memory_used_watermark', type: 'untyped' as const, help: 'is 1 if VM memory watermark alarm is in effect', samples: one(alarms.active.has('memory') ? 1 : 0) },
        ]),
    { name: 'process_open_tcp_sockets', type: 'gauge', help: 'Open TCP sockets', samples: one(server.openSockets) },
  ];
  if (Number.isFinite(alarms.diskFree)) out.push({ name: 'disk_space_available_bytes', type: 'gauge', help: 'Disk space available in bytes', samples: one(alarms.diskFree) });
  if (fds !== undefined) out.push({ name: 'process_open_fds', type: 'gauge', help: 'Open file descriptors', samples: one(fds) });
  if (max !== undefined) {
    out.push({ name: 'process_max_fds', type: 'gauge', help: 'Open file descriptors limit', samples: one(max) });
    out.push({ name: 'process_max_tcp_sockets', type: 'gauge', help: 'Open TCP sockets limit', samples: one(max) });
  }
  return out;
}

/** Opened/closed/declared counters (RabbitMQ's connection_churn_metrics). */
export function churnFamilies(deps: ManagementDeps): Family[] {
  const t = deps.broker.totals;
  return [
    { name: 'connections_opened_total', type: 'counter', help: 'Total number of connections opened', samples: one(t.connectionsOpened) },
    { name: 'connections_closed_total', type: 'counter', help: 'Total number of connections closed or terminated', samples: one(t.connectionsClosed) },
    { name: 'channels_opened_total', type: 'counter', help: 'Total number of channels opened', samples: one(t.channelsOpened) },
    { name: 'channels_closed_total', type: 'counter', help: 'Total number of channels closed', samples: one(t.channelsClosed) },
    { name: 'queues_declared_total', type: 'counter', help: 'Total number of queues declared', samples: one(t.queuesDeclared) },
    { name: 'queues_created_total', type: 'counter', help: 'Total number of queues created', samples: one(t.queuesCreated) },
    { name: 'queues_deleted_total', type: 'counter', help: 'Total number of queues deleted', samples: one(t.queuesDeleted) },
  ];
}

/** Object counts, global message counters, login attempts (/metrics and /metrics/per-object alike). */
export function globalFamilies(deps: ManagementDeps): Family[] {
  const { broker, server } = deps;
  const t = broker.totals;
  const conns = openConnections(server);
  const channels = conns.flatMap((c) => [...c.channels.values()]);
  let queues = 0;
  let consumers = 0;
  for (const v of broker.vhosts.values()) {
    queues += v.queues.size;
    for (const q of v.queues.values()) consumers += q.consumerCount;
  }
  const publishers = channels.filter((ch) => ch.stats.published > 0).length;
  const g = (name: string, help: string, v: number, type: MetricType = 'counter'): Family => ({ name: `global_${name}`, type, help, samples: [[AMQP, v]] });
  const out: Family[] = [
    { name: 'connections', type: 'gauge', help: 'Connections currently open', samples: one(conns.length) },
    { name: 'channels', type: 'gauge', help: 'Channels currently open', samples: one(channels.length) },
    { name: 'consumers', type: 'gauge', help: 'Consumers currently connected', samples: one(consumers) },
    { name: 'queues', type: 'gauge', help: 'Queues available', samples: one(queues) },
    g('consumers', 'Current number of consumers', consumers, 'gauge'),
    g('publishers', 'Current number of publishers', publishers, 'gauge'),
    g('messages_received_total', 'Total number of messages received from publishers', t.published),
    g('messages_received_confirm_total', 'Total number of messages received from publishers expecting confirmations', t.receivedConfirm),
    g('messages_routed_total', 'Total number of messages routed to queues or streams', t.routed),
    g('messages_unroutable_dropped_total', 'Total number of messages published as non-mandatory into an exchange and dropped as unroutable', t.unroutable - t.returnUnroutable),
    g('messages_unroutable_returned_total', 'Total number of messages published as mandatory into an exchange and returned to the publisher as unroutable', t.returnUnroutable),
    g('messages_confirmed_total', 'Total number of messages confirmed to publishers', t.confirm),
  ];
  // Queue-side counters carry RabbitMQ's queue_type label, one series per type (0 for a type without traffic).
  const byType = t.byQueueType;
  const TYPES = [['classic', 'rabbit_classic_queue'], ['quorum', 'rabbit_quorum_queue'], ['stream', 'rabbit_stream_queue']] as const;
  const typed = (name: string, help: string, read: (x: QueueTypeTotals) => number): Family => ({
    name: `global_${name}`,
    type: 'counter',
    help,
    samples: TYPES.map(([k, label]) => [{ protocol: 'amqp091', queue_type: label }, read(byType[k])] as const),
  });
  out.push(
    typed('messages_delivered_total', 'Total number of messages delivered to consumers', (x) => x.delivered),
    typed('messages_delivered_consume_manual_ack_total', 'Total number of messages delivered to consumers using basic.consume with manual acknowledgment', (x) => x.deliver),
    typed('messages_delivered_consume_auto_ack_total', 'Total number of messages delivered to consumers using basic.consume with automatic acknowledgment', (x) => x.deliverNoAck),
    typed('messages_delivered_get_manual_ack_total', 'Total number of messages delivered to consumers using basic.get with manual acknowledgment', (x) => x.get),
    typed('messages_delivered_get_auto_ack_total', 'Total number of messages delivered to consumers using basic.get with automatic acknowledgment', (x) => x.getNoAck),
    typed('messages_get_empty_total', 'Total number of times basic.get operations fetched no message', (x) => x.getEmpty),
    typed('messages_redelivered_total', 'Total number of messages redelivered to consumers', (x) => x.redelivered),
    typed('messages_acknowledged_total', 'Total number of messages acknowledged by consumers', (x) => x.acked),
  );
  // Dead-lettering by queue type and strategy, with RabbitMQ's series: Warren dead-letters at most once, so the
  // at_least_once series (quorum queues' x-dead-letter-strategy) stay 0.
  const DEAD_LETTER: ReadonlyArray<readonly [string, string, ReadonlyArray<readonly ['classic' | 'quorum', readonly Strategy[]]>]> = [
    ['confirmed', 'Total number of messages dead-lettered and confirmed by target queues', [['quorum', ['at_least_once']]]],
    ['delivery_limit', 'Total number of messages dead-lettered due to delivery-limit exceeded', [['quorum', ['at_least_once', 'at_most_once', 'disabled']]]],
    ['expired', 'Total number of messages dead-lettered due to message TTL exceeded', [['classic', ['at_most_once', 'disabled']], ['quorum', ['at_least_once', 'at_most_once', 'disabled']]]],
    ['maxlen', 'Total number of messages dead-lettered due to overflow drop-head or reject-publish-dlx', [['classic', ['at_most_once', 'disabled']], ['quorum', ['at_most_once', 'disabled']]]],
    ['rejected', 'Total number of messages dead-lettered due to basic.reject or basic.nack', [['classic', ['at_most_once', 'disabled']], ['quorum', ['at_least_once', 'at_most_once', 'disabled']]]],
  ];
  for (const [reason, help, series] of DEAD_LETTER) {
    const samples: Array<readonly [Labels, number]> = [];
    for (const [type, strategies] of series) {
      for (const strategy of strategies) {
        const counts = strategy === 'at_least_once' || reason === 'confirmed' ? undefined : byType[type].deadLettered[strategy];
        samples.push([{ queue_type: `rabbit_${type}_queue`, dead_letter_strategy: strategy }, counts?.[reason as keyof typeof counts] ?? 0]);
      }
    }
    out.push({ name: `global_messages_dead_lettered_${reason}_total`, type: 'counter', help, samples });
  }
  const auth = t.auth;
  const byProtocol = (f: (a: { succeeded: number; failed: number }) => number): Array<[Labels, number]> => [
    [{ protocol: 'http' }, f(auth.http)],
    [{ protocol: 'amqp091' }, f(auth.amqp091)],
  ];
  out.push(
    { name: 'auth_attempts_total', type: 'counter', help: 'Total number of authorization attempts', samples: byProtocol((a) => a.succeeded + a.failed) },
    { name: 'auth_attempts_succeeded_total', type: 'counter', help: 'Total number of successful authentication attempts', samples: byProtocol((a) => a.succeeded) },
    { name: 'auth_attempts_failed_total', type: 'counter', help: 'Total number of failed authentication attempts', samples: byProtocol((a) => a.failed) },
  );
  return out;
}

export const MESSAGE_SIZE_HELP = 'Size of messages received from publishers';
export { MESSAGE_SIZE_BUCKETS };

type Reader<T> = (x: T) => number;

/** RabbitMQ's dead_letter_strategy label values. */
type Strategy = 'at_least_once' | 'at_most_once' | 'disabled';

/** Families with one series per object (labelled) or one summed series. */
function perObjectFamilies<T>(objects: readonly T[], labels: (x: T) => Labels, perObject: boolean, defs: ReadonlyArray<readonly [string, MetricType, string, Reader<T>]>): Family[] {
  return defs.map(([name, type, help, read]) => ({
    name,
    type,
    help,
    samples: perObject ? objects.map((o) => [labels(o), read(o)] as const) : [[{}, objects.reduce((n, o) => n + read(o), 0)] as const],
  }));
}

/** Queue series (rabbitmq_queue_*), with Warren's additions as warren_queue_*. */
export function queueFamilies(deps: ManagementDeps, perObject: boolean, vhosts?: ReadonlySet<string>): Family[] {
  const queues = [...deps.broker.vhosts.values()].filter((v) => vhosts === undefined || vhosts.has(v.name)).flatMap((v) => [...v.queues.values()]);
  const unackedNow = unackedByQueue(deps.server);
  const unacked = unackedNow.bytes;
  const now = Date.now();
  const labels = (q: Queue): Labels => ({ vhost: q.vhost, queue: q.name });
  const rabbit = perObjectFamilies<Queue>(queues, labels, perObject, [
    ['queue_messages_ready', 'gauge', 'Messages ready to be delivered to consumers', (q) => q.messageCount],
    ['queue_messages_unacked', 'gauge', 'Messages delivered to consumers but not yet acknowledged', (q) => q.unacked],
    // A stream's delivered messages stay in it: its depth is its log.
    ['queue_messages', 'gauge', 'Sum of ready and unacknowledged messages - total queue depth', (q) => q.messageCount + (q instanceof StreamQueue ? 0 : q.unacked)],
    ['queue_messages_ready_bytes', 'gauge', 'Size in bytes of ready messages', (q) => q.messageBytes],
    ['queue_messages_unacked_bytes', 'gauge', 'Size in bytes of all unacknowledged messages', (q) => unacked.get(q) ?? 0],
    ['queue_messages_bytes', 'gauge', 'Size in bytes of ready and unacknowledged messages', (q) => q.messageBytes + (unacked.get(q) ?? 0)],
    ['queue_messages_ram', 'gauge', 'Ready and unacknowledged messages stored in memory', (q) => q.inMemoryCount + q.unacked],
    ['queue_messages_ready_ram', 'gauge', 'Ready messages stored in memory', (q) => q.inMemoryCount],
    ['queue_messages_unacked_ram', 'gauge', 'Unacknowledged messages stored in memory', (q) => q.unacked],
    ['queue_messages_ram_bytes', 'gauge', 'Size of ready and unacknowledged messages stored in memory', (q) => q.inMemoryBytes + (unacked.get(q) ?? 0)],
    ['queue_messages_paged_out', 'gauge', 'Messages paged out to disk', (q) => q.pagedOutCount],
    ['queue_messages_paged_out_bytes', 'gauge', 'Size in bytes of messages paged out to disk', (q) => q.pagedOutBytes],
    ['queue_messages_persistent', 'gauge', 'Persistent messages', (q) => q.persistentCount],
    ['queue_messages_persistent_bytes', 'gauge', 'Size in bytes of persistent messages', (q) => q.persistentBytes],
    ['queue_consumers', 'gauge', 'Consumers on a queue', (q) => q.consumerCount],
    ['queue_consumer_capacity', 'gauge', 'Consumer capacity', (q) => consumerUtilisation(q, q.consumerCount, (t) => q.consumerBlockedMs(t), now) ?? 0],
    ['queue_consumer_utilisation', 'gauge', 'Same as consumer capacity', (q) => consumerUtilisation(q, q.consumerCount, (t) => q.consumerBlockedMs(t), now) ?? 0],
  ]);
  // Per object, RabbitMQ's count of messages published into queues is per channel, exchange and queue (its
  // channel_queue_exchange_metrics); summed, every queue's own count.
  const published: Family = {
    name: 'queue_messages_published_total',
    type: 'counter',
    help: 'Total number of messages published to queues',
    samples: perObject ? queuePublishedSamples(deps, vhosts) : [[{}, queues.reduce((n, q) => n + q.stats.published, 0)] as const],
  };
  // NaN for a queue whose head has no timestamp (or that is empty), as RabbitMQ; summed up, the oldest head's.
  const heads = queues.map((q) => headMessageTimestamp(q, unackedNow) ?? NaN);
  const timestamped = heads.filter((t) => !Number.isNaN(t));
  const head: Family = {
    name: 'queue_head_message_timestamp',
    type: 'gauge',
    help: 'Timestamp of the first message in the queue, if any',
    samples: perObject ? queues.map((q, i) => [labels(q), heads[i]!] as const) : [[{}, timestamped.length === 0 ? NaN : timestamped.reduce((m, t) => Math.min(m, t))] as const],
  };
  const age = (q: Queue) => {
    const at = q.oldestReadyAt;
    return at === undefined ? 0 : (now - at) / 1000;
  };
  const warren: Family[] = [
    ...perObjectFamilies<Queue>(queues, labels, perObject, [
      ['queue_messages_delivered_total', 'counter', 'Total number of messages delivered from queues to consumers and basic.get', (q) => q.stats.delivered],
      ['queue_messages_acked_total', 'counter', 'Total number of messages acknowledged by consumers', (q) => q.stats.acked],
      ['queue_messages_dead_lettered_total', 'counter', 'Total number of messages that left the queue for its dead-letter exchange', (q) => q.deadLettered],
    ]),
    {
      name: 'queue_oldest_message_age_seconds',
      type: 'gauge' as const,
      help: 'Age of the oldest message waiting in a queue (consumer lag)',
      samples: perObject ? queues.map((q) => [labels(q), age(q)] as const) : [[{}, queues.reduce((m, q) => Math.max(m, age(q)), 0)] as const],
    },
    ...streamFamilies(queues, perObject),
  ].map((f): Family => ({ ...f, name: `warren_${f.name}`, absolute: true }));
  return [...rabbit, head, published, ...warren];
}

/** rabbitmq_queue_messages_published_total's series per channel, exchange and queue of the open channels. */
export function queuePublishedSamples(deps: ManagementDeps, vhosts?: ReadonlySet<string>): Family['samples'] {
  const channels = openConnections(deps.server)
    .filter((c) => vhosts === undefined || (c.vhost !== undefined && vhosts.has(c.vhost.name)))
    .flatMap((c) => [...c.channels.values()]);
  return channels.flatMap((ch) =>
    (ch.objectStatsIfAny?.exchanges() ?? []).flatMap((x) =>
      x.queues.entries().map((e) => [{ channel: channelName(ch), queue_vhost: e.queue.vhost, queue: e.queue.name, exchange_vhost: ch.vhost.name, exchange: x.exchange.name }, e.published] as const),
    ),
  );
}

/** Streams: segments, bytes on disk, and each consumer's offset and lag (messages committed it was not handed yet). */
function streamFamilies(queues: readonly Queue[], perObject: boolean): Family[] {
  const streams = queues.filter((q): q is StreamQueue => q instanceof StreamQueue);
  const stats = new Map<StreamQueue, StreamStats>(streams.map((q) => [q, q.log.stats()]));
  const labels = (q: Queue): Labels => ({ vhost: q.vhost, queue: q.name });
  const consumers = streams.flatMap((q) => q.consumers.map((c) => ({ q, tag: c.tag, position: q.consumerPosition(c) })));
  const consumerLabels = (c: (typeof consumers)[number]): Labels => ({ vhost: c.q.vhost, queue: c.q.name, consumer_tag: c.tag });
  const out: Family[] = [
    ...perObjectFamilies<StreamQueue>(streams, labels, perObject, [
      ['stream_segments', 'gauge', 'Segment files of stream queues', (q) => stats.get(q)!.segments],
      ['stream_bytes_on_disk', 'gauge', 'Bytes of stream queue segment files and their indexes', (q) => stats.get(q)!.bytes],
    ]),
    {
      name: 'stream_consumer_lag',
      type: 'gauge',
      help: 'Messages committed to a stream that its consumer has not been handed yet (aggregated: the largest)',
      samples: perObject
        ? consumers.map((c) => [consumerLabels(c), c.position?.lag ?? 0] as const)
        : [[{}, consumers.reduce((m, c) => Math.max(m, c.position?.lag ?? 0), 0)] as const],
    },
  ];
  if (perObject) {
    out.push({
      name: 'stream_consumer_offset',
      type: 'gauge',
      help: 'Offset of the last message delivered to a stream consumer (-1: none yet)',
      samples: consumers.map((c) => [consumerLabels(c), c.position?.offset ?? -1] as const),
    });
  }
  return out;
}

/** Channel series (rabbitmq_channel_*). */
export function channelFamilies(deps: ManagementDeps, perObject: boolean, vhosts?: ReadonlySet<string>): Family[] {
  const channels = openConnections(deps.server)
    .filter((c) => vhosts === undefined || (c.vhost !== undefined && vhosts.has(c.vhost.name)))
    .flatMap((c) => [...c.channels.values()]);
  const gauges = perObjectFamilies<Channel>(channels, (ch) => ({ channel: channelName(ch) }), perObject, [
    ['channel_consumers', 'gauge', 'Consumers on a channel', (ch) => channelCounts(ch).queueConsumers],
    ['channel_messages_unacked', 'gauge', 'Delivered but not yet acknowledged messages', (ch) => channelCounts(ch).unacked],
    ['channel_messages_unconfirmed', 'gauge', 'Published but not yet confirmed messages', (ch) => channelCounts(ch).unconfirmed],
    ['channel_messages_uncommitted', 'gauge', 'Messages received in a transaction but not yet committed', (ch) => channelCounts(ch).uncommitted],
    ['channel_acks_uncommitted', 'gauge', 'Message acknowledgements in a transaction not yet committed', () => 0],
    ['channel_prefetch', 'gauge', 'Total limit of unacknowledged messages for all consumers on a channel', (ch) => channelCounts(ch).channelPrefetch],
    ['consumer_prefetch', 'gauge', 'Limit of unacknowledged messages for each consumer', (ch) => channelCounts(ch).consumersPrefetch],
  ]);
  // The counters: per channel and exchange, and per channel and queue, as RabbitMQ's channel_exchange_metrics and
  // channel_queue_metrics (the aggregated /metrics sums the channels' own counts).
  const byExchange = splitFamilies<ChannelExchangeCounters>(channels, perObject, (ch) => ch.objectStatsIfAny?.exchanges() ?? [], (ch, c) => ({ channel: channelName(ch), vhost: ch.vhost.name, exchange: c.exchange.name }), [
    ['channel_messages_published_total', 'counter', 'Total number of messages published into an exchange on a channel', (ch) => ch.stats.published, (c) => c.published],
    ['channel_messages_confirmed_total', 'counter', 'Total number of messages published into an exchange and confirmed on the channel', (ch) => ch.stats.confirm, (c) => c.confirm],
    ['channel_messages_unroutable_returned_total', 'counter', 'Total number of messages published as mandatory into an exchange and returned to the publisher as unroutable', (ch) => ch.stats.returnUnroutable, (c) => c.returnUnroutable],
    ['channel_messages_unroutable_dropped_total', 'counter', 'Total number of messages published as non-mandatory into an exchange and dropped as unroutable', (ch) => ch.stats.dropUnroutable, (c) => c.dropUnroutable],
  ]);
  const byQueue = splitFamilies<ChannelQueueCounters>(channels, perObject, (ch) => ch.objectStatsIfAny?.queues() ?? [], (ch, c) => ({ channel: channelName(ch), vhost: ch.vhost.name, queue: c.queue.name }), [
    ['channel_get_ack_total', 'counter', 'Total number of messages fetched with basic.get in manual acknowledgement mode', (ch) => ch.stats.get, (c) => c.get],
    ['channel_get_total', 'counter', 'Total number of messages fetched with basic.get in automatic acknowledgement mode', (ch) => ch.stats.getNoAck, (c) => c.getNoAck],
    ['channel_messages_delivered_ack_total', 'counter', 'Total number of messages delivered to consumers in manual acknowledgement mode', (ch) => ch.stats.deliver, (c) => c.deliver],
    ['channel_messages_delivered_total', 'counter', 'Total number of messages delivered to consumers in automatic acknowledgement mode', (ch) => ch.stats.deliverNoAck, (c) => c.deliverNoAck],
    ['channel_messages_redelivered_total', 'counter', 'Total number of messages redelivered to consumers', (ch) => ch.stats.redelivered, (c) => c.redelivered],
    ['channel_messages_acked_total', 'counter', 'Total number of messages acknowledged by consumers', (ch) => ch.stats.acked, (c) => c.acked],
    ['channel_get_empty_total', 'counter', 'Total number of times basic.get operations fetched no message', (ch) => ch.stats.getEmpty, (c) => c.getEmpty],
  ]);
  return [...gauges, ...byExchange, ...byQueue];
}

/** Families of channel counters: one summed series of the channels' counts, or one series per channel and object. */
function splitFamilies<C>(
  channels: readonly Channel[],
  perObject: boolean,
  objects: (ch: Channel) => readonly C[],
  labels: (ch: Channel, c: C) => Labels,
  defs: ReadonlyArray<readonly [string, MetricType, string, Reader<Channel>, Reader<C>]>,
): Family[] {
  const rows = perObject ? channels.flatMap((ch) => objects(ch).map((c) => [ch, c] as const)) : [];
  return defs.map(([name, type, help, total, read]) => ({
    name,
    type,
    help,
    samples: perObject ? rows.map(([ch, c]) => [labels(ch, c), read(c)] as const) : [[{}, channels.reduce((n, ch) => n + total(ch), 0)] as const],
  }));
}

/** Connection series (rabbitmq_connection_*). */
export function connectionFamilies(deps: ManagementDeps, perObject: boolean, vhosts?: ReadonlySet<string>): Family[] {
  const conns = openConnections(deps.server).filter((c) => vhosts === undefined || (c.vhost !== undefined && vhosts.has(c.vhost.name)));
  return perObjectFamilies<Connection>(conns, (c) => ({ channel: connectionName(c) }), perObject, [
    ['connection_incoming_bytes_total', 'counter', 'Total number of bytes received on a connection', (c) => c.socket.bytesRead],
    ['connection_outgoing_bytes_total', 'counter', 'Total number of bytes sent on a connection', (c) => c.socket.bytesWritten],
    ['connection_channels', 'gauge', 'Channels on a connection', (c) => c.channels.size],
  ]);
}
