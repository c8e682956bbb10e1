// Paging: a queue keeps a bounded window of messages in memory; the rest wait on disk and come back in order.
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import amqp from 'amqplib';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { startBroker, type RunningBroker } from '../../src/index.js';

const WINDOW = { messages: 500, bytes: 1024 * 1024 };
const running: RunningBroker[] = [];
const dirs: string[] = [];

afterEach(async () => {
  for (const b of running.splice(0)) await b.close();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

async function start(dataDir: string, logger?: pino.Logger): Promise<RunningBroker> {
  const b = await startBroker({ port: 0, dataDir, logLevel: 'silent', pagingWindow: WINDOW, ...(logger ? { logger } : {}) });
  running.push(b);
  return b;
}

async function consumeAll(ch: amqp.Channel, queue: string, total: number): Promise<string[]> {
  const got: string[] = [];
  await ch.prefetch(200);
  await ch.consume(queue, (m) => {
    if (!m) return;
    got.push(m.content.toString());
    ch.ack(m);
  });
  const deadline = Date.now() + 20_000;
  while (got.length < total && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
  return got;
}

describe('paging', () => {
  it('keeps at most the window in memory while a backlog grows, and delivers the backlog in order', async () => {
    expect.hasAssertions();
    const dataDir = mkdtempSync(join(tmpdir(), 'warren-paging-'));
    dirs.push(dataDir);
    const b = await start(dataDir);
    const conn = await amqp.connect(b.url);
    const ch = await conn.createConfirmChannel();
    await ch.assertQueue('backlog', { durable: true });
    const total = 10_000;
    for (let i = 0; i < total; i++) ch.sendToQueue('backlog', Buffer.from(`m${i}`), { persistent: i % 2 === 0 });
    await ch.waitForConfirms();
    const q = b.broker.vhosts.get('/')!.queues.get('backlog')!;
    expect(q.messageCount).toBe(total);
    expect(q.inMemoryCount).toBeLessThanOrEqual(WINDOW.messages);
    const consumer = await conn.createChannel();
    const got = await consumeAll(consumer, 'backlog', total);
    expect(got).toEqual(Array.from({ length: total }, (_, i) => `m${i}`));
    expect(q.messageCount).toBe(0);
    await conn.close();
  });

  it('bounds memory by bytes too, and purges paged messages', async () => {
    expect.hasAssertions();
    const dataDir = mkdtempSync(join(tmpdir(), 'warren-paging-'));
    dirs.push(dataDir);
    const b = await start(dataDir);
    const conn = await amqp.connect(b.url);
    const ch = await conn.createConfirmChannel();
    await ch.assertQueue('big');
    const body = Buffer.alloc(64 * 1024);
    for (let i = 0; i < 100; i++) ch.sendToQueue('big', body);
    await ch.waitForConfirms();
    const q = b.broker.vhosts.get('/')!.queues.get('big')!;
    expect(q.inMemoryCount).toBeLessThanOrEqual(WINDOW.bytes / body.length + 1);
    expect((await ch.purgeQueue('big')).messageCount).toBe(100);
    expect(q.messageCount).toBe(0);
    ch.sendToQueue('big', Buffer.from('after purge'));
    await ch.waitForConfirms();
    const m = await ch.get('big', { noAck: true });
    expect(m && m.content.toString()).toBe('after purge');
    await conn.close();
  });

  it('pages a priority queue too: a 200k backlog keeps memory bounded and comes out by priority, then in arrival order', async () => {
    expect.hasAssertions();
    const dataDir = mkdtempSync(join(tmpdir(), 'warren-paging-'));
    dirs.push(dataDir);
    const b = await start(dataDir);
    const conn = await amqp.connect(b.url);
    const ch = await conn.createConfirmChannel();
    await ch.assertQueue('prio-backlog', { arguments: { 'x-max-priority': 9 } });
    const q = b.broker.vhosts.get('/')!.queues.get('prio-backlog')!;
    const total = 200_000;
    // Mostly low priorities, as real traffic; 0 without a priority property.
    const priorityOf = (i: number) => [0, 0, 0, 1, 1, 2, 3, 5, 7, 9][(i * 7919) % 10]!;
    let maxInMemory = 0;
    for (let i = 0; i < total; i++) {
      const p = priorityOf(i);
      ch.sendToQueue('prio-backlog', Buffer.from(`${p}:${i}`), p === 0 ? {} : { priority: p });
      if (i % 5000 === 4999) {
        await ch.waitForConfirms();
        maxInMemory = Math.max(maxInMemory, q.inMemoryCount);
      }
    }
    await ch.waitForConfirms();
    expect(q.messageCount).toBe(total);
    // The window, plus at most one small page-in batch when lower priorities fill memory.
    expect(maxInMemory).toBeLessThanOrEqual(WINDOW.messages * 1.5);

    const consumer = await conn.createChannel();
    const got: string[] = [];
    await consumer.prefetch(1000);
    await consumer.consume('prio-backlog', (m) => {
      if (!m) return;
      got.push(m.content.toString());
      consumer.ack(m);
      if (got.length % 1000 === 0) maxInMemory = Math.max(maxInMemory, q.inMemoryCount);
    });
    const deadline = Date.now() + 60_000;
    while (got.length < total && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(maxInMemory).toBeLessThanOrEqual(WINDOW.messages * 1.5);
    const expected = Array.from({ length: total }, (_, i) => i).sort((a, b) => priorityOf(b) - priorityOf(a) || a - b);
    expect(got.length).toBe(total);
    expect(got).toEqual(expected.map((i) => `${priorityOf(i)}:${i}`));
    await conn.close();
  }, 120_000);

  it('recovers a paged durable priority queue in order, and requeued messages go back to their place', async () => {
    expect.hasAssertions();
    const dataDir = mkdtempSync(join(tmpdir(), 'warren-paging-'));
    dirs.push(dataDir);
    let b = await start(dataDir);
    let conn = await amqp.connect(b.url);
    const ch = await conn.createConfirmChannel();
    await ch.assertQueue('prio-durable', { durable: true, arguments: { 'x-max-priority': 3 } });
    const total = 3000;
    const priorityOf = (i: number) => (i * 31) % 4;
    for (let i = 0; i < total; i++) ch.sendToQueue('prio-durable', Buffer.from(`${i}`), { persistent: true, priority: priorityOf(i) });
    await ch.waitForConfirms();
    await conn.close();
    await b.close();
    running.length = 0;

    b = await start(dataDir);
    const q = b.broker.vhosts.get('/')!.queues.get('prio-durable')!;
    expect(q.messageCount).toBe(total);
    expect(q.inMemoryCount).toBeLessThanOrEqual(WINDOW.messages);
    conn = await amqp.connect(b.url);
    const reader = await conn.createChannel();
    // Take 20 of the highest priority and give them back: they come out first again.
    const taken: amqp.GetMessage[] = [];
    for (let i = 0; i < 20; i++) taken.push((await reader.get('prio-durable')) as amqp.GetMessage);
    for (const m of taken) reader.nack(m, false, true);
    const expected = Array.from({ length: total }, (_, i) => i).sort((a, c) => priorityOf(c) - priorityOf(a) || a - c);
    expect(taken.map((m) => Number(m.content.toString()))).toEqual(expected.slice(0, 20));
    expect(await consumeAll(await conn.createChannel(), 'prio-durable', total)).toEqual(expected.map(String));
    expect(q.inMemoryCount).toBe(0);
    await conn.close();
  });

  it('skips paged messages that expired on disk, however many, to the next live one', async () => {
    expect.hasAssertions();
    const dataDir = mkdtempSync(join(tmpdir(), 'warren-paging-'));
    dirs.push(dataDir);
    const b = await start(dataDir);
    const conn = await amqp.connect(b.url);
    const ch = await conn.createConfirmChannel();
    await ch.assertQueue('ttl-backlog');
    for (let i = 0; i < 3000; i++) ch.sendToQueue('ttl-backlog', Buffer.from(`m${i}`), i < 2500 ? { expiration: '100' } : {});
    await ch.waitForConfirms();
    await new Promise((r) => setTimeout(r, 250));
    const m = await ch.get('ttl-backlog', { noAck: true });
    expect(m && m.content.toString()).toBe('m2500');
    expect((await ch.checkQueue('ttl-backlog')).messageCount).toBe(499);
    await conn.close();
  });

  it('brings persistent paged messages back after a restart, in order, without the transient ones', async () => {
    expect.hasAssertions();
    const dataDir = mkdtempSync(join(tmpdir(), 'warren-paging-'));
    dirs.push(dataDir);
    let b = await start(dataDir);
    let conn = await amqp.connect(b.url);
    const ch = await conn.createConfirmChannel();
    await ch.assertQueue('durable-backlog', { durable: true });
    for (let i = 0; i < 3000; i++) ch.sendToQueue('durable-backlog', Buffer.from(`p${i}`), { persistent: i % 3 !== 0 });
    await ch.waitForConfirms();
    await conn.close();
    await b.close();
    running.length = 0;
    b = await start(dataDir);
    conn = await amqp.connect(b.url);
    const expected = Array.from({ length: 3000 }, (_, i) => i).filter((i) => i % 3 !== 0).map((i) => `p${i}`);
    expect(b.broker.vhosts.get('/')!.queues.get('durable-backlog')!.inMemoryCount).toBeLessThanOrEqual(WINDOW.messages);
    expect(await consumeAll(await conn.createChannel(), 'durable-backlog', expected.length)).toEqual(expected);
    await conn.close();
  });

  it('leaves a recovered backlog in its segments: read back in order before newer messages, purged from disk too', async () => {
    expect.hasAssertions();
    const dataDir = mkdtempSync(join(tmpdir(), 'warren-paging-'));
    dirs.push(dataDir);
    let b = await start(dataDir);
    let conn = await amqp.connect(b.url);
    let ch = await conn.createConfirmChannel();
    await ch.assertQueue('lazy', { durable: true });
    for (let i = 0; i < 5000; i++) ch.sendToQueue('lazy', Buffer.from(`old ${i}`), { persistent: true });
    await ch.waitForConfirms();
    await conn.close();
    await b.close();
    running.length = 0;

    b = await start(dataDir);
    const q = b.broker.vhosts.get('/')!.queues.get('lazy')!;
    expect(q.messageCount).toBe(5000);
    expect(q.inMemoryCount).toBeLessThanOrEqual(WINDOW.messages);
    // Nothing was copied to a page file at boot.
    const pages = join(dataDir, 'pages');
    expect(existsSync(pages) ? readdirSync(pages) : []).toEqual([]);
    conn = await amqp.connect(b.url);
    ch = await conn.createConfirmChannel();
    for (let i = 0; i < 1000; i++) ch.sendToQueue('lazy', Buffer.from(`new ${i}`), { persistent: i % 2 === 0 });
    await ch.waitForConfirms();
    const expected = [...Array.from({ length: 5000 }, (_, i) => `old ${i}`), ...Array.from({ length: 1000 }, (_, i) => `new ${i}`)];
    // Half of it now (acked), the rest purged.
    const reader = await conn.createChannel();
    const got: string[] = [];
    for (let i = 0; i < 3000; i++) got.push((await reader.get('lazy', { noAck: true }) as amqp.GetMessage).content.toString());
    expect(got).toEqual(expected.slice(0, 3000));
    expect((await ch.purgeQueue('lazy')).messageCount).toBe(3000);
    await conn.close();
    await b.close();
    running.length = 0;

    b = await start(dataDir);
    expect(b.broker.vhosts.get('/')!.queues.get('lazy')!.messageCount).toBe(0);
    conn = await amqp.connect(b.url);
    ch = await conn.createConfirmChannel();
    // 16 MB: the backlog spans segments.
    for (let i = 0; i < 2000; i++) ch.sendToQueue('lazy', Buffer.alloc(8192, i % 256), { persistent: true });
    await ch.waitForConfirms();
    await conn.close();
    await b.close();
    running.length = 0;

    // A queue deleted with a recovered backlog still on disk.
    b = await start(dataDir);
    conn = await amqp.connect(b.url);
    ch = await conn.createConfirmChannel();
    expect((await ch.deleteQueue('lazy')).messageCount).toBe(2000);
    await ch.assertQueue('lazy', { durable: true });
    expect((await ch.checkQueue('lazy')).messageCount).toBe(0);
    await conn.close();
  });

  it('finds a corrupt record in an older segment when reading it back: warns, skips the rest of that segment, keeps serving', async () => {
    expect.hasAssertions();
    const dataDir = mkdtempSync(join(tmpdir(), 'warren-paging-'));
    dirs.push(dataDir);
    let b = await start(dataDir);
    let conn = await amqp.connect(b.url);
    const ch = await conn.createConfirmChannel();
    await ch.assertQueue('rot', { durable: true });
    const bodyOf = (i: number) => Buffer.concat([Buffer.from(`msg-${i}-`), Buffer.alloc(64 * 1024, 0x61)]);
    const total = 400; // about 26 MB: four 8 MB segments
    for (let i = 0; i < total; i++) ch.sendToQueue('rot', bodyOf(i), { persistent: true });
    await ch.waitForConfirms();
    await conn.close();
    await b.close();
    running.length = 0;

    // Bit rot inside message 60's body, in the first segment (whose CRCs the boot scan does not check).
    const qdir = join(dataDir, 'messages', readdirSync(join(dataDir, 'messages'))[0]!);
    const segments = readdirSync(qdir).filter((f) => f.endsWith('.seg')).sort();
    expect(segments.length).toBeGreaterThanOrEqual(3);
    const first = join(qdir, segments[0]!);
    const bytes = readFileSync(first);
    const at = bytes.indexOf('msg-60-') + 100;
    bytes[at] = bytes[at]! ^ 0x01;
    writeFileSync(first, bytes);
    const inFirst = Number(segments[1]!.slice(0, 16));

    const lines: Array<{ msg: string; lostMessages?: number }> = [];
    b = await start(dataDir, pino({ level: 'warn' }, { write: (l: string) => lines.push(JSON.parse(l) as (typeof lines)[number]) }));
    const q = b.broker.vhosts.get('/')!.queues.get('rot')!;
    expect(q.messageCount).toBe(total);
    conn = await amqp.connect(b.url);
    const got = await consumeAll(await conn.createChannel(), 'rot', total - (inFirst - 60));
    const expected = Array.from({ length: total }, (_, i) => i).filter((i) => i < 60 || i >= inFirst);
    expect(got.map((g) => g.split('-').slice(0, 2).join('-'))).toEqual(expected.map((i) => `msg-${i}`));
    expect(lines.filter((l) => /corrupt record/.test(l.msg)).map((l) => l.lostMessages)).toEqual([inFirst - 60]);
    expect(q.messageCount).toBe(0);
    await conn.close();
  });

  it('boots from segment indexes after a clean stop, and from the segments when an index is damaged or stale', async () => {
    expect.hasAssertions();
    const dataDir = mkdtempSync(join(tmpdir(), 'warren-paging-'));
    dirs.push(dataDir);
    let b = await start(dataDir);
    let conn = await amqp.connect(b.url);
    const ch = await conn.createConfirmChannel();
    await ch.assertQueue('indexed', { durable: true });
    const bodyOf = (i: number) => Buffer.concat([Buffer.from(`m${i}-`), Buffer.alloc(64 * 1024, i % 251)]);
    for (let i = 0; i < 300; i++) ch.sendToQueue('indexed', bodyOf(i), { persistent: true }); // three segments
    await ch.waitForConfirms();
    await conn.close();
    await b.close();
    running.length = 0;
    const qdir = join(dataDir, 'messages', readdirSync(join(dataDir, 'messages'))[0]!);
    const segs = readdirSync(qdir).filter((f) => f.endsWith('.seg')).sort();
    expect(segs.length).toBe(3);
    expect(readdirSync(qdir).filter((f) => f.endsWith('.idx')).sort()).toEqual(segs.map((f) => f.replace('.seg', '.idx')));

    const drainSome = async (n: number) => {
      b = await start(dataDir);
      conn = await amqp.connect(b.url);
      const reader = await conn.createChannel();
      const total = (await reader.checkQueue('indexed')).messageCount;
      const got: string[] = [];
      for (let i = 0; i < n; i++) got.push((await reader.get('indexed', { noAck: true }) as amqp.GetMessage).content.toString('latin1').split('-')[0]!);
      await conn.close();
      await b.close();
      running.length = 0;
      return { total, got };
    };
    expect(await drainSome(100)).toEqual({ total: 300, got: Array.from({ length: 100 }, (_, i) => `m${i}`) });

    // A damaged index (bad CRC), and one that no longer matches its segment (a torn record appended after it).
    const idx1 = join(qdir, segs[1]!.replace('.seg', '.idx'));
    const bytes = readFileSync(idx1);
    bytes[3] = bytes[3]! ^ 0xff;
    writeFileSync(idx1, bytes);
    writeFileSync(join(qdir, segs[2]!), Buffer.concat([readFileSync(join(qdir, segs[2]!)), Buffer.from([0, 0, 0, 99, 1, 2])]));
    const rest = await drainSome(200);
    expect(rest).toEqual({ total: 200, got: Array.from({ length: 200 }, (_, i) => `m${i + 100}`) });
  });
});
