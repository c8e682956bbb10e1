// Transactions (tx class), over the raw client since amqplib has no tx API: publishes and acks
// on a transactional channel take effect at tx.commit and are discarded by tx.rollback; commit
// or rollback on a channel that never sent tx.select is refused.
import type { Channel } from 'amqplib';
import { describe, expect, it } from 'vitest';
import { connect } from '../support/amqp.js';
import { cleanUpAfterEach, drain as drainQueue, trackNames } from '../support/fixtures.js';
import {
  ArgsReader,
  FRAME_BODY,
  FRAME_HEADER,
  args,
  encodeHeaderPayload,
  rawConnect,
  type RawConnection,
} from '../support/raw.js';

const { qname } = cleanUpAfterEach(trackNames(), { raw: true, strict: true });

const drain = (ch: Channel, q: string) => drainQueue(ch, q, (m): [string, boolean] => [m.content.toString(), m.fields.redelivered]);

/** A queue made over amqplib, plus that amqplib channel to look at it from outside the tx. */
async function setupQueue(prefix: string): Promise<{ q: string; observer: Channel }> {
  const conn = await connect();
  const observer = await conn.createChannel();
  const q = qname(prefix);
  await observer.assertQueue(q, { durable: false });
  return { q, observer };
}

async function readyCount(observer: Channel, q: string): Promise<number> {
  return (await observer.checkQueue(q)).messageCount;
}

// Raw tx / basic helpers -----------------------------------------------------------------------

async function txSelect(c: RawConnection, ch: number): Promise<void> {
  c.sendMethod(ch, 90, 10);
  const ok = await c.expectMethod(90, 11);
  expect(ok.channel).toBe(ch);
}

async function txCommit(c: RawConnection, ch: number): Promise<void> {
  c.sendMethod(ch, 90, 20);
  const ok = await c.expectMethod(90, 21);
  expect(ok.channel).toBe(ch);
}

async function txRollback(c: RawConnection, ch: number): Promise<void> {
  c.sendMethod(ch, 90, 30);
  const ok = await c.expectMethod(90, 31);
  expect(ok.channel).toBe(ch);
}

function publish(c: RawConnection, ch: number, q: string, body: string): void {
  c.sendMethod(ch, 60, 40, args().short(0).shortstr('').shortstr(q).bits(false, false).build());
  c.sendFrame(FRAME_HEADER, ch, encodeHeaderPayload(60, Buffer.byteLength(body)));
  c.sendFrame(FRAME_BODY, ch, Buffer.from(body));
}

/** queue.declare passive on the raw channel: a round trip that also reports the ready count. */
async function passiveCount(c: RawConnection, ch: number, q: string): Promise<number> {
  c.sendMethod(ch, 50, 10, args().short(0).shortstr(q).bits(true, false, false, false, false).table({}).build());
  const ok = await c.expectMethod(50, 11);
  const r = new ArgsReader(ok.method!.args);
  r.shortstr();
  return r.long();
}

/** basic.get with acks; returns the delivery tag and body. */
async function get(c: RawConnection, ch: number, q: string): Promise<{ deliveryTag: bigint; body: string; redelivered: boolean }> {
  c.sendMethod(ch, 60, 70, args().short(0).shortstr(q).bits(false).build());
  const ok = await c.expectMethod(60, 71);
  const r = new ArgsReader(ok.method!.args);
  const deliveryTag = r.longlong();
  const redelivered = (r.octet() & 1) === 1;
  const h = await c.nextNonHeartbeat();
  expect(h.type).toBe(FRAME_HEADER);
  const size = Number(h.payload.readBigUInt64BE(4));
  const parts: Buffer[] = [];
  let got = 0;
  while (got < size) {
    const b = await c.nextNonHeartbeat();
    expect(b.type).toBe(FRAME_BODY);
    parts.push(b.payload);
    got += b.payload.length;
  }
  return { deliveryTag, body: Buffer.concat(parts).toString(), redelivered };
}

const ack = (c: RawConnection, ch: number, tag: bigint, multiple = false) => c.sendMethod(ch, 60, 80, args().longlong(tag).bits(multiple).build());
const reject = (c: RawConnection, ch: number, tag: bigint, requeue: boolean) => c.sendMethod(ch, 60, 90, args().longlong(tag).bits(requeue).build());

