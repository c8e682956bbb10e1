// `warren ctl`: rabbitmqctl's list and change commands against a broker the test starts, through its management API.
import amqp, { type ChannelModel } from 'amqplib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiClient, eventually, type Api } from '../support/http.js';
import { cleanup, runWarren, startWarren, table, type RunResult, type StartedWarren } from './cli-support.js';

let w: StartedWarren;
let api: Api;
let conn: ChannelModel;

beforeAll(async () => {
  w = await startWarren();
  api = apiClient(w.managementUrl);
  conn = await amqp.connect({ hostname: 'localhost', port: w.port, username: 'guest', password: 'guest', vhost: '/' }, { clientProperties: { connection_name: 'ctl-test' } });
  conn.on('error', () => {});
  const ch = await conn.createChannel();
  await ch.assertExchange('ctl.events', 'topic', { durable: true });
  await ch.assertQueue('ctl.work', { durable: true, arguments: { 'x-max-length': 100 } });
  await ch.bindQueue('ctl.work', 'ctl.events', 'job.#');
  for (let i = 0; i < 3; i++) ch.publish('ctl.events', 'job.new', Buffer.from(`job ${i}`));
  await ch.assertQueue('ctl.consumed', { durable: false });
  await ch.prefetch(7);
  await ch.consume('ctl.consumed', () => {}, { consumerTag: 'ctl-consumer' });
  await eventually(async () => ((await api.get('/api/queues/%2F/ctl.work')).json?.messages === 3 ? true : undefined));
});

afterAll(async () => {
  await conn?.close().catch(() => {});
  cleanup();
});

function ctl(...args: string[]): Promise<RunResult> {
  return runWarren(['ctl', ...args, '--management-url', w.managementUrl]);
}

