// After a peer sends channel.close (or connection.close), the broker sends nothing more on that channel (connection)
// but the close-ok: pending publisher confirms, deliveries and returns for it are dropped. amqplib treats any later
// frame as "Frame on unknown channel" and kills the connection with an error, so the loops here run thousands of
// closes mid-stream through amqplib and, on the wire, publish and close in one TCP write.
import { describe, expect, it } from 'vitest';
import type { ChannelModel } from 'amqplib';
import { connect } from '../support/amqp.js';
import { cleanUpAfterEach, trackNames } from '../support/fixtures.js';
import { FRAME_BODY, FRAME_HEADER, FRAME_METHOD, args, encodeFrame, encodeHeaderPayload, encodeMethodFrame, rawConnect, type Frame, type RawConnection } from '../support/raw.js';

const { qname } = cleanUpAfterEach(trackNames(), { raw: true, strict: true });

/** A queue for the case, deleted after it. */
async function declareQueue(tag: string, opts: { durable: boolean }): Promise<string> {
  const conn = await connect();
  const ch = await conn.createChannel();
  const q = qname(tag);
  await ch.assertQueue(q, opts);
  await conn.close();
  return q;
}

const ROUNDS = Number(process.env.WARREN_CLOSE_ROUNDS ?? 2000);

/** Connection-level errors amqplib reports (a frame after close-ok is one of them). */
function watch(conn: ChannelModel): string[] {
  const errors: string[] = [];
  conn.on('error', (e: Error) => errors.push(e.message));
  conn.on('close', (e?: Error) => e && errors.push(`closed: ${e.message}`));
  return errors;
}

function publishFrames(channel: number, queue: string, body: string, persistent: boolean): Buffer {
  return Buffer.concat([
    encodeMethodFrame(channel, 60, 40, args().short(0).shortstr('').shortstr(queue).bits(false, false).build()),
    // property flags: delivery-mode (bit 12) = 2 for persistent
    encodeFrame(FRAME_HEADER, channel, encodeHeaderPayload(60, Buffer.byteLength(body), persistent ? 0x1000 : 0, persistent ? Buffer.from([2]) : Buffer.alloc(0))),
    encodeFrame(FRAME_BODY, channel, Buffer.from(body)),
  ]);
}

const channelClose = (channel: number) => encodeMethodFrame(channel, 20, 40, args().short(200).shortstr('bye').short(0).short(0).build());
const isMethod = (f: Frame, classId: number, methodId: number) => f.type === FRAME_METHOD && f.method?.classId === classId && f.method?.methodId === methodId;

/** Every frame until `stop` matches, then whatever else arrives within `quietMs`. */
async function framesUntil(c: RawConnection, stop: (f: Frame) => boolean, quietMs: number): Promise<{ before: Frame[]; after: Frame[] }> {
  const before: Frame[] = [];
  for (;;) {
    const f = await c.nextFrame(10_000, 'the close-ok');
    before.push(f);
    if (stop(f)) break;
  }
  const after: Frame[] = [];
  for (;;) {
    const f = await c.nextFrame(quietMs, 'nothing').catch(() => undefined);
    if (!f) break;
    after.push(f);
  }
  return { before, after };
}

