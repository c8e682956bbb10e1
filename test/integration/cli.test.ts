// The warren command as users run it: startup line, flags, and a clean stop on SIGTERM / SIGINT.
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
});
