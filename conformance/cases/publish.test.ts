// basic.publish: what RabbitMQ 3.10 refuses (immediate, a missing exchange, a forged user_id)
// and what it must carry unchanged from publisher to consumer (every property, every field-table
// type, bodies of 0 bytes, 1 MB, and bodies that arrive split over many frames).
import type { Channel, ConsumeMessage } from 'amqplib';
import { describe, expect, it } from 'vitest';
import { connect, openBystander, uniqueName } from '../support/amqp.js';
import { cleanUpAfterEach, openChannel, trackNames, withTimeout } from '../support/fixtures.js';
import {
  ArgsReader,
  FRAME_BODY,
  FRAME_HEADER,
  args,
  encodeHeaderPayload,
  rawConnect,
  type Frame,
  type RawConnection,
} from '../support/raw.js';
import { url } from '../support/urls.js';

// ---------------------------------------------------------------------------------------------
// Queues made by a case are deleted after it, over a fresh connection.
// ---------------------------------------------------------------------------------------------

const { declareQueue } = cleanUpAfterEach(trackNames(), { raw: true, strict: true });

/** The authenticated user name in the URL under test (guest when absent). */
function currentUser(): string {
  const u = new URL(url());
  return u.username ? decodeURIComponent(u.username) : 'guest';
}

// ---------------------------------------------------------------------------------------------
// amqplib helpers
// ---------------------------------------------------------------------------------------------

/** Consumes from q (noAck) and resolves with the first message. */
async function consumeOne(ch: Channel, q: string): Promise<ConsumeMessage> {
  let resolveMsg!: (m: ConsumeMessage) => void;
  const got = new Promise<ConsumeMessage>((r) => (resolveMsg = r));
  await ch.consume(q, (m) => m && resolveMsg(m), { noAck: true });
  return withTimeout(got, 5_000, `a delivery from ${q}`);
}

// ---------------------------------------------------------------------------------------------
// Raw helpers
// ---------------------------------------------------------------------------------------------

const publishArgs = (exchange: string, routingKey: string, mandatory = false, immediate = false) =>
  args().short(0).shortstr(exchange).shortstr(routingKey).bits(mandatory, immediate).build();

const consumeArgs = (q: string, tag = '', noAck = true) => args().short(0).shortstr(q).shortstr(tag).bits(false, noAck, false, false).table({}).build();

interface RawDelivery {
  consumerTag: string;
  deliveryTag: bigint;
  redelivered: boolean;
  exchange: string;
  routingKey: string;
  /** The whole content header payload as received. */
  header: Buffer;
  bodySize: bigint;
  bodyFrames: Buffer[];
  body: Buffer;
}

/** Reads basic.deliver, its content header and all body frames on `channel`. */
async function readDelivery(c: RawConnection, channel: number): Promise<RawDelivery> {
  const m = await c.expectMethod(60, 60);
  expect(m.channel).toBe(channel);
  const r = new ArgsReader(m.method!.args);
  const consumerTag = r.shortstr();
  const deliveryTag = r.longlong();
  const redelivered = (r.octet() & 1) === 1;
  const exchange = r.shortstr();
  const routingKey = r.shortstr();
  const h: Frame = await c.nextNonHeartbeat(5_000, 'content header');
  expect(h.type).toBe(FRAME_HEADER);
  expect(h.channel).toBe(channel);
  const bodySize = h.payload.readBigUInt64BE(4);
  const bodyFrames: Buffer[] = [];
  let got = 0n;
  while (got < bodySize) {
    const b = await c.nextNonHeartbeat(5_000, 'content body');
    expect(b.type).toBe(FRAME_BODY);
    expect(b.channel).toBe(channel);
    bodyFrames.push(b.payload);
    got += BigInt(b.payload.length);
  }
  return { consumerTag, deliveryTag, redelivered, exchange, routingKey, header: h.payload, bodySize, bodyFrames, body: Buffer.concat(bodyFrames) };
}

/** A tagged field-table value built by hand, so every type tag can be sent exactly. */
function fv(tag: string, payload: Buffer = Buffer.alloc(0)): Buffer {
  return Buffer.concat([Buffer.from(tag, 'latin1'), payload]);
}

function u8(n: number): Buffer {
  return Buffer.from([n]);
}

