// The message part that queue segment records and page file records share (exchange, routing key, properties, body), read in one place, and the u64 every record format reads.
import { Message } from '../broker/index.js';

/** A big-endian u64 of a record (sequence numbers, timestamps), as a JS number. */
export const u64 = (buf: Buffer, at: number) => buf.readUInt32BE(at) * 0x100000000 + buf.readUInt32BE(at + 4);
export const writeU64 = (buf: Buffer, at: number, n: number) => {
  buf.writeUInt32BE(Math.floor(n / 0x100000000), at);
  buf.writeUInt32BE(n >>> 0, at + 4);
};

/**
 * The message written in `p` from `pos` on: exchange and routing key as short strings, u32 length + properties, then
 * the body, after a u32 length when `bodyLength` (page files) or to the end of `p` (segment records, whose payload
 * length bounds it). Properties and body are copied, so the read buffer is not kept alive by one small message.
 */
export function readMessage(p: Buffer, pos: number, bodyLength: boolean): Message {
  const exLen = p[pos]!;
  const exchange = p.toString('utf8', pos + 1, pos + 1 + exLen);
  pos += 1 + exLen;
  const rkLen = p[pos]!;
  const routingKey = p.toString('utf8', pos + 1, pos + 1 + rkLen);
  pos += 1 + rkLen;
  const propsLen = p.readUInt32BE(pos);
  pos += 4;
  const props = Buffer.from(p.subarray(pos, pos + propsLen));
  pos += propsLen;
  const body = bodyLength ? p.subarray(pos + 4, pos + 4 + p.readUInt32BE(pos)) : p.subarray(pos);
  return new Message(exchange, routingKey, props, Buffer.from(body));
}

/** The body size of a message written from `pos` to `end` without a body length (a segment record's), or -1 when its inner lengths overrun `end`. */
export function bodySizeBetween(buf: Buffer, pos: number, end: number): number {
  pos += 1 + buf[pos]!;
  if (pos >= end) return -1;
  pos += 1 + buf[pos]!;
  if (pos + 4 > end) return -1;
  pos += 4 + buf.readUInt32BE(pos);
  return pos <= end ? end - pos : -1;
}
