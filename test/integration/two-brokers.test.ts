// Two brokers in one process share nothing process-wide: each logs to its own logger (its internal error reporter
// included) and keeps its own clock; their global counters are kept apart too (stats.test.ts).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import amqp from 'amqplib';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBroker, type RunningBroker } from '../../src/index.js';

interface Logged {
  broker: RunningBroker;
  lines: Array<Record<string, any>>;
}

const dirs: string[] = [];
let a: Logged;
let b: Logged;

/** A broker on port 0 with a manual clock whose pino logger writes into `lines`. */
async function start(): Promise<Logged> {
  const lines: Array<Record<string, any>> = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const l of chunk.toString().split('\n')) if (l !== '') lines.push(JSON.parse(l) as Record<string, any>);
      done();
    },
  });
  const dir = mkdtempSync(join(tmpdir(), 'warren-test-'));
  dirs.push(dir);
  return { broker: await startBroker({ port: 0, dataDir: dir, clock: 'manual', logger: pino({ level: 'info' }, sink) }), lines };
}

beforeAll(async () => {
  a = await start();
  b = await start();
});

afterAll(async () => {
  await a?.broker.close();
  await b?.broker.close();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** The messages ready in `queue` of `broker`. */
async function ready(broker: RunningBroker, queue: string): Promise<number> {
  const conn = await amqp.connect(broker.url);
  try {
    return (await (await conn.createChannel()).checkQueue(queue)).messageCount;
  } finally {
    await conn.close();
  }
}

describe('two brokers in one process', () => {
  it('each reports an internal error on its own logger only', async () => {
    expect.hasAssertions();
    const internal = (l: Logged) => l.lines.filter((x) => x.msg === 'internal error (the broker keeps running)');
    a.broker.broker.reportInternalError(new Error('only in a'), 'a test of broker a');
    expect(internal(a).map((x) => [x.where, x.err?.message])).toEqual([['a test of broker a', 'only in a']]);
    expect(internal(b)).toEqual([]);
    b.broker.broker.reportInternalError(new Error('only in b'), 'a test of broker b');
    expect(internal(b).map((x) => [x.where, x.err?.message])).toEqual([['a test of broker b', 'only in b']]);
    expect(internal(a)).toHaveLength(1);
  });

  it('each keeps its own clock: advancing one expires only its own messages', async () => {
    expect.hasAssertions();
    for (const l of [a, b]) {
      const conn = await amqp.connect(l.broker.url);
      const ch = await conn.createConfirmChannel();
      await ch.assertQueue('two.ttl', { durable: false, arguments: { 'x-message-ttl': 1000 } });
      ch.sendToQueue('two.ttl', Buffer.from('x'));
      await ch.waitForConfirms();
      await conn.close();
    }
    a.broker.clock.advance(2000);
    expect(await ready(a.broker, 'two.ttl')).toBe(0);
    expect(await ready(b.broker, 'two.ttl')).toBe(1);
    b.broker.clock.advance(2000);
    expect(await ready(b.broker, 'two.ttl')).toBe(0);
  });
});
