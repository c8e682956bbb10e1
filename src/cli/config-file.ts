// Reads a config file in RabbitMQ's rabbitmq.conf format (`key = value` lines) into start options.
import { readFileSync } from 'node:fs';
import type { StartOptions } from '../index.js';

/** Keys understood so far, mapped onto start options. */
const KEYS: Record<string, (v: string, out: StartOptions) => void> = {
  'listeners.tcp.default': (v, o) => {
    const m = /^(?:(.*):)?(\d+)$/.exec(v);
    if (!m) throw new Error('expected PORT or HOST:PORT');
    o.port = Number(m[2]);
    if (m[1]) o.host = m[1];
  },
  default_user: (v, o) => void (o.defaultUser = v),
  default_pass: (v, o) => void (o.defaultPass = v),
  default_vhost: (v, o) => void (o.defaultVhost = v),
  heartbeat: (v, o) => void (o.heartbeat = int(v)),
  frame_max: (v, o) => void (o.frameMax = int(v)),
  channel_max: (v, o) => void (o.channelMax = int(v)),
  max_message_size: (v, o) => void (o.maxMessageSize = int(v)),
  consumer_timeout: (v, o) => void (o.consumerTimeout = int(v)),
  'management.tcp.port': (v, o) => void (o.managementPort = int(v)),
  'prometheus.tcp.port': (v, o) => void (o.prometheusPort = int(v)),
  'log.console.level': (v, o) => void (o.logLevel = v === 'warning' ? 'warn' : v),
};

function int(v: string): number {
  if (!/^\d+$/.test(v)) throw new Error('expected a non-negative integer');
  return Number(v);
}

export interface ConfigResult {
  options: StartOptions;
  warnings: string[];
}

/** Parses the file; a bad value throws an Error naming the key and line, an unknown key is a warning. */
export function readConfigFile(path: string): ConfigResult {
  const options: StartOptions = {};
  const warnings: string[] = [];
  const lines = readFileSync(path, 'utf8').split(/\r?\n/);
  lines.forEach((raw, i) => {
    const line = raw.replace(/#.*$/, '').trim();
    if (line === '') return;
    const eq = line.indexOf('=');
    if (eq < 0) throw new Error(`${path}:${i + 1}: expected 'key = value'`);
    const key = line.slice(0, eq).trim();
    const value = line.slice(eq + 1).trim();
    const apply = KEYS[key];
    if (!apply) {
      warnings.push(`${path}:${i + 1}: unknown key '${key}' ignored`);
      return;
    }
    try {
      apply(value, options);
    } catch (e) {
      throw new Error(`${path}:${i + 1}: bad value for '${key}': ${(e as Error).message}`);
    }
  });
  return { options, warnings };
}
