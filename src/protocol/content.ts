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
