// GET and POST /api/definitions[/{vhost}] (and the deprecated /api/all-configuration): RabbitMQ's definitions JSON, exported and imported.
import { exportDefinitions, exportVhostDefinitions, importDefinitions } from '../definitions/index.js';
import { vhostOr404, type ManagementDeps } from './deps.js';
import { noContent, type Reply } from './http-kit.js';
import type { RequestContext, Router } from './router.js';

/** `?download=file.json` asks for an attachment, as the management UI's export button does. */
function download(body: unknown, ctx: RequestContext): Reply {
  const name = ctx.query.get('download');
  if (!name) return { status: 200, body };
  return { status: 200, body, headers: { 'content-disposition': `attachment; filename=${JSON.stringify(name)}` } };
}

export function definitionsRoutes(router: Router, deps: ManagementDeps): void {
  const { broker } = deps;
  const log = deps.server.logger.child({ component: 'definitions' });
  const load = async (ctx: RequestContext, vhost?: string): Promise<Reply> => {
    const { warnings } = importDefinitions(broker, await ctx.body(), vhost);
    for (const w of warnings) log.warn(w);
    log.info({ user: ctx.user.name, ...(vhost !== undefined ? { vhost } : {}) }, 'imported definitions');
    return noContent();
  };
  router
    .get('/api/definitions', (ctx) => download(exportDefinitions(broker), ctx), 'administrator')
    .post('/api/definitions', (ctx) => load(ctx), 'administrator')
    // RabbitMQ 3.10 still routes its old name to the same handler.
    .get('/api/all-configuration', (ctx) => download(exportDefinitions(broker), ctx), 'administrator')
    .post('/api/all-configuration', (ctx) => load(ctx), 'administrator')
    .get('/api/definitions/:vhost', (ctx) => download(exportVhostDefinitions(broker, vhostOr404(broker, ctx.param('vhost'))), ctx), 'administrator')
    .post('/api/definitions/:vhost', (ctx) => load(ctx, vhostOr404(broker, ctx.param('vhost')).name), 'administrator');
}
