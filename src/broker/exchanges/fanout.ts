// The fanout exchange type: every bound destination, routing key ignored.
import type { Message } from '../message.js';
import type { Binding, Destination, ExchangeRouter, RouteSink } from './exchange-type.js';

export class FanoutRouter implements ExchangeRouter {
  private readonly bindings: Binding[] = [];

  validateBinding(): void {}

  bind(binding: Binding): void {
    this.bindings.push(binding);
  }

  unbind(binding: Binding): void {
    const i = this.bindings.indexOf(binding);
    if (i >= 0) this.bindings.splice(i, 1);
  }

  route(_message: Message, out: RouteSink<Destination>): void {
    for (let i = 0; i < this.bindings.length; i++) out.add(this.bindings[i]!.destination);
  }
}
