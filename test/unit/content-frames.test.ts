// Content frames from src/protocol/content.ts read back with the frame reader and the generated codec.
import { describe, expect, it } from 'vitest';
import {
  BASIC_ACK,
  BASIC_DELIVER,
  BASIC_NACK,
  BASIC_PUBLISH,
  CONTENT_PROPERTIES_AT,
  contentBodySize,
  decodeMethod,
  decodeProperties,
  FrameReader,
  FRAME_BODY,
  FRAME_HEADER,
  FRAME_METHOD,
  publishFrames,
  writeAck,
  writeBodyFrames,
  writeContentHeader,
  writeDeliver,
  writeDelivery,
  Writer,
  AmqpError,
} from '../../src/protocol/index.js';

function frames(bytes: Buffer, frameMax = 131072): Array<{ type: number; channel: number; payload: Buffer }> {
  const out: Array<{ type: number; channel: number; payload: Buffer }> = [];
  new FrameReader({ onFrame: (type, channel, payload) => out.push({ type, channel, payload: Buffer.from(payload) }) }, frameMax).push(bytes);
  return out;
}

describe('content frames', () => {
  it('encodes a publish as method, header and body frames split at frame_max', () => {
    const body = Buffer.alloc(10_000, 7);
    const { frames: bytes, bodyOffset } = publishFrames(3, 'amq.topic', 'a.b', { contentType: 'text/plain', deliveryMode: 2 }, body, 4096, true);
    const f = frames(bytes, 4096);
    expect(f.map((x) => [x.type, x.channel])).toEqual([[FRAME_METHOD, 3], [FRAME_HEADER, 3], [FRAME_BODY, 3], [FRAME_BODY, 3], [FRAME_BODY, 3]]);
    expect(decodeMethod(f[0]!.payload)).toMatchObject({ id: BASIC_PUBLISH, exchange: 'amq.topic', routingKey: 'a.b', mandatory: true });
    expect(contentBodySize(f[1]!.payload)).toBe(10_000);
    const h = f[1]!.payload;
    expect(decodeProperties(h, CONTENT_PROPERTIES_AT, h.length)).toEqual({ contentType: 'text/plain', deliveryMode: 2 });
    expect(f.slice(2).map((x) => x.payload.length)).toEqual([4088, 4088, 1824]);
    expect(Buffer.concat(f.slice(2).map((x) => x.payload)).equals(body)).toBe(true);
    expect(bytes[bodyOffset]).toBe(7);
    expect(bytes[bodyOffset - 1]).not.toBe(7);
  });

  it('refuses a short content header and one of another class with UNEXPECTED_FRAME', () => {
    const codeOf = (payload: Buffer) => {
      try {
        contentBodySize(payload);
        return 'accepted';
      } catch (e) {
        return `${(e as AmqpError).code} ${(e as AmqpError).replyText}`;
      }
    };
    expect(codeOf(Buffer.alloc(13))).toBe('505 UNEXPECTED_FRAME - content header frame too short');
    const other = Buffer.alloc(14);
    other.writeUInt16BE(50, 0);
    expect(codeOf(other)).toBe('505 UNEXPECTED_FRAME - expected content header for class 60, got one for class 50 instead');
  });

  it('writes basic.deliver with a pre-encoded consumer tag, from raw or string routing', () => {
    const tag = Buffer.from([3, ...Buffer.from('ctg')]);
    const w = new Writer(64);
    writeDeliver(w, 1, tag, 2 ** 40 + 5, true, undefined, 'ex', 'rk');
    writeDeliver(w, 2, tag, 9, false, Buffer.from([2, 0x65, 0x78, 1, 0x6b]), 'ignored', 'ignored');
    const f = frames(w.take());
    expect(decodeMethod(f[0]!.payload)).toEqual({ id: BASIC_DELIVER, consumerTag: 'ctg', deliveryTag: 2 ** 40 + 5, redelivered: true, exchange: 'ex', routingKey: 'rk' });
    expect(decodeMethod(f[1]!.payload)).toEqual({ id: BASIC_DELIVER, consumerTag: 'ctg', deliveryTag: 9, redelivered: false, exchange: 'ex', routingKey: 'k' });
  });

  it('writes a whole delivery in one go with the same bytes as the frame-by-frame writers', () => {
    expect.hasAssertions();
    const routing = Buffer.from([2, 0x65, 0x78, 3, 0x6b, 0x65, 0x79]);
    const longRouting = Buffer.concat([Buffer.from([0, 200]), Buffer.alloc(200, 0x72)]);
    const noProps = Buffer.from([0, 0]);
    const props = Buffer.concat([Buffer.from([0x90, 0]), Buffer.from([10, ...Buffer.from('text/plain')]), Buffer.from([2])]);
    const bigProps = Buffer.concat([Buffer.from([0x80, 0]), Buffer.from([100]), Buffer.alloc(100, 0x61)]);
    for (const tag of [Buffer.from([0]), Buffer.from([3, 0x63, 0x74, 0x67]), Buffer.concat([Buffer.from([40]), Buffer.alloc(40, 0x74)])]) {
      for (const deliveryTag of [1, 255, 2 ** 32 - 1, 2 ** 32, 2 ** 40 + 5, 2 ** 53 - 1]) {
        for (const body of [Buffer.alloc(0), Buffer.alloc(16, 0x61), Buffer.alloc(33, 0x62), Buffer.alloc(4096, 0x63)]) {
          for (const [channel, raw, properties, redelivered] of [[1, routing, noProps, false], [300, longRouting, props, true], [65535, routing, bigProps, false]] as const) {
            const fused = new Writer(16);
            fused.u8(0x55); // something already queued stays in front
            writeDelivery(fused, channel, tag, deliveryTag, redelivered, raw, properties, body);
            const separate = new Writer(16);
            separate.u8(0x55);
            writeDeliver(separate, channel, tag, deliveryTag, redelivered, raw, 'ignored', 'ignored');
            writeContentHeader(separate, channel, body.length, properties);
            writeBodyFrames(separate, channel, body, 131072);
            expect(fused.take()).toEqual(separate.take());
          }
        }
      }
    }
  });

  it('leaves nothing behind when a routing key cannot be encoded', () => {
    const w = new Writer(64);
    expect(() => writeDeliver(w, 1, Buffer.from([0]), 1, false, undefined, 'ex', 'k'.repeat(300))).toThrow(RangeError);
    expect(w.pos).toBe(0);
  });

  it('writes basic.ack and basic.nack in place', () => {
    const w = new Writer(8);
    writeAck(w, 1, 2 ** 33 + 1, true);
    writeAck(w, 1, 7, false, true, false);
    writeAck(w, 1, 8, true, true, true);
    const f = frames(w.take());
    expect(f.map((x) => decodeMethod(x.payload))).toEqual([
      { id: BASIC_ACK, deliveryTag: 2 ** 33 + 1, multiple: true },
      { id: BASIC_NACK, deliveryTag: 7, multiple: false, requeue: false },
      { id: BASIC_NACK, deliveryTag: 8, multiple: true, requeue: true },
    ]);
  });
});
