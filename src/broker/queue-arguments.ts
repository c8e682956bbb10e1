// Queue declaration and consume arguments (x-message-ttl, x-max-length, x-dead-letter-*, …) validated with RabbitMQ's texts and order.
import { preconditionFailed, FIELD_TYPE_NAMES, type FieldTable, type FieldValue } from '../protocol/index.js';
import { deduplicationSettings, type DeduplicationSettings } from './deduplication.js';
import { parseMaxAgeArgument } from './stream-arguments.js';
import { CLASSIC, KNOWN_CONSUME_ARGS, KNOWN_DECLARE_ARGS, queueTypeNamed, type QueueDeclareFlags, type QueueTypeDefinition } from './queue-types/index.js';

export type Overflow = 'drop-head' | 'reject-publish' | 'reject-publish-dlx';
/** A registered queue type's name (see queue-types/; a new type adds its name here). */
export type QueueType = 'classic' | 'quorum' | 'stream';

/**
 * A queue's effective arguments: everything it acts on, computed by a pure function from its x-arguments (and, with
 * policies, from the policy that applies) and re-applied at run time by Queue.applySettings.
 */
export interface QueueSettings {
  type: QueueType;
  messageTtl: number | undefined;
  expires: number | undefined;
  maxLength: number | undefined;
  maxLengthBytes: number | undefined;
  overflow: Overflow;
  deadLetterExchange: string | undefined;
  deadLetterRoutingKey: string | undefined;
  /** Fixed at declaration (RabbitMQ has no policy for it). */
  maxPriority: number | undefined;
  /** Fixed at declaration. */
  singleActiveConsumer: boolean;
  deliveryLimit: number | undefined;
  consumerTimeout: number | undefined;
  /** x-message-deduplication with its cache size and age; undefined when off. */
  deduplication: DeduplicationSettings | undefined;
  /** Streams: x-max-age in ms (whole segments older than it go); undefined when unlimited. */
  maxAge: number | undefined;
  /** Streams: x-stream-max-segment-size-bytes; undefined for the default (500 MB). */
  streamMaxSegmentSizeBytes: number | undefined;
}

const MAX_PRIORITY = 255;
/** RabbitMQ's ceiling for TTLs and expiry intervals (ten years in ms). */
const MAX_EXPIRY = 315_360_000_000;
const INTEGER_TYPES = new Set(['b', 'B', 's', 'u', 'I', 'i', 'l']);
/** x-queue-leader-locator values RabbitMQ 3.10 accepts (random and least-leaders are its older names). */
const LEADER_LOCATORS = new Set(['client-local', 'balanced', 'random', 'least-leaders']);

class ArgError {
  constructor(readonly term: string) {}
}

function int(v: FieldValue): number {
  if (!INTEGER_TYPES.has(v.type)) throw new ArgError(`"expected integer, got ${FIELD_TYPE_NAMES[v.type]}"`);
  return Number(v.value);
}

function nonNegative(v: FieldValue): number {
  const n = int(v);
  if (n < 0) throw new ArgError(`{value_negative,${n}}`);
  return n;
}

function expiry(v: FieldValue, zeroAllowed: boolean): number {
  const n = int(v);
  if (n === 0 && !zeroAllowed) throw new ArgError(`{value_zero,0}`);
  if (n < 0) throw new ArgError(`{value_negative,${n}}`);
  if (n > MAX_EXPIRY) throw new ArgError(`{value_too_large,${n}}`);
  return n;
}

function longstr(v: FieldValue): string {
  if (v.type !== 'S') throw new ArgError(`{unacceptable_type,${FIELD_TYPE_NAMES[v.type]}}`);
  return v.value;
}

/** A name that ends up in a shortstr on the wire (exchange, routing key): at most 255 bytes. */
function shortName(v: FieldValue): string {
  const name = longstr(v);
  const bytes = Buffer.byteLength(name);
  if (bytes > 255) throw new ArgError(`{too_long,${bytes}}`);
  return name;
}

