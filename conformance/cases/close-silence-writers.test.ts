// Silence after close, writer by writer: everything a broker sends later than the method that caused it (publisher
// confirms after a disk sync, deliveries streaming to a consumer, basic.return, channel.flow-ok, tx.commit-ok,
// dead-lettered messages when a TTL runs out, delayed messages, direct replies, consumer-timeout closes, consumer
// cancel notifications) is either on the wire before the channel's close-ok or never: nothing reaches a channel after
// its close-ok, nor a connection after connection.close-ok. Each round sends the close while that writer has
// something pending, listens past the writer's timer, then does a round trip on a probe channel so anything still
// queued for the closed channel would have arrived.
import { describe, expect, it } from 'vitest';
import type { ChannelModel } from 'amqplib';
import { connect, server } from '../support/amqp.js';
import { cleanUpAfterEach, sleep, trackNames } from '../support/fixtures.js';
import {
  FRAME_BODY,
  FRAME_HEADER,
  FRAME_HEARTBEAT,
  FRAME_METHOD,
  args,
  describeFrame,
  encodeFrame,
  encodeHeaderPayload,
  encodeMethodFrame,
  encodeShortstr,
  encodeTable,
  rawConnect,
  type Frame,
  type RawConnection,
  type TableValue,
} from '../support/raw.js';

const { qname, xname } = cleanUpAfterEach(trackNames('close-writers'), { raw: true });

/** Plain RabbitMQ has no delayed-message exchange; that writer is checked on Warren only. */
const IS_RABBITMQ = (await server()).product === 'RabbitMQ';

const PROBE = 9;
const isMethod = (f: Frame, classId: number, methodId: number) => f.type === FRAME_METHOD && f.method?.classId === classId && f.method?.methodId === methodId;

/** A raw connection that announces consumer_cancel_notify (so cancel notifications are sent) with its probe channel open. */
async function probed(): Promise<RawConnection> {
  const c = await rawConnect({ capabilities: { authentication_failure_close: true, consumer_cancel_notify: true, publisher_confirms: true, 'basic.nack': true } });
  await c.openChannel(PROBE);
  return c;
}

/** Declares what a case needs over amqplib, remembering the names for clean-up. */
async function setUp(fn: (ch: Awaited<ReturnType<ChannelModel['createChannel']>>) => Promise<void>): Promise<void> {
  const conn = await connect();
  const ch = await conn.createChannel();
  await fn(ch);
  await conn.close();
}

interface Publish {
  exchange?: string;
  routingKey: string;
  body?: string;
  mandatory?: boolean;
  persistent?: boolean;
  headers?: Record<string, TableValue>;
  replyTo?: string;
}

/** basic.publish, its content header (headers, delivery-mode, reply-to as asked) and one body frame. */
function publishFrames(channel: number, p: Publish): Buffer {
  const body = Buffer.from(p.body ?? 'x');
  let flags = 0;
  const props: Buffer[] = [];
  if (p.headers) {
    flags |= 1 << 13;
    props.push(encodeTable(p.headers));
  }
  if (p.persistent) {
    flags |= 1 << 12;
    props.push(Buffer.from([2]));
  }
  if (p.replyTo) {
    flags |= 1 << 9;
    props.push(encodeShortstr(p.replyTo));
  }
  return Buffer.concat([
    encodeMethodFrame(channel, 60, 40, args().short(0).shortstr(p.exchange ?? '').shortstr(p.routingKey).bits(p.mandatory ?? false, false).build()),
    encodeFrame(FRAME_HEADER, channel, encodeHeaderPayload(60, body.length, flags, Buffer.concat(props))),
    encodeFrame(FRAME_BODY, channel, body),
  ]);
}

const channelClose = (ch: number) => encodeMethodFrame(ch, 20, 40, args().short(200).shortstr('bye').short(0).short(0).build());
const consumeFrame = (ch: number, queue: string, noAck: boolean) =>
  encodeMethodFrame(ch, 60, 20, args().short(0).shortstr(queue).shortstr('').bits(false, noAck, false, false).table({}).build());

/**
 * Opens `ch` (any frame on it before open-ok is a late one from its previous life: an error) and sends `steps` one
 * by one, each waiting for its answer (class and method ids) on `ch`; frames on other channels are passed over.
 */
