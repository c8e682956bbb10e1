// Totals the API shows per vhost and for the node (channel counters, queue lengths, octets), and the timer that
// samples every object every 5 s for rates and sample histories. Reads plain counters; nothing on the hot path.
import { addCounters, newCounters, type MessageCounters, type VirtualHost } from '../broker/index.js';
import type { AmqpServer, Connection } from '../server/index.js';
import type { ManagementDeps } from './deps.js';
import { openConnections } from './deps.js';
import { counterValues, exchangeCounts, record, resetStatistics, SAMPLE_MS, sinceReset } from './rates.js';

/** A vhost's message counts: its closed channels' plus its open channels' (RabbitMQ keeps vhost stats from channels). */
export function vhostCounters(server: AmqpServer, v: VirtualHost): MessageCounters {
  const c = newCounters();
  addCounters(c, v.closedChannelStats);
  for (const conn of server.connections) {
    if (conn.vhost !== v) continue;
    for (const ch of conn.channels.values()) addCounters(c, ch.stats);
  }
  return c;
}

export interface Lengths {
  messages: number;
  messages_ready: number;
  messages_unacknowledged: number;
}

export function vhostLengths(v: VirtualHost): Lengths {
  let ready = 0;
  let unacked = 0;
  for (const q of v.queues.values()) {
    ready += q.messageCount;
    unacked += q.unacked;
  }
  return { messages: ready + unacked, messages_ready: ready, messages_unacknowledged: unacked };
}

export function octetsOf(conns: Iterable<Connection>): { recv_oct: number; send_oct: number } {
  let recv = 0;
  let send = 0;
  for (const c of conns) {
    recv += c.socket.bytesRead;
    send += c.socket.bytesWritten;
  }
  return { recv_oct: recv, send_oct: send };
}

/** The key the node's (overview's) samples are kept under. */
export function nodeKey(deps: ManagementDeps): object {
  return deps.broker;
}

/** Samples every queue, exchange, connection, channel, vhost and the node at time `t`. */
export function sampleAll(deps: ManagementDeps, t: number): void {
  const { broker, server } = deps;
  const conns = openConnections(server);
  const node = newCounters();
  const nodeLengths: Lengths = { messages: 0, messages_ready: 0, messages_unacknowledged: 0 };
  for (const v of broker.vhosts.values()) {
    for (const q of v.queues.values()) {
      const ready = q.messageCount;
      record(q, t, { ...sinceReset(q, counterValues(q.stats)), messages: ready + q.unacked, messages_ready: ready, messages_unacknowledged: q.unacked });
    }
    for (const x of v.exchanges.values()) record(x, t, exchangeCounts(x));
    const counters = vhostCounters(server, v);
    addCounters(node, counters);
    const lengths = vhostLengths(v);
    nodeLengths.messages += lengths.messages;
    nodeLengths.messages_ready += lengths.messages_ready;
    nodeLengths.messages_unacknowledged += lengths.messages_unacknowledged;
    record(v, t, { ...sinceReset(v, counterValues(counters)), ...lengths, ...octetsOf(conns.filter((c) => c.vhost === v)) }, true);
  }
  for (const conn of conns) {
    record(conn, t, { recv_oct: conn.socket.bytesRead, send_oct: conn.socket.bytesWritten });
    for (const ch of conn.channels.values()) record(ch, t, sinceReset(ch, counterValues(ch.stats)));
  }
  record(nodeKey(deps), t, { ...sinceReset(nodeKey(deps), counterValues(node)), ...nodeLengths, ...churnValues(deps) }, true);
}

/** The overview's churn_rates counts: connections, channels and queues made and gone since start. */
export function churnValues(deps: ManagementDeps): Record<string, number> {
  const t = deps.broker.totals;
  return {
    channel_closed: t.channelsClosed,
    channel_created: t.channelsOpened,
    connection_closed: t.connectionsClosed,
    connection_created: t.connectionsOpened,
    queue_created: t.queuesCreated,
    queue_declared: t.queuesDeclared,
    queue_deleted: t.queuesDeleted,
  };
}

/**
 * DELETE /api/reset: every queue, exchange, channel, vhost and the node count their message_stats from 0 again and
 * drop their samples, as RabbitMQ's reset of its statistics database; Prometheus counters are not touched.
 */
export function resetAllStatistics(deps: ManagementDeps): void {
  const { broker, server } = deps;
  const objects: Array<readonly [object, Record<string, number>]> = [];
  const node = newCounters();
  for (const v of broker.vhosts.values()) {
    for (const q of v.queues.values()) objects.push([q, counterValues(q.stats)]);
    for (const x of v.exchanges.values()) objects.push([x, { publish_in: x.publishIn, publish_out: x.publishOut }]);
    const counters = vhostCounters(server, v);
    addCounters(node, counters);
    objects.push([v, counterValues(counters)]);
  }
  for (const conn of openConnections(server)) {
    objects.push([conn, {}]);
    for (const ch of conn.channels.values()) objects.push([ch, counterValues(ch.stats)]);
  }
  objects.push([nodeKey(deps), counterValues(node)]);
  resetStatistics(objects);
}

/** Samples now and then at every 5 s boundary (RabbitMQ's timestamps are multiples of 5000 ms); returns a stop. */
export function startSampling(deps: ManagementDeps): () => void {
  const tick = () => sampleAll(deps, Math.floor(Date.now() / SAMPLE_MS) * SAMPLE_MS);
  tick();
  let interval: NodeJS.Timeout | undefined;
  const first = setTimeout(() => {
    tick();
    interval = setInterval(tick, SAMPLE_MS);
    interval.unref();
  }, SAMPLE_MS - (Date.now() % SAMPLE_MS) + 5);
  first.unref();
  return () => {
    clearTimeout(first);
    if (interval) clearInterval(interval);
  };
}
