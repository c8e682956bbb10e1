// node:http helpers shared by the management and metrics servers: replies, RabbitMQ-shaped errors, bodies, Basic auth, closing.
import type { IncomingMessage, Server, ServerResponse } from 'node:http';

/** An error answered as RabbitMQ's management plugin does: `{"error": …, "reason": …}` with a status. */
export class HttpError extends Error {
  readonly status: number;
  readonly error: string;
  readonly reason: unknown;
  readonly headers: Readonly<Record<string, string>>;

  constructor(status: number, error: string, reason: unknown, headers: Record<string, string> = {}) {
    super(typeof reason === 'string' ? reason : JSON.stringify(reason));
    this.status = status;
    this.error = error;
    this.reason = reason;
    this.headers = headers;
  }
}

/** 404 for a path, vhost or object that does not exist. */
export const objectNotFound = (): HttpError => new HttpError(404, 'Object Not Found', 'Not Found');
export const badRequest = (reason: unknown): HttpError => new HttpError(400, 'bad_request', reason);
/** RabbitMQ's text for a required body key that is absent. */
export const keyMissing = (key: string): HttpError => badRequest(`[{key_missing,${key}}]`);

/** What a handler returns: a status and a JSON body (omitted for 201/204), raw text, or a server-sent-events stream. */
export interface Reply {
  status: number;
  body?: unknown;
  text?: string;
  contentType?: string;
  headers?: Record<string, string>;
  /** A text/event-stream response: called once the headers are out; it writes events and ends the response itself. */
  stream?: (res: ServerResponse) => void;
}

export const noContent = (): Reply => ({ status: 204 });
export const created = (headers?: Record<string, string>): Reply => (headers ? { status: 201, headers } : { status: 201 });
export const json = (body: unknown): Reply => ({ status: 200, body });

/** Writes a reply; JSON bodies are compact, as RabbitMQ's. */
export function send(res: ServerResponse, reply: Reply): void {
  const headers: Record<string, string | number> = { ...reply.headers, 'cache-control': 'no-cache' };
  if (reply.stream !== undefined) {
    res.writeHead(reply.status, { ...headers, 'content-type': 'text/event-stream; charset=utf-8', 'x-accel-buffering': 'no' });
    // A HEAD gets the headers only.
    if (res.req.method === 'HEAD') return void res.end();
    res.flushHeaders();
    return reply.stream(res);
  }
  let payload: Buffer | undefined;
  if (reply.text !== undefined) {
    payload = Buffer.from(reply.text);
    headers['content-type'] = reply.contentType ?? 'text/plain; charset=utf-8';
  } else if (reply.body !== undefined) {
    payload = Buffer.from(JSON.stringify(reply.body, jsonReplacer));
    headers['content-type'] = 'application/json';
  }
  headers['content-length'] = payload?.length ?? 0;
  res.writeHead(reply.status, headers);
  res.end(payload);
}

/** 64-bit values that do not fit a double travel as strings. */
export function jsonReplacer(_key: string, value: unknown): unknown {
  return typeof value === 'bigint' ? value.toString() : value;
}

export function sendError(res: ServerResponse, e: HttpError): void {
  send(res, { status: e.status, body: { error: e.error, reason: e.reason }, headers: { ...e.headers } });
}

/** Reads the request body, refusing more than `limit` bytes with 413. */
export function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        reject(new HttpError(413, 'bad_request', `request body larger than ${limit} bytes`));
        req.destroy();
        return;
      }
      parts.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(parts, size)));
    req.on('error', reject);
  });
}

/** A JSON object body; an empty body counts as `{}` (as RabbitMQ), anything else not an object is `not_json`. */
export function parseJsonObject(body: Buffer): Record<string, unknown> {
  const text = body.toString('utf8').trim();
  if (text === '') return {};
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw badRequest('not_json');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw badRequest('not_json');
  return value as Record<string, unknown>;
}

/** Username and password from an `Authorization: Basic …` header. */
export function parseBasicAuth(header: string | undefined): { username: string; password: string } | undefined {
  if (header === undefined) return undefined;
  const m = /^Basic\s+(\S+)\s*$/i.exec(header);
  if (!m) return undefined;
  const decoded = Buffer.from(m[1]!, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return undefined;
  return { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

/** Stops listening and drops idle and active keep-alive connections. */
export function closeHttp(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}

/** Boolean query flags as RabbitMQ reads them (`?if-unused=true`). */
export function queryFlag(query: URLSearchParams, name: string): boolean {
  return query.get(name) === 'true';
}
