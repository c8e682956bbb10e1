// Acknowledgements: basic.ack (single, multiple, multiple with tag 0), basic.nack, basic.reject,
// basic.recover, unknown and repeated tags, and where unacked messages go when their channel or
// connection closes (back in the queue, in their original order, marked redelivered).
import type { Channel, ChannelModel, ConsumeMessage, Message } from 'amqplib';
import { describe, expect, it } from 'vitest';
import { connect } from '../support/amqp.js';
import { cleanUpAfterEach, drain as drainQueue, Inbox, openChannel, sleep, trackNames, withTimeout, type AmqpError } from '../support/fixtures.js';
import { args, rawConnect } from '../support/raw.js';

const { declareQueue } = cleanUpAfterEach(trackNames(), { raw: true, strict: true });

const drain = (ch: Channel, q: string) => drainQueue(ch, q, (m): [string, boolean] => [m.content.toString(), m.fields.redelivered]);

const bodies = (ms: Message[]) => ms.map((m) => m.content.toString());
const redelivered = (ms: Message[]) => ms.map((m) => m.fields.redelivered);

/** A round trip on the channel, so everything sent before it has been handled by the broker. */
async function sync(ch: Channel): Promise<void> {
  await ch.checkExchange('amq.direct');
}

/** A message object carrying only a delivery tag, for acking tags the broker never sent. */
const tag = (deliveryTag: number) => ({ fields: { deliveryTag } }) as unknown as Message;

/** Publishes `names` to q and waits until they are all in the queue. */
async function fill(ch: Channel, q: string, names: string[]): Promise<void> {
  for (const n of names) ch.sendToQueue(q, Buffer.from(n));
  await sync(ch);
}

/** Opens a channel on conn, consumes all of q's `n` messages without acking them. */
async function consumeUnacked(conn: ChannelModel, q: string, n: number): Promise<{ ch: Channel; msgs: ConsumeMessage[]; error: Promise<AmqpError> }> {
  const { ch, error } = await openChannel(conn);
  const inbox = new Inbox();
  await ch.consume(q, inbox.push, { noAck: false });
  const msgs = await inbox.waitFor(n);
  return { ch, msgs, error };
}

