// A virtual host: its exchanges, queues and bindings, changed only through apply(), and message routing.
import { randomBytes } from 'node:crypto';
import {
  accessRefused,
  notFound,
  preconditionFailed,
  resourceLocked,
  tablesEqual,
  type FieldTable,
} from '../protocol/index.js';
import {
  assertArgsEquivalent,
  assertFlagEquivalent,
  EXCHANGE_EQUIVALENCE_ARGS,
  QUEUE_EQUIVALENCE_ARGS,
} from './equivalence.js';
import { describe, Exchange } from './exchange.js';
import { DefaultRouter } from './exchanges/default.js';
import { createRouter, isExchangeType, type Binding, type Destination } from './exchanges/index.js';
import { commandInvalid } from '../protocol/index.js';
import type { Message } from './message.js';
import { Queue, type QueueEvents } from './queue.js';

/** A definition change: the single path every declare, delete, bind and unbind takes (and what a log would record). */
export type DefinitionChange =
  | { op: 'exchange.declare'; name: string; type: string; durable: boolean; autoDelete: boolean; internal: boolean; arguments: FieldTable }
  | { op: 'exchange.delete'; name: string }
  | { op: 'queue.declare'; name: string; durable: boolean; exclusive: boolean; autoDelete: boolean; arguments: FieldTable; owner: number | undefined }
  | { op: 'queue.delete'; name: string }
  | { op: 'bind' | 'unbind'; source: string; destination: string; destinationKind: 'queue' | 'exchange'; routingKey: string; arguments: FieldTable };

export type ChangeListener = (vhost: VirtualHost, change: DefinitionChange) => void;

export interface QueueDeclareRequest {
  name: string;
  passive: boolean;
  durable: boolean;
  exclusive: boolean;
  autoDelete: boolean;
  arguments: FieldTable;
  connectionId: number;
}

export interface ExchangeDeclareRequest {
  name: string;
  type: string;
  passive: boolean;
  durable: boolean;
  autoDelete: boolean;
  internal: boolean;
  arguments: FieldTable;
}

const PREDECLARED: ReadonlyArray<[string, string]> = [
  ['amq.direct', 'direct'],
  ['amq.fanout', 'fanout'],
  ['amq.topic', 'topic'],
  ['amq.headers', 'headers'],
  ['amq.match', 'headers'],
];

const EMPTY_TABLE: FieldTable = new Map();

export class VirtualHost implements QueueEvents {
  readonly name: string;
  readonly exchanges = new Map<string, Exchange>();
  readonly queues = new Map<string, Queue>();
  /** Bindings by destination, for removal when a queue or exchange goes. */
  private readonly inbound = new Map<Destination, Set<Binding>>();
  private readonly listeners: ChangeListener[] = [];
  /** Scratch set reused by every publish (routing is synchronous). */
  private readonly routed = new Set<Destination>();
  private routing = false;

  constructor(name: string) {
    this.name = name;
    const defaultExchange = new Exchange(
      '',
      name,
      { type: 'direct', durable: true, autoDelete: false, internal: false, arguments: EMPTY_TABLE },
      new DefaultRouter(this.queues),
    );
    this.exchanges.set('', defaultExchange);
    for (const [xname, type] of PREDECLARED) {
      this.apply({ op: 'exchange.declare', name: xname, type, durable: true, autoDelete: false, internal: false, arguments: EMPTY_TABLE });
    }
  }

  onChange(listener: ChangeListener): void {
    this.listeners.push(listener);
  }

  // ---- the mutation path -------------------------------------------------

  /** Applies a validated change and tells the listeners. Boot-time replay calls this too. */
  apply(change: DefinitionChange): void {
    switch (change.op) {
      case 'exchange.declare': {
        const router = createRouter(change.type);
        this.exchanges.set(change.name, new Exchange(change.name, this.name, change, router));
        break;
      }
      case 'exchange.delete': {
        const ex = this.exchanges.get(change.name);
        if (!ex) return;
        this.exchanges.delete(change.name);
        for (const b of [...ex.bindings]) this.removeBinding(b, false);
        for (const b of [...(this.inbound.get(ex) ?? [])]) this.removeBinding(b, true);
        this.inbound.delete(ex);
        break;
      }
      case 'queue.declare': {
        this.queues.set(change.name, new Queue(change.name, this.name, change, this));
        break;
      }
      case 'queue.delete': {
        const q = this.queues.get(change.name);
        if (!q) return;
        this.queues.delete(change.name);
        for (const b of [...(this.inbound.get(q) ?? [])]) this.removeBinding(b, true);
        this.inbound.delete(q);
        break;
      }
      case 'bind':
      case 'unbind': {
        const source = this.exchanges.get(change.source);
        const dest = change.destinationKind === 'queue' ? this.queues.get(change.destination) : this.exchanges.get(change.destination);
        if (!source || !dest) return;
        if (change.op === 'bind') {
          if (this.findBinding(source, dest, change.routingKey, change.arguments)) return;
          const b: Binding = { source, destination: dest, routingKey: change.routingKey, arguments: change.arguments };
          source.bindings.push(b);
          source.router.bind(b);
          let set = this.inbound.get(dest);
          if (!set) this.inbound.set(dest, (set = new Set()));
          set.add(b);
        } else {
          const b = this.findBinding(source, dest, change.routingKey, change.arguments);
          if (b) this.removeBinding(b, true);
        }
        break;
      }
    }
    for (const l of this.listeners) l(this, change);
  }

