// Shovel status and restart: GET /api/shovels[/{vhost}[/{name}]], DELETE /api/shovels/vhost/{vhost}/{name}/restart.
import type { ManagementDeps } from './deps.js';
import { noContent, objectNotFound } from './http-kit.js';
import { listReply } from './listing.js';
import type { RequestContext, Router } from './router.js';
import { canAccessVhost } from './scope.js';

export function shovelRoutes(router: Router, deps: ManagementDeps): void {
  const { broker } = deps;
  const rows = (ctx: RequestContext, vhost?: string, name?: string) => {
    if (vhost !== undefined && !broker.vhosts.has(vhost)) throw objectNotFound();
    return (deps.shovels?.status(vhost, name) ?? []).filter((r) => canAccessVhost(broker, ctx.user, r.vhost));
  };
  router
    .get('/api/shovels', (ctx) => listReply(rows(ctx), ctx.query), 'management')
    .get('/api/shovels/:vhost', (ctx) => listReply(rows(ctx, ctx.param('vhost')), ctx.query))
    .get('/api/shovels/vhost/:vhost/:name', (ctx) => {
      // RabbitMQ 3.10 answers this one with a list too.
      const found = rows(ctx, ctx.param('vhost'), ctx.param('name'));
      if (found.length === 0) throw objectNotFound();
      return listReply(found, ctx.query);
    })
    .delete('/api/shovels/vhost/:vhost/:name/restart', (ctx) => {
      const vhost = ctx.param('vhost');
      if (!broker.vhosts.has(vhost) || !deps.shovels?.restart(vhost, ctx.param('name'))) throw objectNotFound();
      return noContent();
    }, 'policymaker');
}
