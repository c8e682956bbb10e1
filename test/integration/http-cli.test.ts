// The warren command's HTTP listeners: --management-port and --prometheus-port, the startup line, and a port in use.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';

const BIN = join(import.meta.dirname, '..', '..', 'bin', 'warren');
const dirs: string[] = [];
const children: ChildProcess[] = [];

afterEach(() => {
  for (const c of children.splice(0)) c.kill('SIGKILL');
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function run(args: string[]): { child: ChildProcess; output: () => string; exit: Promise<number | null> } {
  const dir = mkdtempSync(join(tmpdir(), 'warren-http-cli-'));
  dirs.push(dir);
  const child = spawn(process.execPath, [BIN, '--port', '0', '--data-dir', join(dir, 'data'), ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  return { child, output: () => out, exit: new Promise((resolve) => child.on('exit', (code) => resolve(code))) };
}

async function startupLine(output: () => string): Promise<Record<string, unknown>> {
  for (let i = 0; i < 400; i++) {
    const line = output().split('\n').find((l) => l.includes('Server startup complete'));
    if (line) return JSON.parse(line) as Record<string, unknown>;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`no startup line: ${output()}`);
}

function occupiedPort(): Promise<Server> {
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, () => resolve(s));
  });
}

describe('warren CLI: management and metrics listeners', () => {
  it('serves the management API and metrics on the ports given, and logs them at startup', async () => {
    expect.hasAssertions();
    const { output } = run(['--management-port', '0', '--prometheus-port', '0']);
    const line = await startupLine(output);
    expect(line.managementPort).toEqual(expect.any(Number));
    expect(line.prometheusPort).toEqual(expect.any(Number));
    const overview = await fetch(`http://localhost:${line.managementPort}/api/overview`, { headers: { authorization: 'Basic ' + Buffer.from('guest:guest').toString('base64') } });
    expect(overview.status).toBe(200);
    expect(((await overview.json()) as { product_name: string }).product_name).toBe('Warren');
    const metrics = await fetch(`http://localhost:${line.prometheusPort}/metrics`);
    expect(await metrics.text()).toContain('rabbitmq_queues ');
  });

  it('turns a listener off with "off" (or =-1)', async () => {
    expect.hasAssertions();
    const { output } = run(['--management-port', 'off', '--prometheus-port=-1']);
    const line = await startupLine(output);
    expect(line.managementPort).toBeUndefined();
    expect(line.prometheusPort).toBeUndefined();
  });

  it('stops with a one-line error naming the port and the flag when the management port is taken', async () => {
    expect.hasAssertions();
    const taken = await occupiedPort();
    const port = (taken.address() as { port: number }).port;
    try {
      const { output, exit } = run(['--management-port', String(port), '--prometheus-port', '0']);
      expect(await exit).toBe(1);
      expect(output()).toContain(`warren: management API: port ${port} is already in use (change it with --management-port)`);
    } finally {
      taken.close();
    }
  });

  it('rejects a bad port value', async () => {
    expect.hasAssertions();
    const { output, exit } = run(['--prometheus-port', 'lots']);
    expect(await exit).toBe(1);
    expect(output()).toContain('--prometheus-port');
  });
});
