// The x-delayed-message exchange type (as RabbitMQ's delayed-message plugin): routes like its x-delayed-type, later.
import { preconditionFailed, type FieldTable } from '../../protocol/index.js';
import type { ClockTimer } from '../clock.js';
import { guarded } from '../internal-errors.js';
import { PROP_FLAG, type Message } from '../message.js';
import type { DelayedStore } from '../persistence.js';
import type { Binding, Destination, ExchangeHost, ExchangeRouter, RouteSink } from './exchange-type.js';

/** Routing of the underlying type; holds delayed messages (with their timers and store) and routes them when due. */
export class DelayedRouter implements ExchangeRouter {
  readonly inner: ExchangeRouter;
  private host: ExchangeHost | undefined;
  /** Where persistent waiting messages are kept when the exchange is durable (and the broker has a store). */
  private store: DelayedStore | undefined;
  /** Id of the next stored message (ascending, as the store's segments expect). */
  private nextId = 0;
  private readonly timers = new Set<ClockTimer>();

  constructor(inner: ExchangeRouter) {
    this.inner = inner;
  }

  validateBinding(routingKey: string, args: FieldTable): void {
    this.inner.validateBinding(routingKey, args);
  }

  bind(binding: Binding): void {
    this.inner.bind(binding);
  }

  unbind(binding: Binding): void {
    this.inner.unbind(binding);
  }

  route(message: Message, out: RouteSink<Destination>): void {
    this.inner.route(message, out);
  }

  /** A durable exchange reopens its store; what still waits is routed when due (at once when overdue). */
  onDeclare(host: ExchangeHost): void {
    this.host = host;
    const persistence = host.persistence;
    if (!host.exchange.durable || !persistence) return;
    const { store, recovered, lastId } = persistence.openDelayed(host.vhost, host.exchange.name);
    this.store = store;
    // Ids of routed messages still named by removal marks on disk are not given out again.
    this.nextId = Math.max(this.nextId, lastId + 1);
    // Timers, never synchronous routing: at boot the exchange's bindings are replayed after its declaration.
    recovered.sort((a, b) => a.dueAt - b.dueAt || a.id - b.id);
    for (const r of recovered) {
      this.nextId = Math.max(this.nextId, r.id + 1);
      this.schedule(r.message, r.dueAt, r.id);
    }
  }

  onDelete(): void {
    this.store?.destroy();
    for (const t of this.timers) this.host?.clock.clear(t);
    this.timers.clear();
  }

  /**
   * Holds a message with a positive x-delay, then routes it through the bindings as they are then. As the plugin,
   * nothing is routed now (a mandatory publish is returned). A persistent message in a durable exchange is written
   * to the store first (the publisher's confirm waits for the sync that covers it).
   */
  routeLater(message: Message): boolean {
    const ms = delayOf(message);
    if (ms <= 0 || !this.host) return false;
    // Delivered copies carry the delay negated, as the plugin does since RabbitMQ 3.13.
    const headers = new Map(message.properties.headers);
    headers.set('x-delay', ms <= 0x7fffffff ? { type: 'I', value: -ms } : { type: 'l', value: -ms });
    const due = message.withProperties({ ...message.properties, headers });
    const dueAt = this.host.clock.now() + ms;
    let id: number | undefined;
    if (this.store && message.persistent) {
      id = this.nextId++;
      this.store.append(id, due, dueAt);
    }
    this.schedule(due, dueAt, id);
    return true;
  }

  /**
   * Routes `due` at `dueAt`. A stored message's record is removed once the copies routed to queues are synced:
   * a crash in between routes it again after the restart (never loses it).
   */
  private schedule(due: Message, dueAt: number, id: number | undefined): void {
    const host = this.host!;
    this.later(dueAt, () => {
      if (!host.isCurrent()) return;
      host.routeNow(due);
      const store = this.store;
      if (id === undefined || !store) return;
      host.persistence!.whenSynced((err) => {
        if (!err) store.remove(id);
      });
    });
  }

  /** setTimeout for any delay: Node's timers top out at 2^31-1 ms, so long waits are chained. */
  private later(at: number, fire: () => void): void {
    const clock = this.host!.clock;
    const wait = Math.min(at - clock.now(), 0x7fffffff);
    const timer = clock.setTimeout(() => {
      this.timers.delete(timer);
      if (clock.now() < at) this.later(at, fire);
      else guarded(this.host!.reportInternalError, 'a delayed message', fire);
    }, Math.max(0, wait));
    this.timers.add(timer);
  }
}

/** Longest x-delay honoured (the plugin's 32-bit limit); a larger value routes at once. */
export const MAX_DELAY = 2 ** 32 - 1;

/** The x-delay header in ms when positive and within MAX_DELAY (the message must wait), else 0. */
export function delayOf(message: Message): number {
  if (!message.hasFlag(PROP_FLAG.headers)) return 0;
  const v = message.properties.headers?.get('x-delay');
  if (v === undefined) return 0;
  const n = typeof v.value === 'number' || typeof v.value === 'bigint' ? Number(v.value) : v.type === 'S' ? Number(v.value) : NaN;
  return Number.isFinite(n) && n > 0 && n <= MAX_DELAY ? Math.floor(n) : 0;
}

export function delayedType(args: FieldTable): string {
  const t = args.get('x-delayed-type');
  if (t?.type !== 'S') throw preconditionFailed(`Invalid argument, 'x-delayed-type' must be an existing exchange type`);
  return t.value;
}