describe('basic.ack', () => {
  it('acks a single message: only that one is gone when the channel closes', async () => {
    expect.hasAssertions();
    const conn = await connect();
    const { ch } = await openChannel(conn);
    const q = await declareQueue(ch, 'ack-single');
    await fill(ch, q, ['m1', 'm2', 'm3']);
    const c = await consumeUnacked(conn, q, 3);
    expect(c.msgs.map((m) => m.fields.deliveryTag)).toEqual([1, 2, 3]);
    c.ch.ack(c.msgs[1]!);
    await c.ch.close();
    expect(await drain(ch, q)).toEqual([
      ['m1', true],
      ['m3', true],
    ]);
  });

  it('acks multiple: everything up to and including the tag', async () => {
    expect.hasAssertions();
    const conn = await connect();
    const { ch } = await openChannel(conn);
    const q = await declareQueue(ch, 'ack-multiple');
    await fill(ch, q, ['m1', 'm2', 'm3', 'm4', 'm5']);
    const c = await consumeUnacked(conn, q, 5);
    c.ch.ack(c.msgs[2]!, true);
    await c.ch.close();
    expect(await drain(ch, q)).toEqual([
      ['m4', true],
      ['m5', true],
    ]);
  });

  it('acks multiple with tag 0 (ackAll): every outstanding message', async () => {
    expect.hasAssertions();
    const conn = await connect();
    const { ch } = await openChannel(conn);
    const q = await declareQueue(ch, 'ack-all');
    await fill(ch, q, ['m1', 'm2', 'm3', 'm4']);
    const c = await consumeUnacked(conn, q, 4);
    c.ch.ackAll();
    await sync(c.ch);
    await c.ch.close();
    expect(await drain(ch, q)).toEqual([]);
  });

  it('acks multiple with tag 0 when nothing is outstanding without complaint', async () => {
    expect.hasAssertions();
    const conn = await connect();
    const { ch, error } = await openChannel(conn);
    ch.ackAll();
    await sync(ch);
    let failed: AmqpError | undefined;
    void error.then((e) => (failed = e));
    await sleep(100);
    expect(failed).toBeUndefined();
  });

  it('refuses ack of delivery tag 0 without multiple with 406 "unknown delivery tag 0"', async () => {
    expect.hasAssertions();
    const conn = await connect();
    const { ch } = await openChannel(conn);
    const q = await declareQueue(ch, 'ack-zero');
    await fill(ch, q, ['m1']);
    const c = await consumeUnacked(conn, q, 1);
    c.ch.ack(tag(0), false);
    const e = await withTimeout(c.error, 5_000, 'channel error');
    expect({ code: e.code, classId: e.classId, methodId: e.methodId }).toEqual({ code: 406, classId: 60, methodId: 80 });
    expect(e.message).toContain('with message "PRECONDITION_FAILED - unknown delivery tag 0"');
    // The channel closed, so its unacked message went back.
    expect(await drain(ch, q)).toEqual([['m1', true]]);
  });

  it('refuses an unknown delivery tag with 406 PRECONDITION_FAILED "unknown delivery tag N"', async () => {
    expect.hasAssertions();
    const conn = await connect();
    const { ch, error } = await openChannel(conn);
    ch.ack(tag(42));
    const e = await withTimeout(error, 5_000, 'channel error');
    expect({ code: e.code, classId: e.classId, methodId: e.methodId }).toEqual({ code: 406, classId: 60, methodId: 80 });
    expect(e.message).toContain('with message "PRECONDITION_FAILED - unknown delivery tag 42"');
    // A channel error, not a connection error.
    const other = await conn.createChannel();
    await expect(other.checkExchange('amq.direct')).resolves.toBeDefined();
  });

  it('refuses a tag above the last one delivered, even with messages outstanding', async () => {
    expect.hasAssertions();
    const conn = await connect();
    const { ch } = await openChannel(conn);
    const q = await declareQueue(ch, 'ack-too-high');
    await fill(ch, q, ['m1', 'm2']);
    const c = await consumeUnacked(conn, q, 2);
    c.ch.ack(tag(3));
    const e = await withTimeout(c.error, 5_000, 'channel error');
    expect(e.code).toBe(406);
    expect(e.message).toContain('with message "PRECONDITION_FAILED - unknown delivery tag 3"');
  });

  it('refuses a second ack of the same tag with 406 "unknown delivery tag N"', async () => {
    expect.hasAssertions();
    const conn = await connect();
    const { ch } = await openChannel(conn);
    const q = await declareQueue(ch, 'double-ack');
    await fill(ch, q, ['m1', 'm2']);
    const c = await consumeUnacked(conn, q, 2);
    c.ch.ack(c.msgs[1]!);
    c.ch.ack(c.msgs[1]!);
    const e = await withTimeout(c.error, 5_000, 'channel error');
    expect({ code: e.code, classId: e.classId, methodId: e.methodId }).toEqual({ code: 406, classId: 60, methodId: 80 });
    expect(e.message).toContain('with message "PRECONDITION_FAILED - unknown delivery tag 2"');
    // The first ack counted; m1 was requeued by the channel close.
    expect(await drain(ch, q)).toEqual([['m1', true]]);
  });

  it('refuses an ack of a tag already covered by a multiple ack', async () => {
    expect.hasAssertions();
    const conn = await connect();
    const { ch } = await openChannel(conn);
    const q = await declareQueue(ch, 'ack-after-multiple');
    await fill(ch, q, ['m1', 'm2', 'm3']);
    const c = await consumeUnacked(conn, q, 3);
    c.ch.ack(c.msgs[1]!, true);
    c.ch.ack(c.msgs[0]!);
    const e = await withTimeout(c.error, 5_000, 'channel error');
    expect(e.code).toBe(406);
    expect(e.message).toContain('with message "PRECONDITION_FAILED - unknown delivery tag 1"');
    expect(await drain(ch, q)).toEqual([['m3', true]]);
  });

  it('refuses an ack on a noAck delivery: the tag is unknown', async () => {
    expect.hasAssertions();
    const conn = await connect();
    const { ch, error } = await openChannel(conn);
    const q = await declareQueue(ch, 'ack-noack');
    await fill(ch, q, ['m1']);
    const inbox = new Inbox();
    await ch.consume(q, inbox.push, { noAck: true });
    const [m] = await inbox.waitFor(1);
    ch.ack(m!);
    const e = await withTimeout(error, 5_000, 'channel error');
    expect(e.code).toBe(406);
    expect(e.message).toContain('with message "PRECONDITION_FAILED - unknown delivery tag 1"');
  });
});

