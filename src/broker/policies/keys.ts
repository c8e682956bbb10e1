// The policy keys Warren knows, the one list: how each is validated, which objects it applies to, the x-argument it stands for, how operator policies merge.
import { erlangJson, type JsonObject, type JsonValue } from './json.js';

/** What a policy can apply to: exchanges, or queues of one type. */
export type PolicyTarget = 'exchange' | 'classic' | 'quorum' | 'stream';

/** How an operator policy's value combines with the user policy's: the lower number, or the operator's value. */
export type MergeStrategy = 'min' | 'operator';

/** The argument a key stands for on the objects it applies to, and which side wins when both are set. */
export interface KeyArgument {
  /** The declare argument (`x-message-ttl`; `alternate-exchange` has no prefix). */
  readonly name: string;
  /** `min`: the lower of the argument and the policy; `argument`: the argument when the object has one. */
  readonly precedence: 'min' | 'argument';
}

export interface PolicyKey {
  readonly name: string;
  /** The objects it applies to; on any other the key is skipped (as RabbitMQ skips it). */
  readonly targets: readonly PolicyTarget[];
  /** Whether operator policies may set it, and how it merges. */
  readonly operator?: MergeStrategy;
  /** Whether Warren acts on it on one node (the others are accepted, stored, exported and reported only). */
  readonly effect: boolean;
  /** What it does when it takes effect: the argument it stands for on its targets. */
  readonly argument?: KeyArgument;
  /**
   * Queue types that skip a whole policy holding this key (RabbitMQ's unsupported_policies per queue type, checked
   * against 3.10.8; a lower policy may apply instead). Any other object the key does not apply to ignores the key
   * and takes the rest of the policy.
   */
  readonly refusedBy?: readonly PolicyTarget[];
  /** RabbitMQ's validation text when the value is invalid (`~p` of the value as Erlang prints it), else undefined. */
  check?(v: JsonValue): string | undefined;
}

const QUEUES: readonly PolicyTarget[] = ['classic', 'quorum'];
const min = (name: string): KeyArgument => ({ name, precedence: 'min' });
const arg = (name: string): KeyArgument => ({ name, precedence: 'argument' });
/** Keys of classic queues that quorum queues and streams refuse outright. */
const CLASSIC_ONLY = { targets: ['classic'], refusedBy: ['quorum', 'stream'] } as const;
/** Keys of classic and quorum queues that streams refuse. */
const QUEUES_NOT_STREAMS = { targets: QUEUES, refusedBy: ['stream'] } as const;
/** Keys of streams that classic and quorum queues refuse. */
const STREAM_ONLY = { targets: ['stream'], refusedBy: ['classic', 'quorum'] } as const;

const isInt = (v: JsonValue): v is number => typeof v === 'number' && Number.isInteger(v);
const intAtLeast = (min: number, what: string) => (v: JsonValue) => (isInt(v) && v >= min ? undefined : `${erlangJson(v)} ${what}`);
const str = (what: string) => (v: JsonValue) => (typeof v === 'string' ? undefined : `${erlangJson(v)} ${what}`);
const bool = (what: string) => (v: JsonValue) => (typeof v === 'boolean' ? undefined : `${erlangJson(v)} ${what}`);
const oneOf = (values: readonly string[], what: string) => (v: JsonValue) =>
  typeof v === 'string' && values.includes(v) ? undefined : `${erlangJson(v)} ${what}`;

/** `max-age` as RabbitMQ reads it: a positive count and a unit (Y, M, D, h, m, s). */
export function parseMaxAge(v: JsonValue): number | undefined {
  if (typeof v !== 'string') return undefined;
  const m = /^(\d+)(Y|M|D|h|m|s)$/.exec(v);
  if (!m) return undefined;
  const unit = { Y: 365 * 86400, M: 30 * 86400, D: 86400, h: 3600, m: 60, s: 1 }[m[2] as 'Y' | 'M' | 'D' | 'h' | 'm' | 's'];
  return Number(m[1]) * unit * 1000;
}

