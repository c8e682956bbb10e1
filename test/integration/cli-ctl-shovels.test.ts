// `warren ctl shovel_status`, `delete_shovel`, `restart_shovel` (rabbitmqctl's texts and exit codes, compared with
// rabbitmqctl 3.10.8 by hand), and the shovel state in Prometheus, against bin/warren shovelling within itself.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiClient, eventually, type Api } from '../support/http.js';
import { cleanup, runWarren, startWarren, table, type RunResult, type StartedWarren } from './cli-support.js';

let w: StartedWarren;
let api: Api;

beforeAll(async () => {
  w = await startWarren();
  api = apiClient(w.managementUrl);
});

afterAll(() => cleanup());

function ctl(...args: string[]): Promise<RunResult> {
  return runWarren(['ctl', ...args, '--management-url', w.managementUrl]);
}

describe('warren ctl shovels', () => {
  it('shovel_status lists shovels, restart_shovel and delete_shovel act on one, 69 for a missing one; Prometheus has the state', async () => {
    expect.hasAssertions();
    expect((await api.put('/api/queues/%2F/ctl-src', { durable: true })).status).toBe(201);
    expect((await api.put('/api/parameters/shovel/%2F/ctl-sh', { value: { 'src-uri': 'amqp://', 'src-queue': 'ctl-src', 'dest-uri': 'amqp://', 'dest-queue': 'ctl-dst' } })).status).toBe(201);
    await eventually(async () => ((await api.get('/api/shovels')).json[0]?.state === 'running' ? true : undefined));
    const status = await ctl('shovel_status');
    expect(status.code).toBe(0);
    const lines = status.stdout.split('\n');
    expect(lines[0]).toBe('Shovel status on node warren@localhost');
    const t = table(lines.slice(1).join('\n'));
    expect(t.header).toEqual(['destination', 'last_changed', 'name', 'source', 'state', 'termination_reason', 'type', 'vhost']);
    expect(t.rows).toHaveLength(1);
    expect(t.rows[0]![0]).toBe('amqp://');
    expect(t.rows[0]![1]).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/);
    expect(t.rows[0]!.slice(2)).toEqual(['ctl-sh', 'amqp://', 'running', '', 'dynamic', '/']);

    const metrics = await (await fetch(`http://localhost:${w.prometheusPort}/metrics`)).text();
    expect(metrics).toContain('warren_shovel_state{vhost="/",shovel="ctl-sh",state="running"} 1');
    expect(metrics).toContain('warren_shovel_state{vhost="/",shovel="ctl-sh",state="terminated"} 0');
    expect(metrics).toMatch(/warren_shovel_messages_moved_total\{vhost="\/",shovel="ctl-sh"\} \d+/);

    const restart = await ctl('restart_shovel', 'ctl-sh');
    expect(restart).toMatchObject({ code: 0, stdout: 'Restarting dynamic Shovel ctl-sh in virtual host / on node warren@localhost\n' });
    const missing = await ctl('restart_shovel', 'nope');
    expect(missing.code).toBe(69);
    expect(missing.stderr).toContain("Shovel with the given name was not found on the target node 'warren@localhost' and / or virtual host '/'");

    expect(await ctl('delete_shovel', 'ctl-sh')).toMatchObject({ code: 0, stdout: 'Deleting shovel ctl-sh in vhost /\n' });
    expect((await api.get('/api/parameters/shovel')).json).toEqual([]);
    expect((await api.get('/api/shovels')).json).toEqual([]);
    const again = await ctl('delete_shovel', 'ctl-sh');
    expect(again.code).toBe(69);
    expect(again.stderr).toContain('Shovel with the given name was not found');
    expect((await ctl('shovel_status', '-q', '--no-table-headers')).stdout).toBe('');
  });
});
