// Exchange types registered by name; an unknown name is 503 COMMAND_INVALID.
import { commandInvalid } from '../../protocol/index.js';
import { DirectRouter } from './direct.js';
import { FanoutRouter } from './fanout.js';
import { HeadersRouter } from './headers.js';
import { TopicRouter } from './topic.js';
import type { ExchangeRouter } from './exchange-type.js';

export type { Binding, Destination, ExchangeRouter } from './exchange-type.js';

const TYPES: Record<string, () => ExchangeRouter> = {
  direct: () => new DirectRouter(),
  fanout: () => new FanoutRouter(),
  topic: () => new TopicRouter(),
  headers: () => new HeadersRouter(),
};

export function isExchangeType(type: string): boolean {
  return Object.hasOwn(TYPES, type);
}

/** A fresh router for a new exchange of the named type. */
export function createRouter(type: string): ExchangeRouter {
  const make = Object.hasOwn(TYPES, type) ? TYPES[type] : undefined;
  if (!make) throw commandInvalid(`unknown exchange type '${type}'`);
  return make();
}