describe('basic.nack and basic.reject', () => {
  it('nack with requeue redelivers the message with redelivered=true', async () => {
    expect.hasAssertions();
    const conn = await connect();
    const { ch } = await openChannel(conn);
    const q = await declareQueue(ch, 'nack-requeue');
    await fill(ch, q, ['only']);
    const inbox = new Inbox();
    await ch.consume(q, inbox.push, { noAck: false });
    const [first] = await inbox.waitFor(1);
    expect(first!.fields.redelivered).toBe(false);
    ch.nack(first!, false, true);
    const [, second] = await inbox.waitFor(2);
    expect(second!.content.toString()).toBe('only');
    expect(second!.fields.redelivered).toBe(true);
    expect(second!.fields.deliveryTag).toBe(2);
    ch.ack(second!);
    await sync(ch);
    expect((await ch.checkQueue(q)).messageCount).toBe(0);
  });

  it('nack multiple with requeue puts the messages back in their original order', async () => {
    expect.hasAssertions();
    const conn = await connect();
    const { ch } = await openChannel(conn);
    const q = await declareQueue(ch, 'nack-multiple');
    await fill(ch, q, ['m1', 'm2', 'm3', 'm4']);
    const c = await consumeUnacked(conn, q, 4);
    // Cancel first, so the requeued messages are not simply delivered again to this consumer;
    // its deliveries stay unacked on the channel and can still be nacked.
    await c.ch.cancel(c.msgs[0]!.fields.consumerTag);
    c.ch.nack(c.msgs[2]!, true, true);
    c.ch.nack(c.msgs[3]!, false, false);
    await sync(c.ch);
    expect(await drain(ch, q)).toEqual([
      ['m1', true],
      ['m2', true],
      ['m3', true],
    ]);
  });

  it('nack without requeue drops the message', async () => {
    expect.hasAssertions();
    const conn = await connect();
    const { ch } = await openChannel(conn);
    const q = await declareQueue(ch, 'nack-drop');
    await fill(ch, q, ['m1', 'm2']);
    const c = await consumeUnacked(conn, q, 2);
    c.ch.nack(c.msgs[0]!, false, false);
    await sync(c.ch);
    await c.ch.close();
    expect(await drain(ch, q)).toEqual([['m2', true]]);
  });

  it('reject with requeue=false drops the message, never redelivered', async () => {
    expect.hasAssertions();
    const conn = await connect();
    const { ch } = await openChannel(conn);
    const q = await declareQueue(ch, 'reject-drop');
    await fill(ch, q, ['doomed']);
    const inbox = new Inbox();
    const { consumerTag } = await ch.consume(q, inbox.push, { noAck: false });
    const [m] = await inbox.waitFor(1);
    ch.reject(m!, false);
    await sync(ch);
    await sleep(200);
    expect(inbox.messages.length).toBe(1);
    await ch.cancel(consumerTag);
    await ch.close();
    const { ch: check } = await openChannel(conn);
    expect((await check.checkQueue(q)).messageCount).toBe(0);
  });

  it('reject with requeue=true redelivers with redelivered=true', async () => {
    expect.hasAssertions();
    const conn = await connect();
    const { ch } = await openChannel(conn);
    const q = await declareQueue(ch, 'reject-requeue');
    await fill(ch, q, ['again']);
    const inbox = new Inbox();
    await ch.consume(q, inbox.push, { noAck: false });
    const [m] = await inbox.waitFor(1);
    ch.reject(m!, true);
    const [, again] = await inbox.waitFor(2);
    expect(again!.content.toString()).toBe('again');
    expect(again!.fields.redelivered).toBe(true);
  });

  it('refuses reject of an unknown tag with 406 "unknown delivery tag N" (class 60, method 90)', async () => {
    expect.hasAssertions();
    const conn = await connect();
    const { ch, error } = await openChannel(conn);
    ch.reject(tag(7), true);
    const e = await withTimeout(error, 5_000, 'channel error');
    expect({ code: e.code, classId: e.classId, methodId: e.methodId }).toEqual({ code: 406, classId: 60, methodId: 90 });
    expect(e.message).toContain('with message "PRECONDITION_FAILED - unknown delivery tag 7"');
  });

  it('refuses nack of an unknown tag with 406 "unknown delivery tag N" (class 60, method 120)', async () => {
    expect.hasAssertions();
    const conn = await connect();
    const { ch, error } = await openChannel(conn);
    ch.nack(tag(9), false, true);
    const e = await withTimeout(error, 5_000, 'channel error');
    expect({ code: e.code, classId: e.classId, methodId: e.methodId }).toEqual({ code: 406, classId: 60, methodId: 120 });
    expect(e.message).toContain('with message "PRECONDITION_FAILED - unknown delivery tag 9"');
  });
});

