// Durable x-delayed-message exchanges keep persistent waiting messages on disk: after a clean stop or a kill -9
// they are routed at their due time (at once when overdue), exactly once; transient ones are not kept.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import amqp from 'amqplib';
import { afterEach, describe, expect, it } from 'vitest';
import { startBroker, type RunningBroker } from '../../src/index.js';
import { cleanup, startWarren, tempDir } from './cli-support.js';

const running: RunningBroker[] = [];

afterEach(async () => {
  for (const b of running.splice(0)) await b.close();
  cleanup();
});

async function start(dataDir: string): Promise<RunningBroker> {
  const b = await startBroker({ port: 0, dataDir, logLevel: 'silent' });
  running.push(b);
  return b;
}

async function stop(b: RunningBroker): Promise<void> {
  running.splice(running.indexOf(b), 1);
  await b.close();
}

async function declare(ch: amqp.Channel, exchange: string, queue: string): Promise<void> {
  await ch.assertExchange(exchange, 'x-delayed-message', { durable: true, arguments: { 'x-delayed-type': 'direct' } });
  await ch.assertQueue(queue, { durable: true });
  await ch.bindQueue(queue, exchange, 'k');
}

async function drain(ch: amqp.Channel, queue: string): Promise<amqp.GetMessage[]> {
  const out: amqp.GetMessage[] = [];
  for (let m = await ch.get(queue, { noAck: true }); m; m = await ch.get(queue, { noAck: true })) out.push(m);
  return out;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function waitFor(check: () => Promise<boolean>, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check()) && Date.now() < deadline) await sleep(20);
}

