// Runs a `warren perf` test: PerfTest's topology, producers and consumers on their own connections, a line per interval and a summary.
import { randomUUID } from 'node:crypto';
import { AmqpConnection, nowUs, type ChannelListener, type ConnectOptions } from '../client/index.js';
import { publishFrames } from '../protocol/index.js';
import { LatencyHistogram } from './histogram.js';
import type { PerfOptions } from './options.js';

/** Message counters shared by every producer and consumer of a run. */
export class Stats {
  published = 0;
  confirmed = 0;
  nacked = 0;
  returned = 0;
  received = 0;
  /** Consumer latency this interval, and since the start. */
  readonly latency = new LatencyHistogram();
  readonly latencyTotal = new LatencyHistogram();
  readonly confirmLatency = new LatencyHistogram();
  readonly confirmLatencyTotal = new LatencyHistogram();
}

/** Biggest write a producer makes per turn of the event loop. */
const BATCH_BYTES = 128 * 1024;
const BATCH_MESSAGES = 500;
/** Most outstanding confirms tracked with -c 0 (confirms without a window). */
const UNBOUNDED_WINDOW = 1 << 18;
const TWO_32 = 0x100000000;
/** A latency above this (µs) is a body that is not ours (another tool's timestamp, or none). */
const PLAUSIBLE_US = 3_600_000_000;

class Producer implements ChannelListener {
  sent = 0;
  done = false;
  stopped = false;
  private started = 0;
  private readonly frames: Buffer;
  private readonly bodyOffset: number;
  private readonly batch: number;
  private readonly window: number;
  // Confirm tracking in fixed rings indexed by tag & mask: publish times and which tags are settled.
  private readonly mask: number;
  private readonly publishedAt: Float64Array;
  private readonly settled: Uint8Array;
  private lowest = 1;
  private outstanding = 0;
  private waiting = false;
  private finishing = false;
  private readonly step = () => this.publish();
  private readonly onFinished: () => void;

  constructor(
    private readonly conn: AmqpConnection,
    private readonly o: PerfOptions,
    private readonly stats: Stats,
    routingKey: string,
    onFinished: () => void,
  ) {
    const body = Buffer.alloc(Math.max(o.size, 12));
    const t = publishFrames(1, o.exchange, routingKey, o.persistent ? { deliveryMode: 2 } : {}, body, conn.frameMax, o.mandatory);
    this.frames = t.frames;
    this.bodyOffset = t.bodyOffset;
    this.batch = Math.max(1, Math.min(BATCH_MESSAGES, Math.floor(BATCH_BYTES / this.frames.length)));
    this.window = o.confirm === undefined ? 0 : o.confirm === 0 ? UNBOUNDED_WINDOW : o.confirm;
    let size = 1;
    while (size < this.window) size *= 2;
    this.mask = size - 1;
    this.publishedAt = new Float64Array(this.window > 0 ? size : 0);
    this.settled = new Uint8Array(this.window > 0 ? size : 0);
    this.onFinished = onFinished;
  }

  start(): void {
    this.started = performance.now();
    this.publish();
  }

  private publish(): void {
    if (this.stopped || this.done) return;
    const now = performance.now();
    const o = this.o;
    let n = this.batch;
    if (o.producerMessages > 0) n = Math.min(n, o.producerMessages - this.sent);
    if (this.window > 0) n = Math.min(n, this.window - this.outstanding);
    if (o.rate > 0) n = Math.min(n, Math.floor(((now - this.started) * o.rate) / 1000) + 1 - this.sent);
    if (n <= 0) {
      if (o.producerMessages > 0 && this.sent >= o.producerMessages) {
        if (this.outstanding === 0) this.finish();
        else this.waiting = true;
      } else if (this.window > 0 && this.outstanding >= this.window) {
        this.waiting = true;
      } else {
        setTimeout(this.step, Math.max(1, this.started + (this.sent * 1000) / o.rate - now));
      }
      return;
    }
    // One timestamp per batch: the batch goes out in one write.
    const stamp = nowUs();
    const hi = Math.floor(stamp / TWO_32);
    const lo = stamp - hi * TWO_32;
    const conn = this.conn;
    const at0 = this.bodyOffset;
    for (let i = 0; i < n; i++) {
      const seq = ++this.sent;
      const at = conn.append(this.frames) + at0;
      const out = conn.output;
      out.writeUInt32BE(seq >>> 0, at);
      out.writeUInt32BE(hi, at + 4);
      out.writeUInt32BE(lo, at + 8);
      if (this.window > 0) {
        this.publishedAt[seq & this.mask] = now;
        this.settled[seq & this.mask] = 0;
      }
    }
    this.outstanding += this.window > 0 ? n : 0;
    this.stats.published += n;
    if (conn.flush()) setImmediate(this.step);
    else conn.onDrain(this.step);
  }

