// `make bench` throughput and RPC latency: Warren, RabbitMQ and (asked) GarageMQ side by side in one run, scenarios as in RabbitMQ's PerfTest.
import { execSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { AmqpConnection, nowUs, type ChannelListener, type Delivery } from '../../src/client/index.js';
import { publishFrames } from '../../src/protocol/index.js';
import { LatencyHistogram } from '../../src/perf/histogram.js';
import type { BasicProperties } from '../../src/protocol/index.js';
import { measure, spread, type MeasureOptions, type RunHooks, type Spread } from './perf-runner.js';

/** Seconds one measured run lasts (BENCH_SECONDS); the runner shortens it to BENCH_WARMUP_SECONDS for warm-up runs. */
const MEASURED_SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
let SECONDS = MEASURED_SECONDS;
/** Measured runs per broker and scenario (alternating brokers), after one warm-up run each. */
const RUNS = Math.max(1, Number(process.env.BENCH_RUNS ?? 3));
const WARMUP_SECONDS = Number(process.env.BENCH_WARMUP_SECONDS ?? 1);
/** Most messages a producer may be ahead of its consumers (keeps both brokers' queues short). */
const MAX_AHEAD = 20_000;

interface Target {
  name: string;
  host: string;
  port: number;
}

const tick = () => new Promise<void>((r) => setImmediate(r));
let counter = 0;
const unique = (p: string) => `perf-${p}-${process.pid}-${++counter}`;

/** The connections the current run opened (closed if it times out) and how a broker error fails it. */
const run: { connections: AmqpConnection[]; fail: ((e: Error) => void) | undefined } = { connections: [], fail: undefined };

/** Opens a connection (channel 1 with `o`); a broker error fails the current run (outside one, ends the bench). */
async function open(t: Target, listener?: ChannelListener, o: { confirm?: boolean; prefetch?: number; collect?: boolean } = {}): Promise<AmqpConnection> {
  const c = await AmqpConnection.open({ host: t.host, port: t.port });
  run.connections.push(c);
  c.onError = (e) => {
    console.error(`${t.name}: ${e.message}`);
    if (run.fail) run.fail(e);
    else process.exit(1);
  };
  await c.openChannel(1, listener, o);
  return c;
}

/**
 * A scenario's clean-up, skipped on GarageMQ: its queue.delete of a queue with a consumer never answers and blocks
 * the vhost from then on (the bench's GarageMQ is a throwaway instance in a temp dir, so its queues may stay).
 */
const tidy = (t: Target, clean: () => Promise<unknown>) => (t.name === 'GarageMQ' ? Promise.resolve() : clean());

const drained = (c: AmqpConnection) => new Promise<void>((r) => c.onDrain(r));

/** A declared, empty queue. */
async function freshQueue(c: AmqpConnection, queue: string, durable: boolean): Promise<void> {
  await c.declareQueue(1, queue, { durable });
  await c.purgeQueue(1, queue);
}

/** Pre-encoded publish frames on channel 1. */
function frames(c: AmqpConnection, exchange: string, key: string, persistent: boolean, body: Buffer): Buffer {
  const properties: BasicProperties = persistent ? { deliveryMode: 2 } : {};
  return publishFrames(1, exchange, key, properties, body, c.frameMax).frames;
}

/** Counts deliveries on a channel, acking with multiple every `ackEvery` (0: auto-ack). */
class Deliveries implements ChannelListener {
  count = 0;
  private sinceAck = 0;
  conn: AmqpConnection | undefined;
  /** The producer's cap, told of each delivery. */
  cap: Cap | undefined;
  constructor(
    private readonly channel: number,
    private readonly ackEvery: number,
  ) {}
  message(tag: number): void {
    this.count++;
    this.cap?.onDelivery();
    if (this.ackEvery > 0 && ++this.sinceAck >= this.ackEvery) {
      this.sinceAck = 0;
      this.conn!.ack(this.channel, tag, true);
    }
  }
}

/** Counts publisher confirms (a multiple ack counts every tag it covers). */
class Confirms implements ChannelListener {
  count = 0;
  private upTo = 0;
  wake: (() => void) | undefined;
  confirm(tag: number, multiple: boolean): void {
    this.count += multiple ? tag - this.upTo : 1;
    this.upTo = Math.max(this.upTo, tag);
    this.wake?.();
  }
}

/**
 * The producer's cap: at most MAX_AHEAD messages published and not yet delivered (per queue), so neither broker's
 * queue grows into paging when its consumer is the slower side. A producer out of room waits until the consumers'
 * deliveries bring it back under half the cap (they call onDelivery), not polling.
 */
class Cap {
  sent = 0;
  private waiting: (() => void) | undefined;
  constructor(private readonly delivered: () => number) {}
  room(): boolean {
    return this.sent - this.delivered() < MAX_AHEAD;
  }
  onDelivery(): void {
    if (this.waiting !== undefined && this.sent - this.delivered() < MAX_AHEAD / 2) {
      const wake = this.waiting;
      this.waiting = undefined;
      wake();
    }
  }
  wait(): Promise<void> {
    return new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        this.waiting = undefined;
        resolve();
      }, 50);
      this.waiting = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }
}

/** Publishes as fast as the broker takes it while the cap allows, until the deadline. */
async function produce(p: AmqpConnection, message: Buffer, end: number, cap: Cap): Promise<void> {
  while (Date.now() < end) {
    let batch = 0;
    while (batch < 200 && cap.room()) {
      p.append(message);
      batch++;
      cap.sent++;
    }
    if (!p.flush()) await drained(p);
    else if (!cap.room()) await cap.wait();
    else await tick();
  }
}

