// The headers exchange type: bindings match on message headers (x-match all/any and the -with-x variants).
import { preconditionFailed, type FieldTable } from '../../protocol/index.js';
import { headersMatch, validateXMatch } from '../headers-match.js';
import { PROP_FLAG, type Message } from '../message.js';
import type { Binding, Destination, ExchangeRouter, RouteSink } from './exchange-type.js';

export class HeadersRouter implements ExchangeRouter {
  private readonly bindings: Binding[] = [];

  validateBinding(_routingKey: string, args: FieldTable): void {
    const problem = validateXMatch(args);
    if (problem !== undefined) throw preconditionFailed(problem);
  }

  bind(binding: Binding): void {
    this.bindings.push(binding);
  }

  unbind(binding: Binding): void {
    const i = this.bindings.indexOf(binding);
    if (i >= 0) this.bindings.splice(i, 1);
  }

  route(message: Message, out: RouteSink<Destination>): void {
    if (this.bindings.length === 0) return;
    const headers = message.hasFlag(PROP_FLAG.headers) ? message.properties.headers : undefined;
    for (const b of this.bindings) if (headersMatch(b.arguments, headers)) out.add(b.destination);
  }
}
