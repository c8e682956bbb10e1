// Reads a config file in RabbitMQ's rabbitmq.conf format (`key = value` lines, `#` comments) into start options.
import { existsSync, readFileSync } from 'node:fs';
import type { StartOptions } from '../index.js';
import { RABBITMQ_CONFIG_KEYS } from './rabbitmq-config-keys.js';
import { closest } from './suggest.js';
import {
  parseBoolean,
  parseBytes,
  parseCountOrInfinity,
  parseFraction,
  parseInteger,
  parseListener,
  parseLogLevel,
  parseNonEmpty,
  parsePortOrOff,
} from './values.js';

type Apply = (value: string, out: StartOptions) => void;

/** Keys understood, mapped onto start options. */
const KEYS: Record<string, Apply> = {
  'listeners.tcp.default': (v, o) => {
    const l = parseListener(v);
    o.port = l.port;
    if (l.host !== undefined) o.host = l.host;
  },
  'listeners.ssl.default': (v, o) => {
    const l = parseListener(v);
    o.tls = { ...(o.tls ?? { options: {} }), port: l.port, ...(l.host !== undefined ? { host: l.host } : {}) };
  },
  'listeners.ssl': (v, o) => {
    if (v !== 'none') throw new Error(`expected 'none' (or listeners.ssl.default = PORT), got '${v}'`);
    o.tls = { ...(o.tls ?? { options: {} }), port: -1 };
  },
  ssl_cert_login_from: (v, o) => {
    if (v !== 'common_name' && v !== 'distinguished_name') throw new Error(`expected common_name or distinguished_name, got '${v}'`);
    o.sslCertLoginFrom = v;
  },
  default_user: (v, o) => void (o.defaultUser = parseNonEmpty(v)),
  default_pass: (v, o) => void (o.defaultPass = v),
  default_vhost: (v, o) => void (o.defaultVhost = parseNonEmpty(v)),
  loopback_users: (v, o) => {
    if (v !== 'none') throw new Error(`expected 'none' (or loopback_users.USER = true|false), got '${v}'`);
    o.loopbackUsers = [];
  },
  heartbeat: (v, o) => void (o.heartbeat = parseInteger(v, 65535)),
  frame_max: (v, o) => void (o.frameMax = parseInteger(v, 0xffffffff)),
  channel_max: (v, o) => void (o.channelMax = parseInteger(v, 65535)),
  connection_max: (v, o) => void (o.connectionMax = parseCountOrInfinity(v)),
  max_message_size: (v, o) => void (o.maxMessageSize = parseInteger(v, 512 * 1024 * 1024)),
  consumer_timeout: (v, o) => void (o.consumerTimeout = parseInteger(v)),
  'management.tcp.port': (v, o) => void (o.managementPort = parsePortOrOff(v)),
  'management.listener.port': (v, o) => void (o.managementPort = parsePortOrOff(v)),
  'prometheus.tcp.port': (v, o) => void (o.prometheusPort = parsePortOrOff(v)),
  load_definitions: (v, o) => void (o.loadDefinitions = parseNonEmpty(v)),
  'product.name': (v, o) => void (o.serverProduct = parseNonEmpty(v)),
  'product.version': (v, o) => void (o.serverVersion = parseNonEmpty(v)),
  'management.load_definitions': (v, o) => void (o.loadDefinitions = parseNonEmpty(v)),
  'log.console.level': (v, o) => void (o.logLevel = parseLogLevel(v)),
  'vm_memory_high_watermark.relative': (v, o) => void (o.memoryHighWatermark = { relative: parseFraction(v) }),
  'vm_memory_high_watermark.absolute': (v, o) => void (o.memoryHighWatermark = { absolute: parseBytes(v) }),
  'disk_free_limit.absolute': (v, o) => void (o.diskFreeLimit = { absolute: parseBytes(v) }),
  'disk_free_limit.relative': (v, o) => void (o.diskFreeLimit = { relative: parseFraction(v) }),
};

/** Keys whose last part is a name: `loopback_users.guest = false`, `default_user_tags.administrator = true`, … */
const FAMILIES: Record<string, (name: string, value: string, out: StartOptions) => void> = {
  loopback_users: (name, v, o) => {
    const users = new Set(o.loopbackUsers ?? ['guest']);
    if (parseBoolean(v)) users.add(name);
    else users.delete(name);
    o.loopbackUsers = [...users];
  },
  default_user_tags: (name, v, o) => {
    const tags = new Set(o.defaultUserTags ?? []);
    if (parseBoolean(v)) tags.add(name);
    else tags.delete(name);
    o.defaultUserTags = [...tags];
  },
  default_permissions: (name, v, o) => {
    if (name !== 'configure' && name !== 'write' && name !== 'read') throw new Error(`expected default_permissions.configure, .write or .read`);
    regex(v);
    o.defaultPermissions = { ...(o.defaultPermissions ?? { configure: '.*', write: '.*', read: '.*' }), [name]: v };
  },
  ssl_options: (name, v, o) => {
    checkSslOption(name, v);
    o.tls = { ...(o.tls ?? { options: {} }), options: { ...(o.tls?.options ?? {}), [name]: v } };
  },
  /** The management API over HTTPS: `management.ssl.port`, `.ip`, and the ssl_options keys (`.certfile`, …). */
  'management.ssl': (name, v, o) => {
    const current = o.managementTls ?? { options: {} };
    if (name === 'port') o.managementTls = { ...current, port: parsePortOrOff(v) };
    else if (name === 'ip') o.managementTls = { ...current, host: parseNonEmpty(v) };
    else {
      checkSslOption(name, v);
      o.managementTls = { ...current, options: { ...(current.options ?? {}), [name]: v } };
    }
  },
};

