// The interface every exchange type implements, the binding record they index, and what a type with its own lifecycle gets from its vhost.
import type { Clock } from '../clock.js';
import type { FieldTable } from '../../protocol/index.js';
import type { Message } from '../message.js';
import type { InternalErrorReporter } from '../internal-errors.js';
import type { MessagePersistence } from '../persistence.js';
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

/** What the vhost offers a router that holds messages itself (x-delayed-message). */
export interface ExchangeHost {
  readonly vhost: string;
  readonly exchange: Exchange;
  /** Durable storage (undefined: in memory only). */
  readonly persistence: MessagePersistence | undefined;
  /** Where an exception in the router's timer work is reported. */
  readonly reportInternalError: InternalErrorReporter;
  /** The broker's clock (delays are measured on it). */
  readonly clock: Clock;
  /** True while `exchange` is still the vhost's exchange of that name. */
  isCurrent(): boolean;
  /** Routes the message through the exchange's bindings as they are now and enqueues it. */
  routeNow(message: Message): void;
}

/** What a router adds the destinations it finds to (the publish's RouteSet; a Set works as well). */
export interface RouteSink<T> {
  add(value: T): unknown;
}

/** Routing behaviour of one exchange instance; a new one per exchange. */
export interface ExchangeRouter {
  /** Checks binding arguments; throws an AmqpError when invalid. */
  validateBinding(routingKey: string, args: FieldTable): void;
  bind(binding: Binding): void;
  unbind(binding: Binding): void;
  /** Adds every destination the message reaches to `out`. */
  route(message: Message, out: RouteSink<Destination>): void;
  /** The exchange was created (or recovered at boot). */
  onDeclare?(host: ExchangeHost): void;
  /** The exchange was deleted: anything the router holds goes with it. */
  onDelete?(): void;
  /** True when the router keeps the message to route it later itself (nothing is routed now). */
  routeLater?(message: Message): boolean;
}
