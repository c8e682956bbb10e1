// The management HTTP API server (RabbitMQ's paths and JSON on port 15672): Basic auth against the broker's users, then routing.
import type { User } from '../broker/index.js';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { TlsOptions } from 'node:tls';
import { DefinitionsError } from '../definitions/index.js';
import { listenTcp } from '../shared/listen.js';
import { dashboardReply } from './dashboard/index.js';
import type { ManagementDeps } from './deps.js';
import { badRequest, closeHttp, HttpError, objectNotFound, parseBasicAuth, send, sendError } from './http-kit.js';
import { makeContext, pathSegments, Router } from './router.js';
import { accessRoutes } from './routes-access.js';
import { clientRoutes } from './routes-clients.js';
import { definitionsRoutes } from './routes-definitions.js';
import { limitRoutes } from './routes-limits.js';
import { nodeRoutes, type Listeners } from './routes-node.js';
import { nodeInfoRoutes } from './routes-node-info.js';
import { startSampling } from './stats-sampler.js';
import { parameterRoutes } from './routes-parameters.js';
import { shovelRoutes } from './routes-shovels.js';
import { topologyRoutes } from './routes-topology.js';
import { traceRoutes } from './routes-trace.js';
import { authorizeRoute } from './scope.js';
import { isManagementUser } from './users.js';

export interface HttpListenOptions {
  /** 0 picks a free port. */
  port: number;
  /** Listen address; undefined listens on every IPv4 and IPv6 address. */
  host?: string | undefined;
}

/** A started HTTP listener. */
export interface HttpListener {
  readonly port: number;
  close(): Promise<void>;
}

/** Where the management API listens: plain HTTP, HTTPS (RabbitMQ's `management.ssl.*`), or both. */
export interface ManagementListenOptions {
  /** HTTP port (0 picks a free one); undefined leaves plain HTTP off. */
  port?: number | undefined;
  /** Listen address; undefined listens on every IPv4 and IPv6 address. */
  host?: string | undefined;
  /** The HTTPS listener: its port (0 picks a free one), address and node TLS options. */
  https?: { port: number; host?: string | undefined; tls: TlsOptions } | undefined;
  /** Listed among the node's listeners when given. */
  prometheusPort?: number | undefined;
  /** The amqps port, listed among the node's listeners when given. */
  amqpTlsPort?: number | undefined;
}

/** The started management API: its HTTP and HTTPS ports (undefined for one that is off). */
export interface ManagementListener {
  readonly port: number | undefined;
  readonly httpsPort: number | undefined;
  close(): Promise<void>;
}

/** The caller of a public route: no name, no tags. */
const ANONYMOUS: User = { name: '', tags: [] };

const REALM = { 'www-authenticate': 'Basic realm="RabbitMQ Management"' };

/** Builds the API's routes for a broker (exported for tests that drive the router without a socket). */
export function managementRouter(deps: ManagementDeps, listeners: Listeners): Router {
  const router = new Router();
  nodeRoutes(router, deps, listeners);
  nodeInfoRoutes(router, deps.broker);
  accessRoutes(router, deps);
  limitRoutes(router, deps);
  parameterRoutes(router, deps);
  shovelRoutes(router, deps);
  traceRoutes(router, deps);
  topologyRoutes(router, deps);
  clientRoutes(router, deps);
  definitionsRoutes(router, deps);
  return router;
}

/** Starts the management API over HTTP, HTTPS or both (one router; the node's listeners list every port). */
export async function startManagement(deps: ManagementDeps, opts: ManagementListenOptions): Promise<ManagementListener> {
  const listeners: Listeners = {
    amqp: deps.port ?? deps.server.options.port,
    amqpTls: opts.amqpTlsPort,
    management: undefined,
    managementTls: undefined,
    prometheus: opts.prometheusPort,
  };
  const router = managementRouter(deps, listeners);
  const log = deps.server.logger.child({ component: 'management' });

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const page = dashboardReply(req.method ?? 'GET', url.pathname);
    if (page) return send(res, page);
    const segments = pathSegments(url.pathname);
    if (segments === undefined) throw objectNotFound();
    const method = req.method ?? 'GET';
    const match = router.match(method, segments);
    if (match.kind === 'none') throw objectNotFound();
    if (match.kind === 'method') {
      const allowed = [...new Set(match.allowed.includes('GET') ? ['HEAD', ...match.allowed, 'OPTIONS'] : [...match.allowed, 'OPTIONS'])];
      if (method === 'OPTIONS') return send(res, { status: 200, headers: { allow: allowed.join(', ') } });
      return send(res, { status: 405, headers: { allow: allowed.join(', ') } });
    }
    if (match.access === 'public') return send(res, await match.handler(makeContext(req, ANONYMOUS, url.searchParams, match.params)));
    const creds = parseBasicAuth(req.headers.authorization);
    const user = creds ? deps.broker.authenticate(creds.username, creds.password) : undefined;
    if (creds) deps.broker.totals.auth.http[user ? 'succeeded' : 'failed'] += 1;
    if (!user) throw new HttpError(401, 'not_authorized', 'Login failed', REALM);
    if (!isManagementUser(user)) throw new HttpError(401, 'not_authorized', 'Not management user', REALM);
    authorizeRoute(deps.broker, user, match.access, match.params.get('vhost'));
    send(res, await match.handler(makeContext(req, user, url.searchParams, match.params)));
  };

  const onRequest = (req: IncomingMessage, res: ServerResponse): void => {
    handle(req, res).catch((e: unknown) => {
      if (res.headersSent) return;
      if (e instanceof HttpError) return sendError(res, e);
      if (e instanceof DefinitionsError) return sendError(res, badRequest(e.reason));
      log.error({ err: e, method: req.method, url: req.url }, 'management request failed');
      sendError(res, new HttpError(500, 'internal_error', e instanceof Error ? e.message : String(e)));
    });
  };
  const servers: Server[] = [];
  const stopSampling = startSampling(deps);
  const close = () => {
    stopSampling();
    return Promise.all(servers.map((s) => closeHttp(s))).then(() => {});
  };
  try {
    if (opts.port !== undefined) {
      const server = createServer(onRequest);
      servers.push(server);
      listeners.management = await listenTcp(server, opts.port, opts.host);
    }
    if (opts.https !== undefined) {
      const server = createHttpsServer(opts.https.tls, onRequest);
      server.on('tlsClientError', (err) => log.debug({ reason: err.message }, 'TLS handshake failed'));
      servers.push(server);
      listeners.managementTls = await listenTcp(server, opts.https.port, opts.https.host);
    }
  } catch (e) {
    await close();
    throw e;
  }
  return { port: listeners.management, httpsPort: listeners.managementTls, close };
}
