// Direct reply-to: a channel's no-ack consumer on amq.rabbitmq.reply-to, and replies delivered straight to it.
import { randomBytes } from 'node:crypto';
import { REPLY_TO_PREFIX, type Message, type ReplyTarget } from '../broker/index.js';
import { BASIC_DELIVER, preconditionFailed } from '../protocol/index.js';
import type { MethodContext } from './methods/context.js';

export class ReplyConsumer implements ReplyTarget {
  readonly tag: string;
  /** The pseudo-queue name requests carry in reply_to: amq.rabbitmq.reply-to.<token>. */
  readonly address: string;
  private readonly channel: MethodContext;

  constructor(channel: MethodContext, tag: string) {
    this.channel = channel;
    this.tag = tag;
    this.address = REPLY_TO_PREFIX + randomBytes(18).toString('base64url');
  }

  deliverReply(message: Message): void {
    const ch = this.channel;
    if (!ch.writable) return;
    ch.send({
      id: BASIC_DELIVER,
      consumerTag: this.tag,
      deliveryTag: ch.deliveries.nextDeliveryTag(),
      redelivered: false,
      exchange: message.exchange,
      routingKey: message.routingKey,
    });
    ch.sendContent(message.propertiesRaw, message.body);
  }
}

/** basic.consume on amq.rabbitmq.reply-to: no-ack only, one per channel. */
export function startReplyConsumer(ch: MethodContext, tag: string, noAck: boolean): ReplyConsumer {
  if (!noAck) throw preconditionFailed('reply consumer cannot acknowledge');
  if (ch.replyConsumer) throw preconditionFailed('reply consumer already set');
  const consumer = new ReplyConsumer(ch, tag);
  ch.setReplyConsumer(consumer);
  ch.vhost.addReplyTarget(consumer.address, consumer);
  return consumer;
}

export function stopReplyConsumer(ch: MethodContext): void {
  const c = ch.replyConsumer;
  if (!c) return;
  ch.setReplyConsumer(undefined);
  ch.vhost.removeReplyTarget(c.address);
}
