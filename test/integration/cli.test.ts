// The warren command as users run it: startup line, flags, and a clean stop on SIGTERM / SIGINT.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import amqp from 'amqplib';
import { afterEach, describe, expect, it } from 'vitest';

const BIN = join(import.meta.dirname, '..', '..', 'bin', 'warren');
const dirs: string[] = [];
const children: ChildProcess[] = [];

afterEach(() => {
  for (const c of children.splice(0)) c.kill('SIGKILL');
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** Starts `warren --port 0` and resolves with its port once it logs "Server startup complete". */
function startCli(extra: string[] = []): Promise<{ child: ChildProcess; port: number; output: () => string }> {
  const dir = mkdtempSync(join(tmpdir(), 'warren-cli-'));
  dirs.push(dir);
  const child = spawn(process.execPath, [BIN, '--port', '0', '--management-port', '0', '--prometheus-port', '0', '--data-dir', join(dir, 'data'), ...extra], { stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let out = '';
  return new Promise((resolve, reject) => {
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const line = out.split('\n').find((l) => l.includes('Server startup complete'));
      if (line) resolve({ child, port: (JSON.parse(line) as { port: number }).port, output: () => out });
    });
    child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
    child.on('exit', (code) => reject(new Error(`warren exited with ${code}: ${out}`)));
  });
}

function exitCode(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => child.on('exit', (code) => resolve(code)));
}

describe('warren CLI', () => {
  it('prints its flags with --help', async () => {
    expect.hasAssertions();
    const child = spawn(process.execPath, [BIN, '--help']);
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    expect(await exitCode(child)).toBe(0);
    for (const flag of ['--port', '--host', '--data-dir', '--config', '--log-level', '--help']) expect(out).toContain(flag);
  });

  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    it(`logs "Server startup complete", serves clients, and on ${signal} closes them with 320 and exits 0`, async () => {
      expect.hasAssertions();
      const { child, port } = await startCli();
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
    const child = spawn(process.execPath, [BIN, '--port', 'abc']);
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    expect(await exitCode(child)).toBe(1);
    expect(err).toContain('--port');
  });
});
