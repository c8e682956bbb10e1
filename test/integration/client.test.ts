// The AMQP client (src/client) against a real Warren on port 0, and against RabbitMQ on localhost:5672 when it
// answers: topology, confirms, consume with prefetch, ack/nack, get, cancel, heartbeats, blocked, and its errors.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, connect as netConnect, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { AmqpConnection, Channel, ClosedByBroker, connectUri, HandshakeError, type ConnectOptions, type Delivery } from '../../src/client/index.js';
import { useBroker } from '../support/broker.js';

// A self-signed certificate for localhost, for the amqps listener.
const certDir = mkdtempSync(join(tmpdir(), 'warren-client-tls-'));
execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', 'server.key', '-out', 'server.pem', '-days', '2', '-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost'], { cwd: certDir, stdio: 'ignore' });
const serverPem = readFileSync(join(certDir, 'server.pem'), 'utf8');
const serverKey = readFileSync(join(certDir, 'server.key'), 'utf8');
rmSync(certDir, { recursive: true, force: true });

const broker = useBroker({ alarmCheckInterval: 50, tls: { port: 0, cert: serverPem, key: serverKey } });
const rabbit: ConnectOptions = { host: 'localhost', port: Number(process.env.RABBITMQ_AMQP_PORT ?? 5672) };
const rabbitUp = await AmqpConnection.open({ ...rabbit, timeoutMs: 2000 }).then(
  async (c) => {
    await c.close();
    return true;
  },
  () => false,
);

