// Queues, exchanges and bindings: listing, PUT to declare, DELETE, purge, get and publish, all through the vhost's own methods.
import { boolField } from './body-values.js';
import { windowsOf } from './rates.js';
import { exchangeFromResource, type Broker, type Exchange, type Queue, type VirtualHost } from '../broker/index.js';
import { allConsumers, unackedByQueue, type Connection } from '../server/index.js';
import { checkBindingAccess, checkVhostAccess } from './authz.js';
import { jsonToTable, tableToJson } from '../definitions/index.js';
import { NO_CONNECTION, vhostOr404, viaBroker, type ManagementDeps } from './deps.js';
import {
  bindingJson,
  exchangeJson,
  propertiesKey,
  queueDetailJson,
  queueJson,
  quotePlus,
  vhostBindings,
  type BindingView,
} from './format.js';
import { badRequest, created, HttpError, json, keyMissing, noContent, objectNotFound, queryFlag } from './http-kit.js';
import { listReply } from './listing.js';
import { getViaApi, publishViaApi } from './messages.js';
import type { RequestContext, Router } from './router.js';
import { canAccessVhost } from './scope.js';

/** RabbitMQ's parse_bool: JSON booleans or the strings "true" / "false". */
/** The vhost named in the path, or for the unscoped list every vhost the user may use. */
function vhostsIn(broker: Broker, ctx: RequestContext): VirtualHost[] {
  const name = ctx.optionalParam('vhost');
  if (name !== undefined) return [vhostOr404(broker, name)];
  return [...broker.vhosts.values()].filter((v) => canAccessVhost(broker, ctx.user, v.name));
}

function byName<T extends { name: string }>(a: T, b: T): number {
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}

function owners(deps: ManagementDeps): Map<number, Connection> {
  return new Map([...deps.server.connections].map((c) => [c.id, c]));
}

function queueOr404(v: VirtualHost, name: string): Queue {
  const q = v.queues.get(name);
  if (!q) throw objectNotFound();
  return q;
}

