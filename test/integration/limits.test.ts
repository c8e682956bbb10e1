// Limits and access definitions beyond what the conformance suite can reach: users, vhosts, permissions, topic
// permissions and limits survive a restart; definitions carry limits from one broker to another; connection_max holds
// extra connections unanswered until one closes; `warren ctl` sets and clears limits.
import { mkdtempSync, rmSync } from 'node:fs';
import { connect as tcpConnect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import amqp from 'amqplib';
import { afterEach, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/cli/config-file.js';
import { startBroker, type RunningBroker } from '../../src/index.js';
import { args, HandshakeRefusedError, rawConnect } from '../../conformance/support/raw.js';
import { apiClient } from '../support/http.js';
import { cleanup, runWarren, startWarren } from './cli-support.js';

const dirs: string[] = [];
const brokers: RunningBroker[] = [];
const sockets: Socket[] = [];

afterEach(async () => {
  for (const s of sockets.splice(0)) s.destroy();
  for (const b of brokers.splice(0)) await b.close();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  cleanup();
});

function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'warren-limits-'));
  dirs.push(d);
  return d;
}

async function start(dataDir: string, opts: Parameters<typeof startBroker>[0] = {}): Promise<RunningBroker> {
  const b = await startBroker({ port: 0, managementPort: 0, dataDir, logLevel: 'silent', ...opts });
  brokers.push(b);
  return b;
}

async function stop(b: RunningBroker): Promise<void> {
  brokers.splice(brokers.indexOf(b), 1);
  await b.close();
}

const PROTOCOL_HEADER = Buffer.from('AMQP\x00\x00\x09\x01', 'latin1');

/** A socket that sent the protocol header; `answered` resolves once the broker sends anything (connection.start). */
function rawClient(port: number): { socket: Socket; answered: Promise<void> } {
  const socket = tcpConnect({ host: '127.0.0.1', port });
  sockets.push(socket);
  socket.on('error', () => {});
  socket.write(PROTOCOL_HEADER);
  const answered = new Promise<void>((resolve) => socket.once('data', () => resolve()));
  return { socket, answered };
}

const within = (p: Promise<unknown>, ms: number) => Promise.race([p.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), ms))]);

