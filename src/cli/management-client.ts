// A small client for a running broker's management HTTP API (Warren's or RabbitMQ's), as rabbitmqadmin uses it:
// Basic auth, JSON in and out, and failures turned into one-line CliErrors.
import { CliError, type ClientTarget } from './settings.js';

export interface ApiReply {
  status: number;
  text: string;
  json: unknown;
}

/** Path segment encoding as the management API expects it (`/` as %2F, so the default vhost is `%2F`). */
export const seg = (s: string): string => encodeURIComponent(s);

/** Why a request could not be made, from fetch's error (its `cause` carries the system error). */
function networkReason(e: unknown): string {
  const cause = (e as { cause?: { code?: string; message?: string } }).cause;
  if (e instanceof Error && (e.name === 'TimeoutError' || e.name === 'AbortError')) return 'timed out';
  if (cause?.code === 'ECONNREFUSED') return 'connection refused';
  if (cause?.code === 'ENOTFOUND') return 'host not found';
  return cause?.message ?? (e instanceof Error ? e.message : String(e));
}

function reasonOf(reply: ApiReply): string {
  const body = reply.json as { error?: unknown; reason?: unknown } | undefined;
  if (body && typeof body === 'object' && (body.reason !== undefined || body.error !== undefined)) {
    const reason = typeof body.reason === 'string' ? body.reason : JSON.stringify(body.reason ?? body.error);
    return reason;
  }
  return reply.text.trim() || `HTTP ${reply.status}`;
}

export class ManagementClient {
  readonly target: ClientTarget;

  constructor(target: ClientTarget) {
    if (target.managementOff !== undefined) throw new CliError(target.managementOff, 64);
    this.target = target;
  }

  /** Sends a request; network failures become CliErrors, any HTTP status is returned. */
  async request(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<ApiReply> {
    const { managementUrl, username, password, timeoutMs } = this.target;
    const init: RequestInit = {
      method,
      headers: {
        authorization: 'Basic ' + Buffer.from(`${username}:${password}`).toString('base64'),
        accept: 'application/json',
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
        ...headers,
      },
      signal: AbortSignal.timeout(timeoutMs),
    };
    if (body !== undefined) init.body = typeof body === 'string' ? body : JSON.stringify(body);
    let res: Response;
    let text: string;
    try {
      res = await fetch(managementUrl + path, init);
      text = await res.text();
    } catch (e) {
      throw new CliError(`cannot reach the management API at ${managementUrl}: ${networkReason(e)} (is the broker running? set --management-url)`);
    }
    let json: unknown;
    try {
      json = text === '' ? undefined : JSON.parse(text);
    } catch {
      json = undefined;
    }
    const reply = { status: res.status, text, json };
    if (res.status === 401) {
      throw new CliError(`the management API at ${managementUrl} refused user '${username}': ${reasonOf(reply)} (set --username and --password)`);
    }
    return reply;
  }

  /** A request that must succeed (2xx); `notFound` is the message for a 404. */
  async expectOk(method: string, path: string, body?: unknown, opts: { notFound?: string; headers?: Record<string, string> } = {}): Promise<ApiReply> {
    const reply = await this.request(method, path, body, opts.headers);
    if (reply.status >= 200 && reply.status < 300) return reply;
    if (reply.status === 404 && opts.notFound !== undefined) throw new CliError(opts.notFound);
    throw new CliError(`${method} ${path}: ${reply.status} ${reasonOf(reply)}`);
  }

  async get(path: string, notFound?: string): Promise<unknown> {
    return (await this.expectOk('GET', path, undefined, notFound !== undefined ? { notFound } : {})).json;
  }
}