export function topologyRoutes(router: Router, deps: ManagementDeps): void {
  const { broker, server } = deps;
  const queuePolicy = (q: Queue) => broker.parameters.applied(q.vhost, q.name, q.settings.type);
  const exchangePolicy = (x: Exchange) => broker.parameters.applied(x.vhost, x.name, 'exchange');

  const listQueues = (ctx: RequestContext) => {
    const unacked = unackedByQueue(server);
    const conns = owners(deps);
    const w = windowsOf(ctx.query);
    const rows = vhostsIn(broker, ctx).flatMap((v) => [...v.queues.values()].sort(byName).map((q) => queueJson(q, unacked, q.owner === undefined ? undefined : conns.get(q.owner), w, queuePolicy(q))));
    return listReply(rows, ctx.query);
  };
  const listExchanges = (ctx: RequestContext) =>
    listReply(vhostsIn(broker, ctx).flatMap((v) => [...v.exchanges.values()].sort(byName).map((x) => exchangeJson(x, windowsOf(ctx.query), exchangePolicy(x)))), ctx.query);
  const listBindings = (ctx: RequestContext) => listReply(vhostsIn(broker, ctx).flatMap(vhostBindings).map(bindingJson), ctx.query);

  // ---- queues
  router
    .get('/api/queues', listQueues)
    .get('/api/queues/:vhost', listQueues)
    .get('/api/queues/:vhost/:name', (ctx) => {
      const q = queueOr404(vhostOr404(broker, ctx.param('vhost')), ctx.param('name'));
      const owner = q.owner === undefined ? undefined : owners(deps).get(q.owner);
      return json(queueDetailJson(q, unackedByQueue(server), owner, allConsumers(server), windowsOf(ctx.query), queuePolicy(q)));
    })
    .put('/api/queues/:vhost/:name', async (ctx) => {
      const v = broker.vhosts.get(ctx.param('vhost'));
      if (!v) throw vhostNotFound();
      const body = await ctx.body();
      const name = ctx.param('name');
      const durable = boolField(body, 'durable', false);
      const autoDelete = boolField(body, 'auto_delete', false);
      if (boolField(body, 'exclusive', false)) throw badRequest('exclusive queues belong to an AMQP connection; declare them over AMQP');
      const args = jsonToTable(body.arguments);
      const existed = v.queues.has(name);
      viaBroker(() => v.declareQueue({ name, passive: false, durable, exclusive: false, autoDelete, arguments: args, connectionId: NO_CONNECTION }));
      return existed ? noContent() : created();
    })
    .delete('/api/queues/:vhost/:name', (ctx) => {
      const v = vhostOr404(broker, ctx.param('vhost'));
      const q = queueOr404(v, ctx.param('name'));
      viaBroker(() => v.deleteQueue(q.name, queryFlag(ctx.query, 'if-unused'), queryFlag(ctx.query, 'if-empty'), NO_CONNECTION));
      return noContent();
    })
    .delete('/api/queues/:vhost/:name/contents', (ctx) => {
      const v = vhostOr404(broker, ctx.param('vhost'));
      const q = queueOr404(v, ctx.param('name'));
      viaBroker(() => v.queue(q.name, NO_CONNECTION).purge());
      return noContent();
    })
    // sync / cancel_sync of classic mirrored queues: Warren's queues have no mirrors, so there is nothing to do (RabbitMQ
    // answers 204 for an unmirrored queue too); any other action is its 400 ["unknown", action].
    .post('/api/queues/:vhost/:name/actions', async (ctx) => {
      queueOr404(vhostOr404(broker, ctx.param('vhost')), ctx.param('name'));
      const action = (await ctx.body()).action;
      if (action === undefined) throw keyMissing('action');
      if (action !== 'sync' && action !== 'cancel_sync') throw badRequest(['unknown', action]);
      return noContent();
    }, 'administrator')
    .post('/api/queues/:vhost/:name/get', async (ctx) => json(getViaApi(broker, ctx.user, ctx.param('vhost'), ctx.param('name'), await ctx.body())))
    .get('/api/queues/:vhost/:name/bindings', (ctx) => {
      const v = vhostOr404(broker, ctx.param('vhost'));
      const q = queueOr404(v, ctx.param('name'));
      const rows = vhostBindings(v).filter((b) => b.destinationType === 'queue' && b.destination === q.name);
      return listReply(rows.map(bindingJson), ctx.query);
    });

  // ---- exchanges
  const exchangeOr404 = (ctx: RequestContext) => {
    const v = vhostOr404(broker, ctx.param('vhost'));
    const x = v.exchanges.get(exchangeFromResource(ctx.param('name')));
    if (!x) throw objectNotFound();
    return { v, x };
  };
  router
    .get('/api/exchanges', listExchanges)
    .get('/api/exchanges/:vhost', listExchanges)
    .get('/api/exchanges/:vhost/:name', (ctx) => {
      const x = exchangeOr404(ctx).x;
      return json({ ...exchangeJson(x, windowsOf(ctx.query), exchangePolicy(x)), incoming: [], outgoing: [] });
    })
    .put('/api/exchanges/:vhost/:name', async (ctx) => {
      const v = broker.vhosts.get(ctx.param('vhost'));
      if (!v) throw vhostNotFound();
      const body = await ctx.body();
      const name = exchangeFromResource(ctx.param('name'));
      const type = body.type;
      if (type === undefined) throw badRequest('[{key_missing,type}]');
      if (typeof type !== 'string') throw badRequest('type must be a string');
      const req = {
        name,
        type,
        passive: false,
        durable: boolField(body, 'durable', false),
        autoDelete: boolField(body, 'auto_delete', false),
        internal: boolField(body, 'internal', false),
        arguments: jsonToTable(body.arguments),
      };
      const existed = v.exchanges.has(name);
      viaBroker(() => v.declareExchange(req));
      return existed ? noContent() : created();
    })
    .delete('/api/exchanges/:vhost/:name', (ctx) => {
      const { v, x } = exchangeOr404(ctx);
      viaBroker(() => v.deleteExchange(x.name, queryFlag(ctx.query, 'if-unused')));
      return noContent();
    })
    .get('/api/exchanges/:vhost/:name/bindings/source', (ctx) => {
      const { v, x } = exchangeOr404(ctx);
      return listReply(vhostBindings(v).filter((b) => b.source === x.name).map(bindingJson), ctx.query);
    })
    .get('/api/exchanges/:vhost/:name/bindings/destination', (ctx) => {
      const { v, x } = exchangeOr404(ctx);
      return listReply(vhostBindings(v).filter((b) => b.destinationType === 'exchange' && b.destination === x.name).map(bindingJson), ctx.query);
    })
    .post('/api/exchanges/:vhost/:name/publish', async (ctx) =>
      json(await publishViaApi(broker, ctx.user, ctx.param('vhost'), ctx.param('name'), await ctx.body(), server.options.maxMessageSize)),
    );

  // ---- bindings
  router.get('/api/bindings', listBindings).get('/api/bindings/:vhost', listBindings);
  for (const [seg, kind] of [['q', 'queue'], ['e', 'exchange']] as const) {
    const between = (ctx: RequestContext): { v: VirtualHost; rows: BindingView[]; source: string; destination: string } => {
      const v = vhostOr404(broker, ctx.param('vhost'));
      const source = exchangeFromResource(ctx.param('source'));
      const destination = kind === 'exchange' ? exchangeFromResource(ctx.param('destination')) : ctx.param('destination');
      if (!v.exchanges.has(source)) throw objectNotFound();
      if (kind === 'queue' ? !v.queues.has(destination) : !v.exchanges.has(destination)) throw objectNotFound();
      const rows = vhostBindings(v).filter((b) => b.source === source && b.destinationType === kind && b.destination === destination);
      return { v, rows, source, destination };
    };
    const one = (ctx: RequestContext) => {
      const found = between(ctx);
      // As RabbitMQ, the key is unquoted once more after the path's decoding, so rabbitmqadmin's
      // `properties_key=invoice.*` (sent as invoice.%2A) and the listed `invoice.%2A` (sent as invoice.%252A) both match.
      const key = unquotePlus(ctx.param('props'));
      const b = found.rows.find((r) => unquotePlus(propertiesKey(r.routingKey, r.arguments)) === key);
      if (!b) throw objectNotFound();
      return { ...found, b };
    };
    const base = `/api/bindings/:vhost/e/:source/${seg}/:destination`;
    router
      .get(base, (ctx) => listReply(between(ctx).rows.map(bindingJson), ctx.query))
      .post(base, async (ctx) => {
        const v = broker.vhosts.get(ctx.param('vhost'));
        if (!v) throw vhostNotFound();
        checkVhostAccess(broker, ctx.user, v);
        const body = await ctx.body();
        const routingKey = body.routing_key ?? '';
        if (typeof routingKey !== 'string') throw badRequest('routing_key must be a string');
        const args = jsonToTable(body.arguments);
        const source = exchangeFromResource(ctx.param('source'));
        const destination = kind === 'exchange' ? exchangeFromResource(ctx.param('destination')) : ctx.param('destination');
        checkBindingAccess(broker, ctx.user, v, source, destination, routingKey);
        viaBroker(() => {
          if (kind === 'queue') v.bindQueue(destination, source, routingKey, args, NO_CONNECTION);
          else v.bindExchange(destination, source, routingKey, args, false);
        });
        return created({ location: `${quotePlus(destination)}/${quotePlus(propertiesKey(routingKey, tableToJson(args)))}` });
      })
      .get(`${base}/:props`, (ctx) => json(bindingJson(one(ctx).b)))
      .delete(`${base}/:props`, (ctx) => {
        checkVhostAccess(broker, ctx.user, vhostOr404(broker, ctx.param('vhost')));
        const { v, b } = one(ctx);
        checkBindingAccess(broker, ctx.user, v, b.source, b.destination, b.routingKey);
        viaBroker(() => {
          if (kind === 'queue') v.unbindQueue(b.destination, b.source, b.routingKey, b.table, NO_CONNECTION);
          else v.bindExchange(b.destination, b.source, b.routingKey, b.table, true);
        });
        return noContent();
      });
  }
}

/** `+` as a space, then percent-decoding; text that is not valid percent-encoding stays as it is. */
function unquotePlus(s: string): string {
  try {
    return decodeURIComponent(s.replace(/\+/g, ' '));
  } catch {
    return s.replace(/\+/g, ' ');
  }
}

/** A declare or bind naming a missing vhost (RabbitMQ's shape for it). */
function vhostNotFound(): HttpError {
  return new HttpError(404, 'not_found', 'vhost_not_found');
}
