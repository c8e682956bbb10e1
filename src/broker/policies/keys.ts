// The policy keys Warren knows: how RabbitMQ 3.10 validates each, which objects it applies to, and how operator policies merge.
import { erlangJson, type JsonObject, type JsonValue } from './json.js';

/** What a policy can apply to: exchanges, or queues of one type. */
export type PolicyTarget = 'exchange' | 'classic' | 'quorum' | 'stream';

/** How an operator policy's value combines with the user policy's: the lower number, or the operator's value. */
export type MergeStrategy = 'min' | 'operator';

export interface PolicyKey {
  readonly name: string;
  /** The objects it applies to; on any other the key is skipped (as RabbitMQ skips it). */
  readonly targets: readonly PolicyTarget[];
  /** Whether operator policies may set it, and how it merges. */
  readonly operator?: MergeStrategy;
  /** Whether Warren acts on it on one node (the others are accepted, stored, exported and reported only). */
  readonly effect: boolean;
  /** RabbitMQ's validation text when the value is invalid (`~p` of the value as Erlang prints it), else undefined. */
  check?(v: JsonValue): string | undefined;
}

const QUEUES: readonly PolicyTarget[] = ['classic', 'quorum'];

const isInt = (v: JsonValue): v is number => typeof v === 'number' && Number.isInteger(v);
const intAtLeast = (min: number, what: string) => (v: JsonValue) => (isInt(v) && v >= min ? undefined : `${erlangJson(v)} ${what}`);
const str = (what: string) => (v: JsonValue) => (typeof v === 'string' ? undefined : `${erlangJson(v)} ${what}`);
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
  { name: 'alternate-exchange', targets: ['exchange'], effect: true, check: str('is not a valid alternate exchange name') },
  { name: 'dead-letter-exchange', targets: QUEUES, effect: true, check: str('is not a valid dead letter exchange name') },
  { name: 'dead-letter-routing-key', targets: QUEUES, effect: true, check: str('is not a valid dead letter routing key') },
  { name: 'dead-letter-strategy', targets: ['quorum'], effect: false, check: oneOf(['at-most-once', 'at-least-once'], 'is not a valid dead letter strategy') },
  { name: 'message-ttl', targets: QUEUES, operator: 'min', effect: true, check: intAtLeast(0, 'is not a valid message TTL') },
  { name: 'expires', targets: QUEUES, operator: 'min', effect: true, check: intAtLeast(1, 'is not a valid queue expiry') },
  { name: 'max-length', targets: QUEUES, operator: 'min', effect: true, check: intAtLeast(0, 'is not a valid maximum length') },
  { name: 'max-length-bytes', targets: ['classic', 'quorum', 'stream'], operator: 'min', effect: true, check: intAtLeast(0, 'is not a valid maximum length in bytes') },
  { name: 'max-in-memory-length', targets: ['quorum'], operator: 'min', effect: false, check: intAtLeast(0, 'is not a valid maximum memory in bytes') },
  { name: 'max-in-memory-bytes', targets: ['quorum'], operator: 'min', effect: false, check: intAtLeast(0, 'is not a valid maximum memory in bytes') },
  { name: 'queue-mode', targets: ['classic'], operator: 'operator', effect: false, check: oneOf(['default', 'lazy'], 'is not a valid queue-mode value') },
  { name: 'queue-version', targets: ['classic'], effect: false, check: (v) => (v === 1 || v === 2 ? undefined : `${erlangJson(v)} is not a valid queue-version value`) },
  { name: 'overflow', targets: QUEUES, operator: 'operator', effect: true, check: oneOf(['drop-head', 'reject-publish', 'reject-publish-dlx'], 'is not a valid overflow value') },
  { name: 'delivery-limit', targets: ['quorum'], operator: 'min', effect: true, check: intAtLeast(0, 'is not a valid delivery limit') },
  { name: 'consumer-timeout', targets: QUEUES, operator: 'min', effect: true, check: intAtLeast(0, 'is not a valid consumer timeout') },
  { name: 'max-age', targets: ['stream'], effect: true, check: (v) => (parseMaxAge(v) !== undefined ? undefined : `${erlangJson(v)} is not a valid max age`) },
  { name: 'stream-max-segment-size-bytes', targets: ['stream'], effect: true, check: intAtLeast(0, 'is not a valid segment size') },
  { name: 'queue-leader-locator', targets: ['quorum', 'stream'], effect: false, check: oneOf(['client-local', 'balanced', 'random', 'least-leaders'], 'is not a valid queue leader locator value') },
  { name: 'initial-cluster-size', targets: ['quorum', 'stream'], effect: false, check: intAtLeast(0, 'is not a valid cluster size') },
] satisfies PolicyKey[]).sort((a, b) => (a.name < b.name ? -1 : 1));