async function openWith(c: RawConnection, ch: number, steps: Array<[Buffer, number, number]>): Promise<void> {
  c.sendMethod(ch, 20, 10, args().shortstr('').build());
  for (;;) {
    const f = await c.nextFrame(10_000, `channel.open-ok on ${ch}`);
    if (f.channel === ch && isMethod(f, 20, 11)) break;
    if (f.channel === ch || f.close) throw new Error(`opening channel ${ch}: ${describeFrame(f)}`);
  }
  for (const [frame, classId, methodId] of steps) {
    c.sendRaw(frame);
    for (;;) {
      const f = await c.nextFrame(10_000, `method ${classId}.${methodId}`);
      if (f.close) throw new Error(`setting up channel ${ch}: ${describeFrame(f)}`);
      // Deliveries to an earlier consumer of the channel may come first.
      if (f.channel === ch && isMethod(f, classId, methodId)) break;
    }
  }
}

/**
 * Sends `bytes` (ending with channel.close on `ch`) in one write and reads up to its close-ok, answering a
 * channel.close of the broker's own that crossed ours (a consumer timeout) with close-ok as clients do. Then waits
 * `quietMs` (past the writer's timer) and does a round trip on the probe channel. Returns the frames on `ch` that
 * came after its close-ok.
 */
async function closeAndListen(c: RawConnection, ch: number, bytes: Buffer, quietMs: number): Promise<Frame[]> {
  c.sendRaw(bytes);
  for (;;) {
    const f = await c.nextFrame(10_000, `channel.close-ok on ${ch}`);
    if (f.channel !== ch) continue;
    if (isMethod(f, 20, 40)) c.sendMethod(ch, 20, 41);
    if (isMethod(f, 20, 41)) break;
  }
  const late: Frame[] = [];
  const collect = async (until: (f: Frame) => boolean, what: string) => {
    for (;;) {
      const f = await c.nextFrame(10_000, what);
      if (f.channel === ch) late.push(f);
      if (until(f)) return;
    }
  };
  if (quietMs > 0) {
    await sleep(quietMs);
  }
  c.sendMethod(PROBE, 40, 10, args().short(0).shortstr('amq.direct').shortstr('direct').bits(true, false, false, false, false).table({}).build());
  await collect((f) => f.channel === PROBE && isMethod(f, 40, 11), 'exchange.declare-ok on the probe channel');
  return late;
}

const describeAll = (fs: Frame[]) => fs.map(describeFrame);

