// `warren perf` as a process against a real Warren: PerfTest's flags change what is sent, confirmed, returned and received.
import amqp from 'amqplib';
import { afterAll, describe, expect, it } from 'vitest';
import { useBroker } from '../support/broker.js';
import { cleanup, runWarren, type RunResult } from './cli-support.js';

const broker = useBroker();
afterAll(cleanup);

interface Totals {
  sent: number;
  confirmed: number | undefined;
  returned: number | undefined;
  received: number;
}

/** Runs `warren perf --uri … ARGS` and reads the summary's message counts. */
async function perf(...args: string[]): Promise<RunResult & Totals> {
  const r = await runWarren(['perf', '--uri', `amqp://guest:guest@127.0.0.1:${broker.current.port}`, ...args]);
  const m = /messages: sent (\d+)(?:, confirmed (\d+), nacked \d+)?(?:, returned (\d+))?, received (\d+)/.exec(r.stdout);
  if (r.code !== 0 || !m) throw new Error(`warren perf ${args.join(' ')} exited ${r.code}: ${r.stderr}${r.stdout}`);
  return { ...r, sent: Number(m[1]), confirmed: m[2] === undefined ? undefined : Number(m[2]), returned: m[3] === undefined ? undefined : Number(m[3]), received: Number(m[4]) };
}

async function queueDepth(queue: string): Promise<number> {
  const conn = await amqp.connect(broker.current.url);
  try {
    const ch = await conn.createChannel();
    return (await ch.checkQueue(queue)).messageCount;
  } finally {
    await conn.close();
  }
}

describe('warren perf', () => {
  it('sends -C messages per producer, and the consumer receives them all, with PerfTest-style lines', async () => {
    expect.hasAssertions();
    const r = await perf('-x', '2', '-y', '1', '-C', '500');
    expect(r.sent).toBe(1000);
    expect(r.received).toBe(1000);
    expect(r.stdout).toMatch(/^id: test-\d{6}-\d{3}, sending rate avg: \d+ msg\/s$/m);
    expect(r.stdout).toMatch(/^id: test-\d{6}-\d{3}, consumer latency min\/median\/75th\/95th\/99th \d+\/\d+\/\d+\/\d+\/\d+ µs$/m);
  });

  it('gives each consumer its own server-named queue bound to the exchange, unless -u names a shared one', async () => {
    expect.hasAssertions();
    expect((await perf('-y', '2', '-C', '200')).received).toBe(400);
    expect((await perf('-y', '2', '-C', '200', '-u', 'perf-shared')).received).toBe(200);
  });

  it('-f persistent -u declares a durable queue where messages stay when no consumer runs (-y 0)', async () => {
    expect.hasAssertions();
    const r = await perf('-f', 'persistent', '-u', 'perf-durable', '-y', '0', '-C', '300', '-s', '100');
    expect(r.sent).toBe(300);
    expect(await queueDepth('perf-durable')).toBe(300);
    const conn = await amqp.connect(broker.current.url);
    const ch = await conn.createChannel();
    const m = await ch.get('perf-durable', { noAck: true });
    expect(m && m.properties.deliveryMode).toBe(2);
    expect(m && m.content.length).toBe(100);
    // Declared durable: redeclaring it transient is refused as inequivalent.
    conn.on('error', () => undefined);
    await expect(ch.assertQueue('perf-durable', { durable: false, autoDelete: true })).rejects.toThrow(/PRECONDITION_FAILED.*durable/);
    await conn.close().catch(() => undefined);
  });

  it('-c waits for publisher confirms and counts them', async () => {
    expect.hasAssertions();
    const r = await perf('-c', '10', '-C', '300');
    expect(r.confirmed).toBe(300);
    expect(r.received).toBe(300);
    expect(r.stdout).toMatch(/confirm latency min\/median\/75th\/95th\/99th \d+\/\d+\/\d+\/\d+\/\d+ µs/);
  });

  it('-D stops a consumer after that many messages; -A acks the remainder too, so nothing is left unacked', async () => {
    expect.hasAssertions();
    expect((await perf('-y', '1', '-D', '100')).received).toBe(100);
    const r = await perf('-u', 'perf-acks', '--auto-delete', 'false', '-A', '7', '-q', '20', '-C', '100');
    expect(r.received).toBe(100);
    expect(await queueDepth('perf-acks')).toBe(0);
  });

  it('-f mandatory counts returned messages', async () => {
    expect.hasAssertions();
    const r = await perf('-f', 'mandatory', '-y', '0', '-C', '50');
    expect(r.returned).toBe(50);
  });

  it('-r and -R limit the rates (counted over 2 s)', async () => {
    expect.hasAssertions();
    const [producer, consumer] = await Promise.all([perf('-r', '100', '-z', '2'), perf('-R', '100', '-q', '10', '-r', '400', '-z', '2')]);
    // About 100 msg/s for 2 s: 200, give or take a tick.
    expect(producer.sent).toBeGreaterThanOrEqual(150);
    expect(producer.sent).toBeLessThanOrEqual(260);
    expect(consumer.received).toBeGreaterThanOrEqual(150);
    expect(consumer.received).toBeLessThanOrEqual(260);
    expect(consumer.sent).toBeGreaterThan(consumer.received);
  });

  it('prints a report line per interval with the rates', async () => {
    expect.hasAssertions();
    const r = await perf('-r', '200', '-z', '1.5', '-i', '0.5', '-c', '50', '-f', 'mandatory', '-k', 'nowhere', '-y', '0');
    const lines = r.stdout.split('\n').filter((l) => l.includes(', time '));
    expect(lines.length).toBeGreaterThanOrEqual(2);
    expect(lines[0]).toMatch(/^id: test-\d{6}-\d{3}, time \d+\.\d{3} s, sent: \d+ msg\/s, returned: \d+ msg\/s, confirmed: \d+ msg\/s, nacked: 0 msg\/s, min\/median\/75th\/95th\/99th confirm latency: \d+\/\d+\/\d+\/\d+\/\d+ µs$/);
  });

  it('exits non-zero with a one-line error when it cannot connect or log in, 64 for bad flags', async () => {
    expect.hasAssertions();
    const refused = await runWarren(['perf', '--uri', 'amqp://127.0.0.1:1', '-z', '1']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/^warren: cannot connect to 127\.0\.0\.1:1: .*ECONNREFUSED.*\n$/);
    const login = await runWarren(['perf', '--uri', `amqp://guest:wrong@127.0.0.1:${broker.current.port}`, '-z', '1']);
    expect(login.code).toBe(1);
    expect(login.stderr.trim().split('\n')).toHaveLength(1);
    expect(login.stderr).toMatch(/ACCESS_REFUSED|refused the login/);
    const usage = await runWarren(['perf', '-x', 'many']);
    expect(usage.code).toBe(64);
    expect(usage.stderr.trim().split('\n')).toHaveLength(1);
    const help = await runWarren(['perf', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('Usage: warren perf');
  });
});
