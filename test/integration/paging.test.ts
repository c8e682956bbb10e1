// Paging: a queue keeps a bounded window of messages in memory; the rest wait on disk and come back in order.
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import amqp from 'amqplib';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { startBroker, type RunningBroker } from '../../src/index.js';

const WINDOW = { messages: 500, bytes: 1024 * 1024 };

/**
 * A broker with a small paging window on its own temporary data dir, a connection and a confirm channel to it.
 * stop() and start() (or restart()) run it again on the same files; afterEach stops it and removes the dir.
 */
class PagingBroker {
  readonly dataDir = mkdtempSync(join(tmpdir(), 'warren-paging-'));
  b!: RunningBroker;
  conn!: amqp.ChannelModel;
  ch!: amqp.ConfirmChannel;
  private running = false;

  async start(logger?: pino.Logger): Promise<void> {
    this.b = await startBroker({ port: 0, dataDir: this.dataDir, logLevel: 'silent', pagingWindow: WINDOW, ...(logger ? { logger } : {}) });
    this.running = true;
    this.conn = await amqp.connect(this.b.url);
    this.ch = await this.conn.createConfirmChannel();
  }

  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    await this.conn.close().catch(() => {});
    await this.b.close();
  }

  async restart(logger?: pino.Logger): Promise<void> {
    await this.stop();
    await this.start(logger);
  }

  /** The broker's queue object in vhost '/'. */
  queue(name: string) {
    return this.b.broker.vhosts.get('/')!.queues.get(name)!;
  }
}

const opened: PagingBroker[] = [];

afterEach(async () => {
  for (const p of opened.splice(0)) {
    await p.stop();
    rmSync(p.dataDir, { recursive: true, force: true });
  }
});

async function pagingBroker(): Promise<PagingBroker> {
  const p = new PagingBroker();
  opened.push(p);
  await p.start();
  return p;
}

