// Redeclare checks: RabbitMQ's `inequivalent arg` comparisons and texts for flags and arguments.
import {
  FIELD_TYPE_NAMES,
  fieldValuesEqual,
  preconditionFailed,
  type FieldTable,
  type FieldValue,
} from '../protocol/index.js';

const NUMERIC = new Set(['b', 'B', 's', 'u', 'I', 'i', 'l', 'f', 'd']);

/** Queue arguments RabbitMQ compares on redeclare; others are accepted as they come. */
export const QUEUE_EQUIVALENCE_ARGS = [
  'x-expires',
  'x-message-ttl',
  'x-dead-letter-exchange',
  'x-dead-letter-routing-key',
  'x-max-length',
  'x-max-length-bytes',
  'x-max-priority',
  'x-overflow',
  'x-queue-mode',
  'x-queue-type',
  'x-single-active-consumer',
  'x-delivery-limit',
  'x-consumer-timeout',
  'x-max-age',
  'x-stream-max-segment-size-bytes',
  'x-initial-cluster-size',
  'x-queue-leader-locator',
] as const;

/** Exchange arguments RabbitMQ compares on redeclare. */
export const EXCHANGE_EQUIVALENCE_ARGS = ['alternate-exchange'] as const;

/** A queue declared without x-queue-type is a classic queue: absent and 'classic' are equivalent. */
function impliedDefault(key: string, v: FieldValue): boolean {
  return key === 'x-queue-type' && v.type === 'S' && v.value === 'classic';
}

function same(a: FieldValue, b: FieldValue): boolean {
  if (NUMERIC.has(a.type) && NUMERIC.has(b.type)) return Number(a.value) === Number(b.value);
  return fieldValuesEqual(a, b);
}

function describeValue(v: FieldValue | undefined): string {
  if (v === undefined) return 'none';
  const shown = v.type === 'S' ? v.value : typeof v.value === 'object' ? JSON.stringify(v.value) : String(v.value);
  return `the value '${shown}' of type '${FIELD_TYPE_NAMES[v.type]}'`;
}

function bareValue(v: FieldValue): string {
  return `'${v.type === 'S' ? v.value : typeof v.value === 'object' ? JSON.stringify(v.value) : String(v.value)}'`;
}

/** Throws 406 when a compared argument differs. `resource` is e.g. "queue 'q' in vhost '/'". */
export function assertArgsEquivalent(
  current: FieldTable,
  received: FieldTable,
  keys: readonly string[],
  resource: string,
): void {
  for (const key of keys) {
    const cur = current.get(key);
    const rec = received.get(key);
    if (cur === undefined && rec === undefined) continue;
    if (impliedDefault(key, cur ?? rec!) && (cur === undefined || rec === undefined)) continue;
    if (cur !== undefined && rec !== undefined) {
      if (same(cur, rec)) continue;
      // Both present: RabbitMQ shows bare values.
      throw preconditionFailed(`inequivalent arg '${key}' for ${resource}: received ${bareValue(rec)} but current is ${bareValue(cur)}`);
    }
    throw preconditionFailed(
      `inequivalent arg '${key}' for ${resource}: received ${describeValue(rec)} but current is ${describeValue(cur)}`,
    );
  }
}

/** Throws 406 when a declared flag or type differs. */
export function assertFlagEquivalent(
  name: string,
  received: boolean | string,
  current: boolean | string,
  resource: string,
): void {
  if (received === current) return;
  throw preconditionFailed(`inequivalent arg '${name}' for ${resource}: received '${received}' but current is '${current}'`);
}