const HA_KEYS = ['ha-mode', 'ha-params', 'ha-sync-mode', 'ha-sync-batch-size', 'ha-promote-on-shutdown', 'ha-promote-on-failure'];
const HA: readonly PolicyKey[] = HA_KEYS.map((name) => ({ name, targets: ['classic'], effect: false }));
const LOCATOR: readonly PolicyKey[] = [
  { name: 'queue-master-locator', targets: ['classic'], effect: false, check: oneOf(['min-masters', 'client-local', 'random'], 'invalid queue-master-locator value') },
];
/** The federation plugin's keys: kept and reported; Warren does not federate. */
const FEDERATION: readonly PolicyKey[] = [
  { name: 'federation-upstream', targets: ['exchange', 'classic', 'quorum'], effect: false, check: str('is not a valid federation upstream name') },
  { name: 'federation-upstream-set', targets: ['exchange', 'classic', 'quorum'], effect: false, check: str('is not a valid federation upstream set name') },
];

/** Keys a quorum queue refuses: a policy holding one does not apply to quorum queues at all (a lower one may). */
const NOT_FOR_QUORUM = new Set([...HA_KEYS, 'queue-master-locator', 'queue-mode', 'queue-version']);
/** The only keys a policy for a stream may hold. */
const FOR_STREAM = new Set(['max-length-bytes', 'max-age', 'stream-max-segment-size-bytes', 'queue-leader-locator', 'initial-cluster-size', 'federation-upstream', 'federation-upstream-set']);

/**
 * Whether a policy with this definition applies to an object of the target kind at all, as RabbitMQ's queue types
 * decide it (is_policy_applicable): classic queues and exchanges take any policy (keys that do not concern them do
 * nothing), quorum queues and streams skip a policy holding a key they refuse.
 */
export function isApplicable(def: Readonly<JsonObject>, target: PolicyTarget): boolean {
  if (target === 'quorum') return Object.keys(def).every((k) => !NOT_FOR_QUORUM.has(k));
  if (target === 'stream') return Object.keys(def).every((k) => FOR_STREAM.has(k));
  return true;
}

/** Every key, by name. */
export const POLICY_KEYS: ReadonlyMap<string, PolicyKey> = new Map([...CORE, ...HA, ...LOCATOR, ...FEDERATION].map((k) => [k.name, k]));

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
 * locator, the plugins' keys; a key no validator knows fails last (`[…] are not recognised policy settings`, sorted).
 * Operator policies take only the keys marked `operator`. Returns the reason, or undefined when valid.
 */
export function checkDefinition(def: JsonObject, operator: boolean): string | undefined {
  const known = (name: string) => {
    const k = POLICY_KEYS.get(name);
    return k !== undefined && (!operator || k.operator !== undefined);
  };
  const present = (keys: readonly PolicyKey[]) => keys.filter((k) => known(k.name));
  const error = checkEach(present(CORE), def) ?? (operator ? undefined : checkHa(def) ?? checkEach(LOCATOR, def) ?? checkEach(FEDERATION, def));
  if (error !== undefined) return error;
  const unknown = Object.keys(def).filter((k) => !known(k)).sort();
  if (unknown.length > 0) return `[${unknown.map((k) => `{${erlangJson(k)},${erlangJson(def[k])}}`).join(',')}] are not recognised policy settings`;
  return undefined;
}