  confirm(tag: number, multiple: boolean, ack: boolean): void {
    if (this.window === 0) return;
    const now = performance.now();
    const mask = this.mask;
    if (multiple) {
      for (let t = this.lowest; t <= tag; t++) if (this.settled[t & mask] === 0) this.settle(t, ack, now);
    } else if (tag >= this.lowest && tag <= this.sent && this.settled[tag & mask] === 0) {
      this.settle(tag, ack, now);
    }
    while (this.lowest <= this.sent && this.settled[this.lowest & mask] === 1) this.lowest++;
    if (this.waiting && !this.stopped) {
      this.waiting = false;
      this.publish();
    }
  }

  private settle(tag: number, ack: boolean, now: number): void {
    this.settled[tag & this.mask] = 1;
    this.outstanding--;
    if (ack) {
      this.stats.confirmed++;
      const us = (now - this.publishedAt[tag & this.mask]!) * 1000;
      this.stats.confirmLatency.record(us);
      this.stats.confirmLatencyTotal.record(us);
    } else {
      this.stats.nacked++;
    }
  }

  returned(): void {
    this.stats.returned++;
  }

  private finish(): void {
    if (this.finishing) return;
    this.finishing = true;
    const finished = () => {
      this.done = true;
      this.onFinished();
    };
    // Without confirms, a round trip tells when the broker has taken (and returned) everything sent.
    if (this.window > 0) finished();
    else this.conn.sync(1).then(finished, () => undefined);
  }
}

class Consumer implements ChannelListener {
  received = 0;
  done = false;
  private lastTag = 0;
  private ackedTo = 0;
  private started = 0;
  private timer: NodeJS.Timeout | undefined;
  private readonly wake = () => {
    this.timer = undefined;
    this.conn.resume();
  };

  constructor(
    readonly conn: AmqpConnection,
    private readonly o: PerfOptions,
    private readonly stats: Stats,
    private readonly onDone: () => void,
  ) {}

  start(): void {
    this.started = nowUs() / 1000;
  }

  message(tag: number, _redelivered: boolean, buf: Buffer, start: number, end: number): void {
    const o = this.o;
    if (o.consumerMessages > 0 && this.received >= o.consumerMessages) return;
    const n = ++this.received;
    const stats = this.stats;
    stats.received++;
    if (end - start >= 12) {
      const us = this.conn.receivedAtUs - (buf.readUInt32BE(start + 4) * TWO_32 + buf.readUInt32BE(start + 8));
      if (us >= 0 && us < PLAUSIBLE_US) {
        stats.latency.record(us);
        stats.latencyTotal.record(us);
      }
    }
    if (!o.autoAck) {
      this.lastTag = tag;
      if (o.multiAckEvery === 0) {
        this.conn.ack(1, tag, false);
        this.ackedTo = tag;
      } else if (n % o.multiAckEvery === 0) {
        this.conn.ack(1, tag, true);
        this.ackedTo = tag;
      }
    }
    if (o.consumerMessages > 0 && n >= o.consumerMessages) {
      this.done = true;
      this.onDone();
    }
    if (o.consumerRate > 0) {
      // Past its budget the consumer stops reading: the broker's later deliveries wait in TCP buffers and the queue.
      const nowMs = this.conn.receivedAtUs / 1000;
      const allowed = Math.floor(((nowMs - this.started) * o.consumerRate) / 1000) + 1;
      if (n >= allowed && this.timer === undefined) {
        this.conn.pause();
        this.timer = setTimeout(this.wake, Math.max(1, this.started + (n * 1000) / o.consumerRate - nowMs));
      }
    }
  }

  cancelled(): void {
    process.stderr.write('warren perf: a consumer was cancelled by the broker (its queue was deleted?)\n');
  }

  /** Acks what was counted but not yet acked (a multi-ack remainder), so counted messages are not requeued. */
  settle(): void {
    if (this.timer) clearTimeout(this.timer);
    if (!this.o.autoAck && this.lastTag > this.ackedTo) {
      this.conn.ack(1, this.lastTag, true);
      this.ackedTo = this.lastTag;
      this.conn.flush();
    }
  }
}

