// The few management API calls the testing kit makes (vhosts, users, permissions, queues, exchanges), over fetch; works
// against Warren and RabbitMQ alike. Credentials may sit in the URL (`http://guest:guest@localhost:15672`).

export interface ManagementTarget {
  /** Base URL of the management API, with or without credentials in it (default user guest:guest otherwise). */
  readonly managementUrl: string;
}

/** A management API client bound to one base URL and one user. */
export class Management {
  private readonly base: string;
  private readonly auth: string;

  constructor(managementUrl: string) {
    const u = new URL(managementUrl);
    const user = u.username ? decodeURIComponent(u.username) : 'guest';
    const pass = u.password ? decodeURIComponent(u.password) : 'guest';
    u.username = '';
    u.password = '';
    this.base = u.toString().replace(/\/+$/, '');
    this.auth = `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}`;
  }

  /** One request; a status other than 2xx (or 404 when `missingOk`) throws with the API's reason. */
  async call(method: string, path: string, body?: unknown, missingOk = false): Promise<unknown> {
    const res = await fetch(`${this.base}${path}`, {
      method,
      headers: { authorization: this.auth, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    const text = await res.text();
    if (res.status === 404 && missingOk) return undefined;
    if (!res.ok) throw new Error(`warren/testing: ${method} ${path} answered ${res.status}: ${text.slice(0, 200)}`);
    return text ? (JSON.parse(text) as unknown) : undefined;
  }

  async queues(vhost: string): Promise<Array<{ name: string }>> {
    return ((await this.call('GET', `/api/queues/${enc(vhost)}?columns=name`)) as Array<{ name: string }>) ?? [];
  }

  async exchanges(vhost: string): Promise<Array<{ name: string }>> {
    return ((await this.call('GET', `/api/exchanges/${enc(vhost)}?columns=name`)) as Array<{ name: string }>) ?? [];
  }
}

export const enc = (s: string): string => encodeURIComponent(s);

/** The management URL from the argument or the environment the global setup exported. */
export function managementUrlFrom(given: string | undefined): string {
  const url = given ?? process.env['WARREN_MANAGEMENT_URL'];
  if (url === undefined || url === '') {
    throw new Error('warren/testing: no management URL: pass { managementUrl } or run under the global setup (it sets WARREN_MANAGEMENT_URL)');
  }
  return url;
}

/** The AMQP URL from the argument or the environment the global setup exported. */
export function amqpUrlFrom(given: string | undefined): string {
  const url = given ?? process.env['AMQP_URL'];
  if (url === undefined || url === '') throw new Error('warren/testing: no AMQP URL: pass { amqpUrl } or run under the global setup (it sets AMQP_URL)');
  return url;
}
