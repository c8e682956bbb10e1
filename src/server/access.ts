// Permission checks on channel operations (configure / write / read, and topic permissions), with RabbitMQ's ACCESS_REFUSED texts.
import type { Access } from '../broker/index.js';
import { accessRefused } from '../protocol/index.js';
import type { Channel } from './channel.js';

/** Decisions cached per channel until the permission table changes (publish checks run per message). */
const caches = new WeakMap<Channel, { version: number; decisions: Map<string, boolean>; lastWrite: string | undefined }>();

/** basic.publish's check: the exchange last allowed on this channel passes without building a cache key. */
export function authorizePublish(ch: Channel, exchange: string): void {
  const cache = caches.get(ch);
  if (cache !== undefined && cache.lastWrite === exchange && cache.version === ch.conn.ctx.broker.permissions.version) return;
  authorize(ch, 'exchange', exchange, 'write');
  caches.get(ch)!.lastWrite = exchange;
}

/** Throws 403 unless the channel's user may `access` the named queue or exchange. The default exchange is 'amq.default'. */
export function authorize(ch: Channel, kind: 'exchange' | 'queue', name: string, access: Access): void {
  const permissions = ch.conn.ctx.broker.permissions;
  let cache = caches.get(ch);
  if (!cache || cache.version !== permissions.version) {
    caches.set(ch, (cache = { version: permissions.version, decisions: new Map(), lastWrite: undefined }));
  }
  const resource = kind === 'exchange' && name === '' ? 'amq.default' : name;
  const key = `${access}\0${kind}\0${resource}`;
  let allowed = cache.decisions.get(key);
  if (allowed === undefined) {
    allowed = permissions.allows(ch.conn.username, ch.vhost.name, access, resource);
    if (cache.decisions.size > 1000) cache.decisions.clear();
    cache.decisions.set(key, allowed);
  }
  if (!allowed) throw accessRefused(`access to ${kind} '${resource}' in vhost '${ch.vhost.name}' refused for user '${ch.conn.username}'`);
}

/**
 * Topic authorisation (RabbitMQ's): on a topic exchange, the routing key of a publish (`write`) or the binding key of a
 * bind or unbind (`read`, on the source exchange) must match the user's topic permission for that exchange, if any.
 */
export function authorizeTopic(ch: Channel, exchange: { readonly name: string; readonly type: string }, routingKey: string, access: 'write' | 'read'): void {
  const permissions = ch.conn.ctx.broker.permissions;
  if (!permissions.hasTopic || exchange.type !== 'topic') return;
  // Publishes run this per message: the channel keeps the pattern of the exchange it last checked (no key building).
  let last = topicCaches.get(ch);
  if (last === undefined || last.version !== permissions.version || last.exchange !== exchange.name || last.access !== access) {
    const pattern = permissions.topicPattern(ch.conn.username, ch.vhost.name, exchange.name, access);
    topicCaches.set(ch, (last = { version: permissions.version, exchange: exchange.name, access, pattern }));
  }
  const re = last.pattern;
  if (re !== undefined && (re === null || !re.test(routingKey))) {
    throw accessRefused(`access to topic '${routingKey}' in exchange '${exchange.name}' in vhost '${ch.vhost.name}' refused for user '${ch.conn.username}'`);
  }
}

const topicCaches = new WeakMap<Channel, { version: number; exchange: string; access: 'write' | 'read'; pattern: RegExp | null | undefined }>();
