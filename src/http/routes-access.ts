// Vhosts, users and permissions: /api/vhosts, /api/users, /api/permissions, /api/topic-permissions.
import { boolField } from './body-values.js';
import { CHANNEL_FIELDS, messageStats, windowsOf, withDetails, type Windows } from './rates.js';
import { octetsOf, vhostCounters, vhostLengths } from './stats-sampler.js';
import { compilePattern, isUserLimit, type Broker, type Permission, type TopicPermission, type User, type UserLimit, type VhostMetadata, type VirtualHost } from '../broker/index.js';
import { limitsJson, parseLimits, userFromJson, userJson } from '../definitions/index.js';
import { NODE_NAME, openConnections, vhostOr404, type ManagementDeps } from './deps.js';
import { badRequest, created, json, keyMissing, noContent, objectNotFound, type Reply } from './http-kit.js';
import { listReply } from './listing.js';
import type { RequestContext, Router } from './router.js';
import { canSeeVhost } from './scope.js';

/** A vhost's description and tags as given through the API (the broker keeps them), or the defaults. */
function metaOf(broker: Broker, v: VirtualHost): VhostMetadata {
  return broker.vhostMetadata.get(v) ?? { description: v.name === '/' ? 'Default virtual host' : '', tags: [] };
}

function vhostJson(deps: ManagementDeps, v: VirtualHost, w: Windows): Record<string, unknown> {
  const { broker, server } = deps;
  const meta = metaOf(broker, v);
  const stats = messageStats(v, vhostCounters(server, v), CHANNEL_FIELDS, w.msgRates);
  return {
    name: v.name,
    description: meta.description,
    tags: [...meta.tags],
    default_queue_type: 'undefined',
    metadata: { description: meta.description, tags: [...meta.tags] },
    tracing: v.tracer !== undefined,
    cluster_state: { [NODE_NAME]: 'running' },
    ...(stats ? { message_stats: stats } : {}),
    ...withDetails(v, { ...vhostLengths(v) }, w.lengths),
    ...withDetails(v, octetsOf(openConnections(server).filter((c) => c.vhost === v)), w.dataRates),
  };
}

function permissionJson(p: Permission): Record<string, unknown> {
  return { user: p.user, vhost: p.vhost, configure: p.configure, write: p.write, read: p.read };
}

function topicJson(t: TopicPermission): Record<string, unknown> {
  return { user: t.user, vhost: t.vhost, exchange: t.exchange, write: t.write, read: t.read };
}

/** A permission pattern from a request body: required, a string, a valid regular expression. */
function patternField(body: Record<string, unknown>, key: string): string {
  const v = body[key];
  if (v === undefined) throw keyMissing(key);
  if (typeof v !== 'string') throw badRequest(`${key} must be a string`);
  if (compilePattern(v) === null) throw badRequest(['invalid_regexp', v]);
  return v;
}

/** Closes the vhost's connections and removes its queues and exchanges through the vhost's own methods, then the vhost. */
function deleteVhost(deps: ManagementDeps, v: VirtualHost): void {
  for (const conn of openConnections(deps.server)) {
    if (conn.vhost === v) conn.forceClose(`vhost '${v.name}' is deleted`);
  }
  for (const q of [...v.queues.values()]) v.deleteQueue(q.name, false, false, q.owner ?? 0);
  for (const x of [...v.exchanges.values()]) if (x.name !== '' && !x.name.startsWith('amq.')) v.deleteExchange(x.name, false);
  deps.broker.vhosts.delete(v.name);
  deps.broker.permissions.vhostDeleted(v.name);
  deps.broker.limits.vhostDeleted(v.name);
  deps.broker.parameters.vhostDeleted(v.name);
}

function userOr404(broker: Broker, name: string) {
  const u = broker.users.get(name);
  if (!u) throw objectNotFound();
  return u;
}