function be(size: 2 | 4 | 8, write: (b: Buffer) => void): Buffer {
  const b = Buffer.alloc(size);
  write(b);
  return b;
}

function sized(body: Buffer): Buffer {
  return Buffer.concat([be(4, (b) => b.writeUInt32BE(body.length, 0)), body]);
}

function table(entries: Array<[string, Buffer]>): Buffer {
  return sized(Buffer.concat(entries.flatMap(([k, v]) => [u8(Buffer.byteLength(k)), Buffer.from(k, 'utf8'), v])));
}

function array(values: Buffer[]): Buffer {
  return sized(Buffer.concat(values));
}

// ---------------------------------------------------------------------------------------------

describe('basic.publish refusals', () => {
  it('closes the connection with 540 NOT_IMPLEMENTED "immediate=true" for a publish with immediate set', async () => {
    expect.hasAssertions();
    const bystander = await openBystander();
    const q = await declareQueue(bystander.channel, 'immediate');
    const c = await rawConnect();
    await c.openChannel(1);
    c.sendMethod(1, 60, 40, publishArgs('', q, false, true));
    c.sendFrame(FRAME_HEADER, 1, encodeHeaderPayload(60, 2));
    c.sendFrame(FRAME_BODY, 1, Buffer.from('hi'));
    expect(await c.expectConnectionClose()).toEqual({
      replyCode: 540,
      replyText: 'NOT_IMPLEMENTED - immediate=true',
      classId: 60,
      methodId: 40,
    });
    await expect(c.waitForClose(5_000)).resolves.toBeUndefined();
    // Nothing was enqueued.
    expect((await bystander.channel.checkQueue(q)).messageCount).toBe(0);
    await bystander.assertStillWorks();
  });

  it("closes the channel with 404 NOT_FOUND \"no exchange '…' in vhost '/'\" for a publish to a missing exchange", async () => {
    expect.hasAssertions();
    const conn = await connect();
    const { ch, error } = await openChannel(conn);
    const missing = uniqueName('missing-exchange');
    ch.publish(missing, 'rk', Buffer.from('x'));
    const e = await withTimeout(error, 5_000, 'channel error');
    expect({ code: e.code, classId: e.classId, methodId: e.methodId }).toEqual({ code: 404, classId: 60, methodId: 40 });
    expect(e.message).toContain(`with message "NOT_FOUND - no exchange '${missing}' in vhost '/'"`);
    // Only the channel is closed: the connection still works.
    const other = await conn.createChannel();
    await expect(other.checkExchange('amq.direct')).resolves.toBeDefined();
  });

  it('closes the channel with 406 PRECONDITION_FAILED when user_id differs from the authenticated user', async () => {
    expect.hasAssertions();
    const conn = await connect();
    const setup = await conn.createChannel();
    const q = await declareQueue(setup, 'user-id-forged');
    const { ch, error } = await openChannel(conn);
    ch.sendToQueue(q, Buffer.from('forged'), { userId: 'not-the-user' });
    const e = await withTimeout(error, 5_000, 'channel error');
    expect({ code: e.code, classId: e.classId, methodId: e.methodId }).toEqual({ code: 406, classId: 60, methodId: 40 });
    expect(e.message).toContain(
      `with message "PRECONDITION_FAILED - user_id property set to 'not-the-user' but authenticated user was '${currentUser()}'"`,
    );
    expect((await setup.checkQueue(q)).messageCount).toBe(0);
  });

  it('delivers a message whose user_id equals the authenticated user, user_id intact', async () => {
    expect.hasAssertions();
    const conn = await connect();
    const { ch } = await openChannel(conn);
    const q = await declareQueue(ch, 'user-id-ok');
    ch.sendToQueue(q, Buffer.from('mine'), { userId: currentUser() });
    const m = await consumeOne(ch, q);
    expect(m.content.toString()).toBe('mine');
    expect(m.properties.userId).toBe(currentUser());
  });
});

