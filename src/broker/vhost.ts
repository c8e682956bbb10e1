// A virtual host's topology: its exchanges, queues and bindings, changed only through apply() (publishing is in routing.ts).
import { TRACE_EXCHANGE, Tracer, type TraceListener, type TraceOrigin } from './tracer.js';
import { randomBytes } from 'node:crypto';
import {
  accessRefused,
  notFound,
  preconditionFailed,
  resourceLocked,
  tablesEqual,
  FIELD_TYPE_NAMES,
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
import { createRouter, isExchangeType, type Binding, type Destination, type ExchangeHost } from './exchanges/index.js';
import { Deduplicator } from './deduplication.js';
import { commandInvalid } from '../protocol/index.js';
import type { Message } from './message.js';
import type { MessagePersistence, StoredMessages } from './persistence.js';
import { declaredQueueType, parseQueueArguments, type QueueSettings } from './queue-arguments.js';
import { Queue, type DeadLetterReason, type QueueEvents, type QueueOptions } from './queue.js';
import { STREAM } from './queue-types/index.js';
import { StreamQueue, streamRetention } from './stream-queue.js';
import { Routing, type PublishOutcome, type QueueTally, type ReplyTarget } from './routing.js';
import type { BrokerRuntime } from './runtime.js';
import { newCounters, type MessageCounters } from './stats.js';

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
  [TRACE_EXCHANGE, 'topic'],
];

const EMPTY_TABLE: FieldTable = new Map();

export class VirtualHost implements QueueEvents {
  readonly name: string;
  readonly exchanges = new Map<string, Exchange>();
  readonly queues = new Map<string, Queue>();
  /** Bindings by destination, for removal when a queue or exchange goes. */
  private readonly inbound = new Map<Destination, Set<Binding>>();
  private readonly listeners: ChangeListener[] = [];
  /** The publish path over this topology. */
  private readonly routing: Routing;

  /** Message counts of this vhost's closed channels (open ones keep their own; the API adds them up). */
  readonly closedChannelStats: MessageCounters = newCounters();

  /** The vhost's max-queues limit (negative: none); set by the broker's limit table. */
  maxQueues = -1;

  /** Durable storage for persistent messages; undefined keeps everything in memory. */
  readonly persistence: MessagePersistence | undefined;

  /** The owning broker's totals and error reporter. */
  readonly runtime: BrokerRuntime;

  constructor(name: string, runtime: BrokerRuntime, persistence?: MessagePersistence) {
    this.name = name;
    this.runtime = runtime;
    this.routing = new Routing(this.exchanges, runtime);
    this.persistence = persistence;
    const defaultExchange = new Exchange(
      '',
      name,
      { type: 'direct', durable: true, autoDelete: false, internal: false, arguments: EMPTY_TABLE },
      new DefaultRouter(this.queues),
    );
    this.exchanges.set('', defaultExchange);
    for (const [xname, type] of PREDECLARED) {
      this.apply({ op: 'exchange.declare', name: xname, type, durable: true, autoDelete: false, internal: xname === TRACE_EXCHANGE, arguments: EMPTY_TABLE });
    }
  }

  /** The firehose while tracing is on (`rabbitmqctl trace_on`); undefined when off, which is all the hot path checks. */
  get tracer(): Tracer | undefined {
    return this.routing.tracer;
  }

  /** Turns the firehose on or off; `listeners` also hear every traced event (in-process, for tests). */
  setTracing(on: boolean, node: string, listeners: ReadonlySet<TraceListener>): void {
    if (!on) {
      this.routing.tracer = undefined;
      return;
    }
    if (this.routing.tracer) return;
    this.routing.tracer = new Tracer(
      this.name,
      node,
      (m) => {
        const x = this.exchanges.get(TRACE_EXCHANGE);
        if (x) this.routing.routeNow(x, m);
      },
      listeners,
    );
  }

  onChange(listener: ChangeListener): void {
    this.listeners.push(listener);
  }

  // ---- the mutation path -------------------------------------------------

