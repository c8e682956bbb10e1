// Permission checks on channel operations (configure / write / read, and topic permissions), with RabbitMQ's ACCESS_REFUSED texts.
import { exchangeResource, resourceRefused, topicRefused, type Access, type PublishingUser } from '../broker/index.js';
import type { MethodContext } from './methods/context.js';

/** Decisions cached per channel until the permission table changes (publish checks run per message). */
const caches = new WeakMap<MethodContext, { version: number; decisions: Map<string, boolean>; lastWrite: string | undefined }>();

/** The channel's user as the broker's publish checks see it, answering from this channel's caches. */
export function publisherOf(ch: MethodContext): PublishingUser {
  let p = publishers.get(ch);
  if (p === undefined) {
    p = {
      name: ch.conn.username,
      mayWrite: (_vhost, resource) => mayWrite(ch, resource),
      mayWriteTopic: (_vhost, exchange, routingKey) => topicAllowed(ch, exchange, routingKey, 'write'),
    };
    publishers.set(ch, p);
  }
  return p;
}
const publishers = new WeakMap<MethodContext, PublishingUser>();

/** basic.publish's check: the exchange last allowed on this channel passes without building a cache key. */
function mayWrite(ch: MethodContext, resource: string): boolean {
  const cache = caches.get(ch);
  if (cache !== undefined && cache.lastWrite === resource && cache.version === ch.conn.ctx.broker.permissions.version) return true;
  if (!allowed(ch, 'exchange', resource, 'write')) return false;
  caches.get(ch)!.lastWrite = resource;
  return true;
}

/** Throws 403 unless the channel's user may `access` the named queue or exchange. The default exchange is 'amq.default'. */
export function authorize(ch: MethodContext, kind: 'exchange' | 'queue', name: string, access: Access): void {
  const resource = kind === 'exchange' ? exchangeResource(name) : name;
  if (!allowed(ch, kind, resource, access)) throw resourceRefused(kind, resource, ch.vhost.name, ch.conn.username);
}

function allowed(ch: MethodContext, kind: 'exchange' | 'queue', resource: string, access: Access): boolean {
  const permissions = ch.conn.ctx.broker.permissions;
  let cache = caches.get(ch);
  if (!cache || cache.version !== permissions.version) {
    caches.set(ch, (cache = { version: permissions.version, decisions: new Map(), lastWrite: undefined }));
  }
  const key = `${access}\0${kind}\0${resource}`;
  let ok = cache.decisions.get(key);
  if (ok === undefined) {
    ok = permissions.allows(ch.conn.username, ch.vhost.name, access, resource);
    if (cache.decisions.size > 1000) cache.decisions.clear();
    cache.decisions.set(key, ok);
  }
  return ok;
}

/**
 * Topic authorisation (RabbitMQ's): on a topic exchange, the routing key of a publish (`write`) or the binding key of a
 * bind or unbind (`read`, on the source exchange) must match the user's topic permission for that exchange, if any.
 */
export function authorizeTopic(ch: MethodContext, exchange: { readonly name: string; readonly type: string }, routingKey: string, access: 'write' | 'read'): void {
  if (!topicAllowed(ch, exchange, routingKey, access)) throw topicRefused(routingKey, exchange.name, ch.vhost.name, ch.conn.username);
}

function topicAllowed(ch: MethodContext, exchange: { readonly name: string; readonly type: string }, routingKey: string, access: 'write' | 'read'): boolean {
  const permissions = ch.conn.ctx.broker.permissions;
  if (!permissions.hasTopic || exchange.type !== 'topic') return true;
  // Publishes run this per message: the channel keeps the pattern of the exchange it last checked (no key building).
  let last = topicCaches.get(ch);
  if (last === undefined || last.version !== permissions.version || last.exchange !== exchange.name || last.access !== access) {
    const pattern = permissions.topicPattern(ch.conn.username, ch.vhost.name, exchange.name, access);
    topicCaches.set(ch, (last = { version: permissions.version, exchange: exchange.name, access, pattern }));
  }
  const re = last.pattern;
  return !(re !== undefined && (re === null || !re.test(routingKey)));
}

const topicCaches = new WeakMap<MethodContext, { version: number; exchange: string; access: 'write' | 'read'; pattern: RegExp | null | undefined }>();