export function accessRoutes(router: Router, deps: ManagementDeps): void {
  const { broker } = deps;
  const deleteUser = (name: string) => {
    broker.users.delete(name);
    broker.permissions.userDeleted(name);
    broker.limits.userDeleted(name);
  };
  const perms = broker.permissions;
  const userOut = (u: User) => userJson(u, limitsJson(broker.limits.ofUser(u.name)));
  const topicOf = (vhost: string, user: string) => perms.listTopic().filter((t) => t.vhost === vhost && t.user === user);

  // The exchange comes from the body, as RabbitMQ's, also under /topic-permissions/{vhost}/{user}/{exchange}.
  const setTopic = async (ctx: RequestContext): Promise<Reply> => {
    const vhost = ctx.param('vhost');
    const user = ctx.param('user');
    const body = await ctx.body();
    const exchange = body.exchange;
    if (exchange === undefined) throw keyMissing('exchange');
    if (typeof exchange !== 'string') throw badRequest('exchange must be a string');
    const write = patternField(body, 'write');
    const read = patternField(body, 'read');
    if (!broker.vhosts.has(vhost) || !broker.users.has(user)) throw badRequest('vhost_or_user_not_found');
    const existed = topicOf(vhost, user).length > 0;
    perms.setTopic({ user, vhost, exchange, write, read });
    broker.accessChanged();
    return existed ? noContent() : created();
  };
  router
    .get('/api/vhosts', (ctx) => listReply([...broker.vhosts.values()].filter((v) => canSeeVhost(broker, ctx.user, v.name)).map((v) => vhostJson(deps, v, windowsOf(ctx.query))), ctx.query))
    // RabbitMQ 3.10 answers one vhost to administrators only, though the list shows it to every user who may use it.
    .get('/api/vhosts/:vhost', (ctx) => json(vhostJson(deps, vhostOr404(broker, ctx.param('vhost')), windowsOf(ctx.query))), 'administrator')
    .put('/api/vhosts/:vhost', async (ctx) => {
      const name = ctx.param('vhost');
      const body = await ctx.body();
      const existed = broker.vhosts.has(name);
      const tracing = boolField(body, 'tracing', existed ? broker.vhosts.get(name)!.tracer !== undefined : false);
      const v = broker.addVhost(name);
      v.setTracing(tracing, NODE_NAME, broker.traceListeners);
      const prev = metaOf(broker, v);
      const description = typeof body.description === 'string' ? body.description : prev.description;
      const tags = Array.isArray(body.tags) ? body.tags.filter((t): t is string => typeof t === 'string') : typeof body.tags === 'string' ? body.tags.split(',').map((t) => t.trim()).filter((t) => t !== '') : prev.tags;
      broker.vhostMetadata.set(v, { description, tags });
      broker.accessChanged();
      return existed ? noContent() : created();
    }, 'administrator')
    // Warren's vhosts never stop, so starting one that exists on this node is done already.
    .post('/api/vhosts/:vhost/start/:node', (ctx) => {
      const node = ctx.param('node');
      if (node !== NODE_NAME) throw badRequest(`Request to node ${node} failed with nodedown`);
      if (!broker.vhosts.has(ctx.param('vhost'))) throw badRequest(`Request to node ${node} failed with {no_such_vhost,<<"${ctx.param('vhost')}">>}`);
      return noContent();
    }, 'administrator')
    .delete('/api/vhosts/:vhost', (ctx) => {
      deleteVhost(deps, vhostOr404(broker, ctx.param('vhost')));
      broker.accessChanged();
      return noContent();
    }, 'administrator')
    .get('/api/vhosts/:vhost/permissions', (ctx) => {
      const name = vhostOr404(broker, ctx.param('vhost')).name;
      return listReply(perms.list().filter((p) => p.vhost === name).map(permissionJson), ctx.query);
    }, 'administrator')

    .get('/api/users', (ctx) => listReply([...broker.users.values()].map(userOut), ctx.query), 'administrator')
    .get('/api/users/without-permissions', (ctx) => {
      const withPerms = new Set(perms.list().map((p) => p.user));
      return listReply([...broker.users.values()].filter((u) => !withPerms.has(u.name)).map(userOut), ctx.query);
    }, 'administrator')
    .get('/api/users/:user', (ctx) => json(userOut(userOr404(broker, ctx.param('user')))), 'administrator')
    .put('/api/users/:user', async (ctx) => {
      const name = ctx.param('user');
      const existing = broker.users.get(name);
      const body = await ctx.body();
      const user = userFromJson(name, body, existing);
      // RabbitMQ 3.10 takes `limits` here too, merged into the user's, when it creates the user or sets its password
      // (an update of the tags alone leaves them); invalid limits change nothing (RabbitMQ answers 500).
      const credentials = body.password !== undefined || body.password_hash !== undefined;
      const limits = !existing || credentials ? parseLimits(body.limits, `user '${name}'`, isUserLimit, '') : [];
      broker.users.set(name, user);
      if (!existing) perms.userCreated(name);
      for (const [limit, value] of [...limits].reverse()) broker.limits.setUser(name, limit as UserLimit, value);
      broker.accessChanged();
      return existing ? noContent() : created();
    }, 'administrator')
    .delete('/api/users/:user', (ctx) => {
      const name = userOr404(broker, ctx.param('user')).name;
      deleteUser(name);
      broker.accessChanged();
      return noContent();
    }, 'administrator')
    // As RabbitMQ: users are deleted in order; an unknown one stops there with 400 (those before it are gone).
    .post('/api/users/bulk-delete', async (ctx) => {
      const body = await ctx.body();
      if (body.users === undefined) throw keyMissing('users');
      if (!Array.isArray(body.users)) throw badRequest('users must be a list of user names');
      try {
        for (const u of body.users) {
          if (typeof u !== 'string' || !broker.users.has(u)) throw badRequest(['no_such_user', u]);
          deleteUser(u);
        }
      } finally {
        broker.accessChanged();
      }
      return noContent();
    }, 'administrator')
    .get('/api/users/:user/permissions', (ctx) => {
      const name = userOr404(broker, ctx.param('user')).name;
      return listReply(perms.list().filter((p) => p.user === name).map(permissionJson), ctx.query);
    }, 'administrator')

    .get('/api/permissions', (ctx) => listReply(perms.list().map(permissionJson), ctx.query), 'administrator')
    .get('/api/permissions/:vhost/:user', (ctx) => {
      const p = perms.get(ctx.param('user'), ctx.param('vhost'));
      if (!p) throw objectNotFound();
      return json(permissionJson(p));
    }, 'administrator')
    .put('/api/permissions/:vhost/:user', async (ctx) => {
      const vhost = vhostOr404(broker, ctx.param('vhost')).name;
      const user = userOr404(broker, ctx.param('user')).name;
      const body = await ctx.body();
      const fields: Record<string, string> = {};
      for (const key of ['configure', 'write', 'read']) {
        const v = body[key];
        if (v === undefined) throw keyMissing(key);
        if (typeof v !== 'string') throw badRequest(`${key} must be a string`);
        if (compilePattern(v) === null) throw badRequest(`invalid regular expression '${v}'`);
        fields[key] = v;
      }
      const existed = perms.get(user, vhost) !== undefined;
      perms.set({ user, vhost, configure: fields.configure!, write: fields.write!, read: fields.read! });
      broker.accessChanged();
      return existed ? noContent() : created();
    }, 'administrator')
    .delete('/api/permissions/:vhost/:user', (ctx) => {
      if (!perms.clear(ctx.param('user'), ctx.param('vhost'))) throw objectNotFound();
      broker.accessChanged();
      return noContent();
    }, 'administrator')

    .get('/api/topic-permissions', (ctx) => listReply(perms.listTopic().map(topicJson), ctx.query), 'administrator')
    .get('/api/topic-permissions/:vhost/:user', (ctx) => {
      const list = topicOf(ctx.param('vhost'), ctx.param('user'));
      if (list.length === 0) throw objectNotFound();
      return listReply(list.map(topicJson), ctx.query);
    }, 'administrator')
    .put('/api/topic-permissions/:vhost/:user', setTopic, 'administrator')
    .delete('/api/topic-permissions/:vhost/:user', (ctx) => {
      if (!perms.clearTopic(ctx.param('user'), ctx.param('vhost'))) throw objectNotFound();
      broker.accessChanged();
      return noContent();
    }, 'administrator')
    // RabbitMQ 3.10's per-exchange path: GET lists the user's topic permissions in the vhost (all exchanges, as its
    // does), PUT is the same as without the exchange, DELETE removes only that exchange's (204 even when it had none).
    .get('/api/topic-permissions/:vhost/:user/:exchange', (ctx) => {
      const list = topicOf(ctx.param('vhost'), ctx.param('user'));
      if (list.length === 0) throw objectNotFound();
      return listReply(list.map(topicJson), ctx.query);
    }, 'administrator')
    .put('/api/topic-permissions/:vhost/:user/:exchange', setTopic, 'administrator')
    .delete('/api/topic-permissions/:vhost/:user/:exchange', (ctx) => {
      if (topicOf(ctx.param('vhost'), ctx.param('user')).length === 0) throw objectNotFound();
      if (perms.clearTopic(ctx.param('user'), ctx.param('vhost'), ctx.param('exchange'))) broker.accessChanged();
      return noContent();
    }, 'administrator')
    .get('/api/users/:user/topic-permissions', (ctx) => {
      const name = userOr404(broker, ctx.param('user')).name;
      return listReply(perms.listTopic().filter((t) => t.user === name).map(topicJson), ctx.query);
    }, 'administrator')
    .get('/api/vhosts/:vhost/topic-permissions', (ctx) => {
      const name = vhostOr404(broker, ctx.param('vhost')).name;
      return listReply(perms.listTopic().filter((t) => t.vhost === name).map((t) => ({ vhost: t.vhost, user: t.user, exchange: t.exchange, write: t.write, read: t.read })), ctx.query);
    }, 'administrator');
}