describe('silence after channel.close, every deferred writer', () => {
  it('on the wire: deliveries streaming, basic.return, flow-ok, confirms (after a sync or at once) and tx.commit-ok pending as channel.close arrives', async () => {
    expect.hasAssertions();
    const streamed = qname('streamed');
    const target = qname('target');
    await setUp(async (ch) => {
      await ch.assertQueue(streamed, { durable: false });
      await ch.assertQueue(target, { durable: true });
      for (let i = 0; i < 40; i++) ch.sendToQueue(streamed, Buffer.from(`s${i}`));
    });
    const c = await probed();
    for (let round = 0; round < 60; round++) {
      const tx = round % 3 === 2;
      await openWith(c, 1, [
        tx ? [encodeMethodFrame(1, 90, 10), 90, 11] : [encodeMethodFrame(1, 85, 10, args().bits(false).build()), 85, 11],
        // The queue's 40 messages stream to this consumer (unacked, they go back to the queue at the close).
        [consumeFrame(1, streamed, false), 60, 21],
      ]);
      const burst: Buffer[] = [];
      for (let k = 0; k < 5; k++) burst.push(publishFrames(1, { routingKey: target, persistent: true, body: `p${round}.${k}` }));
      for (let k = 0; k < 5; k++) burst.push(publishFrames(1, { routingKey: target, body: `t${round}.${k}` }));
      for (let k = 0; k < 3; k++) burst.push(publishFrames(1, { routingKey: `${target}.nowhere`, mandatory: true }));
      burst.push(encodeMethodFrame(1, 20, 20, args().bits(true).build())); // channel.flow active=true → flow-ok
      if (tx) burst.push(encodeMethodFrame(1, 90, 20)); // tx.commit: commit-ok waits for the persistent messages' sync
      burst.push(channelClose(1));
      const late = await closeAndListen(c, 1, Buffer.concat(burst), 0);
      expect(describeAll(late), `round ${round}: frames on channel 1 after its close-ok`).toEqual([]);
    }
    await c.close();
  }, 60_000);

  it('on the wire: messages dead-lettered when their TTL runs out, to a consumer on a channel closing at that moment', async () => {
    expect.hasAssertions();
    const expiring = qname('ttl');
    const dead = qname('ttl-dead');
    await setUp(async (ch) => {
      await ch.assertQueue(dead, { durable: false });
      await ch.assertQueue(expiring, { durable: false, arguments: { 'x-message-ttl': 20, 'x-dead-letter-exchange': '', 'x-dead-letter-routing-key': dead } });
    });
    const c = await probed();
    for (let round = 0; round < 40; round++) {
      await openWith(c, 1, [[consumeFrame(1, dead, false), 60, 21]]);
      const pubs: Buffer[] = [];
      for (let k = 0; k < 3; k++) pubs.push(publishFrames(1, { routingKey: expiring, body: `e${round}.${k}` }));
      c.sendRaw(Buffer.concat(pubs));
      await sleep(round % 40); // around the 20 ms TTL: before, at and after the expiry
      const late = await closeAndListen(c, 1, channelClose(1), 60);
      expect(describeAll(late), `round ${round}: frames on channel 1 after its close-ok`).toEqual([]);
    }
    await c.close();
  }, 60_000);

  it.skipIf(IS_RABBITMQ)('on the wire: delayed messages (x-delayed-message) coming due as the consuming channel closes', async () => {
    expect.hasAssertions();
    const exchange = xname('delayed');
    const due = qname('delayed-due');
    await setUp(async (ch) => {
      await ch.assertExchange(exchange, 'x-delayed-message', { durable: false, arguments: { 'x-delayed-type': 'direct' } });
      await ch.assertQueue(due, { durable: false });
      await ch.bindQueue(due, exchange, 'k');
    });
    const c = await probed();
    for (let round = 0; round < 40; round++) {
      await openWith(c, 1, [[consumeFrame(1, due, false), 60, 21]]);
      const pubs: Buffer[] = [];
      for (let k = 0; k < 3; k++) pubs.push(publishFrames(1, { exchange, routingKey: 'k', headers: { 'x-delay': 20 }, body: `d${round}.${k}` }));
      c.sendRaw(Buffer.concat(pubs));
      await sleep(round % 40);
      const late = await closeAndListen(c, 1, channelClose(1), 60);
      expect(describeAll(late), `round ${round}: frames on channel 1 after its close-ok`).toEqual([]);
    }
    await c.close();
  }, 60_000);

  it('on the wire: direct reply-to replies arriving as the requesting channel closes', async () => {
    expect.hasAssertions();
    const rpc = qname('rpc');
    const responder = await connect();
    const errors: string[] = [];
    responder.on('error', (e: Error) => errors.push(e.message));
    const rch = await responder.createChannel();
    rch.on('error', (e: Error) => errors.push(`channel: ${e.message}`));
    await rch.assertQueue(rpc, { durable: false });
    let n = 0;
    await rch.consume(rpc, (m) => {
      if (!m) return;
      const to = m.properties.replyTo as string;
      // Replies go out at once or a few ms later, some after the requester's channel is gone.
      setTimeout(() => rch.sendToQueue(to, Buffer.from('reply')), (n++ % 4) * 5);
    }, { noAck: true });
    const c = await probed();
    for (let round = 0; round < 40; round++) {
      await openWith(c, 1, [[consumeFrame(1, 'amq.rabbitmq.reply-to', true), 60, 21]]);
      const pubs: Buffer[] = [];
      for (let k = 0; k < 3; k++) pubs.push(publishFrames(1, { routingKey: rpc, replyTo: 'amq.rabbitmq.reply-to', body: `q${round}.${k}` }));
      c.sendRaw(Buffer.concat(pubs));
      await sleep(round % 20);
      const late = await closeAndListen(c, 1, channelClose(1), 40);
      expect(describeAll(late), `round ${round}: frames on channel 1 after its close-ok`).toEqual([]);
    }
    await c.close();
    await rch.checkQueue(rpc);
    expect(errors).toEqual([]);
    await responder.close();
  }, 60_000);

  it('on the wire: a consumer cancel notification (its queue deleted) crossing channel.close, in both orders', async () => {
    expect.hasAssertions();
    const c = await probed();
    for (let round = 0; round < 40; round++) {
      const q = qname(`cancelled-${round}`);
      await setUp(async (ch) => void (await ch.assertQueue(q, { durable: false })));
      await openWith(c, 1, [[consumeFrame(1, q, false), 60, 21]]);
      const del = encodeMethodFrame(PROBE, 50, 40, args().short(0).shortstr(q).bits(false, false, false).build());
      const late = await closeAndListen(c, 1, Buffer.concat(round % 2 === 0 ? [del, channelClose(1)] : [channelClose(1), del]), 0);
      expect(describeAll(late), `round ${round}: frames on channel 1 after its close-ok`).toEqual([]);
    }
    await c.close();
  }, 60_000);

  it('on the wire: a consumer timeout (x-consumer-timeout, RabbitMQ 3.12+) falling due as the client closes the channel', async () => {
    expect.hasAssertions();
    // RabbitMQ 3.10 ignores the argument (no timeout ever fires): the case then only checks the close itself.
    const held = qname('timeout');
    await setUp(async (ch) => {
      await ch.assertQueue(held, { durable: false, arguments: { 'x-consumer-timeout': 1 } });
      for (let i = 0; i < 5; i++) ch.sendToQueue(held, Buffer.from(`h${i}`));
    });
    const c = await probed();
    // Warren checks timeouts once a second: closes spread over 1.2 s land before, at and after that check.
    for (let round = 0; round < 8; round++) {
      await openWith(c, 1, [[consumeFrame(1, held, false), 60, 21]]);
      await sleep(round * 150);
      const late = await closeAndListen(c, 1, channelClose(1), 0);
      expect(describeAll(late), `round ${round}: frames on channel 1 after its close-ok`).toEqual([]);
    }
    await c.close();
  }, 60_000);
});