const until = async (f: () => boolean, ms = 5000) => {
  const end = Date.now() + ms;
  while (!f()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
};

/** Catches a promise's rejection as its value, to assert on it. */
const rejection = (p: Promise<unknown>): Promise<unknown> => p.then(() => new Error('resolved'), (e: unknown) => e);

function scenarios(name: string, target: () => ConnectOptions, skip: boolean) {
  describe.skipIf(skip)(`client against ${name}`, () => {
    it('declares, binds, publishes with confirms, consumes with prefetch, acks, gets and cancels', async () => {
      const conn = await AmqpConnection.open({ ...target(), connectionName: 'client-test' });
      expect(conn.serverProperties.has('product')).toBe(true);
      const ch = await Channel.open(conn, { confirm: true, prefetch: 5 });
      await ch.declareExchange('client-x', 'direct', { autoDelete: true });
      const { queue } = await ch.declareQueue('', { exclusive: true });
      expect(queue).toMatch(/^amq\.gen-/);
      await ch.bindQueue(queue, 'client-x', 'k');
      for (let i = 0; i < 20; i++) ch.publish('client-x', 'k', Buffer.from(`m${i}`), { messageId: String(i), headers: new Map([['n', { type: 'I', value: i }]]) });
      expect(ch.unconfirmedCount).toBe(20);
      await ch.waitForConfirms();
      expect(ch.unconfirmedCount).toBe(0);
      await ch.publishConfirmed('', queue, Buffer.alloc(300_000, 1), { contentType: 'application/octet-stream' });

      // Prefetch 5: only five unacked deliveries until we ack.
      const got: Delivery[] = [];
      const tag = await ch.consume(queue, (d) => got.push(d));
      await until(() => got.length === 5);
      await new Promise((r) => setTimeout(r, 100));
      expect(got.length).toBe(5);
      expect(got[0]).toMatchObject({ consumerTag: tag, exchange: 'client-x', routingKey: 'k', redelivered: false, properties: { messageId: '0' } });
      expect(got[0]!.body.toString()).toBe('m0');
      expect(got[0]!.properties.headers?.get('n')).toEqual({ type: 'I', value: 0 });
      ch.ack(got[4]!.deliveryTag, true);
      await until(() => got.length === 10);
      ch.nack(got[9]!.deliveryTag, true, true);
      // The nacked five come back redelivered.
      await until(() => got.filter((d) => d.redelivered).length === 5);
      await ch.cancel(tag);
      const seen = got.length;
      await ch.qos(0);
      for (const d of got.slice(10)) ch.ack(d.deliveryTag);
      const after = await ch.get(queue);
      expect(after).toBeDefined();
      expect(got.length).toBe(seen);
      ch.ack(after!.deliveryTag);
      let rest = 0;
      while (true) {
        const d = await ch.get(queue, { noAck: true });
        if (!d) break;
        rest++;
        if (d.body.length === 300_000) expect(d.properties.contentType).toBe('application/octet-stream');
      }
      // 21 messages: 5 acked, 5 acked after redelivery or still to come, the rest fetched.
      expect(got.length - 5 + 1 + rest).toBeGreaterThanOrEqual(21 - 5);
      expect(await ch.get(queue)).toBeUndefined();
      await ch.close();
      await conn.close();
      expect(conn.isOpen).toBe(false);
    });

    it('returns unroutable mandatory messages', async () => {
      const conn = await AmqpConnection.open(target());
      const ch = await Channel.open(conn, { confirm: true });
      const returned: Delivery[] = [];
      ch.onReturn = (d) => returned.push(d);
      await ch.publishConfirmed('amq.direct', 'nobody-binds-this', Buffer.from('back'), {}, { mandatory: true });
      await until(() => returned.length === 1);
      expect(returned[0]).toMatchObject({ replyCode: 312, replyText: 'NO_ROUTE', exchange: 'amq.direct', routingKey: 'nobody-binds-this' });
      expect(returned[0]!.body.toString()).toBe('back');
      await conn.close();
    });

    it('refuses a bad login with a clear error carrying 403 ACCESS_REFUSED', async () => {
      const e = await rejection(AmqpConnection.open({ ...target(), username: 'guest', password: 'wrong' }));
      expect(e).toBeInstanceOf(HandshakeError);
      const h = e as HandshakeError;
      expect(h.stage).toBe('login');
      expect(h.replyCode).toBe(403);
      expect(h.message).toMatch(/refused the login \(user 'guest'\): 403 ACCESS_REFUSED - Login was refused using authentication mechanism PLAIN/);
    });

    it('refuses a missing vhost with 530 NOT_ALLOWED', async () => {
      const h = (await rejection(AmqpConnection.open({ ...target(), vhost: 'no-such-vhost' }))) as HandshakeError;
      expect(h).toBeInstanceOf(HandshakeError);
      expect(h.stage).toBe('open');
      expect(h.replyCode).toBe(530);
      expect(h.message).toContain("refused to open vhost 'no-such-vhost': 530 NOT_ALLOWED");
    });

    it("rejects a call with the broker's channel.close code and text, and the connection stays usable", async () => {
      const conn = await AmqpConnection.open(target());
      const ch = await Channel.open(conn);
      const e = (await rejection(ch.declareQueue('client-no-such-queue', { passive: true }))) as ClosedByBroker;
      expect(e).toBeInstanceOf(ClosedByBroker);
      expect(e.scope).toBe('channel');
      expect(e.replyCode).toBe(404);
      expect(e.replyText).toBe("NOT_FOUND - no queue 'client-no-such-queue' in vhost '/'");
      // Later calls on that channel fail with the same error; a new channel works.
      expect(await rejection(ch.declareQueue('x', { passive: true }))).toBe(e);
      expect(() => ch.publish('', 'x', Buffer.from('x'))).toThrow(e);
      // An asynchronous error (publish to a missing exchange) reaches onClose and pending confirms.
      const ch2 = await Channel.open(conn, { confirm: true });
      const closed: Error[] = [];
      ch2.onClose = (err) => closed.push(err);
      const c = (await rejection(ch2.publishConfirmed('client-no-such-exchange', 'k', Buffer.from('x')))) as ClosedByBroker;
      expect(c.replyCode).toBe(404);
      expect(c.replyText).toBe("NOT_FOUND - no exchange 'client-no-such-exchange' in vhost '/'");
      expect(closed).toEqual([c]);
      const ch3 = await Channel.open(conn);
      expect((await ch3.declareQueue('', { exclusive: true })).queue).toMatch(/^amq\.gen-/);
      expect(conn.isOpen).toBe(true);
      await conn.close();
    });

    it('keeps a connection with 1 s heartbeats alive while idle', async () => {
      const conn = await AmqpConnection.open({ ...target(), heartbeat: 1 });
      expect(conn.heartbeat).toBe(1);
      await new Promise((r) => setTimeout(r, 3500));
      expect(conn.isOpen).toBe(true);
      const ch = await Channel.open(conn);
      await ch.declareQueue('', { exclusive: true });
      await conn.close();
    });
  });
}

scenarios('Warren', () => ({ host: '127.0.0.1', port: broker.current.port }), false);
scenarios('RabbitMQ', () => rabbit, !rabbitUp);

describe('client over TLS', () => {
  it('connects to amqps with the CA, publishes and gets; refuses an unknown certificate', async () => {
    const port = broker.current.tlsPort!;
    const conn = await AmqpConnection.open({ host: 'localhost', port, tls: { ca: [serverPem] } });
    const ch = await Channel.open(conn, { confirm: true });
    const { queue } = await ch.declareQueue('', { exclusive: true });
    await ch.publishConfirmed('', queue, Buffer.alloc(200_000, 2));
    const d = await ch.get(queue, { noAck: true });
    expect(d?.body.equals(Buffer.alloc(200_000, 2))).toBe(true);
    await conn.close();
    const h = (await rejection(AmqpConnection.open({ host: 'localhost', port, tls: {} }))) as HandshakeError;
    expect(h).toBeInstanceOf(HandshakeError);
    expect(h.stage).toBe('connect');
    expect(h.message).toBe(`cannot connect to localhost:${port}: self-signed certificate`);
  });

  it('connects from an amqps:// URI with cacertfile and verify_peer', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'warren-client-ca-'));
    try {
      writeFileSync(join(dir, 'ca.pem'), serverPem);
      const port = broker.current.tlsPort!;
      const conn = await connectUri(`amqps://guest:guest@localhost:${port}/%2f?cacertfile=${join(dir, 'ca.pem')}&verify=verify_peer&heartbeat=7`);
      expect(conn.heartbeat).toBe(7);
      const ch = await Channel.open(conn);
      expect((await ch.declareQueue('', { exclusive: true })).queue).toMatch(/^amq\.gen-/);
      await conn.close();
      // verify_peer without the CA: refused at the TLS handshake.
      await expect(connectUri(`amqps://guest:guest@localhost:${port}?verify=verify_peer`)).rejects.toThrow(/self-signed certificate/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('client failures against Warren', () => {
  it('fails pending confirms and calls onError when the socket is closed mid-publish', async () => {
    // A TCP relay in front of the broker, cut while messages are in flight.
    const sockets: Socket[] = [];
    const relay: Server = createServer((s) => {
      const up = netConnect(broker.current.port, '127.0.0.1');
      sockets.push(s, up);
      s.pipe(up).pipe(s);
      s.on('error', () => undefined);
      up.on('error', () => undefined);
    });
    await new Promise<void>((r) => relay.listen(0, '127.0.0.1', r));
    const port = (relay.address() as { port: number }).port;
    const conn = await AmqpConnection.open({ host: '127.0.0.1', port });
    const errors: Error[] = [];
    conn.onError = (e) => errors.push(e);
    const ch = await Channel.open(conn, { confirm: true });
    const { queue } = await ch.declareQueue('', { exclusive: true });
    const body = Buffer.alloc(10_000);
    for (let i = 0; i < 2000; i++) ch.publish('', queue, body);
    const confirmed = ch.waitForConfirms();
    setImmediate(() => sockets.forEach((s) => s.destroy()));
    const e = (await rejection(confirmed)) as Error;
    // A reset or an orderly close, whichever the kernel reports first.
    expect(e.message).toMatch(new RegExp(`^(127\\.0\\.0\\.1:${port} closed the connection|connection to 127\\.0\\.0\\.1:${port} lost: .+)$`));
    expect(errors).toEqual([e]);
    expect(conn.isOpen).toBe(false);
    expect(() => ch.publish('', queue, body)).toThrow(e);
    relay.close();
  });

  it('tells its life once: open, then failed with the close code when the broker closes it; its options reopen it', async () => {
    const conn = await AmqpConnection.open({ host: '127.0.0.1', port: broker.current.port, connectionName: 'lifecycle' });
    expect(conn.state).toBe('open');
    const closes: Array<Error | undefined> = [];
    conn.onClose = (e) => closes.push(e);
    for (const c of broker.current.server.connections) if (c.clientProperties.get('connection_name')?.value === 'lifecycle') c.forceClose('go away');
    await until(() => closes.length === 1);
    expect(conn.state).toBe('failed');
    const e = closes[0] as ClosedByBroker;
    expect(e).toBeInstanceOf(ClosedByBroker);
    expect([e.scope, e.replyCode, e.replyText]).toEqual(['connection', 320, 'CONNECTION_FORCED - go away']);
    await new Promise((r) => setTimeout(r, 50));
    expect(closes.length).toBe(1);
    const again = await AmqpConnection.open(conn.options);
    const ended: Array<Error | undefined> = [];
    again.onClose = (err) => ended.push(err);
    await again.close();
    expect(again.state).toBe('closed');
    expect(ended).toEqual([undefined]);
  });

  it('says who is not answering when nothing listens', async () => {
    const s = createServer();
    await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
    const port = (s.address() as { port: number }).port;
    await new Promise<void>((r) => s.close(() => r()));
    const h = (await rejection(AmqpConnection.open({ host: '127.0.0.1', port }))) as HandshakeError;
    expect(h).toBeInstanceOf(HandshakeError);
    expect(h.stage).toBe('connect');
    expect(h.code).toBe('ECONNREFUSED');
    expect(h.message).toMatch(new RegExp(`^cannot connect to 127.0.0.1:${port}: connect ECONNREFUSED`));
  });

  it('reports connection.blocked and unblocked', async () => {
    const conn = await AmqpConnection.open({ host: '127.0.0.1', port: broker.current.port });
    const events: Array<string | undefined> = [];
    conn.onBlocked = (reason) => events.push(reason);
    const ch = await Channel.open(conn, { confirm: true });
    await ch.publishConfirmed('amq.direct', 'x', Buffer.from('x'));
    broker.current.server.alarms.setMemoryHighWatermark({ absolute: 1 });
    try {
      // RabbitMQ blocks a connection when it next publishes.
      ch.publish('amq.direct', 'x', Buffer.from('x'));
      await until(() => events.length === 1);
      expect(conn.blockedReason).toBe('low on memory');
    } finally {
      broker.current.server.alarms.setMemoryHighWatermark({ relative: 0.9 });
    }
    await until(() => events.length === 2);
    expect(events).toEqual(['low on memory', undefined]);
    await ch.waitForConfirms();
    await conn.close();
  });
});