/** A broker stopped cleanly after 300 persistent 64 KB messages `m0-…` to `m299-…` in `queue` (three segments), and that queue's directory. */
async function threeSegmentsStopped(queue: string): Promise<{ p: PagingBroker; qdir: string }> {
  const p = await pagingBroker();
  await p.ch.assertQueue(queue, { durable: true });
  const bodyOf = (i: number) => Buffer.concat([Buffer.from(`m${i}-`), Buffer.alloc(64 * 1024, i % 251)]);
  for (let i = 0; i < 300; i++) p.ch.sendToQueue(queue, bodyOf(i), { persistent: true });
  await p.ch.waitForConfirms();
  await p.stop();
  return { p, qdir: join(p.dataDir, 'messages', readdirSync(join(p.dataDir, 'messages'))[0]!) };
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
    const p = await pagingBroker();
    await p.ch.assertQueue('backlog', { durable: true });
    const total = 10_000;
    for (let i = 0; i < total; i++) p.ch.sendToQueue('backlog', Buffer.from(`m${i}`), { persistent: i % 2 === 0 });
    await p.ch.waitForConfirms();
    const q = p.queue('backlog');
    expect(q.messageCount).toBe(total);
    expect(q.inMemoryCount).toBeLessThanOrEqual(WINDOW.messages);
    const consumer = await p.conn.createChannel();
    const got = await consumeAll(consumer, 'backlog', total);
    expect(got).toEqual(Array.from({ length: total }, (_, i) => `m${i}`));
    expect(q.messageCount).toBe(0);
  });

  it('pages a durable queue\'s persistent messages as references to its segments: the bodies are on disk once, and come back whole and in order', async () => {
    expect.hasAssertions();
    const p = await pagingBroker();
    await p.ch.assertQueue('stored', { durable: true });
    // 12 MB of 1 KB bodies: past the window, and across a segment rollover (8 MB) while paging.
    const total = 12_000;
    const body = (i: number) => Buffer.from(`m${i}-`.padEnd(1024, String.fromCharCode(97 + (i % 26))));
    for (let i = 0; i < total; i++) {
      p.ch.sendToQueue('stored', body(i), { persistent: true });
      if (i % 1000 === 999) await p.ch.waitForConfirms();
    }
    await p.ch.waitForConfirms();
    const size = (dir: string) => (existsSync(dir) ? readdirSync(dir, { recursive: true, withFileTypes: true }).filter((e) => e.isFile()).reduce((n, e) => n + readFileSync(join(e.parentPath, e.name)).length, 0) : 0);
    const pages = size(join(p.dataDir, 'pages'));
    const segments = size(join(p.dataDir, 'messages'));
    expect(segments).toBeGreaterThan(total * 1024);
    // About 40 bytes per paged message instead of its 1 KB body again.
    expect(pages).toBeLessThan(total * 64);
    const consumer = await p.conn.createChannel();
    await consumer.prefetch(200);
    let next = 0;
    let intact = 0;
    await consumer.consume('stored', (m) => {
      if (!m) return;
      if (m.content.equals(body(next))) intact += 1;
      next += 1;
      consumer.ack(m);
    });
    const deadline = Date.now() + 20_000;
    while (next < total && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    expect(intact).toBe(total);
    expect(p.queue('stored').messageCount).toBe(0);
  });

  it('keeps the smaller idle window while no consumer is attached, refills the full window once one is, in order', async () => {
    expect.hasAssertions();
    const dataDir = mkdtempSync(join(tmpdir(), 'warren-paging-'));
    const b = await startBroker({ port: 0, dataDir, logLevel: 'silent', pagingWindow: { messages: 500, bytes: 1024 * 1024, idleMessages: 100, idleBytes: 64 * 1024 } });
    try {
      const conn = await amqp.connect(b.url);
      const ch = await conn.createConfirmChannel();
      await ch.assertQueue('idle');
      const total = 3000;
      for (let i = 0; i < total; i++) ch.sendToQueue('idle', Buffer.from(`m${i}-`.padEnd(1024, 'x')));
      await ch.waitForConfirms();
      const q = b.broker.vhosts.get('/')!.queues.get('idle')!;
      expect(q.messageCount).toBe(total);
      // 64 KB of 1 KB bodies (the bytes bound first), not the 1 MB / 500 messages a consumer would get.
      expect(q.inMemoryCount).toBeLessThanOrEqual(65);
      const consumer = await conn.createChannel();
      await consumer.prefetch(1);
      const got: string[] = [];
      let inMemory = 0;
      let maxInMemory = 0;
      await consumer.consume('idle', (m) => {
        if (!m) return;
        got.push(m.content.toString().split('-')[0]!);
        if (got.length === 1) inMemory = q.inMemoryCount;
        maxInMemory = Math.max(maxInMemory, q.inMemoryCount);
        consumer.ack(m);
      });
      const deadline = Date.now() + 20_000;
      while (got.length < total && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
      expect(got).toEqual(Array.from({ length: total }, (_, i) => `m${i}`));
      // The consumer's arrival brought in the full window (500 messages, the count bound for 1 KB bodies here)…
      expect(inMemory).toBeGreaterThan(400);
      // …and draining never held more than the window plus one read-ahead batch (1 MB / 8).
      expect(maxInMemory).toBeLessThanOrEqual(500 + 128);
      await conn.close();
    } finally {
      await b.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('reads ahead only once memory is down to half the window in bytes: 1 KB bodies under a count window that never fills', async () => {
    expect.hasAssertions();
    const dataDir = mkdtempSync(join(tmpdir(), 'warren-paging-'));
    const b = await startBroker({ port: 0, dataDir, logLevel: 'silent', pagingWindow: { messages: 100_000, bytes: 256 * 1024 } });
    try {
      const conn = await amqp.connect(b.url);
      const ch = await conn.createConfirmChannel();
      await ch.assertQueue('bytes');
      const total = 4000;
      for (let i = 0; i < total; i++) ch.sendToQueue('bytes', Buffer.from(`m${i}-`.padEnd(1024, 'y')));
      await ch.waitForConfirms();
      const q = b.broker.vhosts.get('/')!.queues.get('bytes')!;
      const consumer = await conn.createChannel();
      await consumer.prefetch(10);
      const got: string[] = [];
      let maxInMemory = 0;
      await consumer.consume('bytes', (m) => {
        if (!m) return;
        got.push(m.content.toString().split('-')[0]!);
        maxInMemory = Math.max(maxInMemory, q.inMemoryCount);
        consumer.ack(m);
      });
      const deadline = Date.now() + 20_000;
      while (got.length < total && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
      expect(got).toEqual(Array.from({ length: total }, (_, i) => `m${i}`));
      // The window (256 messages of 1 KB) and at most one batch of 32 KB: not the whole backlog read in, batch by batch.
      expect(maxInMemory).toBeLessThanOrEqual(256 + 32 + 1);
      await conn.close();
    } finally {
      await b.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('bounds memory by bytes too, and purges paged messages', async () => {
    expect.hasAssertions();
    const p = await pagingBroker();
    await p.ch.assertQueue('big');
    const body = Buffer.alloc(64 * 1024);
    for (let i = 0; i < 100; i++) p.ch.sendToQueue('big', body);
    await p.ch.waitForConfirms();
    const q = p.queue('big');
    expect(q.inMemoryCount).toBeLessThanOrEqual(WINDOW.bytes / body.length + 1);
    expect((await p.ch.purgeQueue('big')).messageCount).toBe(100);
    expect(q.messageCount).toBe(0);
    p.ch.sendToQueue('big', Buffer.from('after purge'));
    await p.ch.waitForConfirms();
    const m = await p.ch.get('big', { noAck: true });
    expect(m && m.content.toString()).toBe('after purge');
  });

  it('pages a priority queue too: a 200k backlog keeps memory bounded and comes out by priority, then in arrival order', async () => {
    expect.hasAssertions();
    const p = await pagingBroker();
    await p.ch.assertQueue('prio-backlog', { arguments: { 'x-max-priority': 9 } });
    const q = p.queue('prio-backlog');
    const total = 200_000;
    // Mostly low priorities, as real traffic; 0 without a priority property.
    const priorityOf = (i: number) => [0, 0, 0, 1, 1, 2, 3, 5, 7, 9][(i * 7919) % 10]!;
    let maxInMemory = 0;
    for (let i = 0; i < total; i++) {
      const priority = priorityOf(i);
      p.ch.sendToQueue('prio-backlog', Buffer.from(`${priority}:${i}`), priority === 0 ? {} : { priority });
      if (i % 5000 === 4999) {
        await p.ch.waitForConfirms();
        maxInMemory = Math.max(maxInMemory, q.inMemoryCount);
      }
    }
    await p.ch.waitForConfirms();
    expect(q.messageCount).toBe(total);
    // The window, plus at most one small page-in batch when lower priorities fill memory.
    expect(maxInMemory).toBeLessThanOrEqual(WINDOW.messages * 1.5);

    const consumer = await p.conn.createChannel();
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
  }, 120_000);

  it('recovers a paged durable priority queue in order, and requeued messages go back to their place', async () => {
    expect.hasAssertions();
    const p = await pagingBroker();
    await p.ch.assertQueue('prio-durable', { durable: true, arguments: { 'x-max-priority': 3 } });
    const total = 3000;
    const priorityOf = (i: number) => (i * 31) % 4;
    for (let i = 0; i < total; i++) p.ch.sendToQueue('prio-durable', Buffer.from(`${i}`), { persistent: true, priority: priorityOf(i) });
    await p.ch.waitForConfirms();
    await p.restart();

    const q = p.queue('prio-durable');
    expect(q.messageCount).toBe(total);
    expect(q.inMemoryCount).toBeLessThanOrEqual(WINDOW.messages);
    const reader = await p.conn.createChannel();
    // Take 20 of the highest priority and give them back: they come out first again.
    const taken: amqp.GetMessage[] = [];
    for (let i = 0; i < 20; i++) taken.push((await reader.get('prio-durable')) as amqp.GetMessage);
    for (const m of taken) reader.nack(m, false, true);
    const expected = Array.from({ length: total }, (_, i) => i).sort((a, c) => priorityOf(c) - priorityOf(a) || a - c);
    expect(taken.map((m) => Number(m.content.toString()))).toEqual(expected.slice(0, 20));
    expect(await consumeAll(await p.conn.createChannel(), 'prio-durable', total)).toEqual(expected.map(String));
    expect(q.inMemoryCount).toBe(0);
  });

  it('skips paged messages that expired on disk, however many, to the next live one', async () => {
    expect.hasAssertions();
    const p = await pagingBroker();
    await p.ch.assertQueue('ttl-backlog');
    for (let i = 0; i < 3000; i++) p.ch.sendToQueue('ttl-backlog', Buffer.from(`m${i}`), i < 2500 ? { expiration: '100' } : {});
    await p.ch.waitForConfirms();
    await new Promise((r) => setTimeout(r, 250));
    const m = await p.ch.get('ttl-backlog', { noAck: true });
    expect(m && m.content.toString()).toBe('m2500');
    expect((await p.ch.checkQueue('ttl-backlog')).messageCount).toBe(499);
  });

  it('brings persistent paged messages back after a restart, in order, without the transient ones', async () => {
    expect.hasAssertions();
    const p = await pagingBroker();
    await p.ch.assertQueue('durable-backlog', { durable: true });
    for (let i = 0; i < 3000; i++) p.ch.sendToQueue('durable-backlog', Buffer.from(`p${i}`), { persistent: i % 3 !== 0 });
    await p.ch.waitForConfirms();
    await p.restart();
    const expected = Array.from({ length: 3000 }, (_, i) => i).filter((i) => i % 3 !== 0).map((i) => `p${i}`);
    expect(p.queue('durable-backlog').inMemoryCount).toBeLessThanOrEqual(WINDOW.messages);
    expect(await consumeAll(await p.conn.createChannel(), 'durable-backlog', expected.length)).toEqual(expected);
  });

  it('leaves a recovered backlog in its segments: read back in order before newer messages, purged from disk too', async () => {
    expect.hasAssertions();
    const p = await pagingBroker();
    const { dataDir } = p;
    await p.ch.assertQueue('lazy', { durable: true });
    for (let i = 0; i < 5000; i++) p.ch.sendToQueue('lazy', Buffer.from(`old ${i}`), { persistent: true });
    await p.ch.waitForConfirms();
    await p.restart();

    const q = p.queue('lazy');
    expect(q.messageCount).toBe(5000);
    expect(q.inMemoryCount).toBeLessThanOrEqual(WINDOW.messages);
    // Nothing was copied to a page file at boot.
    const pages = join(dataDir, 'pages');
    expect(existsSync(pages) ? readdirSync(pages) : []).toEqual([]);
    for (let i = 0; i < 1000; i++) p.ch.sendToQueue('lazy', Buffer.from(`new ${i}`), { persistent: i % 2 === 0 });
    await p.ch.waitForConfirms();
    const expected = [...Array.from({ length: 5000 }, (_, i) => `old ${i}`), ...Array.from({ length: 1000 }, (_, i) => `new ${i}`)];
    // Half of it now (acked), the rest purged.
    const reader = await p.conn.createChannel();
    const got: string[] = [];
    for (let i = 0; i < 3000; i++) got.push((await reader.get('lazy', { noAck: true }) as amqp.GetMessage).content.toString());
    expect(got).toEqual(expected.slice(0, 3000));
    expect((await p.ch.purgeQueue('lazy')).messageCount).toBe(3000);
    await p.restart();

    expect(p.queue('lazy').messageCount).toBe(0);
    // 16 MB: the backlog spans segments.
    for (let i = 0; i < 2000; i++) p.ch.sendToQueue('lazy', Buffer.alloc(8192, i % 256), { persistent: true });
    await p.ch.waitForConfirms();
    await p.stop();

    // A queue deleted with a recovered backlog still on disk.
    await p.start();
    expect((await p.ch.deleteQueue('lazy')).messageCount).toBe(2000);
    await p.ch.assertQueue('lazy', { durable: true });
    expect((await p.ch.checkQueue('lazy')).messageCount).toBe(0);
  });

  it('finds a corrupt record in an older segment when reading it back: warns, skips the rest of that segment, keeps serving', async () => {
    expect.hasAssertions();
    const p = await pagingBroker();
    const { dataDir } = p;
    await p.ch.assertQueue('rot', { durable: true });
    const bodyOf = (i: number) => Buffer.concat([Buffer.from(`msg-${i}-`), Buffer.alloc(64 * 1024, 0x61)]);
    const total = 400; // about 26 MB: four 8 MB segments
    for (let i = 0; i < total; i++) p.ch.sendToQueue('rot', bodyOf(i), { persistent: true });
    await p.ch.waitForConfirms();
    await p.stop();

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
    await p.start(pino({ level: 'warn' }, { write: (l: string) => lines.push(JSON.parse(l) as (typeof lines)[number]) }));
    const q = p.queue('rot');
    expect(q.messageCount).toBe(total);
    const got = await consumeAll(await p.conn.createChannel(), 'rot', total - (inFirst - 60));
    const expected = Array.from({ length: total }, (_, i) => i).filter((i) => i < 60 || i >= inFirst);
    expect(got.map((g) => g.split('-').slice(0, 2).join('-'))).toEqual(expected.map((i) => `msg-${i}`));
    expect(lines.filter((l) => /corrupt record/.test(l.msg)).map((l) => l.lostMessages)).toEqual([inFirst - 60]);
    expect(q.messageCount).toBe(0);
  });

  it('boots from segment indexes after a clean stop, and from the segments when an index is damaged or stale', async () => {
    expect.hasAssertions();
    const { p, qdir } = await threeSegmentsStopped('indexed');
    const segs = readdirSync(qdir).filter((f) => f.endsWith('.seg')).sort();
    expect(segs.length).toBe(3);
    expect(readdirSync(qdir).filter((f) => f.endsWith('.idx')).sort()).toEqual(segs.map((f) => f.replace('.seg', '.idx')));

    const drainSome = async (n: number) => {
      await p.start();
      const reader = await p.conn.createChannel();
      const total = (await reader.checkQueue('indexed')).messageCount;
      const got: string[] = [];
      for (let i = 0; i < n; i++) got.push((await reader.get('indexed', { noAck: true }) as amqp.GetMessage).content.toString('latin1').split('-')[0]!);
      await p.stop();
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

  it('boots a backlog nobody consumed from its indexes\' trailers alone, and scans a segment whose trailer is damaged', async () => {
    expect.hasAssertions();
    const { p, qdir } = await threeSegmentsStopped('summed');
    const idx = readdirSync(qdir).filter((f) => f.endsWith('.idx')).sort().map((f) => join(qdir, f));
    expect(idx.length).toBe(3);
    // Segment 0: its entries zeroed, its trailer intact (boot reads only the trailer while every record is live).
    const first = readFileSync(idx[0]!);
    first.fill(0, 0, first.length - 40);
    writeFileSync(idx[0]!, first);
    // Segment 1: its trailer's record count changed (its CRC no longer matches): that segment is scanned.
    const second = readFileSync(idx[1]!);
    second[second.length - 33] = second[second.length - 33]! ^ 0x01;
    writeFileSync(idx[1]!, second);
    await p.start();
    const reader = await p.conn.createChannel();
    expect((await reader.checkQueue('summed')).messageCount).toBe(300);
    expect(existsSync(idx[0]!)).toBe(true);
    expect(existsSync(idx[1]!)).toBe(false);
    const got: string[] = [];
    for (let i = 0; i < 300; i++) got.push((await reader.get('summed', { noAck: true }) as amqp.GetMessage).content.toString('latin1').split('-')[0]!);
    expect(got).toEqual(Array.from({ length: 300 }, (_, i) => `m${i}`));
    expect(await reader.get('summed', { noAck: true })).toBe(false);
  });
});
