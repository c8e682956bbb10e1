// A virtual host: its exchanges, queues and bindings, changed only through apply(), and message routing.
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
import { createRouter, delayOf, DelayedRouter, isExchangeType, type Binding, type Destination } from './exchanges/index.js';
import { Deduplicator } from './deduplication.js';
import { guarded } from './internal-errors.js';
import type { BrokerRuntime } from './runtime.js';
import { commandInvalid } from '../protocol/index.js';
import { deadLetteredMessage, isDeadLetterCycle } from './dead-letter.js';
import { Message, PROP_FLAG } from './message.js';
import type { MessagePersistence } from './persistence.js';
import { parseQueueArguments } from './queue-arguments.js';
import { Queue, type DeadLetterReason, type QueueEvents } from './queue.js';
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
  private readonly outcome: PublishOutcome = { routed: 0, rejected: 0 };
  private readonly replyTargets = new Map<string, ReplyTarget>();
  /** Timers of messages waiting in x-delayed-message exchanges. */
  private readonly delayed = new Set<NodeJS.Timeout>();

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
    this.persistence = persistence;
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
        const router = createRouter(change.type, change.arguments);
        const exchange = new Exchange(change.name, this.name, change, router);
        this.exchanges.set(change.name, exchange);
        if (router instanceof DelayedRouter && change.durable && this.persistence) this.openDelayedStore(exchange, router, this.persistence);
        break;
      }
      case 'exchange.delete': {
        const ex = this.exchanges.get(change.name);
        if (!ex) return;
        this.exchanges.delete(change.name);
        if (ex.router instanceof DelayedRouter) ex.router.store?.destroy();
        for (const b of [...ex.bindings]) this.removeBinding(b, false);
        for (const b of [...(this.inbound.get(ex) ?? [])]) this.removeBinding(b, true);
        this.inbound.delete(ex);
        break;
      }
      case 'queue.declare': {
        const durable = change.durable && !change.exclusive && this.persistence !== undefined;
        const persistence = durable ? this.persistence!.openQueue(this.name, change.name) : undefined;
        const p = this.persistence;
        const paging = p ? { open: () => p.openPageFile(this.name, change.name), window: p.pagingWindow } : undefined;
        this.queues.set(change.name, new Queue(change.name, this.name, { ...change, persistence, paging, runtime: this.runtime }, this));
        break;
      }
      case 'queue.delete': {
        const q = this.queues.get(change.name);
        if (!q) return;
        this.queues.delete(change.name);
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
    let name = stripCrLf(req.name);
    if (req.passive) {
      const existing = this.queues.get(name);
      if (!existing) throw notFound(`no ${describe('queue', name, this.name)}`);
      this.checkExclusive(existing, req.connectionId);
      existing.touch();
      return existing;
    }
    if (name === '') {
      if (isQuorum(req.arguments)) throw preconditionFailed('Cannot declare a server-named queue for type rabbit_quorum_queue');
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
    const settings = parseQueueArguments(req.arguments, res);
    if (settings.type === 'quorum') checkQuorumDeclare(req, res);
    Deduplicator.fromArguments(req.arguments, res);
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
    return this.deleteQueueNow(q);
  }

  private deleteQueueNow(q: Queue): number {
    const count = q.messageCount;
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

  // ---- routing -----------------------------------------------------------

  /**
   * Routes a message from an exchange — following exchange-to-exchange bindings, alternate exchanges and
   * CC/BCC keys, each queue once — and enqueues it. The returned outcome object is reused by the next publish.
   */
  publish(exchange: Exchange, message: Message): PublishOutcome {
    const outcome = this.outcome;
    outcome.routed = 0;
    outcome.rejected = 0;
    exchange.publishIn += 1;
    if (exchange.name === '' && message.routingKey.startsWith(REPLY_TO_PREFIX)) {
      const target = this.replyTargets.get(message.routingKey);
      if (target) {
        target.deliverReply(message);
        outcome.routed = 1;
      }
      return outcome;
    }
    if (exchange.dedup?.isDuplicate(message)) {
      // A duplicate is dropped as if delivered: no return, and a confirm still acks it.
      outcome.routed = 1;
      return outcome;
    }
    if (exchange.router instanceof DelayedRouter) {
      const delay = delayOf(message);
      if (delay > 0) {
        // As the plugin: nothing is routed now (a mandatory publish is returned), the message is routed when due.
        this.delay(exchange, exchange.router, message, delay);
        return outcome;
      }
    }
    // Reuse the scratch set unless this publish happens inside another one (dead-lettering).
    const outer = this.routing;
    const routed = outer ? new Set<Destination>() : this.routed;
    this.routing = true;
    try {
      routed.clear();
      let delivered = message;
      if (message.hasFlag(PROP_FLAG.headers)) delivered = this.routeSenderSelected(exchange, message, routed);
      else this.routeFrom(exchange, message, routed);
      let routedCount = 0;
      let rejected = 0;
      for (const d of routed) {
        if (!(d instanceof Queue)) continue;
        routedCount += 1;
        if (!d.enqueue(delivered)) rejected += 1;
      }
      outcome.routed = routedCount;
      outcome.rejected = rejected;
      if (routedCount === 0) this.runtime.totals.unroutable += 1;
      else exchange.publishOut += 1;
      return outcome;
    } finally {
      routed.clear();
      this.routing = outer;
    }
  }

  /**
   * Holds a message for an x-delayed-message exchange, then routes it through the bindings as they are then.
   * A persistent message in a durable exchange is written to the exchange's store first (the publisher's confirm
   * waits for the sync that covers it), as the plugin keeps such messages on disk.
   */
  private delay(exchange: Exchange, router: DelayedRouter, message: Message, ms: number): void {
    // Delivered copies carry the delay negated, as the plugin does since RabbitMQ 3.13.
    const headers = new Map(message.properties.headers);
    headers.set('x-delay', ms <= 0x7fffffff ? { type: 'I', value: -ms } : { type: 'l', value: -ms });
    const due = message.withProperties({ ...message.properties, headers });
    const dueAt = Date.now() + ms;
    let id: number | undefined;
    if (router.store && message.persistent) {
      id = router.nextId++;
      router.store.append(id, due, dueAt);
    }
    this.scheduleDelayed(exchange, router, due, dueAt, id);
  }

  /** Reopens a durable delayed exchange's store; what still waits is routed when due (at once when overdue). */
  private openDelayedStore(exchange: Exchange, router: DelayedRouter, persistence: MessagePersistence): void {
    const { store, recovered, lastId } = persistence.openDelayed(this.name, exchange.name);
    router.store = store;
    // Ids of routed messages still named by removal marks on disk are not given out again.
    router.nextId = Math.max(router.nextId, lastId + 1);
    // Timers, never synchronous routing: at boot the exchange's bindings are replayed after its declaration.
    recovered.sort((a, b) => a.dueAt - b.dueAt || a.id - b.id);
    for (const r of recovered) {
      router.nextId = Math.max(router.nextId, r.id + 1);
      this.scheduleDelayed(exchange, router, r.message, r.dueAt, r.id);
    }
  }

  /**
   * Routes `due` at `dueAt`. A stored message's record is removed once the copies routed to queues are synced:
   * a crash in between routes it again after the restart (never loses it).
   */
  private scheduleDelayed(exchange: Exchange, router: DelayedRouter, due: Message, dueAt: number, id: number | undefined): void {
    const fire = () => {
      if (this.exchanges.get(exchange.name) !== exchange) return;
      const routed = new Set<Destination>();
      this.routeFrom(exchange, due, routed);
      for (const d of routed) if (d instanceof Queue) d.enqueue(due);
      const store = router.store;
      if (id === undefined || !store) return;
      this.persistence!.whenSynced((err) => {
        if (!err) store.remove(id);
      });
    };
    this.schedule(dueAt, fire);
  }

  /** setTimeout for any delay: Node's timers top out at 2^31-1 ms, so long waits are chained. */
  private schedule(at: number, fire: () => void): void {
    const wait = Math.min(at - Date.now(), 0x7fffffff);
    const timer = setTimeout(() => {
      this.delayed.delete(timer);
      if (Date.now() < at) this.schedule(at, fire);
      else guarded(this.runtime.reportInternalError, 'a delayed message', fire);
    }, Math.max(0, wait));
    timer.unref();
    this.delayed.add(timer);
  }

  /** Routes through `exchange` and every exchange it leads to; an exchange that routes nowhere tries its alternate. */
  private routeFrom(exchange: Exchange, message: Message, routed: Set<Destination>): void {
    this.routeOne(exchange, message, routed);
    for (const d of routed) {
      if (d instanceof Queue || d === exchange) continue;
      this.routeOne(d, message, routed);
    }
  }

  private routeOne(ex: Exchange, message: Message, routed: Set<Destination>): void {
    const before = routed.size;
    ex.router.route(message, routed);
    if (routed.size === before && ex.alternateExchange !== undefined) {
      const ae = this.exchanges.get(ex.alternateExchange);
      if (ae) routed.add(ae);
    }
  }

  /** CC and BCC headers add routing keys; BCC is removed from what queues receive. */
  private routeSenderSelected(exchange: Exchange, message: Message, routed: Set<Destination>): Message {
    const headers = message.properties.headers;
    const cc = headers?.get('CC');
    const bcc = headers?.get('BCC');
    if (cc === undefined && bcc === undefined) {
      this.routeFrom(exchange, message, routed);
      return message;
    }
    for (const [name, list] of [['CC', cc], ['BCC', bcc]] as const) {
      if (list !== undefined && list.type !== 'A') {
        throw preconditionFailed(`invalid message: {unacceptable_type_in_header,"${name}",${FIELD_TYPE_NAMES[list.type]}}`);
      }
    }
    const keys = [message.routingKey];
    for (const list of [cc, bcc]) if (list?.type === 'A') for (const k of list.value) if (k.type === 'S') keys.push(k.value);
    this.routeWithKeys(exchange, message, keys, routed);
    let delivered = message;
    if (bcc !== undefined) {
      const stripped = new Map(headers);
      stripped.delete('BCC');
      delivered = message.withProperties({ ...message.properties, headers: stripped });
    }
    delivered.routingKeys = keys;
    return delivered;
  }

  /** Routes as if the message had been published once with each key. */
  private routeWithKeys(exchange: Exchange, message: Message, keys: readonly string[], routed: Set<Destination>): void {
    for (const key of keys) {
      const probe = key === message.routingKey ? message : new Message(message.exchange, key, message.propertiesRaw, message.body);
      this.routeFrom(exchange, probe, routed);
    }
  }

  /** QueueEvents: republishes a message leaving `queue` to its dead-letter exchange; a missing DLX drops it. */
  deadLetter(queue: Queue, message: Message, reason: DeadLetterReason): void {
    const dlx = queue.settings.deadLetterExchange;
    if (dlx === undefined) return;
    this.runtime.totals.deadLettered[reason] += 1;
    queue.deadLettered += 1;
    const exchange = this.exchanges.get(dlx);
    if (!exchange) return;
    const dead = deadLetteredMessage(message, queue.name, reason, dlx, queue.settings.deadLetterRoutingKey);
    const routed = new Set<Destination>();
    this.routeWithKeys(exchange, dead, dead.routingKeys ?? [dead.routingKey], routed);
    for (const d of routed) {
      if (d instanceof Queue && !isDeadLetterCycle(dead, d.name)) d.enqueue(dead);
    }
  }

  // ---- direct reply-to ---------------------------------------------------

  /** Registers a channel's reply consumer under its pseudo-queue name. */
  addReplyTarget(name: string, target: ReplyTarget): void {
    this.replyTargets.set(name, target);
  }

  hasReplyTarget(name: string): boolean {
    return this.replyTargets.has(name);
  }

  removeReplyTarget(name: string): void {
    this.replyTargets.delete(name);
  }
}

/** Where direct reply-to replies go: the requesting channel's amq.rabbitmq.reply-to consumer. */
export interface ReplyTarget {
  deliverReply(message: Message): void;
}

/** The result of one publish; the object is reused, read it before the next publish. */
export interface PublishOutcome {
  /** Queues (or reply consumers) the message reached. */
  routed: number;
  /** Of those, queues that refused it (x-overflow reject-publish): the publisher gets a nack. */
  rejected: number;
}

export const REPLY_TO_QUEUE = 'amq.rabbitmq.reply-to';
export const REPLY_TO_PREFIX = 'amq.rabbitmq.reply-to.';

/** Quorum queues are durable, shared and long-lived: RabbitMQ refuses the other flags. */
function checkQuorumDeclare(req: QueueDeclareRequest, resource: string): void {
  if (req.autoDelete) throw preconditionFailed(`invalid property 'auto-delete' for ${resource}`);
  if (req.exclusive) throw preconditionFailed(`invalid property 'exclusive-owner' for ${resource}`);
  if (!req.durable) throw preconditionFailed(`invalid property 'non-durable' for ${resource}`);
}

function isQuorum(args: FieldTable): boolean {
  const t = args.get('x-queue-type');
  return t?.type === 'S' && t.value === 'quorum';
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