function bool(v: FieldValue): boolean {
  if (v.type !== 't') throw new ArgError(`{unacceptable_type,${FIELD_TYPE_NAMES[v.type]}}`);
  return v.value;
}

/** The settings of a classic queue declared without arguments. */
export function defaultQueueSettings(): QueueSettings {
  return {
    type: CLASSIC.name,
    messageTtl: undefined,
    expires: undefined,
    maxLength: undefined,
    maxLengthBytes: undefined,
    overflow: 'drop-head',
    deadLetterExchange: undefined,
    deadLetterRoutingKey: undefined,
    maxPriority: undefined,
    singleActiveConsumer: false,
    deliveryLimit: undefined,
    consumerTimeout: undefined,
    deduplication: undefined,
    maxAge: undefined,
    streamMaxSegmentSizeBytes: undefined,
  };
}

/** One argument's check, in the order RabbitMQ runs them (the first failure is the one reported). */
const CHECKS: ReadonlyArray<[string, (v: FieldValue, s: QueueSettings) => void]> = [
  ['x-expires', (v, s) => void (s.expires = expiry(v, false))],
  ['x-message-ttl', (v, s) => void (s.messageTtl = expiry(v, true))],
  ['x-dead-letter-exchange', (v, s) => void (s.deadLetterExchange = shortName(v))],
  ['x-dead-letter-routing-key', (v, s) => {
    s.deadLetterRoutingKey = shortName(v);
    if (s.deadLetterExchange === undefined) throw new ArgError('routing_key_but_no_dlx_defined');
  }],
  ['x-max-length', (v, s) => void (s.maxLength = nonNegative(v))],
  ['x-max-length-bytes', (v, s) => void (s.maxLengthBytes = nonNegative(v))],
  ['x-max-priority', (v, s) => {
    const n = nonNegative(v);
    if (n > MAX_PRIORITY) throw new ArgError(`{max_value_exceeded,${n}}`);
    s.maxPriority = n === 0 ? undefined : n;
  }],
  ['x-overflow', (v, s) => {
    const o = longstr(v);
    if (o !== 'drop-head' && o !== 'reject-publish' && o !== 'reject-publish-dlx') throw new ArgError('invalid_overflow');
    s.overflow = o;
  }],
  ['x-queue-mode', (v) => {
    const m = longstr(v);
    if (m !== 'default' && m !== 'lazy') throw new ArgError(`"unsupported queue mode '${m}'"`);
  }],
  ['x-queue-version', (v) => {
    const n = int(v);
    if (n !== 1 && n !== 2) throw new ArgError(`"unsupported queue version '${n}'"`);
  }],
  ['x-single-active-consumer', (v, s) => void (s.singleActiveConsumer = bool(v))],
  ['x-max-age', (v, s) => {
    const age = parseMaxAgeArgument(v);
    if (typeof age !== 'number') throw new ArgError(age.reason);
    s.maxAge = age;
  }],
  ['x-stream-max-segment-size-bytes', (v, s) => void (s.streamMaxSegmentSizeBytes = nonNegative(v))],
  ['x-initial-cluster-size', (v) => {
    if (nonNegative(v) === 0) throw new ArgError('{value_zero,0}');
  }],
  ['x-queue-leader-locator', (v) => {
    if (!LEADER_LOCATORS.has(longstr(v))) throw new ArgError('invalid_queue_locator_arg');
  }],
  ['x-delivery-limit', (v, s) => void (s.deliveryLimit = nonNegative(v))],
  ['x-consumer-timeout', (v, s) => void (s.consumerTimeout = nonNegative(v))],
];

/** The queue type x-queue-type names when it names a registered one, else classic (the declare check reports the rest). */
export function declaredQueueType(args: FieldTable): QueueTypeDefinition {
  const t = args.get('x-queue-type');
  return (t?.type === 'S' ? queueTypeNamed(t.value) : undefined) ?? CLASSIC;
}

