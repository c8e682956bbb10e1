// Misbehaving clients, over the raw-socket client. For each case: the exact reply RabbitMQ 3.10
// gives (code, text, class/method ids), or that it closes the socket without a word; and that a
// well-behaved amqplib connection opened before the bad one (the "bystander") still works after.
import { afterEach, describe, expect, it } from 'vitest';
import { closeAllAmqp, openBystander, uniqueName } from '../support/amqp.js';
import {
  FRAME_BODY,
  FRAME_HEADER,
  FRAME_HEARTBEAT,
  FRAME_METHOD,
  PROTOCOL_HEADER,
  SocketClosedError,
  args,
  destroyAllRaw,
  encodeFrame,
  encodeHeaderPayload,
  encodeMethodPayload,
  rawConnect,
  sendAndCollect,
  type CloseInfo,
  type RawConnection,
} from '../support/raw.js';

afterEach(async () => {
  destroyAllRaw();
  await closeAllAmqp();
});

/** Runs a misbehaving client's script with a bystander connection open around it. */
async function withBystander(misbehave: () => Promise<void>): Promise<void> {
  const bystander = await openBystander();
  await misbehave();
  await bystander.assertStillWorks();
  await bystander.close();
}

/**
 * Expects the next frames to end in connection.close, answers close-ok, and expects the socket
 * to be closed by the broker soon after. Returns the close's fields.
 */
async function expectConnectionClosed(c: RawConnection, closeWithinMs = 10_000): Promise<CloseInfo> {
  const close = await c.expectConnectionClose(5_000);
  await expect(c.waitForClose(closeWithinMs)).resolves.toBeUndefined();
  return close;
}

/** Expects the broker to close the socket without sending any frame (no connection.close). */
async function expectSilentClose(c: RawConnection, withinMs = 10_000): Promise<void> {
  const err = await c.nextFrame(withinMs, 'the socket to close').then(
    (f) => new Error(`expected a silent close, got a frame: type ${f.type} ch ${f.channel} ${f.method ? `${f.method.classId}.${f.method.methodId}` : ''}`),
    (e: Error) => e,
  );
  expect(err).toBeInstanceOf(SocketClosedError);
  expect(c.isClosed).toBe(true);
  expect(c.pendingBytes.length).toBe(0);
}

const queueDeclareArgs = (name: string) => args().short(0).shortstr(name).bits(false, false, false, true, false).table({}).build();
const basicQosArgs = (prefetchSize: number, prefetchCount: number) => args().long(prefetchSize).short(prefetchCount).bits(false).build();

describe('protocol header', () => {
  it.for([
    ['AMQP 0-9-2', Buffer.from('AMQP\x00\x00\x09\x02', 'latin1')],
    ['AMQP 1.0', Buffer.from('AMQP\x00\x01\x00\x00', 'latin1')],
    ['HTTP/1.1', Buffer.from('HTTP/1.1', 'latin1')],
    ['an HTTP request', Buffer.from('GET / HTTP/1.1\r\nHost: localhost\r\n\r\n', 'latin1')],
  ] as const)('answers %s with the AMQP 0-9-1 header and closes the socket', async ([, header]) => {
    expect.hasAssertions();
    await withBystander(async () => {
      const reply = await sendAndCollect(header, 10_000);
      expect(reply.toString('hex')).toBe(PROTOCOL_HEADER.toString('hex')); // exactly "AMQP\0\0\x09\x01"
    });
  });
});

