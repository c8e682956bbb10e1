// Recovery over several restarts: what was settled before one restart stays settled after the next (the marks of
// settled records in surviving segments are kept), and sequence numbers are never reused for new messages.
import { existsSync, mkdtempSync, readdirSync, readlinkSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import amqp from 'amqplib';
import { afterEach, describe, expect, it } from 'vitest';
import { startBroker, type RunningBroker } from '../../src/index.js';

const dirs: string[] = [];
const running: RunningBroker[] = [];

afterEach(async () => {
  for (const b of running.splice(0)) await b.close();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'warren-segrec-'));
  dirs.push(d);
  return d;
}

async function start(dataDir: string, pagingWindow?: { messages: number; bytes: number }): Promise<RunningBroker> {
  const b = await startBroker({ port: 0, dataDir, logLevel: 'silent', ...(pagingWindow ? { pagingWindow } : {}) });
  running.push(b);
  return b;
}

async function stop(b: RunningBroker): Promise<void> {
  running.splice(running.indexOf(b), 1);
  await b.close();
}

async function drain(ch: amqp.Channel, queue: string): Promise<string[]> {
  const out: string[] = [];
  for (let m = await ch.get(queue, { noAck: true }); m; m = await ch.get(queue, { noAck: true })) out.push(m.content.toString());
  return out;
}

async function publish(ch: amqp.ConfirmChannel, queue: string, bodies: string[]): Promise<void> {
  for (const b of bodies) ch.sendToQueue(queue, Buffer.from(b), { persistent: true });
  await ch.waitForConfirms();
}

/** Files under `dir` this process has open (Linux). */
function openUnder(dir: string): string[] {
  const root = realpathSync(dir);
  return readdirSync('/proc/self/fd').flatMap((fd) => {
    try {
      const target = readlinkSync(`/proc/self/fd/${fd}`);
      return target.startsWith(root + '/') ? [target] : [];
    } catch {
      return [];
    }
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('recovery across several restarts', () => {
  it('keeps acked messages acked after a second restart', async () => {
    expect.hasAssertions();
    const dataDir = tempDir();
    let b = await start(dataDir);
    let conn = await amqp.connect(b.url);
    const ch = await conn.createConfirmChannel();
    await ch.assertQueue('q', { durable: true });
    await publish(ch, 'q', ['m0', 'm1', 'm2', 'm3', 'm4']);
    for (let i = 0; i < 2; i++) {
      const m = await ch.get('q', { noAck: false });
      ch.ack(m as amqp.GetMessage);
    }
    // A round trip: the acks are in before the connection closes (amqplib can send its close ahead of them).
    expect((await ch.checkQueue('q')).messageCount).toBe(3);
    await conn.close();
    await stop(b);

    b = await start(dataDir);
    conn = await amqp.connect(b.url);
    expect((await (await conn.createChannel()).checkQueue('q')).messageCount).toBe(3);
    await conn.close();
    await stop(b);

    b = await start(dataDir);
    conn = await amqp.connect(b.url);
    expect(await drain(await conn.createChannel(), 'q')).toEqual(['m2', 'm3', 'm4']);
    await conn.close();
  });

  it('does not give a new message the sequence number of a settled one (whose settlement would then remove it)', async () => {
    expect.hasAssertions();
    const dataDir = tempDir();
    let b = await start(dataDir);
    let conn = await amqp.connect(b.url);
    let ch = await conn.createConfirmChannel();
    await ch.assertQueue('q', { durable: true });
    await publish(ch, 'q', ['m0', 'm1', 'm2', 'm3', 'm4']);
    // The newest two are acked, the others go back to the queue.
    const got: amqp.GetMessage[] = [];
    for (let i = 0; i < 5; i++) got.push((await ch.get('q', { noAck: false })) as amqp.GetMessage);
    ch.ack(got[3]!);
    ch.ack(got[4]!);
    await ch.checkQueue('q');
    await conn.close();
    await stop(b);

    b = await start(dataDir);
    conn = await amqp.connect(b.url);
    ch = await conn.createConfirmChannel();
    await publish(ch, 'q', ['n0']);
    await conn.close();
    await stop(b);

    b = await start(dataDir);
    conn = await amqp.connect(b.url);
    expect(await drain(await conn.createChannel(), 'q')).toEqual(['m0', 'm1', 'm2', 'n0']);
    await conn.close();
  });

  it('routes a durable delayed message once, and keeps a later one, across two restarts', async () => {
    expect.hasAssertions();
    const dataDir = tempDir();
    let b = await start(dataDir);
    let conn = await amqp.connect(b.url);
    let ch = await conn.createConfirmChannel();
    await ch.assertExchange('dx', 'x-delayed-message', { durable: true, arguments: { 'x-delayed-type': 'direct' } });
    await ch.assertQueue('out', { durable: true });
    await ch.bindQueue('out', 'dx', 'k');
    ch.publish('dx', 'k', Buffer.from('long'), { persistent: true, headers: { 'x-delay': 3_600_000 } });
    ch.publish('dx', 'k', Buffer.from('short'), { persistent: true, headers: { 'x-delay': 50 } });
    await ch.waitForConfirms();
    for (let i = 0; i < 100 && (await ch.checkQueue('out')).messageCount === 0; i++) await sleep(20);
    expect(await drain(ch, 'out')).toEqual(['short']);
    await sleep(100); // the routed message's record is removed once its copies are synced
    await conn.close();
    await stop(b);

    b = await start(dataDir);
    conn = await amqp.connect(b.url);
    ch = await conn.createConfirmChannel();
    ch.publish('dx', 'k', Buffer.from('later'), { persistent: true, headers: { 'x-delay': 400 } });
    await ch.waitForConfirms();
    await conn.close();
    await stop(b);

    b = await start(dataDir);
    conn = await amqp.connect(b.url);
    ch = await conn.createConfirmChannel();
    await sleep(800);
    expect(await drain(ch, 'out')).toEqual(['later']);
    await conn.close();
  });

  it.skipIf(!existsSync('/proc/self/fd'))('leaves no file open in the data dir once stopped, with a backlog half read and a paged priority queue', async () => {
    expect.hasAssertions();
    const dataDir = tempDir();
    const window = { messages: 10, bytes: 1024 * 1024 };
    let b = await start(dataDir, window);
    let conn = await amqp.connect(b.url);
    let ch = await conn.createConfirmChannel();
    await ch.assertQueue('plain', { durable: true });
    await publish(ch, 'plain', Array.from({ length: 60 }, (_, i) => `p${i}`));
    await conn.close();
    await stop(b);

    b = await start(dataDir, window);
    conn = await amqp.connect(b.url);
    ch = await conn.createConfirmChannel();
    // Past the window: the rest of the backlog is being read from the segments.
    for (let i = 0; i < 15; i++) expect((await ch.get('plain', { noAck: true }) || undefined)?.content.toString()).toBe(`p${i}`);
    await ch.assertQueue('prio', { durable: true, arguments: { 'x-max-priority': 2 } });
    for (let i = 0; i < 40; i++) ch.sendToQueue('prio', Buffer.from(`q${i}`), { persistent: true, priority: i % 3 });
    await ch.waitForConfirms();
    expect(openUnder(dataDir).length).toBeGreaterThan(0);
    await conn.close();
    await stop(b);
    expect(openUnder(dataDir)).toEqual([]);
  });
});