describe('durable delayed messages', () => {
  it('survive a clean restart: overdue ones are routed at once, the others at their due time, exactly once', async () => {
    expect.hasAssertions();
    const dataDir = tempDir();
    let b = await start(dataDir);
    let conn = await amqp.connect(b.url);
    const ch = await conn.createConfirmChannel();
    await declare(ch, 'later', 'due');
    const t0 = Date.now();
    ch.publish('later', 'k', Buffer.from('soon'), { persistent: true, headers: { 'x-delay': 300 } });
    ch.publish('later', 'k', Buffer.from('late'), { persistent: true, headers: { 'x-delay': 2500 } });
    ch.publish('later', 'k', Buffer.from('transient'), { persistent: false, headers: { 'x-delay': 300 } });
    await ch.waitForConfirms();
    await conn.close();
    await stop(b);
    const [store] = readdirSync(join(dataDir, 'delayed'));
    expect(readdirSync(join(dataDir, 'delayed', store!)).some((f) => f.endsWith('.seg'))).toBe(true);

    await sleep(Math.max(0, t0 + 600 - Date.now()));
    b = await start(dataDir);
    conn = await amqp.connect(b.url);
    const reader = await conn.createChannel();
    // 'soon' was due while the broker was down: it is routed right after boot.
    await waitFor(async () => (await reader.checkQueue('due')).messageCount >= 1, 1000);
    expect(Date.now()).toBeLessThan(t0 + 2500);
    const first = await drain(reader, 'due');
    expect(first.map((m) => m.content.toString())).toEqual(['soon']);
    expect(first[0]!.properties.headers?.['x-delay']).toBe(-300);
    // 'late' is not routed before its time, then is.
    await waitFor(async () => (await reader.checkQueue('due')).messageCount >= 1, 4000);
    expect(Date.now()).toBeGreaterThanOrEqual(t0 + 2500);
    expect((await drain(reader, 'due')).map((m) => m.content.toString())).toEqual(['late']);
    await sleep(200);
    await conn.close();
    await stop(b);

    // Routed messages do not come back from the exchange's store a second time.
    b = await start(dataDir);
    conn = await amqp.connect(b.url);
    await sleep(200);
    expect((await (await conn.createChannel()).checkQueue('due')).messageCount).toBe(0);
    expect(readdirSync(join(dataDir, 'delayed')).length).toBe(1);
    await conn.close();
  });

  it('go with their exchange: a deleted delayed exchange keeps nothing, and a re-declared one starts empty', async () => {
    expect.hasAssertions();
    const dataDir = tempDir();
    let b = await start(dataDir);
    let conn = await amqp.connect(b.url);
    const ch = await conn.createConfirmChannel();
    await declare(ch, 'gone', 'gone-q');
    ch.publish('gone', 'k', Buffer.from('old'), { persistent: true, headers: { 'x-delay': 500 } });
    await ch.waitForConfirms();
    await ch.deleteExchange('gone');
    await declare(ch, 'gone', 'gone-q');
    ch.publish('gone', 'k', Buffer.from('new'), { persistent: true, headers: { 'x-delay': 500 } });
    await ch.waitForConfirms();
    await conn.close();
    await stop(b);

    b = await start(dataDir);
    conn = await amqp.connect(b.url);
    await sleep(900);
    expect((await drain(await conn.createChannel(), 'gone-q')).map((m) => m.content.toString())).toEqual(['new']);
    await conn.close();
  });

  it('survive kill -9: every confirmed delayed message is routed after the restart, once, in due order', async () => {
    expect.hasAssertions();
    const BATCH = 40;
    const dataDir = tempDir();
    const first = await startWarren([], { dataDir });
    const conn = await amqp.connect(`amqp://guest:guest@localhost:${first.port}`);
    conn.on('error', () => {});
    const ch = await conn.createConfirmChannel();
    ch.on('error', () => {});
    await declare(ch, 'crash-later', 'crash-due');
    // A settled batch with due times in reverse publish order, then a stream killed at a random moment. Due times are
    // 30 ms apart: a due time counts from the publish's arrival, and on a loaded machine two publishes of one burst
    // were once handled more than 10 ms apart, which swapped their due order.
    for (let i = 0; i < BATCH; i++) ch.publish('crash-later', 'k', Buffer.from(`batch ${i}`), { persistent: true, headers: { 'x-delay': 2000 - i * 30 } });
    await ch.waitForConfirms();
    const confirmed: number[] = [];
    let stopped = false;
    const publishing = (async () => {
      for (let i = 0; !stopped; i++) {
        const ok = await new Promise<boolean>((resolve) => {
          try {
            ch.publish('crash-later', 'k', Buffer.from(`stream ${i}`), { persistent: true, headers: { 'x-delay': 2000 } }, (err) => resolve(!err));
          } catch {
            resolve(false);
          }
        });
        if (!ok) return;
        confirmed.push(i);
      }
    })();
    await sleep(100 + Math.random() * 300);
    first.child.kill('SIGKILL');
    await new Promise((r) => first.child.once('exit', r));
    stopped = true;
    await publishing.catch(() => undefined);
    expect(confirmed.length).toBeGreaterThan(0);

    const second = await startWarren([], { dataDir });
    const conn2 = await amqp.connect(`amqp://guest:guest@localhost:${second.port}`);
    conn2.on('error', () => {});
    const ch2 = await conn2.createChannel();
    const got: string[] = [];
    await ch2.consume('crash-due', (m) => m && got.push(m.content.toString()), { noAck: true });
    await waitFor(async () => got.filter((s) => s.startsWith('stream')).length >= confirmed.length && got.filter((s) => s.startsWith('batch')).length >= BATCH, 5000);
    await sleep(300);
    const batch = got.filter((s) => s.startsWith('batch'));
    // Due order: the last published batch message had the shortest delay.
    expect(batch).toEqual(Array.from({ length: BATCH }, (_, i) => `batch ${BATCH - 1 - i}`));
    const stream = got.filter((s) => s.startsWith('stream')).map((s) => Number(s.slice(7)));
    expect(new Set(stream).size).toBe(stream.length);
    for (const i of confirmed) expect(stream).toContain(i);
    await conn2.close();
  });
});