async function closeChannel(c: RawConnection, ch: number): Promise<void> {
  c.sendMethod(ch, 20, 40, args().short(200).shortstr('bye').short(0).short(0).build());
  await c.expectMethod(20, 41);
}

async function fill(observer: Channel, q: string, bodies: string[]): Promise<void> {
  for (const b of bodies) observer.sendToQueue(q, Buffer.from(b));
  await observer.checkQueue(q);
}

// ---------------------------------------------------------------------------------------------

describe('tx.select', () => {
  it('answers tx.select with select-ok (empty), and again when repeated', async () => {
    expect.hasAssertions();
    const c = await rawConnect();
    await c.openChannel(1);
    c.sendMethod(1, 90, 10);
    const ok = await c.expectMethod(90, 11);
    expect(ok.method!.args.length).toBe(0);
    await txSelect(c, 1);
    await c.close();
  });
});

describe('publishing in a transaction', () => {
  it('keeps publishes invisible until tx.commit, then enqueues them in order', async () => {
    expect.hasAssertions();
    const { q, observer } = await setupQueue('tx-publish');
    const c = await rawConnect();
    await c.openChannel(1);
    await txSelect(c, 1);
    for (const b of ['m1', 'm2', 'm3']) publish(c, 1, q, b);
    expect(await passiveCount(c, 1, q)).toBe(0);
    expect(await readyCount(observer, q)).toBe(0);
    await txCommit(c, 1);
    expect(await readyCount(observer, q)).toBe(3);
    expect(await drain(observer, q)).toEqual([
      ['m1', false],
      ['m2', false],
      ['m3', false],
    ]);
    await c.close();
  });

  it('discards publishes on tx.rollback; the channel stays transactional', async () => {
    expect.hasAssertions();
    const { q, observer } = await setupQueue('tx-rollback-publish');
    const c = await rawConnect();
    await c.openChannel(1);
    await txSelect(c, 1);
    publish(c, 1, q, 'discarded-1');
    publish(c, 1, q, 'discarded-2');
    expect(await passiveCount(c, 1, q)).toBe(0);
    await txRollback(c, 1);
    expect(await readyCount(observer, q)).toBe(0);
    // Still in tx mode: the next publish waits for its own commit.
    publish(c, 1, q, 'kept');
    expect(await passiveCount(c, 1, q)).toBe(0);
    await txCommit(c, 1);
    expect(await drain(observer, q)).toEqual([['kept', false]]);
    await c.close();
  });

  it('discards uncommitted publishes when the channel closes', async () => {
    expect.hasAssertions();
    const { q, observer } = await setupQueue('tx-close-publish');
    const c = await rawConnect();
    await c.openChannel(1);
    await txSelect(c, 1);
    publish(c, 1, q, 'never');
    expect(await passiveCount(c, 1, q)).toBe(0);
    await closeChannel(c, 1);
    expect(await readyCount(observer, q)).toBe(0);
    await c.close();
  });

  it('an empty tx.commit and tx.rollback are answered with commit-ok and rollback-ok', async () => {
    expect.hasAssertions();
    const c = await rawConnect();
    await c.openChannel(1);
    await txSelect(c, 1);
    await txCommit(c, 1);
    await txRollback(c, 1);
    await txCommit(c, 1);
    await c.close();
  });
});