  /**
   * Applies a validated change and tells the listeners. Boot-time replay calls this too; declareQueue passes the
   * settings it already parsed from the arguments.
   */
  apply(change: DefinitionChange, queueSettings?: QueueSettings): void {
    switch (change.op) {
      case 'exchange.declare': {
        const router = createRouter(change.type, change.arguments);
        const exchange = new Exchange(change.name, this.name, change, router);
        this.exchanges.set(change.name, exchange);
        router.onDeclare?.(this.exchangeHost(exchange));
        break;
      }
      case 'exchange.delete': {
        const ex = this.exchanges.get(change.name);
        if (!ex) return;
        this.exchanges.delete(change.name);
        ex.router.onDelete?.();
        for (const b of [...ex.bindings]) this.removeBinding(b, false);
        for (const b of [...(this.inbound.get(ex) ?? [])]) this.removeBinding(b, true);
        this.inbound.delete(ex);
        break;
      }
      case 'queue.declare': {
        const durable = change.durable && !change.exclusive && this.persistence !== undefined;
        const persistence = durable ? this.persistence!.openQueue(this.name, change.name) : undefined;
        const p = this.persistence;
        const paging = p ? { open: (stored?: () => StoredMessages) => p.openPageFile(this.name, change.name, stored), window: p.pagingWindow } : undefined;
        const settings = queueSettings ?? parseQueueArguments(change.arguments, describe('queue', change.name, this.name));
        const opts = { ...change, settings, persistence, paging, runtime: this.runtime };
        this.queues.set(change.name, settings.type === STREAM.name && p ? this.openStreamQueue(opts, p) : new Queue(change.name, this.name, opts, this));
        this.runtime.totals.queuesCreated += 1;
        break;
      }
      case 'queue.delete': {
        const q = this.queues.get(change.name);
        if (!q) return;
        this.queues.delete(change.name);
        this.runtime.totals.queuesDeleted += 1;
        for (const b of [...(this.inbound.get(q) ?? [])]) this.removeBinding(b, true);
        this.inbound.delete(q);
        q.destroy();
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

  /** What an exchange's router may use of its vhost. */
  private exchangeHost(exchange: Exchange): ExchangeHost {
    return {
      vhost: this.name,
      exchange,
      persistence: this.persistence,
      reportInternalError: this.runtime.reportInternalError,
      clock: this.runtime.clock,
      isCurrent: () => this.exchanges.get(exchange.name) === exchange,
      routeNow: (message) => this.routing.routeNow(exchange, message),
    };
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
    req = { ...req, name: stripCrLf(req.name) };
    if (!req.passive && !isExchangeType(req.type)) throw commandInvalid(`unknown exchange type '${req.type}'`);
    if (req.name === '') throw accessRefused('operation not permitted on the default exchange');
    const existing = this.exchanges.get(req.name);
    if (req.passive) {
      if (!existing) throw notFound(`no ${describe('exchange', req.name, this.name)}`);
      return existing;
    }
    if (!existing) {
      if (req.name.startsWith('amq.')) {
        throw accessRefused(`exchange name '${req.name}' contains reserved prefix 'amq.*'`);
      }
      const res = describe('exchange', req.name, this.name);
      const ae = req.arguments.get('alternate-exchange');
      if (ae !== undefined && ae.type !== 'S') {
        throw preconditionFailed(`invalid type '${FIELD_TYPE_NAMES[ae.type]}' for arg 'alternate-exchange' in ${res}`);
      }
      createRouter(req.type, req.arguments);
      Deduplicator.fromArguments(req.arguments, res);
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
    if (name.startsWith('amq.')) throw accessRefused(`deletion of system ${describe('exchange', name, this.name)} not allowed`);
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
    this.runtime.totals.queuesDeclared += 1;
    let name = stripCrLf(req.name);
    if (req.passive) {
      const existing = this.queues.get(name);
      if (!existing) throw notFound(`no ${describe('queue', name, this.name)}`);
      this.checkExclusive(existing, req.connectionId);
      existing.touch();
      return existing;
    }
    if (name === '') {
      const type = declaredQueueType(req.arguments);
      if (!type.serverNamed) throw preconditionFailed(`Cannot declare a server-named queue for type ${type.module}`);
      do name = generateQueueName(); while (this.queues.has(name));
    } else if (name.startsWith('amq.')) {
      throw accessRefused(`queue name '${name}' contains reserved prefix 'amq.*'`);
    }
    const res = describe('queue', name, this.name);
    const existing = this.queues.get(name);
    if (existing) {
      this.checkExclusive(existing, req.connectionId);
      if (req.exclusive !== existing.exclusive) throw lockedError(existing);
      assertFlagEquivalent('durable', req.durable, existing.durable, res);
      assertFlagEquivalent('auto_delete', req.autoDelete, existing.autoDelete, res);
      assertArgsEquivalent(existing.arguments, req.arguments, QUEUE_EQUIVALENCE_ARGS, res);
      existing.touch();
      return existing;
    }
    if (this.maxQueues >= 0 && this.queues.size >= this.maxQueues) {
      throw preconditionFailed(`cannot declare queue '${name}': queue limit in vhost '${this.name}' (${this.maxQueues}) is reached`);
    }
    const settings = parseQueueArguments(req.arguments, res, req);
    if (settings.type === STREAM.name && !this.persistence) throw preconditionFailed(`stream queues need a data directory: ${res}`);
    this.apply(
      {
        op: 'queue.declare',
        name,
        durable: req.durable,
        exclusive: req.exclusive,
        autoDelete: req.autoDelete,
        arguments: req.arguments,
        owner: req.exclusive ? req.connectionId : undefined,
      },
      settings,
    );
    return this.queues.get(name)!;
  }

  /** A stream's log is its own (every message kept at its offset, persistent or not): the queue store is not used. */
  private openStreamQueue(opts: QueueOptions & { name: string }, persistence: MessagePersistence): StreamQueue {
    let queue: StreamQueue | undefined;
    const log = persistence.openStream(this.name, opts.name, streamRetention(opts.settings), () => queue?.drain());
    queue = new StreamQueue(opts.name, this.name, { ...opts, persistence: undefined, paging: undefined }, this, log);
    return queue;
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
    return this.deleteQueueNow(q);
  }

  private deleteQueueNow(q: Queue): number {
    const count = q.countOnDelete;
    this.apply({ op: 'queue.delete', name: q.name });
    return count;
  }

  /** QueueEvents: an auto-delete queue lost its last consumer, or an x-expires queue sat unused. */
  removeQueue(queue: Queue): void {
    if (this.queues.get(queue.name) === queue) this.deleteQueueNow(queue);
  }

  /** A connection closed: its exclusive queues go. */
  connectionClosed(connectionId: number): void {
    for (const q of [...this.queues.values()]) if (q.exclusive && q.owner === connectionId) this.deleteQueueNow(q);
  }

  // ---- bindings ----------------------------------------------------------

  bindQueue(queueName: string, exchangeName: string, routingKey: string, args: FieldTable, connectionId: number): void {
    if (exchangeName === '') throw accessRefused('operation not permitted on the default exchange');
    const ex = this.exchange(exchangeName);
    const q = this.queue(queueName, connectionId);
    ex.router.validateBinding(routingKey, args);
    this.apply({ op: 'bind', source: ex.name, destination: q.name, destinationKind: 'queue', routingKey, arguments: args });
  }

  /** As RabbitMQ: unbinding what is not bound (even from a missing exchange or queue) succeeds. */
  unbindQueue(queueName: string, exchangeName: string, routingKey: string, args: FieldTable, connectionId: number): void {
    if (exchangeName === '') throw accessRefused('operation not permitted on the default exchange');
    const ex = this.exchanges.get(exchangeName);
    const q = this.queues.get(queueName);
    if (!ex || !q || !this.findBinding(ex, q, routingKey, args)) return;
    this.checkExclusive(q, connectionId);
    this.apply({ op: 'unbind', source: ex.name, destination: q.name, destinationKind: 'queue', routingKey, arguments: args });
  }

  bindExchange(destination: string, source: string, routingKey: string, args: FieldTable, unbind: boolean): void {
    if (destination === '' || source === '') throw accessRefused('operation not permitted on the default exchange');
    if (unbind) {
      const src = this.exchanges.get(source);
      const dest = this.exchanges.get(destination);
      if (!src || !dest || !this.findBinding(src, dest, routingKey, args)) return;
    } else {
      this.exchange(destination);
      this.exchange(source).router.validateBinding(routingKey, args);
    }
    this.apply({ op: unbind ? 'unbind' : 'bind', source, destination, destinationKind: 'exchange', routingKey, arguments: args });
  }

  // ---- publishing (src/broker/routing.ts) ------------------------------

  /** Routes and enqueues a message; the outcome object is reused by the next publish. */
  publish(exchange: Exchange, message: Message, origin?: TraceOrigin, tally?: QueueTally): PublishOutcome {
    return this.routing.publish(exchange, message, origin, tally);
  }

  /** QueueEvents: a message leaves `queue` for its dead-letter exchange. */
  deadLetter(queue: Queue, message: Message, reason: DeadLetterReason): void {
    this.routing.deadLetter(queue, message, reason);
  }

  addReplyTarget(name: string, target: ReplyTarget): void {
    this.routing.addReplyTarget(name, target);
  }

  hasReplyTarget(name: string): boolean {
    return this.routing.hasReplyTarget(name);
  }

  removeReplyTarget(name: string): void {
    this.routing.removeReplyTarget(name);
  }
}

/** RabbitMQ strips CR and LF from declared names. */
function stripCrLf(name: string): string {
  return name.includes('\r') || name.includes('\n') ? name.replace(/[\r\n]/g, '') : name;
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
