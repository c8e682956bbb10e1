// `make bench` throughput: Warren and RabbitMQ side by side in one run, scenarios as in RabbitMQ's PerfTest.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PerfClient, properties } from './perf-client.js';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
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

/** Publishes as fast as the broker takes it while `room()` allows, until the deadline. */
async function produce(p: PerfClient, ch: number, exchange: string, key: string, props: Buffer, body: Buffer, end: number, room: () => boolean): Promise<number> {
  let sent = 0;
  while (Date.now() < end) {
    let batch = 0;
    while (batch < 200 && room()) {
      p.publish(ch, exchange, key, props, body);
      batch++;
    }
    sent += batch;
    const drained = p.flush();
    if (drained) await drained;
    else await tick();
  }
  return sent;
}

async function transient(t: Target, size: number, manualAck: boolean): Promise<number> {
  const cons = new PerfClient();
  const prod = new PerfClient();
  await cons.open(t.host, t.port);
  await prod.open(t.host, t.port);
  await cons.openChannel(1, manualAck ? { prefetch: 1000 } : {});
  await prod.openChannel(1);
  const q = unique('q');
  await cons.declareQueue(1, q, false);
  if (manualAck) {
    let sinceAck = 0;
    cons.onDeliver = (ch, tag) => {
      if (++sinceAck >= 500) {
        sinceAck = 0;
        cons.ack(ch, tag, true);
        void cons.flush();
      }
    };
  }
  await cons.consume(1, q, !manualAck);
  const body = Buffer.alloc(size, 0x61);
  const start = Date.now();
  let sent = 0;
  const counted = () => cons.delivered.get(1) ?? 0;
  sent = await produce(prod, 1, '', q, properties(false), body, start + SECONDS * 1000, () => sent + 200 - counted() < MAX_AHEAD);
  const rate = counted() / ((Date.now() - start) / 1000);
  await cons.deleteQueue(1, q);
  cons.close();
  prod.close();
  return rate;
}

async function persistentConfirms(t: Target, size: number): Promise<number> {
  const cons = new PerfClient();
  const prod = new PerfClient();
  await cons.open(t.host, t.port);
  await prod.open(t.host, t.port);
  await cons.openChannel(1, { prefetch: 1000 });
  await prod.openChannel(1, { confirm: true });
  const q = unique('durable');
  await cons.declareQueue(1, q, true);
  let sinceAck = 0;
  cons.onDeliver = (ch, tag) => {
    if (++sinceAck >= 500) {
      sinceAck = 0;
      cons.ack(ch, tag, true);
      void cons.flush();
    }
  };
  await cons.consume(1, q, false);
  const body = Buffer.alloc(size, 0x62);
  const start = Date.now();
  let published = 0;
  const confirmed = () => prod.confirmed.get(1) ?? 0;
  let wake: (() => void) | undefined;
  prod.onConfirm = () => wake?.();
  const end = start + SECONDS * 1000;
  const props = properties(true);
  while (Date.now() < end) {
    while (published - confirmed() < 1000) {
      prod.publish(1, '', q, props, body);
      published++;
    }
    const d = prod.flush();
    if (d) await d;
    await new Promise<void>((r) => {
      wake = r;
      setTimeout(r, 50);
    });
  }
  const rate = confirmed() / ((Date.now() - start) / 1000);
  await cons.deleteQueue(1, q);
  cons.close();
  prod.close();
  return rate;
}

async function fanout(t: Target, size: number, queues: number): Promise<number> {
  const cons = new PerfClient();
  const prod = new PerfClient();
  await cons.open(t.host, t.port);
  await prod.open(t.host, t.port);
  await prod.openChannel(1);
  const names: string[] = [];
  for (let i = 1; i <= queues; i++) {
    await cons.openChannel(i);
    const q = unique('fan');
    names.push(q);
    await cons.declareQueue(i, q, false);
    await cons.consume(i, q, true);
  }
  const ex = unique('fanout');
  await cons.declareFanout(1, ex, names);
  const body = Buffer.alloc(size, 0x63);
  const start = Date.now();
  const total = () => [...cons.delivered.values()].reduce((a, b) => a + b, 0);
  let sent = 0;
  sent = await produce(prod, 1, ex, '', properties(false), body, start + SECONDS * 1000, () => (sent + 200) * queues - total() < MAX_AHEAD * queues);
  const rate = total() / ((Date.now() - start) / 1000);
  for (let i = 1; i <= queues; i++) await cons.deleteQueue(i, names[i - 1]!);
  cons.close();
  prod.close();
  return rate;
}