async function transient(t: Target, size: number, manualAck: boolean): Promise<number> {
  const counter = new Deliveries(1, manualAck ? 500 : 0);
  const cons = await open(t, counter, manualAck ? { prefetch: 1000 } : {});
  counter.conn = cons;
  const prod = await open(t);
  const q = unique('q');
  await freshQueue(cons, q, false);
  await cons.consume(1, q, !manualAck);
  const start = Date.now();
  const message = frames(prod, '', q, false, Buffer.alloc(size, 0x61));
  counter.cap = new Cap(() => counter.count);
  await produce(prod, message, start + SECONDS * 1000, counter.cap);
  const rate = counter.count / ((Date.now() - start) / 1000);
  await tidy(t, () => cons.deleteQueue(1, q));
  cons.destroy();
  prod.destroy();
  return rate;
}

async function persistentConfirms(t: Target, size: number): Promise<number> {
  const counter = new Deliveries(1, 500);
  const cons = await open(t, counter, { prefetch: 1000 });
  counter.conn = cons;
  const confirms = new Confirms();
  const prod = await open(t, confirms, { confirm: true });
  const q = unique('durable');
  await freshQueue(cons, q, true);
  await cons.consume(1, q, false);
  const message = frames(prod, '', q, true, Buffer.alloc(size, 0x62));
  const start = Date.now();
  let published = 0;
  const end = start + SECONDS * 1000;
  while (Date.now() < end) {
    while (published - confirms.count < 1000) {
      prod.append(message);
      published++;
    }
    if (!prod.flush()) await drained(prod);
    await new Promise<void>((r) => {
      confirms.wake = r;
      setTimeout(r, 50);
    });
  }
  const rate = confirms.count / ((Date.now() - start) / 1000);
  await tidy(t, () => cons.deleteQueue(1, q));
  cons.destroy();
  prod.destroy();
  return rate;
}

async function fanout(t: Target, size: number, queues: number): Promise<number> {
  const cons = await open(t);
  const prod = await open(t);
  const counters: Deliveries[] = [];
  const names: string[] = [];
  for (let i = 1; i <= queues; i++) {
    const counter = new Deliveries(i, 0);
    counters.push(counter);
    if (i > 1) await cons.openChannel(i, counter);
    else cons.setListener(1, counter);
    const q = unique('fan');
    names.push(q);
    await cons.declareQueue(i, q, {});
    await cons.purgeQueue(i, q);
    await cons.consume(i, q, true);
  }
  const ex = unique('fanout');
  await cons.declareExchange(1, ex, 'fanout');
  for (const q of names) await cons.bindQueue(1, q, ex, '');
  const message = frames(prod, ex, '', false, Buffer.alloc(size, 0x63));
  const start = Date.now();
  const total = () => counters.reduce((a, c) => a + c.count, 0);
  const cap = new Cap(() => total() / queues);
  for (const c of counters) c.cap = cap;
  await produce(prod, message, start + SECONDS * 1000, cap);
  const rate = total() / ((Date.now() - start) / 1000);
  for (let i = 1; i <= queues; i++) await tidy(t, () => cons.deleteQueue(i, names[i - 1]!));
  cons.destroy();
  prod.destroy();
  return rate;
}

/** Answers each request on its reply-to queue with the same body and correlation id, then acks it. */
class Responder implements ChannelListener {
  conn: AmqpConnection | undefined;
  content(d: Delivery): void {
    const { deliveryTag: tag, properties: p, body } = d;
    const c = this.conn!;
    if (p.replyTo !== undefined) c.publish(1, '', p.replyTo, p.correlationId !== undefined ? { correlationId: p.correlationId } : {}, body);
    c.ack(1, tag, false);
    c.flush();
  }
}

/** Sends one request at a time and times each round trip until the deadline. */
class Requester implements ChannelListener {
  conn: AmqpConnection | undefined;
  readonly latency = new LatencyHistogram();
  private sentAt = 0;
  private id = 0;
  private end = 0;
  private done: (() => void) | undefined;
  constructor(
    private readonly queue: string,
    private readonly replyTo: string,
    private readonly body: Buffer,
  ) {}
  run(seconds: number): Promise<void> {
    this.end = Date.now() + seconds * 1000;
    return new Promise((resolve) => {
      this.done = resolve;
      this.request();
    });
  }
  private request(): void {
    const c = this.conn!;
    this.sentAt = nowUs();
    c.publish(1, '', this.queue, { replyTo: this.replyTo, correlationId: String(++this.id) }, this.body);
    c.flush();
  }
  content(d: Delivery): void {
    const p = d.properties;
    if (p.correlationId !== String(this.id)) return;
    this.latency.record(this.conn!.receivedAtUs - this.sentAt);
    if (Date.now() < this.end) this.request();
    else this.done?.();
  }
}

/** RPC through a queue: a requester and a responder on their own connections, one request in flight; p50 and p99 in µs. */
async function rpc(t: Target, size: number): Promise<{ p50: number; p99: number; roundTrips: number }> {
  const responder = new Responder();
  const server = await open(t, responder, { prefetch: 1, collect: true });
  responder.conn = server;
  const queue = unique('rpc');
  await freshQueue(server, queue, false);
  await server.consume(1, queue, false);
  const client = await open(t, undefined, { collect: true });
  const { queue: replyTo } = await client.declareQueue(1, '', { exclusive: true, autoDelete: true });
  const requester = new Requester(queue, replyTo, Buffer.alloc(size, 0x66));
  requester.conn = client;
  client.setListener(1, requester);
  await client.consume(1, replyTo, true);
  // One unmeasured second first, for both brokers alike: Warren's JIT is still compiling the path in its first
  // seconds (its own handling of a frame had a p99 of 95 µs then, 25 µs after).
  await requester.run(1);
  requester.latency.reset();
  await requester.run(SECONDS);
  await tidy(t, () => server.deleteQueue(1, queue));
  server.destroy();
  client.destroy();
  const h = requester.latency;
  return { p50: h.percentile(0.5), p99: h.percentile(0.99), roundTrips: h.count };
}

