// exchange.* methods on a channel: declare, delete, bind, unbind (exchange-to-exchange).
import {
  EXCHANGE_BIND,
  EXCHANGE_BIND_OK,
  EXCHANGE_DECLARE,
  EXCHANGE_DECLARE_OK,
  EXCHANGE_DELETE,
  EXCHANGE_DELETE_OK,
  EXCHANGE_UNBIND,
  EXCHANGE_UNBIND_OK,
  channelError,
  type Method,
} from '../../protocol/index.js';
import { authorize, authorizeTopic } from '../access.js';
import type { MethodContext } from './context.js';

const EMPTY = new Map();

export function handleExchange(ch: MethodContext, m: Method): void {
  const vhost = ch.vhost;
  switch (m.id) {
    case EXCHANGE_DECLARE:
      if (!m.passive) authorize(ch, 'exchange', m.exchange, 'configure');
      vhost.declareExchange({
        name: m.exchange,
        type: m.type ?? 'direct',
        passive: m.passive ?? false,
        durable: m.durable ?? false,
        autoDelete: m.autoDelete ?? false,
        internal: m.internal ?? false,
        arguments: m.arguments ?? EMPTY,
      });
      if (!m.nowait) ch.send({ id: EXCHANGE_DECLARE_OK });
      return;
    case EXCHANGE_DELETE:
      authorize(ch, 'exchange', m.exchange, 'configure');
      vhost.deleteExchange(m.exchange, m.ifUnused ?? false);
      if (!m.nowait) ch.send({ id: EXCHANGE_DELETE_OK });
      return;
    case EXCHANGE_BIND:
    case EXCHANGE_UNBIND: {
      const unbind = m.id === EXCHANGE_UNBIND;
      authorize(ch, 'exchange', m.destination, 'write');
      authorize(ch, 'exchange', m.source, 'read');
      const source = vhost.exchanges.get(m.source);
      if (source) authorizeTopic(ch, source, m.routingKey ?? '', 'read');
      vhost.bindExchange(m.destination, m.source, m.routingKey ?? '', m.arguments ?? EMPTY, unbind);
      if (!m.nowait) ch.send({ id: unbind ? EXCHANGE_UNBIND_OK : EXCHANGE_BIND_OK });
      return;
    }
    default:
      throw channelError('unexpected exchange method from client');
  }
}
