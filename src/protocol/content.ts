// Content frames: the content header (class, body size, raw properties), body frames split at frame_max, and the
// hot-path frames written without a Method object (basic.deliver, basic.publish, basic.ack/nack).
import { unexpectedFrame } from './errors.js';
import { BASIC_ACK, BASIC_DELIVER, BASIC_NACK, BASIC_PUBLISH, encodeMethod, encodeProperties, type BasicProperties } from './methods.js';
import { FRAME_BODY, FRAME_END, FRAME_HEADER, FRAME_METHOD, FRAME_OVERHEAD, Writer } from './writer.js';

/** The basic class, the only one with content. */
export const BASIC_CLASS = 60;
/** Where a content header's property flags start: class (2), weight (2) and body size (8) come first. */
export const CONTENT_PROPERTIES_AT = 12;
const TWO_32 = 0x100000000;

/**
 * Checks a content header payload (at least class, weight, size and a flag word; class 60) and returns its body
 * size. The raw properties are `payload.subarray(CONTENT_PROPERTIES_AT)`. Throws UNEXPECTED_FRAME as RabbitMQ does.
 */
export function contentBodySize(payload: Buffer): number {
  if (payload.length < CONTENT_PROPERTIES_AT + 2) throw unexpectedFrame('content header frame too short');
  const classId = payload.readUInt16BE(0);
  if (classId !== BASIC_CLASS) throw unexpectedFrame(`expected content header for class 60, got one for class ${classId} instead`);
  return payload.readUInt32BE(4) * TWO_32 + payload.readUInt32BE(8);
}

/** Body size of a content header at `buf[start..]`, read in place without checks (a client's hot path). */
export function readBodySize(buf: Buffer, start: number): number {
  return buf.readUInt32BE(start + 4) * TWO_32 + buf.readUInt32BE(start + 8);
}

/** Writes a content header frame with already encoded properties (flag word onwards). */
export function writeContentHeader(w: Writer, channel: number, bodySize: number, propertiesRaw: Buffer): void {
  w.beginFrame(FRAME_HEADER, channel);
  w.u16(BASIC_CLASS);
  w.u16(0);
  w.u64(bodySize);
  w.raw(propertiesRaw);
  w.endFrame();
}

/** Writes a content header frame, encoding the properties. */
export function writeContentHeaderOf(w: Writer, channel: number, bodySize: number, properties: BasicProperties): void {
  w.beginFrame(FRAME_HEADER, channel);
  w.u16(BASIC_CLASS);
  w.u16(0);
  w.u64(bodySize);
  encodeProperties(w, properties);
  w.endFrame();
}

/** Writes the body frames of `body`, each at most frame_max (envelope included); returns where the first body byte went. */
export function writeBodyFrames(w: Writer, channel: number, body: Buffer, frameMax: number): number {
  const max = frameMax - FRAME_OVERHEAD;
  let first = -1;
  for (let off = 0; off < body.length; off += max) {
    w.beginFrame(FRAME_BODY, channel);
    if (first < 0) first = w.pos;
    w.raw(off === 0 && body.length <= max ? body : body.subarray(off, Math.min(off + max, body.length)));
    w.endFrame();
  }
  return first;
}

/**
 * Writes a basic.deliver method frame: the consumer tag pre-encoded as a short string, and either the exchange and
 * routing key pre-encoded (`routingRaw`, two short strings as received in basic.publish) or as strings.
 * A string that cannot be encoded leaves nothing of the frame behind.
 */
export function writeDeliver(
  w: Writer,
  channel: number,
  consumerTag: Buffer,
  deliveryTag: number,
  redelivered: boolean,
  routingRaw: Buffer | undefined,
  exchange: string,
  routingKey: string,
): void {
  const start = w.pos;
  w.beginFrame(FRAME_METHOD, channel);
  w.u32(BASIC_DELIVER);
  w.raw(consumerTag);
  w.u64(deliveryTag);
  w.u8(redelivered ? 1 : 0);
  if (routingRaw !== undefined) {
    w.raw(routingRaw);
  } else {
    try {
      w.shortstr(exchange);
      w.shortstr(routingKey);
    } catch (e) {
      w.pos = start;
      throw e;
    }
  }
  w.endFrame();
}

/** Up to this many bytes, the fused writers copy byte by byte (cheaper than a native copy's call). */
const SMALL_COPY = 32;

/** Copies `src` to `b` at `p`; returns the position after it. */
function put(b: Buffer, p: number, src: Buffer): number {
  const n = src.length;
  if (n <= SMALL_COPY) for (let i = 0; i < n; i++) b[p + i] = src[i]!;
  else b.set(src, p);
  return p + n;
}

/** Big-endian 32 bits at `p`, by byte stores (no bounds-checked helper call). */
function put32(b: Buffer, p: number, v: number): void {
  b[p] = v >>> 24;
  b[p + 1] = (v >>> 16) & 0xff;
  b[p + 2] = (v >>> 8) & 0xff;
  b[p + 3] = v & 0xff;
}