describe('silence after channel.close', () => {
  it(`amqplib: publishing with confirms then closing the channel, ${ROUNDS} times, never sees a frame on a closed channel`, async () => {
    expect.hasAssertions();
    const q = await declareQueue('close-silence', { durable: true });
    const conn = await connect();
    const errors = watch(conn);
    for (let i = 0; i < ROUNDS && errors.length === 0; i++) {
      const ch = await conn.createConfirmChannel();
      ch.on('error', () => {});
      // Half the rounds persistent (confirms wait for the disk), half transient (confirms go out at once).
      for (let k = 0; k < 5; k++) ch.sendToQueue(q, Buffer.from(`m${k}`), { persistent: i % 2 === 0 }, () => {});
      await ch.close();
    }
    // The connection is still usable, and nothing arrived on a channel amqplib had already forgotten.
    const ch = await conn.createChannel();
    await ch.checkQueue(q);
    await ch.purgeQueue(q);
    expect(errors).toEqual([]);
    await conn.close();
  }, 120_000);

  it('amqplib: closing a channel while deliveries stream to its consumer, many times, never sees a frame on a closed channel', async () => {
    expect.hasAssertions();
    const q = await declareQueue('close-silence-consume', { durable: false });
    const conn = await connect();
    const errors = watch(conn);
    const pub = await conn.createChannel();
    for (let i = 0; i < Math.min(ROUNDS, 100) && errors.length === 0; i++) {
      for (let k = 0; k < 20; k++) pub.sendToQueue(q, Buffer.from(`d${k}`));
      const ch = await conn.createChannel();
      ch.on('error', () => {});
      await ch.prefetch(5);
      let seen = 0;
      const first = new Promise<void>((resolve) => void ch.consume(q, () => ++seen === 1 && resolve(), { noAck: false }));
      await first;
      await ch.close(); // its unacked deliveries go back to the queue
    }
    await pub.checkQueue(q);
    expect(errors).toEqual([]);
    await conn.close();
  }, 120_000);

  it('on the wire: publishes and channel.close in one write get confirms before close-ok and nothing on that channel after it', async () => {
    expect.hasAssertions();
    const q = await declareQueue('close-silence-raw', { durable: true });
    const c = await rawConnect();
    for (let round = 0; round < 50; round++) {
      await c.openChannel(1);
      c.sendMethod(1, 85, 10, args().bits(false).build()); // confirm.select
      await c.expectMethod(85, 11);
      const burst = [];
      for (let k = 0; k < 10; k++) burst.push(publishFrames(1, q, `r${round}.${k}`, round % 2 === 0));
      c.sendRaw(Buffer.concat([...burst, channelClose(1)]));
      // Channel 2 does a round trip after, so anything the broker still had for channel 1 would have come by then.
      const { before } = await framesUntil(c, (f) => f.channel === 1 && isMethod(f, 20, 41), 0);
      await c.openChannel(2);
      c.sendMethod(2, 50, 10, args().short(0).shortstr(q).bits(true, false, false, false, false).table({}).build()); // passive declare
      const { before: rest } = await framesUntil(c, (f) => f.channel === 2 && isMethod(f, 50, 11), 30);
      expect(rest.filter((f) => f.channel === 1), `round ${round}: frames on channel 1 after its close-ok`).toEqual([]);
      expect(before.every((f) => f.channel === 1)).toBe(true);
      c.sendMethod(2, 20, 40, args().short(200).shortstr('').short(0).short(0).build());
      await c.expectMethod(20, 41);
    }
    await c.close();
  }, 60_000);

  it('on the wire: publishes with confirms then connection.close in one write: nothing follows connection.close-ok', async () => {
    expect.hasAssertions();
    const q = await declareQueue('close-silence-conn', { durable: true });
    for (let round = 0; round < 30; round++) {
      const c = await rawConnect();
      await c.openChannel(1);
      c.sendMethod(1, 85, 10, args().bits(false).build());
      await c.expectMethod(85, 11);
      const burst = [];
      for (let k = 0; k < 10; k++) burst.push(publishFrames(1, q, `c${round}.${k}`, round % 2 === 0));
      c.sendRaw(Buffer.concat([...burst, encodeMethodFrame(0, 10, 50, args().short(200).shortstr('bye').short(0).short(0).build())]));
      const { after } = await framesUntil(c, (f) => f.channel === 0 && isMethod(f, 10, 51), 50);
      expect(after.filter((f) => f.type !== 8), `round ${round}: frames after connection.close-ok`).toEqual([]);
      c.socket.destroy();
    }
  }, 60_000);
});