describe('unacked messages when the channel or connection goes away', () => {
  it('returns unacked messages to the queue in their original order, redelivered, when the channel closes', async () => {
    expect.hasAssertions();
    const conn = await connect();
    const { ch } = await openChannel(conn);
    const q = await declareQueue(ch, 'requeue-channel-close');
    await fill(ch, q, ['m1', 'm2', 'm3', 'm4', 'm5']);
    // Prefetch 2: m1, m2 are delivered and unacked; m3..m5 stay ready in the queue.
    const { ch: consumer } = await openChannel(conn);
    await consumer.prefetch(2);
    const inbox = new Inbox();
    await consumer.consume(q, inbox.push, { noAck: false });
    await inbox.waitFor(2);
    await sleep(200);
    expect(bodies(inbox.messages)).toEqual(['m1', 'm2']);
    await consumer.close();
    // The requeued ones go back to the head, ahead of m3..m5.
    const { ch: next } = await openChannel(conn);
    const again = new Inbox();
    await next.consume(q, again.push, { noAck: true });
    await again.waitFor(5);
    expect(bodies(again.messages)).toEqual(['m1', 'm2', 'm3', 'm4', 'm5']);
    expect(redelivered(again.messages)).toEqual([true, true, false, false, false]);
  });

  it('requeues around acked messages: unacked ones keep their relative order', async () => {
    expect.hasAssertions();
    const conn = await connect();
    const { ch } = await openChannel(conn);
    const q = await declareQueue(ch, 'requeue-holes');
    await fill(ch, q, ['m1', 'm2', 'm3', 'm4', 'm5', 'm6']);
    const c = await consumeUnacked(conn, q, 6);
    c.ch.ack(c.msgs[1]!);
    c.ch.ack(c.msgs[4]!);
    await sync(c.ch);
    await c.ch.close();
    expect(await drain(ch, q)).toEqual([
      ['m1', true],
      ['m3', true],
      ['m4', true],
      ['m6', true],
    ]);
  });

  it('returns unacked messages to the queue in their original order, redelivered, when the connection closes', async () => {
    expect.hasAssertions();
    const owner = await connect();
    const { ch } = await openChannel(owner);
    const q = await declareQueue(ch, 'requeue-connection-close');
    await fill(ch, q, ['m1', 'm2', 'm3', 'm4', 'm5']);
    const consumerConn = await connect();
    const { ch: c1 } = await openChannel(consumerConn);
    await c1.prefetch(3);
    const inbox = new Inbox();
    await c1.consume(q, inbox.push, { noAck: false });
    await inbox.waitFor(3);
    c1.ack(inbox.messages[1]!);
    await inbox.waitFor(4); // the ack freed a slot: m4 comes; m5 stays ready
    await sleep(100);
    expect(bodies(inbox.messages)).toEqual(['m1', 'm2', 'm3', 'm4']);
    await consumerConn.close();
    expect(await drain(ch, q)).toEqual([
      ['m1', true],
      ['m3', true],
      ['m4', true],
      ['m5', false],
    ]);
  });

  it('requeues unacked messages when the client drops the TCP connection without closing', async () => {
    expect.hasAssertions();
    const owner = await connect();
    const { ch } = await openChannel(owner);
    const q = await declareQueue(ch, 'requeue-socket-drop');
    await fill(ch, q, ['m1', 'm2']);
    const c = await rawConnect();
    await c.openChannel(1);
    c.sendMethod(1, 60, 20, args().short(0).shortstr(q).shortstr('').bits(false, false, false, false).table({}).build());
    await c.expectMethod(60, 21);
    await c.expectMethod(60, 60);
    c.destroy();
    // The broker notices the dropped socket at once; poll briefly for the requeue.
    let left: Array<[string, boolean]> = [];
    for (let i = 0; i < 50; i++) {
      if ((await ch.checkQueue(q)).messageCount === 2) break;
      await sleep(50);
    }
    left = await drain(ch, q);
    expect(left).toEqual([
      ['m1', true],
      ['m2', true],
    ]);
  });
});

describe('basic.recover', () => {
  it('recover (requeue=true) redelivers unacked messages with redelivered=true and new tags', async () => {
    expect.hasAssertions();
    const conn = await connect();
    const { ch } = await openChannel(conn);
    const q = await declareQueue(ch, 'recover');
    await fill(ch, q, ['m1', 'm2']);
    const inbox = new Inbox();
    await ch.consume(q, inbox.push, { noAck: false });
    await inbox.waitFor(2);
    await expect(ch.recover()).resolves.toBeDefined();
    const all = await inbox.waitFor(4);
    expect(bodies(all)).toEqual(['m1', 'm2', 'm1', 'm2']);
    expect(redelivered(all)).toEqual([false, false, true, true]);
    expect(all.map((m) => m.fields.deliveryTag)).toEqual([1, 2, 3, 4]);
    // The old tags are gone; the new ones ack.
    ch.ack(all[3]!, true);
    await sync(ch);
    expect((await ch.checkQueue(q)).messageCount).toBe(0);
  });
});
