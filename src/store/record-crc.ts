// A record's CRC-32 (IEEE, the same value as zlib's): a table loop in JS for short records, zlib's native one for long.
import { crc32 } from 'node:zlib';

/**
 * Up to this many bytes the JS loop is cheaper than zlib's call with the view it needs (measured here: 60 ns
 * against 163 ns for 32 bytes, 147 against 231 ns for 64, 282 against 195 ns for 128).
 */
const JS_UP_TO = 96;

const TABLE = new Int32Array(256);
for (let n = 0; n < 256; n++) {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  TABLE[n] = c;
}

/** CRC-32 of `buf[start, end)`. */
export function recordCrc(buf: Buffer, start: number, end: number): number {
  if (end - start > JS_UP_TO) return crc32(buf.subarray(start, end));
  let c = -1;
  for (let i = start; i < end; i++) c = TABLE[(c ^ buf[i]!) & 0xff]! ^ (c >>> 8);
  return (c ^ -1) >>> 0;
}
