// User permissions per vhost (configure / write / read regular expressions) and topic permissions, enforced as RabbitMQ does.
// Boot-time users (the default user) have full permissions on every vhost; users created or imported through the API,
// and anyone whose permissions were set, have exactly what was set.
import type { Broker } from './broker.js';

export interface Permission {
  readonly user: string;
  readonly vhost: string;
  readonly configure: string;
  readonly write: string;
  readonly read: string;
}

export interface TopicPermission {
  readonly user: string;
  readonly vhost: string;
  readonly exchange: string;
  readonly write: string;
  readonly read: string;
}

const FULL = { configure: '.*', write: '.*', read: '.*' } as const;

/** Permissions recorded for one broker. */
export class PermissionTable {
  private readonly broker: Broker;
  /** Users whose permissions are explicit (the rest have full access everywhere). */
  private readonly explicitUsers = new Set<string>();
  /** user → vhost → permission. */
  private readonly byUser = new Map<string, Map<string, Permission>>();
  private readonly topic = new Map<string, TopicPermission>();
  /** Bumped on every change, so callers can cache decisions. */
  version = 0;

  constructor(broker: Broker) {
    this.broker = broker;
  }

  /** Every permission in force, by user then vhost; only users and vhosts that exist. */
  list(): Permission[] {
    const out: Permission[] = [];
    for (const user of this.broker.users.keys()) {
      for (const vhost of this.broker.vhosts.keys()) {
        const p = this.get(user, vhost);
        if (p) out.push(p);
      }
    }
    return out;
  }

  /** Whether `user` may `access` the named resource in `vhost`. */
  allows(user: string, vhost: string, access: Access, name: string): boolean {
    const p = this.get(user, vhost);
    return p !== undefined && permits(p[access], name);
  }

  get(user: string, vhost: string): Permission | undefined {
    if (!this.broker.users.has(user) || !this.broker.vhosts.has(vhost)) return undefined;
    if (!this.explicitUsers.has(user)) return { user, vhost, ...FULL };
    return this.byUser.get(user)?.get(vhost);
  }

  /** Whether the user's permissions are exactly those recorded (else it has full permissions everywhere). */
  isExplicit(user: string): boolean {
    return this.explicitUsers.has(user);
  }

  /** A user created through the API or a definitions import starts with the permissions given to it, none by default. */
  userCreated(user: string): void {
    this.version += 1;
    this.explicitUsers.add(user);
    this.byUser.delete(user);
  }

  userDeleted(user: string): void {
    this.version += 1;
    this.explicitUsers.delete(user);
    this.byUser.delete(user);
    for (const [k, t] of this.topic) if (t.user === user) this.topic.delete(k);
  }

  set(p: Permission): void {
    this.version += 1;
    this.makeExplicit(p.user);
    let m = this.byUser.get(p.user);
    if (!m) this.byUser.set(p.user, (m = new Map()));
    m.set(p.vhost, { user: p.user, vhost: p.vhost, configure: p.configure, write: p.write, read: p.read });
  }

  /** Removes a user's permissions on a vhost; false when there were none. */
  clear(user: string, vhost: string): boolean {
    if (!this.get(user, vhost)) return false;
    this.version += 1;
    this.makeExplicit(user);
    this.byUser.get(user)?.delete(vhost);
    return true;
  }

  vhostDeleted(vhost: string): void {
    this.version += 1;
    for (const m of this.byUser.values()) m.delete(vhost);
    for (const [k, t] of this.topic) if (t.vhost === vhost) this.topic.delete(k);
  }

  /** The implicit full permissions become explicit records before the first change to them. */
  private makeExplicit(user: string): void {
    if (this.explicitUsers.has(user)) return;
    this.explicitUsers.add(user);
    const m = new Map<string, Permission>();
    for (const vhost of this.broker.vhosts.keys()) m.set(vhost, { user, vhost, ...FULL });
    this.byUser.set(user, m);
  }

  listTopic(): TopicPermission[] {
    return [...this.topic.values()].filter((t) => this.broker.users.has(t.user) && this.broker.vhosts.has(t.vhost));
  }

  /** True when some topic permission is set (topic checks are skipped otherwise). */
  get hasTopic(): boolean {
    return this.topic.size > 0;
  }

  setTopic(t: TopicPermission): void {
    this.version += 1;
    this.topic.set(topicKey(t.user, t.vhost, t.exchange), { user: t.user, vhost: t.vhost, exchange: t.exchange, write: t.write, read: t.read });
  }

  /** Removes a user's topic permissions in a vhost (one exchange's, or all); false when there were none. */
  clearTopic(user: string, vhost: string, exchange?: string): boolean {
    let removed = false;
    for (const [k, t] of this.topic) {
      if (t.user === user && t.vhost === vhost && (exchange === undefined || t.exchange === exchange)) removed = this.topic.delete(k);
    }
    if (removed) this.version += 1;
    return removed;
  }

  /**
   * RabbitMQ's topic authorisation: whether `user` may publish (`write`) or bind (`read`) with `routingKey` on the topic
   * exchange. Without a topic permission for that exchange everything is allowed; `{username}` and `{vhost}` in the
   * pattern stand for the user's and vhost's names; an empty pattern allows only the empty key.
   */
  allowsTopic(user: string, vhost: string, exchange: string, access: 'write' | 'read', routingKey: string): boolean {
    const re = this.topicPattern(user, vhost, exchange, access);
    return re === undefined || (re !== null && re.test(routingKey));
  }

  /**
   * The expanded topic pattern `allowsTopic` tests (for callers that cache it until `version` changes): undefined when
   * the user has no topic permission for the exchange (every key allowed), null when it does not compile (none).
   */
  topicPattern(user: string, vhost: string, exchange: string, access: 'write' | 'read'): RegExp | null | undefined {
    const t = this.topic.get(topicKey(user, vhost, exchange));
    if (t === undefined) return undefined;
    // Replaced as plain text (a '$' in a name is not a replacement pattern), unescaped, as RabbitMQ's binary:replace.
    const pattern = t[access] === '' ? '^$' : t[access].replaceAll('{username}', () => user).replaceAll('{vhost}', () => vhost);
    return compiledPattern(pattern);
  }
}

function topicKey(user: string, vhost: string, exchange: string): string {
  return JSON.stringify([user, vhost, exchange]);
}

export type Access = 'configure' | 'write' | 'read';

const compiled = new Map<string, RegExp | null>();

/**
 * A permission pattern as a JS RegExp, or null when JS cannot compile it. RabbitMQ's patterns are PCRE, which lets any
 * non-alphanumeric character be escaped (`\-`, `\:`) and takes a lone `{` literally; JS's `u` mode refuses both, so a
 * pattern it rejects is compiled without `u` (Annex B syntax, as PCRE there). PCRE-only syntax (`(?i)`, `\A`, POSIX
 * classes) is not translated.
 */
export function compilePattern(pattern: string): RegExp | null {
  try {
    return new RegExp(pattern, 'u');
  } catch {
    try {
      return new RegExp(pattern);
    } catch {
      return null;
    }
  }
}

/** compilePattern, remembered (up to 1000 patterns). */
function compiledPattern(pattern: string): RegExp | null {
  let re = compiled.get(pattern);
  if (re === undefined) {
    re = compilePattern(pattern);
    if (compiled.size > 1000) compiled.clear();
    compiled.set(pattern, re);
  }
  return re;
}

/** Whether a permission pattern allows a name: an unanchored regular-expression search; "" allows nothing. */
export function permits(pattern: string, name: string): boolean {
  if (pattern === '') return false;
  const re = compiledPattern(pattern);
  return re !== null && re.test(name);
}
