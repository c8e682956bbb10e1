// basic.* methods on a channel: qos, consume, cancel, publish (with returns, confirms, transactions), get, ack, nack, reject, recover.
import { randomBytes } from 'node:crypto';
import { checkPublishedProperties, Message, messageSizeBucket, parseConsumeArguments, PROP_FLAG, publishTarget, REPLY_TO_QUEUE, type Exchange } from '../../broker/index.js';
import {
  accessRefused,
  BASIC_ACK,
  BASIC_CANCEL,
  BASIC_CANCEL_OK,
  BASIC_CONSUME,
  BASIC_CONSUME_OK,
  BASIC_GET,
  BASIC_GET_EMPTY,
  BASIC_GET_OK,
  BASIC_NACK,
  BASIC_QOS,
  BASIC_QOS_OK,
  BASIC_RECOVER,
  BASIC_RECOVER_ASYNC,
  BASIC_RECOVER_OK,
  BASIC_REJECT,
  BASIC_RETURN,
  channelError,
  notAllowed,
  notImplemented,
  preconditionFailed,
  REPLY,
  type FieldTable,
  type BasicPublish,
  type Method,
} from '../../protocol/index.js';
import { authorize, publisherOf } from '../access.js';
import type { MethodContext } from './context.js';
import type { ChannelExchangeCounters } from '../channel-object-stats.js';
import { queueName } from './queue.js';
import { startReplyConsumer, stopReplyConsumer } from '../direct-reply.js';

export function handleBasic(ch: MethodContext, m: Method): void {
  const d = ch.deliveries;
  switch (m.id) {
    case BASIC_QOS:
      if (m.prefetchSize) throw notImplemented(`prefetch_size!=0 (${m.prefetchSize})`);
      if (m.global) {
        d.channelPrefetch = m.prefetchCount ?? 0;
      } else {
        // As RabbitMQ: a per-consumer qos also lifts any channel-wide limit.
        d.consumerPrefetch = m.prefetchCount ?? 0;
        d.channelPrefetch = 0;
      }
      ch.send({ id: BASIC_QOS_OK });
      d.resume();
      return;
    case BASIC_CONSUME:
      return consume(ch, m.queue, m.consumerTag ?? '', m.noAck ?? false, m.exclusive ?? false, m.nowait ?? false, m.arguments);
    case BASIC_CANCEL:
      if (ch.replyConsumer?.tag === m.consumerTag) stopReplyConsumer(ch);
      else d.cancel(m.consumerTag);
      if (!m.nowait) ch.send({ id: BASIC_CANCEL_OK, consumerTag: m.consumerTag });
      return;
    case BASIC_GET:
      return get(ch, m.queue, m.noAck ?? false);
    case BASIC_ACK:
      d.ack(m.deliveryTag ?? 0, m.multiple ?? false);
      return;
    case BASIC_NACK:
      d.nack(m.deliveryTag ?? 0, m.multiple ?? false, m.requeue ?? true);
      return;
    case BASIC_REJECT:
      d.nack(m.deliveryTag, false, m.requeue ?? true);
      return;
    case BASIC_RECOVER:
      if (!m.requeue) throw notImplemented('requeue=false');
      d.recover();
      ch.send({ id: BASIC_RECOVER_OK });
      return;
    case BASIC_RECOVER_ASYNC:
      throw notImplemented('recover_async');
    default:
      throw channelError('unexpected basic method from client');
  }
}

function consume(
  ch: MethodContext,
  name: string | undefined,
  tag: string,
  noAck: boolean,
  exclusive: boolean,
  nowait: boolean,
  args: FieldTable | undefined,
): void {
  const d = ch.deliveries;
  if (tag === '') tag = 'amq.ctag-' + randomBytes(16).toString('base64url');
  else if (d.consumers.has(tag) || ch.replyConsumer?.tag === tag) throw notAllowed(`attempt to reuse consumer tag '${tag}'`);
  if (name === REPLY_TO_QUEUE) {
    startReplyConsumer(ch, tag, noAck);
    if (!nowait) ch.send({ id: BASIC_CONSUME_OK, consumerTag: tag });
    return;
  }
  authorize(ch, 'queue', queueName(ch, name), 'read');
  const q = ch.vhost.queue(queueName(ch, name), ch.conn.id);
  const resource = `queue '${q.name}' in vhost '${q.vhost}'`;
  const priority = parseConsumeArguments(args, q.settings.type, resource);
  if (q.consumers.some((c) => c.exclusive) || (exclusive && (q.consumerCount > 0 || q.settings.singleActiveConsumer))) {
    throw accessRefused(`${resource} in exclusive use`);
  }
  // The type's own refusals first (a stream without a per-consumer prefetch: 406, also under a global qos).
  q.checkConsume(noAck, d.consumerPrefetch, args);
  if (!q.type.globalQos && d.channelPrefetch > 0) throw notImplemented(`${resource} does not support global qos`);
  const prefetch = d.consumerPrefetch;
  // consume-ok goes out before the first delivery.
  if (!nowait) ch.send({ id: BASIC_CONSUME_OK, consumerTag: tag });
  d.addConsumer(q, tag, { noAck, exclusive, prefetch, priority, arguments: args });
}

