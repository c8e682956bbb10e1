// A shovel runtime parameter's value checked as RabbitMQ's shovel plugin does (same reasons), into a ShovelConfig.
import { AmqpUriError, parseAmqpUri } from '../client/index.js';
import type { BasicProperties, FieldTable, FieldValue } from '../protocol/index.js';

export type AckMode = 'on-confirm' | 'on-publish' | 'no-ack';

export interface ShovelConfig {
  srcUris: string[];
  srcQueue?: string;
  srcExchange?: string;
  srcExchangeKey: string;
  destUris: string[];
  destQueue?: string;
  destExchange?: string;
  destExchangeKey?: string;
  ackMode: AckMode;
  prefetchCount: number;
  /** 'never', 'queue-length' or a number of messages. */
  deleteAfter: 'never' | 'queue-length' | number;
  /** Seconds between a failure and the next attempt. */
  reconnectDelay: number;
  addForwardHeaders: boolean;
  addTimestampHeader: boolean;
  publishProperties: BasicProperties;
  destQueueArgs: FieldTable;
  srcConsumerArgs: FieldTable;
}

/** A value RabbitMQ would refuse: its reasons, one a line (the API answers `Validation failed\n\n<reasons>\n`). */
export class ShovelValidationError extends Error {
  constructor(readonly reasons: string[]) {
    super(reasons.join('\n'));
  }
}

/** RabbitMQ's defaults (rabbit_shovel_parameters). */
export const DEFAULT_PREFETCH = 1000;
export const DEFAULT_RECONNECT_DELAY = 5;

const KEYS = new Set([
  'src-uri',
  'src-queue',
  'src-exchange',
  'src-exchange-key',
  'src-protocol',
  'src-prefetch-count',
  'src-delete-after',
  'src-consumer-args',
  'dest-uri',
  'dest-queue',
  'dest-exchange',
  'dest-exchange-key',
  'dest-protocol',
  'dest-queue-args',
  'dest-publish-properties',
  'dest-add-forward-headers',
  'dest-add-timestamp-header',
  'add-forward-headers',
  'add-timestamp-header',
  'ack-mode',
  'reconnect-delay',
  'delete-after',
  'prefetch-count',
]);

/** How Erlang prints a JSON value decoded by the management plugin (strings are binaries: <<"x">>). */
export function erlangTerm(v: unknown): string {
  if (typeof v === 'string') return `<<${JSON.stringify(v)}>>`;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (v === null) return 'null';
  if (Array.isArray(v)) return `[${v.map(erlangTerm).join(',')}]`;
  if (typeof v === 'object') return `[${Object.entries(v).map(([k, x]) => `{${erlangTerm(k)},${erlangTerm(x)}}`).join(',')}]`;
  return String(v);
}

const PROPERTY_FIELDS: Record<string, { field: keyof BasicProperties; kind: 'string' | 'number' }> = {
  content_type: { field: 'contentType', kind: 'string' },
  content_encoding: { field: 'contentEncoding', kind: 'string' },
  delivery_mode: { field: 'deliveryMode', kind: 'number' },
  priority: { field: 'priority', kind: 'number' },
  correlation_id: { field: 'correlationId', kind: 'string' },
  reply_to: { field: 'replyTo', kind: 'string' },
  expiration: { field: 'expiration', kind: 'string' },
  message_id: { field: 'messageId', kind: 'string' },
  timestamp: { field: 'timestamp', kind: 'number' },
  type: { field: 'type', kind: 'string' },
  user_id: { field: 'userId', kind: 'string' },
  app_id: { field: 'appId', kind: 'string' },
  cluster_id: { field: 'clusterId', kind: 'string' },
};

function fieldValue(v: unknown, depth: number): FieldValue {
  if (depth > 64) throw new Error('nested too deeply');
  if (typeof v === 'string') return { type: 'S', value: v };
  if (typeof v === 'boolean') return { type: 't', value: v };
  if (typeof v === 'number') return Number.isInteger(v) ? { type: 'l', value: Number.isSafeInteger(v) ? v : BigInt(v) } : { type: 'd', value: v };
  if (Array.isArray(v)) return { type: 'A', value: v.map((x) => fieldValue(x, depth + 1)) };
  if (v !== null && typeof v === 'object') return { type: 'F', value: fieldTable(v as Record<string, unknown>, depth + 1) };
  throw new Error('null is not allowed');
}

