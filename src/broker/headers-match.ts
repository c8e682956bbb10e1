// Headers-exchange binding matching and x-match validation, as RabbitMQ 3.13/4.x rabbit_exchange_type_headers.
import { erlangTerm } from './erlang-format.js';
import { FIELD_TYPE_NAMES, type FieldTable, type FieldValue } from '../protocol/field-table.js';

const X_MATCH_MODES: ReadonlySet<string> = new Set(['all', 'any', 'all-with-x', 'any-with-x']);

/**
 * Whether a message with `headers` matches a headers-exchange binding with `bindingArgs`.
 *
 * x-match is `all` (the default, also for any unrecognised value), `any`, `all-with-x` or
 * `any-with-x`. The `x-match` key itself is never a condition; other `x-` keys are conditions
 * only in the `-with-x` modes. A void binding value matches on key presence; any other value
 * must equal the header value as Erlang `=:=` compares the decoded terms (see `termEquals`).
 * With no conditions, `all` matches every message and `any` matches none.
 */
export function headersMatch(bindingArgs: FieldTable, headers: FieldTable | undefined): boolean {
  const xMatch = bindingArgs.get('x-match');
  const mode = xMatch?.type === 'S' ? xMatch.value : 'all';
  const any = mode === 'any' || mode === 'any-with-x';
  const withX = mode === 'any-with-x' || mode === 'all-with-x';
  for (const [key, expected] of bindingArgs) {
    if (key === 'x-match' || (!withX && key.startsWith('x-'))) continue;
    const actual = headers?.get(key);
    const ok = actual !== undefined && (expected.type === 'V' || termEquals(expected, actual));
    if (any && ok) return true;
    if (!any && !ok) return false;
  }
  return !any;
}

/**
 * RabbitMQ's error text for an invalid x-match binding argument (sent as 406
 * PRECONDITION_FAILED on queue.bind / exchange.bind), or undefined when it is valid or absent.
 */
export function validateXMatch(bindingArgs: FieldTable): string | undefined {
  const v = bindingArgs.get('x-match');
  if (v === undefined) return undefined;
  if (v.type === 'S') {
    if (X_MATCH_MODES.has(v.value)) return undefined;
    return `Invalid x-match field value ${erlangTerm(v)}; expected all, any, all-with-x, or any-with-x`;
  }
  return `Invalid x-match field type ${FIELD_TYPE_NAMES[v.type]} (value ${erlangTerm(v)}); expected longstr`;
}

// ---- equality ----

/**
 * Erlang `=:=` on the decoded values, type tags dropped (RabbitMQ 3.13+ routes on a map of
 * header name -> bare value): all integer types are one kind (signedint 1 =:= long 1), float
 * and double are one kind, but an integer never equals a float (1 =/= 1.0); longstr and
 * binary are both binaries; nested tables/arrays keep their type tags and order.
 */
function termEquals(a: FieldValue, b: FieldValue): boolean {
  switch (a.type) {
    case 'b': case 'B': case 's': case 'u': case 'I': case 'i': case 'l': case 'T':
      switch (b.type) {
        case 'b': case 'B': case 's': case 'u': case 'I': case 'i': case 'l': case 'T':
          return integersEqual(a.value, b.value);
        default:
          return false;
      }
    case 'f': case 'd':
      return (b.type === 'f' || b.type === 'd') && a.value === b.value;
    case 'S':
      if (b.type === 'S') return a.value === b.value;
      return b.type === 'x' && b.value.equals(Buffer.from(a.value, 'utf8'));
    case 'x':
      if (b.type === 'x') return a.value.equals(b.value);
      return b.type === 'S' && a.value.equals(Buffer.from(b.value, 'utf8'));
    default:
      return taggedEquals(a, b);
  }
}

/** `=:=` on tagged values, as nested inside tables and arrays ({Key, Type, Value} / {Type, Value}). */
function taggedEquals(a: FieldValue, b: FieldValue): boolean {
  if (a.type !== b.type) return false;
  switch (a.type) {
    case 'l': return integersEqual(a.value, (b as typeof a).value);
    case 'D': {
      const d = (b as typeof a).value;
      return a.value.scale === d.scale && a.value.value === d.value;
    }
    case 'x': return a.value.equals((b as typeof a).value);
    case 'V': return true;
    case 'F': {
      const t = (b as typeof a).value;
      if (a.value.size !== t.size) return false;
      const it = t.entries();
      for (const [k, v] of a.value) {
        const [k2, v2] = it.next().value!;
        if (k !== k2 || !taggedEquals(v, v2)) return false;
      }
      return true;
    }
    case 'A': {
      const arr = (b as typeof a).value;
      return a.value.length === arr.length && a.value.every((v, i) => taggedEquals(v, arr[i]!));
    }
    default: return a.value === b.value;
  }
}

function integersEqual(a: number | bigint, b: number | bigint): boolean {
  return typeof a === typeof b ? a === b : BigInt(a) === BigInt(b);
}