/**
 * Resident memory of a fresh Warren process while `count` messages of `size` bytes wait in one queue (fresh, so the
 * scenarios and the 10,000 idle connections before it do not count).
 */
async function backlogMemory(count: number, size: number): Promise<number> {
  const w = await startWarren();
  const t = w.target;
  const confirms = new Confirms();
  const prod = await open(t, confirms, { confirm: true });
  const q = unique('backlog');
  await freshQueue(prod, q, false);
  const message = frames(prod, '', q, false, Buffer.alloc(size, 0x64));
  await publishConfirmed(prod, confirms, message, count);
  const rss = await rssOf(t, w.metricsPort);
  prod.destroy();
  const exited = new Promise((r) => w.child.once('exit', r));
  w.child.kill('SIGTERM');
  await exited;
  rmSync(w.dir, { recursive: true, force: true });
  return rss;
}

/** Publishes `count` copies of `message`, at most 5,000 unconfirmed, and waits for every confirm. */
async function publishConfirmed(prod: AmqpConnection, confirms: Confirms, message: Buffer, count: number): Promise<void> {
  let published = 0;
  while (published < count) {
    const n = Math.min(1000, count - published);
    for (let i = 0; i < n; i++) prod.append(message);
    published += n;
    if (!prod.flush()) await drained(prod);
    while (published - confirms.count > 5000) await new Promise((r) => setTimeout(r, 1));
  }
  while (confirms.count < count) await new Promise((r) => setTimeout(r, 5));
}

/** Publishes `count` persistent messages to a durable queue, stops Warren cleanly, and times its restart. */
async function restartTime(count: number, size: number): Promise<{ ms: number; recovered: number }> {
  const w = await startWarren();
  const confirms = new Confirms();
  const prod = await open(w.target, confirms, { confirm: true });
  await freshQueue(prod, 'restart-backlog', true);
  await publishConfirmed(prod, confirms, frames(prod, '', 'restart-backlog', true, Buffer.alloc(size, 0x65)), count);
  prod.destroy();
  const exited = new Promise((r) => w.child.once('exit', r));
  w.child.kill('SIGTERM');
  await exited;
  // The boot alone is timed: not the kernel still writing the backlog's gigabyte back meanwhile.
  execSync('sync');
  await settle('the restart');
  const started = Date.now();
  const again = await startWarren(w.dir);
  const ms = Date.now() - started;
  const check = await open(again.target);
  const { messageCount } = await check.declareQueue(1, 'restart-backlog', { passive: true });
  check.destroy();
  again.child.kill('SIGTERM');
  rmSync(w.dir, { recursive: true, force: true });
  return { ms, recovered: messageCount };
}

/**
 * Waits (at most 30 s) until the machine's CPUs are at least 80% idle over half a second, so that what ran before (a
 * broker closing 10,000 connections, a backlog written back) does not land in the next measure.
 */
async function settle(what: string): Promise<void> {
  const sample = () => {
    const fields = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
    return { idle: fields[3]!, total: fields.reduce((a, b) => a + b, 0) };
  };
  const start = Date.now();
  for (;;) {
    const a = sample();
    await new Promise((r) => setTimeout(r, 500));
    const b = sample();
    const idle = (b.idle - a.idle) / Math.max(1, b.total - a.total);
    if (idle >= 0.8 || Date.now() - start > 30_000) {
      if (Date.now() - start > 1000) console.log(`  (waited ${((Date.now() - start) / 1000).toFixed(1)} s for an idle machine before ${what}: ${Math.round(idle * 100)}% idle)`);
      return;
    }
  }
}

/** Resident memory of a broker process: Warren's from its metrics, RabbitMQ's (beam.smp) from /proc. */
async function rssOf(t: Target, metricsPort: number | undefined): Promise<number> {
  if (metricsPort !== undefined) {
    const text = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
    return Number(/^rabbitmq_process_resident_memory_bytes (\d+)/m.exec(text)?.[1] ?? NaN);
  }
  const { execSync } = await import('node:child_process');
  const out = execSync('ps -C beam.smp -o rss= 2>/dev/null || true').toString().trim();
  return out ? Number(out.split('\n')[0]) * 1024 : NaN;
}

/** How many connections the last idleConnections() call managed to open. */
let opened = 0;

/** Memory per idle connection (each with one channel open): RSS before and after opening `n` of them. */
async function idleConnections(t: Target, metricsPort: number | undefined, n: number): Promise<number> {
  const before = await rssOf(t, metricsPort);
  const clients: AmqpConnection[] = [];
  const deadline = Date.now() + 120_000;
  const withTimeout = <T>(p: Promise<T>) =>
    Promise.race([p, new Promise<never>((_, reject) => setTimeout(() => reject(new Error('timed out')), 10_000))]);
  try {
    for (let i = 0; i < n && Date.now() < deadline; i += 100) {
      await Promise.all(
        Array.from({ length: Math.min(100, n - i) }, async () => {
          const c = await withTimeout(AmqpConnection.open({ host: t.host, port: t.port, timeoutMs: 10_000 }));
          clients.push(c);
          await withTimeout(c.openChannel(1));
        }),
      );
    }
  } catch (e) {
    console.log(`${t.name}: stopped opening idle connections after ${clients.length}: ${(e as Error).message}`);
  }
  await new Promise((r) => setTimeout(r, 2000));
  const after = await rssOf(t, metricsPort);
  for (const c of clients) c.destroy();
  opened = clients.length;
  return (after - before) / clients.length;
}

