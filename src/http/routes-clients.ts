// Connections, channels and consumers: /api/connections (DELETE closes with 320 CONNECTION_FORCED), /api/channels, /api/consumers.
import type { Channel } from '../server/channel.js';
import type { Connection } from '../server/index.js';
import { connectionName, openConnections, vhostOr404, type ManagementDeps } from './deps.js';
import { allConsumers, channelJson, channelName, connectionJson, consumerJson } from './format.js';
import { json, noContent, objectNotFound } from './http-kit.js';
import { listReply } from './listing.js';
import type { RequestContext, Router } from './router.js';

export function clientRoutes(router: Router, deps: ManagementDeps): void {
  const { broker, server } = deps;

  /** Open connections, limited to the path's vhost when there is one. */
  const connections = (ctx: RequestContext): Connection[] => {
    const name = ctx.optionalParam('vhost');
    const v = name === undefined ? undefined : vhostOr404(broker, name);
    return openConnections(server).filter((c) => v === undefined || c.vhost === v);
  };
  const channels = (conns: Connection[]): Channel[] => conns.flatMap((c) => [...c.channels.values()]);
  const connectionOr404 = (name: string): Connection => {
    const conn = openConnections(server).find((c) => connectionName(c) === name);
    if (!conn) throw objectNotFound();
    return conn;
  };

  router
    .get('/api/connections', (ctx) => listReply(connections(ctx).map(connectionJson), ctx.query))
    .get('/api/vhosts/:vhost/connections', (ctx) => listReply(connections(ctx).map(connectionJson), ctx.query))
    .get('/api/connections/:name', (ctx) => json(connectionJson(connectionOr404(ctx.param('name')))))
    .delete('/api/connections/:name', (ctx) => {
      const conn = connectionOr404(ctx.param('name'));
      const reason = ctx.req.headers['x-reason'];
      conn.forceClose(typeof reason === 'string' && reason !== '' ? reason : 'Closed via management plugin');
      return noContent();
    })
    .get('/api/connections/:name/channels', (ctx) => listReply(channels([connectionOr404(ctx.param('name'))]).map(channelJson), ctx.query))
    .get('/api/channels', (ctx) => listReply(channels(connections(ctx)).map(channelJson), ctx.query))
    .get('/api/vhosts/:vhost/channels', (ctx) => listReply(channels(connections(ctx)).map(channelJson), ctx.query))
    .get('/api/channels/:name', (ctx) => {
      const ch = channels(openConnections(server)).find((c) => channelName(c) === ctx.param('name'));
      if (!ch) throw objectNotFound();
      return json(channelJson(ch));
    })
    .get('/api/consumers', (ctx) => listReply(allConsumers(server).map(consumerJson), ctx.query))
    .get('/api/consumers/:vhost', (ctx) => {
      const v = vhostOr404(broker, ctx.param('vhost'));
      return listReply(allConsumers(server).filter((c) => c.channel.conn.vhost === v).map(consumerJson), ctx.query);
    });
}
