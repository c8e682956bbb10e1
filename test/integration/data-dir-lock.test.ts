// One broker per data directory: the lock file at boot, a second Warren refused naming the first's pid, a killed
// one's stale lock taken over (by exactly one of two brokers starting at once), and a --data-dir that is a file.
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import amqp from 'amqplib';
import { afterEach, describe, expect, it } from 'vitest';
import { startBroker } from '../../src/index.js';
import { cleanup, runWarren, startWarren, tempDir, type StartedWarren } from './cli-support.js';

afterEach(cleanup);

const PORTS = ['--port', '0', '--management-port', 'off', '--prometheus-port', 'off'];

function exited(w: StartedWarren): Promise<void> {
  return new Promise((resolve) => (w.child.exitCode !== null ? resolve() : w.child.on('exit', () => resolve())));
}

/** The pid of a process that has exited (so a lock naming it is stale). */
function deadPid(): number {
  const r = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']);
  return Number(r.stdout.toString());
}

describe('data directory lock', () => {
  it('refuses a second Warren on the same --data-dir with one line naming the first pid; the first keeps serving', async () => {
    expect.hasAssertions();
    const dir = join(tempDir(), 'data');
    const first = await startWarren(['--data-dir', dir]);
    const pid = first.child.pid!;
    expect(readFileSync(join(dir, 'warren.lock'), 'utf8')).toMatch(new RegExp(`^${pid} \\d+\\n$`));
    const second = await runWarren([...PORTS, '--data-dir', dir]);
    expect(second.code).toBe(1);
    expect(second.stderr).toBe(`warren: --data-dir ${dir} is in use by another Warren (pid ${pid}); stop it or choose another --data-dir\n`);
    const conn = await amqp.connect(`amqp://localhost:${first.port}`);
    await conn.close();
    expect(readFileSync(join(dir, 'warren.lock'), 'utf8')).toMatch(new RegExp(`^${pid} `));
  });

  it('takes over the lock of a Warren killed with SIGKILL, and removes its own on a clean stop', async () => {
    expect.hasAssertions();
    const dir = join(tempDir(), 'data');
    const first = await startWarren(['--data-dir', dir]);
    first.child.kill('SIGKILL');
    await exited(first);
    expect(readFileSync(join(dir, 'warren.lock'), 'utf8')).toMatch(new RegExp(`^${first.child.pid} `));
    const second = await startWarren(['--data-dir', dir]);
    expect(readFileSync(join(dir, 'warren.lock'), 'utf8')).toMatch(new RegExp(`^${second.child.pid} `));
    second.child.kill('SIGTERM');
    await exited(second);
    expect(() => readFileSync(join(dir, 'warren.lock'))).toThrow(/ENOENT/);
  });

  it('lets exactly one of two Warrens starting at once take over a stale lock', async () => {
    expect.hasAssertions();
    for (let round = 0; round < 3; round++) {
      const dir = join(tempDir(), 'data');
      const first = await startWarren(['--data-dir', dir]);
      first.child.kill('SIGTERM');
      await exited(first);
      writeFileSync(join(dir, 'warren.lock'), `${deadPid()} 1\n`);
      const results = await Promise.allSettled([startWarren(['--data-dir', dir]), startWarren(['--data-dir', dir])]);
      const started = results.filter((r): r is PromiseFulfilledResult<StartedWarren> => r.status === 'fulfilled');
      const refused = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
      expect(started).toHaveLength(1);
      expect(refused).toHaveLength(1);
      expect(String(refused[0]!.reason)).toContain(`is in use by another Warren (pid ${started[0]!.value.child.pid})`);
      started[0]!.value.child.kill('SIGKILL');
    }
  });

  it('refuses a second in-process broker on the same directory until the first is closed', async () => {
    expect.hasAssertions();
    const dataDir = join(tempDir(), 'data');
    const first = await startBroker({ port: 0, dataDir, logLevel: 'silent' });
    await expect(startBroker({ port: 0, dataDir, logLevel: 'silent' })).rejects.toThrow(`--data-dir ${dataDir} is in use by another Warren (pid ${process.pid})`);
    await first.close();
    const again = await startBroker({ port: 0, dataDir, logLevel: 'silent' });
    await again.close();
  });

  it('says "--data-dir X is not a directory" for a file', async () => {
    expect.hasAssertions();
    const file = join(tempDir(), 'plain-file');
    writeFileSync(file, 'not a directory');
    const r = await runWarren([...PORTS, '--data-dir', file]);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(`warren: --data-dir ${file} is not a directory\n`);
    const below = await runWarren([...PORTS, '--data-dir', join(file, 'sub')]);
    expect(below.code).toBe(1);
    expect(below.stderr).toBe(`warren: --data-dir ${join(file, 'sub')} is not a directory\n`);
  });
});

describe('exit codes', () => {
  it('exits 64 (usage) for an unknown flag or a flag without its value, and 1 for a bad value, as the README says', async () => {
    expect.hasAssertions();
    const unknown = await runWarren(['--prot', '5672']);
    expect(unknown.code).toBe(64);
    expect(unknown.stderr).toMatch(/^warren: Unknown option '--prot'/);
    const missing = await runWarren(['--port']);
    expect(missing.code).toBe(64);
    const bad = await runWarren(['--port', 'abc']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('--port');
    const readme = readFileSync(join(import.meta.dirname, '..', '..', 'README.md'), 'utf8');
    expect(readme).toContain('An unknown flag, or a flag without its value, exits with 64');
  });
});
