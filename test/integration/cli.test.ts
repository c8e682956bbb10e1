// The warren command as users run it: startup line, flags, and a clean stop on SIGTERM / SIGINT.
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import amqp from 'amqplib';
import { afterEach, describe, expect, it } from 'vitest';
import { cleanup, exitCode, runWarren, startWarren } from './cli-support.js';

afterEach(cleanup);

describe('warren CLI', () => {
  it('prints its flags with --help', async () => {
    expect.hasAssertions();
    const { code, stdout } = await runWarren(['--help']);
    expect(code).toBe(0);
    for (const flag of ['--port', '--host', '--data-dir', '--config', '--log-level', '--help']) expect(stdout).toContain(flag);
  });

  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    it(`logs "Server startup complete", serves clients, and on ${signal} closes them with 320 and exits 0`, async () => {
      expect.hasAssertions();
      const { child, port } = await startWarren();
      const conn = await amqp.connect(`amqp://guest:guest@localhost:${port}`);
      conn.on('error', () => {});
      const closed = new Promise<unknown>((resolve) => conn.on('close', resolve));
      const exited = exitCode(child);
      child.kill(signal);
      expect(String(await closed)).toMatch(/320.*CONNECTION_FORCED - broker shutdown|CONNECTION_FORCED - broker shutdown/);
      expect(await exited).toBe(0);
    });
  }

  it('rejects a bad flag value with a clear message and exit code 1', async () => {
    expect.hasAssertions();
    const { code, stderr } = await runWarren(['--port', 'abc']);
    expect(code).toBe(1);
    expect(stderr).toContain('--port');
  });

  it('make run builds only when a source, the spec, tsconfig, package.json or the lock file is newer than the bundle', () => {
    expect.hasAssertions();
    // The project's Makefile in a scratch tree of stand-in files whose times the test sets.
    const dir = mkdtempSync(join(tmpdir(), 'warren-make-'));
    try {
      copyFileSync(new URL('../../Makefile', import.meta.url), join(dir, 'Makefile'));
      const files = ['src/index.ts', 'src/http/dashboard/app/main.ts', 'spec/amqp-rabbitmq-0.9.1.json', 'tsconfig.json', 'package.json', 'package-lock.json', 'node_modules/.package-lock.json', 'dist/bundle/main.js'];
      for (const f of files) {
        mkdirSync(join(dir, f, '..'), { recursive: true });
        writeFileSync(join(dir, f), '');
      }
      const at = (f: string, seconds: number) => utimesSync(join(dir, f), 1_700_000_000 + seconds, 1_700_000_000 + seconds);
      files.forEach((f, i) => at(f, i));
      const plan = () => execFileSync('make', ['-n', 'run'], { cwd: dir, encoding: 'utf8' });
      expect(plan()).not.toContain('npm run build');
      expect(plan()).toContain('node bin/warren');
      for (const f of ['src/index.ts', 'src/http/dashboard/app/main.ts', 'spec/amqp-rabbitmq-0.9.1.json', 'tsconfig.json', 'package.json']) {
        at(f, 100);
        expect(plan(), f).toContain('npm run build');
        at(f, 0);
        expect(plan(), f).not.toContain('npm run build');
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
