// Value syntaxes shared by flags, environment variables and rabbitmq.conf: ports, listeners, sizes, levels, booleans.
// Each parser returns the value or throws an Error whose message says what was expected.

/** A TCP port, 0–65535 (0 picks a free one). */
export function parsePort(v: string): number {
  if (!/^\d+$/.test(v) || Number(v) > 65535) throw new Error(`expected a port number (0-65535), got '${v}'`);
  return Number(v);
}

/** A port, or `off` / `-1` / `none` to turn a listener off (returned as -1). */
export function parsePortOrOff(v: string): number {
  if (v === 'off' || v === '-1' || v === 'none' || v === 'false') return -1;
  if (!/^\d+$/.test(v) || Number(v) > 65535) throw new Error(`expected a port number (0-65535) or 'off', got '${v}'`);
  return Number(v);
}

export interface ListenerAddress {
  host?: string;
  port: number;
}

/** RabbitMQ's listener syntax: `PORT`, `HOST:PORT` or `[IPV6]:PORT` (also `::1:5672`). */
export function parseListener(v: string): ListenerAddress {
  const bracketed = /^\[([^\]]+)\]:(\d+)$/.exec(v);
  if (bracketed) return { host: bracketed[1]!, port: parsePort(bracketed[2]!) };
  const m = /^(?:(.*):)?(\d+)$/.exec(v);
  if (!m) throw new Error(`expected PORT or HOST:PORT, got '${v}'`);
  const port = parsePort(m[2]!);
  return m[1] ? { host: m[1], port } : { port };
}

/** A non-negative integer, at most `max`. */
export function parseInteger(v: string, max = Number.MAX_SAFE_INTEGER): number {
  if (!/^\d+$/.test(v)) throw new Error(`expected a non-negative integer, got '${v}'`);
  const n = Number(v);
  if (n > max) throw new Error(`expected at most ${max}, got ${v}`);
  return n;
}

/** A count or `infinity` (RabbitMQ's connection_max). */
export function parseCountOrInfinity(v: string): number {
  if (v === 'infinity') return Infinity;
  if (!/^\d+$/.test(v)) throw new Error(`expected a non-negative integer or infinity, got '${v}'`);
  return Number(v);
}

export function parseBoolean(v: string): boolean {
  if (v === 'true') return true;
  if (v === 'false') return false;
  throw new Error(`expected true or false, got '${v}'`);
}

/** A positive decimal number (`0.4`, `1.5`, `2`). */
export function parseFraction(v: string): number {
  if (!/^(?:\d+\.?\d*|\.\d+)$/.test(v)) throw new Error(`expected a number such as 0.4, got '${v}'`);
  const n = Number(v);
  if (!(n > 0)) throw new Error(`expected a number greater than 0, got '${v}'`);
  return n;
}

/**
 * RabbitMQ's information units (as for `vm_memory_high_watermark.absolute` and `disk_free_limit.absolute`):
 * k/KiB, M/MiB, G/GiB, T/TiB are powers of 2; kB/KB, MB, GB, TB are powers of 10; no unit means bytes.
 */
const UNITS: Record<string, number> = {
  '': 1,
  b: 1,
  B: 1,
  k: 2 ** 10,
  K: 2 ** 10,
  ki: 2 ** 10,
  Ki: 2 ** 10,
  kiB: 2 ** 10,
  KiB: 2 ** 10,
  kb: 1e3,
  kB: 1e3,
  KB: 1e3,
  m: 2 ** 20,
  M: 2 ** 20,
  Mi: 2 ** 20,
  MiB: 2 ** 20,
  mb: 1e6,
  MB: 1e6,
  g: 2 ** 30,
  G: 2 ** 30,
  Gi: 2 ** 30,
  GiB: 2 ** 30,
  gb: 1e9,
  GB: 1e9,
  t: 2 ** 40,
  T: 2 ** 40,
  Ti: 2 ** 40,
  TiB: 2 ** 40,
  tb: 1e12,
  TB: 1e12,
};

/** A size in bytes: `1000000`, `50MB`, `2GB`, `512MiB`, `1.5GB`. */
export function parseBytes(v: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*([A-Za-z]*)$/.exec(v);
  const unit = m ? UNITS[m[2]!] : undefined;
  if (!m || unit === undefined) throw new Error(`expected a size such as 50000000, 50MB, 2GB or 512MiB, got '${v}'`);
  return Math.round(Number(m[1]) * unit);
}

/** pino levels, and RabbitMQ's log levels mapped onto them. */
const LEVELS: Record<string, string> = {
  trace: 'trace',
  debug: 'debug',
  info: 'info',
  notice: 'info',
  warn: 'warn',
  warning: 'warn',
  error: 'error',
  critical: 'fatal',
  alert: 'fatal',
  emergency: 'fatal',
  fatal: 'fatal',
  none: 'silent',
  silent: 'silent',
};

export function parseLogLevel(v: string): string {
  const level = LEVELS[v.toLowerCase()];
  if (level === undefined) throw new Error(`expected one of debug, info, warning, error, critical, none (or trace, warn, fatal, silent), got '${v}'`);
  return level;
}

/** A non-empty string (vhost, user, path). */
export function parseNonEmpty(v: string): string {
  if (v === '') throw new Error('expected a non-empty value');
  return v;
}