describe('warren ctl list_*', () => {
  it('list_queues prints name and messages by default, and the columns asked for', async () => {
    expect.hasAssertions();
    const r = await ctl('list_queues');
    expect(r.code).toBe(0);
    const t = table(r.stdout);
    expect(t.header).toEqual(['name', 'messages']);
    expect(t.rows).toContainEqual(['ctl.work', '3']);
    expect(t.rows).toContainEqual(['ctl.consumed', '0']);

    const cols = table((await ctl('list_queues', 'name', 'messages_ready', 'consumers', 'durable', 'arguments')).stdout);
    expect(cols.header).toEqual(['name', 'messages_ready', 'consumers', 'durable', 'arguments']);
    expect(cols.rows).toContainEqual(['ctl.work', '3', '0', 'true', '[{"x-max-length",100}]']);
    expect(cols.rows).toContainEqual(['ctl.consumed', '0', '1', 'false', '[]']);
  });

  it('list_exchanges, list_bindings', async () => {
    expect.hasAssertions();
    const x = table((await ctl('list_exchanges')).stdout);
    expect(x.header).toEqual(['name', 'type']);
    expect(x.rows).toContainEqual(['', 'direct']);
    expect(x.rows).toContainEqual(['ctl.events', 'topic']);
    expect(table((await ctl('list_exchanges', 'name', 'durable', 'internal')).stdout).rows).toContainEqual(['ctl.events', 'true', 'false']);

    const b = table((await ctl('list_bindings')).stdout);
    expect(b.header).toEqual(['source_name', 'source_kind', 'destination_name', 'destination_kind', 'routing_key', 'arguments']);
    expect(b.rows).toContainEqual(['ctl.events', 'exchange', 'ctl.work', 'queue', 'job.#', '[]']);
    expect(b.rows).toContainEqual(['', 'exchange', 'ctl.work', 'queue', 'ctl.work', '[]']);
  });

  it('list_connections, list_channels, list_consumers', async () => {
    expect.hasAssertions();
    const c = table((await ctl('list_connections')).stdout);
    expect(c.header).toEqual(['user', 'peer_host', 'peer_port', 'state']);
    expect(c.rows).toHaveLength(1);
    expect(c.rows[0]).toEqual(['guest', '127.0.0.1', expect.stringMatching(/^\d+$/), 'running']);
    const named = table((await ctl('list_connections', 'name', 'user_provided_name', 'vhost', 'channels')).stdout);
    expect(named.rows[0]).toEqual([expect.stringContaining(`-> 127.0.0.1:${w.port}`), 'ctl-test', '/', '1']);

    const ch = table((await ctl('list_channels')).stdout);
    expect(ch.header).toEqual(['pid', 'user', 'consumer_count', 'messages_unacknowledged']);
    expect(ch.rows).toEqual([[expect.stringMatching(/\(1\)$/), 'guest', '1', '0']]);
    expect(table((await ctl('list_channels', 'number', 'prefetch_count', 'vhost')).stdout).rows).toEqual([['1', '7', '/']]);

    const co = table((await ctl('list_consumers')).stdout);
    expect(co.header).toEqual(['queue_name', 'channel_pid', 'consumer_tag', 'ack_required', 'prefetch_count', 'active', 'arguments']);
    expect(co.rows).toEqual([['ctl.consumed', ch.rows[0]![0], 'ctl-consumer', 'true', '7', 'true', '[]']]);
  });

  it('list_users, list_vhosts, list_permissions', async () => {
    expect.hasAssertions();
    const u = await ctl('list_users');
    expect(u.stdout).toBe('user\ttags\nguest\t[administrator]\n');
    expect((await ctl('list_vhosts')).stdout).toBe('name\n/\n');
    expect((await ctl('list_permissions')).stdout).toBe('user\tconfigure\twrite\tread\nguest\t.*\t.*\t.*\n');
  });

  it('--no-table-headers leaves out the header line; -p selects the vhost', async () => {
    expect.hasAssertions();
    const r = await ctl('list_queues', '--no-table-headers', 'name');
    expect(r.stdout.split('\n')).not.toContain('name');
    expect(r.stdout).toContain('ctl.work\n');
    const missing = await ctl('list_queues', '-p', 'nowhere');
    expect(missing.code).toBe(1);
    expect(missing.stderr).toBe("warren: vhost 'nowhere' does not exist\n");
  });

  it('rejects an unknown column or command with exit code 64', async () => {
    expect.hasAssertions();
    const col = await ctl('list_queues', 'name', 'colour');
    expect(col.code).toBe(64);
    expect(col.stderr).toContain('list_queues: unknown column colour; known columns: name, durable');
    const cmd = await ctl('list_rabbits');
    expect(cmd.code).toBe(64);
    expect(cmd.stderr).toContain("unknown ctl command 'list_rabbits'");
    const usage = await ctl('add_user', 'only-a-name');
    expect(usage.code).toBe(64);
    expect(usage.stderr).toContain('usage: warren ctl add_user USER PASSWORD');
  });
});