async function reachable(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ host, port }, () => {
      s.destroy();
      resolve(true);
    });
    s.on('error', () => resolve(false));
  });
}

async function startWarren(existingDir?: string): Promise<{ target: Target; child: ChildProcess; dir: string; metricsPort: number; managementPort: number }> {
  const dir = existingDir ?? mkdtempSync(join(tmpdir(), 'warren-bench-'));
  // BENCH_WARREN_BIN: another build's bin/warren (A/B runs); BENCH_NODE_ARGS: node flags for it (e.g. --cpu-prof).
  const bin = process.env.BENCH_WARREN_BIN ?? join(import.meta.dirname, '..', '..', '..', 'bin', 'warren');
  const nodeArgs = (process.env.BENCH_NODE_ARGS ?? '').split(' ').filter((a) => a !== '');
  const child = spawn(process.execPath, [...nodeArgs, bin, '--port', '0', '--management-port', '0', '--prometheus-port', '0', '--data-dir', dir, '--log-level', 'info'], {
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  const { port, prometheusPort, managementPort } = await new Promise<{ port: number; prometheusPort: number; managementPort: number }>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const line = out.split('\n').find((l) => l.includes('Server startup complete'));
      if (line) resolve(JSON.parse(line) as { port: number; prometheusPort: number; managementPort: number });
    });
    child.on('exit', (code) => reject(new Error(`warren exited ${code}`)));
  });
  child.removeAllListeners('exit');
  return { target: { name: 'Warren', host: '127.0.0.1', port }, child, dir, metricsPort: prometheusPort, managementPort };
}

// ---- shovels ---------------------------------------------------------------------------------

const GUEST = 'Basic ' + Buffer.from('guest:guest').toString('base64');

async function managementCall(port: number, method: string, path: string, body?: unknown): Promise<unknown> {
  const res = await fetch(`http://127.0.0.1:${port}${path}`, { method, headers: { authorization: GUEST, 'content-type': 'application/json' }, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
  const text = await res.text();
  if (res.status >= 300) throw new Error(`${method} ${path}: ${res.status} ${text}`);
  return text === '' ? undefined : JSON.parse(text);
}

/**
 * A producer on `src`'s queue, a shovel (running in `src`) moving it to the same queue on `dest`, an auto-ack
 * consumer there: deliveries per second at the destination.
 */
/** CPU seconds (user + system) a process has used so far, from /proc (undefined where there is none). */
function cpuSeconds(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'latin1').split(') ')[1]!.split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return undefined;
  }
}

async function shovelled(src: Target, srcManagement: number, dest: Target, size: number, ackMode: 'on-publish' | 'on-confirm', srcPid?: number): Promise<number> {
  const counter = new Deliveries(1, 0);
  const cons = await open(dest, counter);
  const prod = await open(src);
  const q = unique('shovel');
  await freshQueue(prod, q, false);
  await freshQueue(cons, q, false);
  await cons.consume(1, q, true);
  const name = unique('sh');
  const path = `/api/parameters/shovel/%2F/${name}`;
  await managementCall(srcManagement, 'PUT', path, { value: { 'src-uri': 'amqp://', 'src-queue': q, 'dest-uri': `amqp://guest:guest@127.0.0.1:${dest.port}`, 'dest-queue': q, 'ack-mode': ackMode } });
  for (let i = 0; i < 500; i++) {
    const rows = (await managementCall(srcManagement, 'GET', '/api/shovels')) as Array<{ name: string; state: string }>;
    if (rows.find((r) => r.name === name)?.state === 'running') break;
    await new Promise((r) => setTimeout(r, 20));
  }
  const start = Date.now();
  const cpuBefore = cpuSeconds(srcPid);
  const message = frames(prod, '', q, false, Buffer.alloc(size, 0x61));
  counter.cap = new Cap(() => counter.count);
  await produce(prod, message, start + SECONDS * 1000, counter.cap);
  const rate = counter.count / ((Date.now() - start) / 1000);
  const cpuAfter = cpuSeconds(srcPid);
  // CPU per message in the source Warren (its broker and the shovel): less sensitive to a busy machine than the rate.
  if (cpuBefore !== undefined && cpuAfter !== undefined && counter.count > 0) {
    console.log(`  shovel ${ackMode}: ${counter.count.toLocaleString('en')} moved, source Warren ${(((cpuAfter - cpuBefore) * 1e6) / counter.count).toFixed(2)} µs CPU per message`);
  }
  await managementCall(srcManagement, 'DELETE', path);
  await prod.deleteQueue(1, q);
  await cons.deleteQueue(1, q);
  cons.destroy();
  prod.destroy();
  return rate;
}

/**
 * Restarts the local RabbitMQ (`rabbitmqctl stop`, `rabbitmq-server -detached`) and times it from spawn to
 * accepting connections on 5672; undefined when it is not a local one this process may restart.
 */