/** A frame's type, channel and payload size at `p`; returns where its payload starts. */
function putFrameStart(b: Buffer, p: number, type: number, channel: number, size: number): number {
  b[p] = type;
  b[p + 1] = channel >>> 8;
  b[p + 2] = channel & 0xff;
  put32(b, p + 3, size);
  return p + 7;
}

/**
 * Writes a whole delivery at once — basic.deliver with the consumer tag and the exchange and routing-key short strings
 * pre-encoded, its content header with raw properties, and the body in one frame — with one capacity check and byte
 * stores: the same bytes as writeDeliver, writeContentHeader and writeBodyFrames. The caller makes sure the body fits
 * one frame (body.length <= frame_max - 8).
 */
export function writeDelivery(
  w: Writer,
  channel: number,
  consumerTag: Buffer,
  deliveryTag: number,
  redelivered: boolean,
  routingRaw: Buffer,
  propertiesRaw: Buffer,
  body: Buffer,
): void {
  const methodSize = 4 + consumerTag.length + 9 + routingRaw.length;
  const headerSize = CONTENT_PROPERTIES_AT + propertiesRaw.length;
  const bodySize = body.length;
  w.ensure(methodSize + headerSize + bodySize + 3 * FRAME_OVERHEAD);
  const b = w.buf;
  let p = putFrameStart(b, w.pos, FRAME_METHOD, channel, methodSize);
  put32(b, p, BASIC_DELIVER);
  p = put(b, p + 4, consumerTag);
  const hi = deliveryTag < TWO_32 ? 0 : Math.floor(deliveryTag / TWO_32);
  put32(b, p, hi);
  put32(b, p + 4, deliveryTag - hi * TWO_32);
  b[p + 8] = redelivered ? 1 : 0;
  p = put(b, p + 9, routingRaw);
  b[p++] = FRAME_END;
  p = putFrameStart(b, p, FRAME_HEADER, channel, headerSize);
  b[p] = 0;
  b[p + 1] = BASIC_CLASS;
  b[p + 2] = 0;
  b[p + 3] = 0;
  const sizeHi = bodySize < TWO_32 ? 0 : Math.floor(bodySize / TWO_32);
  put32(b, p + 4, sizeHi);
  put32(b, p + 8, bodySize - sizeHi * TWO_32);
  p = put(b, p + CONTENT_PROPERTIES_AT, propertiesRaw);
  b[p++] = FRAME_END;
  if (bodySize > 0) {
    p = put(b, putFrameStart(b, p, FRAME_BODY, channel, bodySize), body);
    b[p++] = FRAME_END;
  }
  w.pos = p;
}

/** Writes basic.ack (or basic.nack with `requeue`) in place (21 bytes, no Method object). */
export function writeAck(w: Writer, channel: number, deliveryTag: number, multiple: boolean, nack = false, requeue = true): void {
  w.ensure(21);
  const b = w.buf;
  const p = w.pos;
  b[p] = FRAME_METHOD;
  b.writeUInt16BE(channel, p + 1);
  b.writeUInt32BE(13, p + 3);
  b.writeUInt32BE(nack ? BASIC_NACK : BASIC_ACK, p + 7);
  const hi = Math.floor(deliveryTag / TWO_32);
  b.writeUInt32BE(hi, p + 11);
  b.writeUInt32BE(deliveryTag - hi * TWO_32, p + 15);
  b[p + 19] = (multiple ? 1 : 0) | (nack && requeue ? 2 : 0);
  b[p + 20] = FRAME_END;
  w.pos = p + 21;
}

/** Writes one whole basic.publish (method, header, body frames); returns where the first body byte went (-1 if empty). */
export function writePublish(
  w: Writer,
  channel: number,
  exchange: string,
  routingKey: string,
  properties: BasicProperties,
  body: Buffer,
  frameMax: number,
  mandatory = false,
): number {
  w.beginFrame(FRAME_METHOD, channel);
  encodeMethod(w, { id: BASIC_PUBLISH, exchange, routingKey, mandatory });
  w.endFrame();
  writeContentHeaderOf(w, channel, body.length, properties);
  return writeBodyFrames(w, channel, body, frameMax);
}

/** The frames of one basic.publish as a standalone buffer, to copy per message (pre-encoded publishing). */
export function publishFrames(
  channel: number,
  exchange: string,
  routingKey: string,
  properties: BasicProperties,
  body: Buffer,
  frameMax: number,
  mandatory = false,
): { frames: Buffer; bodyOffset: number } {
  const w = new Writer(body.length + 512);
  const bodyOffset = writePublish(w, channel, exchange, routingKey, properties, body, frameMax, mandatory);
  return { frames: w.take(), bodyOffset };
}
