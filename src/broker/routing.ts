// The publish path of a vhost: direct reply-to, deduplication, routing (e2e bindings, alternate exchanges, CC/BCC), delayed hand-off, dead-lettering.
import { preconditionFailed, FIELD_TYPE_NAMES } from '../protocol/index.js';
import { deadLetteredMessage, isDeadLetterCycle } from './dead-letter.js';
import type { Exchange } from './exchange.js';
import { RouteSet } from './route-set.js';
import { Message, PROP_FLAG } from './message.js';
import { Queue, type DeadLetterReason } from './queue.js';
import type { BrokerRuntime } from './runtime.js';
import type { Tracer, TraceOrigin } from './tracer.js';

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

/** Counts the queues a channel's publish reached, by their place in its route (rabbitmq_queue_messages_published_total). */
export interface QueueTally {
  count(position: number, queue: Queue): void;
}

/** Routes messages among one vhost's exchanges and queues; the vhost owns the topology it reads. */
export class Routing {
  private readonly exchanges: ReadonlyMap<string, Exchange>;
  private readonly runtime: BrokerRuntime;
  /** Scratch set reused by every publish (routing is synchronous). */
  private readonly routed = new RouteSet();
  private routing = false;
  private readonly outcome: PublishOutcome = { routed: 0, rejected: 0 };
  private readonly replyTargets = new Map<string, ReplyTarget>();
  /** The vhost's firehose while tracing is on. */
  tracer: Tracer | undefined;

  constructor(exchanges: ReadonlyMap<string, Exchange>, runtime: BrokerRuntime) {
    this.exchanges = exchanges;
    this.runtime = runtime;
  }

  /**
   * Routes a message from an exchange — following exchange-to-exchange bindings, alternate exchanges and
   * CC/BCC keys, each queue once — and enqueues it. The returned outcome object is reused by the next publish.
   */
  publish(exchange: Exchange, message: Message, origin?: TraceOrigin, tally?: QueueTally): PublishOutcome {
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
    // An exchange type that holds messages (x-delayed-message) routes them itself when due.
    const router = exchange.router;
    if (router.routeLater !== undefined && router.routeLater(message)) {
      if (this.tracer !== undefined && origin !== undefined) this.tracer.published(exchange.name, message, [], origin);
      return outcome;
    }
    // Reuse the scratch set unless this publish happens inside another one (dead-lettering).
    const outer = this.routing;
    const routed = outer ? new RouteSet() : this.routed;
    this.routing = true;
    try {
      let delivered = message;
      if (message.hasFlag(PROP_FLAG.headers)) delivered = this.routeSenderSelected(exchange, message, routed);
      else this.routeFrom(exchange, message, routed);
      // The publish is traced before its deliveries (which enqueueing may make at once), as RabbitMQ orders them.
      const tracer = this.tracer;
      if (tracer !== undefined && origin !== undefined) {
        const names: string[] = [];
        for (let i = 0; i < routed.size; i++) {
          const d = routed.at(i);
          if (d instanceof Queue) names.push(d.name);
        }
        tracer.published(exchange.name, message, names, origin);
      }
      let routedCount = 0;
      let rejected = 0;
      // One reading of the clock for every queue the message reaches (a fanout to ten read it ten times).
      const now = this.runtime.clock.now();
      for (let i = 0; i < routed.size; i++) {
        const d = routed.at(i);
        if (!(d instanceof Queue)) continue;
        if (tally !== undefined) tally.count(routedCount, d);
        routedCount += 1;
        if (!d.enqueue(delivered, now)) rejected += 1;
      }
      outcome.routed = routedCount;
      outcome.rejected = rejected;
      if (routedCount === 0) this.runtime.totals.unroutable += 1;
      else {
        exchange.publishOut += 1;
        this.runtime.totals.routed += 1;
      }
      return outcome;
    } finally {
      routed.clear();
      this.routing = outer;
    }
  }

  /** Routes through the exchange as its bindings are now and enqueues (a delayed message that came due). */
  routeNow(exchange: Exchange, message: Message): void {
    const routed = new RouteSet();
    this.routeFrom(exchange, message, routed);
    for (let i = 0; i < routed.size; i++) {
      const d = routed.at(i);
      if (d instanceof Queue) d.enqueue(message);
    }
  }

  /** Routes through `exchange` and every exchange it leads to; an exchange that routes nowhere tries its alternate. */
  private routeFrom(exchange: Exchange, message: Message, routed: RouteSet): void {
    this.routeOne(exchange, message, routed);
    // Exchanges reached route in turn; what they add is visited too (the set grows while it is walked).
    for (let i = 0; i < routed.size; i++) {
      const d = routed.at(i);
      if (d instanceof Queue || d === exchange) continue;
      this.routeOne(d, message, routed);
    }
  }

  private routeOne(ex: Exchange, message: Message, routed: RouteSet): void {
    const before = routed.size;
    ex.router.route(message, routed);
    if (routed.size === before && ex.alternateExchange !== undefined) {
      const ae = this.exchanges.get(ex.alternateExchange);
      if (ae) routed.add(ae);
    }
  }

  /** CC and BCC headers add routing keys; BCC is removed from what queues receive. */
  private routeSenderSelected(exchange: Exchange, message: Message, routed: RouteSet): Message {
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
  private routeWithKeys(exchange: Exchange, message: Message, keys: readonly string[], routed: RouteSet): void {
    for (const key of keys) {
      const probe = key === message.routingKey ? message : new Message(message.exchange, key, message.propertiesRaw, message.body);
      this.routeFrom(exchange, probe, routed);
    }
  }

  /** Republishes a message leaving `queue` to its dead-letter exchange; a missing DLX drops it. */
  deadLetter(queue: Queue, message: Message, reason: DeadLetterReason): void {
    const dlx = queue.settings.deadLetterExchange;
    const byType = this.runtime.totals.byQueueType[queue.type.name].deadLettered;
    // RabbitMQ counts a message leaving without a dead-letter exchange too, under the strategy "disabled".
    if (dlx === undefined) {
      byType.disabled[reason] += 1;
      return;
    }
    byType.at_most_once[reason] += 1;
    this.runtime.totals.deadLettered[reason] += 1;
    queue.deadLettered += 1;
    const exchange = this.exchanges.get(dlx);
    if (!exchange) return;
    const dead = deadLetteredMessage(message, queue.name, reason, dlx, queue.settings.deadLetterRoutingKey, this.runtime.clock.now());
    const routed = new RouteSet();
    this.routeWithKeys(exchange, dead, dead.routingKeys ?? [dead.routingKey], routed);
    for (let i = 0; i < routed.size; i++) {
      const d = routed.at(i);
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
