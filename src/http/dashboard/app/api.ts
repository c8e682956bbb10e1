// The dashboard's calls to the management API of the same origin: JSON in and out, HTTP Basic from the login form.
import { state } from './state.js';

/** An API failure with RabbitMQ's reason; status 0 when the broker cannot be reached. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** The message of anything caught. */
export const errorText = (err: unknown): string => (err instanceof Error ? err.message : String(err));
export const statusOf = (err: unknown): number | undefined => (err instanceof ApiError ? err.status : undefined);

/** UTF-8 safe base64 of "user:password" for the Authorization header. */
export function basicToken(user: string, pass: string): string {
  let bin = '';
  for (const b of new TextEncoder().encode(user + ':' + pass)) bin += String.fromCharCode(b);
  return btoa(bin);
}

/** Calls the management API (path like '/queues'); JSON in and out, errors as ApiError with RabbitMQ's reason. */
export async function api<T = unknown>(method: string, path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (state.auth) headers['authorization'] = 'Basic ' + state.auth;
  const init: RequestInit = { method, headers, cache: 'no-store', credentials: 'omit' };
  if (body !== undefined) {
    headers['content-type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  let res: Response;
  try {
    res = await fetch('api' + path, init);
  } catch {
    throw new ApiError(0, 'cannot reach the broker');
  }
  const text = await res.text();
  let data: unknown;
  try {
    data = text === '' ? undefined : JSON.parse(text);
  } catch {
    data = text;
  }
  if (!res.ok) {
    const o = data && typeof data === 'object' ? (data as { reason?: unknown; error?: unknown }) : undefined;
    const reason = o ? o.reason || o.error : data;
    throw new ApiError(res.status, typeof reason === 'string' && reason !== '' ? reason : res.status + ' ' + res.statusText);
  }
  return data as T;
}
