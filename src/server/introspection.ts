// What the management API reads of the server's live state (unacked bytes, consumers, a channel's counts), so that
// http never walks a channel's delivery bookkeeping itself. Computed on request; nothing on the message path.
import type { Queue } from '../broker/index.js';
import type { Channel } from './channel.js';
import type { ChannelConsumer } from './deliveries.js';
import type { AmqpServer } from './server.js';

/** Messages delivered and not yet settled, per queue: their body bytes, and the oldest timestamp property among them. */
export interface UnackedByQueue {
  readonly bytes: Map<Queue, number>;
  readonly oldestTimestamp: Map<Queue, number>;
}

export function unackedByQueue(server: AmqpServer): UnackedByQueue {
  const bytes = new Map<Queue, number>();
  const oldestTimestamp = new Map<Queue, number>();
  for (const conn of server.connections) {
    for (const ch of conn.channels.values()) {
      for (const u of ch.deliveries.unacked.values()) {
        bytes.set(u.queue, (bytes.get(u.queue) ?? 0) + u.entry.message.bodySize);
        const t = u.entry.message.timestamp;
        if (t !== undefined && !(t >= (oldestTimestamp.get(u.queue) ?? Infinity))) oldestTimestamp.set(u.queue, t);
      }
    }
  }
  return { bytes, oldestTimestamp };
}

/**
 * RabbitMQ's head_message_timestamp: the oldest timestamp property among the next message to deliver and those out
 * unacked (a classic queue's pending acks count as its head), undefined when none of them has one.
 */
export function headMessageTimestamp(q: Queue, unacked: UnackedByQueue): number | undefined {
  const ready = q.headMessageTimestamp;
  const out = unacked.oldestTimestamp.get(q);
  if (ready === undefined) return out;
  return out === undefined ? ready : Math.min(ready, out);
}

/** A consumer together with the channel it lives on. */
export interface ConsumerRef {
  readonly consumer: ChannelConsumer;
  readonly channel: Channel;
}

/** Every consumer of the connections past their handshake, in accept order. */
export function allConsumers(server: AmqpServer): ConsumerRef[] {
  const out: ConsumerRef[] = [];
  for (const conn of server.connections) {
    if (conn.vhost === undefined) continue;
    for (const channel of conn.channels.values()) {
      for (const consumer of channel.deliveries.consumers.values()) out.push({ consumer, channel });
    }
  }
  return out;
}

/** A channel's counts as the management API shows them. */
export interface ChannelCounts {
  /** Consumers, the direct reply-to one included. */
  readonly consumers: number;
  /** basic.consume consumers on queues (the direct reply-to one not included). */
  readonly queueConsumers: number;
  readonly unacked: number;
  /** Publishes in confirm mode not yet acked or nacked to the client. */
  readonly unconfirmed: number;
  /** Publishes held by an open transaction. */
  readonly uncommitted: number;
  /** basic.qos with global=true (per channel) and without (per consumer). */
  readonly channelPrefetch: number;
  readonly consumerPrefetch: number;
  /** The prefetch limits of the channel's queue consumers, summed. */
  readonly consumersPrefetch: number;
}

export function channelCounts(ch: Channel): ChannelCounts {
  const d = ch.deliveries;
  return {
    consumers: d.consumers.size + (ch.replyConsumer ? 1 : 0),
    queueConsumers: d.consumers.size,
    unacked: d.unacked.size,
    unconfirmed: ch.unconfirmed,
    uncommitted: ch.uncommitted,
    channelPrefetch: d.channelPrefetch,
    consumerPrefetch: d.consumerPrefetch,
    consumersPrefetch: [...d.consumers.values()].reduce((n, c) => n + c.prefetch, 0),
  };
}