function formatRate(rate: number): string {
  if (rate === 0) return '0';
  if (rate < 1) return rate.toFixed(2);
  if (rate < 10) return rate.toFixed(1);
  return String(Math.floor(rate));
}

function formatLatency(s: readonly number[]): string {
  return `${s.map((v) => Math.round(v)).join('/')} µs`;
}

export interface PerfResult {
  /** Why the run ended. */
  reason: string;
  seconds: number;
  published: number;
  confirmed: number;
  nacked: number;
  returned: number;
  received: number;
  /** min, median, 75th, 95th, 99th in µs */
  consumerLatency: [number, number, number, number, number];
  confirmLatency: [number, number, number, number, number];
}

/** Runs the test; resolves when it ends (limits reached, time up, or `signal` aborted). Throws on connection failures. */
export async function runPerf(o: PerfOptions, out: (line: string) => void, signal?: AbortSignal): Promise<PerfResult> {
  const stats = new Stats();
  const connections: AmqpConnection[] = [];
  const producers: Producer[] = [];
  const consumers: Consumer[] = [];
  const routingKey = o.routingKey ?? (o.exchange === '' && o.queue !== '' ? o.queue : randomUUID());
  const base: ConnectOptions = { host: o.host, port: o.port, username: o.username, password: o.password, vhost: o.vhost };
  let failure: Error | undefined;
  let wakeUp: (() => void) | undefined;
  const fail = (e: Error) => {
    failure ??= e;
    wakeUp?.();
  };
  const open = async (name: string): Promise<AmqpConnection> => {
    const c = await AmqpConnection.open({ ...base, connectionName: name, product: 'warren perf', heartbeat: 0 });
    connections.push(c);
    c.onError = fail;
    return c;
  };
  const declareExchange = async (c: AmqpConnection) => {
    if (o.exchange === '') return;
    await c.declareExchange(1, o.exchange, o.exchangeType, { passive: o.exchange.startsWith('amq.') });
  };
  const declareQueue = async (c: AmqpConnection): Promise<string> => {
    const { queue } = await c.declareQueue(1, o.queue, { durable: o.persistent, autoDelete: o.autoDelete });
    if (o.exchange !== '') await c.bindQueue(1, queue, o.exchange, routingKey);
    return queue;
  };

  try {
    // As PerfTest: a configuration connection declares the exchange, and the queue when no consumer will.
    const config = await open('perf-test-configuration');
    await config.openChannel(1);
    await declareExchange(config);
    if (o.consumers === 0 && o.queue !== '') await declareQueue(config);
    await config.close();
    connections.splice(connections.indexOf(config), 1);

    let check: () => void = () => undefined;
    for (let i = 0; i < o.consumers; i++) {
      const c = await open(`perf-test-consumer-${i}`);
      const consumer = new Consumer(c, o, stats, () => check());
      await c.openChannel(1, consumer, o.qos > 0 ? { prefetch: o.qos } : {});
      const queue = await declareQueue(c);
      consumers.push(consumer);
      await c.consume(1, queue, o.autoAck);
    }
    for (let i = 0; i < o.producers; i++) {
      const c = await open(`perf-test-producer-${i}`);
      await c.openChannel(1, undefined, o.confirm !== undefined ? { confirm: true } : {});
      const p = new Producer(c, o, stats, routingKey, () => check());
      c.setListener(1, p);
      producers.push(p);
    }
    if (failure) throw failure;

    const started = performance.now();
    const waitProducers = o.producerMessages > 0 && producers.length > 0;
    const waitConsumers = o.consumerMessages > 0 && consumers.length > 0;
    // With -C only, the run also waits for the consumers to get what was sent (all of it, or nothing for a second).
    const expected = o.producerMessages * producers.length * (o.queue === '' ? consumers.length : Math.min(1, consumers.length));
    let reason: string | undefined;
    let producersDoneAt = 0;
    let lastReceived = -1;
    let lastChange = 0;
    const result = new Promise<void>((resolve) => {
      wakeUp = resolve;
      check = () => {
        if (reason !== undefined) return;
        const now = performance.now();
        if (failure) reason = 'failed';
        else if (signal?.aborted) reason = 'signal received';
        else if (o.time > 0 && now - started >= o.time * 1000) reason = 'reached time limit';
        else {
          const pDone = producers.every((p) => p.done);
          const cDone = consumers.every((c) => c.done);
          if (waitConsumers && cDone && (!waitProducers || pDone)) reason = 'reached message limits';
          else if (waitProducers && !waitConsumers && pDone) {
            if (producersDoneAt === 0) producersDoneAt = now;
            if (stats.received !== lastReceived) {
              lastReceived = stats.received;
              lastChange = now;
            }
            if (consumers.length === 0 || stats.received >= expected) reason = 'reached message limits';
            else if (now - Math.max(lastChange, producersDoneAt) >= 1000) reason = 'reached message limits (consumers idle for 1 s)';
          }
        }
        if (reason !== undefined) resolve();
      };
    });
    signal?.addEventListener('abort', () => check(), { once: true });
    const poll = setInterval(() => check(), 50);

    // Reports, as PerfTest: a line per interval with activity.
    const label = (k: string, rate: number) => `, ${k}: ${formatRate(rate)} msg/s`;
    let last = { t: started, published: 0, confirmed: 0, nacked: 0, returned: 0, received: 0 };
    const report = setInterval(() => {
      const now = performance.now();
      const s = stats;
      const same = s.published === last.published && s.confirmed === last.confirmed && s.nacked === last.nacked && s.returned === last.returned && s.received === last.received;
      const secs = (now - last.t) / 1000;
      if (!same) {
        let line = `id: ${o.id}, time ${((now - started) / 1000).toFixed(3)} s`;
        if (producers.length > 0) line += label('sent', (s.published - last.published) / secs);
        if (producers.length > 0 && o.mandatory) line += label('returned', (s.returned - last.returned) / secs);
        if (producers.length > 0 && o.confirm !== undefined) line += label('confirmed', (s.confirmed - last.confirmed) / secs) + label('nacked', (s.nacked - last.nacked) / secs);
        if (consumers.length > 0) line += label('received', (s.received - last.received) / secs);
        const lat: string[] = [];
        if (consumers.length > 0) lat.push(`consumer latency: ${formatLatency(s.latency.summary())}`);
        if (producers.length > 0 && o.confirm !== undefined) lat.push(`confirm latency: ${formatLatency(s.confirmLatency.summary())}`);
        if (lat.length > 0) line += `, min/median/75th/95th/99th ${lat.join(', ')}`;
        out(line);
      }
      s.latency.reset();
      s.confirmLatency.reset();
      last = { t: now, published: s.published, confirmed: s.confirmed, nacked: s.nacked, returned: s.returned, received: s.received };
    }, o.interval * 1000);

    for (const c of consumers) c.start();
    for (const p of producers) p.start();
    check();
    await result;
    clearInterval(poll);
    clearInterval(report);
    for (const p of producers) p.stopped = true;
    const seconds = (performance.now() - started) / 1000;
    if (failure) throw failure;

    out(`test stopped (${reason})`);
    const res: PerfResult = {
      reason: reason!,
      seconds,
      published: stats.published,
      confirmed: stats.confirmed,
      nacked: stats.nacked,
      returned: stats.returned,
      received: stats.received,
      consumerLatency: stats.latencyTotal.summary(),
      confirmLatency: stats.confirmLatencyTotal.summary(),
    };
    out(`id: ${o.id}, sending rate avg: ${formatRate(res.published / seconds)} msg/s`);
    out(`id: ${o.id}, receiving rate avg: ${formatRate(res.received / seconds)} msg/s`);
    if (consumers.length > 0) out(`id: ${o.id}, consumer latency min/median/75th/95th/99th ${formatLatency(res.consumerLatency)}`);
    if (producers.length > 0 && o.confirm !== undefined) out(`id: ${o.id}, confirm latency min/median/75th/95th/99th ${formatLatency(res.confirmLatency)}`);
    const confirms = o.confirm !== undefined ? `, confirmed ${res.confirmed}, nacked ${res.nacked}` : '';
    const returns = o.mandatory ? `, returned ${res.returned}` : '';
    out(`id: ${o.id}, messages: sent ${res.published}${confirms}${returns}, received ${res.received}, in ${seconds.toFixed(3)} s`);
    for (const c of consumers) c.settle();
    return res;
  } finally {
    await Promise.all(connections.map((c) => c.close().catch(() => undefined)));
  }
}