/** Resident memory of the Warren process while `count` messages of `size` bytes wait in one queue. */
async function backlogMemory(t: Target, metricsPort: number, count: number, size: number): Promise<number> {
  const prod = new PerfClient();
  await prod.open(t.host, t.port);
  await prod.openChannel(1, { confirm: true });
  const q = unique('backlog');
  await prod.declareQueue(1, q, false);
  const body = Buffer.alloc(size, 0x64);
  const props = properties(false);
  let published = 0;
  while (published < count) {
    const n = Math.min(1000, count - published);
    for (let i = 0; i < n; i++) prod.publish(1, '', q, props, body);
    published += n;
    const d = prod.flush();
    if (d) await d;
    while (published - (prod.confirmed.get(1) ?? 0) > 5000) await new Promise((r) => setTimeout(r, 1));
  }
  while ((prod.confirmed.get(1) ?? 0) < count) await new Promise((r) => setTimeout(r, 5));
  const text = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
  const rss = Number(/^rabbitmq_process_resident_memory_bytes (\d+)/m.exec(text)?.[1] ?? NaN);
  await prod.deleteQueue(1, q);
  prod.close();
  return rss;
}

/** Publishes `count` persistent messages to a durable queue, stops Warren cleanly, and times its restart. */
async function restartTime(count: number, size: number): Promise<{ ms: number; recovered: number }> {
  const w = await startWarren();
  const prod = new PerfClient();
  await prod.open(w.target.host, w.target.port);
  await prod.openChannel(1, { confirm: true });
  await prod.declareQueue(1, 'restart-backlog', true);
  const body = Buffer.alloc(size, 0x65);
  const props = properties(true);
  let published = 0;
  while (published < count) {
    const n = Math.min(1000, count - published);
    for (let i = 0; i < n; i++) prod.publish(1, '', 'restart-backlog', props, body);
    published += n;
    const d = prod.flush();
    if (d) await d;
    while (published - (prod.confirmed.get(1) ?? 0) > 5000) await new Promise((r) => setTimeout(r, 1));
  }
  while ((prod.confirmed.get(1) ?? 0) < count) await new Promise((r) => setTimeout(r, 5));
  prod.close();
  const exited = new Promise((r) => w.child.once('exit', r));
  w.child.kill('SIGTERM');
  await exited;
  const started = Date.now();
  const again = await startWarren(w.dir);
  const ms = Date.now() - started;
  const check = new PerfClient();
  await check.open(again.target.host, again.target.port);
  await check.openChannel(1);
  const ok = await check.rpc(1, { id: 0x0032000a, queue: 'restart-backlog', passive: true }, 0x0032000b);
  check.close();
  again.child.kill('SIGTERM');
  rmSync(w.dir, { recursive: true, force: true });
  return { ms, recovered: ok.id === 0x0032000b ? ok.messageCount : -1 };
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
  const clients: PerfClient[] = [];
  const deadline = Date.now() + 120_000;
  const withTimeout = <T>(p: Promise<T>) =>
    Promise.race([p, new Promise<never>((_, reject) => setTimeout(() => reject(new Error('timed out')), 10_000))]);
  try {
    for (let i = 0; i < n && Date.now() < deadline; i += 100) {
      await Promise.all(
        Array.from({ length: Math.min(100, n - i) }, async () => {
          const c = new PerfClient();
          clients.push(c);
          await withTimeout(c.open(t.host, t.port));
          await withTimeout(c.openChannel(1));
        }),
      );
    }
  } catch (e) {
    console.log(`${t.name}: stopped opening idle connections after ${clients.length}: ${(e as Error).message}`);
  }
  await new Promise((r) => setTimeout(r, 2000));
  const after = await rssOf(t, metricsPort);
  for (const c of clients) {
    try {
      c.close();
    } catch {
      // never opened
    }
  }
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

async function startWarren(existingDir?: string): Promise<{ target: Target; child: ChildProcess; dir: string; metricsPort: number }> {
  const dir = existingDir ?? mkdtempSync(join(tmpdir(), 'warren-bench-'));
  const bin = join(import.meta.dirname, '..', '..', '..', 'bin', 'warren');
  const child = spawn(process.execPath, [bin, '--port', '0', '--management-port', '0', '--prometheus-port', '0', '--data-dir', dir, '--log-level', 'info'], {
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  const { port, prometheusPort } = await new Promise<{ port: number; prometheusPort: number }>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const line = out.split('\n').find((l) => l.includes('Server startup complete'));
      if (line) resolve(JSON.parse(line) as { port: number; prometheusPort: number });
    });
    child.on('exit', (code) => reject(new Error(`warren exited ${code}`)));
  });
  child.removeAllListeners('exit');
  return { target: { name: 'Warren', host: '127.0.0.1', port }, child, dir, metricsPort: prometheusPort };
}

