// The interface every exchange type implements, and the binding record they index.
import type { FieldTable } from '../../protocol/index.js';
import type { Message } from '../message.js';
import type { Queue } from '../queue.js';
import type { Exchange } from '../exchange.js';

/** Where a binding leads: a queue, or another exchange (exchange.bind). */
export type Destination = Queue | Exchange;

export interface Binding {
  readonly source: Exchange;
  readonly destination: Destination;
  readonly routingKey: string;
  readonly arguments: FieldTable;
}

/** Routing behaviour of one exchange instance; a new one per exchange. */
export interface ExchangeRouter {
  /** Checks binding arguments; throws an AmqpError when invalid. */
  validateBinding(routingKey: string, args: FieldTable): void;
  bind(binding: Binding): void;
  unbind(binding: Binding): void;
  /** Adds every destination the message reaches to `out`. */
  route(message: Message, out: Set<Destination>): void;
}
