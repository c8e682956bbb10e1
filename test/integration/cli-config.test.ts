// The warren command's configuration: flags over environment over rabbitmq.conf over defaults, the default user and
// vhost, config file errors and warnings, RabbitMQ's value syntaxes, and load_definitions at boot.
import { mkdirSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import amqp from 'amqplib';
import { afterEach, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/cli/config-file.js';
import { resolveSettings } from '../../src/cli/settings.js';
import { apiClient } from '../support/http.js';
import { cleanup, freePort, runWarren, startWarren, tempDir } from './cli-support.js';

afterEach(cleanup);

function configFile(text: string): string {
  const file = join(tempDir(), 'rabbitmq.conf');
  writeFileSync(file, text);
  return file;
}

async function canLogin(port: number, user: string, pass: string, vhost = '/'): Promise<boolean> {
  try {
    const conn = await amqp.connect(`amqp://${encodeURIComponent(user)}:${encodeURIComponent(pass)}@localhost:${port}/${encodeURIComponent(vhost)}`);
    conn.on('error', () => {});
    await conn.close();
    return true;
  } catch {
    return false;
  }
}

describe('configuration precedence', () => {
  it('takes the management and metrics ports from flags over WARREN_* over the config file', async () => {
    expect.hasAssertions();
    const [m1, m2, m3, p1, p2, p3] = await Promise.all([freePort(), freePort(), freePort(), freePort(), freePort(), freePort()]);
    const file = configFile(`management.tcp.port = ${m1}\nprometheus.tcp.port = ${p1}\nlisteners.tcp.default = 0\n`);

    const fileOnly = await startWarren(['--config', file], { bare: true });
    expect([fileOnly.managementPort, fileOnly.prometheusPort]).toEqual([m1, p1]);
    fileOnly.child.kill('SIGKILL');

    const env = { WARREN_MANAGEMENT_PORT: String(m2), WARREN_PROMETHEUS_PORT: String(p2) };
    const fileAndEnv = await startWarren(['--config', file], { env, bare: true });
    expect([fileAndEnv.managementPort, fileAndEnv.prometheusPort]).toEqual([m2, p2]);
    fileAndEnv.child.kill('SIGKILL');

    const all = await startWarren(['--config', file, '--management-port', String(m3), '--prometheus-port', String(p3)], { env, bare: true });
    expect([all.managementPort, all.prometheusPort]).toEqual([m3, p3]);
  });

  it('takes the AMQP port from --port over WARREN_PORT over RABBITMQ_NODE_PORT over listeners.tcp.default', async () => {
    expect.hasAssertions();
    const [a1, a2, a3, a4] = await Promise.all([freePort(), freePort(), freePort(), freePort()]);
    const file = configFile(`listeners.tcp.default = ${a1}\nmanagement.tcp.port = 0\nprometheus.tcp.port = 0\n`);
    const started = async (args: string[], env: Record<string, string>) => {
      const w = await startWarren(['--config', file, ...args], { env, bare: true });
      w.child.kill('SIGKILL');
      return w.port;
    };
    expect(await started([], {})).toBe(a1);
    expect(await started([], { RABBITMQ_NODE_PORT: String(a2) })).toBe(a2);
    expect(await started([], { RABBITMQ_NODE_PORT: String(a2), WARREN_PORT: String(a3) })).toBe(a3);
    expect(await started(['--port', String(a4)], { RABBITMQ_NODE_PORT: String(a2), WARREN_PORT: String(a3) })).toBe(a4);
  });

  it('finds the config file through WARREN_CONFIG and RABBITMQ_CONFIG_FILE (with or without .conf)', async () => {
    expect.hasAssertions();
    const port = await freePort();
    const file = configFile(`listeners.tcp.default = ${port}\nmanagement.tcp.port = 0\nprometheus.tcp.port = 0\n`);
    const viaWarren = await startWarren([], { env: { WARREN_CONFIG: file }, bare: true });
    expect(viaWarren.port).toBe(port);
    viaWarren.child.kill('SIGKILL');
    const viaRabbit = await startWarren([], { env: { RABBITMQ_CONFIG_FILE: file.replace(/\.conf$/, '') }, bare: true });
    expect(viaRabbit.port).toBe(port);
  });

  it('makes the default user and vhost from flags, environment and file the ones that exist and can log in', async () => {
    expect.hasAssertions();
    const file = configFile('default_user = fileuser\ndefault_pass = filepass\ndefault_vhost = filevhost\n');
    const env = { RABBITMQ_DEFAULT_USER: 'rabbituser', WARREN_DEFAULT_USER: 'envuser', RABBITMQ_DEFAULT_PASS: 'envpass' };
    const w = await startWarren(['--config', file, '--default-vhost', 'flagvhost'], { env });
    expect(await canLogin(w.port, 'envuser', 'envpass', 'flagvhost')).toBe(true);
    expect(await canLogin(w.port, 'guest', 'guest', 'flagvhost')).toBe(false);
    expect(await canLogin(w.port, 'fileuser', 'filepass', 'flagvhost')).toBe(false);
    expect(await canLogin(w.port, 'rabbituser', 'envpass', 'flagvhost')).toBe(false);

    const api = apiClient(w.managementUrl, 'envuser', 'envpass');
    expect((await api.get('/api/whoami')).json).toEqual({ name: 'envuser', tags: ['administrator'] });
    expect(((await api.get('/api/vhosts')).json as Array<{ name: string }>).map((v) => v.name)).toEqual(['flagvhost']);
    expect(((await api.get('/api/users')).json as Array<{ name: string }>).map((u) => u.name)).toEqual(['envuser']);
    expect((await apiClient(w.managementUrl).get('/api/whoami')).status).toBe(401);

    // The client commands find the same credentials and vhost in the same environment.
    const ping = await runWarren(['ping', '--port', String(w.port), '-p', 'flagvhost'], env);
    expect(ping.code).toBe(0);
    expect(ping.stderr).toBe('');
    const queues = await runWarren(['ctl', 'list_queues', '--management-url', w.managementUrl], { ...env, WARREN_DEFAULT_VHOST: 'flagvhost' });
    expect(queues.code).toBe(0);
    expect(queues.stdout).toBe('name\tmessages\n');
  });

  it('uses only the config file when there are no flags or variables', async () => {
    expect.hasAssertions();
    const file = configFile('default_user = alice\ndefault_pass = s3cret\ndefault_vhost = app\nmanagement.tcp.port = 0\nprometheus.tcp.port = 0\nlisteners.tcp.default = 0\n');
    const w = await startWarren(['--config', file], { bare: true });
    expect(await canLogin(w.port, 'alice', 's3cret', 'app')).toBe(true);
    expect(await canLogin(w.port, 'guest', 'guest', '/')).toBe(false);
  });
});

describe('config file errors and warnings', () => {
  it('refuses an unknown key with file, line and a "did you mean", as RabbitMQ refuses to boot', async () => {
    expect.hasAssertions();
    const file = configFile('# comment\n\ndefualt_user = app\nheartbeat = 30\n');
    const r = await runWarren(['--config', file, '--port', '0', '--management-port', '0', '--prometheus-port', '0', '--data-dir', join(tempDir(), 'd')]);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(`warren: ${file}:3: unknown key 'defualt_user' (RabbitMQ 3.10.8 has no such setting and refuses to boot); did you mean 'default_user'?\n`);
    expect(() => parseConfig('ssl_options.colour = blue', 'x.conf')).toThrow("x.conf:1: unknown key 'ssl_options.colour'");
    expect(() => parseConfig('managment.tcp.port = 15672', 'x.conf')).toThrow("did you mean 'management.tcp.port'");
    expect(() => parseConfig('completely_made_up = 1', 'x.conf')).toThrow(/unknown key 'completely_made_up' \(RabbitMQ 3\.10\.8 has no such setting and refuses to boot\)$/);
  });

  it('accepts the keys RabbitMQ knows and Warren does not act on, one "no effect" line each, and starts', async () => {
    expect.hasAssertions();
    const keys = ['log.file = /var/log/rabbitmq/rabbit.log', 'management.rates_mode = detailed', 'prometheus.return_per_object_metrics = true', 'collect_statistics_interval = 5000', 'cluster_formation.classic_config.nodes.1 = rabbit@a', 'management.sample_retention_policies.global.minute = 5'];
    const file = configFile(`${keys.join('\n')}\nheartbeat = 30\n`);
    const w = await startWarren(['--config', file]);
    const lines = w.output().split('\n').filter((l) => l.includes('no effect in Warren')).map((l) => JSON.parse(l) as { level: number; msg: string });
    expect(lines).toEqual(keys.map((k, i) => expect.objectContaining({ level: 30, msg: `${file}:${i + 1}: ${k.split(' = ')[0]!} accepted, no effect in Warren` })));
    const { notices, warnings } = parseConfig('log.file.level = debug\nlog.console.level = debug\n', 'x.conf');
    expect(notices).toEqual(['x.conf:1: log.file.level accepted, no effect in Warren']);
    expect(warnings).toEqual([]);
  });

  const bad: Array<[string, string, string]> = [
    ['heartbeat = soon', 'heartbeat', 'expected a non-negative integer'],
    ['listeners.tcp.default = localhost', 'listeners.tcp.default', 'expected PORT or HOST:PORT'],
    ['disk_free_limit.absolute = plenty', 'disk_free_limit.absolute', 'expected a size'],
    ['vm_memory_high_watermark.relative = -1', 'vm_memory_high_watermark.relative', 'expected a number'],
    ['log.console.level = loud', 'log.console.level', 'expected one of'],
    ['loopback_users.guest = maybe', 'loopback_users.guest', 'expected true or false'],
    ['management.tcp.port = 70000', 'management.tcp.port', 'expected a port number'],
  ];
  for (const [line, key, why] of bad) {
    it(`stops with an error naming the key and line for '${line}'`, async () => {
      expect.hasAssertions();
      const file = configFile(`default_user = guest\n${line}\n`);
      const r = await runWarren(['--config', file, '--port', '0', '--management-port', '0', '--prometheus-port', '0', '--data-dir', join(tempDir(), 'd')]);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain(`warren: ${file}:2: bad value for '${key}': ${why}`);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
    });
  }

  it('rejects a line without "=" and a missing --config file', async () => {
    expect.hasAssertions();
    const file = configFile('heartbeat 30\n');
    const noEquals = await runWarren(['--config', file, '--port', '0']);
    expect(noEquals.code).toBe(1);
    expect(noEquals.stderr).toContain(`${file}:1: expected 'key = value'`);
    const missing = await runWarren(['--config', join(tempDir(), 'nope.conf'), '--port', '0']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/config file .*nope\.conf: no such file/);
  });

  it('stops with a one-line error naming the AMQP port in use and the flag to change it', async () => {
    expect.hasAssertions();
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, resolve));
    const port = (taken.address() as { port: number }).port;
    try {
      const r = await runWarren(['--port', String(port), '--management-port', '0', '--prometheus-port', '0', '--data-dir', join(tempDir(), 'd')]);
      expect(r.code).toBe(1);
      expect(r.stderr).toBe(`warren: AMQP: port ${port} is already in use (change it with --port)\n`);
    } finally {
      taken.close();
    }
  });

  it('rejects a bad environment value, naming the variable', async () => {
    expect.hasAssertions();
    const r = await runWarren(['--port', '0'], { WARREN_MANAGEMENT_PORT: 'many' });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("warren: WARREN_MANAGEMENT_PORT: expected a port number (0-65535) or 'off', got 'many'");
    const rabbit = await runWarren([], { RABBITMQ_NODE_PORT: '99999' });
    expect(rabbit.code).toBe(1);
    expect(rabbit.stderr).toContain('RABBITMQ_NODE_PORT');
  });

  it('parses every key people use, with RabbitMQ value syntaxes', () => {
    const { options, warnings, notices } = parseConfig(
      [
        'listeners.tcp.default = 127.0.0.1:5673',
        'listeners.ssl.default = 5671',
        'ssl_options.certfile = /etc/certs/server.pem',
        'ssl_options.verify = verify_peer',
        'default_user = admin',
        'default_pass = pa ss  # trailing comment',
        'default_vhost = app',
        'default_user_tags.administrator = true',
        'default_user_tags.monitoring = true',
        'default_permissions.read = ^app-.*',
        'loopback_users.guest = false',
        'loopback_users.admin = true',
        'management.tcp.port = 15673',
        'prometheus.tcp.port = 15693',
        'load_definitions = /etc/warren/definitions.json',
        'log.console.level = warning',
        'heartbeat = 30',
        'frame_max = 131072',
        'channel_max = 128',
        'max_message_size = 1048576',
        'consumer_timeout = 900000',
        'vm_memory_high_watermark.relative = 0.4',
        'disk_free_limit.absolute = 2GB',
      ].join('\n'),
      'test.conf',
    );
    expect(warnings).toEqual([]);
    expect(notices).toEqual([]);
    expect(options).toEqual({
      port: 5673,
      host: '127.0.0.1',
      tls: { port: 5671, options: { certfile: '/etc/certs/server.pem', verify: 'verify_peer' } },
      defaultUser: 'admin',
      defaultPass: 'pa ss',
      defaultVhost: 'app',
      defaultUserTags: ['administrator', 'monitoring'],
      defaultPermissions: { configure: '.*', write: '.*', read: '^app-.*' },
      loopbackUsers: ['admin'],
      managementPort: 15673,
      prometheusPort: 15693,
      loadDefinitions: '/etc/warren/definitions.json',
      logLevel: 'warn',
      heartbeat: 30,
      frameMax: 131072,
      channelMax: 128,
      maxMessageSize: 1048576,
      consumerTimeout: 900000,
      memoryHighWatermark: { relative: 0.4 },
      diskFreeLimit: { absolute: 2_000_000_000 },
    });
    const sizes = (v: string) => parseConfig(`disk_free_limit.absolute = ${v}`, 'x').options.diskFreeLimit;
    expect(sizes('50MB')).toEqual({ absolute: 50_000_000 });
    expect(sizes('512MiB')).toEqual({ absolute: 512 * 2 ** 20 });
    expect(sizes('1G')).toEqual({ absolute: 2 ** 30 });
    expect(sizes('1000000')).toEqual({ absolute: 1_000_000 });
    expect(parseConfig('vm_memory_high_watermark.absolute = 1.5GB', 'x').options.memoryHighWatermark).toEqual({ absolute: 1_500_000_000 });
    expect(parseConfig('loopback_users = none', 'x').options.loopbackUsers).toEqual([]);
    expect(parseConfig('listeners.tcp.default = [::1]:5672', 'x').options).toEqual({ host: '::1', port: 5672 });
  });

  it('resolves settings as flags, then WARREN_*, then RABBITMQ_*, then file, then defaults', () => {
    const file = configFile('default_user = fileuser\ndefault_vhost = filevhost\nheartbeat = 10\n');
    const r = resolveSettings({ config: file, 'default-vhost': 'flagvhost' }, { RABBITMQ_DEFAULT_USER: 'rabbit', WARREN_DEFAULT_USER: 'warren', RABBITMQ_DEFAULT_PASS: '', WARREN_LOG_LEVEL: 'debug' });
    expect(r.options).toMatchObject({
      defaultUser: 'warren',
      defaultVhost: 'flagvhost',
      heartbeat: 10,
      logLevel: 'debug',
      dataDir: './data',
      managementPort: 15672,
      prometheusPort: 15692,
    });
    // An empty variable counts as unset.
    expect(r.options.defaultPass).toBeUndefined();
  });
});

