// Durability: definitions and persistent messages survive a clean stop and a kill -9; transient things do not.
import { appendFileSync, existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import amqp from 'amqplib';
import { afterEach, describe, expect, it } from 'vitest';
import { startBroker } from '../../src/index.js';
import { cleanup, startWarren, tempDir } from './cli-support.js';

afterEach(cleanup);

/** Runs the CLI as a separate process (so it can be killed -9), on the given data dir. */
const startProcess = (dataDir: string) => startWarren(['--log-level', 'info'], { dataDir });

async function drain(ch: amqp.Channel, queue: string): Promise<Array<{ body: string; redelivered: boolean }>> {
  const out: Array<{ body: string; redelivered: boolean }> = [];
  for (;;) {
    const m = await ch.get(queue, { noAck: true });
    if (!m) return out;
    out.push({ body: m.content.toString(), redelivered: m.fields.redelivered });
  }
}

/** Bytes in the queues' marks logs (delivered and removed marks, 9 bytes each). */
function markBytes(dataDir: string): number {
  const root = join(dataDir, 'messages');
  return readdirSync(root).reduce((n, q) => {
    const path = join(root, q, 'marks.log');
    return n + (existsSync(path) ? statSync(path).size : 0);
  }, 0);
}

function segmentFiles(dataDir: string): string[] {
  const root = join(dataDir, 'messages');
  return readdirSync(root).flatMap((q) => readdirSync(join(root, q)).filter((f) => f.endsWith('.seg')).map((f) => join(root, q, f)));
}

describe('durability', () => {
  it('brings back durable exchanges, queues, bindings and persistent messages after a clean stop, and nothing transient', async () => {
    expect.hasAssertions();
    const dataDir = tempDir();
    let b = await startBroker({ port: 0, dataDir, logLevel: 'silent' });
    let conn = await amqp.connect(b.url);
    let ch = await conn.createConfirmChannel();
    await ch.assertExchange('orders', 'topic', { durable: true });
    await ch.assertQueue('eu-orders', { durable: true, arguments: { 'x-max-priority': 3 } });
    await ch.bindQueue('eu-orders', 'orders', 'eu.#');
    await ch.assertQueue('scratch', { durable: false });
    await ch.assertQueue('mine', { durable: true, exclusive: true });
    for (let i = 0; i < 5; i++) ch.publish('orders', 'eu.fr', Buffer.from(`persistent ${i}`), { persistent: true });
    ch.publish('orders', 'eu.de', Buffer.from('transient'), { persistent: false });
    ch.sendToQueue('scratch', Buffer.from('gone'), { persistent: true });
    await ch.waitForConfirms();
    await conn.close();
    await b.close();

    b = await startBroker({ port: 0, dataDir, logLevel: 'silent' });
    conn = await amqp.connect(b.url);
    conn.on('error', () => {});
    ch = await conn.createConfirmChannel();
    // The binding survived: a new message routes through it.
    ch.publish('orders', 'eu.it', Buffer.from('after restart'), { persistent: true });
    await ch.waitForConfirms();
    const q = await ch.checkQueue('eu-orders');
    expect(q.messageCount).toBe(6);
    expect((await drain(ch, 'eu-orders')).map((m) => m.body)).toEqual([0, 1, 2, 3, 4].map((i) => `persistent ${i}`).concat('after restart'));
    for (const gone of ['scratch', 'mine']) {
      const probe = await conn.createChannel();
      probe.on('error', () => {});
      await expect(probe.checkQueue(gone)).rejects.toThrow(/404/);
    }
    // Arguments came back with their types: redeclaring with the same ones is accepted.
    const again = await conn.createChannel();
    await again.assertQueue('eu-orders', { durable: true, arguments: { 'x-max-priority': 3 } });
    await conn.close();
    await b.close();
  });

  it("brings back each message's own exchange and routing key when they change from one publish to the next", async () => {
    const dataDir = tempDir();
    let b = await startBroker({ port: 0, dataDir, logLevel: 'silent' });
    let conn = await amqp.connect(b.url);
    const ch = await conn.createConfirmChannel();
    await ch.assertExchange('routes', 'direct', { durable: true });
    await ch.assertQueue('routed', { durable: true });
    for (const key of ['a', 'bb', 'routed']) await ch.bindQueue('routed', 'routes', key);
    // Runs of the same pair, then changes (the store encodes a repeated pair once), and a multi-byte key.
    const sent: Array<[string, string]> = [['routes', 'a'], ['routes', 'a'], ['', 'routed'], ['routes', 'bb'], ['routes', 'routed'], ['', 'routed'], ['routes', 'a']];
    for (const [i, [exchange, key]] of sent.entries()) ch.publish(exchange, key, Buffer.from(`m${i}`), { persistent: true });
    await ch.waitForConfirms();
    await conn.close();
    await b.close();
    b = await startBroker({ port: 0, dataDir, logLevel: 'silent' });
    conn = await amqp.connect(b.url);
    const reader = await conn.createChannel();
    const got: Array<[string, string, string]> = [];
    for (let m = await reader.get('routed', { noAck: true }); m; m = await reader.get('routed', { noAck: true })) got.push([m.fields.exchange, m.fields.routingKey, m.content.toString()]);
    expect(got).toEqual(sent.map(([e, k], i) => [e, k, `m${i}`]));
    await conn.close();
    await b.close();
  });

  it('after kill -9 every confirmed message comes back exactly once, in order, delivered-but-unacked ones redelivered', async () => {
    expect.hasAssertions();
    const dataDir = tempDir();
    const first = await startProcess(dataDir);
    const conn = await amqp.connect(`amqp://guest:guest@localhost:${first.port}`);
    conn.on('error', () => {});
    const ch = await conn.createConfirmChannel();
    await ch.assertQueue('jobs', { durable: true });
    const total = 2000;
    for (let i = 0; i < total; i++) ch.sendToQueue('jobs', Buffer.from(`job ${i}`), { persistent: true });
    await ch.waitForConfirms();
    // Take three without acking: they were delivered, so they come back redelivered.
    const reader = await conn.createChannel();
    for (let i = 0; i < 3; i++) expect(await reader.get('jobs', { noAck: false })).toBeTruthy();
    // The delivered marks reach the file with the next group commit (later on a loaded machine): wait for them.
    for (const deadline = Date.now() + 10_000; markBytes(dataDir) < 3 * 9 && Date.now() < deadline; ) await new Promise((r) => setTimeout(r, 20));
    first.child.kill('SIGKILL');
    await new Promise((r) => first.child.once('exit', r));

    const second = await startProcess(dataDir);
    const conn2 = await amqp.connect(`amqp://guest:guest@localhost:${second.port}`);
    const ch2 = await conn2.createChannel();
    const got = await drain(ch2, 'jobs');
    expect(got.map((m) => m.body)).toEqual(Array.from({ length: total }, (_, i) => `job ${i}`));
    expect(got.slice(0, 3).every((m) => m.redelivered)).toBe(true);
    expect(got.slice(3).some((m) => m.redelivered)).toBe(false);
    await conn2.close();
  });

  it('after kill -9 a backlog spanning several segments (indexed at rollover) comes back whole and in order', async () => {
    expect.hasAssertions();
    const dataDir = tempDir();
    const first = await startProcess(dataDir);
    const conn = await amqp.connect(`amqp://guest:guest@localhost:${first.port}`);
    conn.on('error', () => {});
    const ch = await conn.createConfirmChannel();
    await ch.assertQueue('spans', { durable: true });
    const bodyOf = (i: number) => Buffer.concat([Buffer.from(`s${i}-`), Buffer.alloc(32 * 1024, i % 251)]);
    const total = 1000; // about 33 MB: five segments
    for (let i = 0; i < total; i++) ch.sendToQueue('spans', bodyOf(i), { persistent: true });
    await ch.waitForConfirms();
    first.child.kill('SIGKILL');
    await new Promise((r) => first.child.once('exit', r));
    expect(segmentFiles(dataDir).length).toBeGreaterThanOrEqual(4);

    const second = await startProcess(dataDir);
    const conn2 = await amqp.connect(`amqp://guest:guest@localhost:${second.port}`);
    const ch2 = await conn2.createChannel();
    const got: Buffer[] = [];
    for (let m = await ch2.get('spans', { noAck: true }); m; m = await ch2.get('spans', { noAck: true })) got.push(m.content);
    expect(got.length).toBe(total);
    expect(got.every((g, i) => g.equals(bodyOf(i)))).toBe(true);
    await conn2.close();
  });

  it('does not bring back acknowledged messages, and deletes segment files once all their messages are gone', async () => {
    expect.hasAssertions();
    const dataDir = tempDir();
    let b = await startBroker({ port: 0, dataDir, logLevel: 'silent' });
    let conn = await amqp.connect(b.url);
    const ch = await conn.createConfirmChannel();
    await ch.assertQueue('big', { durable: true });
    const body = Buffer.alloc(64 * 1024, 0x62);
    for (let i = 0; i < 300; i++) ch.sendToQueue('big', body, { persistent: true }); // ~19 MB: several segments
    await ch.waitForConfirms();
    const segmentsBefore = segmentFiles(dataDir).length;
    expect(segmentsBefore).toBeGreaterThan(1);
    const consumer = await conn.createChannel();
    let acked = 0;
    await consumer.prefetch(50);
    await consumer.consume('big', (m) => {
      if (!m) return;
      consumer.ack(m);
      acked += 1;
    });
    while (acked < 300) await new Promise((r) => setTimeout(r, 20));
    await ch.waitForConfirms();
    await new Promise((r) => setTimeout(r, 100));
    const left = segmentFiles(dataDir);
    expect(left.length).toBeLessThanOrEqual(1);
    expect(left.reduce((n, f) => n + statSync(f).size, 0)).toBeLessThan(9 * 1024 * 1024);
    await conn.close();
    await b.close();

    b = await startBroker({ port: 0, dataDir, logLevel: 'silent' });
    conn = await amqp.connect(b.url);
    expect((await (await conn.createChannel()).checkQueue('big')).messageCount).toBe(0);
    await conn.close();
    await b.close();
  });

  it('keeps the messages of a queue deleted and declared again in the same run (the replayed delete does not remove them)', async () => {
    expect.hasAssertions();
    const dataDir = tempDir();
    let b = await startBroker({ port: 0, dataDir, logLevel: 'silent' });
    let conn = await amqp.connect(b.url);
    const ch = await conn.createConfirmChannel();
    await ch.assertQueue('again', { durable: true });
    ch.sendToQueue('again', Buffer.from('first life'), { persistent: true });
    await ch.waitForConfirms();
    await ch.deleteQueue('again');
    await ch.assertQueue('again', { durable: true });
    ch.sendToQueue('again', Buffer.from('second life'), { persistent: true });
    await ch.waitForConfirms();
    await ch.assertQueue('dropped', { durable: true });
    ch.sendToQueue('dropped', Buffer.from('x'), { persistent: true });
    await ch.waitForConfirms();
    await ch.deleteQueue('dropped');
    await conn.close();
    await b.close();

    b = await startBroker({ port: 0, dataDir, logLevel: 'silent' });
    conn = await amqp.connect(b.url);
    expect((await drain(await conn.createChannel(), 'again')).map((m) => m.body)).toEqual(['second life']);
    // Only the surviving queue has a directory of message files.
    expect(readdirSync(join(dataDir, 'messages')).length).toBe(1);
    await conn.close();
    await b.close();
  });

  it('cuts a torn segment tail at the last valid record and keeps the rest', async () => {
    expect.hasAssertions();
    const dataDir = tempDir();
    let b = await startBroker({ port: 0, dataDir, logLevel: 'silent' });
    let conn = await amqp.connect(b.url);
    const ch = await conn.createConfirmChannel();
    await ch.assertQueue('torn', { durable: true });
    for (let i = 0; i < 3; i++) ch.sendToQueue('torn', Buffer.from(`m${i}`), { persistent: true });
    await ch.waitForConfirms();
    await conn.close();
    await b.close();
    const [segment] = segmentFiles(dataDir);
    const size = statSync(segment!).size;
    appendFileSync(segment!, Buffer.from([0, 0, 0, 40, 1, 2, 3, 4, 5, 6])); // a record header promising 40 bytes that never came

    b = await startBroker({ port: 0, dataDir, logLevel: 'silent' });
    conn = await amqp.connect(b.url);
    expect((await drain(await conn.createChannel(), 'torn')).map((m) => m.body)).toEqual(['m0', 'm1', 'm2']);
    expect(statSync(segment!).size).toBe(size);
    await conn.close();
    await b.close();
  });
});
