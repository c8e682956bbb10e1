// Connection lifecycle over amqplib (and the raw client where amqplib hides the wire):
// authentication, vhosts, host names, server properties, tuning, channel churn, clean close.
import { afterEach, describe, expect, it } from 'vitest';
import { amqp, closeAllAmqp, connect, tuning } from '../support/amqp.js';
import { connect as netConnect } from 'node:net';
import { ArgsReader, HandshakeRefusedError, PROTOCOL_HEADER, args, destroyAllRaw, encodeMethodFrame, hostPort, rawConnect, rawSocket } from '../support/raw.js';
import { isLoopbackHost, url, withCredentials, withHost, withQuery, withVhost } from '../support/urls.js';

afterEach(async () => {
  destroyAllRaw();
  await closeAllAmqp();
});

/** Runs fn expecting the opening handshake to be refused, and returns the refusal. */
async function refusal(p: Promise<unknown>): Promise<HandshakeRefusedError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof HandshakeRefusedError) return e;
    throw e;
  }
  throw new Error('handshake unexpectedly succeeded');
}

describe('authentication', () => {
  it('accepts PLAIN credentials taken from the URL', async () => {
    expect.hasAssertions();
    const conn = await connect(url());
    const ch = await conn.createChannel();
    const q = await ch.assertQueue('', { exclusive: true });
    expect(q.queue).toMatch(/^amq\.gen-/);
    await conn.close();
  });

  it('accepts AMQPLAIN credentials', async () => {
    expect.hasAssertions();
    const u = new URL(url());
    const conn = await connect(url(), {
      credentials: amqp.credentials.amqplain(decodeURIComponent(u.username || 'guest'), decodeURIComponent(u.password || 'guest')),
    });
    const ch = await conn.createChannel();
    await expect(ch.checkExchange('amq.direct')).resolves.toBeDefined();
    await conn.close();
  });

  it('refuses a wrong password with 403 ACCESS_REFUSED (amqplib)', async () => {
    expect.hasAssertions();
    const err = await connect(withCredentials('guest', 'not-the-password')).then(
      () => undefined,
      (e: Error) => e,
    );
    expect(err).toBeInstanceOf(Error);
    // amqplib: 'Handshake terminated by server: 403 (ACCESS-REFUSED) with message "ACCESS_REFUSED - ..."'
    expect(err!.message).toContain('403');
    expect(err!.message).toContain('ACCESS_REFUSED - Login was refused using authentication mechanism PLAIN');
  });

  it('refuses a wrong password with connection.close 403 ACCESS_REFUSED, class 0 method 0, then closes the socket', async () => {
    expect.hasAssertions();
    const e = await refusal(rawConnect({ user: 'guest', password: 'not-the-password' }));
    expect(e.close).toEqual({
      replyCode: 403,
      replyText: 'ACCESS_REFUSED - Login was refused using authentication mechanism PLAIN. For details see the broker logfile.',
      classId: 0,
      methodId: 0,
    });
  });

  it('refuses an unknown user with 403 ACCESS_REFUSED, same text as a wrong password', async () => {
    expect.hasAssertions();
    const e = await refusal(rawConnect({ user: 'no-such-user', password: 'whatever' }));
    expect(e.close.replyCode).toBe(403);
    expect(e.close.replyText).toBe(
      'ACCESS_REFUSED - Login was refused using authentication mechanism PLAIN. For details see the broker logfile.',
    );
  });

  it('refuses a wrong AMQPLAIN password with 403 ACCESS_REFUSED naming AMQPLAIN', async () => {
    expect.hasAssertions();
    const err = await connect(url(), { credentials: amqp.credentials.amqplain('guest', 'not-the-password') }).then(
      () => undefined,
      (e: Error) => e,
    );
    expect(err).toBeInstanceOf(Error);
    expect(err!.message).toContain('403');
    expect(err!.message).toContain('ACCESS_REFUSED - Login was refused using authentication mechanism AMQPLAIN');
  });
});

