// A Celery round trip: a real Celery worker (Debian's python3-celery, run by Debian's interpreter
// /usr/bin/python3 — the python3 first on PATH may be another one without the package) consumes a
// unique queue on the broker under test, and a second Python process calls `add.delay(2, 3)` and
// waits for the result through the rpc:// result backend. See conformance/clients/celery_app.py.
//
// What the broker has to get right for this: the worker's declarations (a durable direct exchange
// and queue named after the queue, the auto-delete pidbox fanout queue with x-message-ttl and
// x-expires, the celeryev topic exchange), mingle's broadcast and its wait for replies, basic.qos
// and basic.consume, the client's auto-delete reply queue with x-expires, the task
// message with its headers and reply_to/correlation_id, and the reply the worker publishes to the
// default exchange. Skipped (with the reason in the report) when /usr/bin/python3 cannot import
// celery; `make conformance` installs python3-celery when it is missing.
import { execFile, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { closeAllAmqp, connect, uniqueName } from '../support/amqp.js';
import { channel } from '../support/fixtures.js';
import { url } from '../support/urls.js';

const run = promisify(execFile);

/** Debian's interpreter: python3-celery installs for it, whatever python3 is first on PATH. */
const PYTHON = '/usr/bin/python3';
const CLIENTS = fileURLToPath(new URL('../clients/', import.meta.url));
const APP = fileURLToPath(new URL('../clients/celery_app.py', import.meta.url));

/** Why the case cannot run here, or undefined when celery imports. */
const UNAVAILABLE = (() => {
  const r = spawnSync(PYTHON, ['-c', 'import celery, kombu, amqp'], { encoding: 'utf8', timeout: 30_000 });
  if (r.error) return `${PYTHON} cannot be run (${r.error.message}); install python3-celery (apt-get install -y python3-celery)`;
  if (r.status !== 0) return `python3-celery is not importable by ${PYTHON} (apt-get install -y python3-celery): ${r.stderr.trim().split('\n').pop()}`;
  return undefined;
})();

/** The environment for the Python processes: the broker and queue, and nothing from another Python install. */
function pythonEnv(queue: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, CELERY_CONFORMANCE_BROKER: url(), CELERY_CONFORMANCE_QUEUE: queue, PYTHONUNBUFFERED: '1' };
  for (const k of ['PYTHONPATH', 'PYTHONHOME', 'VIRTUAL_ENV', 'PYENV_VERSION']) delete env[k];
  return env;
}

interface Worker {
  proc: ChildProcess;
  /** stdout and stderr so far (Celery logs to stderr). */
  output(): string;
  exited: Promise<number | null>;
}

function startWorker(queue: string, nodeName: string): Worker {
  const proc = spawn(
    PYTHON,
    ['-m', 'celery', '-A', 'celery_app', 'worker', '--pool=solo', '--concurrency=1', '-Q', queue, '-n', `${nodeName}@%h`, '--loglevel=INFO'],
    { cwd: CLIENTS, env: pythonEnv(queue), stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  proc.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  proc.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((resolve) => {
    proc.once('exit', (code) => resolve(code));
    proc.once('error', () => resolve(null));
  });
  return { proc, output: () => out, exited };
}

/** Resolves once the worker logs "<node>@<host> ready."; rejects if it exits first or takes too long. */
async function untilReady(w: Worker, nodeName: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let exited = false;
  void w.exited.then(() => (exited = true));
  while (!new RegExp(`${nodeName}@\\S+ ready\\.`).test(w.output())) {
    if (exited) throw new Error(`the Celery worker exited before it was ready:\n${w.output()}`);
    if (Date.now() > deadline) throw new Error(`the Celery worker was not ready within ${timeoutMs} ms:\n${w.output()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** SIGTERM (Celery's warm shutdown), then SIGKILL if it is still running after 10 s. */
async function stopWorker(w: Worker): Promise<void> {
  if (w.proc.exitCode !== null || w.proc.signalCode !== null) return;
  w.proc.kill('SIGTERM');
  const t = setTimeout(() => w.proc.kill('SIGKILL'), 10_000);
  await w.exited;
  clearTimeout(t);
}

let worker: Worker | undefined;
let queue: string | undefined;

afterEach(async () => {
  if (worker) await stopWorker(worker);
  worker = undefined;
  await closeAllAmqp();
  if (!queue) return;
  // The worker's queue and exchange (both named after the queue, durable), then the exchanges every
  // Celery worker declares, only when nothing is bound to them any more (another worker may use them).
  const conn = await connect();
  let ch = await channel(conn);
  await ch.deleteQueue(queue).catch(async () => (ch = await channel(conn)));
  await ch.deleteExchange(queue).catch(async () => (ch = await channel(conn)));
  for (const x of ['celeryev', 'celery.pidbox', 'reply.celery.pidbox']) {
    await ch.deleteExchange(x, { ifUnused: true }).catch(async () => (ch = await channel(conn)));
  }
  queue = undefined;
  await conn.close();
});

describe('Celery (python3-celery) round trip', () => {
  it('runs add.delay(2, 3) on a Celery worker (solo pool, rpc:// results) and gets 5 back', async (ctx) => {
    expect.hasAssertions();
    if (UNAVAILABLE) ctx.skip(UNAVAILABLE);
    queue = uniqueName('celery');
    const nodeName = `conformance-${randomUUID().slice(0, 8)}`;
    worker = startWorker(queue, nodeName);
    await untilReady(worker, nodeName, 20_000);

    const { stdout } = await run(PYTHON, [APP, 'call', '2', '3'], { cwd: CLIENTS, env: { ...pythonEnv(queue), CELERY_CONFORMANCE_TIMEOUT: '20' }, timeout: 25_000 });
    const out = JSON.parse(stdout.trim().split('\n').pop()!) as { task_id: string; result: unknown };
    expect(out.result).toBe(5);
    expect(worker.output()).toMatch(new RegExp(`Task celery_app\\.add\\[${out.task_id}\\] succeeded`));

    await stopWorker(worker);
    expect(worker.output()).toMatch(/Warm shutdown/);
  }, 60_000);
});
