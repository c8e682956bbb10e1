// startTestBroker(): one broker for a test run on free ports, with a temporary data dir removed when it stops, and the
// AMQP and management URLs exported to the environment the test workers inherit.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startBroker, type RunningBroker, type StartOptions } from '../index.js';

export interface TestBroker {
  /** `amqp://guest:guest@localhost:PORT` (also in process.env.AMQP_URL). */
  readonly amqpUrl: string;
  /** `http://guest:guest@localhost:PORT` of the management API (also in process.env.WARREN_MANAGEMENT_URL). */
  readonly managementUrl: string;
  readonly running: RunningBroker;
  /** Its data directory (a temporary one unless `dataDir` was given). */
  readonly dataDir: string;
  /** Stops the broker, removes its data dir and the environment variables it set. */
  stop(): Promise<void>;
}

/** Starts the broker (AMQP and management on port 0, logs silent unless `logLevel` says otherwise). */
export async function startTestBroker(opts: StartOptions = {}): Promise<TestBroker> {
  const dataDir = opts.dataDir ?? mkdtempSync(join(tmpdir(), 'warren-test-'));
  const running = await startBroker({ port: 0, managementPort: 0, logLevel: 'silent', ...opts, dataDir });
  const amqpUrl = running.url;
  const managementUrl = `http://guest:guest@localhost:${running.managementPort}`;
  process.env['AMQP_URL'] = amqpUrl;
  process.env['WARREN_MANAGEMENT_URL'] = managementUrl;
  let stopped: Promise<void> | undefined;
  return {
    amqpUrl,
    managementUrl,
    running,
    dataDir,
    stop: () =>
      (stopped ??= (async () => {
        await running.close();
        if (opts.dataDir === undefined) rmSync(dataDir, { recursive: true, force: true });
        if (process.env['AMQP_URL'] === amqpUrl) delete process.env['AMQP_URL'];
        if (process.env['WARREN_MANAGEMENT_URL'] === managementUrl) delete process.env['WARREN_MANAGEMENT_URL'];
      })()),
  };
}

/** The run's broker, kept between a global setup and its teardown (jest and mocha load them as separate calls). */
const KEY = Symbol.for('warren.testing.broker');
type Holder = { [KEY]?: TestBroker };

export async function globalStart(opts?: StartOptions): Promise<TestBroker> {
  const holder = globalThis as Holder;
  holder[KEY] ??= await startTestBroker(opts);
  return holder[KEY];
}

export async function globalStop(): Promise<void> {
  const holder = globalThis as Holder;
  const b = holder[KEY];
  delete holder[KEY];
  await b?.stop();
}
