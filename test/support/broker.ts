// Starts a real Warren for a test file: port 0, a temporary data directory, logs silenced.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { startBroker, type RunningBroker, type StartOptions } from '../../src/index.js';

/** Starts a broker before the file's tests and stops it after; read `.current` inside tests. */
export function useBroker(opts: StartOptions = {}): { current: RunningBroker } {
  const holder = {} as { current: RunningBroker };
  let dir = '';
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'warren-test-'));
    holder.current = await startBroker({ port: 0, dataDir: dir, logLevel: process.env.WARREN_TEST_LOG ?? 'silent', ...opts });
  });
  afterAll(async () => {
    await holder.current?.close();
    rmSync(dir, { recursive: true, force: true });
  });
  return holder;
}
