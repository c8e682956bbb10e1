// Topic-exchange binding trie (RabbitMQ `*`/`#` semantics) plus a route cache in front of it.
import { LRUCache } from 'lru-cache';
import type { RouteSink } from './exchanges/exchange-type.js';

/**
 * Splits a routing or binding key into words exactly as RabbitMQ does:
 * "" is zero words, every other key is `key.split('.')` (so "a." is ["a", ""]).
 */
function splitKey(key: string): string[] {
  return key === '' ? [] : key.split('.');
}

class TrieNode<T> {
  /** Literal-word edges. Never holds "*" or "#"; those are the two fields below. */
  words: Map<string, TrieNode<T>> | undefined = undefined;
  star: TrieNode<T> | undefined = undefined;
  hash: TrieNode<T> | undefined = undefined;
  values: Set<T> | undefined = undefined;
  /**
   * Memo for `#` nodes: during match number `epoch`, this node has been entered at
   * every word index >= `low`. (The set of entered indexes is always such a suffix.)
   */
  epoch = 0;
  low = 0;

  child(word: string): TrieNode<T> | undefined {
    if (word === '*') return this.star;
    if (word === '#') return this.hash;
    return this.words?.get(word);
  }

  childOrCreate(word: string): TrieNode<T> {
    let c = this.child(word);
    if (c) return c;
    c = new TrieNode<T>();
    if (word === '*') this.star = c;
    else if (word === '#') this.hash = c;
    else (this.words ??= new Map()).set(word, c);
    return c;
  }

  removeChild(word: string): void {
    if (word === '*') this.star = undefined;
    else if (word === '#') this.hash = undefined;
    else if (this.words?.delete(word) && this.words.size === 0) this.words = undefined;
  }

  isEmpty(): boolean {
    return !this.words && !this.star && !this.hash && !this.values;
  }
}

/** A trie of binding keys (dot-separated words, `*` = one word, `#` = zero or more words). */
export class TopicTrie<T> {
  private readonly root = new TrieNode<T>();
  private pairs = 0;
  private epoch = 0;

  /** Number of (pattern, value) pairs stored. */
  get size(): number {
    return this.pairs;
  }

  /** Adds a binding; adding the same (pattern, value) again is a no-op. */
  add(pattern: string, value: T): void {
    let node = this.root;
    for (const w of splitKey(pattern)) node = node.childOrCreate(w);
    const values = (node.values ??= new Set());
    if (values.has(value)) return;
    values.add(value);
    this.pairs++;
  }

  /** Removes a binding, pruning nodes left empty; returns whether it was present. */
  remove(pattern: string, value: T): boolean {
    const words = splitKey(pattern);
    const path: TrieNode<T>[] = [this.root];
    let node = this.root;
    for (const w of words) {
      const c = node.child(w);
      if (!c) return false;
      path.push(c);
      node = c;
    }
    if (!node.values?.delete(value)) return false;
    if (node.values.size === 0) node.values = undefined;
    this.pairs--;
    for (let i = words.length; i > 0 && path[i]!.isEmpty(); i--) path[i - 1]!.removeChild(words[i - 1]!);
    return true;
  }

  /** Adds to `out` every value bound with a pattern matching `routingKey` (each value once). */
  match(routingKey: string, out: RouteSink<T>): void {
    this.epoch++;
    this.visit(this.root, splitKey(routingKey), 0, out);
  }

  /** Number of trie nodes, root included (diagnostics and pruning tests). */
  get nodeCount(): number {
    const count = (n: TrieNode<T>): number => {
      let c = 1;
      if (n.words) for (const child of n.words.values()) c += count(child);
      if (n.star) c += count(n.star);
      if (n.hash) c += count(n.hash);
      return c;
    };
    return count(this.root);
  }

  /** `node` has consumed words[0, i). */
  private visit(node: TrieNode<T>, words: readonly string[], i: number, out: RouteSink<T>): void {
    if (i === words.length) {
      if (node.values) for (const v of node.values) out.add(v);
    } else {
      const w = words[i]!;
      const lit = node.words?.get(w);
      if (lit) this.visit(lit, words, i + 1, out);
      if (node.star) this.visit(node.star, words, i + 1, out);
    }
    if (node.hash) this.enterHash(node.hash, words, i, out);
  }

  /**
   * Enters `#` node `h` at word index i: the `#` may swallow words[i, j) for every j >= i.
   * Entering at i implies entering at i+1, so the indexes already entered in this match
   * form a suffix [h.low, n]; only the gap before it still needs visiting. This makes the
   * whole match O(nodes x words) however many `#`s a pattern has.
   */
  private enterHash(h: TrieNode<T>, words: readonly string[], i: number, out: RouteSink<T>): void {
    let end = words.length + 1;
    if (h.epoch === this.epoch) {
      if (i >= h.low) return;
      end = h.low;
    }
    h.epoch = this.epoch;
    h.low = i;
    for (let j = i; j < end; j++) this.visit(h, words, j, out);
  }
}

/** A TopicTrie behind an LRU cache of routing key -> matched values, cleared on every change. */
export class TopicIndex<T> {
  private readonly trie = new TopicTrie<T>();
  private readonly cache: LRUCache<string, readonly T[]> | undefined;

  /** `cacheSize` 0 disables the cache. */
  constructor(cacheSize = 1024) {
    this.cache = cacheSize > 0 ? new LRUCache<string, readonly T[]>({ max: cacheSize }) : undefined;
  }

  /** Number of (pattern, value) pairs stored. */
  get size(): number {
    return this.trie.size;
  }

  add(pattern: string, value: T): void {
    const before = this.trie.size;
    this.trie.add(pattern, value);
    if (this.trie.size !== before) this.cache?.clear();
  }

  remove(pattern: string, value: T): boolean {
    const removed = this.trie.remove(pattern, value);
    if (removed) this.cache?.clear();
    return removed;
  }

  /** Adds to `out` every value whose pattern matches `routingKey`. */
  route(routingKey: string, out: RouteSink<T>): void {
    const cache = this.cache;
    if (!cache) {
      this.trie.match(routingKey, out);
      return;
    }
    let hit = cache.get(routingKey);
    if (!hit) {
      const found = new Set<T>();
      this.trie.match(routingKey, found);
      hit = [...found];
      cache.set(routingKey, hit);
    }
    for (const v of hit) out.add(v);
  }
}

/** Naive reference matcher (exponential in the worst case; used as the test oracle). */
export function topicMatches(pattern: string, routingKey: string): boolean {
  const p = splitKey(pattern);
  const k = splitKey(routingKey);
  const go = (i: number, j: number): boolean => {
    if (i === p.length) return j === k.length;
    const w = p[i];
    if (w === '#') return go(i + 1, j) || (j < k.length && go(i, j + 1));
    return j < k.length && (w === '*' || w === k[j]) && go(i + 1, j + 1);
  };
  return go(0, 0);
}
