// The warren command's HTTP listeners: --management-port and --prometheus-port, the startup line, and a port in use.
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { cleanup, runWarren, startWarren, tempDir } from './cli-support.js';

afterEach(cleanup);

/** Runs a broker expected to stop at startup; its exit code and everything it wrote. */
async function failedStart(args: string[]): Promise<{ code: number | null; output: string }> {
  const { code, stdout, stderr } = await runWarren(['--port', '0', '--data-dir', join(tempDir(), 'data'), ...args]);
  return { code, output: stdout + stderr };
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
    const { line } = await startWarren(['--port', '0', '--management-port', '0', '--prometheus-port', '0'], { bare: true });
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
    const { line } = await startWarren(['--port', '0', '--management-port', 'off', '--prometheus-port=-1'], { bare: true });
    expect(line.managementPort).toBeUndefined();
    expect(line.prometheusPort).toBeUndefined();
  });

  it('stops with a one-line error naming the port and the flag when the management port is taken', async () => {
    expect.hasAssertions();
    const taken = await occupiedPort();
    const port = (taken.address() as { port: number }).port;
    try {
      const { code, output } = await failedStart(['--management-port', String(port), '--prometheus-port', '0']);
      expect(code).toBe(1);
      expect(output).toContain(`warren: management API: port ${port} is already in use (change it with --management-port)`);
    } finally {
      taken.close();
    }
  });

  it('rejects a bad port value', async () => {
    expect.hasAssertions();
    const { code, output } = await failedStart(['--prometheus-port', 'lots']);
    expect(code).toBe(1);
    expect(output).toContain('--prometheus-port');
  });
});
