// Where the settings come from, in RabbitMQ's precedence: command-line flags, then environment variables
// (WARREN_* before RabbitMQ's own), then the rabbitmq.conf file, then defaults. Used by the server and,
// to find a running broker and its credentials, by the client commands (ping, status, ctl, definitions).
import type { StartOptions, TlsSettings } from '../index.js';
import { ConfigError, readConfigFile, resolveConfigPath } from './config-file.js';
import { existsSync } from 'node:fs';
import { parseBoolean, parseCountOrInfinity, parseInteger, parseLogLevel, parseNonEmpty, parsePort, parsePortOrOff } from './values.js';

/** A failure the CLI reports as one line, with the exit code to use (64: usage, as rabbitmqctl). */
export class CliError extends Error {
  readonly exitCode: number;
  constructor(message: string, exitCode = 1) {
    super(message);
    this.exitCode = exitCode;
  }
}

/** One server setting: its flag, the environment variables that set it (first wins), and how it applies. */
export interface SettingDef {
  readonly flag: string;
  readonly env: readonly string[];
  readonly arg: string;
  readonly help: string;
  readonly apply: (value: string, out: StartOptions) => void;
}

export const SERVER_SETTINGS: readonly SettingDef[] = [
  { flag: 'port', env: ['WARREN_PORT', 'RABBITMQ_NODE_PORT'], arg: 'PORT', help: 'AMQP port (default 5672; 0 picks a free port)', apply: (v, o) => void (o.port = parsePort(v)) },
  { flag: 'host', env: ['WARREN_HOST', 'RABBITMQ_NODE_IP_ADDRESS'], arg: 'HOST', help: 'listen address (default: every IPv4 and IPv6 address)', apply: (v, o) => void (o.host = parseNonEmpty(v)) },
  { flag: 'data-dir', env: ['WARREN_DATA_DIR'], arg: 'DIR', help: 'where durable state lives (default ./data)', apply: (v, o) => void (o.dataDir = parseNonEmpty(v)) },
  { flag: 'config', env: ['WARREN_CONFIG', 'RABBITMQ_CONFIG_FILE'], arg: 'FILE', help: 'config file in rabbitmq.conf format', apply: () => {} },
  { flag: 'log-level', env: ['WARREN_LOG_LEVEL'], arg: 'LEVEL', help: 'trace, debug, info, warn, error, silent (default info)', apply: (v, o) => void (o.logLevel = parseLogLevel(v)) },
  {
    flag: 'management-port',
    env: ['WARREN_MANAGEMENT_PORT'],
    arg: 'PORT',
    help: 'management HTTP API port (default 15672; 0 picks a free port; off turns it off)',
    apply: (v, o) => void (o.managementPort = parsePortOrOff(v)),
  },
  {
    flag: 'prometheus-port',
    env: ['WARREN_PROMETHEUS_PORT'],
    arg: 'PORT',
    help: 'Prometheus metrics port (default 15692; 0 picks a free port; off turns it off)',
    apply: (v, o) => void (o.prometheusPort = parsePortOrOff(v)),
  },
  {
    flag: 'tls-port',
    env: ['WARREN_TLS_PORT'],
    arg: 'PORT',
    help: 'amqps port (default 5671 once --tls-cert is given; 0 picks a free port; off turns it off)',
    apply: (v, o) => void (o.tls = { ...o.tls, port: parsePortOrOff(v) }),
  },
  { flag: 'tls-cert', env: ['WARREN_TLS_CERT'], arg: 'FILE', help: 'server certificate, PEM (ssl_options.certfile); turns amqps on', apply: (v, o) => tlsOption(o, 'certfile', parseNonEmpty(v)) },
  { flag: 'tls-key', env: ['WARREN_TLS_KEY'], arg: 'FILE', help: "the certificate's private key, PEM (ssl_options.keyfile)", apply: (v, o) => tlsOption(o, 'keyfile', parseNonEmpty(v)) },
  { flag: 'tls-ca', env: ['WARREN_TLS_CA'], arg: 'FILE', help: 'CA certificates client certificates must chain to, PEM (ssl_options.cacertfile)', apply: (v, o) => tlsOption(o, 'cacertfile', parseNonEmpty(v)) },
  {
    flag: 'tls-verify',
    env: ['WARREN_TLS_VERIFY'],
    arg: 'MODE',
    help: 'verify_peer asks clients for a certificate (SASL EXTERNAL); verify_none does not (default)',
    apply: (v, o) => {
      if (v !== 'verify_peer' && v !== 'verify_none') throw new Error(`expected verify_peer or verify_none, got '${v}'`);
      tlsOption(o, 'verify', v);
    },
  },
  {
    flag: 'tls-fail-if-no-peer-cert',
    env: ['WARREN_TLS_FAIL_IF_NO_PEER_CERT'],
    arg: 'BOOL',
    help: 'true refuses TLS clients without a certificate (needs verify_peer; default false)',
    apply: (v, o) => tlsOption(o, 'fail_if_no_peer_cert', String(parseBoolean(v))),
  },
  {
    flag: 'management-tls-port',
    env: ['WARREN_MANAGEMENT_TLS_PORT'],
    arg: 'PORT',
    help: 'management API over HTTPS with the --tls-cert certificate (off by default; plain HTTP then stays off unless --management-port is given)',
    apply: (v, o) => void (o.managementTls = { ...o.managementTls, port: parsePortOrOff(v) }),
  },
  { flag: 'default-user', env: ['WARREN_DEFAULT_USER', 'RABBITMQ_DEFAULT_USER'], arg: 'USER', help: 'the user created at boot (default guest)', apply: (v, o) => void (o.defaultUser = parseNonEmpty(v)) },
  { flag: 'default-pass', env: ['WARREN_DEFAULT_PASS', 'RABBITMQ_DEFAULT_PASS'], arg: 'PASSWORD', help: "that user's password (default guest)", apply: (v, o) => void (o.defaultPass = v) },
  { flag: 'default-vhost', env: ['WARREN_DEFAULT_VHOST', 'RABBITMQ_DEFAULT_VHOST'], arg: 'VHOST', help: 'the vhost created at boot (default /)', apply: (v, o) => void (o.defaultVhost = parseNonEmpty(v)) },
  {
    flag: 'max-connection-buffer',
    env: ['WARREN_MAX_CONNECTION_BUFFER'],
    arg: 'BYTES',
    help: 'most bytes one connection may hold in partly received messages (default 256 MiB; 506 beyond)',
    apply: (v, o) => void (o.maxConnectionBuffer = parseInteger(v)),
  },
  {
    flag: 'connection-max',
    env: ['WARREN_CONNECTION_MAX'],
    arg: 'COUNT',
    help: 'most client connections at once (default infinity); more wait unanswered until one closes',
    apply: (v, o) => void (o.connectionMax = parseCountOrInfinity(v)),
  },
  {
    flag: 'server-product',
    env: ['WARREN_SERVER_PRODUCT'],
    arg: 'NAME',
    help: "the product connection.start and the management API report (default Warren; RabbitMQ's product.name)",
    apply: (v, o) => void (o.serverProduct = parseNonEmpty(v)),
  },
  {
    flag: 'server-version',
    env: ['WARREN_SERVER_VERSION'],
    arg: 'VERSION',
    help: "the version connection.start reports, and the RabbitMQ version of the API and metrics (RabbitMQ's product.version)",
    apply: (v, o) => void (o.serverVersion = parseNonEmpty(v)),
  },
  {
    flag: 'busy-wait',
    env: ['WARREN_BUSY_WAIT'],
    arg: 'MICROSECONDS',
    help: "how long the event loop keeps polling after socket input before it sleeps (default 500; 0: never, as Erlang's +sbwt none)",
    apply: (v, o) => void (o.busyWaitMicros = parseInteger(v, 1_000_000)),
  },
  {
    flag: 'load-definitions',
    env: ['WARREN_LOAD_DEFINITIONS'],
    arg: 'FILE',
    help: 'definitions JSON (or a directory of them) to import at boot',
    apply: (v, o) => void (o.loadDefinitions = parseNonEmpty(v)),
  },
];

