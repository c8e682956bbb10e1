// Connections, channels and consumers: /api/connections (DELETE closes with 320 CONNECTION_FORCED), /api/channels, /api/consumers; a non-monitoring user sees only their own.
import type { Channel } from '../server/channel.js';
import { allConsumers, type Connection } from '../server/index.js';
import { connectionName, openConnections, vhostOr404, type ManagementDeps } from './deps.js';
import { channelJson, channelName, connectionJson, consumerJson } from './format.js';
import { json, noContent, objectNotFound } from './http-kit.js';
import { listReply } from './listing.js';
import { windowsOf } from './rates.js';
import type { RequestContext, Router } from './router.js';
import { checkClientAccess, seesClientOf } from './scope.js';

export function clientRoutes(router: Router, deps: ManagementDeps): void {
  const { broker, server } = deps;

  /** Open connections the user sees, limited to the path's vhost when there is one. */
  const connections = (ctx: RequestContext): Connection[] => {
    const name = ctx.optionalParam('vhost');
    const v = name === undefined ? undefined : vhostOr404(broker, name);
    return openConnections(server).filter((c) => (v === undefined || c.vhost === v) && seesClientOf(ctx.user, c.username));
  };
  const channels = (conns: Connection[]): Channel[] => conns.flatMap((c) => [...c.channels.values()]);
  /** The named connection, if the user may read it (or close it, for DELETE). */
  const connectionOf = (ctx: RequestContext): Connection => {
    const conn = openConnections(server).find((c) => connectionName(c) === ctx.param('name'));
    if (!conn) throw objectNotFound();
    checkClientAccess(ctx.user, conn.username, ctx.req.method ?? 'GET');
    return conn;
  };
  /** Consumers the user sees: on their own channels, or all for a monitoring user (RabbitMQ filters them by user only). */
  const consumers = (ctx: RequestContext) => allConsumers(server).filter((c) => seesClientOf(ctx.user, c.channel.conn.username));

  router
    .get('/api/connections', (ctx) => listReply(connections(ctx).map((c) => connectionJson(c, windowsOf(ctx.query))), ctx.query))
    .get('/api/vhosts/:vhost/connections', (ctx) => listReply(connections(ctx).map((c) => connectionJson(c, windowsOf(ctx.query))), ctx.query))
    .get('/api/connections/:name', (ctx) => json(connectionJson(connectionOf(ctx), windowsOf(ctx.query))))
    .delete('/api/connections/:name', (ctx) => {
      const conn = connectionOf(ctx);
      const reason = ctx.req.headers['x-reason'];
      conn.forceClose(typeof reason === 'string' && reason !== '' ? reason : 'Closed via management plugin');
      return noContent();
    })
    // A user's connections (RabbitMQ's /api/connections/username/USER); DELETE closes them all.
    .get('/api/connections/username/:user', (ctx) => listReply(openConnections(server).filter((c) => c.username === ctx.param('user') && seesClientOf(ctx.user, c.username)).map((c) => connectionJson(c, windowsOf(ctx.query))), ctx.query))
    .delete('/api/connections/username/:user', (ctx) => {
      const reason = ctx.req.headers['x-reason'];
      for (const conn of openConnections(server).filter((c) => c.username === ctx.param('user'))) {
        checkClientAccess(ctx.user, conn.username, 'DELETE');
        conn.forceClose(typeof reason === 'string' && reason !== '' ? reason : 'Closed via management plugin');
      }
      return noContent();
    })
    .get('/api/connections/:name/channels', (ctx) => listReply(channels([connectionOf(ctx)]).map((c) => channelJson(c, windowsOf(ctx.query))), ctx.query))
    .get('/api/channels', (ctx) => listReply(channels(connections(ctx)).map((c) => channelJson(c, windowsOf(ctx.query))), ctx.query))
    .get('/api/vhosts/:vhost/channels', (ctx) => listReply(channels(connections(ctx)).map((c) => channelJson(c, windowsOf(ctx.query))), ctx.query))
    .get('/api/channels/:name', (ctx) => {
      const ch = channels(openConnections(server)).find((c) => channelName(c) === ctx.param('name'));
      if (!ch) throw objectNotFound();
      checkClientAccess(ctx.user, ch.conn.username, 'GET');
      // The single-channel view adds its consumers, as RabbitMQ's (deliveries and publishes per queue and exchange
      // are its detailed rates mode's: empty, as in its basic mode).
      const consumerDetails = allConsumers(server).filter((c) => c.channel === ch).map(consumerJson);
      return json({ ...channelJson(ch, windowsOf(ctx.query)), consumer_details: consumerDetails, deliveries: [], publishes: [] });
    })
    .get('/api/consumers', (ctx) => listReply(consumers(ctx).map(consumerJson), ctx.query))
    // RabbitMQ checks no vhost access here (a management user is answered 200 with their own consumers, if any).
    .get('/api/consumers/:vhost', (ctx) => {
      const v = vhostOr404(broker, ctx.param('vhost'));
      return listReply(consumers(ctx).filter((c) => c.channel.conn.vhost === v).map(consumerJson), ctx.query);
    }, 'management');
}
