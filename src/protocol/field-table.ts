// AMQP field tables and arrays with RabbitMQ's errata type tags, decoded with their types kept so they re-encode byte for byte.
import { frameError, syntaxError } from './errors.js';

/** One typed field value; `type` is the wire tag from RabbitMQ's errata. */
export type FieldValue =
  | { type: 't'; value: boolean }
  | { type: 'b' | 'B' | 's' | 'u' | 'I' | 'i' | 'f' | 'd' | 'T'; value: number }
  | { type: 'l'; value: number | bigint }
  | { type: 'D'; value: Decimal }
  | { type: 'S'; value: string }
  | { type: 'x'; value: Buffer }
  | { type: 'F'; value: FieldTable }
  | { type: 'A'; value: FieldValue[] }
  | { type: 'V'; value: null };

export interface Decimal {
  scale: number;
  value: number;
}

/** A field table, insertion order kept (it is the wire order). */
export type FieldTable = Map<string, FieldValue>;

/** RabbitMQ's names for the tags, used in its `inequivalent arg` texts. */
export const FIELD_TYPE_NAMES: Readonly<Record<FieldValue['type'], string>> = {
  t: 'bool',
  b: 'byte',
  B: 'unsignedbyte',
  s: 'short',
  u: 'unsignedshort',
  I: 'signedint',
  i: 'unsignedint',
  l: 'long',
  f: 'float',
  d: 'double',
  D: 'decimal',
  S: 'longstr',
  x: 'binary',
  T: 'timestamp',
  F: 'table',
  A: 'array',
  V: 'void',
};

/** Deepest nesting of tables/arrays accepted; deeper input is a syntax error, never a stack overflow. */
export const MAX_TABLE_DEPTH = 128;

const CODE = {
  t: 0x74, b: 0x62, B: 0x42, s: 0x73, u: 0x75, I: 0x49, i: 0x69, l: 0x6c,
  f: 0x66, d: 0x64, D: 0x44, S: 0x53, x: 0x78, T: 0x54, F: 0x46, A: 0x41, V: 0x56,
} as const;

/**
 * A short string (field names, exchange and queue names, routing keys, properties). Invalid UTF-8 is a 502
 * SYNTAX_ERROR: decoded with replacement characters it would no longer fit 255 bytes when sent back.
 */
export function decodeShortstr(buf: Buffer, start: number, len: number): string {
  const s = buf.toString('utf8', start, start + len);
  // Invalid bytes decode to U+FFFD (3 bytes each): the re-encoded length tells.
  if (Buffer.byteLength(s) !== len) throw syntaxError('invalid UTF-8 in a short string');
  return s;
}

/** Decodes a table whose body spans buf[start, end). */
export function decodeTable(buf: Buffer, start: number, end: number, depth = 0): FieldTable {
  // Unbounded nesting would mean unbounded recursion: a syntax error, as the issue and RabbitMQ's limits want.
  if (depth > MAX_TABLE_DEPTH) throw syntaxError('field table nested too deeply');
  const table: FieldTable = new Map();
  let pos = start;
  while (pos < end) {
    const keyLen = buf[pos]!;
    pos += 1;
    if (pos + keyLen > end) throw frameError('field table key overruns the table');
    const key = decodeShortstr(buf, pos, keyLen);
    pos += keyLen;
    const r = decodeValue(buf, pos, end, depth);
    table.set(key, r.value);
    pos = r.next;
  }
  return table;
}

function need(pos: number, n: number, end: number): void {
  if (pos + n > end) throw frameError('field value overruns its table');
}