describe('load_definitions at boot', () => {
  const defs = {
    vhosts: [{ name: '/' }, { name: 'orders' }],
    users: [{ name: 'svc', password_hash: '', tags: [] }],
    permissions: [{ user: 'svc', vhost: 'orders', configure: '.*', write: '.*', read: '.*' }],
    exchanges: [{ name: 'events', vhost: 'orders', type: 'topic', durable: true, auto_delete: false, internal: false, arguments: {} }],
    queues: [{ name: 'order-created', vhost: 'orders', durable: true, auto_delete: false, arguments: { 'x-max-length': 1000 } }],
    bindings: [{ source: 'events', vhost: 'orders', destination: 'order-created', destination_type: 'queue', routing_key: 'order.created', arguments: {} }],
  };

  it('imports the file named by load_definitions before clients connect', async () => {
    expect.hasAssertions();
    const file = join(tempDir(), 'definitions.json');
    writeFileSync(file, JSON.stringify(defs));
    const w = await startWarren(['--config', configFile(`load_definitions = ${file}\n`)]);
    const api = apiClient(w.managementUrl);
    const q = await api.get('/api/queues/orders/order-created');
    expect(q.status).toBe(200);
    expect(q.json).toMatchObject({ durable: true, arguments: { 'x-max-length': 1000 } });
    expect((await api.get('/api/exchanges/orders/events')).json).toMatchObject({ type: 'topic' });
    const bindings = (await api.get('/api/exchanges/orders/events/bindings/source')).json as Array<{ routing_key: string }>;
    expect(bindings.map((b) => b.routing_key)).toEqual(['order.created']);
    expect((await api.get('/api/permissions/orders/svc')).status).toBe(200);
  });

  it('imports every .json file of a directory given with --load-definitions', async () => {
    expect.hasAssertions();
    const dir = join(tempDir(), 'defs');
    mkdirSync(dir);
    writeFileSync(join(dir, '1-vhosts.json'), JSON.stringify({ vhosts: [{ name: 'orders' }] }));
    writeFileSync(join(dir, '2-queues.json'), JSON.stringify({ queues: defs.queues }));
    writeFileSync(join(dir, 'README.txt'), 'not definitions');
    const w = await startWarren(['--load-definitions', dir]);
    expect((await apiClient(w.managementUrl).get('/api/queues/orders/order-created')).status).toBe(200);
  });

  it('imports policies from --load-definitions', async () => {
    const file = join(tempDir(), 'policies.json');
    const policy = { vhost: '/', name: 'DLX', pattern: '^work\\.', 'apply-to': 'queues', definition: { 'dead-letter-exchange': 'dlx', 'message-ttl': 5000 }, priority: 0 };
    writeFileSync(file, JSON.stringify({ policies: [policy] }));
    const w = await startWarren(['--load-definitions', file]);
    expect((await apiClient(w.managementUrl).get('/api/policies/%2F/DLX')).json).toEqual(policy);
  });

  const badFiles: Array<[string, string | undefined, RegExp]> = [
    ['a file that does not exist', undefined, /load_definitions: .*missing\.json: no such file or directory/],
    ['a file that is not JSON', '{"queues": [', /load_definitions: .*definitions\.json: not valid JSON/],
    ['a queue in a vhost nobody creates', JSON.stringify({ queues: [{ name: 'q', vhost: 'ghost', durable: true }] }), /load_definitions: .*definitions\.json: definitions: vhost 'ghost' does not exist/],
    [
      'an invalid policy',
      JSON.stringify({ policies: [{ vhost: '/', name: 'DLX', pattern: '^work\\.', 'apply-to': 'queues', definition: { 'message-ttl': -5 }, priority: 0 }] }),
      /load_definitions: .*definitions\.json: definitions: policy 'DLX' in vhost '\/': -5 is not a valid message TTL/,
    ],
  ];
  for (const [what, content, message] of badFiles) {
    it(`stops startup with a clear error for ${what}`, async () => {
      expect.hasAssertions();
      const dir = tempDir();
      const file = join(dir, content === undefined ? 'missing.json' : 'definitions.json');
      if (content !== undefined) writeFileSync(file, content);
      const r = await runWarren(['--port', '0', '--management-port', '0', '--prometheus-port', '0', '--data-dir', join(dir, 'data'), '--config', configFile(`load_definitions = ${file}\n`)]);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(message);
      expect(r.stdout).not.toContain('Server startup complete');
    });
  }
});
