// Where the broker under test is: the URL that conformance/setup.ts provided (an in-process
// Warren, or AMQP_URL as given), plus variants of it with other credentials, vhost or host.
import { inject } from 'vitest';

let cached: string | undefined;

/** The AMQP URL of the broker under test, e.g. amqp://guest:guest@localhost:5672. */
export function url(): string {
  if (cached) return cached;
  let u: string | undefined;
  try {
    u = inject('amqpUrl');
  } catch {
    // Not inside a vitest worker (e.g. a scratch script): fall back to the environment.
  }
  u = u || process.env.AMQP_URL;
  if (!u) throw new Error('no broker URL: run through conformance/vitest.config.ts, or set AMQP_URL');
  cached = u;
  return u;
}

/** The same URL with another user and password (percent-encoded as needed). */
export function withCredentials(user: string, pass: string, base: string = url()): string {
  const u = new URL(base);
  u.username = encodeURIComponent(user);
  u.password = encodeURIComponent(pass);
  return u.toString();
}

/** The same URL naming another vhost ("/" becomes the %2F the AMQP URI spec wants). */
export function withVhost(vhost: string, base: string = url()): string {
  const u = new URL(base);
  u.pathname = '/' + encodeURIComponent(vhost);
  return u.toString();
}

/** The same URL with another host name, keeping port and credentials. */
export function withHost(host: string, base: string = url()): string {
  const u = new URL(base);
  u.hostname = host;
  return u.toString();
}

/** The same URL with query parameters (e.g. heartbeat, frameMax) set. */
export function withQuery(params: Record<string, string | number>, base: string = url()): string {
  const u = new URL(base);
  for (const [k, v] of Object.entries(params)) u.searchParams.set(k, String(v));
  return u.toString();
}

/** True for host names that mean this machine's loopback interface. */
export function isLoopbackHost(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  return h === 'localhost' || h === '::1' || /^127\.\d+\.\d+\.\d+$/.test(h);
}