function tlsOption(o: StartOptions, name: string, value: string): void {
  o.tls = { ...o.tls, options: { ...o.tls?.options, [name]: value } };
}

/** TLS settings from several sources, later ones winning key by key (a flag does not drop the file's ssl_options). */
function mergeTls(...parts: Array<TlsSettings | undefined>): TlsSettings | undefined {
  let out: TlsSettings | undefined;
  for (const p of parts) {
    if (p === undefined) continue;
    out = { ...out, ...p, options: { ...out?.options, ...p.options } };
  }
  return out;
}

export const SERVER_DEFAULTS = { dataDir: './data', managementPort: 15672, prometheusPort: 15692, logLevel: 'info' } as const;

export type Env = Readonly<Record<string, string | undefined>>;
export type Flags = Readonly<Record<string, string | boolean | undefined>>;

/** An environment variable's value; an empty one counts as unset (compose files often carry `VAR=`). */
function envValue(env: Env, name: string): string | undefined {
  const v = env[name];
  return v === undefined || v === '' ? undefined : v;
}

function flagValue(flags: Flags, name: string): string | undefined {
  const v = flags[name];
  return typeof v === 'string' ? v : undefined;
}

/** Where the config file is, if any: --config, then WARREN_CONFIG, then RABBITMQ_CONFIG_FILE (skipped with a warning when missing). */
function configPath(flags: Flags, env: Env, warnings: string[]): string | undefined {
  const flag = flagValue(flags, 'config');
  if (flag !== undefined) return flag;
  const warren = envValue(env, 'WARREN_CONFIG');
  if (warren !== undefined) return warren;
  const rabbit = envValue(env, 'RABBITMQ_CONFIG_FILE');
  if (rabbit !== undefined && !existsSync(resolveConfigPath(rabbit))) {
    warnings.push(`RABBITMQ_CONFIG_FILE names ${rabbit}, which does not exist; starting without a config file`);
    return undefined;
  }
  return rabbit;
}

