// `warren ctl` policy and parameter commands, in rabbitmqctl's syntax, texts and columns (compared with rabbitmqctl 3.10.8 by hand).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiClient, type Api } from '../support/http.js';
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

describe('warren ctl policies', () => {
  it('set_policy with --priority and --apply-to, list_policies, clear_policy', async () => {
    const set = await ctl('set_policy', '--priority', '2', '--apply-to', 'queues', 'ctlp', '^ctl', '{"max-length":3}');
    expect(set).toMatchObject({ code: 0, stdout: 'Setting policy "ctlp" for pattern "^ctl" to "{"max-length":3}" with priority "2" for vhost "/" ...\n' });
    expect((await api.get('/api/policies/%2F/ctlp')).json).toEqual({ vhost: '/', name: 'ctlp', pattern: '^ctl', 'apply-to': 'queues', definition: { 'max-length': 3 }, priority: 2 });
    const list = await ctl('list_policies');
    expect(list.stdout.split('\n')[0]).toBe('Listing policies for vhost "/" ...');
    expect(table(list.stdout.split('\n').slice(1).join('\n'))).toEqual({
      header: ['vhost', 'name', 'pattern', 'apply-to', 'definition', 'priority'],
      rows: [['/', 'ctlp', '^ctl', 'queues', '{"max-length":3}', '2']],
    });
    expect((await ctl('clear_policy', 'ctlp')).stdout).toBe('Clearing policy "ctlp" on vhost "/" ...\n');
    const again = await ctl('clear_policy', 'ctlp');
    expect(again.code).not.toBe(0);
    expect(again.stderr).toContain('Parameter does not exist');
  });

  it('reports RabbitMQ\'s validation text and refuses JSON it cannot read', async () => {
    const bad = await ctl('set_policy', 'bad', '(', '{"max-length":3}');
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toContain('pattern should be regular expression but is invalid: {"missing )",1}');
    const unknown = await ctl('set_policy', 'bad', 'a', '{"foo":1}');
    expect(unknown.stderr).toContain('[{<<"foo">>,1}] are not recognised policy settings');
    const json = await ctl('set_policy', 'bad', 'a', '{"max-length":');
    expect(json.code).toBe(64);
    expect(json.stderr).toContain('JSON decoding error. Reason: badarg');
    expect((await api.get('/api/policies')).json).toEqual([]);
  });

  it('set_operator_policy, list_operator_policies, clear_operator_policy', async () => {
    const set = await ctl('set_operator_policy', '--apply-to', 'queues', 'ctlo', '^ctl', '{"max-length":2}');
    expect(set.stdout).toBe('Setting operator policy override "ctlo" for pattern "^ctl" to "{"max-length":2}" with priority "0" for vhost "/" ...\n');
    const list = await ctl('list_operator_policies', '-q', '--no-table-headers');
    expect(list.stdout).toBe('/\tctlo\t^ctl\tqueues\t{"max-length":2}\t0\n');
    expect((await ctl('clear_operator_policy', 'ctlo')).stdout).toBe('Clearing operator policy "ctlo" on vhost "/" ...\n');
    expect((await api.get('/api/operator-policies')).json).toEqual([]);
  });

  it('set_parameter, list_parameters, clear_parameter; global parameters', async () => {
    expect((await ctl('set_parameter', 'vhost-limits', 'limits', '{"max-queues":100}')).stdout).toBe(
      'Setting runtime parameter "limits" for component "vhost-limits" to "{"max-queues":100}" in vhost "/" ...\n',
    );
    expect((await api.get('/api/vhost-limits/%2F')).json).toEqual([{ vhost: '/', value: { 'max-queues': 100 } }]);
    expect((await ctl('set_parameter', 'federation-upstream', 'up', '{"uri":"amqp://x"}')).code).toBe(0);
    const list = await ctl('list_parameters');
    expect(list.stdout).toBe('Listing runtime parameters for vhost "/" ...\ncomponent\tname\tvalue\nvhost-limits\tlimits\t{"max-queues":100}\nfederation-upstream\tup\t{"uri":"amqp://x"}\n');
    expect((await ctl('clear_parameter', 'vhost-limits', 'limits')).stdout).toBe('Clearing runtime parameter "limits" for component "vhost-limits" on vhost "/" ...\n');
    expect((await api.get('/api/vhost-limits/%2F')).json).toEqual([]);
    expect((await ctl('set_global_parameter', 'mykey', '{"a":1}')).stdout).toBe('Setting global runtime parameter "mykey" to "{"a":1}" ...\n');
    const globals = await ctl('list_global_parameters');
    const rows = table(globals.stdout.split('\n').slice(1).join('\n'));
    expect(rows.header).toEqual(['name', 'value']);
    expect(rows.rows).toContainEqual(['mykey', '{"a":1}']);
    expect(rows.rows.find((r) => r[0] === 'internal_cluster_id')?.[1]).toMatch(/^"rabbitmq-cluster-id-/);
  });
});
