// The frame reader as the client uses it: one reused read buffer (net's onread), frames held back while paused.
import { describe, expect, it } from 'vitest';
import { FrameReader } from '../../src/protocol/index.js';

function frame(type: number, channel: number, payload: Buffer): Buffer {
  const head = Buffer.alloc(7);
  head[0] = type;
  head.writeUInt16BE(channel, 1);
  head.writeUInt32BE(payload.length, 3);
  return Buffer.concat([head, payload, Buffer.from([0xce])]);
}

const FRAMES = [frame(1, 1, Buffer.from('method')), frame(2, 1, Buffer.alloc(0)), frame(3, 2, Buffer.alloc(300, 7)), frame(8, 0, Buffer.alloc(0)), frame(3, 1, Buffer.from('end'))];
const STREAM = Buffer.concat(FRAMES);

function collect(frameMax = 4096): { splitter: FrameReader; seen: Buffer[] } {
  const seen: Buffer[] = [];
  const splitter = new FrameReader({ onFrame: (type, channel, payload) => seen.push(frame(type, channel, payload)) }, frameMax, { reusedInput: true });
  return { splitter, seen };
}

describe('frame reader with reused input', () => {
  it('finds every frame whatever the two read boundaries, reusing one read buffer', () => {
    const read = Buffer.alloc(STREAM.length);
    const wrong: string[] = [];
    for (let a = 0; a <= STREAM.length; a++) {
      for (let b = a; b <= STREAM.length; b += 7) {
        const { splitter, seen } = collect();
        for (const [from, to] of [[0, a], [a, b], [b, STREAM.length]] as const) {
          // As with net's onread: every read lands at the start of the same buffer.
          STREAM.copy(read, 0, from, to);
          splitter.push(read.subarray(0, to - from));
          read.fill(0xff);
        }
        // One cheap check per split (a deep toEqual here would take seconds).
        if (seen.length !== FRAMES.length || !Buffer.concat(seen).equals(STREAM)) wrong.push(`reads split at ${a} and ${b}`);
      }
    }
    expect(wrong).toEqual([]);
  });

  it('holds frames back while paused and hands them over on release', () => {
    let pauseAfter = 2;
    const seen: number[] = [];
    const splitter: FrameReader = new FrameReader({
      onFrame: (type) => {
        seen.push(type);
        if (--pauseAfter === 0) splitter.pause();
      },
    }, 4096, { reusedInput: true });
    splitter.push(STREAM.subarray(0, 40));
    expect(seen).toEqual([1, 2]);
    splitter.push(STREAM.subarray(40));
    expect(seen).toEqual([1, 2]);
    pauseAfter = 1;
    splitter.resume();
    expect(seen).toEqual([1, 2, 3]);
    pauseAfter = -1;
    splitter.resume();
    expect(seen).toEqual([1, 2, 3, 8, 3]);
    expect(splitter.paused).toBe(false);
  });

  it('refuses a bad frame end and a frame over frame_max', () => {
    const bad = Buffer.from(FRAMES[0]!);
    bad[bad.length - 1] = 0;
    expect(() => collect().splitter.push(bad)).toThrow(/invalid_frame_end_marker/);
    expect(() => collect(100).splitter.push(FRAMES[2]!)).toThrow(/frame_too_large/);
  });
});