describe('access definitions across a restart', () => {
  it('brings back users, vhosts, permissions, topic permissions and limits, and enforces them', async () => {
    expect.hasAssertions();
    const dataDir = tempDir();
    let b = await start(dataDir);
    let api = apiClient(`http://localhost:${b.managementPort}`);
    expect((await api.put('/api/vhosts/apps')).status).toBe(201);
    expect((await api.put('/api/users/app', { password: 'app-pw', tags: 'monitoring' })).status).toBe(201);
    expect((await api.put('/api/permissions/apps/app', { configure: '^app\\.', write: '.*', read: '.*' })).status).toBe(201);
    expect((await api.put('/api/topic-permissions/apps/app', { exchange: 'amq.topic', write: '^app\\.', read: '.*' })).status).toBe(201);
    expect((await api.put('/api/vhost-limits/apps/max-queues', { value: 1 })).status).toBe(204);
    expect((await api.put('/api/vhost-limits/apps/max-connections', { value: 5 })).status).toBe(204);
    expect((await api.put('/api/user-limits/app/max-channels', { value: 3 })).status).toBe(204);
    expect((await api.put('/api/user-limits/guest/max-connections', { value: 50 })).status).toBe(204);
    // A vhost with a durable queue, deleted: it must not come back from the log's records of its queue.
    expect((await api.put('/api/vhosts/gone')).status).toBe(201);
    expect((await api.put('/api/queues/gone/q', { durable: true })).status).toBe(201);
    expect((await api.del('/api/vhosts/gone')).status).toBe(204);
    await stop(b);

    b = await start(dataDir);
    api = apiClient(`http://localhost:${b.managementPort}`);
    expect(((await api.get('/api/vhosts')).json as Array<{ name: string }>).map((v) => v.name).sort()).toEqual(['/', 'apps']);
    expect((await api.get('/api/users/app')).json).toMatchObject({ name: 'app', tags: ['monitoring'], limits: { 'max-channels': 3 } });
    expect((await api.get('/api/permissions/apps/app')).json).toEqual({ user: 'app', vhost: 'apps', configure: '^app\\.', write: '.*', read: '.*' });
    expect((await api.get('/api/permissions/%2F/app')).status).toBe(404);
    expect((await api.get('/api/topic-permissions/apps/app')).json).toEqual([{ user: 'app', vhost: 'apps', exchange: 'amq.topic', write: '^app\\.', read: '.*' }]);
    expect((await api.get('/api/vhost-limits/apps')).json).toEqual([{ vhost: 'apps', value: { 'max-connections': 5, 'max-queues': 1 } }]);
    expect((await api.get('/api/user-limits/guest')).json).toEqual([{ user: 'guest', value: { 'max-connections': 50 } }]);

    // The password still works, and the limits and permissions still bite.
    const conn = await amqp.connect(`amqp://app:app-pw@localhost:${b.port}/apps`);
    conn.on('error', () => {});
    const ch = await conn.createChannel();
    ch.on('error', () => {});
    await ch.assertQueue('app.one', { durable: false });
    await expect(ch.assertQueue('app.two', { durable: false })).rejects.toThrow("PRECONDITION_FAILED - cannot declare queue 'app.two': queue limit in vhost 'apps' (1) is reached");
    const ch2 = await conn.createChannel();
    ch2.on('error', () => {});
    ch2.publish('amq.topic', 'other.key', Buffer.from('x'));
    await expect(ch2.checkExchange('amq.topic')).rejects.toThrow("ACCESS_REFUSED - access to topic 'other.key' in exchange 'amq.topic' in vhost 'apps' refused for user 'app'");
    await conn.close();
    // The boot user still logs in with its configured password.
    await (await amqp.connect(b.url)).close();
  });

  it("keeps vhosts' descriptions and tags", async () => {
    expect.hasAssertions();
    const dataDir = tempDir();
    let b = await start(dataDir);
    let api = apiClient(`http://localhost:${b.managementPort}`);
    expect((await api.put('/api/vhosts/described', { description: 'orders, EU', tags: 'prod,eu' })).status).toBe(201);
    await stop(b);
    b = await start(dataDir);
    api = apiClient(`http://localhost:${b.managementPort}`);
    expect((await api.get('/api/vhosts/described')).json).toMatchObject({ description: 'orders, EU', tags: ['prod', 'eu'], metadata: { description: 'orders, EU', tags: ['prod', 'eu'] } });
  });

  it('forgets a deleted user, its limits and permissions', async () => {
    expect.hasAssertions();
    const dataDir = tempDir();
    let b = await start(dataDir);
    let api = apiClient(`http://localhost:${b.managementPort}`);
    expect((await api.put('/api/users/temp', { password: 'pw', tags: '' })).status).toBe(201);
    expect((await api.put('/api/user-limits/temp/max-connections', { value: 1 })).status).toBe(204);
    expect((await api.del('/api/users/temp')).status).toBe(204);
    await stop(b);
    b = await start(dataDir);
    api = apiClient(`http://localhost:${b.managementPort}`);
    expect((await api.get('/api/users/temp')).status).toBe(404);
    expect((await api.get('/api/user-limits')).json).toEqual([]);
  });
});