function get(ch: MethodContext, name: string | undefined, noAck: boolean): void {
  authorize(ch, 'queue', queueName(ch, name), 'read');
  const q = ch.vhost.queue(queueName(ch, name), ch.conn.id);
  const entry = q.get(noAck);
  const stats = ch.stats;
  const qc = ch.objectStats.queue(q);
  if (!entry) {
    stats.getEmpty += 1;
    qc.getEmpty += 1;
    ch.send({ id: BASIC_GET_EMPTY, clusterId: '' });
    return;
  }
  stats.delivered += 1;
  if (noAck) {
    stats.getNoAck += 1;
    qc.getNoAck += 1;
  } else {
    stats.get += 1;
    qc.get += 1;
  }
  if (entry.redelivered) {
    stats.redelivered += 1;
    qc.redelivered += 1;
  }
  const tag = ch.deliveries.takeForGet(q, entry, noAck);
  const msg = entry.delivery ?? entry.message;
  ch.vhost.tracer?.delivered(q.name, msg, entry.redelivered, ch.traceOrigin);
  ch.send({
    id: BASIC_GET_OK,
    deliveryTag: tag,
    redelivered: entry.redelivered,
    exchange: msg.exchange,
    routingKey: msg.routingKey,
    messageCount: q.messageCount,
  });
  ch.sendContent(msg.propertiesRaw, msg.body);
}

/** Properties that need checks or rewriting before routing: user_id, expiration, direct reply-to. */
const CHECKED_FLAGS = PROP_FLAG.userId | PROP_FLAG.expiration | PROP_FLAG.replyTo;

/** A publish whose content has fully arrived. */
export function publishContent(ch: MethodContext, m: BasicPublish, propertiesRaw: Buffer, body: Buffer, routingRaw?: Buffer): void {
  if (m.immediate) throw notImplemented('immediate=true');
  const conn = ch.conn;
  const totals = conn.ctx.broker.totals;
  totals.published += 1;
  totals.messageSizes[messageSizeBucket(body.length)]! += 1;
  totals.messageSizeSum += body.length;
  if (ch.confirmMode) totals.receivedConfirm += 1;
  ch.stats.published += 1;
  if (!conn.hasPublished) conn.hasPublished = true;
  const alarm = conn.ctx.blockReason();
  // A resource alarm blocks a publisher at its next publish (this one is still taken, as in RabbitMQ).
  if (alarm !== undefined) conn.block(alarm);
  const exchange = publishTarget(ch.vhost, publisherOf(ch), m.exchange ?? '', m.routingKey ?? '');
  const counters = ch.objectStats.exchange(exchange);
  counters.published += 1;
  let message = new Message(exchange.name, m.routingKey ?? '', propertiesRaw, body);
  // The frame's exchange and routing-key short strings go out as they came in basic.deliver (not for 'amq.default').
  if (routingRaw !== undefined && exchange.name === m.exchange) message.routingRaw = routingRaw;
  // Properties are validated here, on the publisher's connection (a malformed list is its error), and decoded once;
  // routing, expiry and dead-lettering read them later, some from timers where an error would have no connection.
  if (propertiesRaw.length !== 2 || propertiesRaw[0] !== 0 || propertiesRaw[1] !== 0) void message.properties;
  if (message.hasFlag(CHECKED_FLAGS)) message = checkProperties(ch, message);
  if (ch.txMode) {
    ch.hold({ exchange, message, mandatory: m.mandatory ?? false });
    return;
  }
  const accepted = route(ch, exchange, message, m.mandatory ?? false, counters);
  const durable = ch.vhost.persistence?.takeDirty() ?? false;
  if (ch.confirmMode) ch.confirm(accepted, durable, counters);
}

function checkProperties(ch: MethodContext, message: Message): Message {
  checkPublishedProperties(message, ch.conn.username);
  const props = message.properties;
  if (props.replyTo === REPLY_TO_QUEUE) {
    if (!ch.replyConsumer) throw preconditionFailed('fast reply consumer does not exist');
    message = message.withProperties({ ...props, replyTo: ch.replyConsumer.address });
  }
  return message;
}

/** Routes one message; returns false when a queue refused it (the publisher's confirm is then a nack). */
function route(ch: MethodContext, exchange: Exchange, message: Message, mandatory: boolean, counters: ChannelExchangeCounters): boolean {
  const vhost = ch.vhost;
  const outcome = vhost.publish(exchange, message, vhost.tracer !== undefined ? ch.traceOrigin : undefined, counters.queues);
  const accepted = outcome.rejected === 0;
  if (outcome.routed === 0) {
    if (mandatory) {
      ch.stats.returnUnroutable += 1;
      counters.returnUnroutable += 1;
      ch.conn.ctx.broker.totals.returnUnroutable += 1;
    } else {
      ch.stats.dropUnroutable += 1;
      counters.dropUnroutable += 1;
    }
  }
  if (outcome.routed === 0 && mandatory) {
    ch.send({ id: BASIC_RETURN, replyCode: REPLY.NO_ROUTE, replyText: 'NO_ROUTE', exchange: message.exchange, routingKey: message.routingKey });
    ch.sendContent(message.propertiesRaw, message.body);
  }
  return accepted;
}

/** tx.commit: routes the held publishes; returns true when some were written and need a sync before commit-ok. */
export function commitPublishes(ch: MethodContext): boolean {
  for (const p of ch.takeHeld()) route(ch, p.exchange, p.message, p.mandatory, ch.objectStats.exchange(p.exchange));
  return ch.vhost.persistence?.takeDirty() ?? false;
}

export function rollbackPublishes(ch: MethodContext): void {
  ch.takeHeld();
}