/** Decodes one tagged value at buf[pos]; returns it and the offset after it. */
export function decodeValue(buf: Buffer, pos: number, end: number, depth: number): { value: FieldValue; next: number } {
  need(pos, 1, end);
  const tag = buf[pos]!;
  pos += 1;
  switch (tag) {
    case CODE.t: need(pos, 1, end); return { value: { type: 't', value: buf[pos] !== 0 }, next: pos + 1 };
    case CODE.b: need(pos, 1, end); return { value: { type: 'b', value: buf.readInt8(pos) }, next: pos + 1 };
    case CODE.B: need(pos, 1, end); return { value: { type: 'B', value: buf[pos]! }, next: pos + 1 };
    case CODE.s: need(pos, 2, end); return { value: { type: 's', value: buf.readInt16BE(pos) }, next: pos + 2 };
    case CODE.u: need(pos, 2, end); return { value: { type: 'u', value: buf.readUInt16BE(pos) }, next: pos + 2 };
    case CODE.I: need(pos, 4, end); return { value: { type: 'I', value: buf.readInt32BE(pos) }, next: pos + 4 };
    case CODE.i: need(pos, 4, end); return { value: { type: 'i', value: buf.readUInt32BE(pos) }, next: pos + 4 };
    case CODE.l: {
      need(pos, 8, end);
      const big = buf.readBigInt64BE(pos);
      const small = Number(big);
      return { value: { type: 'l', value: Number.isSafeInteger(small) ? small : big }, next: pos + 8 };
    }
    case CODE.f: need(pos, 4, end); return { value: { type: 'f', value: buf.readFloatBE(pos) }, next: pos + 4 };
    case CODE.d: need(pos, 8, end); return { value: { type: 'd', value: buf.readDoubleBE(pos) }, next: pos + 8 };
    case CODE.D: need(pos, 5, end); return { value: { type: 'D', value: { scale: buf[pos]!, value: buf.readInt32BE(pos + 1) } }, next: pos + 5 };
    case CODE.T: {
      need(pos, 8, end);
      return { value: { type: 'T', value: Number(buf.readBigUInt64BE(pos)) }, next: pos + 8 };
    }
    case CODE.S:
    case CODE.x: {
      need(pos, 4, end);
      const len = buf.readUInt32BE(pos);
      pos += 4;
      need(pos, len, end);
      const value: FieldValue =
        tag === CODE.S
          ? { type: 'S', value: buf.toString('utf8', pos, pos + len) }
          : { type: 'x', value: Buffer.from(buf.subarray(pos, pos + len)) };
      return { value, next: pos + len };
    }
    case CODE.F: {
      need(pos, 4, end);
      const len = buf.readUInt32BE(pos);
      pos += 4;
      need(pos, len, end);
      return { value: { type: 'F', value: decodeTable(buf, pos, pos + len, depth + 1) }, next: pos + len };
    }
    case CODE.A: {
      need(pos, 4, end);
      const len = buf.readUInt32BE(pos);
      pos += 4;
      need(pos, len, end);
      if (depth + 1 > MAX_TABLE_DEPTH) throw syntaxError('field array nested too deeply');
      const items: FieldValue[] = [];
      const stop = pos + len;
      while (pos < stop) {
        const r = decodeValue(buf, pos, stop, depth + 1);
        items.push(r.value);
        pos = r.next;
      }
      return { value: { type: 'A', value: items }, next: stop };
    }
    case CODE.V: return { value: { type: 'V', value: null }, next: pos };
    default:
      throw frameError(`unknown field type '${String.fromCharCode(tag)}'`);
  }
}

/** Grows-on-demand encoder target shared by tables and the method codec. */
export interface ByteSink {
  buf: Buffer;
  pos: number;
  ensure(n: number): void;
}

/** Encodes a table (with its 4-byte length prefix) into the sink. */
export function encodeTable(w: ByteSink, table: FieldTable | undefined): void {
  w.ensure(4);
  const lenAt = w.pos;
  w.pos += 4;
  if (table) {
    for (const [key, value] of table) {
      const keyLen = Buffer.byteLength(key);
      if (keyLen > 255) throw new RangeError(`field table key longer than 255 bytes: ${key.slice(0, 40)}…`);
      w.ensure(1 + keyLen);
      w.buf[w.pos] = keyLen;
      w.buf.write(key, w.pos + 1, 'utf8');
      w.pos += 1 + keyLen;
      encodeValue(w, value);
    }
  }
  w.buf.writeUInt32BE(w.pos - lenAt - 4, lenAt);
}