describe('channels', () => {
  it("refuses channel.open on an already-open channel with 504 CHANNEL_ERROR \"second 'channel.open' seen\"", async () => {
    expect.hasAssertions();
    await withBystander(async () => {
      const c = await rawConnect();
      await c.openChannel(1);
      c.sendMethod(1, 20, 10, args().shortstr('').build());
      expect(await expectConnectionClosed(c)).toEqual({
        replyCode: 504,
        replyText: "CHANNEL_ERROR - second 'channel.open' seen",
        classId: 20,
        methodId: 10,
      });
    });
  });

  it("refuses a method on a channel never opened with 504 CHANNEL_ERROR \"expected 'channel.open'\"", async () => {
    expect.hasAssertions();
    await withBystander(async () => {
      const c = await rawConnect();
      c.sendMethod(3, 50, 10, queueDeclareArgs(uniqueName('never-opened')));
      expect(await expectConnectionClosed(c)).toEqual({
        replyCode: 504,
        replyText: "CHANNEL_ERROR - expected 'channel.open'",
        classId: 50,
        methodId: 10,
      });
    });
  });

  it('refuses a channel-class method on channel 0 with 504 CHANNEL_ERROR "unexpected method in connection state running"', async () => {
    expect.hasAssertions();
    await withBystander(async () => {
      const c = await rawConnect();
      c.sendMethod(0, 50, 10, queueDeclareArgs(uniqueName('channel-zero')));
      expect(await expectConnectionClosed(c)).toEqual({
        replyCode: 504,
        replyText: 'CHANNEL_ERROR - unexpected method in connection state running',
        classId: 50,
        methodId: 10,
      });
    });
  });

  it('refuses a channel.open past the negotiated channel_max count with 530 NOT_ALLOWED', async () => {
    expect.hasAssertions();
    await withBystander(async () => {
      const c = await rawConnect({ tuneOk: { channelMax: 3 } });
      for (const ch of [1, 2, 3]) await c.openChannel(ch);
      c.sendMethod(4, 20, 10, args().shortstr('').build());
      expect(await expectConnectionClosed(c)).toEqual({
        replyCode: 530,
        replyText: 'NOT_ALLOWED - number of channels opened (3) has reached the negotiated channel_max (3)',
        classId: 0,
        methodId: 0,
      });
    });
  });

  it('counts open channels against channel_max, not channel numbers: a closed channel frees a slot', async () => {
    expect.hasAssertions();
    await withBystander(async () => {
      const c = await rawConnect({ tuneOk: { channelMax: 2 } });
      await c.openChannel(1);
      await c.openChannel(2);
      c.sendMethod(1, 20, 40, args().short(200).shortstr('').short(0).short(0).build());
      await c.expectMethod(20, 41);
      await c.openChannel(9); // number above channel_max, but only 2 open: accepted
      c.sendMethod(10, 20, 10, args().shortstr('').build());
      const close = await expectConnectionClosed(c);
      expect(close.replyCode).toBe(530);
      expect(close.replyText).toBe('NOT_ALLOWED - number of channels opened (2) has reached the negotiated channel_max (2)');
    });
  });

  it('accepts channel numbers above channel_max (2048, 65535) while fewer than channel_max channels are open', async () => {
    expect.hasAssertions();
    await withBystander(async () => {
      const c = await rawConnect();
      expect(c.tune.channelMax).toBe(2047);
      await c.openChannel(2048);
      await c.openChannel(65535);
      c.sendMethod(65535, 50, 10, queueDeclareArgs(uniqueName('high-channel')));
      const ok = await c.expectMethod(50, 11);
      expect(ok.channel).toBe(65535);
      await c.close();
      expect(c.isClosed).toBe(true);
    });
  });
});