/** rabbit_policies' own keys, validated first, in key order. */
const CORE: readonly PolicyKey[] = ([
  { name: 'alternate-exchange', targets: ['exchange'], effect: true, argument: arg('alternate-exchange'), check: str('is not a valid alternate exchange name') },
  { name: 'dead-letter-exchange', ...QUEUES_NOT_STREAMS, effect: true, argument: arg('x-dead-letter-exchange'), check: str('is not a valid dead letter exchange name') },
  { name: 'dead-letter-routing-key', ...QUEUES_NOT_STREAMS, effect: true, argument: arg('x-dead-letter-routing-key'), check: str('is not a valid dead letter routing key') },
  { name: 'dead-letter-strategy', targets: ['quorum'], refusedBy: ['classic', 'stream'], effect: false, check: oneOf(['at-most-once', 'at-least-once'], 'is not a valid dead letter strategy') },
  { name: 'message-ttl', ...QUEUES_NOT_STREAMS, operator: 'min', effect: true, argument: min('x-message-ttl'), check: intAtLeast(0, 'is not a valid message TTL') },
  { name: 'expires', ...QUEUES_NOT_STREAMS, operator: 'min', effect: true, argument: min('x-expires'), check: intAtLeast(1, 'is not a valid queue expiry') },
  { name: 'max-length', ...QUEUES_NOT_STREAMS, operator: 'min', effect: true, argument: min('x-max-length'), check: intAtLeast(0, 'is not a valid maximum length') },
  { name: 'max-length-bytes', targets: ['classic', 'quorum', 'stream'], operator: 'min', effect: true, argument: min('x-max-length-bytes'), check: intAtLeast(0, 'is not a valid maximum length in bytes') },
  { name: 'max-in-memory-length', targets: ['quorum'], refusedBy: ['stream'], operator: 'min', effect: false, check: intAtLeast(0, 'is not a valid maximum memory in bytes') },
  { name: 'max-in-memory-bytes', targets: ['quorum'], refusedBy: ['stream'], operator: 'min', effect: false, check: intAtLeast(0, 'is not a valid maximum memory in bytes') },
  { name: 'queue-mode', ...CLASSIC_ONLY, operator: 'operator', effect: false, check: oneOf(['default', 'lazy'], 'is not a valid queue-mode value') },
  // Quorum queues and streams take a policy holding it (and ignore the key), as RabbitMQ 3.10.8.
  { name: 'queue-version', targets: ['classic'], effect: false, check: (v) => (v === 1 || v === 2 ? undefined : `${erlangJson(v)} is not a valid queue-version value`) },
  { name: 'overflow', ...QUEUES_NOT_STREAMS, operator: 'operator', effect: true, argument: arg('x-overflow'), check: oneOf(['drop-head', 'reject-publish', 'reject-publish-dlx'], 'is not a valid overflow value') },
  { name: 'delivery-limit', targets: ['quorum'], refusedBy: ['classic', 'stream'], operator: 'min', effect: true, argument: min('x-delivery-limit'), check: intAtLeast(0, 'is not a valid delivery limit') },
  { name: 'consumer-timeout', ...QUEUES_NOT_STREAMS, operator: 'min', effect: true, argument: min('x-consumer-timeout'), check: intAtLeast(0, 'is not a valid consumer timeout') },
  // A duration string ("7D"): compared by the time it stands for.
  { name: 'max-age', ...STREAM_ONLY, effect: true, argument: min('x-max-age'), check: (v) => (parseMaxAge(v) !== undefined ? undefined : `${erlangJson(v)} is not a valid max age`) },
  { name: 'stream-max-segment-size-bytes', ...STREAM_ONLY, effect: true, argument: min('x-stream-max-segment-size-bytes'), check: intAtLeast(0, 'is not a valid segment size') },
  { name: 'queue-leader-locator', targets: ['quorum', 'stream'], refusedBy: ['classic'], effect: false, check: oneOf(['client-local', 'balanced', 'random', 'least-leaders'], 'is not a valid queue leader locator value') },
  // Quorum queues take the size from x-quorum-initial-group-size; RabbitMQ 3.10.8 skips a policy holding it for them.
  { name: 'initial-cluster-size', targets: ['stream'], refusedBy: ['classic', 'quorum'], effect: false, check: intAtLeast(0, 'is not a valid cluster size') },
] satisfies PolicyKey[]).sort((a, b) => (a.name < b.name ? -1 : 1));

