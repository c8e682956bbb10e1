// A start that fails half-way closes, in reverse, what it had opened: listeners are free again, the data directory
// is unlocked and its store closed, so the same ports and directory serve the next start (src/shared/resource-stack.ts).
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import amqp from 'amqplib';
import { afterAll, describe, expect, it } from 'vitest';
import { ResourceStack } from '../../src/shared/resource-stack.js';
import { startBroker } from '../../src/index.js';
import { freePort } from './cli-support.js';

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function listen(port: number): Promise<Server> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(port, () => resolve(s));
  });
}
const closed = (s: Server) => new Promise<void>((resolve) => s.close(() => resolve()));

describe('a failed start', () => {
  it('with the management port taken: one line naming it, then the AMQP and metrics ports and the data dir are free again', async () => {
    expect.hasAssertions();
    const dataDir = mkdtempSync(join(tmpdir(), 'warren-test-'));
    dirs.push(dataDir);
    const taken = await listen(0);
    const managementPort = (taken.address() as { port: number }).port;
    const [amqpPort, prometheusPort] = [await freePort(), await freePort()];
    try {
      await expect(startBroker({ port: amqpPort, prometheusPort, managementPort, dataDir, logLevel: 'silent' })).rejects.toThrow(
        new Error(`management API: port ${managementPort} is already in use (change it with --management-port)`),
      );
    } finally {
      await closed(taken);
    }
    // Both listeners it had opened were closed.
    for (const port of [amqpPort, prometheusPort]) await closed(await listen(port));
    // The store was closed and the lock removed: a broker starts on the same directory and ports, and serves.
    const again = await startBroker({ port: amqpPort, prometheusPort, managementPort, dataDir, logLevel: 'silent' });
    try {
      const conn = await amqp.connect(again.url);
      await (await conn.createChannel()).assertQueue('after-failed-start', { durable: true });
      await conn.close();
      expect(again.port).toBe(amqpPort);
    } finally {
      await again.close();
    }
  });
});

describe('ResourceStack', () => {
  it('closes newest first, runs every closer when one fails, raises the first failure; a failing step closes what was opened and raises its error', async () => {
    expect.hasAssertions();
    const order: string[] = [];
    const stack = new ResourceStack();
    stack.defer(() => void order.push('first'));
    stack.defer(() => {
      order.push('second');
      throw new Error('second failed');
    });
    stack.defer(async () => void order.push('third'));
    stack.defer(() => {
      order.push('fourth');
      throw new Error('fourth failed');
    });
    await expect(stack.close()).rejects.toThrow('fourth failed');
    expect(order).toEqual(['fourth', 'third', 'second', 'first']);
    await stack.close(); // nothing left: closes once

    const opened: string[] = [];
    const boot = new ResourceStack();
    boot.defer(() => void opened.push('store closed'));
    expect(await boot.open(() => 42)).toBe(42);
    boot.defer(() => void opened.push('listener closed'));
    await expect(boot.open(() => Promise.reject(new Error('port in use')))).rejects.toThrow('port in use');
    expect(opened).toEqual(['listener closed', 'store closed']);
  });
});
