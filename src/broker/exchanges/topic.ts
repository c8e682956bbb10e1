// The topic exchange type: dot-separated words with * and # wildcards, through the trie and its route cache.
import type { Message } from '../message.js';
import { TopicIndex } from '../topic-trie.js';
import type { Binding, Destination, ExchangeRouter, RouteSink } from './exchange-type.js';

export class TopicRouter implements ExchangeRouter {
  private readonly index = new TopicIndex<Destination>();
  /** How many bindings share each (pattern, destination) pair: the trie holds the pair once. */
  private readonly refs = new Map<string, Map<Destination, number>>();

  validateBinding(): void {}

  bind(binding: Binding): void {
    let perDest = this.refs.get(binding.routingKey);
    if (!perDest) this.refs.set(binding.routingKey, (perDest = new Map()));
    const n = perDest.get(binding.destination) ?? 0;
    perDest.set(binding.destination, n + 1);
    if (n === 0) this.index.add(binding.routingKey, binding.destination);
  }

  unbind(binding: Binding): void {
    const perDest = this.refs.get(binding.routingKey);
    const n = perDest?.get(binding.destination) ?? 0;
    if (!perDest || n === 0) return;
    if (n > 1) {
      perDest.set(binding.destination, n - 1);
      return;
    }
    perDest.delete(binding.destination);
    if (perDest.size === 0) this.refs.delete(binding.routingKey);
    this.index.remove(binding.routingKey, binding.destination);
  }

  route(message: Message, out: RouteSink<Destination>): void {
    this.index.route(message.routingKey, out);
  }
}