const HA_KEYS = ['ha-mode', 'ha-params', 'ha-sync-mode', 'ha-sync-batch-size', 'ha-promote-on-shutdown', 'ha-promote-on-failure'];
const HA: readonly PolicyKey[] = HA_KEYS.map((name) => ({ name, ...CLASSIC_ONLY, effect: false }));
const LOCATOR: readonly PolicyKey[] = [
  { name: 'queue-master-locator', ...CLASSIC_ONLY, effect: false, check: oneOf(['min-masters', 'client-local', 'random'], 'invalid queue-master-locator value') },
];
/** The federation plugin's keys: kept and reported; Warren does not federate. */
const FEDERATION: readonly PolicyKey[] = [
  { name: 'federation-upstream', targets: ['exchange', 'classic', 'quorum'], effect: false, check: str('is not a valid federation upstream name') },
  { name: 'federation-upstream-set', targets: ['exchange', 'classic', 'quorum'], effect: false, check: str('is not a valid federation upstream set name') },
];
/**
 * Warren's own keys for its LavinMQ-style message deduplication (x-message-deduplication, x-cache-size, x-cache-ttl,
 * x-deduplication-header on exchanges and queues). LavinMQ has no policy keys for them: the argument names without
 * `x-`. RabbitMQ does not know them (its answer is "… are not recognised policy settings").
 */
const DEDUP = { targets: ['exchange', 'classic', 'quorum'], refusedBy: ['stream'] } as const;
const DEDUPLICATION: readonly PolicyKey[] = [
  { name: 'message-deduplication', ...DEDUP, effect: true, argument: arg('x-message-deduplication'), check: bool('is not a valid message deduplication flag') },
  { name: 'cache-size', ...DEDUP, effect: true, argument: min('x-cache-size'), check: intAtLeast(0, 'is not a valid deduplication cache size') },
  { name: 'cache-ttl', ...DEDUP, effect: true, argument: min('x-cache-ttl'), check: intAtLeast(0, 'is not a valid deduplication cache TTL') },
  { name: 'deduplication-header', ...DEDUP, effect: true, argument: arg('x-deduplication-header'), check: str('is not a valid deduplication header') },
];

/** Every key, by name. */
export const POLICY_KEYS: ReadonlyMap<string, PolicyKey> = new Map([...CORE, ...HA, ...LOCATOR, ...FEDERATION, ...DEDUPLICATION].map((k) => [k.name, k]));

/** The key of that name when it applies to (takes effect on, or is reported for) objects of the target kind. */
export function keyFor(name: string, target: PolicyTarget): PolicyKey | undefined {
  const k = POLICY_KEYS.get(name);
  return k !== undefined && k.targets.includes(target) ? k : undefined;
}

/** The names of the keys that apply to objects of the target kind (what a queue type or exchange takes from a policy). */
export function keysFor(target: PolicyTarget): ReadonlySet<string> {
  return new Set([...POLICY_KEYS.values()].filter((k) => k.targets.includes(target)).map((k) => k.name));
}

/** Whether an object of the target kind skips a whole policy holding this key (rather than ignoring the key). */
function refuses(target: PolicyTarget, name: string): boolean {
  return POLICY_KEYS.get(name)?.refusedBy?.includes(target) ?? false;
}

