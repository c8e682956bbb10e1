// Dead-lettering: the republished message with RabbitMQ's x-death history and x-first/last-death headers, and cycle detection.
import { long, str, table, type FieldTable, type FieldValue } from '../protocol/index.js';
import type { Message } from './message.js';
import type { DeadLetterReason } from './queue.js';

/** The x-death entries of a message's headers, newest first. */
function xDeathEntries(headers: FieldTable | undefined): FieldTable[] {
  const v = headers?.get('x-death');
  if (v?.type !== 'A') return [];
  return v.value.flatMap((e) => (e.type === 'F' ? [e.value] : []));
}

function text(t: FieldTable, key: string): string | undefined {
  const v = t.get(key);
  return v?.type === 'S' ? v.value : undefined;
}

/** The routing keys a message was published with: its key plus CC (BCC is already gone). */
function routingKeysOf(message: Message, headers: FieldTable | undefined): FieldValue[] {
  const keys: FieldValue[] = [str(message.routingKey)];
  const cc = headers?.get('CC');
  if (cc?.type === 'A') for (const k of cc.value) if (k.type === 'S') keys.push(k);
  return keys;
}

/**
 * The message as it leaves `queue` for its dead-letter exchange, as RabbitMQ records it: an x-death entry per
 * queue and reason (newest first; a repeat increments its count, keeps its first time, moves to the front with its
 * fields in name order), x-first-death-* on the first death only, the header table in key order, `expiration` removed
 * (kept as original-expiration), and with a dead-letter routing key the CC header removed.
 */
export function deadLetteredMessage(
  message: Message,
  queue: string,
  reason: DeadLetterReason,
  deadLetterExchange: string,
  deadLetterRoutingKey: string | undefined,
  now: number,
): Message {
  const props = message.properties;
  const headers: FieldTable = new Map(props.headers ?? []);
  const entries = xDeathEntries(props.headers);
  const firstDeath = entries.length === 0;
  const i = entries.findIndex((e) => text(e, 'queue') === queue && text(e, 'reason') === reason);
  let entry: FieldTable;
  if (i >= 0) {
    const updated = new Map(entries[i]!);
    const count = updated.get('count');
    updated.set('count', long(count && (count.type === 'l' || count.type === 'I') ? Number(count.value) + 1 : 1));
    entry = updated;
    entries.splice(i, 1);
  } else {
    entry = new Map<string, FieldValue>([
      ['count', long(1)],
      ['reason', str(reason)],
      ['queue', str(queue)],
      ['time', { type: 'T', value: Math.floor(now / 1000) }],
      ['exchange', str(message.exchange)],
      ['routing-keys', { type: 'A', value: routingKeysOf(message, props.headers) }],
    ]);
    if (props.expiration !== undefined) entry.set('original-expiration', str(props.expiration));
  }
  // RabbitMQ keeps creation order only for the very first death; a front entry is otherwise in name order.
  entries.unshift(firstDeath ? entry : sortedTable(entry));
  headers.set('x-death', { type: 'A', value: entries.map((e) => table(e)) });
  if (firstDeath) {
    headers.set('x-first-death-reason', str(reason));
    headers.set('x-first-death-queue', str(queue));
    headers.set('x-first-death-exchange', str(message.exchange));
  }
  if (deadLetterRoutingKey !== undefined) headers.delete('CC');
  const { expiration: _dropped, ...rest } = props;
  const out = message.withProperties({ ...rest, headers: sortedTable(headers) }, deadLetterExchange, deadLetterRoutingKey ?? message.routingKey);
  out.ttl = undefined;
  out.routingKeys = deadLetterRoutingKey === undefined ? message.routingKeys : undefined;
  return out;
}

function sortedTable(t: FieldTable): FieldTable {
  return new Map([...t].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/**
 * RabbitMQ drops a dead-lettered message bound for a queue it already died in, unless a rejection happened
 * somewhere in that cycle (x-death newest first, up to the entry for the target queue).
 */
export function isDeadLetterCycle(message: Message, targetQueue: string): boolean {
  const entries = xDeathEntries(message.properties.headers);
  for (const e of entries) {
    if (text(e, 'reason') === 'rejected') return false;
    if (text(e, 'queue') === targetQueue) return true;
  }
  return false;
}
