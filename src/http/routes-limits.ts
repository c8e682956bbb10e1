// Per-vhost and per-user limits: /api/vhost-limits and /api/user-limits, with RabbitMQ's replies and validation texts.
import { isUserLimit, isVhostLimit, type Broker, type User } from '../broker/index.js';
import { limitsJson } from '../definitions/index.js';
import { vhostOr404, type ManagementDeps } from './deps.js';
import { badRequest, HttpError, json, keyMissing, noContent, objectNotFound } from './http-kit.js';
import { listReply } from './listing.js';
import type { Router } from './router.js';
import { canSeeVhost } from './scope.js';

/** A JSON value as Erlang prints the term it decodes to, for RabbitMQ's validation texts. */
function erlangJson(v: unknown): string {
  if (typeof v === 'string') return `<<"${v.replace(/["\\]/g, (c) => `\\${c}`)}">>`;
  if (typeof v === 'number') return String(v);
  if (v === null) return 'null';
  return JSON.stringify(v);
}

/** The body's `value`: an integer (negative means no limit), as RabbitMQ validates it. */
function limitValue(body: Record<string, unknown>, name: string, prefix: string): number {
  if (!('value' in body)) throw keyMissing('value');
  const v = body.value;
  if (typeof v !== 'number' || !Number.isInteger(v)) throw badRequest(`${prefix}${name} should be a number, actually was ${erlangJson(v)}${prefix === '' ? '' : '\n'}`);
  return v;
}

function userOr404(broker: Broker, name: string): string {
  if (!broker.users.has(name)) throw objectNotFound();
  return name;
}

export function limitRoutes(router: Router, deps: ManagementDeps): void {
  const { broker } = deps;
  const limits = broker.limits;
  const vhostRows = (user: User, only?: string) =>
    limits
      .vhostsWithLimits()
      .filter(([v]) => (only === undefined || v === only) && canSeeVhost(broker, user, v))
      .map(([vhost, l]) => ({ vhost, value: limitsJson(l) }));
  const userRows = (only?: string) =>
    limits
      .usersWithLimits()
      .filter(([u]) => only === undefined || u === only)
      .map(([user, l]) => ({ user, value: limitsJson(l) }));

  router
    // Read by any management user, for the vhosts they see (RabbitMQ's is_authorized_vhost_visible); set by administrators.
    .get('/api/vhost-limits', (ctx) => listReply(vhostRows(ctx.user), ctx.query), 'management')
    .get('/api/vhost-limits/:vhost', (ctx) => json(vhostRows(ctx.user, vhostOr404(broker, ctx.param('vhost')).name)), 'visible-vhost')
    .put('/api/vhost-limits/:vhost/:name', async (ctx) => {
      const vhost = broker.vhosts.get(ctx.param('vhost'));
      if (!vhost) throw new HttpError(404, 'not_found', 'vhost_not_found');
      const name = ctx.param('name');
      const body = await ctx.body();
      if (!isVhostLimit(name)) {
        if (!('value' in body)) throw keyMissing('value');
        throw badRequest(`Validation failed\n\nUnrecognised terms [{<<"${name}">>,${erlangJson(body.value)}}] in limits\n`);
      }
      limits.setVhost(vhost.name, name, limitValue(body, name, 'Validation failed\n\n'));
      broker.accessChanged();
      return noContent();
    }, 'administrator')
    .delete('/api/vhost-limits/:vhost/:name', (ctx) => {
      const vhost = vhostOr404(broker, ctx.param('vhost')).name;
      const name = ctx.param('name');
      if (isVhostLimit(name)) {
        limits.clearVhost(vhost, name);
        broker.accessChanged();
      }
      return noContent();
    }, 'administrator')

    // RabbitMQ 3.10 shows every user's limits to any management user (only setting them needs an administrator).
    .get('/api/user-limits', (ctx) => listReply(userRows(), ctx.query), 'management')
    .get('/api/user-limits/:user', (ctx) => json(userRows(userOr404(broker, ctx.param('user')))), 'management')
    .put('/api/user-limits/:user/:name', async (ctx) => {
      const user = ctx.param('user');
      const name = ctx.param('name');
      const body = await ctx.body();
      if (!broker.users.has(user)) throw badRequest(['no_such_user', user]);
      if (!isUserLimit(name)) {
        if (!('value' in body)) throw keyMissing('value');
        throw badRequest(`Unrecognised terms [{<<"${name}">>,${erlangJson(body.value)}}] in user-limits`);
      }
      limits.setUser(user, name, limitValue(body, name, ''));
      broker.accessChanged();
      return noContent();
    }, 'administrator')
    .delete('/api/user-limits/:user/:name', (ctx) => {
      const user = userOr404(broker, ctx.param('user'));
      const name = ctx.param('name');
      if (isUserLimit(name)) {
        limits.clearUser(user, name);
        broker.accessChanged();
      }
      return noContent();
    }, 'administrator');
}
