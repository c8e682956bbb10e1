// basic.* methods on a channel: qos, consume, cancel, publish (with returns, confirms, transactions), get, ack, nack, reject, recover.
import { randomBytes } from 'node:crypto';
import { Message, PROP_FLAG, type Exchange } from '../../broker/index.js';
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
  type BasicPublish,
  type Method,
} from '../../protocol/index.js';
import type { Channel } from '../channel.js';
import { ChannelConsumer } from '../deliveries.js';
import { queueName } from './queue.js';

export function handleBasic(ch: Channel, m: Method): void {
  const d = ch.deliveries;
  switch (m.id) {
    case BASIC_QOS:
      if (m.prefetchSize) throw notImplemented(`prefetch_size!=0 (${m.prefetchSize})`);
      if (m.global) d.channelPrefetch = m.prefetchCount ?? 0;
      else d.consumerPrefetch = m.prefetchCount ?? 0;
      ch.send({ id: BASIC_QOS_OK });
      d.resume();
      return;
    case BASIC_CONSUME:
      return consume(ch, m.queue, m.consumerTag ?? '', m.noAck ?? false, m.exclusive ?? false, m.nowait ?? false);
    case BASIC_CANCEL:
      d.cancel(m.consumerTag);
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

function consume(ch: Channel, name: string | undefined, tag: string, noAck: boolean, exclusive: boolean, nowait: boolean): void {
  const q = ch.vhost.queue(queueName(ch, name), ch.conn.id);
  const d = ch.deliveries;
  if (tag === '') tag = 'amq.ctag-' + randomBytes(16).toString('base64url');
  else if (d.consumers.has(tag)) throw notAllowed(`attempt to reuse consumer tag '${tag}'`);
  if (q.consumers.some((c) => c.exclusive) || (exclusive && q.consumerCount > 0)) {
    throw accessRefused(`queue '${q.name}' in vhost '${q.vhost}' in exclusive use`);
  }
  const consumer = new ChannelConsumer(d, q, tag, noAck, exclusive, d.consumerPrefetch);
  // consume-ok goes out before the first delivery.
  if (!nowait) ch.send({ id: BASIC_CONSUME_OK, consumerTag: tag });
  d.addConsumer(consumer);
}

function get(ch: Channel, name: string | undefined, noAck: boolean): void {
  const q = ch.vhost.queue(queueName(ch, name), ch.conn.id);
  const entry = q.get(noAck);
  if (!entry) {
    ch.send({ id: BASIC_GET_EMPTY, clusterId: '' });
    return;
  }
  const tag = ch.deliveries.takeForGet(q, entry, noAck);
  const msg = entry.message;
  ch.send({
    id: BASIC_GET_OK,
    deliveryTag: tag,
    redelivered: entry.redelivered,
    exchange: msg.exchange,
    routingKey: msg.routingKey,
    messageCount: q.messageCount,
  });
  ch.conn.output.content(ch.id, msg.propertiesRaw, msg.body);
}

/** A publish whose content has fully arrived. */
export function publishContent(ch: Channel, m: BasicPublish, propertiesRaw: Buffer, body: Buffer): void {
  if (m.immediate) throw notImplemented('immediate=true');
  const exchange = ch.vhost.exchange(m.exchange ?? '');
  if (exchange.internal) throw accessRefused(`cannot publish to internal exchange '${exchange.name}' in vhost '${exchange.vhost}'`);
  const message = new Message(exchange.name, m.routingKey ?? '', propertiesRaw, body);
  if (message.hasFlag(PROP_FLAG.userId)) {
    const userId = message.properties.userId;
    if (userId !== ch.conn.username) {
      throw preconditionFailed(`user_id property set to '${userId}' but authenticated user was '${ch.conn.username}'`);
    }
  }
  if (ch.txMode) {
    ch.txPublishes.push({ exchange, message, mandatory: m.mandatory ?? false });
    return;
  }
  route(ch, exchange, message, m.mandatory ?? false);
  if (ch.confirmMode) confirm(ch);
}

function route(ch: Channel, exchange: Exchange, message: Message, mandatory: boolean): void {
  const reached = ch.vhost.publish(exchange, message);
  if (reached === 0 && mandatory) {
    ch.send({ id: BASIC_RETURN, replyCode: REPLY.NO_ROUTE, replyText: 'NO_ROUTE', exchange: message.exchange, routingKey: message.routingKey });
    ch.conn.output.content(ch.id, message.propertiesRaw, message.body);
  }
}

/** Confirms the next publish sequence number; acks go out batched (multiple=true) once per tick. */
function confirm(ch: Channel): void {
  ch.publishSeq += 1;
  ch.confirmedUpTo = ch.publishSeq;
  ch.confirmsPending += 1;
  if (ch.confirmsPending === 1) queueMicrotask(() => flushConfirms(ch));
}

function flushConfirms(ch: Channel): void {
  const count = ch.confirmsPending;
  ch.confirmsPending = 0;
  if (count === 0 || ch.state !== 'open') return;
  ch.send({ id: BASIC_ACK, deliveryTag: ch.confirmedUpTo, multiple: count > 1 });
}

export function commitPublishes(ch: Channel): void {
  const list = ch.txPublishes;
  ch.txPublishes = [];
  for (const p of list) route(ch, p.exchange, p.message, p.mandatory);
}

export function rollbackPublishes(ch: Channel): void {
  ch.txPublishes = [];
}