export interface ResolvedSettings {
  options: StartOptions & { dataDir: string; managementPort: number; prometheusPort: number; logLevel: string };
  /** Problems to log as warnings once the logger exists. */
  warnings: string[];
  /** Config keys accepted without effect, to log at info. */
  notices: string[];
  /** The config file read, if any. */
  configFile: string | undefined;
}

/** Flags over environment over config file over defaults. Throws CliError naming the flag, variable or file line. */
export function resolveSettings(flags: Flags, env: Env): ResolvedSettings {
  const warnings: string[] = [];
  const configFile = configPath(flags, env, warnings);
  let fromFile: StartOptions = {};
  const notices: string[] = [];
  if (configFile !== undefined) {
    try {
      const r = readConfigFile(configFile);
      fromFile = r.options;
      warnings.push(...r.warnings);
      notices.push(...r.notices);
    } catch (e) {
      if (e instanceof ConfigError) throw new CliError(e.message);
      throw e;
    }
  }
  const fromEnv: StartOptions = {};
  const fromFlags: StartOptions = {};
  for (const s of SERVER_SETTINGS) {
    const name = s.env.find((n) => envValue(env, n) !== undefined);
    if (name !== undefined) {
      try {
        s.apply(envValue(env, name)!, fromEnv);
      } catch (e) {
        throw new CliError(`${name}: ${(e as Error).message}`);
      }
    }
    const flag = flagValue(flags, s.flag);
    if (flag !== undefined) {
      try {
        s.apply(flag, fromFlags);
      } catch (e) {
        throw new CliError(`--${s.flag}: ${(e as Error).message}`);
      }
    }
  }
  const options = { ...SERVER_DEFAULTS, ...fromFile, ...fromEnv, ...fromFlags };
  const tls = mergeTls(fromFile.tls, fromEnv.tls, fromFlags.tls);
  if (tls !== undefined) options.tls = tls;
  const managementTls = mergeTls(fromFile.managementTls, fromEnv.managementTls, fromFlags.managementTls);
  if (managementTls !== undefined) {
    options.managementTls = managementTls;
    // As RabbitMQ: once the management API has an HTTPS listener, plain HTTP runs only when configured explicitly.
    const httpsOn = managementTls.port === undefined || managementTls.port >= 0;
    if (httpsOn && [fromFile, fromEnv, fromFlags].every((o) => o.managementPort === undefined)) options.managementPort = -1;
  }
  return { options, warnings, notices, configFile };
}

