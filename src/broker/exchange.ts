// An exchange: its declared attributes, its outgoing bindings and the router of its type.
import type { FieldTable } from '../protocol/index.js';
import { Deduplicator, deduplicationSettings, sameDeduplication, type DeduplicationSettings } from './deduplication.js';
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
  /** x-message-deduplication with its cache size, age and header; undefined when off. */
  deduplication: DeduplicationSettings | undefined;
}

/** The settings these (effective) arguments give; throws the 406 of a bad deduplication argument. */
export function exchangeSettings(args: FieldTable, resource: string): ExchangeSettings {
  const ae = args.get('alternate-exchange');
  return { alternateExchange: ae?.type === 'S' ? ae.value : undefined, deduplication: deduplicationSettings(args, resource) };
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
  /** x-message-deduplication (argument or policy): drops messages whose id was seen. */
  dedup: Deduplicator | undefined;
  private deduplication: DeduplicationSettings | undefined;
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
    const own = exchangeSettings(opts.arguments, describe('exchange', name, vhost));
    this.alternateExchange = own.alternateExchange;
    this.deduplication = own.deduplication;
    this.dedup = Deduplicator.of(own.deduplication);
  }

  /** Re-applies recomputed effective arguments; the next publish uses them (a deduplicator whose settings stay keeps its cache). */
  applySettings(next: ExchangeSettings): void {
    this.alternateExchange = next.alternateExchange;
    if (!sameDeduplication(this.deduplication, next.deduplication)) this.dedup = Deduplicator.of(next.deduplication);
    this.deduplication = next.deduplication;
  }
}

/** RabbitMQ's resource naming in error texts: `exchange 'x' in vhost '/'`. */
export function describe(kind: 'exchange' | 'queue', name: string, vhost: string): string {
  return `${kind} '${name}' in vhost '${vhost}'`;
}