describe('message properties', () => {
  it('delivers every basic property and header value type as published (amqplib)', async () => {
    expect.hasAssertions();
    const conn = await connect();
    const { ch } = await openChannel(conn);
    const q = await declareQueue(ch, 'props');
    const headers = {
      str: 'hello ☃',
      int: 42,
      negative: -7,
      big: 3_000_000_000,
      float: 1.5,
      yes: true,
      no: false,
      nested: { a: 'b', deeper: { n: 1, list: ['x', 2, true] } },
      list: ['one', 2, 3.25, false, { k: 'v' }, ['in', 'array']],
    };
    ch.sendToQueue(q, Buffer.from('{"ok":true}'), {
      contentType: 'application/json',
      contentEncoding: 'identity',
      headers,
      deliveryMode: 2,
      priority: 5,
      correlationId: 'corr-123',
      replyTo: 'amq.rabbitmq.reply-to.example',
      messageId: 'msg-456',
      timestamp: 1_700_000_000,
      type: 'order.created',
      appId: 'warren-conformance',
    });
    const m = await consumeOne(ch, q);
    expect(m.content.toString()).toBe('{"ok":true}');
    expect(m.fields).toMatchObject({ exchange: '', routingKey: q, redelivered: false });
    expect(m.properties).toEqual({
      contentType: 'application/json',
      contentEncoding: 'identity',
      headers,
      deliveryMode: 2,
      priority: 5,
      correlationId: 'corr-123',
      replyTo: 'amq.rabbitmq.reply-to.example',
      expiration: undefined,
      messageId: 'msg-456',
      timestamp: 1_700_000_000,
      type: 'order.created',
      userId: undefined,
      appId: 'warren-conformance',
      clusterId: undefined,
    });
  });

  it('delivers a message without properties with no property flag set', async () => {
    expect.hasAssertions();
    const c = await rawConnect();
    await c.openChannel(1);
    const conn = await connect();
    const q = await declareQueue(await conn.createChannel(), 'no-props');
    c.sendMethod(1, 60, 40, publishArgs('', q));
    c.sendFrame(FRAME_HEADER, 1, encodeHeaderPayload(60, 3));
    c.sendFrame(FRAME_BODY, 1, Buffer.from('bar'));
    c.sendMethod(1, 60, 20, consumeArgs(q));
    await c.expectMethod(60, 21);
    const d = await readDelivery(c, 1);
    expect(d.header.toString('hex')).toBe(encodeHeaderPayload(60, 3).toString('hex'));
    expect(d.body.toString()).toBe('bar');
  });

  it('delivers the content header byte for byte: all 13 properties but expiration, headers with every field type', async () => {
    expect.hasAssertions();
    const conn = await connect();
    const q = await declareQueue(await conn.createChannel(), 'props-raw');

    const headers = table([
      ['bool-true', fv('t', u8(1))],
      ['bool-false', fv('t', u8(0))],
      ['byte', fv('b', Buffer.from([0xfb]))] /* -5 */,
      ['ubyte', fv('B', u8(250))],
      ['short', fv('s', be(2, (b) => b.writeInt16BE(-1234, 0)))],
      ['ushort', fv('u', be(2, (b) => b.writeUInt16BE(65000, 0)))],
      ['int', fv('I', be(4, (b) => b.writeInt32BE(-123456789, 0)))],
      ['uint', fv('i', be(4, (b) => b.writeUInt32BE(4000000000, 0)))],
      ['long', fv('l', be(8, (b) => b.writeBigInt64BE(-9007199254740993n, 0)))],
      ['timestamp', fv('T', be(8, (b) => b.writeBigUInt64BE(1700000000n, 0)))],
      ['float', fv('f', be(4, (b) => b.writeFloatBE(3.5, 0)))],
      ['double', fv('d', be(8, (b) => b.writeDoubleBE(-2.718281828459045, 0)))],
      ['decimal', fv('D', Buffer.concat([u8(2), be(4, (b) => b.writeInt32BE(12345, 0))]))],
      ['longstr', fv('S', sized(Buffer.from('a long string ☃', 'utf8')))],
      ['bytes', fv('x', sized(Buffer.from([0, 1, 2, 0xff, 0xce])))],
      ['void', fv('V')],
      [
        'array',
        fv(
          'A',
          array([
            fv('S', sized(Buffer.from('in array'))),
            fv('I', be(4, (b) => b.writeInt32BE(7, 0))),
            fv('t', u8(1)),
            fv('A', array([fv('l', be(8, (b) => b.writeBigInt64BE(1n, 0)))])),
            fv('F', table([['k', fv('S', sized(Buffer.from('v')))]])),
            fv('V'),
          ]),
        ),
      ],
      [
        'table',
        fv(
          'F',
          table([
            ['nested-str', fv('S', sized(Buffer.from('deep')))],
            ['nested-table', fv('F', table([['n', fv('d', be(8, (b) => b.writeDoubleBE(0.25, 0)))]]))],
            ['nested-array', fv('A', array([fv('t', u8(0)), fv('s', be(2, (b) => b.writeInt16BE(3, 0)))]))],
          ]),
        ),
      ],
      ['empty-table', fv('F', table([]))],
      ['empty-array', fv('A', array([]))],
    ]);

    // Property flags, bit 15 down: content-type, content-encoding, headers, delivery-mode,
    // priority, correlation-id, reply-to, expiration (absent), message-id, timestamp, type,
    // user-id, app-id; cluster-id (bit 2) absent.
    const flags = (1 << 15) | (1 << 14) | (1 << 13) | (1 << 12) | (1 << 11) | (1 << 10) | (1 << 9) | (1 << 7) | (1 << 6) | (1 << 5) | (1 << 4) | (1 << 3);
    const props = args()
      .shortstr('text/plain')
      .shortstr('utf-8')
      .raw(headers)
      .octet(1)
      .octet(9)
      .shortstr('correlation-☃')
      .shortstr('reply-here')
      .shortstr('message-id-1')
      .longlong(1700000123n)
      .shortstr('the-type')
      .shortstr(currentUser())
      .shortstr('the-app')
      .build();
    const body = Buffer.from('property carrier');
    const headerPayload = encodeHeaderPayload(60, body.length, flags, props);

    const c = await rawConnect();
    await c.openChannel(1);
    c.sendMethod(1, 60, 40, publishArgs('', q));
    c.sendFrame(FRAME_HEADER, 1, headerPayload);
    c.sendFrame(FRAME_BODY, 1, body);
    c.sendMethod(1, 60, 20, consumeArgs(q));
    await c.expectMethod(60, 21);
    const d = await readDelivery(c, 1);
    expect(d.exchange).toBe('');
    expect(d.routingKey).toBe(q);
    expect(d.header.toString('hex')).toBe(headerPayload.toString('hex'));
    expect(d.body.equals(body)).toBe(true);
  });
});