/** Retries `open` until it resolves (the broker sees a client's socket close a moment after the client does). */
async function eventually<T>(open: () => Promise<T>, ms = 5_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    try {
      return await open();
    } catch (e) {
      if (Date.now() > deadline) throw e;
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}

describe('limit slots are given back', () => {
  it("a user's connection and channel slots, however the connection or channel ends", async () => {
    expect.hasAssertions();
    const b = await start(tempDir());
    const api = apiClient(`http://localhost:${b.managementPort}`);
    expect((await api.put('/api/users/slot', { password: 'pw', tags: '' })).status).toBe(201);
    expect((await api.put('/api/permissions/%2F/slot', { configure: '.*', write: '.*', read: '.*' })).status).toBe(201);
    expect((await api.put('/api/vhosts/closed')).status).toBe(201);
    expect((await api.put('/api/user-limits/slot/max-connections', { value: 1 })).status).toBe(204);
    expect((await api.put('/api/user-limits/slot/max-channels', { value: 1 })).status).toBe(204);
    const url = `amqp://slot:pw@localhost:${b.port}`;
    const raw = (opts: Parameters<typeof rawConnect>[0] = {}) => rawConnect({ url, ...opts });
    const openAndClose = async () => {
      const c = await raw();
      await c.openChannel(1);
      await c.close();
    };

    // Refused at connection.open (no access to the vhost), twice: nothing is held.
    for (let i = 0; i < 2; i++) await expect(raw({ vhost: 'closed' })).rejects.toBeInstanceOf(HandshakeRefusedError);
    await openAndClose();
    // Missed heartbeats: the broker drops the connection and its channel.
    const silent = await raw({ tuneOk: { heartbeat: 1 } });
    await silent.openChannel(1);
    await expect(raw()).rejects.toBeInstanceOf(HandshakeRefusedError);
    await silent.waitForClose(5_000);
    await eventually(openAndClose);
    // Socket reset with a channel open.
    const reset = await raw();
    await reset.openChannel(1);
    reset.destroy();
    await eventually(openAndClose);
    // Closed by the broker on a connection error (a method on a channel that is not open: 504).
    const broken = await raw();
    await broken.openChannel(1);
    broken.sendMethod(2, 50, 10, args().short(0).shortstr('q').bits(false).table({}).build());
    expect((await broken.expectConnectionClose()).replyCode).toBe(504);
    await broken.waitForClose(5_000);
    await eventually(openAndClose);
    // A channel closed by a channel error gives its slot back once close-ok is in.
    const c = await raw();
    await c.openChannel(1);
    c.sendMethod(1, 50, 10, args().short(0).shortstr('no-such-queue').bits(true).table({}).build());
    expect((await c.expectChannelClose(1)).replyCode).toBe(404);
    await c.openChannel(2);
    await c.close();
  });

  it("a vhost's queue slots, however the queue goes: exclusive owner closed, auto-delete, x-expires", async () => {
    expect.hasAssertions();
    const b = await start(tempDir());
    const api = apiClient(`http://localhost:${b.managementPort}`);
    expect((await api.put('/api/vhost-limits/%2F/max-queues', { value: 1 })).status).toBe(204);
    const declareAndDelete = async (name: string) => {
      const conn = await amqp.connect(b.url);
      conn.on('error', () => {});
      try {
        const ch = await conn.createChannel();
        ch.on('error', () => {});
        await ch.assertQueue(name, { durable: false });
        await ch.deleteQueue(name);
      } finally {
        await conn.close();
      }
    };
    const owner = await amqp.connect(b.url);
    await (await owner.createChannel()).assertQueue('mine', { exclusive: true });
    await owner.close();
    await declareAndDelete('after-exclusive');
    const conn = await amqp.connect(b.url);
    const ch = await conn.createChannel();
    await ch.assertQueue('auto', { durable: false, autoDelete: true });
    const { consumerTag } = await ch.consume('auto', () => {});
    await ch.cancel(consumerTag);
    await eventually(() => declareAndDelete('after-auto-delete'));
    await ch.assertQueue('expiring', { durable: false, expires: 100 });
    await eventually(() => declareAndDelete('after-expires'));
    await conn.close();
  });
});

describe('topic permissions on an open channel', () => {
  it('apply a change at the next publish (the channel keeps the pattern only until permissions change)', async () => {
    expect.hasAssertions();
    const b = await start(tempDir());
    const api = apiClient(`http://localhost:${b.managementPort}`);
    expect((await api.put('/api/topic-permissions/%2F/guest', { exchange: 'amq.topic', write: '^a\\.', read: '.*' })).status).toBe(201);
    const conn = await amqp.connect(b.url);
    conn.on('error', () => {});
    const ch = await conn.createChannel();
    ch.on('error', () => {});
    ch.publish('amq.topic', 'a.x', Buffer.from('1'));
    ch.publish('amq.direct', 'b.x', Buffer.from('2'));
    ch.publish('amq.topic', 'a.y', Buffer.from('3'));
    await ch.checkExchange('amq.topic');
    expect((await api.put('/api/topic-permissions/%2F/guest', { exchange: 'amq.topic', write: '^b\\.', read: '.*' })).status).toBe(204);
    ch.publish('amq.topic', 'b.x', Buffer.from('4'));
    await ch.checkExchange('amq.topic');
    ch.publish('amq.topic', 'a.x', Buffer.from('5'));
    await expect(ch.checkExchange('amq.topic')).rejects.toThrow("ACCESS_REFUSED - access to topic 'a.x' in exchange 'amq.topic' in vhost '/' refused for user 'guest'");
    await conn.close();
  });
});

describe('a definitions import that fails part way', () => {
  it('still saves the users, vhosts and permissions it created (they stay, as in RabbitMQ, and must survive a restart)', async () => {
    expect.hasAssertions();
    const dataDir = tempDir();
    let b = await start(dataDir);
    let api = apiClient(`http://localhost:${b.managementPort}`);
    // The exchange is refused only when it is declared, after the users, vhosts and permissions were applied.
    const defs = {
      users: [{ name: 'half', password_hash: '', hashing_algorithm: 'rabbit_password_hashing_sha256', tags: [] }],
      vhosts: [{ name: 'half-v' }],
      permissions: [{ user: 'half', vhost: 'half-v', configure: '.*', write: '.*', read: '.*' }],
      exchanges: [{ name: 'dx', vhost: 'half-v', type: 'x-delayed-message', durable: true, auto_delete: false, internal: false, arguments: {} }],
    };
    expect((await api.post('/api/definitions', defs)).status).toBe(400);
    expect((await api.get('/api/users/half')).status).toBe(200);
    await stop(b);
    b = await start(dataDir);
    api = apiClient(`http://localhost:${b.managementPort}`);
    expect((await api.get('/api/users/half')).status).toBe(200);
    expect((await api.get('/api/permissions/half-v/half')).json).toEqual({ user: 'half', vhost: 'half-v', configure: '.*', write: '.*', read: '.*' });
  });
});

describe('limits in definitions', () => {
  it('round-trips user limits, vhost limits and topic permissions from one Warren to another', async () => {
    expect.hasAssertions();
    const a = await start(tempDir());
    const apiA = apiClient(`http://localhost:${a.managementPort}`);
    await apiA.put('/api/vhosts/v1');
    await apiA.put('/api/users/u1', { password: 'pw', tags: '' });
    await apiA.put('/api/permissions/v1/u1', { configure: '.*', write: '.*', read: '.*' });
    await apiA.put('/api/topic-permissions/v1/u1', { exchange: 'amq.topic', write: '^w', read: '^r' });
    await apiA.put('/api/user-limits/u1/max-connections', { value: 4 });
    await apiA.put('/api/user-limits/u1/max-channels', { value: 8 });
    await apiA.put('/api/vhost-limits/v1/max-queues', { value: 0 });
    const exported = (await apiA.get('/api/definitions')).json;
    const b = await start(tempDir());
    const apiB = apiClient(`http://localhost:${b.managementPort}`);
    expect((await apiB.post('/api/definitions', exported)).status).toBe(204);
    const again = (await apiB.get('/api/definitions')).json;
    const pick = (d: any) => ({
      users: d.users.filter((u: any) => u.name === 'u1').map((u: any) => ({ name: u.name, limits: u.limits })),
      parameters: d.parameters,
      topic_permissions: d.topic_permissions,
    });
    expect(pick(again)).toEqual(pick(exported));
    expect(pick(exported)).toEqual({
      users: [{ name: 'u1', limits: { 'max-channels': 8, 'max-connections': 4 } }],
      parameters: [{ value: { 'max-queues': 0 }, vhost: 'v1', component: 'vhost-limits', name: 'limits' }],
      topic_permissions: [{ user: 'u1', vhost: 'v1', exchange: 'amq.topic', write: '^w', read: '^r' }],
    });
  });

  it("imports RabbitMQ's shapes: a vhost-limits parameter whose limits were cleared ([]), and queues beyond the file's own max-queues", async () => {
    expect.hasAssertions();
    const b = await start(tempDir());
    const api = apiClient(`http://localhost:${b.managementPort}`);
    const defs = {
      vhosts: [{ name: 'cleared' }, { name: 'full' }],
      parameters: [
        { value: [], vhost: 'cleared', component: 'vhost-limits', name: 'limits' },
        { value: { 'max-queues': 1 }, vhost: 'full', component: 'vhost-limits', name: 'limits' },
      ],
      queues: [
        { name: 'a', vhost: 'full', durable: true, auto_delete: false, arguments: {} },
        { name: 'b', vhost: 'full', durable: true, auto_delete: false, arguments: {} },
      ],
    };
    expect((await api.post('/api/definitions', defs)).status).toBe(204);
    expect((await api.get('/api/vhost-limits')).json).toEqual([{ vhost: 'full', value: { 'max-queues': 1 } }]);
    expect(((await api.get('/api/queues/full')).json as unknown[]).length).toBe(2);
    expect((await api.post('/api/definitions', { parameters: [{ value: { 'max-foo': 1 }, vhost: 'full', component: 'vhost-limits', name: 'limits' }] })).status).toBe(400);
  });
});

describe('connection_max', () => {
  it('leaves connections beyond connection_max unanswered until one closes, then serves them', async () => {
    expect.hasAssertions();
    const b = await start(tempDir(), { connectionMax: 2 });
    const first = rawClient(b.port);
    const second = rawClient(b.port);
    expect(await within(Promise.all([first.answered, second.answered]), 2000)).toBe(true);
    const third = rawClient(b.port);
    expect(await within(third.answered, 500)).toBe(false);
    first.socket.destroy();
    expect(await within(third.answered, 2000)).toBe(true);
    // A waiting client that gives up is forgotten; the next one takes the free slot.
    const fourth = rawClient(b.port);
    const fifth = rawClient(b.port);
    await new Promise((r) => setTimeout(r, 200));
    fourth.socket.destroy();
    second.socket.destroy();
    expect(await within(fifth.answered, 2000)).toBe(true);
  });

  it('drops the waiting sockets at shutdown instead of serving them as the open connections close', async () => {
    expect.hasAssertions();
    const b = await start(tempDir(), { connectionMax: 1 });
    const conn = await amqp.connect(b.url);
    conn.on('error', () => {});
    const waiting = rawClient(b.port);
    let received = 0;
    waiting.socket.on('data', (d: Buffer) => (received += d.length));
    const gone = new Promise<void>((resolve) => waiting.socket.once('close', () => resolve()));
    await new Promise((r) => setTimeout(r, 200));
    const started = Date.now();
    await stop(b);
    // The open connection answers close-ok at once; nothing is left to wait for (the grace period is 2 s).
    expect(Date.now() - started).toBeLessThan(1500);
    expect(await within(gone, 1000)).toBe(true);
    expect(received).toBe(0);
  });

  it('is read from rabbitmq.conf as a count or infinity, and from --connection-max', async () => {
    expect.hasAssertions();
    expect(parseConfig('connection_max = 100\n', 'rabbitmq.conf').options.connectionMax).toBe(100);
    expect(parseConfig('connection_max = infinity\n', 'rabbitmq.conf').options.connectionMax).toBe(Infinity);
    expect(() => parseConfig('connection_max = lots\n', 'rabbitmq.conf')).toThrow(/connection_max/);
    const w = await startWarren(['--connection-max', '1']);
    const one = rawClient(w.port);
    expect(await within(one.answered, 2000)).toBe(true);
    const two = rawClient(w.port);
    expect(await within(two.answered, 500)).toBe(false);
  });
});

describe('warren ctl limits', () => {
  it('sets and clears vhost and user limits and topic permissions', async () => {
    expect.hasAssertions();
    const w = await startWarren();
    const api = apiClient(w.managementUrl);
    const ctl = (...args: string[]) => runWarren(['ctl', ...args, '--management-url', w.managementUrl]);
    expect((await ctl('set_vhost_limits', '-p', '/', '{"max-connections": 10, "max-queues": 20}')).code).toBe(0);
    expect((await api.get('/api/vhost-limits/%2F')).json).toEqual([{ vhost: '/', value: { 'max-queues': 20, 'max-connections': 10 } }]);
    // As rabbitmqctl: a vhost's definition replaces its limits (a user's is merged into the user's).
    expect((await ctl('set_vhost_limits', '-p', '/', '{"max-queues": 5}')).code).toBe(0);
    expect((await api.get('/api/vhost-limits/%2F')).json).toEqual([{ vhost: '/', value: { 'max-queues': 5 } }]);
    expect((await ctl('set_user_limits', 'guest', '{"max-connections": 7}')).code).toBe(0);
    expect((await ctl('set_user_limits', 'guest', '{"max-channels": 9}')).code).toBe(0);
    expect((await api.get('/api/user-limits/guest')).json).toEqual([{ user: 'guest', value: { 'max-channels': 9, 'max-connections': 7 } }]);
    expect((await ctl('clear_user_limits', 'guest', 'all')).code).toBe(0);
    expect((await ctl('clear_vhost_limits', '-p', '/')).code).toBe(0);
    expect((await api.get('/api/vhost-limits/%2F')).json).toEqual([]);
    expect((await ctl('set_user_limits', 'guest', '{"max-channels": 5}')).code).toBe(0);
    expect((await api.get('/api/user-limits/guest')).json).toEqual([{ user: 'guest', value: { 'max-channels': 5 } }]);
    expect((await ctl('clear_user_limits', 'guest', 'all')).code).toBe(0);
    expect((await api.get('/api/user-limits/guest')).json).toEqual([]);
    expect((await ctl('set_user_limits', 'guest', 'not json')).code).toBe(64);
    expect((await ctl('set_topic_permissions', 'guest', 'amq.topic', '^a', '^b')).code).toBe(0);
    expect((await api.get('/api/topic-permissions/%2F/guest')).json).toEqual([{ user: 'guest', vhost: '/', exchange: 'amq.topic', write: '^a', read: '^b' }]);
    expect((await ctl('clear_topic_permissions', 'guest')).code).toBe(0);
    expect((await api.get('/api/topic-permissions/%2F/guest')).status).toBe(404);
  });

  it("lists vhost limits, user limits and topic permissions in rabbitmqctl's shapes", async () => {
    expect.hasAssertions();
    const w = await startWarren();
    const api = apiClient(w.managementUrl);
    const ctl = async (...args: string[]) => {
      const r = await runWarren(['ctl', ...args, '--management-url', w.managementUrl]);
      return { code: r.code, out: r.stdout, err: r.stderr };
    };
    expect((await api.put('/api/vhosts/lv')).status).toBe(201);
    expect((await api.put('/api/users/lu', { password: 'pw', tags: '' })).status).toBe(201);
    expect((await api.put('/api/vhost-limits/lv/max-queues', { value: 0 })).status).toBe(204);
    expect((await api.put('/api/vhost-limits/lv/max-connections', { value: 5 })).status).toBe(204);
    expect((await api.put('/api/user-limits/lu/max-connections', { value: 3 })).status).toBe(204);
    expect((await api.put('/api/user-limits/lu/max-channels', { value: 7 })).status).toBe(204);
    expect((await api.put('/api/topic-permissions/lv/lu', { exchange: 'amq.topic', write: '^a', read: '^b' })).status).toBe(201);
    // As rabbitmqctl 3.10: the keys in order, whatever order they were set in; {} when there are none.
    expect(await ctl('list_vhost_limits', '-p', 'lv')).toEqual({ code: 0, out: 'Listing limits for vhost "lv" ...\n{"max-connections":5,"max-queues":0}\n', err: '' });
    expect(await ctl('list_vhost_limits', '-q')).toEqual({ code: 0, out: '{}\n', err: '' });
    expect(await ctl('list_vhost_limits', '--global')).toEqual({ code: 0, out: 'Listing limits for all vhosts ...\nvhost\tlimits\n/\t{}\nlv\t{"max-connections":5,"max-queues":0}\n', err: '' });
    expect((await ctl('list_vhost_limits', '-p', 'nope')).code).toBe(1);
    expect(await ctl('list_user_limits', '--user', 'lu', '-q')).toEqual({ code: 0, out: '{"max-channels":7,"max-connections":3}\n', err: '' });
    expect(await ctl('list_user_limits')).toEqual({ code: 0, out: 'Listing limits for user "guest" ...\n{}\n', err: '' });
    expect(await ctl('list_user_limits', '--global', '-q', '--no-table-headers')).toEqual({ code: 0, out: 'lu\t{"max-channels":7,"max-connections":3}\n', err: '' });
    expect((await ctl('list_user_limits', '--user', 'nobody')).code).toBe(1);
    expect(await ctl('list_topic_permissions', '-p', 'lv')).toEqual({ code: 0, out: 'user\texchange\twrite\tread\nlu\tamq.topic\t^a\t^b\n', err: '' });
  });
});
