// An exchange: its declared attributes, its outgoing bindings and the router of its type.
import type { FieldTable } from '../protocol/index.js';
import { Deduplicator } from './deduplication.js';
import type { Binding, ExchangeRouter } from './exchanges/index.js';

export interface ExchangeOptions {
  type: string;
  durable: boolean;
  autoDelete: boolean;
  internal: boolean;
  arguments: FieldTable;
}

/** An exchange's effective arguments: computed from its arguments (and, with policies, its policy), re-appliable. */
export interface ExchangeSettings {
  /** Where messages go that the exchange routes nowhere. */
  alternateExchange: string | undefined;
}

/** The settings an exchange's own arguments give (declare has validated them). */
export function exchangeSettings(args: FieldTable): ExchangeSettings {
  const ae = args.get('alternate-exchange');
  return { alternateExchange: ae?.type === 'S' ? ae.value : undefined };
}

export class Exchange {
  readonly name: string;
  readonly vhost: string;
  readonly type: string;
  readonly durable: boolean;
  readonly autoDelete: boolean;
  readonly internal: boolean;
  readonly arguments: FieldTable;
  readonly router: ExchangeRouter;
  /** The effective alternate exchange (argument or policy): where messages go that this exchange routes nowhere. */
  alternateExchange: string | undefined;
  /** x-message-deduplication: drops messages whose x-deduplication-header was seen. */
  readonly dedup: Deduplicator | undefined;
  /** Bindings with this exchange as source, in creation order. */
  readonly bindings: Binding[] = [];
  /** Messages published to this exchange, and those of them it routed to at least one queue (RabbitMQ's publish_in / publish_out). */
  publishIn = 0;
  publishOut = 0;

  constructor(name: string, vhost: string, opts: ExchangeOptions, router: ExchangeRouter) {
    this.name = name;
    this.vhost = vhost;
    this.type = opts.type;
    this.durable = opts.durable;
    this.autoDelete = opts.autoDelete;
    this.internal = opts.internal;
    this.arguments = opts.arguments;
    this.router = router;
    this.alternateExchange = exchangeSettings(opts.arguments).alternateExchange;
    this.dedup = Deduplicator.fromArguments(opts.arguments, describe('exchange', name, vhost));
  }

  /** Re-applies recomputed effective arguments; the next publish uses them. */
  applySettings(next: ExchangeSettings): void {
    this.alternateExchange = next.alternateExchange;
  }
}

/** RabbitMQ's resource naming in error texts: `exchange 'x' in vhost '/'`. */
export function describe(kind: 'exchange' | 'queue', name: string, vhost: string): string {
  return `${kind} '${name}' in vhost '${vhost}'`;
}
