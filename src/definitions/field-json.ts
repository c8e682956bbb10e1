// Field tables to and from plain JSON, typed as RabbitMQ's rabbit_misc:to_amqp_table does (integer → long, other number → double).
import { plainTable, type FieldTable, type FieldValue } from '../protocol/index.js';
import { DefinitionsError } from './errors.js';

/** JSON rendering of a table (the management API's `arguments`, `headers`, `client_properties`). */
export function tableToJson(t: FieldTable | undefined): Record<string, unknown> {
  return t ? plainTable(t) : {};
}

/** One JSON value as a typed field value: strings longstr, integers long, other numbers double, objects tables. */
export function jsonToValue(v: unknown, depth = 0): FieldValue {
  if (depth > 64) throw new DefinitionsError('arguments nested too deeply');
  if (typeof v === 'string') return { type: 'S', value: v };
  if (typeof v === 'boolean') return { type: 't', value: v };
  if (typeof v === 'number') {
    if (Number.isInteger(v)) return { type: 'l', value: Number.isSafeInteger(v) ? v : BigInt(v) };
    return { type: 'd', value: v };
  }
  if (Array.isArray(v)) return { type: 'A', value: v.map((x) => jsonToValue(x, depth + 1)) };
  if (v === null) throw new DefinitionsError('null_not_allowed');
  if (typeof v === 'object') return { type: 'F', value: jsonToTable(v, depth + 1) };
  throw new DefinitionsError(`unhandled_type: ${typeof v}`);
}

/** A JSON object as a field table; undefined gives an empty table. */
export function jsonToTable(v: unknown, depth = 0): FieldTable {
  if (v === undefined) return new Map();
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new DefinitionsError('arguments must be a JSON object');
  const t: FieldTable = new Map();
  for (const [k, x] of Object.entries(v)) t.set(k, jsonToValue(x, depth));
  return t;
}
