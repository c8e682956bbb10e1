// Per-vhost limits (max-connections, max-queues) and per-user limits (max-connections, max-channels), as RabbitMQ's.
import type { Broker } from './broker.js';

export const VHOST_LIMITS = ['max-connections', 'max-queues'] as const;
export const USER_LIMITS = ['max-connections', 'max-channels'] as const;
export type VhostLimit = (typeof VHOST_LIMITS)[number];
export type UserLimit = (typeof USER_LIMITS)[number];

/** Limits by name, in the order they were set (RabbitMQ lists the latest first). */
export type Limits<N extends string> = ReadonlyMap<N, number>;

export function isVhostLimit(name: string): name is VhostLimit {
  return (VHOST_LIMITS as readonly string[]).includes(name);
}

export function isUserLimit(name: string): name is UserLimit {
  return (USER_LIMITS as readonly string[]).includes(name);
}

/** True when `count` things already in use leave no room under `limit` (a negative limit is no limit, 0 allows none). */
export function limitReached(limit: number | undefined, count: number): boolean {
  return limit !== undefined && limit >= 0 && count >= limit;
}

/** The limits set on one broker's vhosts and users. */
export class LimitTable {
  private readonly broker: Broker;
  private readonly vhosts = new Map<string, Map<VhostLimit, number>>();
  private readonly users = new Map<string, Map<UserLimit, number>>();

  constructor(broker: Broker) {
    this.broker = broker;
  }

  /** One vhost's limits (empty when none are set). */
  ofVhost(vhost: string): Limits<VhostLimit> {
    return this.vhosts.get(vhost) ?? (EMPTY as Limits<VhostLimit>);
  }

  /** One user's limits (empty when none are set). */
  ofUser(user: string): Limits<UserLimit> {
    return this.users.get(user) ?? (EMPTY as Limits<UserLimit>);
  }

  /** Vhosts that exist and have limits, with their limits. */
  vhostsWithLimits(): Array<[string, Limits<VhostLimit>]> {
    return [...this.vhosts].filter(([v, m]) => m.size > 0 && this.broker.vhosts.has(v));
  }

  /** Users that exist and have limits, with their limits. */
  usersWithLimits(): Array<[string, Limits<UserLimit>]> {
    return [...this.users].filter(([u, m]) => m.size > 0 && this.broker.users.has(u));
  }

  setVhost(vhost: string, name: VhostLimit, value: number): void {
    set(this.vhosts, vhost, name, value);
    if (name === 'max-queues') this.syncQueueLimit(vhost);
  }

  clearVhost(vhost: string, name: VhostLimit): void {
    this.vhosts.get(vhost)?.delete(name);
    if (name === 'max-queues') this.syncQueueLimit(vhost);
  }

  setUser(user: string, name: UserLimit, value: number): void {
    set(this.users, user, name, value);
  }

  clearUser(user: string, name: UserLimit): void {
    this.users.get(user)?.delete(name);
  }

  vhostDeleted(vhost: string): void {
    this.vhosts.delete(vhost);
  }

  userDeleted(user: string): void {
    this.users.delete(user);
  }

  /** The vhost checks max-queues itself at every queue.declare. */
  private syncQueueLimit(vhost: string): void {
    const v = this.broker.vhosts.get(vhost);
    if (v) v.maxQueues = this.ofVhost(vhost).get('max-queues') ?? -1;
  }
}

const EMPTY: ReadonlyMap<string, number> = new Map<string, number>();

function set<N>(table: Map<string, Map<N, number>>, key: string, name: N, value: number): void {
  let m = table.get(key);
  if (!m) table.set(key, (m = new Map()));
  // The latest change comes first, as RabbitMQ lists them.
  m.delete(name);
  const rest = [...m];
  m.clear();
  m.set(name, value);
  for (const [k, v] of rest) m.set(k, v);
}
