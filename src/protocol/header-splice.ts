// Adds one header to raw content-header properties without decoding them (a stream delivery's x-stream-offset).
const CONTENT_TYPE = 0x8000;
const CONTENT_ENCODING = 0x4000;
const HEADERS = 0x2000;

/**
 * The properties (flag word and list, as on the wire) with `name` = a signed 64-bit `value` added to the headers
 * table (created when absent; a header of that name already there stays, and decoders take the later one). A flag
 * word with the continuation bit set is not spliced: undefined, and the caller re-encodes instead.
 */
export function withLongHeader(raw: Buffer, name: string, value: number): Buffer | undefined {
  if (raw.length < 2) return undefined;
  const flags = raw.readUInt16BE(0);
  if ((flags & 1) !== 0) return undefined;
  let p = 2;
  if (flags & CONTENT_TYPE) p += 1 + raw[p]!;
  if (flags & CONTENT_ENCODING) p += 1 + raw[p]!;
  if (p > raw.length) return undefined;
  const nameLen = Buffer.byteLength(name);
  const entry = 1 + nameLen + 1 + 8;
  const had = (flags & HEADERS) !== 0;
  const tableLen = had ? raw.readUInt32BE(p) : 0;
  const tableEnd = had ? p + 4 + tableLen : p;
  if (tableEnd > raw.length) return undefined;
  const out = Buffer.allocUnsafe(raw.length + entry + (had ? 0 : 4));
  raw.copy(out, 0, 0, tableEnd);
  out.writeUInt16BE(flags | HEADERS, 0);
  out.writeUInt32BE(tableLen + entry, p);
  let w = had ? tableEnd : p + 4;
  out[w++] = nameLen;
  w += out.write(name, w, 'latin1');
  out[w++] = 0x6c; // 'l'
  // A signed 64-bit integer from a safe integer (offsets are never negative), without a BigInt.
  out.writeUInt32BE(Math.floor(value / 0x100000000) >>> 0, w);
  out.writeUInt32BE(value >>> 0, w + 4);
  w += 8;
  raw.copy(out, w, tableEnd);
  return out;
}
