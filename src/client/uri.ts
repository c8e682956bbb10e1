// amqp:// and amqps:// URIs as RabbitMQ reads them (its URI spec and query parameters) into ConnectOptions, and
// the same URI with its password removed, for logs, errors and status.
import { readFileSync } from 'node:fs';
import type { ConnectionOptions as TlsOptions } from 'node:tls';
import { AmqpConnection, type ConnectOptions } from './connection.js';

/** A parsed URI: connection options, or `local` for a URI without a host (`amqp://`: this broker itself). */
export interface AmqpUri {
  options: ConnectOptions;
  /** True for `amqp://` with an empty host: the broker the URI is configured in (shovels use no socket then). */
  local: boolean;
  /** The URI without its password. */
  redacted: string;
}

/** A URI that cannot be used; its message never contains the password. */
export class AmqpUriError extends Error {}

const KNOWN = new Set([
  'heartbeat',
  'frame_max',
  'channel_max',
  'connection_timeout',
  'auth_mechanism',
  'cacertfile',
  'certfile',
  'keyfile',
  'verify',
  'fail_if_no_peer_cert',
  'server_name_indication',
]);

/** The URI with any password taken out (`amqp://user@host/vhost`); unparsable input says so instead of echoing it. */
export function redactedUri(uri: string): string {
  const m = /^([a-z][a-z0-9+.-]*:\/\/)([^@/?#]*@)?(.*)$/is.exec(uri);
  if (!m) return '<unparsable URI>';
  const user = m[2] === undefined ? '' : `${m[2].slice(0, -1).split(':')[0]}@`;
  return `${m[1]}${user}${m[3]}`;
}

function nonNegativeInt(name: string, v: string, redacted: string): number {
  if (!/^\d+$/.test(v)) throw new AmqpUriError(`${redacted}: ${name} must be a non-negative integer, not '${v}'`);
  return Number(v);
}

function decode(part: string, what: string, redacted: string): string {
  try {
    return decodeURIComponent(part);
  } catch {
    throw new AmqpUriError(`${redacted}: the ${what} is not valid percent-encoding`);
  }
}

/**
 * Parses `amqp[s]://[user[:password]@]host[:port][/vhost][?query]`. As RabbitMQ: no path is vhost '/', a path of
 * '/' is the vhost '' (empty), `%2f` is a '/' in the vhost; ports default to 5672 / 5671; user and password are
 * percent-decoded and default to guest/guest. Query: heartbeat, frame_max, channel_max, connection_timeout (ms),
 * auth_mechanism (only plain), and for amqps cacertfile, certfile, keyfile (files read now), verify
 * (verify_peer | verify_none), fail_if_no_peer_cert, server_name_indication (a host name, or disable).
 */
export function parseAmqpUri(uri: string): AmqpUri {
  const redacted = redactedUri(uri);
  const m = /^(amqps?):\/\/(?:([^@/?#]*)@)?(\[[^\]]*\]|[^:/?#]*)(?::([^/?#]*))?(\/[^?#]*)?(?:\?([^#]*))?$/i.exec(uri);
  if (!m) throw new AmqpUriError(`${redacted}: not an amqp:// or amqps:// URI`);
  const secure = m[1]!.toLowerCase() === 'amqps';
  const host = m[3]!.startsWith('[') ? m[3]!.slice(1, -1) : decode(m[3]!, 'host', redacted);
  const local = host === '';
  const o: ConnectOptions = { host: local ? 'localhost' : host, port: secure ? 5671 : 5672 };
  if (m[4] !== undefined && m[4] !== '') {
    const port = nonNegativeInt('the port', m[4], redacted);
    if (port < 1 || port > 65535) throw new AmqpUriError(`${redacted}: port ${port} is out of range`);
    o.port = port;
  }
  if (m[2] !== undefined) {
    const colon = m[2].indexOf(':');
    o.username = decode(colon < 0 ? m[2] : m[2].slice(0, colon), 'user name', redacted);
    if (colon >= 0) o.password = decode(m[2].slice(colon + 1), 'password', redacted);
  }
  const path = m[5];
  if (path !== undefined) {
    const vhost = path.slice(1);
    if (vhost.includes('/')) throw new AmqpUriError(`${redacted}: a vhost with '/' in it must be written %2f`);
    o.vhost = decode(vhost, 'vhost', redacted);
  }
  const tls: TlsOptions = {};
  let verify: string | undefined;
  for (const pair of (m[6] ?? '').split('&')) {
    if (pair === '') continue;
    const eq = pair.indexOf('=');
    const key = decode(eq < 0 ? pair : pair.slice(0, eq), 'query', redacted);
    const value = decode(eq < 0 ? '' : pair.slice(eq + 1), 'query', redacted);
    if (!KNOWN.has(key)) throw new AmqpUriError(`${redacted}: unknown query parameter '${key}'`);
    switch (key) {
      case 'heartbeat':
        o.heartbeat = nonNegativeInt(key, value, redacted);
        break;
      case 'frame_max':
        o.frameMax = nonNegativeInt(key, value, redacted);
        if (o.frameMax !== 0 && o.frameMax < 4096) throw new AmqpUriError(`${redacted}: frame_max must be at least 4096`);
        if (o.frameMax === 0) delete o.frameMax;
        break;
      case 'channel_max':
        o.channelMax = nonNegativeInt(key, value, redacted);
        break;
      case 'connection_timeout':
        o.timeoutMs = nonNegativeInt(key, value, redacted);
        break;
      case 'auth_mechanism':
        if (value.toLowerCase() !== 'plain') throw new AmqpUriError(`${redacted}: auth_mechanism '${value}' is not supported (only plain)`);
        break;
      default:
        if (!secure) throw new AmqpUriError(`${redacted}: '${key}' is only for amqps:// URIs`);
        if (key === 'cacertfile' || key === 'certfile' || key === 'keyfile') {
          let pem: Buffer;
          try {
            pem = readFileSync(value);
          } catch (e) {
            throw new AmqpUriError(`${redacted}: cannot read ${key} ${value}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
          }
          if (key === 'cacertfile') tls.ca = [pem];
          else if (key === 'certfile') tls.cert = pem;
          else tls.key = pem;
        } else if (key === 'verify') {
          if (value !== 'verify_peer' && value !== 'verify_none') throw new AmqpUriError(`${redacted}: verify must be verify_peer or verify_none, not '${value}'`);
          verify = value;
        } else if (key === 'fail_if_no_peer_cert') {
          if (value !== 'true' && value !== 'false') throw new AmqpUriError(`${redacted}: fail_if_no_peer_cert must be true or false`);
        } else if (key === 'server_name_indication') {
          if (value === 'disable') tls.servername = '';
          else tls.servername = value;
        }
    }
  }
  if (secure) {
    // As Erlang's ssl client: verification only when asked for (RabbitMQ's URIs default to verify_none).
    tls.rejectUnauthorized = verify === 'verify_peer';
    o.tls = tls;
  }
  return { options: o, local, redacted };
}

/** Opens a connection from a URI (`extra` adds or overrides options, e.g. a connection name). */
export async function connectUri(uri: string, extra: Partial<ConnectOptions> = {}): Promise<AmqpConnection> {
  const { options, local } = parseAmqpUri(uri);
  if (local) throw new AmqpUriError(`${redactedUri(uri)}: a URI without a host means this broker, which has no socket to connect to here`);
  return AmqpConnection.open({ ...options, ...extra });
}