async function rabbitmqStartup(): Promise<number | undefined> {
  const { execSync } = await import('node:child_process');
  try {
    execSync('command -v rabbitmq-server && rabbitmqctl -q stop', { stdio: 'ignore' });
  } catch {
    return undefined;
  }
  const started = Date.now();
  spawn('rabbitmq-server', ['-detached'], { stdio: 'ignore' }).unref();
  while (!(await reachable('127.0.0.1', 5672))) {
    if (Date.now() - started > 120_000) throw new Error('RabbitMQ did not come back within 120 s');
    await new Promise((r) => setTimeout(r, 20));
  }
  return Date.now() - started;
}

// ---- streams ---------------------------------------------------------------------------------

const STREAM_ARGS = new Map([['x-queue-type', { type: 'S' as const, value: 'stream' }]]);
const FROM_FIRST = new Map([['x-stream-offset', { type: 'S' as const, value: 'first' }]]);

/** Messages a replay scenario reads back (BENCH_STREAM_REPLAY; the issue's number is 1,000,000). */
const STREAM_REPLAY = Number(process.env.BENCH_STREAM_REPLAY ?? 1_000_000);

/** A fresh stream (a stream cannot be purged: a new name each time). */
async function freshStream(c: AmqpConnection): Promise<string> {
  const q = unique('stream');
  await c.declareQueue(1, q, { durable: true, arguments: STREAM_ARGS });
  return q;
}

/** Publishing to a stream with confirms, at most 1,000 unconfirmed: confirms per second. */
async function streamPublish(t: Target, size: number): Promise<number> {
  const confirms = new Confirms();
  const prod = await open(t, confirms, { confirm: true });
  const q = await freshStream(prod);
  const message = frames(prod, '', q, false, Buffer.alloc(size, 0x73));
  const start = Date.now();
  let published = 0;
  const end = start + SECONDS * 1000;
  while (Date.now() < end) {
    while (published - confirms.count < 1000) {
      prod.append(message);
      published++;
    }
    if (!prod.flush()) await drained(prod);
    await new Promise<void>((r) => {
      confirms.wake = r;
      setTimeout(r, 50);
    });
  }
  const rate = confirms.count / ((Date.now() - start) / 1000);
  await prod.deleteQueue(1, q);
  prod.destroy();
  return rate;
}

/** A stream holding `count` messages of `size` bytes, published with confirms. */
async function filledStream(t: Target, count: number, size: number): Promise<{ q: string; prod: AmqpConnection }> {
  const confirms = new Confirms();
  const prod = await open(t, confirms, { confirm: true });
  const q = await freshStream(prod);
  await publishConfirmed(prod, confirms, frames(prod, '', q, false, Buffer.alloc(size, 0x74)), count);
  return { q, prod };
}

/**
 * `consumers` consumers (one connection each, prefetch 1000, acks every 500) read the stream from the first offset
 * to its end: deliveries per second over all of them, and the broker's highest RSS seen while they read.
 */
async function streamReplay(t: Target, q: string, count: number, consumers: number, metricsPort: number | undefined): Promise<{ rate: number; peakRss: number }> {
  const counters: Deliveries[] = [];
  const conns: AmqpConnection[] = [];
  for (let i = 0; i < consumers; i++) {
    const counter = new Deliveries(1, 500);
    const c = await open(t, counter, { prefetch: 1000 });
    counter.conn = c;
    counters.push(counter);
    conns.push(c);
  }
  let peakRss = 0;
  let sampling = true;
  const sampler = (async () => {
    while (sampling) {
      peakRss = Math.max(peakRss, await rssOf(t, metricsPort));
      await new Promise((r) => setTimeout(r, 200));
    }
  })();
  const start = Date.now();
  await Promise.all(conns.map((c) => c.consume(1, q, false, '', { arguments: FROM_FIRST })));
  const total = count * consumers;
  const deadline = start + 600_000;
  while (counters.reduce((n, c) => n + c.count, 0) < total && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
  const rate = counters.reduce((n, c) => n + c.count, 0) / ((Date.now() - start) / 1000);
  sampling = false;
  await sampler;
  for (const c of conns) c.destroy();
  return { rate, peakRss };
}

/** One row of bench-results.json: each broker's spread (null: failed or hung) and Warren's median over each other's. */
interface ResultRow {
  scenario: string;
  bodyBytes: number;
  unit: 'msgs/s' | 'µs';
  lowerIsBetter: boolean;
  brokers: Record<string, Spread | null>;
  ratios: Record<string, number | null>;
}

function resultRow(scenario: string, bodyBytes: number, unit: 'msgs/s' | 'µs', lowerIsBetter: boolean, runs: Map<string, number[] | undefined>): ResultRow {
  const brokers: Record<string, Spread | null> = {};
  for (const [b, v] of runs) brokers[b] = v && v.length > 0 ? spread(v.map((x) => Math.round(x * 10) / 10)) : null;
  const ratios: Record<string, number | null> = {};
  const w = brokers.Warren;
  for (const [b, v] of Object.entries(brokers)) if (b !== 'Warren') ratios[b] = w && v && v.median > 0 ? w.median / v.median : null;
  return { scenario, bodyBytes, unit, lowerIsBetter, brokers, ratios };
}

const fmtNumber = (n: number) => (n >= 100 ? Math.round(n).toLocaleString('en') : n.toFixed(1));

/** Ties the runner to `open`: a run's connections are closed if it fails or hangs, a broker error fails it. */
const runHooks: RunHooks = {
  begin(fail) {
    run.connections = [];
    run.fail = fail;
  },
  end(abandon) {
    if (abandon) for (const c of run.connections) c.destroy();
    run.connections = [];
    run.fail = undefined;
  },
};

const sh = (cmd: string): string | undefined => {
  try {
    return execSync(cmd, { stdio: ['ignore', 'pipe', 'ignore'] }).toString().trim() || undefined;
  } catch {
    return undefined;
  }
};

/** The commit measured, with "-dirty" when the work tree has changes. */
function commitOf(): string | undefined {
  const head = sh('git rev-parse --short HEAD');
  return head && sh('git status --porcelain --untracked-files=no') ? `${head}-dirty` : head;
}

/** The machine: CPUs, memory, OS, and the load averages before and after the run (the machine is shared). */
function machine(loadBefore: number[]) {
  const os = /^PRETTY_NAME="?([^"\n]*)"?/m.exec(sh('cat /etc/os-release') ?? '')?.[1];
  return {
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model.trim(),
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    os: os ?? `${process.platform} ${process.arch}`,
    kernel: sh('uname -r'),
    loadAverageBefore: loadBefore.map((x) => Number(x.toFixed(2))),
    loadAverageAfter: loadavg().map((x) => Number(x.toFixed(2))),
  };
}