/** A JSON object as a field table, typed as RabbitMQ types arguments (integers long, other numbers double). */
export function fieldTable(v: Record<string, unknown>, depth = 0): FieldTable {
  const t: FieldTable = new Map();
  for (const [k, x] of Object.entries(v)) t.set(k, fieldValue(x, depth));
  return t;
}

/**
 * Checks a shovel parameter named `name` and returns its settings, or throws ShovelValidationError with RabbitMQ's
 * reasons (Erlang terms and all; the API HTML-escapes them). URIs in reasons are shown without their password.
 */
export function parseShovel(name: string, value: unknown): ShovelConfig {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new ShovelValidationError([`shovel ${name}: the value must be a JSON object, not ${JSON.stringify(value)}`]);
  const v = value as Record<string, unknown>;
  const reasons: string[] = [];
  const unknown = Object.entries(v).filter(([k]) => !KEYS.has(k));
  if (unknown.length > 0) reasons.push(`Unrecognised terms ${erlangTerm(Object.fromEntries(unknown))} in ${name}`);
  for (const side of ['src', 'dest'] as const) {
    const p = v[`${side}-protocol`];
    if (p !== undefined && p !== 'amqp091') reasons.push(`${side}-protocol ${erlangTerm(p)} is not supported by Warren (only amqp091)`);
  }
  const uris = (key: 'src-uri' | 'dest-uri'): string[] => {
    const u = v[key];
    if (u === undefined) {
      reasons.push(`Key "${key}" not found in ${name}`);
      return [];
    }
    const list = typeof u === 'string' ? [u] : u;
    if (!Array.isArray(list)) {
      reasons.push(`${key} should be list, actually was ${erlangTerm(u)}`);
      return [];
    }
    const out: string[] = [];
    for (const one of list) {
      if (typeof one !== 'string') {
        reasons.push(`${key} should be a list of strings, actually was ${erlangTerm(u)}`);
        continue;
      }
      try {
        parseAmqpUri(one);
        out.push(one);
      } catch (e) {
        const shown = redactForReason(one);
        let why = e instanceof AmqpUriError ? e.message : String(e);
        for (const prefix of [`${shown}: `, '<unparsable URI>: ']) if (why.startsWith(prefix)) why = why.slice(prefix.length);
        reasons.push(`"${shown}" not a valid URI: ${why}`);
      }
    }
    return out;
  };
  const str = (key: string): string | undefined => {
    const x = v[key];
    if (x === undefined) return undefined;
    if (typeof x !== 'string') {
      reasons.push(`${key} should be binary, actually was ${erlangTerm(x)}`);
      return undefined;
    }
    return x;
  };
  const bool = (key: string): boolean => {
    const x = v[key];
    if (x === undefined) return false;
    if (typeof x !== 'boolean') {
      reasons.push(`${key} should be boolean, actually was ${erlangTerm(x)}`);
      return false;
    }
    return x;
  };
  const num = (key: string, dflt: number): number => {
    const x = v[key];
    if (x === undefined) return dflt;
    if (typeof x !== 'number') {
      reasons.push(`${key} should be a number, actually was ${erlangTerm(x)}`);
      return dflt;
    }
    return x;
  };
  const table = (key: string): FieldTable => {
    const x = v[key];
    if (x === undefined) return new Map();
    if (x === null || typeof x !== 'object' || Array.isArray(x)) {
      reasons.push(`${key} should be a JSON object, actually was ${erlangTerm(x)}`);
      return new Map();
    }
    try {
      return fieldTable(x as Record<string, unknown>);
    } catch (e) {
      reasons.push(`${key}: ${(e as Error).message}`);
      return new Map();
    }
  };

  const srcUris = uris('src-uri');
  const srcQueue = str('src-queue');
  const srcExchange = str('src-exchange');
  const srcExchangeKey = str('src-exchange-key');
  if (v['src-queue'] !== undefined && v['src-exchange'] !== undefined) reasons.push("Cannot specify 'src-exchange' and 'src-queue'");
  else if (v['src-queue'] === undefined && v['src-exchange'] === undefined) reasons.push("Must specify 'src-exchange' or 'src-queue'");
  const prefetchCount = num('src-prefetch-count', num('prefetch-count', DEFAULT_PREFETCH));
  let deleteAfter: ShovelConfig['deleteAfter'] = 'never';
  const da = v['src-delete-after'] ?? v['delete-after'];
  if (da !== undefined) {
    if (da === 'never' || da === 'queue-length' || (typeof da === 'number' && Number.isInteger(da) && da >= 0)) deleteAfter = da;
    else reasons.push(`src-delete-after should be a number greater than or equal to 0, "never" or "queue-length", actually was ${erlangTerm(da)}`);
  }
  const srcConsumerArgs = table('src-consumer-args');
  const destUris = uris('dest-uri');
  const destQueue = str('dest-queue');
  const destExchange = str('dest-exchange');
  const destExchangeKey = str('dest-exchange-key');
  if (v['dest-queue'] !== undefined && v['dest-exchange'] !== undefined) reasons.push("Cannot specify 'dest-exchange' and 'dest-queue'");
  const destQueueArgs = table('dest-queue-args');
  const addForwardHeaders = bool('add-forward-headers') || bool('dest-add-forward-headers');
  const addTimestampHeader = bool('dest-add-timestamp-header') || bool('add-timestamp-header');
  const publishProperties: BasicProperties = {};
  const pp = v['dest-publish-properties'];
  if (pp !== undefined) {
    if (pp === null || typeof pp !== 'object' || Array.isArray(pp)) reasons.push(`dest-publish-properties not a list ${erlangTerm(pp)}`);
    else {
      for (const [k, x] of Object.entries(pp)) {
        const f = PROPERTY_FIELDS[k];
        if (!f || typeof x !== f.kind) {
          reasons.push(`dest-publish-properties: ${erlangTerm(k)} is not a message property or ${erlangTerm(x)} not its type`);
          continue;
        }
        (publishProperties as Record<string, unknown>)[f.field] = x;
      }
    }
  }
  const ackModeRaw = v['ack-mode'] ?? 'on-confirm';
  let ackMode: AckMode = 'on-confirm';
  if (ackModeRaw === 'on-confirm' || ackModeRaw === 'on-publish' || ackModeRaw === 'no-ack') ackMode = ackModeRaw;
  else reasons.push(`ack-mode should be one of [<<"no-ack">>,<<"on-publish">>,<<"on-confirm">>], actually was ${erlangTerm(ackModeRaw)}`);
  const reconnectDelay = num('reconnect-delay', DEFAULT_RECONNECT_DELAY);
  if (reasons.length > 0) throw new ShovelValidationError(reasons);
  const c: ShovelConfig = {
    srcUris,
    srcExchangeKey: srcExchangeKey ?? '',
    destUris,
    ackMode,
    prefetchCount: Math.max(0, Math.trunc(prefetchCount)),
    deleteAfter,
    reconnectDelay: Math.max(0, reconnectDelay),
    addForwardHeaders,
    addTimestampHeader,
    publishProperties,
    destQueueArgs,
    srcConsumerArgs,
  };
  if (srcQueue !== undefined) c.srcQueue = srcQueue;
  if (srcExchange !== undefined) c.srcExchange = srcExchange;
  if (destQueue !== undefined) c.destQueue = destQueue;
  if (destExchange !== undefined) c.destExchange = destExchange;
  if (destExchangeKey !== undefined) c.destExchangeKey = destExchangeKey;
  return c;
}

/** A URI as shown in a reason: without the password (RabbitMQ echoes it; Warren never does). */
function redactForReason(uri: string): string {
  const m = /^([^:/?#]+:\/\/)([^@/?#]*@)(.*)$/s.exec(uri);
  if (!m) return uri;
  return `${m[1]}${m[2]!.slice(0, -1).split(':')[0]}@${m[3]}`;
}