  private findBinding(source: Exchange, dest: Destination, key: string, args: FieldTable): Binding | undefined {
    return source.bindings.find((b) => b.destination === dest && b.routingKey === key && tablesEqual(b.arguments, args));
  }

  /** Drops a binding; an auto-delete source exchange goes with its last binding. */
  private removeBinding(b: Binding, maybeAutoDelete: boolean): void {
    const src = b.source;
    const i = src.bindings.indexOf(b);
    if (i >= 0) src.bindings.splice(i, 1);
    src.router.unbind(b);
    this.inbound.get(b.destination)?.delete(b);
    if (maybeAutoDelete && src.autoDelete && src.bindings.length === 0 && this.exchanges.get(src.name) === src) {
      this.apply({ op: 'exchange.delete', name: src.name });
    }
  }

  // ---- exchanges ---------------------------------------------------------

  declareExchange(req: ExchangeDeclareRequest): Exchange {
    if (!req.passive && !isExchangeType(req.type)) throw commandInvalid(`unknown exchange type '${req.type}'`);
    if (req.name === '') {
      if (req.passive) return this.exchanges.get('')!;
      throw accessRefused('operation not permitted on the default exchange');
    }
    const existing = this.exchanges.get(req.name);
    if (req.passive) {
      if (!existing) throw notFound(`no ${describe('exchange', req.name, this.name)}`);
      return existing;
    }
    if (!existing) {
      if (req.name.startsWith('amq.')) {
        throw accessRefused(`exchange name '${req.name}' contains reserved prefix 'amq.*'`);
      }
      this.apply({ op: 'exchange.declare', ...req });
      return this.exchanges.get(req.name)!;
    }
    const res = describe('exchange', req.name, this.name);
    assertFlagEquivalent('type', req.type, existing.type, res);
    assertFlagEquivalent('durable', req.durable, existing.durable, res);
    assertFlagEquivalent('auto_delete', req.autoDelete, existing.autoDelete, res);
    assertFlagEquivalent('internal', req.internal, existing.internal, res);
    assertArgsEquivalent(existing.arguments, req.arguments, EXCHANGE_EQUIVALENCE_ARGS, res);
    return existing;
  }

  deleteExchange(name: string, ifUnused: boolean): void {
    if (name === '') throw accessRefused('operation not permitted on the default exchange');
    if (name.startsWith('amq.') && PREDECLARED.some(([n]) => n === name)) {
      throw accessRefused(`deletion of system ${describe('exchange', name, this.name)} not allowed`);
    }
    const ex = this.exchanges.get(name);
    if (!ex) return;
    if (ifUnused && ex.bindings.length > 0) throw preconditionFailed(`${describe('exchange', name, this.name)} in use`);
    this.apply({ op: 'exchange.delete', name });
  }

  /** The exchange or 404. */
  exchange(name: string): Exchange {
    const ex = this.exchanges.get(name);
    if (!ex) throw notFound(`no ${describe('exchange', name, this.name)}`);
    return ex;
  }

  // ---- queues ------------------------------------------------------------

  declareQueue(req: QueueDeclareRequest): Queue {
    let name = req.name;
    if (name === '') {
      if (req.passive) throw notFound(`no ${describe('queue', name, this.name)}`);
      do name = generateQueueName(); while (this.queues.has(name));
    }
    const existing = this.queues.get(name);
    if (req.passive) {
      if (!existing) throw notFound(`no ${describe('queue', name, this.name)}`);
      this.checkExclusive(existing, req.connectionId);
      return existing;
    }
    if (existing) {
      const res = describe('queue', name, this.name);
      assertFlagEquivalent('durable', req.durable, existing.durable, res);
      assertFlagEquivalent('auto_delete', req.autoDelete, existing.autoDelete, res);
      this.checkExclusive(existing, req.connectionId);
      if (req.exclusive !== existing.exclusive) throw lockedError(existing);
      assertArgsEquivalent(existing.arguments, req.arguments, QUEUE_EQUIVALENCE_ARGS, res);
      return existing;
    }
    if (name.startsWith('amq.') && req.name !== '') {
      throw accessRefused(`queue name '${name}' contains reserved prefix 'amq.*'`);
    }
    this.apply({
      op: 'queue.declare',
      name,
      durable: req.durable,
      exclusive: req.exclusive,
      autoDelete: req.autoDelete,
      arguments: req.arguments,
      owner: req.exclusive ? req.connectionId : undefined,
    });
    return this.queues.get(name)!;
  }

