// What a restart must bring back besides queues and exchanges: vhosts, users, permissions, topic permissions and limits.
import type { Broker } from './broker.js';
import { isUserLimit, isVhostLimit, type UserLimit, type VhostLimit } from './limits.js';
import type { PasswordHash } from './password-hash.js';
import type { Permission, TopicPermission } from './permissions.js';

/** A snapshot of the broker's access definitions, as the access store keeps it (JSON). */
export interface AccessSnapshot {
  version: 1;
  vhosts: string[];
  /** Descriptions and tags of the vhosts that were given some (absent in snapshots of older versions). */
  vhostMetadata?: Array<{ vhost: string; description: string; tags: string[] }>;
  /** Users with a password hash (created through the API or an import); the boot user comes from the configuration. */
  users: Array<{ name: string; passwordHash: PasswordHash; tags: string[] }>;
  /** Users whose permissions are exactly those listed (the others have full permissions everywhere). */
  explicitUsers: string[];
  permissions: Permission[];
  topicPermissions: TopicPermission[];
  /** Limits, the latest set first. */
  vhostLimits: Array<{ vhost: string; limits: Array<[string, number]> }>;
  userLimits: Array<{ user: string; limits: Array<[string, number]> }>;
}

/** Durable storage for the snapshot; src/store implements it. */
export interface AccessStore {
  /** The last snapshot saved, or undefined when there is none (a new data directory). */
  load(): AccessSnapshot | undefined;
  /** Replaces the snapshot; durable when it returns. */
  save(snapshot: AccessSnapshot): void;
}

export function snapshotAccess(broker: Broker): AccessSnapshot {
  const perms = broker.permissions;
  const explicitUsers = [...broker.users.keys()].filter((u) => perms.isExplicit(u));
  const explicit = new Set(explicitUsers);
  const users: AccessSnapshot['users'] = [];
  for (const u of broker.users.values()) if (u.passwordHash) users.push({ name: u.name, passwordHash: u.passwordHash, tags: [...u.tags] });
  return {
    version: 1,
    vhosts: [...broker.vhosts.keys()],
    vhostMetadata: [...broker.vhosts.values()].flatMap((v) => {
      const m = broker.vhostMetadata.get(v);
      return m ? [{ vhost: v.name, description: m.description, tags: [...m.tags] }] : [];
    }),
    users,
    explicitUsers,
    permissions: perms.list().filter((p) => explicit.has(p.user)),
    topicPermissions: perms.listTopic(),
    vhostLimits: broker.limits.vhostsWithLimits().map(([vhost, l]) => ({ vhost, limits: [...l] })),
    userLimits: broker.limits.usersWithLimits().map(([user, l]) => ({ user, limits: [...l] })),
  };
}

/**
 * Brings a snapshot back into a broker fresh from boot. The boot user (`--default-user`) keeps the credentials and tags
 * the configuration gives it; its permissions and limits come back like everyone's.
 */
export function restoreAccess(broker: Broker, s: AccessSnapshot, bootUser: string): void {
  for (const name of s.vhosts) broker.addVhost(name);
  for (const m of s.vhostMetadata ?? []) {
    const v = broker.vhosts.get(m.vhost);
    if (v) broker.vhostMetadata.set(v, { description: m.description, tags: [...m.tags] });
  }
  for (const u of s.users) {
    if (u.name === bootUser && broker.users.has(bootUser)) continue;
    broker.users.set(u.name, { name: u.name, passwordHash: u.passwordHash, tags: u.tags });
  }
  const perms = broker.permissions;
  for (const user of s.explicitUsers) if (broker.users.has(user)) perms.userCreated(user);
  for (const p of s.permissions) if (broker.users.has(p.user) && broker.vhosts.has(p.vhost)) perms.set(p);
  for (const t of s.topicPermissions) if (broker.users.has(t.user) && broker.vhosts.has(t.vhost)) perms.setTopic(t);
  for (const { vhost, limits } of s.vhostLimits) {
    if (!broker.vhosts.has(vhost)) continue;
    for (const [name, value] of [...limits].reverse()) if (isVhostLimit(name)) broker.limits.setVhost(vhost, name as VhostLimit, value);
  }
  for (const { user, limits } of s.userLimits) {
    if (!broker.users.has(user)) continue;
    for (const [name, value] of [...limits].reverse()) if (isUserLimit(name)) broker.limits.setUser(user, name as UserLimit, value);
  }
}
