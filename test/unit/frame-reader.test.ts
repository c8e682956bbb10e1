// The frame reader fed a stream split at every byte offset, and its checks of frame end and frame_max.
import { describe, expect, it } from 'vitest';
import { encodeMethod, FrameReader, Writer, FRAME_BODY, FRAME_HEADER, FRAME_METHOD } from '../../src/protocol/index.js';

interface Seen { type: number; channel: number; payload: string }

function collect(frameMax = 131072) {
  const seen: Seen[] = [];
  const reader = new FrameReader({ onFrame: (type, channel, payload) => seen.push({ type, channel, payload: payload.toString('hex') }) }, frameMax);
  return { seen, reader };
}

/** A method, a header, two bodies and a heartbeat on various channels. */
function stream(): Buffer {
  const w = new Writer(64);
  w.beginFrame(FRAME_METHOD, 1);
  encodeMethod(w, { id: 0x003c0028, exchange: 'amq.topic', routingKey: 'a.b', mandatory: true });
  w.endFrame();
  w.beginFrame(FRAME_HEADER, 1);
  w.u16(60); w.u16(0); w.u64(10); w.u16(0);
  w.endFrame();
  w.beginFrame(FRAME_BODY, 1);
  w.raw(Buffer.from('hello'));
  w.endFrame();
  w.beginFrame(FRAME_BODY, 1);
  w.raw(Buffer.from('world'));
  w.endFrame();
  w.heartbeat();
  w.beginFrame(FRAME_METHOD, 2047);
  encodeMethod(w, { id: 0x00140028, replyCode: 200, replyText: 'bye', classId: 0, methodId: 0 });
  w.endFrame();
  return w.take();
}

describe('FrameReader', () => {
  const bytes = stream();
  const whole = collect();
  whole.reader.push(bytes);

  it('finds every frame in one chunk', () => {
    expect(whole.seen.map((f) => [f.type, f.channel])).toEqual([[1, 1], [2, 1], [3, 1], [3, 1], [8, 0], [1, 2047]]);
  });

  it('gives the same frames whatever two chunks the stream is split into', () => {
    for (let cut = 0; cut <= bytes.length; cut++) {
      const { seen, reader } = collect();
      reader.push(bytes.subarray(0, cut));
      reader.push(bytes.subarray(cut));
      expect(seen).toEqual(whole.seen);
    }
  });

  it('offers method and header frames as ranges to a sink that takes them, and falls back to a view when it declines', () => {
    expect.hasAssertions();
    for (let cut = 0; cut <= bytes.length; cut++) {
      const seen: Array<Seen & { how: string }> = [];
      let offered = 0;
      const reader = new FrameReader(
        {
          onFrame: (type, channel, payload) => seen.push({ type, channel, payload: payload.toString('hex'), how: 'view' }),
          onFrameAt: (type, channel, buf, start, end) => {
            expect(type).not.toBe(FRAME_BODY);
            // Takes every other frame offered (the publish and the close), declines the header.
            if (offered++ % 2 === 1) return false;
            seen.push({ type, channel, payload: buf.toString('hex', start, end), how: 'range' });
            return true;
          },
        },
        131072,
      );
      reader.push(bytes.subarray(0, cut));
      reader.push(bytes.subarray(cut));
      expect(seen.map(({ type, channel, payload }) => ({ type, channel, payload }))).toEqual(whole.seen);
      expect(seen.map((f) => f.how)).toEqual(['range', 'view', 'view', 'view', 'range', 'view']);
    }
  });

  it('gives the same frames when fed one byte at a time', () => {
    const { seen, reader } = collect();
    for (let i = 0; i < bytes.length; i++) reader.push(bytes.subarray(i, i + 1));
    expect(seen).toEqual(whole.seen);
  });

  it('yields whole frames as views into the chunk, without copying', () => {
    const views: Buffer[] = [];
    const reader = new FrameReader({ onFrame: (_t, _c, p) => views.push(p) }, 131072);
    reader.push(bytes);
    expect(views[2]!.buffer).toBe(bytes.buffer);
  });

  it('joins only the frame that straddles two chunks: the frames after it are views into the second chunk', () => {
    // The method frame ends at 8 + its size; cut inside it, so the second chunk starts with its tail.
    const cut = 10;
    const views: Buffer[] = [];
    const reader = new FrameReader({ onFrame: (_t, _c, p) => views.push(p) }, 131072);
    // Buffer.alloc: not from Node's shared pool, so its ArrayBuffer is its own.
    const second = Buffer.alloc(bytes.length - cut);
    bytes.copy(second, 0, cut);
    const first = Buffer.alloc(cut);
    bytes.copy(first, 0, 0, cut);
    reader.push(first);
    reader.push(second);
    expect(views).toHaveLength(6);
    expect(views[0]!.buffer).not.toBe(second.buffer);
    for (const v of views.slice(1)) expect(v.buffer).toBe(second.buffer);
  });

  it('keeps the rest of the chunk when the sink pauses at the frame that straddled two chunks, and gives it on resume', () => {
    for (let cut = 1; cut < bytes.length; cut++) {
      const seen: Seen[] = [];
      let paused = false;
      const reader: FrameReader = new FrameReader(
        {
          onFrame: (type, channel, payload) => {
            seen.push({ type, channel, payload: payload.toString('hex') });
            if (!paused && seen.length === 1) {
              paused = true;
              reader.pause();
            }
          },
        },
        131072,
      );
      reader.push(bytes.subarray(0, cut));
      reader.push(bytes.subarray(cut));
      expect(seen.length).toBeLessThanOrEqual(1);
      reader.resume();
      expect(seen).toEqual(whole.seen);
    }
  });

  it('rejects a wrong frame-end octet with FRAME_ERROR', () => {
    const bad = Buffer.from(bytes);
    bad[bad.length - 1] = 0;
    const { reader } = collect();
    expect(() => reader.push(bad)).toThrow(expect.objectContaining({ code: 501 }));
  });

  it('rejects a frame larger than frame_max as soon as its header arrives', () => {
    const { reader } = collect(4096);
    const header = Buffer.from([1, 0, 1, 0, 0, 0x10, 1]); // a 4097-byte payload; RabbitMQ allows up to frame_max itself
    expect(() => reader.push(header)).toThrow(expect.objectContaining({ code: 501 }));
  });
});
