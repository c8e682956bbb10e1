// queue.* methods on a channel: declare, bind, unbind, purge, delete.
import {
  notFound,
  QUEUE_BIND,
  QUEUE_BIND_OK,
  QUEUE_DECLARE,
  QUEUE_DECLARE_OK,
  QUEUE_DELETE,
  QUEUE_DELETE_OK,
  QUEUE_PURGE,
  QUEUE_PURGE_OK,
  QUEUE_UNBIND,
  QUEUE_UNBIND_OK,
  channelError,
  type Method,
} from '../../protocol/index.js';
import { REPLY_TO_PREFIX, REPLY_TO_QUEUE } from '../../broker/index.js';
import { authorize, authorizeTopic } from '../access.js';
import type { MethodContext } from './context.js';

const EMPTY = new Map();

/** RabbitMQ's shortcut: an empty queue name means the channel's most recently declared queue. */
export function queueName(ch: MethodContext, name: string | undefined): string {
  if (name) return name;
  if (ch.lastQueue === undefined) throw notFound('no previously declared queue');
  return ch.lastQueue;
}

export function handleQueue(ch: MethodContext, m: Method): void {
  const vhost = ch.vhost;
  const connId = ch.conn.id;
  switch (m.id) {
    case QUEUE_DECLARE: {
      const name = m.queue ?? '';
      if (name === REPLY_TO_QUEUE || name.startsWith(REPLY_TO_PREFIX)) {
        // The direct reply-to pseudo-queue, and a live reply address, answer as an empty queue with one consumer.
        if (name !== REPLY_TO_QUEUE && !vhost.hasReplyTarget(name)) throw notFound(`no queue '${name}' in vhost '${vhost.name}'`);
        if (!m.nowait) ch.send({ id: QUEUE_DECLARE_OK, queue: name, messageCount: 0, consumerCount: 1 });
        return;
      }
      if (!m.passive && name !== '') authorize(ch, 'queue', name, 'configure');
      const q = vhost.declareQueue({
        name: m.queue ?? '',
        passive: m.passive ?? false,
        durable: m.durable ?? false,
        exclusive: m.exclusive ?? false,
        autoDelete: m.autoDelete ?? false,
        arguments: m.arguments ?? EMPTY,
        connectionId: connId,
      });
      ch.rememberQueue(q.name);
      if (!m.nowait) ch.send({ id: QUEUE_DECLARE_OK, queue: q.name, messageCount: q.messageCount, consumerCount: q.consumerCount });
      return;
    }
    case QUEUE_BIND:
    case QUEUE_UNBIND: {
      const unbind = m.id === QUEUE_UNBIND;
      const name = queueName(ch, m.queue);
      const key = m.routingKey === '' && !m.queue ? name : (m.routingKey ?? '');
      authorize(ch, 'queue', name, 'write');
      authorize(ch, 'exchange', m.exchange, 'read');
      const source = vhost.exchanges.get(m.exchange);
      if (source) authorizeTopic(ch, source, key, 'read');
      if (unbind) {
        vhost.unbindQueue(name, m.exchange, key, m.arguments ?? EMPTY, connId);
        ch.send({ id: QUEUE_UNBIND_OK });
      } else {
        vhost.bindQueue(name, m.exchange, key, m.arguments ?? EMPTY, connId);
        if (!('nowait' in m && m.nowait)) ch.send({ id: QUEUE_BIND_OK });
      }
      return;
    }
    case QUEUE_PURGE: {
      const name = queueName(ch, m.queue);
      authorize(ch, 'queue', name, 'read');
      const count = vhost.queue(name, connId).purge();
      if (!m.nowait) ch.send({ id: QUEUE_PURGE_OK, messageCount: count });
      return;
    }
    case QUEUE_DELETE: {
      authorize(ch, 'queue', queueName(ch, m.queue), 'configure');
      const count = vhost.deleteQueue(queueName(ch, m.queue), m.ifUnused ?? false, m.ifEmpty ?? false, connId);
      if (!m.nowait) ch.send({ id: QUEUE_DELETE_OK, messageCount: count });
      return;
    }
    default:
      throw channelError('unexpected queue method from client');
  }
}