/** Encodes one tagged value into the sink. */
export function encodeValue(w: ByteSink, v: FieldValue): void {
  w.ensure(9);
  const b = w.buf;
  b[w.pos] = CODE[v.type];
  w.pos += 1;
  switch (v.type) {
    case 't': b[w.pos] = v.value ? 1 : 0; w.pos += 1; return;
    case 'b': b.writeInt8(v.value, w.pos); w.pos += 1; return;
    case 'B': b.writeUInt8(v.value, w.pos); w.pos += 1; return;
    case 's': b.writeInt16BE(v.value, w.pos); w.pos += 2; return;
    case 'u': b.writeUInt16BE(v.value, w.pos); w.pos += 2; return;
    case 'I': b.writeInt32BE(v.value, w.pos); w.pos += 4; return;
    case 'i': b.writeUInt32BE(v.value, w.pos); w.pos += 4; return;
    case 'l': b.writeBigInt64BE(BigInt(v.value), w.pos); w.pos += 8; return;
    case 'f': b.writeFloatBE(v.value, w.pos); w.pos += 4; return;
    case 'd': b.writeDoubleBE(v.value, w.pos); w.pos += 8; return;
    case 'D': b[w.pos] = v.value.scale; b.writeInt32BE(v.value.value, w.pos + 1); w.pos += 5; return;
    // A timestamp decoded near 2^64 rounds up to it as a Number: written back as the largest value.
    case 'T': b.writeBigUInt64BE(v.value >= 18446744073709551615 ? 0xffffffffffffffffn : BigInt(v.value), w.pos); w.pos += 8; return;
    case 'S': {
      const len = Buffer.byteLength(v.value);
      w.ensure(4 + len);
      w.buf.writeUInt32BE(len, w.pos);
      w.buf.write(v.value, w.pos + 4, 'utf8');
      w.pos += 4 + len;
      return;
    }
    case 'x': {
      w.ensure(4 + v.value.length);
      w.buf.writeUInt32BE(v.value.length, w.pos);
      v.value.copy(w.buf, w.pos + 4);
      w.pos += 4 + v.value.length;
      return;
    }
    case 'F': encodeTable(w, v.value); return;
    case 'A': {
      const lenAt = w.pos;
      w.pos += 4;
      for (const item of v.value) encodeValue(w, item);
      w.buf.writeUInt32BE(w.pos - lenAt - 4, lenAt);
      return;
    }
    case 'V': return;
  }
}

// ---- helpers for building and reading tables in broker code ----

/** A longstr value. */
export const str = (value: string): FieldValue => ({ type: 'S', value });
/** A boolean value. */
export const bool = (value: boolean): FieldValue => ({ type: 't', value });
/** A signed 64-bit value (RabbitMQ's `long`). */
export const long = (value: number | bigint): FieldValue => ({ type: 'l', value });
/** A nested table value. */
export const table = (value: FieldTable): FieldValue => ({ type: 'F', value });
/** Builds a table from plain entries. */
export const tableOf = (entries: Record<string, FieldValue>): FieldTable => new Map(Object.entries(entries));

/** The string value of a longstr field, or undefined for other types. */
export function stringOf(v: FieldValue | undefined): string | undefined {
  return v?.type === 'S' ? v.value : undefined;
}

/** Plain JSON-friendly rendering of a value (for logs, definitions, the HTTP API). */
export function plainValue(v: FieldValue): unknown {
  switch (v.type) {
    case 'F': return plainTable(v.value);
    case 'A': return v.value.map(plainValue);
    case 'l': return typeof v.value === 'bigint' ? v.value.toString() : v.value;
    case 'x': return v.value.toString('base64');
    case 'D': return v.value.value / 10 ** v.value.scale;
    default: return v.value;
  }
}

/** Plain object rendering of a table. */
export function plainTable(t: FieldTable): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of t) out[k] = plainValue(v);
  return out;
}

/** Deep equality of two values, types included. */
export function fieldValuesEqual(a: FieldValue, b: FieldValue): boolean {
  if (a.type !== b.type) return false;
  switch (a.type) {
    case 'F': return tablesEqual(a.value, (b as typeof a).value);
    case 'A': {
      const bv = (b as typeof a).value;
      return a.value.length === bv.length && a.value.every((x, i) => fieldValuesEqual(x, bv[i]!));
    }
    case 'x': return a.value.equals((b as typeof a).value);
    case 'D': return a.value.scale === (b as typeof a).value.scale && a.value.value === (b as typeof a).value.value;
    case 'l': return BigInt(a.value) === BigInt((b as typeof a).value);
    default: return a.value === b.value;
  }
}

/** Deep equality of two tables, key order ignored. */
export function tablesEqual(a: FieldTable, b: FieldTable): boolean {
  if (a.size !== b.size) return false;
  for (const [k, v] of a) {
    const w = b.get(k);
    if (!w || !fieldValuesEqual(v, w)) return false;
  }
  return true;
}