describe('virtual hosts', () => {
  it('refuses an unknown vhost (amqplib rejects the connect)', async () => {
    expect.hasAssertions();
    // amqplib 2 reports this as 'Expected ConnectionOpenOk; got <ConnectionClose channel:0>'.
    await expect(connect(withVhost('nope'))).rejects.toThrow(/ConnectionClose|NOT_ALLOWED|530/);
  });

  it('refuses an unknown vhost with connection.close 530 NOT_ALLOWED "vhost nope not found" on connection.open', async () => {
    expect.hasAssertions();
    const e = await refusal(rawConnect({ vhost: 'nope' }));
    expect(e.close).toEqual({ replyCode: 530, replyText: 'NOT_ALLOWED - vhost nope not found', classId: 10, methodId: 40 });
  });

  it('opens the default vhost "/" given as %2F in the URL', async () => {
    expect.hasAssertions();
    const conn = await connect(withVhost('/'));
    const ch = await conn.createChannel();
    await expect(ch.checkExchange('amq.fanout')).resolves.toBeDefined();
    await conn.close();
  });
});

describe('host names', () => {
  it.for(['127.0.0.1', 'localhost'])('accepts connections addressed to %s', async (host, { skip }) => {
    expect.hasAssertions();
    // Only meaningful when the broker under test is on this machine's loopback interface.
    if (!isLoopbackHost(new URL(url()).hostname)) skip();
    const conn = await connect(withHost(host));
    const ch = await conn.createChannel();
    await expect(ch.checkExchange('amq.topic')).resolves.toBeDefined();
    await conn.close();
  });
});

describe('server properties and tuning', () => {
  it('advertises product, version, platform and the standard capabilities', async () => {
    expect.hasAssertions();
    const conn = await connect();
    const props = conn.connection.serverProperties as unknown as Record<string, unknown>;
    for (const k of ['product', 'version', 'platform']) {
      expect(typeof props[k], k).toBe('string');
      expect((props[k] as string).length, k).toBeGreaterThan(0);
    }
    expect(props.capabilities).toMatchObject({
      publisher_confirms: true,
      exchange_exchange_bindings: true,
      'basic.nack': true,
      consumer_cancel_notify: true,
      'connection.blocked': true,
      authentication_failure_close: true,
      per_consumer_qos: true,
    });
    await conn.close();
  });

  it('sends connection.start version 0-9 offering mechanisms "AMQPLAIN PLAIN" and locale en_US', async () => {
    expect.hasAssertions();
    const c = await rawSocket();
    c.sendRaw(PROTOCOL_HEADER);
    const start = await c.expectMethod(10, 10);
    expect(start.channel).toBe(0);
    const r = new ArgsReader(start.method!.args);
    expect([r.octet(), r.octet()]).toEqual([0, 9]);
    const props = r.table();
    expect(props.capabilities).toBeTypeOf('object');
    expect(r.longstr().split(' ').sort()).toEqual(['AMQPLAIN', 'PLAIN']);
    expect(r.longstr()).toBe('en_US');
    c.destroy();
  });

  it('proposes channel_max 2047, frame_max 131072 and heartbeat 60 in connection.tune', async () => {
    expect.hasAssertions();
    const c = await rawConnect();
    expect(c.serverTune).toEqual({ channelMax: 2047, frameMax: 131072, heartbeat: 60 });
    await c.close();
  });

  it('negotiates the heartbeat the client asks for (?heartbeat=5)', async () => {
    expect.hasAssertions();
    const conn = await connect(withQuery({ heartbeat: 5 }));
    expect(tuning(conn).heartbeat).toBe(5);
    await conn.close();
  });

  it('uses the server-proposed heartbeat (60) when the client has no preference', async () => {
    expect.hasAssertions();
    const conn = await connect();
    expect(tuning(conn)).toMatchObject({ heartbeat: 60, channelMax: 2047, frameMax: 131072 });
    await conn.close();
  });

  it('lets the client disable heartbeats (?heartbeat=0)', async () => {
    expect.hasAssertions();
    const conn = await connect(withQuery({ heartbeat: 0 }));
    expect(tuning(conn).heartbeat).toBe(0);
    const ch = await conn.createChannel();
    await expect(ch.checkExchange('amq.direct')).resolves.toBeDefined();
    await conn.close();
  });
});