/** Node's and each broker's version (a broker's from its connection.start, else its Debian package). */
async function versions(targets: Target[]): Promise<Record<string, string | undefined>> {
  const out: Record<string, string | undefined> = { node: process.versions.node };
  for (const t of targets) {
    let v: string | undefined;
    try {
      const c = await AmqpConnection.open({ host: t.host, port: t.port, timeoutMs: 5000 });
      const field = c.serverProperties.get('version');
      v = field && (field.type === 'S' || field.type === 'x') ? String(field.value) : undefined;
      c.destroy();
    } catch {
      v = undefined;
    }
    if (t.name === 'RabbitMQ') {
      const erlang = sh('erl -noshell -eval \'io:fwrite("~s", [erlang:system_info(otp_release)]), halt().\'');
      v = `${v ?? sh("dpkg-query -W -f '${Version}' rabbitmq-server")}${erlang ? ` (Erlang/OTP ${erlang})` : ''}`;
    }
    if (t.name === 'GarageMQ') v = sh("dpkg-query -W -f '${Version}' garagemq") ?? v;
    // Warren's connection.start says the RabbitMQ version it answers like; its own version is the package's.
    if (t.name === 'Warren') v = (JSON.parse(readFileSync(join(import.meta.dirname, '..', '..', '..', 'package.json'), 'utf8')) as { version: string }).version;
    out[t.name] = v;
  }
  return out;
}