/** Values checked when the file is read (the files themselves are read when the listener starts). */
function checkSslOption(name: string, v: string): void {
  if (name === 'verify' && v !== 'verify_peer' && v !== 'verify_none') throw new Error(`expected verify_peer or verify_none, got '${v}'`);
  if (name === 'fail_if_no_peer_cert' || name === 'honor_cipher_order') parseBoolean(v);
}

/** The family a dotted key belongs to, longest prefix first: `management.ssl.certfile` → `management.ssl`, `certfile`. */
function familyOf(key: string): { apply: (name: string, value: string, out: StartOptions) => void; name: string } | undefined {
  for (let i = key.lastIndexOf('.'); i > 0; i = key.lastIndexOf('.', i - 1)) {
    const apply = FAMILIES[key.slice(0, i)];
    if (apply) return { apply, name: key.slice(i + 1) };
  }
  return undefined;
}

function regex(v: string): void {
  try {
    new RegExp(v);
  } catch {
    throw new Error(`expected a regular expression, got '${v}'`);
  }
}

/** RabbitMQ's keys: exact names, and patterns whose `$name` parts match any one dotted part. */
const EXACT_KEYS = new Set(RABBITMQ_CONFIG_KEYS.filter((k) => !k.includes('$')));
const PATTERN_KEYS = RABBITMQ_CONFIG_KEYS.filter((k) => k.includes('$')).map((k) => k.split('.'));

/** Whether RabbitMQ 3.10.8 (with the management and prometheus plugins) knows the key. */
export function isRabbitMQKey(key: string): boolean {
  if (EXACT_KEYS.has(key)) return true;
  const parts = key.split('.');
  return PATTERN_KEYS.some((p) => p.length === parts.length && p.every((s, i) => s.startsWith('$') ? parts[i] !== '' : s === parts[i]));
}

export interface ConfigResult {
  options: StartOptions;
  /** Problems to log as warnings. */
  warnings: string[];
  /** RabbitMQ keys Warren accepts without acting on them, one line each, to log at info. */
  notices: string[];
}

/** A config file's problem, naming the file, line and key. */
export class ConfigError extends Error {}

/**
 * RabbitMQ's RABBITMQ_CONFIG_FILE may name the file without its `.conf` extension; so may --config.
 * Returns the path that exists, or the path as given (which then fails to open with a clear message).
 */
export function resolveConfigPath(path: string): string {
  if (!existsSync(path) && existsSync(`${path}.conf`)) return `${path}.conf`;
  return path;
}

/**
 * Parses the file; a bad value or a key RabbitMQ does not know throws a ConfigError naming file, line and key
 * (RabbitMQ refuses to boot on an unknown key too); a RabbitMQ key Warren does not act on is a notice.
 */
export function readConfigFile(path: string): ConfigResult {
  let text: string;
  try {
    text = readFileSync(resolveConfigPath(path), 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new ConfigError(`config file ${path}: ${code === 'ENOENT' ? 'no such file' : (e as Error).message}`);
  }
  return parseConfig(text, path);
}

/** Parses rabbitmq.conf text; `name` is used in messages (`name:line`). */
export function parseConfig(text: string, name: string): ConfigResult {
  const options: StartOptions = {};
  const warnings: string[] = [];
  const notices: string[] = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    const where = `${name}:${i + 1}`;
    const line = raw.replace(/#.*$/, '').trim();
    if (line === '') return;
    const eq = line.indexOf('=');
    if (eq < 0) throw new ConfigError(`${where}: expected 'key = value', got '${line}'`);
    const key = line.slice(0, eq).trim();
    const value = line.slice(eq + 1).trim();
    if (key === '') throw new ConfigError(`${where}: expected 'key = value', got '${line}'`);
    if (!isRabbitMQKey(key) && KEYS[key] === undefined) {
      const near = closest(key, RABBITMQ_CONFIG_KEYS);
      const hint = near.length > 0 ? `; did you mean ${near.map((k) => `'${k}'`).join(', ')}?` : '';
      throw new ConfigError(`${where}: unknown key '${key}' (RabbitMQ 3.10.8 has no such setting and refuses to boot)${hint}`);
    }
    const family = familyOf(key);
    const apply: Apply | undefined = KEYS[key] ?? (family ? (v, o) => family.apply(family.name, v, o) : undefined);
    if (!apply) {
      notices.push(`${where}: ${key} accepted, no effect in Warren`);
      return;
    }
    try {
      apply(value, options);
    } catch (e) {
      throw new ConfigError(`${where}: bad value for '${key}': ${(e as Error).message}`);
    }
  });
  return { options, warnings, notices };
}
