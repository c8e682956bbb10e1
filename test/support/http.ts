// A small fetch client for management APIs (Warren's or RabbitMQ's) in tests: Basic auth, JSON in and out.

export interface ApiResponse {
  status: number;
  headers: Headers;
  text: string;
  /** Parsed JSON body, or undefined when empty / not JSON. */
  json: any;
}

export interface Api {
  readonly base: string;
  request(method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<ApiResponse>;
  get(path: string): Promise<ApiResponse>;
  put(path: string, body?: unknown): Promise<ApiResponse>;
  post(path: string, body?: unknown): Promise<ApiResponse>;
  del(path: string, headers?: Record<string, string>): Promise<ApiResponse>;
}

/** `base` like `http://localhost:15672`; paths start with `/api/…`. A string body is sent as is. */
export function apiClient(base: string, user = 'guest', pass = 'guest'): Api {
  const auth = 'Basic ' + Buffer.from(`${user}:${pass}`).toString('base64');
  const request = async (method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<ApiResponse> => {
    const init: RequestInit = { method, headers: { authorization: auth, 'content-type': 'application/json', ...headers } };
    if (body !== undefined) init.body = typeof body === 'string' ? body : JSON.stringify(body);
    const res = await fetch(base + path, init);
    const text = await res.text();
    let json: unknown;
    try {
      json = text === '' ? undefined : JSON.parse(text);
    } catch {
      json = undefined;
    }
    return { status: res.status, headers: res.headers, text, json };
  };
  return {
    base,
    request,
    get: (path) => request('GET', path),
    put: (path, body) => request('PUT', path, body ?? {}),
    post: (path, body) => request('POST', path, body ?? {}),
    del: (path, headers) => request('DELETE', path, undefined, headers),
  };
}

/** Polls until `check` returns a value other than undefined (or throws after `ms`). */
export async function eventually<T>(check: () => Promise<T | undefined>, ms = 5000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await check();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** The RabbitMQ management API used for comparisons, when one answers (RABBITMQ_MANAGEMENT_URL, default localhost:15672). */
export async function reachableRabbitMq(): Promise<Api | undefined> {
  const url = new URL(process.env.RABBITMQ_MANAGEMENT_URL ?? 'http://guest:guest@localhost:15672');
  const api = apiClient(`${url.protocol}//${url.host}`, decodeURIComponent(url.username || 'guest'), decodeURIComponent(url.password || 'guest'));
  try {
    const res = await Promise.race([api.get('/api/overview'), new Promise<never>((_, reject) => setTimeout(() => reject(new Error('timeout')), 2000))]);
    if (res.status === 200 && res.json?.product_name !== 'Warren') return api;
    return missingRabbitMq(`${url.host} answered ${res.status} (${String(res.json?.product_name ?? 'no product name')})`);
  } catch (e) {
    return missingRabbitMq(`${url.host}: ${(e as Error).message}`);
  }
}

/** No RabbitMQ to compare with: its tests skip, unless `make test` (WARREN_REQUIRE_RABBITMQ=1, after `make rabbitmq`) needs them. */
function missingRabbitMq(why: string): undefined {
  if (process.env.WARREN_REQUIRE_RABBITMQ === '1') throw new Error(`RabbitMQ's management API is required (WARREN_REQUIRE_RABBITMQ=1) and not reachable at ${why}`);
  return undefined;
}
