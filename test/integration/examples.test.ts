// The README's work-queue, pub/sub, RPC and stream examples, run against Warren exactly as printed there.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { useBroker } from '../support/broker.js';

const broker = useBroker();
const dir = join(import.meta.dirname, '..', 'examples');
const readme = readFileSync(join(import.meta.dirname, '..', '..', 'README.md'), 'utf8');

describe('README examples', () => {
  for (const name of ['work-queue', 'pubsub', 'rpc', 'stream']) {
    it(`prints ${name}.mjs in the README unchanged`, () => {
      expect(readme).toContain(readFileSync(join(dir, `${name}.mjs`), 'utf8').trim());
    });
  }

  it('work queue: two workers with prefetch 1 share ten tasks, each done once', async () => {
    expect.hasAssertions();
    const { run } = await import('../examples/work-queue.mjs');
    const done = (await run(broker.current.url)) as string[];
    const tasks = done.map((d) => d.split(':')[1]).sort((a, b) => Number(a!.split(' ')[1]) - Number(b!.split(' ')[1]));
    expect(tasks).toEqual(Array.from({ length: 10 }, (_, i) => `task ${i + 1}`));
    expect(done.some((d) => d.startsWith('w1:'))).toBe(true);
    expect(done.some((d) => d.startsWith('w2:'))).toBe(true);
  });

  it('pub/sub: both subscribers get every message in order', async () => {
    expect.hasAssertions();
    const { run } = await import('../examples/pubsub.mjs');
    const lines = ['info: up', 'warn: slow', 'error: down'];
    expect(await run(broker.current.url)).toEqual({ a: lines, b: lines });
  });

  it('RPC: each call gets its own answer through reply_to and correlation_id', async () => {
    expect.hasAssertions();
    const { run } = await import('../examples/rpc.mjs');
    expect(await run(broker.current.url)).toEqual(['4', '9', '144']);
  });

  it('stream: a reader from the first offset gets every message with its offset', async () => {
    expect.hasAssertions();
    const { run } = await import('../examples/stream.mjs');
    expect(await run(broker.current.url)).toEqual(['0: signed-up', '1: paid', '2: shipped']);
  });
});
