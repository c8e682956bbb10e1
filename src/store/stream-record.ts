// A stream segment's record layout: length and CRC, then offset, timestamp, filter value, routing, properties and body.
import { crc32 } from 'node:zlib';
import { Message } from '../broker/index.js';
import type { Writer } from '../protocol/index.js';
import { u64 } from './message-record.js';
import { recordCrc } from './record-crc.js';

/**
 * Record: u32 payload length, u32 CRC of the payload; payload: offset u64, timestamp (epoch ms) u64, filter value
 * (u16 byte length, NO_FILTER when absent, then UTF-8), exchange and routing key (short strings), u32 properties
 * length, the properties as received, then the body.
 */
export const RECORD_HEADER = 8;
const NO_FILTER = 0xffff;
/** Longest x-stream-filter-value kept with a record (bytes); longer ones are cut at a character boundary. */
export const MAX_FILTER_BYTES = 0xfffe;
/** Smallest payload: offset, timestamp, filter length, two empty short strings, properties length. */
export const MIN_PAYLOAD = 8 + 8 + 2 + 1 + 1 + 4;


/** Appends one record to `w`; returns its size in bytes. */
export function writeRecord(w: Writer, offset: number, timestamp: number, message: Message, filterValue: string | undefined): number {
  const filter = filterValue === undefined ? undefined : clip(filterValue);
  const filterLen = filter === undefined ? 0 : filter.length;
  const exLen = Buffer.byteLength(message.exchange);
  const rkLen = Buffer.byteLength(message.routingKey);
  const payloadLen = MIN_PAYLOAD + filterLen + exLen + rkLen + message.propertiesRaw.length + message.body.length;
  w.ensure(RECORD_HEADER + payloadLen);
  const start = w.pos;
  w.u32(payloadLen);
  w.u32(0);
  w.u64(offset);
  w.u64(timestamp);
  if (filter === undefined) {
    w.u16(NO_FILTER);
  } else {
    w.u16(filter.length);
    w.raw(filter);
  }
  w.shortstr(message.exchange);
  w.shortstr(message.routingKey);
  w.u32(message.propertiesRaw.length);
  w.raw(message.propertiesRaw);
  w.raw(message.body);
  w.buf.writeUInt32BE(recordCrc(w.buf, start + RECORD_HEADER, w.pos), start + 4);
  return RECORD_HEADER + payloadLen;
}

function clip(value: string): Buffer {
  let b = Buffer.from(value);
  if (b.length <= MAX_FILTER_BYTES) return b;
  let end = MAX_FILTER_BYTES;
  while (end > 0 && (b[end]! & 0xc0) === 0x80) end--;
  b = b.subarray(0, end);
  return b;
}

/**
 * Checks the record at `pos` of `buf` (whose bytes end at `end`): its size when whole, with a matching CRC and inner
 * lengths that fit; 0 when it does not fit in the bytes there; -1 when it is corrupt.
 */
export function checkRecord(buf: Buffer, pos: number, end: number): number {
  if (pos + RECORD_HEADER > end) return 0;
  const len = buf.readUInt32BE(pos);
  if (len < MIN_PAYLOAD) return -1;
  if (pos + RECORD_HEADER + len > end) return 0;
  const p = pos + RECORD_HEADER;
  if (crc32(buf.subarray(p, p + len)) !== buf.readUInt32BE(pos + 4)) return -1;
  return innerFits(buf, p, len) ? RECORD_HEADER + len : -1;
}

/** Size a record at `pos` announces (header included); only meaningful once its header is there. */
export const announcedSize = (buf: Buffer, pos: number) => RECORD_HEADER + buf.readUInt32BE(pos);

function innerFits(buf: Buffer, p: number, len: number): boolean {
  const end = p + len;
  let pos = p + 16;
  const f = buf.readUInt16BE(pos);
  pos += 2 + (f === NO_FILTER ? 0 : f);
  if (pos >= end) return false;
  pos += 1 + buf[pos]!;
  if (pos >= end) return false;
  pos += 1 + buf[pos]!;
  if (pos + 4 > end) return false;
  pos += 4 + buf.readUInt32BE(pos);
  return pos <= end;
}

/** Offset and timestamp of the (checked) record at `pos`. */
export const recordOffset = (buf: Buffer, pos: number) => u64(buf, pos + RECORD_HEADER);
export const recordTimestamp = (buf: Buffer, pos: number) => u64(buf, pos + RECORD_HEADER + 8);

/** The filter value of the (checked) record at `pos`. */
export function recordFilterValue(buf: Buffer, pos: number): string | undefined {
  const p = pos + RECORD_HEADER + 16;
  const f = buf.readUInt16BE(p);
  return f === NO_FILTER ? undefined : buf.toString('utf8', p + 2, p + 2 + f);
}

/** Body bytes of the (checked) record of `size` bytes at `pos`. */
export function recordBodySize(buf: Buffer, pos: number, size: number): number {
  let p = pos + RECORD_HEADER + 16;
  const f = buf.readUInt16BE(p);
  p += 2 + (f === NO_FILTER ? 0 : f);
  p += 1 + buf[p]!;
  p += 1 + buf[p]!;
  return pos + size - (p + 4 + buf.readUInt32BE(p));
}

/**
 * The last routing decoded by a reader: consecutive records usually share exchange and routing key, whose strings are
 * then reused instead of decoded again.
 */
export interface RoutingCache {
  raw: Buffer | undefined;
  exchange: string;
  routingKey: string;
}

export const newRoutingCache = (): RoutingCache => ({ raw: undefined, exchange: '', routingKey: '' });

/**
 * The message of the (checked) record at `pos`; properties, body and the routing short strings (sent as they are in
 * basic.deliver) are views into `buf`, not copies.
 */
export function recordMessage(buf: Buffer, pos: number, size: number, cache: RoutingCache): Message {
  const end = pos + size;
  let p = pos + RECORD_HEADER + 16;
  const f = buf.readUInt16BE(p);
  p += 2 + (f === NO_FILTER ? 0 : f);
  const routingStart = p;
  const exLen = buf[p]!;
  const rkLen = buf[p + 1 + exLen]!;
  p += 2 + exLen + rkLen;
  const routingRaw = buf.subarray(routingStart, p);
  if (cache.raw === undefined || !routingRaw.equals(cache.raw)) {
    cache.raw = routingRaw;
    cache.exchange = buf.toString('utf8', routingStart + 1, routingStart + 1 + exLen);
    cache.routingKey = buf.toString('utf8', routingStart + 2 + exLen, p);
  }
  const propsLen = buf.readUInt32BE(p);
  p += 4;
  const m = new Message(cache.exchange, cache.routingKey, buf.subarray(p, p + propsLen), buf.subarray(p + propsLen, end));
  m.routingRaw = routingRaw;
  return m;
}