/** A free TCP port on 127.0.0.1 (GarageMQ cannot listen on port 0 and say which port it got). */
async function freePort(): Promise<number> {
  const { createServer } = await import('node:net');
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

/** Starts Debian's garagemq with a temp config and data dir on a free port (guest/guest); undefined if it is missing. */
async function startGarageMQ(): Promise<{ target: Target; stop: () => void } | undefined> {
  if (!sh('command -v garagemq')) {
    console.log('GarageMQ is not installed (make bench GARAGEMQ=1 installs Debian\'s garagemq): no GarageMQ column');
    return undefined;
  }
  const dir = mkdtempSync(join(tmpdir(), 'garagemq-bench-'));
  const [port, adminPort] = [await freePort(), await freePort()];
  const config = [
    'proto: amqp-rabbit',
    'users:',
    '  - username: guest',
    '    password: 084e0343a0486ff05530df6c705c8bb4',
    'tcp:',
    '  ip: 127.0.0.1',
    `  port: ${port}`,
    '  nodelay: false',
    '  readBufSize: 196608',
    '  writeBufSize: 196608',
    'admin:',
    '  ip: 127.0.0.1',
    `  port: ${adminPort}`,
    'queue:',
    '  shardSize: 8192',
    '  maxMessagesInRam: 131072',
    'db:',
    `  defaultPath: ${join(dir, 'db')}`,
    '  engine: badger',
    'vhost:',
    '  defaultPath: /',
    'security:',
    '  passwordCheck: md5',
    'connection:',
    '  channelsMax: 4096',
    '  frameMaxSize: 65536',
  ].join('\n');
  writeFileSync(join(dir, 'config.yaml'), config + '\n');
  const child = spawn('garagemq', ['--config', join(dir, 'config.yaml'), '--log-level', 'error'], { cwd: dir, stdio: 'ignore' });
  const started = Date.now();
  while (!(await reachable('127.0.0.1', port))) {
    if (child.exitCode !== null || Date.now() - started > 30_000) {
      console.log('GarageMQ did not start: no GarageMQ column');
      child.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
      return undefined;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  console.log(`GarageMQ: accepting connections on ${port} after ${Date.now() - started} ms`);
  return {
    target: { name: 'GarageMQ', host: '127.0.0.1', port },
    stop: () => {
      child.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function main(): Promise<void> {
  const loadBefore = loadavg();
  const t0 = Date.now();
  const warren = await startWarren();
  const startupMs = Date.now() - t0;
  const warrenIdle = await rssOf(warren.target, warren.metricsPort);
  console.log(`Warren: ${startupMs} ms from spawn to accepting connections; ${(warrenIdle / 1e6).toFixed(0)} MB resident memory idle`);
  const targets: Target[] = [warren.target];
  const resources: Array<{ name: string; warren: number; rabbitmq: number | undefined; unit: string }> = [];
  let rabbitStartupMs: number | undefined;
  let rabbitIdle: number | undefined;
  if (process.env.BENCH_RABBITMQ !== '0' && (await reachable('127.0.0.1', 5672))) {
    targets.push({ name: 'RabbitMQ', host: '127.0.0.1', port: 5672 });
    if (process.env.BENCH_RABBITMQ_RESTART !== '0') {
      rabbitStartupMs = await rabbitmqStartup();
      if (rabbitStartupMs !== undefined) {
        await new Promise((r) => setTimeout(r, 5000));
        rabbitIdle = await rssOf(targets[1]!, undefined);
        console.log(`RabbitMQ: ${rabbitStartupMs} ms from spawn to accepting connections; ${(rabbitIdle / 1e6).toFixed(0)} MB resident memory idle (5 s after start)`);
      }
    }
  } else if (process.env.BENCH_RABBITMQ === '0') console.log('BENCH_RABBITMQ=0: no RabbitMQ column');
  else console.log('RabbitMQ is not running on 5672: no RabbitMQ column (make bench RABBITMQ=1 starts one)');
  const garage = process.env.BENCH_GARAGEMQ === '1' ? await startGarageMQ() : undefined;
  resources.push({ name: 'from start to accepting connections', warren: startupMs, rabbitmq: rabbitStartupMs, unit: 'ms' });
  resources.push({ name: 'resident memory idle', warren: warrenIdle / 1e6, rabbitmq: rabbitIdle === undefined ? undefined : rabbitIdle / 1e6, unit: 'MB' });
  const scenarios: Array<[string, (t: Target, size: number) => Promise<number>]> = [
    ['transient 1→1 auto-ack', (t, s) => transient(t, s, false)],
    ['transient manual ack, prefetch 1000', (t, s) => transient(t, s, true)],
    ['persistent + confirms (window 1000)', persistentConfirms],
    ['fanout to 10 queues (deliveries/s)', (t, s) => fanout(t, s, 10)],
    ['stream: publish + confirms (window 1000)', streamPublish],
  ];
  const benchTargets = [...targets, ...(garage ? [garage.target] : [])];
  const brokerVersions = await versions(benchTargets);
  const results: ResultRow[] = [];
  /** One table row: each broker's runs (undefined: it failed or hung), summarized; printed as it comes. */
  const addResult = (scenario: string, bodyBytes: number, unit: 'msgs/s' | 'µs', runs: Map<string, number[] | undefined>, lowerIsBetter = false) => {
    const row = resultRow(scenario, bodyBytes, unit, lowerIsBetter, runs);
    results.push(row);
    const cells = Object.entries(row.brokers).map(([b, v]) => `${b} ${v ? `${fmtNumber(v.median)} (${fmtNumber(v.min)}–${fmtNumber(v.max)})` : '—'}`);
    const ratios = Object.entries(row.ratios).map(([b, r]) => `÷ ${b} ${r === null ? '—' : `${r.toFixed(2)}×`}`);
    console.log(`${scenario}, ${bodyBytes} B, ${unit}: ${[...cells, ...ratios].join('; ')}`);
  };
  const only = process.env.BENCH_SCENARIOS?.split(',').map((x) => x.trim()).filter((x) => x !== '');
  const sizes = (process.env.BENCH_SIZES ?? '16,1024').split(',').map(Number);
  const options = (seconds: number): MeasureOptions => ({
    runs: RUNS,
    warmupSeconds: WARMUP_SECONDS,
    seconds,
    setSeconds: (x) => (SECONDS = x),
    graceMs: 20_000,
    hooks: runHooks,
  });
  console.log(`each scenario: a ${WARMUP_SECONDS} s warm-up, then ${RUNS} runs of ${MEASURED_SECONDS} s per broker and body size, alternating ${benchTargets.map((t) => t.name).join(', ')}`);
  for (const [name, scenario] of process.env.BENCH_THROUGHPUT === '0' ? [] : scenarios) {
    if (only && !only.some((o) => name.startsWith(o))) continue;
    for (const size of sizes) {
      const label = `${name}, ${size} B`;
      // A run that moved no message failed (GarageMQ sends no publisher confirms): "—", not 0.
      // Warren's CPU time per message of each run is logged too: on a shared machine it moves less than the rate.
      const counted = (t: Target) => {
        const pid = t === warren.target ? warren.child.pid : undefined;
        const cpuBefore = cpuSeconds(pid);
        const started = Date.now();
        return scenario(t, size).then((rate) => {
          if (!(rate > 0)) throw new Error('moved no message in its run');
          const cpuAfter = cpuSeconds(pid);
          if (cpuBefore !== undefined && cpuAfter !== undefined) {
            const moved = rate * SECONDS;
            console.log(`  ${label}: ${t.name} ${(((cpuAfter - cpuBefore) * 1e6) / moved).toFixed(2)} µs CPU per message (${((100 * (cpuAfter - cpuBefore)) / ((Date.now() - started) / 1000)).toFixed(0)}% of a core)`);
          }
          return rate;
        });
      };
      addResult(name, size, 'msgs/s', await measure(label, benchTargets, counted, options(MEASURED_SECONDS)));
    }
  }
  // Shovels between two Warrens on this machine (the issue's goals: 100k msgs/s on-publish, 40k on-confirm, 16 B).
  if (process.env.BENCH_SHOVEL !== '0' && process.env.BENCH_THROUGHPUT !== '0' && (!only || only.some((o) => o.startsWith('shovel')))) {
    const second = await startWarren();
    for (const mode of ['on-publish', 'on-confirm'] as const) {
      const size = 16;
      const name = `shovel Warren → Warren, ${mode} (goal: ${mode === 'on-publish' ? '100,000' : '40,000'})`;
      const runs = await measure(name, [warren.target], (t) => shovelled(t, warren.managementPort, second.target, size, mode, warren.child.pid), options(MEASURED_SECONDS));
      addResult(name, size, 'msgs/s', runs);
    }
    second.child.kill('SIGTERM');
    rmSync(second.dir, { recursive: true, force: true });
  }
  // RPC: one request at a time through a queue to a responder, the reply back through a reply-to queue.
  const rpcSize = 16;
  if (!only || only.some((o) => 'RPC round trip'.startsWith(o) || o.startsWith('RPC'))) {
    const rpcRuns = await measure('RPC round trip', benchTargets, (t) => rpc(t, rpcSize), { ...options(MEASURED_SECONDS + 1) });
    for (const q of ['p50', 'p99'] as const) {
      const runs = new Map([...rpcRuns].map(([b, v]) => [b, v?.map((x) => x[q])]));
      addResult(`RPC round trip ${q}, µs (lower is better)`, rpcSize, 'µs', runs, true);
    }
    console.log([...rpcRuns].map(([b, v]) => `${b}: ${v ? v.map((x) => x.roundTrips.toLocaleString('en')).join(' / ') : '—'} RPC round trips per run`).join('; '));
  }
  // Streams: one consumer replaying the whole stream from the first offset, then ten reading it at once (one run per
  // broker: a replay of 1,000,000 is long).
  if (STREAM_REPLAY > 0 && process.env.BENCH_THROUGHPUT !== '0' && (!only || only.some((o) => o.startsWith('stream')))) {
    const size = 16;
    const replay: Array<{ one: number; ten: number; rssAbove: number }> = [];
    for (const t of targets) {
      const metricsPort = t === warren.target ? warren.metricsPort : undefined;
      const { q, prod } = await filledStream(t, STREAM_REPLAY, size);
      const idleRss = await rssOf(t, metricsPort);
      const one = await streamReplay(t, q, STREAM_REPLAY, 1, metricsPort);
      const ten = await streamReplay(t, q, STREAM_REPLAY, 10, metricsPort);
      replay.push({ one: one.rate, ten: ten.rate, rssAbove: (one.peakRss - idleRss) / 1e6 });
      await prod.deleteQueue(1, q);
      prod.destroy();
    }
    const n = STREAM_REPLAY.toLocaleString('en');
    for (const [name, key] of [[`stream: one consumer replays ${n} from first`, 'one'], [`stream: ten consumers read ${n} each (deliveries/s)`, 'ten']] as const) {
      addResult(`${name}, one run`, size, 'msgs/s', new Map(targets.map((t, i) => [t.name, [replay[i]![key]]])));
    }
    resources.push({ name: `resident memory above idle while one consumer replays ${n} stream messages (goal: under 50 MB)`, warren: replay[0]!.rssAbove, rabbitmq: replay[1]?.rssAbove, unit: 'MB' });
  }
  const idle = Number(process.env.BENCH_IDLE_CONNECTIONS ?? 10_000);
  const perConnection: Array<{ kb: number; opened: number }> = [];
  if (idle > 0) {
    for (const t of targets) {
      const bytes = await idleConnections(t, t === warren.target ? warren.metricsPort : undefined, idle);
      console.log(`${t.name}: ${(bytes / 1024).toFixed(1)} KB resident memory per idle connection (${opened.toLocaleString('en')} connections, one channel each)`);
      perConnection.push({ kb: bytes / 1024, opened });
    }
    resources.push({
      name: `resident memory per idle connection with a channel (${perConnection.map((p) => p.opened.toLocaleString('en')).join(' / ')} opened)`,
      warren: perConnection[0]!.kb,
      rabbitmq: perConnection[1]?.kb,
      unit: 'KB',
    });
  }
  for (const t of targets) {
    if (t !== warren.target) console.log(`${t.name}: ${((await rssOf(t, undefined)) / 1e6).toFixed(0)} MB resident memory now`);
  }
  warren.child.kill('SIGTERM');
  rmSync(warren.dir, { recursive: true, force: true });
  // The brokers may still be closing the idle connections.
  await settle('the backlog and restart scenarios');
  const backlog = Number(process.env.BENCH_BACKLOG ?? 1_000_000);
  if (backlog > 0) {
    const rss = await backlogMemory(backlog, 1024);
    console.log(`\nWarren resident memory with ${backlog.toLocaleString('en')} 1 KB messages waiting in one queue: ${(rss / 1e6).toFixed(0)} MB (goal: 150 MB)`);
    resources.push({ name: `resident memory with ${backlog.toLocaleString('en')} 1 KB messages waiting in one queue`, warren: rss / 1e6, rabbitmq: undefined, unit: 'MB' });
  }
  const restartCount = Number(process.env.BENCH_RESTART ?? 1_000_000);
  if (restartCount > 0) {
    const r = await restartTime(restartCount, 1024);
    console.log(`Warren restart with ${restartCount.toLocaleString('en')} persistent 1 KB messages queued: ${(r.ms / 1000).toFixed(1)} s to accept connections (${r.recovered.toLocaleString('en')} recovered)`);
    resources.push({ name: `restart with ${restartCount.toLocaleString('en')} persistent 1 KB messages queued, to accepting connections`, warren: r.ms, rabbitmq: undefined, unit: 'ms' });
  }
  garage?.stop();
  const file = process.env.BENCH_JSON ?? 'bench-results.json';
  const json = {
    date: new Date().toISOString(),
    commit: commitOf(),
    machine: machine(loadBefore),
    versions: brokerVersions,
    seconds: MEASURED_SECONDS,
    warmupSeconds: WARMUP_SECONDS,
    runs: RUNS,
    brokers: benchTargets.map((t) => t.name),
    startupMs,
    results,
    resources,
  };
  writeFileSync(file, JSON.stringify(json, null, 2) + '\n');
  console.log(`results written to ${file}`);
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
