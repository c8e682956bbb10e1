// What a method handler sees of its channel: replies (gated by `writable`), its deliveries, vhost and connection, and the
// channel's publishing state (confirm or tx mode, held publishes, reply consumer, last queue) changed only through methods.
import type { Exchange, Message, MessageCounters, VirtualHost, TraceOrigin } from '../../broker/index.js';
import type { Method } from '../../protocol/index.js';
import type { Connection } from '../connection.js';
import type { Deliveries } from '../deliveries.js';
import type { ReplyConsumer } from '../direct-reply.js';
import type { ChannelExchangeCounters, ChannelObjectStats } from '../channel-object-stats.js';

/** A publish a transaction holds until tx.commit. */
export interface HeldPublish {
  readonly exchange: Exchange;
  readonly message: Message;
  readonly mandatory: boolean;
}

export interface MethodContext {
  readonly id: number;
  readonly conn: Connection;
  readonly vhost: VirtualHost;
  /** Who publishes and receives on this channel, for the firehose (made on first use). */
  readonly traceOrigin: TraceOrigin;
  /** Consumers, unacked deliveries, prefetch. */
  readonly deliveries: Deliveries;
  /** The channel's message counts (RabbitMQ's channel message_stats). */
  readonly stats: MessageCounters;
  /** The same counts per exchange published to and per queue taken from (RabbitMQ's channel_exchange/queue_metrics). */
  readonly objectStats: ChannelObjectStats;
  /** False once either side sent channel.close or the connection is closing: nothing but the close handshake goes out. */
  readonly writable: boolean;
  /** A method frame, unless the channel is no longer writable. */
  send(m: Method): void;
  /** Content header and body after a method sent with `send`, unless the channel is no longer writable. */
  sendContent(propertiesRaw: Buffer, body: Buffer): void;

  readonly confirmMode: boolean;
  readonly txMode: boolean;
  /** confirm.select was seen (the handler refuses it on a transactional channel). */
  selectConfirms(): void;
  /** tx.select was seen (the handler refuses it on a channel in confirm mode). */
  selectTx(): void;
  /** In confirm mode: settles the next publish, after the store's sync when `durable`. */
  confirm(accepted: boolean, durable: boolean, counters: ChannelExchangeCounters): void;
  /** In tx mode: holds a publish until commit. */
  hold(p: HeldPublish): void;
  /** Hands over (and forgets) the publishes held since the last commit or rollback. */
  takeHeld(): HeldPublish[];

  /** The amq.rabbitmq.reply-to consumer of this channel, if any. */
  readonly replyConsumer: ReplyConsumer | undefined;
  setReplyConsumer(c: ReplyConsumer | undefined): void;

  /** Queue most recently declared on this channel (the "" shortcut in later methods). */
  readonly lastQueue: string | undefined;
  rememberQueue(name: string): void;
}