describe('silence after connection.close, on every channel', () => {
  it('on the wire: three channels with deliveries, returns, confirms and dead-letters pending, then connection.close: nothing follows close-ok', async () => {
    expect.hasAssertions();
    const streamed = qname('conn-streamed');
    const target = qname('conn-target');
    const expiring = qname('conn-ttl');
    await setUp(async (ch) => {
      await ch.assertQueue(streamed, { durable: false });
      await ch.assertQueue(target, { durable: true });
      await ch.assertQueue(expiring, { durable: false, arguments: { 'x-message-ttl': 10, 'x-dead-letter-exchange': '', 'x-dead-letter-routing-key': streamed } });
      for (let i = 0; i < 30; i++) ch.sendToQueue(streamed, Buffer.from(`s${i}`));
    });
    for (let round = 0; round < 30; round++) {
      const c = await rawConnect({ capabilities: { authentication_failure_close: true, consumer_cancel_notify: true } });
      const burst: Buffer[] = [];
      for (const ch of [1, 2, 3]) {
        await openWith(c, ch, [
          [encodeMethodFrame(ch, 85, 10, args().bits(false).build()), 85, 11],
          [consumeFrame(ch, streamed, false), 60, 21],
        ]);
        for (let k = 0; k < 4; k++) burst.push(publishFrames(ch, { routingKey: target, persistent: k % 2 === 0 }));
        burst.push(publishFrames(ch, { routingKey: `${target}.nowhere`, mandatory: true }));
        burst.push(publishFrames(ch, { routingKey: expiring }));
      }
      await sleep(round % 15);
      burst.push(encodeMethodFrame(0, 10, 50, args().short(200).shortstr('bye').short(0).short(0).build()));
      c.sendRaw(Buffer.concat(burst));
      for (;;) {
        const f = await c.nextFrame(10_000, 'connection.close-ok');
        if (f.channel === 0 && isMethod(f, 10, 51)) break;
      }
      // Past the 10 ms TTL: a dead-lettered message would be delivered by now.
      const after: Frame[] = [];
      const deadline = Date.now() + 50;
      while (Date.now() < deadline && !c.isClosed) {
        const f = await c.nextFrame(Math.max(1, deadline - Date.now()), 'nothing').catch(() => undefined);
        if (f && f.type !== FRAME_HEARTBEAT) after.push(f);
      }
      expect(describeAll(after), `round ${round}: frames after connection.close-ok`).toEqual([]);
      c.destroy();
    }
  }, 60_000);

  it('amqplib: connections closed with confirms, deliveries and returns pending on several channels, hundreds of times, see no error', async () => {
    expect.hasAssertions();
    const streamed = qname('amqplib-streamed');
    const target = qname('amqplib-target');
    await setUp(async (ch) => {
      await ch.assertQueue(streamed, { durable: false });
      await ch.assertQueue(target, { durable: true });
      for (let i = 0; i < 30; i++) ch.sendToQueue(streamed, Buffer.from(`s${i}`));
    });
    const errors: string[] = [];
    for (let round = 0; round < 200 && errors.length === 0; round++) {
      const conn = await connect();
      conn.on('error', (e: Error) => errors.push(`round ${round}: ${e.message}`));
      conn.on('close', (e?: Error) => e && errors.push(`round ${round}: closed: ${e.message}`));
      const consumer = await conn.createChannel();
      consumer.on('error', () => {});
      await consumer.consume(streamed, () => {}, { noAck: false });
      const pub = await conn.createConfirmChannel();
      pub.on('error', () => {});
      pub.on('return', () => {});
      for (let k = 0; k < 5; k++) pub.sendToQueue(target, Buffer.from(`m${k}`), { persistent: k % 2 === 0 }, () => {});
      pub.publish('', `${target}.nowhere`, Buffer.from('r'), { mandatory: true }, () => {});
      await conn.close();
    }
    expect(errors).toEqual([]);
  }, 120_000);
});
