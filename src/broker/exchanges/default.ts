// The default exchange (""): routes to the queue named by the routing key; it cannot be bound.
import type { Message } from '../message.js';
import type { Queue } from '../queue.js';
import type { Destination, ExchangeRouter, RouteSink } from './exchange-type.js';

export class DefaultRouter implements ExchangeRouter {
  private readonly queues: ReadonlyMap<string, Queue>;

  constructor(queues: ReadonlyMap<string, Queue>) {
    this.queues = queues;
  }

  validateBinding(): void {}
  bind(): void {}
  unbind(): void {}

  route(message: Message, out: RouteSink<Destination>): void {
    const q = this.queues.get(message.routingKey);
    if (q) out.add(q);
  }
}
