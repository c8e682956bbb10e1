// The x-delayed-message exchange type (as RabbitMQ's delayed-message plugin): routes like its x-delayed-type, later.
import { preconditionFailed, type FieldTable } from '../../protocol/index.js';
import { PROP_FLAG, type Message } from '../message.js';
import type { DelayedStore } from '../persistence.js';
import type { Binding, Destination, ExchangeRouter } from './exchange-type.js';

/** Routing of the underlying type; the vhost holds delayed messages and routes them through this when due. */
export class DelayedRouter implements ExchangeRouter {
  readonly inner: ExchangeRouter;
  /** Where persistent waiting messages are kept when the exchange is durable (and the broker has a store). */
  store: DelayedStore | undefined;
  /** Id of the next stored message (ascending, as the store's segments expect). */
  nextId = 0;

  constructor(inner: ExchangeRouter) {
    this.inner = inner;
  }

  validateBinding(routingKey: string, args: FieldTable): void {
    this.inner.validateBinding(routingKey, args);
  }

  bind(binding: Binding): void {
    this.inner.bind(binding);
  }

  unbind(binding: Binding): void {
    this.inner.unbind(binding);
  }

  route(message: Message, out: Set<Destination>): void {
    this.inner.route(message, out);
  }
}

/** Longest x-delay honoured (the plugin's 32-bit limit); a larger value routes at once. */
export const MAX_DELAY = 2 ** 32 - 1;

/** The x-delay header in ms when positive and within MAX_DELAY (the message must wait), else 0. */
export function delayOf(message: Message): number {
  if (!message.hasFlag(PROP_FLAG.headers)) return 0;
  const v = message.properties.headers?.get('x-delay');
  if (v === undefined) return 0;
  const n = typeof v.value === 'number' || typeof v.value === 'bigint' ? Number(v.value) : v.type === 'S' ? Number(v.value) : NaN;
  return Number.isFinite(n) && n > 0 && n <= MAX_DELAY ? Math.floor(n) : 0;
}

export function delayedType(args: FieldTable): string {
  const t = args.get('x-delayed-type');
  if (t?.type !== 'S') throw preconditionFailed(`Invalid argument, 'x-delayed-type' must be an existing exchange type`);
  return t.value;
}
