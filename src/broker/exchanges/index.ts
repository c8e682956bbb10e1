// Exchange types registered by name; an unknown name is 503 COMMAND_INVALID.
import { commandInvalid, preconditionFailed, type FieldTable } from '../../protocol/index.js';
import { DelayedRouter, delayedType } from './delayed.js';
import { DirectRouter } from './direct.js';
import { FanoutRouter } from './fanout.js';
import { HeadersRouter } from './headers.js';
import { TopicRouter } from './topic.js';
import type { ExchangeRouter } from './exchange-type.js';

export type { Binding, Destination, ExchangeHost, ExchangeRouter } from './exchange-type.js';

const TYPES: Record<string, () => ExchangeRouter> = {
  direct: () => new DirectRouter(),
  fanout: () => new FanoutRouter(),
  topic: () => new TopicRouter(),
  headers: () => new HeadersRouter(),
};

/** The delayed-message plugin's exchange type. */
export const DELAYED = 'x-delayed-message';

export function isExchangeType(type: string): boolean {
  return Object.hasOwn(TYPES, type) || type === DELAYED;
}

/** A fresh router for a new exchange of the named type (x-delayed-message wraps its x-delayed-type). */
export function createRouter(type: string, args: FieldTable): ExchangeRouter {
  if (type === DELAYED) {
    const inner = delayedType(args);
    if (inner === DELAYED) throw preconditionFailed(`Invalid argument, '${DELAYED}' can't be used for 'x-delayed-type'`);
    // The plugin checks the name as exchange.declare checks a type: an unknown one is 503.
    if (!Object.hasOwn(TYPES, inner)) throw commandInvalid(`unknown exchange type '${inner}'`);
    return new DelayedRouter(TYPES[inner]!());
  }
  const make = Object.hasOwn(TYPES, type) ? TYPES[type] : undefined;
  if (!make) throw commandInvalid(`unknown exchange type '${type}'`);
  return make();
}
