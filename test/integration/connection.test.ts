// Connecting with amqplib: mechanisms, addresses, heartbeats, many channels, refusals and clean shutdown.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import amqp from 'amqplib';
import { describe, expect, it } from 'vitest';
import { useBroker } from '../support/broker.js';

const broker = useBroker();

function urlFor(host: string, extra = ''): string {
  return `amqp://guest:guest@${host}:${broker.current.port}${extra}`;
}

describe('connection', () => {
  for (const host of ['localhost', '127.0.0.1', '[::1]']) {
    it(`accepts PLAIN logins on ${host}`, async () => {
      expect.hasAssertions();
      const conn = await amqp.connect(urlFor(host));
      const ch = await conn.createChannel();
      const q = await ch.assertQueue('', { exclusive: true });
      expect(q.queue).toMatch(/^amq\.gen-/);
      await conn.close();
    });
  }

  it('accepts AMQPLAIN logins', async () => {
    expect.hasAssertions();
    const conn = await amqp.connect(urlFor('localhost'), { credentials: amqp.credentials.amqplain('guest', 'guest') });
    const ch = await conn.createChannel();
    expect(await ch.checkExchange('amq.direct')).toBeDefined();
    await conn.close();
  });

  it('advertises RabbitMQ-style server properties', async () => {
    expect.hasAssertions();
    const conn = await amqp.connect(urlFor('localhost'));
    const props = conn.connection.serverProperties as Record<string, unknown>;
    expect(props.product).toBe('Warren');
    expect(typeof props.version).toBe('string');
    expect(props.capabilities).toMatchObject({ publisher_confirms: true, 'basic.nack': true, consumer_cancel_notify: true, exchange_exchange_bindings: true });
    await conn.close();
  });

  it('refuses a wrong password with 403 ACCESS_REFUSED', async () => {
    expect.hasAssertions();
    await expect(amqp.connect(`amqp://guest:wrong@localhost:${broker.current.port}`)).rejects.toThrow(/ACCESS_REFUSED|403/);
  });

  it('refuses an unknown user with 403 ACCESS_REFUSED', async () => {
    expect.hasAssertions();
    await expect(amqp.connect(`amqp://nobody:guest@localhost:${broker.current.port}`)).rejects.toThrow(/ACCESS_REFUSED|403/);
  });

  it('refuses an unknown vhost with connection.close (amqplib hides the code; the raw test checks 530)', async () => {
    expect.hasAssertions();
    await expect(amqp.connect(urlFor('localhost', '/nope'))).rejects.toThrow(/ConnectionClose/);
  });

  it('negotiates the heartbeat the client asks for', async () => {
    expect.hasAssertions();
    const conn = await amqp.connect(urlFor('localhost', '?heartbeat=1'));
    expect((conn.connection as unknown as { heartbeat: number }).heartbeat).toBe(1);
    // Idle for longer than two intervals: heartbeats keep the connection up.
    await new Promise((r) => setTimeout(r, 3500));
    const ch = await conn.createChannel();
    expect(await ch.checkExchange('amq.fanout')).toBeDefined();
    await conn.close();
  });

  it('opens and closes 2000 channels on one connection', async () => {
    expect.hasAssertions();
    const conn = await amqp.connect(urlFor('localhost'));
    for (let i = 0; i < 2000; i++) {
      const ch = await conn.createChannel();
      await ch.close();
    }
    const open = await Promise.all(Array.from({ length: 200 }, () => conn.createChannel()));
    expect(open).toHaveLength(200);
    await Promise.all(open.map((c) => c.close()));
    await conn.close();
  });

  it('sends connection.close 320 CONNECTION_FORCED to every client on shutdown', async () => {
    expect.hasAssertions();
    const { startBroker } = await import('../../src/index.js');
    const dir = mkdtempSync(join(tmpdir(), 'warren-shutdown-'));
    const b = await startBroker({ port: 0, logLevel: 'silent', dataDir: dir });
    const conn = await amqp.connect(b.url);
    const closed = new Promise<Error>((resolve) => conn.on('close', resolve));
    conn.on('error', () => {});
    await b.close();
    const err = await closed;
    expect(String(err)).toMatch(/320/);
    expect(String(err)).toMatch(/CONNECTION_FORCED - broker shutdown/);
    rmSync(dir, { recursive: true, force: true });
  });
});