describe('frames', () => {
  it('refuses a content header with no preceding method with 505 UNEXPECTED_FRAME', async () => {
    expect.hasAssertions();
    await withBystander(async () => {
      const c = await rawConnect();
      await c.openChannel(1);
      c.sendFrame(FRAME_HEADER, 1, encodeHeaderPayload(60, 0));
      expect(await expectConnectionClosed(c)).toEqual({
        replyCode: 505,
        replyText: 'UNEXPECTED_FRAME - expected method frame, got non method frame instead',
        classId: 0,
        methodId: 0,
      });
    });
  });

  it('refuses a content header on a channel never opened with 505 UNEXPECTED_FRAME (not 504)', async () => {
    expect.hasAssertions();
    await withBystander(async () => {
      const c = await rawConnect();
      c.sendFrame(FRAME_HEADER, 5, encodeHeaderPayload(60, 0));
      expect(await expectConnectionClosed(c)).toEqual({
        replyCode: 505,
        replyText: 'UNEXPECTED_FRAME - expected method frame, got non method frame instead',
        classId: 0,
        methodId: 0,
      });
    });
  });

  it('refuses a content body with no preceding method with 505 UNEXPECTED_FRAME', async () => {
    expect.hasAssertions();
    await withBystander(async () => {
      const c = await rawConnect();
      await c.openChannel(1);
      c.sendFrame(FRAME_BODY, 1, Buffer.from('orphan body'));
      expect(await expectConnectionClosed(c)).toEqual({
        replyCode: 505,
        replyText: 'UNEXPECTED_FRAME - expected method frame, got non method frame instead',
        classId: 0,
        methodId: 0,
      });
    });
  });

  it('refuses a heartbeat frame on a non-zero channel with 505 UNEXPECTED_FRAME "type 8, all octets = <<>>"', async () => {
    expect.hasAssertions();
    await withBystander(async () => {
      const c = await rawConnect();
      await c.openChannel(1);
      c.sendFrame(FRAME_HEARTBEAT, 1, Buffer.alloc(0));
      expect(await expectConnectionClosed(c)).toEqual({
        replyCode: 505,
        replyText: 'UNEXPECTED_FRAME - type 8, all octets = <<>>',
        classId: 0,
        methodId: 0,
      });
    });
  });

  it('refuses an unknown frame type with 501 FRAME_ERROR "unknown_frame"', async () => {
    expect.hasAssertions();
    await withBystander(async () => {
      const c = await rawConnect();
      await c.openChannel(1);
      c.sendFrame(5, 1, Buffer.alloc(0));
      expect(await expectConnectionClosed(c)).toEqual({
        replyCode: 501,
        replyText: 'FRAME_ERROR - type 5, all octets = <<>>: unknown_frame',
        classId: 0,
        methodId: 0,
      });
    });
  });

  it('refuses a frame whose payload exceeds the negotiated frame_max (131072) with 501 FRAME_ERROR frame_too_large', async () => {
    expect.hasAssertions();
    await withBystander(async () => {
      const c = await rawConnect();
      expect(c.tune.frameMax).toBe(131072);
      await c.openChannel(1);
      // A queue.declare whose arguments table pads the payload to frame_max + 1 octets.
      const pad = 131073 - 4 - queueDeclareArgs('q').length - 1 - 'p'.length - 1 - 4;
      const payload = encodeMethodPayload(50, 10, args().short(0).shortstr('q').bits(false, false, false, true, false).table({ p: 'x'.repeat(pad) }).build());
      expect(payload.length).toBe(131073);
      c.sendFrame(FRAME_METHOD, 1, payload);
      // RabbitMQ reports the limit as frame_max - 8 but only refuses payloads above frame_max.
      expect(await expectConnectionClosed(c)).toEqual({
        replyCode: 501,
        replyText: 'FRAME_ERROR - type 1, all octets = <<>>: {frame_too_large,131073,131064}',
        classId: 0,
        methodId: 0,
      });
    });
  });

  it('enforces a frame_max lowered by the client in tune-ok (4096): a 4097-octet body frame gets 501 FRAME_ERROR', async () => {
    expect.hasAssertions();
    await withBystander(async () => {
      const c = await rawConnect({ tuneOk: { frameMax: 4096 } });
      await c.openChannel(1);
      c.sendFrame(FRAME_BODY, 1, Buffer.alloc(4097, 0x61));
      expect(await expectConnectionClosed(c)).toEqual({
        replyCode: 501,
        replyText: 'FRAME_ERROR - type 3, all octets = <<>>: {frame_too_large,4097,4088}',
        classId: 0,
        methodId: 0,
      });
    });
  });

  it('refuses a frame as soon as its header declares a payload above frame_max, before the payload arrives', async () => {
    expect.hasAssertions();
    await withBystander(async () => {
      const c = await rawConnect({ tuneOk: { frameMax: 4096 } });
      await c.openChannel(1);
      const header = Buffer.alloc(7);
      header.writeUInt8(FRAME_METHOD, 0);
      header.writeUInt16BE(1, 1);
      header.writeUInt32BE(1_000_000, 3);
      c.sendRaw(header);
      expect(await expectConnectionClosed(c)).toEqual({
        replyCode: 501,
        replyText: 'FRAME_ERROR - type 1, all octets = <<>>: {frame_too_large,1000000,4088}',
        classId: 0,
        methodId: 0,
      });
    });
  });

  it('accepts a body frame whose payload is exactly frame_max octets (RabbitMQ allows the 8 framing octets on top), but sends at most frame_max - 8', async () => {
    expect.hasAssertions();
    await withBystander(async () => {
      const c = await rawConnect({ tuneOk: { frameMax: 4096 } });
      await c.openChannel(1);
      const q = uniqueName('frame-max-exact');
      c.sendMethod(1, 50, 10, queueDeclareArgs(q));
      await c.expectMethod(50, 11);
      const body = Buffer.alloc(4096, 0x62);
      // basic.publish(reserved, exchange "", routing key q, mandatory, immediate)
      c.sendMethod(1, 60, 40, args().short(0).shortstr('').shortstr(q).bits(false, false).build());
      c.sendFrame(FRAME_HEADER, 1, encodeHeaderPayload(60, body.length));
      c.sendFrame(FRAME_BODY, 1, body);
      // basic.get(reserved, queue, no-ack) returns the message in one 4096-octet body frame.
      c.sendMethod(1, 60, 70, args().short(0).shortstr(q).bits(true).build());
      await c.expectMethod(60, 71);
      const header = await c.nextNonHeartbeat();
      expect(header.type).toBe(FRAME_HEADER);
      expect(header.payload.readBigUInt64BE(4)).toBe(4096n);
      // Outgoing, the broker keeps to frame_max - 8 payload octets: 4088 + 8.
      const first = await c.nextNonHeartbeat();
      const second = await c.nextNonHeartbeat();
      expect([first.type, second.type]).toEqual([FRAME_BODY, FRAME_BODY]);
      expect([first.payload.length, second.payload.length]).toEqual([4088, 8]);
      expect(Buffer.concat([first.payload, second.payload]).equals(body)).toBe(true);
      c.sendMethod(1, 50, 40, args().short(0).shortstr(q).bits(false, false, false).build());
      await c.expectMethod(50, 41);
      await c.close();
      expect(c.isClosed).toBe(true);
    });
  });

  it('refuses a frame whose end octet is not 0xCE with 501 FRAME_ERROR invalid_frame_end_marker', async () => {
    expect.hasAssertions();
    await withBystander(async () => {
      const c = await rawConnect();
      await c.openChannel(1);
      // basic.qos(0, 10, false) with frame-end 0x00
      c.sendRaw(encodeFrame(FRAME_METHOD, 1, encodeMethodPayload(60, 10, basicQosArgs(0, 10)), 0x00));
      const close = await expectConnectionClosed(c);
      expect(close.replyCode).toBe(501);
      expect(close.classId).toBe(0);
      expect(close.methodId).toBe(0);
      // RabbitMQ's text is an Erlang-formatted term that wraps with a newline and indent before
      // the last element; compare with whitespace removed after the prefix.
      const prefix = 'FRAME_ERROR - type 1, all octets = <<0,60,0,10,0,0,0,0,0,10,0>>: ';
      expect(close.replyText.startsWith(prefix)).toBe(true);
      expect(close.replyText.slice(prefix.length).replace(/\s+/g, '')).toBe('{invalid_frame_end_marker,0}');
    });
  });

  it('refuses a heartbeat frame with a bad end octet on channel 0 with 501 FRAME_ERROR', async () => {
    expect.hasAssertions();
    await withBystander(async () => {
      const c = await rawConnect();
      c.sendRaw(encodeFrame(FRAME_HEARTBEAT, 0, Buffer.alloc(0), 0x41));
      expect(await expectConnectionClosed(c)).toEqual({
        replyCode: 501,
        replyText: 'FRAME_ERROR - type 8, all octets = <<>>: {invalid_frame_end_marker,65}',
        classId: 0,
        methodId: 0,
      });
    });
  });
});