/** A running broker as the client commands reach it. */
export interface ClientTarget {
  /** Host for AMQP (ping). */
  host: string;
  /** AMQP port. */
  port: number;
  /** Management API base URL, without a trailing slash. */
  managementUrl: string;
  /** Set when the configuration turns the management API off and no URL was given: commands needing it fail with this. */
  managementOff?: string;
  username: string;
  password: string;
  /** The vhost commands act on when -p is not given (the broker's default vhost). */
  vhost: string;
  timeoutMs: number;
}

const WILDCARDS = new Set(['0.0.0.0', '::', '[::]', '']);

function urlHost(host: string): string {
  return host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
}

/**
 * Finds the broker the way the server would configure itself: --port/--host/--management-url and the credentials
 * given, else WARREN_* / RABBITMQ_* variables and the config file (so a health check inside the container needs no flags).
 */
export function resolveClientTarget(flags: Flags, env: Env): ClientTarget {
  const { options } = resolveSettings(
    { config: flagValue(flags, 'config'), port: flagValue(flags, 'port'), host: flagValue(flags, 'host'), 'management-port': flagValue(flags, 'management-port') },
    env,
  );
  const host = options.host === undefined || WILDCARDS.has(options.host) ? 'localhost' : options.host;
  let managementUrl = flagValue(flags, 'management-url') ?? envValue(env, 'WARREN_MANAGEMENT_URL');
  const mt = options.managementTls;
  const httpsPort = mt !== undefined && !(mt.port !== undefined && mt.port < 0) ? (mt.port ?? 15671) : undefined;
  const managementOff = managementUrl === undefined && options.managementPort < 0 && httpsPort === undefined;
  if (managementUrl === undefined) {
    if (options.managementPort >= 0 || httpsPort === undefined) managementUrl = `http://${urlHost(host)}:${managementOff ? SERVER_DEFAULTS.managementPort : options.managementPort}`;
    else managementUrl = `https://${urlHost(host)}:${httpsPort}`;
  }
  let url: URL;
  try {
    url = new URL(managementUrl);
  } catch {
    throw new CliError(`--management-url: not a URL: ${managementUrl}`, 64);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new CliError(`--management-url: expected an http:// or https:// URL, got ${managementUrl}`, 64);
  const fromUrl = url.username !== '' ? { user: decodeURIComponent(url.username), pass: decodeURIComponent(url.password) } : undefined;
  url.username = '';
  url.password = '';
  const username = flagValue(flags, 'username') ?? fromUrl?.user ?? envValue(env, 'WARREN_USERNAME') ?? options.defaultUser ?? 'guest';
  const password = flagValue(flags, 'password') ?? fromUrl?.pass ?? envValue(env, 'WARREN_PASSWORD') ?? options.defaultPass ?? 'guest';
  const timeout = flagValue(flags, 'timeout') ?? envValue(env, 'WARREN_TIMEOUT');
  let timeoutMs = 10_000;
  if (timeout !== undefined) {
    if (!/^\d+(\.\d+)?$/.test(timeout) || Number(timeout) <= 0) throw new CliError(`--timeout: expected seconds greater than 0, got '${timeout}'`, 64);
    timeoutMs = Math.round(Number(timeout) * 1000);
  }
  return {
    host,
    port: options.port ?? 5672,
    managementUrl: url.toString().replace(/\/+$/, ''),
    username,
    password,
    vhost: options.defaultVhost ?? '/',
    timeoutMs,
    ...(managementOff ? { managementOff: 'the management API is turned off in this configuration; pass --management-url' } : {}),
  };
}