  /** The queue, checked for exclusive ownership, or 404 / 405. */
  queue(name: string, connectionId: number): Queue {
    const q = this.queues.get(name);
    if (!q) throw notFound(`no ${describe('queue', name, this.name)}`);
    this.checkExclusive(q, connectionId);
    return q;
  }

  private checkExclusive(q: Queue, connectionId: number): void {
    if (q.exclusive && q.owner !== connectionId) throw lockedError(q);
  }

  /** Deletes a queue (if-unused / if-empty honoured); returns its ready count. Missing queue: 0, as RabbitMQ. */
  deleteQueue(name: string, ifUnused: boolean, ifEmpty: boolean, connectionId: number): number {
    const q = this.queues.get(name);
    if (!q) return 0;
    this.checkExclusive(q, connectionId);
    if (ifUnused && q.consumerCount > 0) throw preconditionFailed(`${describe('queue', name, this.name)} in use`);
    if (ifEmpty && q.messageCount > 0) throw preconditionFailed(`${describe('queue', name, this.name)} not empty`);
    return this.removeQueue(q);
  }

  private removeQueue(q: Queue): number {
    this.apply({ op: 'queue.delete', name: q.name });
    return q.destroy();
  }

  /** QueueEvents: an auto-delete queue lost its last consumer. */
  autoDelete(queue: Queue): void {
    if (this.queues.get(queue.name) === queue) this.removeQueue(queue);
  }

  /** A connection closed: its exclusive queues go. */
  connectionClosed(connectionId: number): void {
    for (const q of [...this.queues.values()]) if (q.exclusive && q.owner === connectionId) this.removeQueue(q);
  }

  // ---- bindings ----------------------------------------------------------

  bindQueue(queueName: string, exchangeName: string, routingKey: string, args: FieldTable, connectionId: number, unbind: boolean): void {
    if (exchangeName === '') throw accessRefused('operation not permitted on the default exchange');
    const q = this.queue(queueName, connectionId);
    const ex = this.exchange(exchangeName);
    if (!unbind) ex.router.validateBinding(routingKey, args);
    this.apply({ op: unbind ? 'unbind' : 'bind', source: ex.name, destination: q.name, destinationKind: 'queue', routingKey, arguments: args });
  }

  bindExchange(destination: string, source: string, routingKey: string, args: FieldTable, unbind: boolean): void {
    if (destination === '' || source === '') throw accessRefused('operation not permitted on the default exchange');
    const dest = this.exchange(destination);
    const src = this.exchange(source);
    if (!unbind) src.router.validateBinding(routingKey, args);
    this.apply({ op: unbind ? 'unbind' : 'bind', source: src.name, destination: dest.name, destinationKind: 'exchange', routingKey, arguments: args });
  }

  // ---- routing -----------------------------------------------------------

  /**
   * Routes a message from an exchange (following exchange-to-exchange bindings, each queue once)
   * and enqueues it; returns the number of queues it reached.
   */
  publish(exchange: Exchange, message: Message): number {
    // Reuse the scratch set unless this publish happens inside another one (e.g. dead-lettering).
    const outer = this.routing;
    const routed = outer ? new Set<Destination>() : this.routed;
    this.routing = true;
    routed.clear();
    exchange.router.route(message, routed);
    let count = 0;
    for (const d of routed) {
      if (d instanceof Queue) continue;
      if (d !== exchange) d.router.route(message, routed);
    }
    for (const d of routed) {
      if (d instanceof Queue) {
        count += 1;
        d.enqueue(message);
      }
    }
    routed.clear();
    this.routing = outer;
    return count;
  }
}

function lockedError(q: Queue) {
  return resourceLocked(
    `cannot obtain exclusive access to locked ${describe('queue', q.name, q.vhost)}. It could be originally declared on another connection or the exclusive property value does not match that of the original declaration.`,
  );
}

/** RabbitMQ-style server-generated queue name. */
export function generateQueueName(): string {
  return 'amq.gen-' + randomBytes(16).toString('base64url');
}
