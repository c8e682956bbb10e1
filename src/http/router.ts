// A small path router: `/api/queues/:vhost/:name` patterns over percent-decoded segments, 405 with Allow for other methods.
import type { IncomingMessage } from 'node:http';
import type { User } from '../broker/index.js';
import { badRequest, parseJsonObject, readBody, type Reply } from './http-kit.js';

/** Largest request body accepted (RabbitMQ's management.http.max_body_size default is 20 MB). */
export const MAX_BODY_BYTES = 32 * 1024 * 1024;

export interface RequestContext {
  readonly req: IncomingMessage;
  readonly user: User;
  readonly query: URLSearchParams;
  /** A path parameter (always present when its route matched). */
  param(name: string): string;
  optionalParam(name: string): string | undefined;
  /** The body as a JSON object (`{}` when empty); 400 `not_json` otherwise. */
  body(): Promise<Record<string, unknown>>;
  rawBody(): Promise<Buffer>;
}

export type Handler = (ctx: RequestContext) => Reply | Promise<Reply>;

/**
 * Who may call a route (checked in scope.ts): `vhost`, the default, any management user, but a `:vhost` in the path
 * must be one they may use (RabbitMQ's is_authorized_vhost); `visible-vhost` likewise with the vhosts a monitoring
 * user sees; `management` any management user whatever the path names; `monitoring` and `administrator` those tags;
 * `policymaker` the policymaker or administrator tag, and a `:vhost` in the path one a policymaker has permissions in;
 * `public` anyone, without credentials (the login page's /api/auth).
 */
export type Access = 'vhost' | 'visible-vhost' | 'management' | 'monitoring' | 'policymaker' | 'administrator' | 'public';

interface Route {
  readonly method: string;
  readonly segments: readonly string[];
  readonly handler: Handler;
  readonly access: Access;
}

export type Match =
  | { kind: 'route'; handler: Handler; access: Access; params: Map<string, string> }
  | { kind: 'method'; allowed: string[] }
  | { kind: 'none' };

export class Router {
  private readonly routes: Route[] = [];

  add(method: string, pattern: string, handler: Handler, access: Access = 'vhost'): this {
    this.routes.push({ method, segments: pattern.split('/').filter((s) => s !== ''), handler, access });
    return this;
  }

  get(pattern: string, handler: Handler, access?: Access): this {
    return this.add('GET', pattern, handler, access);
  }

  put(pattern: string, handler: Handler, access?: Access): this {
    return this.add('PUT', pattern, handler, access);
  }

  post(pattern: string, handler: Handler, access?: Access): this {
    return this.add('POST', pattern, handler, access);
  }

  delete(pattern: string, handler: Handler, access?: Access): this {
    return this.add('DELETE', pattern, handler, access);
  }

  /** Matches decoded path segments; HEAD is served by GET routes. */
  match(method: string, segments: readonly string[]): Match {
    const allowed: string[] = [];
    for (const r of this.routes) {
      const params = matchSegments(r.segments, segments);
      if (!params) continue;
      if (r.method === method || (method === 'HEAD' && r.method === 'GET')) return { kind: 'route', handler: r.handler, access: r.access, params };
      allowed.push(r.method);
    }
    return allowed.length > 0 ? { kind: 'method', allowed } : { kind: 'none' };
  }
}

function matchSegments(pattern: readonly string[], path: readonly string[]): Map<string, string> | undefined {
  if (pattern.length !== path.length) return undefined;
  const params = new Map<string, string>();
  for (let i = 0; i < pattern.length; i++) {
    const p = pattern[i]!;
    const s = path[i]!;
    if (p.startsWith(':')) params.set(p.slice(1), s);
    else if (p !== s) return undefined;
  }
  return params;
}

/** Splits a request path into percent-decoded segments (`%2F` stays inside its segment); undefined when malformed. */
export function pathSegments(pathname: string): string[] | undefined {
  const raw = pathname.split('/');
  // A leading "/" gives an empty first segment; a trailing "/" an empty last one (RabbitMQ treats both alike).
  if (raw[0] === '') raw.shift();
  if (raw.length > 0 && raw[raw.length - 1] === '') raw.pop();
  try {
    return raw.map((s) => decodeURIComponent(s));
  } catch {
    return undefined;
  }
}

/** Builds the handler's view of a request. */
export function makeContext(req: IncomingMessage, user: User, query: URLSearchParams, params: Map<string, string>): RequestContext {
  let raw: Promise<Buffer> | undefined;
  const rawBody = () => (raw ??= readBody(req, MAX_BODY_BYTES));
  return {
    req,
    user,
    query,
    param(name: string): string {
      const v = params.get(name);
      if (v === undefined) throw badRequest(`missing path parameter ${name}`);
      return v;
    },
    optionalParam: (name: string) => params.get(name),
    rawBody,
    body: async () => parseJsonObject(await rawBody()),
  };
}
