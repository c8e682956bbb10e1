// A second client, Debian's python3-pika, runs a scenario against Warren (installed by `make test` when missing).
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { useBroker } from '../support/broker.js';

const run = promisify(execFile);
const broker = useBroker();
/** Debian's interpreter: python3-pika installs for it, whatever python3 is first on PATH. */
const PYTHON = '/usr/bin/python3';

describe('python3-pika', () => {
  it('declares, routes by topic, confirms, returns unroutable messages, gets, consumes with prefetch and sees 404', async () => {
    expect.hasAssertions();
    const script = join(import.meta.dirname, '..', 'clients', 'pika_scenario.py');
    const { stdout } = await run(PYTHON, [script, broker.current.url], { timeout: 20_000 });
    const out = JSON.parse(stdout) as Record<string, unknown>;
    expect(out.server_named).toBe(true);
    expect(out.unroutable).toBe('returned');
    expect(out.get).toEqual({
      body: 'order 0',
      routing_key: 'orders.eu.0',
      remaining: 4,
      headers: { n: 0, tags: ['a', 'b'] },
      content_type: 'text/plain',
    });
    expect(out.consumed).toEqual(['order 1', 'order 2', 'order 3', 'order 4']);
    expect(out.passive_missing).toEqual([404, "NOT_FOUND - no queue 'pika-missing-queue' in vhost '/'"]);
  });
});