describe('methods', () => {
  it.for([
    ['an unknown class id (99.1) on an open channel', 1, 99, 1, true],
    ['an unknown method id of a known class (basic 60.99) on an open channel', 1, 60, 99, true],
    ['an unknown class id (99.1) on a channel never opened', 1, 99, 1, false],
    ['an unknown connection method (10.99) on channel 0', 0, 10, 99, false],
  ] as const)('closes the socket without connection.close on %s', async ([, channel, classId, methodId, open]) => {
    expect.hasAssertions();
    await withBystander(async () => {
      const c = await rawConnect();
      if (open) await c.openChannel(channel);
      c.sendMethod(channel, classId, methodId);
      await expectSilentClose(c);
    });
  });

  it('refuses basic.qos with prefetch_size != 0 with 540 NOT_IMPLEMENTED "prefetch_size!=0 (1000)"', async () => {
    expect.hasAssertions();
    await withBystander(async () => {
      const c = await rawConnect();
      await c.openChannel(1);
      c.sendMethod(1, 60, 10, basicQosArgs(1000, 10));
      expect(await expectConnectionClosed(c)).toEqual({
        replyCode: 540,
        replyText: 'NOT_IMPLEMENTED - prefetch_size!=0 (1000)',
        classId: 60,
        methodId: 10,
      });
    });
  });
});

describe('handshake', () => {
  it('closes the socket without connection.close (and without connection.tune) for an unknown SASL mechanism', async () => {
    expect.hasAssertions();
    await withBystander(async () => {
      const err = await rawConnect({ mechanism: 'NOT-A-MECHANISM', response: Buffer.from('x') }).then(
        () => undefined,
        (e: Error) => e,
      );
      expect(err).toBeInstanceOf(SocketClosedError);
      expect(err!.message).toContain('connection.tune');
    });
  });

  it.for([
    ['channel_max 0 (no limit, above the server 2047)', { channelMax: 0 }],
    ['channel_max 3000 (above the server 2047)', { channelMax: 3000 }],
    ['frame_max 0 (no limit, above the server 131072)', { frameMax: 0 }],
    ['frame_max 200000 (above the server 131072)', { frameMax: 200000 }],
    ['frame_max 1000 (below the 4096 minimum)', { frameMax: 1000 }],
  ] as const)('closes the socket without connection.close for a tune-ok with %s', async ([, tuneOk]) => {
    expect.hasAssertions();
    await withBystander(async () => {
      const err = await rawConnect({ tuneOk }).then(
        () => undefined,
        (e: Error) => e,
      );
      expect(err).toBeInstanceOf(SocketClosedError);
      expect(err!.message).toContain('connection.open-ok');
    });
  });
});