async function main(): Promise<void> {
  const t0 = Date.now();
  const warren = await startWarren();
  const startupMs = Date.now() - t0;
  console.log(`Warren: ${startupMs} ms from spawn to accepting connections; ${((await rssOf(warren.target, warren.metricsPort)) / 1e6).toFixed(0)} MB resident memory idle`);
  const targets: Target[] = [warren.target];
  if (process.env.BENCH_RABBITMQ !== '0' && (await reachable('127.0.0.1', 5672))) targets.push({ name: 'RabbitMQ', host: '127.0.0.1', port: 5672 });
  else console.log('RabbitMQ is not running on 5672: Warren only (make conformance-rabbitmq starts one)');
  const scenarios: Array<[string, (t: Target, size: number) => Promise<number>]> = [
    ['transient 1→1 auto-ack', (t, s) => transient(t, s, false)],
    ['transient manual ack, prefetch 1000', (t, s) => transient(t, s, true)],
    ['persistent + confirms (window 1000)', persistentConfirms],
    ['fanout to 10 queues (deliveries/s)', (t, s) => fanout(t, s, 10)],
  ];
  const rows: string[] = [];
  const summary: Array<{ scenario: string; bodyBytes: number; warren: number; rabbitmq: number | undefined }> = [];
  console.log(`each scenario runs ${SECONDS} s per broker and body size`);
  for (const [name, run] of scenarios) {
    for (const size of [16, 1024]) {
      const results: number[] = [];
      for (const t of targets) results.push(await run(t, size));
      const [w, r] = results;
      const fmt = (n: number | undefined) => (n === undefined ? '–' : Math.round(n).toLocaleString('en'));
      const row = `| ${name} | ${size} B | ${fmt(w)} | ${fmt(r)} | ${r ? `${(w! / r).toFixed(2)}×` : '–'} |`;
      summary.push({ scenario: name, bodyBytes: size, warren: Math.round(w!), rabbitmq: r === undefined ? undefined : Math.round(r) });
      rows.push(row);
      console.log(row);
    }
  }
  const idle = Number(process.env.BENCH_IDLE_CONNECTIONS ?? 10_000);
  if (idle > 0) {
    for (const t of targets) {
      const bytes = await idleConnections(t, t === warren.target ? warren.metricsPort : undefined, idle);
      console.log(`${t.name}: ${(bytes / 1024).toFixed(1)} KB resident memory per idle connection (${opened.toLocaleString('en')} connections, one channel each)`);
    }
  }
  for (const t of targets) {
    if (t !== warren.target) console.log(`${t.name}: ${((await rssOf(t, undefined)) / 1e6).toFixed(0)} MB resident memory now`);
  }
  const backlog = Number(process.env.BENCH_BACKLOG ?? 1_000_000);
  if (backlog > 0) {
    const rss = await backlogMemory(warren.target, warren.metricsPort, backlog, 1024);
    console.log(`\nWarren resident memory with ${backlog.toLocaleString('en')} 1 KB messages waiting in one queue: ${(rss / 1e6).toFixed(0)} MB (goal: under 300 MB)`);
  }
  warren.child.kill('SIGTERM');
  rmSync(warren.dir, { recursive: true, force: true });
  const restartCount = Number(process.env.BENCH_RESTART ?? 1_000_000);
  if (restartCount > 0) {
    const r = await restartTime(restartCount, 1024);
    console.log(`Warren restart with ${restartCount.toLocaleString('en')} persistent 1 KB messages queued: ${(r.ms / 1000).toFixed(1)} s to accept connections (${r.recovered.toLocaleString('en')} recovered)`);
  }
  console.log('\n| scenario | body | Warren msgs/s | RabbitMQ msgs/s | Warren / RabbitMQ |\n|---|---|---|---|---|');
  for (const r of rows) console.log(r);
  const file = process.env.BENCH_JSON ?? 'bench-results.json';
  writeFileSync(file, JSON.stringify({ date: new Date().toISOString(), seconds: SECONDS, startupMs, results: summary }, null, 2) + '\n');
  console.log(`results written to ${file}`);
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
