// Stream arguments with RabbitMQ 3.10.8's answers: x-max-age and the x-stream-offset spec, x-stream-filter (3.13+).
import { AmqpError, FIELD_TYPE_NAMES, preconditionFailed, type FieldTable, type FieldValue } from '../protocol/index.js';

/** Where a stream consumer starts. */
export type StreamOffsetSpec =
  | { kind: 'first' }
  | { kind: 'last' }
  | { kind: 'next' }
  | { kind: 'offset'; offset: number }
  /** The first message appended at or after this epoch ms. */
  | { kind: 'timestamp'; at: number };

/** Which messages a filtering consumer gets (RabbitMQ 3.13+); exact in Warren (no Bloom filter false positives). */
export interface StreamFilter {
  values: ReadonlySet<string>;
  /** Messages published without x-stream-filter-value are delivered too. */
  matchUnfiltered: boolean;
}

/** What a stream consumer asked for in basic.consume's arguments. */
export interface StreamConsumeOptions {
  offset: StreamOffsetSpec;
  filter: StreamFilter | undefined;
}

const SECOND = 1000;
const DAY = 86_400 * SECOND;
/** RabbitMQ's units: years and months are 365 and 30 days. */
const UNITS: Record<string, number> = { Y: 365 * DAY, M: 30 * DAY, D: DAY, h: 3600 * SECOND, m: 60 * SECOND, s: SECOND };
const INTEGER_TYPES = new Set(['b', 'B', 's', 'u', 'I', 'i', 'l']);

/**
 * RabbitMQ 3.10.8 crashes its channel on a duration that does not start with digits ("yesterday", "-1h", "+1h", "",
 * " 1h"): the connection is closed with a bare 541 INTERNAL_ERROR. Warren gives the same answer, on purpose.
 */
function crashAnswer(): AmqpError {
  return new AmqpError('INTERNAL_ERROR', '');
}

/** A duration like `7D` or `12h` in ms; undefined when its number is 0 or its unit unknown; throws for no number. */
function duration(text: string): number | undefined {
  const m = /^(\d+)(.*)$/s.exec(text);
  if (!m) throw crashAnswer();
  const n = Number(m[1]);
  const unit = UNITS[m[2]!];
  if (unit === undefined || n <= 0) return undefined;
  return n * unit;
}

/** x-max-age (a longstr like `7D`) in ms; `reason` errors carry RabbitMQ's term for the 406 text. */
export function parseMaxAgeArgument(v: FieldValue): number | { reason: string } {
  if (v.type !== 'S') return { reason: `{unacceptable_type,${FIELD_TYPE_NAMES[v.type]}}` };
  const ms = duration(v.value);
  return ms === undefined ? { reason: 'invalid_max_age' } : ms;
}

/** The x-stream-offset consumer argument; absent means `next`. */
export function parseStreamOffset(v: FieldValue | undefined, resource: string, now = Date.now()): StreamOffsetSpec {
  if (v === undefined) return { kind: 'next' };
  if (INTEGER_TYPES.has(v.type)) {
    const n = Number(v.value);
    return n <= 0 ? { kind: 'first' } : { kind: 'offset', offset: n };
  }
  if (v.type === 'T') return { kind: 'timestamp', at: Number(v.value) * SECOND };
  if (v.type !== 'S') throw crashAnswer();
  const text = v.value;
  if (text === 'first' || text === 'last' || text === 'next') return { kind: text };
  const ms = duration(text);
  if (ms === undefined) {
    throw preconditionFailed(`invalid arg 'x-stream-offset' for ${resource}: {invalid_stream_offset_arg,{longstr,<<"${text}">>}}`);
  }
  return { kind: 'timestamp', at: now - ms };
}

/** x-stream-filter (a string or an array of strings) and x-stream-match-unfiltered (a boolean), RabbitMQ 3.13+. */
export function parseStreamFilter(args: FieldTable | undefined, resource: string): StreamFilter | undefined {
  const f = args?.get('x-stream-filter');
  const u = args?.get('x-stream-match-unfiltered');
  if (u !== undefined && u.type !== 't') {
    throw preconditionFailed(`invalid arg 'x-stream-match-unfiltered' for ${resource}: {unacceptable_type,${FIELD_TYPE_NAMES[u.type]}}`);
  }
  if (f === undefined) return undefined;
  const values = new Set<string>();
  if (f.type === 'S') {
    values.add(f.value);
  } else if (f.type === 'A' && f.value.every((x) => x.type === 'S')) {
    for (const x of f.value) values.add(x.value as string);
  } else {
    throw preconditionFailed(`invalid arg 'x-stream-filter' for ${resource}: {unacceptable_type,${FIELD_TYPE_NAMES[f.type]}}`);
  }
  return { values, matchUnfiltered: u?.value === true };
}

/** Everything a stream consumer's basic.consume arguments say. */
export function parseStreamConsume(args: FieldTable | undefined, resource: string): StreamConsumeOptions {
  return { offset: parseStreamOffset(args?.get('x-stream-offset'), resource), filter: parseStreamFilter(args, resource) };
}

/** The x-stream-filter-value a publisher set in the message's headers (a string), or undefined. */
export function filterValueOf(headers: FieldTable | undefined): string | undefined {
  const v = headers?.get('x-stream-filter-value');
  return v?.type === 'S' ? v.value : undefined;
}