/**
 * Validates queue.declare arguments and computes the queue's settings from them (a pure function); an invalid value
 * is 406 `invalid arg 'x-…' for queue 'q' in vhost '/': <reason>`, the first failure in RabbitMQ's order. With the
 * declared flags, the type's refusals of them come after the arguments' checks (as in RabbitMQ).
 */
export function parseQueueArguments(args: FieldTable, resource: string, flags?: QueueDeclareFlags): QueueSettings {
  const s = defaultQueueSettings();
  const dlx = args.get('x-dead-letter-exchange');
  if (dlx !== undefined && dlx.type !== 'S') {
    throw preconditionFailed(`invalid type '${FIELD_TYPE_NAMES[dlx.type]}' for arg 'x-dead-letter-exchange' in ${resource}`);
  }
  let type = CLASSIC;
  const named = args.get('x-queue-type');
  if (named !== undefined) {
    const t = named.type === 'S' ? named.value : undefined;
    const found = t === undefined ? undefined : queueTypeNamed(t);
    if (!found) {
      const reason = t === undefined ? `{unacceptable_type,${FIELD_TYPE_NAMES[named.type]}}` : `"unsupported queue type '${t}'"`;
      throw preconditionFailed(`invalid arg 'x-queue-type' for ${resource}: ${reason}`);
    }
    type = found;
    s.type = found.name;
  }
  const own = type.declareArguments;
  for (const [key, check] of CHECKS) {
    const v = args.get(key);
    if (v === undefined || !own.has(key)) continue;
    try {
      check(v, s);
    } catch (e) {
      if (e instanceof ArgError) throw preconditionFailed(`invalid arg '${key}' for ${resource}: ${e.term}`);
      throw e;
    }
  }
  for (const key of args.keys()) {
    if (KNOWN_DECLARE_ARGS.has(key) && !own.has(key)) {
      throw preconditionFailed(`invalid arg '${key}' for ${resource} of queue type ${type.module}`);
    }
  }
  type.complete(s);
  if (flags) type.checkDeclare(flags, resource, s);
  s.deduplication = deduplicationSettings(args, resource);
  return s;
}

/** basic.consume arguments: x-priority must be an integer; other queue types' arguments are refused. Returns the priority. */
export function parseConsumeArguments(args: FieldTable | undefined, type: QueueType, resource: string): number {
  if (!args) return 0;
  const qt = queueTypeNamed(type) ?? CLASSIC;
  let priority = 0;
  const p = args.get('x-priority');
  if (p !== undefined) {
    try {
      priority = int(p);
    } catch (e) {
      if (e instanceof ArgError) throw preconditionFailed(`invalid arg 'x-priority' for ${resource}: ${e.term}`);
      throw e;
    }
  }
  for (const key of args.keys()) {
    if (KNOWN_CONSUME_ARGS.has(key) && !qt.consumeArguments.has(key)) {
      throw preconditionFailed(`invalid arg '${key}' for ${resource} of queue type ${qt.module}`);
    }
  }
  return priority;
}

/** Parses a message's `expiration` property as RabbitMQ does; throws 406 `invalid expiration '…': …`. */
export function parseExpiration(expiration: string): number {
  const prefix = `invalid expiration '${expiration}': `;
  const m = /^([+-]?\d+)(.*)$/s.exec(expiration);
  if (!m) throw preconditionFailed(`${prefix}no_integer`);
  if (m[2] !== '') throw preconditionFailed(`${prefix}{leftover_string,"${m[2]}"}`);
  const digits = m[1]!;
  const n = Number(digits);
  if (n < 0) throw preconditionFailed(`${prefix}{value_negative,${BigInt(digits)}}`);
  if (n > MAX_EXPIRY) {
    const value = BigInt(digits).toString();
    // Erlang's ~p breaks a term that would not fit its line after its first element (seen from 19 digits on).
    const term = prefix.length + `{value_too_large,${value}}`.length > 78
      ? `{value_too_large,\n${' '.repeat(prefix.length + 1)}${value}}`
      : `{value_too_large,${value}}`;
    throw preconditionFailed(`${prefix}${term}`);
  }
  return n;
}
