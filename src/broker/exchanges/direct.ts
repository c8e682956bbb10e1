// The direct exchange type: a destination per exact routing key.
import type { Message } from '../message.js';
import type { Binding, Destination, ExchangeRouter, RouteSink } from './exchange-type.js';

export class DirectRouter implements ExchangeRouter {
  private readonly byKey = new Map<string, Binding[]>();

  validateBinding(): void {}

  bind(binding: Binding): void {
    const list = this.byKey.get(binding.routingKey);
    if (list) list.push(binding);
    else this.byKey.set(binding.routingKey, [binding]);
  }

  unbind(binding: Binding): void {
    const list = this.byKey.get(binding.routingKey);
    if (!list) return;
    const i = list.indexOf(binding);
    if (i >= 0) list.splice(i, 1);
    if (list.length === 0) this.byKey.delete(binding.routingKey);
  }

  route(message: Message, out: RouteSink<Destination>): void {
    const list = this.byKey.get(message.routingKey);
    if (!list) return;
    for (let i = 0; i < list.length; i++) out.add(list[i]!.destination);
  }
}