describe('channels', () => {
  it('opens and closes 2000 channels one after another on one connection', async () => {
    expect.hasAssertions();
    const conn = await connect();
    let opened = 0;
    for (let i = 0; i < 2000; i++) {
      const ch = await conn.createChannel();
      opened++;
      await ch.close();
    }
    expect(opened).toBe(2000);
    const ch = await conn.createChannel();
    await expect(ch.checkExchange('amq.direct')).resolves.toBeDefined();
    await conn.close();
  });

  it('holds 200 channels open at once and uses each of them', async () => {
    expect.hasAssertions();
    const conn = await connect();
    const channels = await Promise.all(Array.from({ length: 200 }, () => conn.createChannel()));
    expect(channels).toHaveLength(200);
    const oks = await Promise.all(channels.map((ch) => ch.checkExchange('amq.direct')));
    expect(oks).toHaveLength(200);
    await Promise.all(channels.map((ch) => ch.close()));
    await conn.close();
  });

  it('closing a channel leaves the connection and its other channels open', async () => {
    expect.hasAssertions();
    const conn = await connect();
    const a = await conn.createChannel();
    const b = await conn.createChannel();
    await a.close();
    await expect(b.checkExchange('amq.direct')).resolves.toBeDefined();
    const c = await conn.createChannel();
    await expect(c.checkExchange('amq.fanout')).resolves.toBeDefined();
    await conn.close();
  });
});

describe('closing', () => {
  it('closes cleanly: close() resolves and "close" fires without an error', async () => {
    expect.hasAssertions();
    const conn = await connect();
    await conn.createChannel();
    const closeEvent = new Promise<Error | undefined>((resolve) => conn.once('close', (e?: Error) => resolve(e)));
    const errors: Error[] = [];
    conn.on('error', (e: Error) => errors.push(e));
    await conn.close();
    expect(await closeEvent).toBeUndefined();
    expect(errors).toEqual([]);
  });

  it('answers a client connection.close with close-ok on channel 0, with channels still open', async () => {
    expect.hasAssertions();
    const c = await rawConnect();
    await c.openChannel(1);
    await c.openChannel(2);
    c.sendMethod(0, 10, 50, Buffer.from([0, 200, 0, 0, 0, 0, 0]));
    const ok = await c.expectMethod(10, 51);
    expect(ok.channel).toBe(0);
    expect(ok.payload.length).toBe(4);
    // RabbitMQ leaves closing the TCP connection to the client after close-ok (it would only
    // drop it itself 30 s later), so the client closes here.
    c.socket.end();
    await expect(c.waitForClose(10_000)).resolves.toBeUndefined();
  });

  it('a channel.close crossing the broker\'s own channel.close gets close-ok, and the channel ends at the client\'s close-ok', async () => {
    expect.hasAssertions();
    const c = await rawConnect();
    await c.openChannel(1);
    // A passive declare of a missing queue makes the broker close the channel (404) while the client,
    // in the same write, closes it too: each side then answers the other's close.
    const passive = args().short(0).shortstr(`missing-${process.pid}-${Date.now()}`).bits(true, false, false, false, false).table({}).build();
    const close = args().short(200).shortstr('bye').short(0).short(0).build();
    c.sendRaw(Buffer.concat([encodeMethodFrame(1, 50, 10, passive), encodeMethodFrame(1, 20, 40, close)]));
    const brokerClose = await c.expectChannelClose(1, 5_000, false);
    expect(brokerClose.replyCode).toBe(404);
    await c.expectMethod(20, 41);
    c.sendMethod(1, 20, 41);
    // The client's close-ok ended the channel; the connection is still open and the number can be reused.
    await c.openChannel(1);
    c.sendMethod(1, 40, 10, args().short(0).shortstr('amq.direct').shortstr('direct').bits(true, false, false, false, false).table({}).build());
    await expect(c.expectMethod(40, 11)).resolves.toBeDefined();
  });
});

describe('protocol header', () => {
  for (const [name, bytes] of [
    ['AMQP 0-9 (1,1,0,9), as Net::AMQP sends it', [0x41, 0x4d, 0x51, 0x50, 1, 1, 0, 9]],
  ] as const) {
    it(`answers the older header ${name} with connection.start for 0-9`, async () => {
      expect.hasAssertions();
      const { host, port } = hostPort();
      const socket = netConnect({ host, port });
      const first = await new Promise<Buffer>((resolve, reject) => {
        socket.once('data', resolve);
        socket.once('error', reject);
        socket.write(Buffer.from(bytes));
      });
      socket.destroy();
      // A method frame on channel 0: connection.start (10,10), version 0-9.
      expect([first[0], first.readUInt16BE(1), first.readUInt16BE(7), first.readUInt16BE(9), first[11], first[12]]).toEqual([1, 0, 10, 10, 0, 9]);
    });
  }
});