/**
 * Whether a policy with this definition applies to an object of the target kind at all, as RabbitMQ's queue types
 * decide it (is_policy_applicable over their unsupported_policies): a queue skips a policy holding a key its type
 * refuses (a lower one may apply); exchanges take any policy. Keys that do not apply and are not refused do nothing.
 */
export function isApplicable(def: Readonly<JsonObject>, target: PolicyTarget): boolean {
  return Object.keys(def).every((k) => !refuses(target, k));
}

/** RabbitMQ's mirroring checks (rabbit_mirror_queue_misc), run on the ha-* keys together. */
function checkHa(def: JsonObject): string | undefined {
  const get = (k: string) => def[k];
  const mode = get('ha-mode');
  if (mode === undefined) {
    return HA_KEYS.some((k) => get(k) !== undefined) ? 'ha-mode must be specified to specify ha-params, ha-sync-mode or ha-promote-on-shutdown' : undefined;
  }
  const params = get('ha-params');
  const given = params === undefined ? 'none' : erlangJson(params);
  if (mode === 'all') {
    if (params !== undefined) return 'ha-mode="all" does not take parameters';
  } else if (mode === 'exactly') {
    if (!isInt(params ?? null) || (params as number) <= 0) return `ha-mode="exactly" takes an integer, ${given} given`;
  } else if (mode === 'nodes') {
    if (!Array.isArray(params)) return `ha-mode="nodes" takes a list, ${given} given`;
    const bad = params.find((p) => typeof p !== 'string');
    if (bad !== undefined) return `ha-mode="nodes" takes a list of strings, ${erlangJson(params)} was not a string`;
  } else {
    return `${erlangJson(mode)} is not a valid ha-mode value`;
  }
  const sync = get('ha-sync-mode');
  if (sync !== undefined && sync !== 'manual' && sync !== 'automatic') return `ha-sync-mode must be "manual" or "automatic", got ${erlangJson(sync)}`;
  const batch = get('ha-sync-batch-size');
  if (batch !== undefined && !(isInt(batch) && batch > 0)) return `ha-sync-batch-size takes an integer greater than 0, ${erlangJson(batch)} given`;
  for (const k of ['ha-promote-on-shutdown', 'ha-promote-on-failure']) {
    const v = get(k);
    if (v !== undefined && v !== 'always' && v !== 'when-synced') return `${k} must be "always" or "when-synced", got ${erlangJson(v)}`;
  }
  return undefined;
}

function checkEach(keys: readonly PolicyKey[], def: JsonObject): string | undefined {
  for (const k of keys) {
    const v = def[k.name];
    if (v === undefined || !k.check) continue;
    const error = k.check(v);
    if (error !== undefined) return error;
  }
  return undefined;
}

/**
 * Checks a policy definition as RabbitMQ 3.10 does: its own keys in key order first, then the mirroring keys, the
 * locator, the plugins' keys, then Warren's own; a key no validator knows fails last (`[…] are not recognised policy settings`, sorted).
 * Operator policies take only the keys marked `operator`. Returns the reason, or undefined when valid.
 */
export function checkDefinition(def: JsonObject, operator: boolean): string | undefined {
  const known = (name: string) => {
    const k = POLICY_KEYS.get(name);
    return k !== undefined && (!operator || k.operator !== undefined);
  };
  const present = (keys: readonly PolicyKey[]) => keys.filter((k) => known(k.name));
  const error = checkEach(present(CORE), def) ?? (operator ? undefined : checkHa(def) ?? checkEach(LOCATOR, def) ?? checkEach(FEDERATION, def) ?? checkEach(DEDUPLICATION, def));
  if (error !== undefined) return error;
  const unknown = Object.keys(def).filter((k) => !known(k)).sort();
  if (unknown.length > 0) return `[${unknown.map((k) => `{${erlangJson(k)},${erlangJson(def[k])}}`).join(',')}] are not recognised policy settings`;
  return undefined;
}