describe('warren ctl changes', () => {
  it('add_vhost, add_user, set_permissions, change_password, delete_user, delete_vhost', async () => {
    expect.hasAssertions();
    const add = await ctl('add_vhost', 'staging');
    expect(add.code).toBe(0);
    expect(add.stdout).toBe('Adding vhost "staging" ...\n');
    expect((await api.get('/api/vhosts/staging')).status).toBe(200);

    expect((await ctl('add_user', 'deploy', 'first')).stdout).toBe('Adding user "deploy" ...\n');
    const again = await ctl('add_user', 'deploy', 'other');
    expect(again.code).toBe(1);
    expect(again.stderr).toContain("user 'deploy' already exists");

    const perms = await ctl('set_permissions', '-p', 'staging', 'deploy', '^deploy-.*', '.*', '.*');
    expect(perms.code).toBe(0);
    expect((await api.get('/api/permissions/staging/deploy')).json).toEqual({ user: 'deploy', vhost: 'staging', configure: '^deploy-.*', write: '.*', read: '.*' });
    expect((await ctl('list_permissions', '-p', 'staging')).stdout).toContain('deploy\t^deploy-.*\t.*\t.*\n');

    const login = async (pass: string) => {
      try {
        const c = await amqp.connect(`amqp://deploy:${pass}@localhost:${w.port}/staging`);
        await c.close();
        return true;
      } catch {
        return false;
      }
    };
    expect(await login('first')).toBe(true);
    expect((await ctl('change_password', 'deploy', 'second')).code).toBe(0);
    expect(await login('first')).toBe(false);
    expect(await login('second')).toBe(true);
    expect((await ctl('change_password', 'nobody', 'x')).stderr).toContain("user 'nobody' does not exist");

    expect((await ctl('set_user_tags', 'deploy', 'monitoring')).code).toBe(0);
    expect((await ctl('list_users')).stdout).toContain('deploy\t[monitoring]\n');
    // As rabbitmqctl: setting tags keeps the password, changing the password keeps the tags (the API's PUT replaces both).
    expect(await login('second')).toBe(true);
    expect((await ctl('change_password', 'deploy', 'third')).code).toBe(0);
    expect((await ctl('list_users')).stdout).toContain('deploy\t[monitoring]\n');
    expect(await login('third')).toBe(true);

    expect((await ctl('clear_permissions', '-p', 'staging', 'deploy')).code).toBe(0);
    expect((await api.get('/api/permissions/staging/deploy')).status).toBe(404);

    expect((await ctl('delete_user', 'deploy')).stdout).toBe('Deleting user "deploy" ...\n');
    expect((await api.get('/api/users/deploy')).status).toBe(404);
    const gone = await ctl('delete_user', 'deploy');
    expect(gone.code).toBe(1);
    expect(gone.stderr).toContain("user 'deploy' does not exist");

    expect((await ctl('delete_vhost', 'staging')).stdout).toBe('Deleting vhost "staging" ...\n');
    expect((await api.get('/api/vhosts/staging')).status).toBe(404);
    expect((await ctl('delete_vhost', 'staging')).code).toBe(1);
  });

  it('purge_queue and delete_queue (with --if-empty)', async () => {
    expect.hasAssertions();
    await api.put('/api/queues/%2F/ctl.purge', { durable: false });
    for (let i = 0; i < 2; i++) await api.post('/api/exchanges/%2F/amq.default/publish', { routing_key: 'ctl.purge', payload: 'x', payload_encoding: 'string', properties: {} });

    const notEmpty = await ctl('delete_queue', 'ctl.purge', '--if-empty');
    expect(notEmpty.code).toBe(1);
    expect((await api.get('/api/queues/%2F/ctl.purge')).status).toBe(200);

    const purge = await ctl('purge_queue', 'ctl.purge');
    expect(purge.code).toBe(0);
    expect(purge.stdout).toBe("Purging queue 'ctl.purge' in vhost '/' ...\n");
    expect((await api.get('/api/queues/%2F/ctl.purge')).json?.messages).toBe(0);

    const del = await ctl('delete_queue', 'ctl.purge', '--if-empty');
    expect(del.code).toBe(0);
    expect(del.stdout).toBe("Deleting queue 'ctl.purge' on vhost '/' ...\nQueue was successfully deleted with 0 messages\n");
    expect((await api.get('/api/queues/%2F/ctl.purge')).status).toBe(404);

    const missing = await ctl('purge_queue', 'ctl.purge');
    expect(missing.code).toBe(1);
    expect(missing.stderr).toBe("warren: queue 'ctl.purge' in vhost '/' does not exist\n");
    const quiet = await ctl('delete_queue', '-q', 'ctl.work');
    expect(quiet.code).toBe(0);
    expect(quiet.stdout).toBe('');
  });

  it('close_connection closes the named connection with the reason given', async () => {
    expect.hasAssertions();
    const victim = await amqp.connect({ hostname: 'localhost', port: w.port, username: 'guest', password: 'guest' }, { clientProperties: { connection_name: 'victim' } });
    victim.on('error', () => {});
    const closed = new Promise<unknown>((resolve) => victim.on('close', resolve));
    const rows = await eventually(async () => {
      const t = table((await ctl('list_connections', 'pid', 'user_provided_name')).stdout);
      return t.rows.some((r) => r[1] === 'victim') ? t.rows : undefined;
    });
    const name = rows.find((r) => r[1] === 'victim')![0]!;
    const r = await ctl('close_connection', name, 'go away');
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(`Closing connection ${name}, reason: go away...\n`);
    expect(String(await closed)).toContain('CONNECTION_FORCED - go away');
    const again = await ctl('close_connection', name, 'again');
    expect(again.code).toBe(1);
    expect(again.stderr).toContain(`no connection named '${name}'`);
  });
});