describe('acknowledging in a transaction', () => {
  it('applies an ack only at tx.commit', async () => {
    expect.hasAssertions();
    const { q, observer } = await setupQueue('tx-ack-commit');
    await fill(observer, q, ['m1', 'm2']);
    const c = await rawConnect();
    await c.openChannel(1);
    await txSelect(c, 1);
    const m1 = await get(c, 1, q);
    const m2 = await get(c, 1, q);
    expect([m1.body, m2.body]).toEqual(['m1', 'm2']);
    ack(c, 1, m1.deliveryTag);
    await txCommit(c, 1);
    // m1 is acked for good; m2 was never acked and is requeued by the channel close.
    await closeChannel(c, 1);
    expect(await drain(observer, q)).toEqual([['m2', true]]);
    await c.close();
  });

  it('requeues a message whose ack was never committed when the channel closes', async () => {
    expect.hasAssertions();
    const { q, observer } = await setupQueue('tx-ack-uncommitted');
    await fill(observer, q, ['m1']);
    const c = await rawConnect();
    await c.openChannel(1);
    await txSelect(c, 1);
    const m1 = await get(c, 1, q);
    ack(c, 1, m1.deliveryTag);
    expect(await passiveCount(c, 1, q)).toBe(0);
    await closeChannel(c, 1);
    expect(await drain(observer, q)).toEqual([['m1', true]]);
    await c.close();
  });

  it('after tx.rollback the message is still unacked: it can be acked again, and committed', async () => {
    expect.hasAssertions();
    const { q, observer } = await setupQueue('tx-ack-rollback');
    await fill(observer, q, ['m1', 'm2']);
    const c = await rawConnect();
    await c.openChannel(1);
    await txSelect(c, 1);
    const m1 = await get(c, 1, q);
    const m2 = await get(c, 1, q);
    ack(c, 1, m2.deliveryTag, true); // both
    await txRollback(c, 1);
    // Not requeued by the rollback: both are still unacked on this channel.
    expect(await readyCount(observer, q)).toBe(0);
    // Acking m1 again is valid (its tag is known again); commit applies it.
    ack(c, 1, m1.deliveryTag);
    await txCommit(c, 1);
    await closeChannel(c, 1);
    expect(await drain(observer, q)).toEqual([['m2', true]]);
    await c.close();
  });

  it('a rolled-back ack leaves the message to be requeued when the channel closes', async () => {
    expect.hasAssertions();
    const { q, observer } = await setupQueue('tx-ack-rollback-close');
    await fill(observer, q, ['m1', 'm2', 'm3']);
    const c = await rawConnect();
    await c.openChannel(1);
    await txSelect(c, 1);
    const tags = [await get(c, 1, q), await get(c, 1, q), await get(c, 1, q)].map((m) => m.deliveryTag);
    ack(c, 1, tags[1]!);
    await txRollback(c, 1);
    await closeChannel(c, 1);
    expect(await drain(observer, q)).toEqual([
      ['m1', true],
      ['m2', true],
      ['m3', true],
    ]);
    await c.close();
  });

  it('applies a reject with requeue only at tx.commit', async () => {
    expect.hasAssertions();
    const { q, observer } = await setupQueue('tx-reject');
    await fill(observer, q, ['m1']);
    const c = await rawConnect();
    await c.openChannel(1);
    await txSelect(c, 1);
    const m1 = await get(c, 1, q);
    reject(c, 1, m1.deliveryTag, true);
    expect(await passiveCount(c, 1, q)).toBe(0);
    expect(await readyCount(observer, q)).toBe(0);
    await txCommit(c, 1);
    expect(await drain(observer, q)).toEqual([['m1', true]]);
    await c.close();
  });

  it('publishes and acks of one transaction commit together', async () => {
    expect.hasAssertions();
    const { q, observer } = await setupQueue('tx-mixed');
    await fill(observer, q, ['in']);
    const c = await rawConnect();
    await c.openChannel(1);
    await txSelect(c, 1);
    const m = await get(c, 1, q);
    publish(c, 1, q, 'out');
    ack(c, 1, m.deliveryTag);
    expect(await passiveCount(c, 1, q)).toBe(0);
    await txCommit(c, 1);
    await closeChannel(c, 1);
    expect(await drain(observer, q)).toEqual([['out', false]]);
    await c.close();
  });
});

describe('tx.commit and tx.rollback without tx.select', () => {
  it('refuses tx.commit on a non-transactional channel with 406 "channel is not transactional"', async () => {
    expect.hasAssertions();
    const c = await rawConnect();
    await c.openChannel(1);
    c.sendMethod(1, 90, 20);
    expect(await c.expectChannelClose(1)).toEqual({
      replyCode: 406,
      replyText: 'PRECONDITION_FAILED - channel is not transactional',
      classId: 90,
      methodId: 20,
    });
    // A channel error: the connection goes on.
    await c.openChannel(2);
    await c.close();
  });

  it('refuses tx.rollback on a non-transactional channel with 406 "channel is not transactional"', async () => {
    expect.hasAssertions();
    const c = await rawConnect();
    await c.openChannel(1);
    c.sendMethod(1, 90, 30);
    expect(await c.expectChannelClose(1)).toEqual({
      replyCode: 406,
      replyText: 'PRECONDITION_FAILED - channel is not transactional',
      classId: 90,
      methodId: 30,
    });
    await c.openChannel(2);
    await c.close();
  });
});
