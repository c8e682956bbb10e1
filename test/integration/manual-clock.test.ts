// startBroker({ clock: 'manual' }): every broker timer kind happens when the test advances the clock, not before:
// per-message and per-queue TTL, x-expires, delayed messages, consumer timeouts, dead-lettering and its cycles.
import amqp, { type Channel, type ChannelModel } from 'amqplib';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { useBroker } from '../support/broker.js';

const broker = useBroker({ clock: 'manual', consumerTimeout: 60_000 });
let conn: ChannelModel;
let ch: Channel;

beforeEach(async () => {
  conn = await amqp.connect(broker.current.url);
  ch = await conn.createConfirmChannel();
  ch.on('error', () => {});
});
afterEach(async () => {
  await conn.close().catch(() => {});
});

const advance = (ms: number) => broker.current.clock.advance(ms);
const count = async (q: string) => (await ch.checkQueue(q)).messageCount;
const confirmed = (c: Channel) => (c as unknown as { waitForConfirms(): Promise<void> }).waitForConfirms();

describe('manual clock', () => {
  it('stands still until advanced: a 1 ms TTL message is still there after real time passes', async () => {
    await ch.assertQueue('still');
    ch.sendToQueue('still', Buffer.from('x'), { expiration: '1' });
    await confirmed(ch);
    await new Promise((r) => setTimeout(r, 50));
    expect(await count('still')).toBe(1);
    advance(1);
    expect(await count('still')).toBe(0);
    expect(broker.current.clock.manual).toBe(true);
  });

  it('expires a message by its per-message TTL exactly when due', async () => {
    await ch.assertQueue('per-message');
    ch.sendToQueue('per-message', Buffer.from('x'), { expiration: '60000' });
    await confirmed(ch);
    advance(59_999);
    expect(await count('per-message')).toBe(1);
    advance(1);
    expect(await count('per-message')).toBe(0);
  });

  it('retries after 30 s via per-queue TTL and a dead-letter exchange, with the x-death time on the clock', async () => {
    await ch.assertQueue('retry-wait', { arguments: { 'x-message-ttl': 30_000, 'x-dead-letter-exchange': '', 'x-dead-letter-routing-key': 'retry-work' } });
    await ch.assertQueue('retry-work');
    ch.sendToQueue('retry-wait', Buffer.from('job'));
    await confirmed(ch);
    advance(29_999);
    expect(await count('retry-work')).toBe(0);
    advance(1);
    const msg = await ch.get('retry-work', { noAck: true });
    expect(msg && msg.content.toString()).toBe('job');
    const death = (msg as amqp.GetMessage).properties.headers?.['x-death'] as unknown as Array<Record<string, unknown>>;
    expect(death[0]).toMatchObject({ queue: 'retry-wait', reason: 'expired', count: 1 });
    expect((death[0]!['time'] as { value: number }).value).toBe(Math.floor(broker.current.clock.now() / 1000));
  });

  it('drops a message whose expiry dead-lettering cycles back to a queue it expired from', async () => {
    await ch.assertQueue('cycle-a', { arguments: { 'x-message-ttl': 1_000, 'x-dead-letter-exchange': '', 'x-dead-letter-routing-key': 'cycle-b' } });
    await ch.assertQueue('cycle-b', { arguments: { 'x-message-ttl': 1_000, 'x-dead-letter-exchange': '', 'x-dead-letter-routing-key': 'cycle-a' } });
    ch.sendToQueue('cycle-a', Buffer.from('loop'));
    await confirmed(ch);
    advance(1_000);
    expect([await count('cycle-a'), await count('cycle-b')]).toEqual([0, 1]);
    advance(1_000);
    expect([await count('cycle-a'), await count('cycle-b')]).toEqual([0, 0]);
  });

  it('deletes an unused queue by x-expires when due', async () => {
    await ch.assertQueue('idle', { arguments: { 'x-expires': 10_000 } });
    // A passive declare counts as use (it restarts the x-expires wait), so look without one.
    const exists = () => broker.current.broker.vhosts.get('/')!.queues.has('idle');
    advance(9_999);
    expect(exists()).toBe(true);
    advance(1);
    expect(exists()).toBe(false);
    await expect(ch.checkQueue('idle')).rejects.toThrow(/NOT_FOUND - no queue 'idle'/);
  });

  it('routes a delayed message (x-delayed-message) when its x-delay has passed', async () => {
    await ch.assertExchange('later', 'x-delayed-message', { arguments: { 'x-delayed-type': 'direct' } });
    await ch.assertQueue('delayed');
    await ch.bindQueue('delayed', 'later', 'k');
    ch.publish('later', 'k', Buffer.from('d'), { headers: { 'x-delay': 5_000 } });
    await confirmed(ch);
    advance(4_999);
    expect(await count('delayed')).toBe(0);
    advance(1);
    expect(await count('delayed')).toBe(1);
  });

  it('closes a channel holding a delivery past the consumer timeout (406) only once the clock passes it', async () => {
    const other = await conn.createChannel();
    const closed = new Promise<Error>((resolve) => other.on('error', resolve));
    await other.assertQueue('slow');
    other.sendToQueue('slow', Buffer.from('m'));
    const delivered = new Promise<void>((resolve) => void other.consume('slow', () => resolve()));
    await delivered;
    advance(59_000);
    await new Promise((r) => setTimeout(r, 50));
    expect(await count('slow')).toBe(0);
    advance(2_000);
    const err = await closed;
    expect(err.message).toMatch(/PRECONDITION_FAILED - delivery acknowledgement on channel \d+ timed out. Timeout value used: 60000 ms/);
  });
});

describe('real clock', () => {
  it('refuses advance with a clear message', async () => {
    const { startBroker } = await import('../../src/index.js');
    const { mkdtempSync, rmSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const dir = mkdtempSync(join(tmpdir(), 'warren-test-'));
    const real = await startBroker({ port: 0, dataDir: dir, logLevel: 'silent' });
    try {
      expect(real.clock.manual).toBe(false);
      expect(() => real.clock.advance(1)).toThrow("clock.advance: the broker runs on the real clock; start it with startBroker({ clock: 'manual' })");
      expect(Math.abs(real.clock.now() - Date.now())).toBeLessThan(1_000);
    } finally {
      await real.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
