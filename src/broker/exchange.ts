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

export class Exchange {
  readonly name: string;
  readonly vhost: string;
  readonly type: string;
  readonly durable: boolean;
  readonly autoDelete: boolean;
  readonly internal: boolean;
  readonly arguments: FieldTable;
  readonly router: ExchangeRouter;
  /** The `alternate-exchange` argument: where messages go that this exchange routes nowhere. */
  readonly alternateExchange: string | undefined;
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
    const ae = opts.arguments.get('alternate-exchange');
    this.alternateExchange = ae?.type === 'S' ? ae.value : undefined;
    this.dedup = Deduplicator.fromArguments(opts.arguments, describe('exchange', name, vhost));
  }
}

/** RabbitMQ's resource naming in error texts: `exchange 'x' in vhost '/'`. */
export function describe(kind: 'exchange' | 'queue', name: string, vhost: string): string {
  return `${kind} '${name}' in vhost '${vhost}'`;
}
