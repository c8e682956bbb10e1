// Effective settings: the user and operator policy merged, then combined with an object's x-arguments by RabbitMQ's precedence.
import type { FieldTable, FieldValue } from '../../protocol/index.js';
import { keyFor, parseMaxAge, POLICY_KEYS, type PolicyTarget } from './keys.js';
import type { JsonObject, JsonValue } from './json.js';
import type { Policy } from './policy.js';

/**
 * The definition in force (RabbitMQ's effective_policy_definition): the user policy's keys with the operator policy's
 * merged in — for a key both set, the lower number (`min` keys) or the operator's value; a key only one sets is taken
 * as it is. Keys come out sorted, as RabbitMQ lists them.
 */
export function effectiveDefinition(policy: Policy | undefined, operator: Policy | undefined): JsonObject {
  const out: JsonObject = { ...policy?.definition };
  for (const [key, opValue] of Object.entries(operator?.definition ?? {})) {
    const mine = out[key];
    const strategy = POLICY_KEYS.get(key)?.operator;
    if (mine !== undefined && strategy === 'min' && typeof mine === 'number' && typeof opValue === 'number') out[key] = Math.min(mine, opValue);
    else out[key] = opValue;
  }
  return Object.fromEntries(Object.keys(out).sort().map((k) => [k, out[k]!]));
}

/** RabbitMQ's ceiling for TTLs and expiry intervals (ten years in ms); a policy's larger value acts as this. */
const MAX_EXPIRY = 315_360_000_000;

function asField(v: JsonValue): FieldValue | undefined {
  if (typeof v === 'string') return { type: 'S', value: v };
  if (typeof v === 'boolean') return { type: 't', value: v };
  if (typeof v === 'number' && Number.isInteger(v)) return { type: 'l', value: v };
  return undefined;
}

function numberOf(v: FieldValue): number | undefined {
  switch (v.type) {
    case 'b': case 'B': case 's': case 'u': case 'I': case 'i': case 'l':
      return Number(v.value);
    default:
      return undefined;
  }
}

/**
 * An object's effective arguments: its own arguments with the effective policy definition folded in, as RabbitMQ
 * resolves them, each key by the precedence keys.ts gives it. For message-ttl, expires, max-length, max-length-bytes
 * (and delivery-limit, consumer-timeout, the stream limits, cache-size and cache-ttl) the lower of the argument and
 * the policy wins; for dead-letter-exchange, dead-letter-routing-key, overflow, alternate-exchange,
 * message-deduplication and deduplication-header the argument wins when the object has one. Keys that do not apply
 * to the target are skipped. Returns `args` itself when the policy changes nothing, so the result can be parsed by
 * the object's own argument parser.
 */
export function effectiveArguments(args: FieldTable, definition: Readonly<JsonObject>, target: PolicyTarget): FieldTable {
  let out: FieldTable | undefined;
  for (const [key, value] of Object.entries(definition)) {
    const how = keyFor(key, target)?.argument;
    if (!how) continue;
    let field = asField(value);
    if (!field) continue;
    if ((key === 'message-ttl' || key === 'expires') && typeof field.value === 'number' && field.value > MAX_EXPIRY) field = { type: 'l', value: MAX_EXPIRY };
    const current = args.get(how.name);
    if (current !== undefined && key === 'max-age') {
      const mine = current.type === 'S' ? parseMaxAge(current.value) : undefined;
      const theirs = parseMaxAge(value);
      if (mine === undefined || theirs === undefined || mine <= theirs) continue;
    } else if (current !== undefined) {
      if (how.precedence === 'argument') continue;
      const n = numberOf(current);
      if (n === undefined || n <= (field.value as number)) continue;
    }
    out ??= new Map(args);
    out.set(how.name, field);
  }
  // A routing key without an exchange to go with it is meaningless (and refused as an argument): drop it.
  if (out && out.has('x-dead-letter-routing-key') && !out.has('x-dead-letter-exchange')) out.delete('x-dead-letter-routing-key');
  return out ?? args;
}

/** A queue's effective arguments (target: its type). */
export const effectiveQueueArguments = effectiveArguments;

/** An exchange's alternate exchange: its `alternate-exchange` argument when it has one, else the policy's. */
export function effectiveAlternateExchange(args: FieldTable, definition: Readonly<JsonObject>): string | undefined {
  const ae = effectiveArguments(args, definition, 'exchange').get('alternate-exchange');
  return ae?.type === 'S' ? ae.value : undefined;
}