describe('bodies', () => {
  it('delivers an empty body: body size 0 and no body frame', async () => {
    expect.hasAssertions();
    const conn = await connect();
    const { ch } = await openChannel(conn);
    const q = await declareQueue(ch, 'empty-body');
    ch.sendToQueue(q, Buffer.alloc(0), { messageId: 'empty' });
    ch.sendToQueue(q, Buffer.from('after'), { messageId: 'after' });

    const c = await rawConnect();
    await c.openChannel(1);
    c.sendMethod(1, 60, 20, consumeArgs(q));
    await c.expectMethod(60, 21);
    const first = await readDelivery(c, 1);
    expect(first.bodySize).toBe(0n);
    expect(first.bodyFrames).toEqual([]);
    // The next frame is the second delivery's method frame, not an empty body frame.
    const second = await readDelivery(c, 1);
    expect(second.body.toString()).toBe('after');

    // And amqplib sees an empty Buffer.
    await c.close();
    ch.sendToQueue(q, Buffer.alloc(0));
    const m = await consumeOne(ch, q);
    expect(m.content.length).toBe(0);
  });

  it('delivers a 1 MB body intact, split into frame_max − 8 (131064-octet) body frames', async () => {
    expect.hasAssertions();
    const conn = await connect();
    const { ch } = await openChannel(conn);
    const q = await declareQueue(ch, 'one-mb');
    const body = Buffer.alloc(1024 * 1024);
    for (let i = 0; i < body.length; i++) body[i] = (i * 31 + (i >> 8)) & 0xff;
    ch.sendToQueue(q, body);
    ch.sendToQueue(q, body);

    const m = await consumeOneAck(ch, q);
    expect(m.content.length).toBe(body.length);
    expect(m.content.equals(body)).toBe(true);

    const c = await rawConnect();
    expect(c.tune.frameMax).toBe(131072);
    await c.openChannel(1);
    c.sendMethod(1, 60, 20, consumeArgs(q));
    await c.expectMethod(60, 21);
    const d = await readDelivery(c, 1);
    expect(d.bodySize).toBe(BigInt(body.length));
    expect(d.body.equals(body)).toBe(true);
    const max = c.tune.frameMax - 8;
    expect(d.bodyFrames.map((f) => f.length)).toEqual([
      ...Array.from({ length: Math.floor(body.length / max) }, () => max),
      body.length % max,
    ]);
  });

  it('reassembles a body the publisher split over many frames of uneven sizes', async () => {
    expect.hasAssertions();
    const conn = await connect();
    const { ch } = await openChannel(conn);
    const q = await declareQueue(ch, 'split-body');
    const body = Buffer.alloc(50_000);
    for (let i = 0; i < body.length; i++) body[i] = (i * 7 + 3) & 0xff;

    const c = await rawConnect({ tuneOk: { frameMax: 4096 } });
    await c.openChannel(1);
    c.sendMethod(1, 60, 40, publishArgs('', q));
    c.sendFrame(FRAME_HEADER, 1, encodeHeaderPayload(60, body.length));
    const sizes = [1, 4088, 2, 1000, 4088, 17, 3333];
    let off = 0;
    let i = 0;
    const chunks: Buffer[] = [];
    while (off < body.length) {
      const n = Math.min(sizes[i++ % sizes.length]!, body.length - off);
      chunks.push(body.subarray(off, off + n));
      off += n;
    }
    expect(chunks.length).toBeGreaterThan(20);
    // Written as one stream of frames, each frame its own write, so the broker sees frame
    // boundaries at arbitrary places in its reads too.
    for (const chunk of chunks) c.sendFrame(FRAME_BODY, 1, chunk);
    // A second message right after, to show the first one's end was found exactly.
    c.sendMethod(1, 60, 40, publishArgs('', q));
    c.sendFrame(FRAME_HEADER, 1, encodeHeaderPayload(60, 5));
    c.sendFrame(FRAME_BODY, 1, Buffer.from('after'));

    // Delivered to a consumer whose frame_max is 4096: split at 4088.
    c.sendMethod(1, 60, 20, consumeArgs(q));
    await c.expectMethod(60, 21);
    const d = await readDelivery(c, 1);
    expect(d.body.equals(body)).toBe(true);
    expect(d.bodyFrames.every((f) => f.length <= 4088)).toBe(true);
    expect(d.bodyFrames.length).toBe(Math.ceil(body.length / 4088));
    const d2 = await readDelivery(c, 1);
    expect(d2.body.toString()).toBe('after');
    expect(d2.deliveryTag).toBe(2n);
  });

  it('interleaves content from two channels frame by frame without mixing bodies', async () => {
    expect.hasAssertions();
    const conn = await connect();
    const { ch } = await openChannel(conn);
    const qa = await declareQueue(ch, 'interleave-a');
    const qb = await declareQueue(ch, 'interleave-b');
    const c = await rawConnect();
    await c.openChannel(1);
    await c.openChannel(2);
    c.sendMethod(1, 60, 40, publishArgs('', qa));
    c.sendMethod(2, 60, 40, publishArgs('', qb));
    c.sendFrame(FRAME_HEADER, 2, encodeHeaderPayload(60, 6));
    c.sendFrame(FRAME_HEADER, 1, encodeHeaderPayload(60, 6));
    c.sendFrame(FRAME_BODY, 1, Buffer.from('aaa'));
    c.sendFrame(FRAME_BODY, 2, Buffer.from('bbb'));
    c.sendFrame(FRAME_BODY, 2, Buffer.from('BBB'));
    c.sendFrame(FRAME_BODY, 1, Buffer.from('AAA'));
    const ma = await consumeOne(ch, qa);
    const mb = await consumeOne(ch, qb);
    expect(ma.content.toString()).toBe('aaaAAA');
    expect(mb.content.toString()).toBe('bbbBBB');
  });
});

/** Consumes one message with acks and acks it, then cancels the consumer. */
async function consumeOneAck(ch: Channel, q: string): Promise<ConsumeMessage> {
  let resolveMsg!: (m: ConsumeMessage) => void;
  const got = new Promise<ConsumeMessage>((r) => (resolveMsg = r));
  await ch.prefetch(1);
  const { consumerTag } = await ch.consume(q, (m) => m && resolveMsg(m), { noAck: false });
  const m = await withTimeout(got, 10_000, `a delivery from ${q}`);
  await ch.cancel(consumerTag);
  ch.ack(m);
  return m;
}
