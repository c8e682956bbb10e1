// Per-vhost limits (max-connections, max-queues) and per-user limits (max-connections, max-channels), set through the
// management HTTP API (/api/vhost-limits, /api/user-limits) and enforced with RabbitMQ's codes and texts:
// connection.open over a connection limit is 530 NOT_ALLOWED, queue.declare over max-queues is 406 PRECONDITION_FAILED,
// channel.open over max-channels closes the connection with 530. Limits also appear in users' JSON and in definitions.
import { randomUUID } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { closeAllAmqp, connect } from '../support/amqp.js';
import { args, destroyAllRaw, HandshakeRefusedError, rawConnect, type CloseInfo, type RawConnection } from '../support/raw.js';
import { callApi } from '../support/management.js';
import { withCredentials, withVhost } from '../support/urls.js';

const suffix = randomUUID().slice(0, 8);
const vhost = `limits-${suffix}`;
const user = `limits-user-${suffix}`;
const PASS = 'secret-pw';

const v = encodeURIComponent(vhost);

beforeAll(async () => {
  expect((await callApi('PUT', `/api/vhosts/${v}`, {})).status).toBe(201);
  expect([201, 204]).toContain((await callApi('PUT', `/api/permissions/${v}/guest`, { configure: '.*', write: '.*', read: '.*' })).status);
  expect((await callApi('PUT', `/api/users/${user}`, { password: PASS, tags: '' })).status).toBe(201);
  expect((await callApi('PUT', `/api/permissions/%2F/${user}`, { configure: '.*', write: '.*', read: '.*' })).status).toBe(201);
});

afterAll(async () => {
  await callApi('DELETE', `/api/vhosts/${v}`);
  await callApi('DELETE', `/api/users/${user}`);
});

afterEach(async () => {
  await closeAllAmqp();
  destroyAllRaw();
  await callApi('DELETE', `/api/vhost-limits/${v}/max-connections`);
  await callApi('DELETE', `/api/vhost-limits/${v}/max-queues`);
  await callApi('DELETE', `/api/user-limits/${user}/max-connections`);
  await callApi('DELETE', `/api/user-limits/${user}/max-channels`);
});

/** The connection.close a refused handshake ends with. */
async function refusedOpen(opts: { vhost?: string; user?: string; password?: string }): Promise<CloseInfo> {
  const err = await rawConnect(opts).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(HandshakeRefusedError);
  return (err as HandshakeRefusedError).close;
}

/** Opens connections until `open` succeeds (connection tracking can lag a just-closed connection on RabbitMQ). */
async function eventually<T>(open: () => Promise<T>, ms = 5_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    try {
      return await open();
    } catch (e) {
      if (Date.now() > deadline) throw e;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

/** A channel whose errors are expected (a channel error must not become an uncaught 'error'). */
async function channel(conn: Awaited<ReturnType<typeof connect>>) {
  const ch = await conn.createChannel();
  ch.on('error', () => {});
  return ch;
}

/** channel.open on a raw connection, answered by whatever frame comes first. */
async function channelOpen(c: RawConnection, id: number): Promise<CloseInfo | 'open-ok'> {
  c.sendMethod(id, 20, 10, args().shortstr('').build());
  const f = await c.nextNonHeartbeat(5_000, 'channel.open-ok');
  if (f.close) {
    if (f.channel === 0 && !c.isClosed) c.sendMethod(0, 10, 51);
    return f.close;
  }
  if (f.method?.classId === 20 && f.method.methodId === 11) return 'open-ok';
  throw new Error(`unexpected frame on channel ${f.channel}`);
}

async function declareError(op: Promise<unknown>): Promise<{ code: number; text: string }> {
  try {
    await op;
  } catch (e) {
    const err = e as Error & { code?: number };
    return { code: err.code ?? 0, text: /"(.*)"$/.exec(err.message)?.[1] ?? err.message };
  }
  throw new Error('the declare succeeded; a refusal was expected');
}

describe('vhost limits', () => {
  it('lists limits set through PUT /api/vhost-limits/{vhost}/{name}, the latest first, and clears them with DELETE', async () => {
    expect.hasAssertions();
    expect((await callApi('PUT', `/api/vhost-limits/${v}/max-connections`, { value: 10 })).status).toBe(204);
    expect((await callApi('PUT', `/api/vhost-limits/${v}/max-queues`, { value: 20 })).status).toBe(204);
    expect((await callApi('GET', `/api/vhost-limits/${v}`)).json).toEqual([{ vhost, value: { 'max-queues': 20, 'max-connections': 10 } }]);
    const all = (await callApi('GET', '/api/vhost-limits')).json as Array<{ vhost: string }>;
    expect(all.filter((l) => l.vhost === vhost)).toEqual([{ vhost, value: { 'max-queues': 20, 'max-connections': 10 } }]);
    expect((await callApi('DELETE', `/api/vhost-limits/${v}/max-queues`)).status).toBe(204);
    expect((await callApi('GET', `/api/vhost-limits/${v}`)).json).toEqual([{ vhost, value: { 'max-connections': 10 } }]);
    expect((await callApi('DELETE', `/api/vhost-limits/${v}/max-connections`)).status).toBe(204);
    expect((await callApi('GET', `/api/vhost-limits/${v}`)).json).toEqual([]);
    // Clearing a limit that is not set is not an error.
    expect((await callApi('DELETE', `/api/vhost-limits/${v}/max-connections`)).status).toBe(204);
  });

  it('refuses unknown limit names, values that are not integers and a missing value with 400; an unknown vhost with 404', async () => {
    expect.hasAssertions();
    expect(await callApi('PUT', `/api/vhost-limits/${v}/max-foo`, { value: 1 })).toEqual({
      status: 400,
      json: { error: 'bad_request', reason: 'Validation failed\n\nUnrecognised terms [{<<"max-foo">>,1}] in limits\n' },
    });
    expect(await callApi('PUT', `/api/vhost-limits/${v}/max-queues`, { value: 'x' })).toEqual({
      status: 400,
      json: { error: 'bad_request', reason: 'Validation failed\n\nmax-queues should be a number, actually was <<"x">>\n' },
    });
    expect(await callApi('PUT', `/api/vhost-limits/${v}/max-queues`, { value: 1.5 })).toEqual({
      status: 400,
      json: { error: 'bad_request', reason: 'Validation failed\n\nmax-queues should be a number, actually was 1.5\n' },
    });
    expect(await callApi('PUT', `/api/vhost-limits/${v}/max-queues`, {})).toEqual({ status: 400, json: { error: 'bad_request', reason: '[{key_missing,value}]' } });
    expect((await callApi('PUT', `/api/vhost-limits/no-such-vhost-${suffix}/max-queues`, { value: 1 })).status).toBe(404);
    expect((await callApi('GET', `/api/vhost-limits/no-such-vhost-${suffix}`)).status).toBe(404);
    expect((await callApi('GET', `/api/vhost-limits/${v}`)).json).toEqual([]);
  });

  it('refuses connection.open beyond max-connections with 530 NOT_ALLOWED', async () => {
    expect.hasAssertions();
    expect((await callApi('PUT', `/api/vhost-limits/${v}/max-connections`, { value: 1 })).status).toBe(204);
    await rawConnect({ vhost });
    expect(await refusedOpen({ vhost })).toEqual({
      replyCode: 530,
      replyText: `NOT_ALLOWED - access to vhost '${vhost}' refused for user 'guest': connection limit (1) is reached`,
      classId: 10,
      methodId: 40,
    });
    // Other vhosts are not limited.
    await rawConnect({ vhost: '/' });
  });

  it('refuses every connection with max-connections 0, and none with a negative limit', async () => {
    expect.hasAssertions();
    expect((await callApi('PUT', `/api/vhost-limits/${v}/max-connections`, { value: 0 })).status).toBe(204);
    expect((await refusedOpen({ vhost })).replyText).toBe(`NOT_ALLOWED - access to vhost '${vhost}' refused for user 'guest': connection limit (0) is reached`);
    // The limit is checked before the user's permissions on the vhost (this user has none there).
    expect((await refusedOpen({ vhost, user, password: PASS })).replyText).toBe(
      `NOT_ALLOWED - access to vhost '${vhost}' refused for user '${user}': connection limit (0) is reached`,
    );
    expect((await callApi('PUT', `/api/vhost-limits/${v}/max-connections`, { value: -1 })).status).toBe(204);
    await eventually(() => rawConnect({ vhost }));
    await rawConnect({ vhost });
  });

  it('refuses queue.declare of a new queue beyond max-queues with 406; existing queues may still be declared', async () => {
    expect.hasAssertions();
    expect((await callApi('PUT', `/api/vhost-limits/${v}/max-queues`, { value: 1 })).status).toBe(204);
    const conn = await connect(withVhost(vhost));
    const ch = await channel(conn);
    await ch.assertQueue('q1', { durable: false, autoDelete: true });
    expect(await declareError(ch.assertQueue('q2', { durable: false }))).toEqual({
      code: 406,
      text: `PRECONDITION_FAILED - cannot declare queue 'q2': queue limit in vhost '${vhost}' (1) is reached`,
    });
    const ch2 = await channel(conn);
    expect((await ch2.assertQueue('q1', { durable: false, autoDelete: true })).queue).toBe('q1');
    const err = await declareError(ch2.assertQueue('', { exclusive: true }));
    expect(err.code).toBe(406);
    expect(err.text).toMatch(new RegExp(`^PRECONDITION_FAILED - cannot declare queue 'amq\\.gen-[\\w-]+': queue limit in vhost '${vhost}' \\(1\\) is reached$`));
    // A passive declare of a queue that does not exist is still 404.
    const ch3 = await channel(conn);
    expect((await declareError(ch3.checkQueue('q2'))).code).toBe(404);
    const ch4 = await channel(conn);
    await ch4.deleteQueue('q1');
  });

  it('refuses every new queue with max-queues 0', async () => {
    expect.hasAssertions();
    expect((await callApi('PUT', `/api/vhost-limits/${v}/max-queues`, { value: 0 })).status).toBe(204);
    const conn = await connect(withVhost(vhost));
    const ch = await channel(conn);
    expect(await declareError(ch.assertQueue('zero', { durable: false }))).toEqual({
      code: 406,
      text: `PRECONDITION_FAILED - cannot declare queue 'zero': queue limit in vhost '${vhost}' (0) is reached`,
    });
    expect((await callApi('DELETE', `/api/vhost-limits/${v}/max-queues`)).status).toBe(204);
    const ch2 = await channel(conn);
    await ch2.assertQueue('zero', { durable: false, autoDelete: true });
    await ch2.deleteQueue('zero');
  });

  it('refuses the API\'s queue declares beyond max-queues with 400 (PUT /api/queues, the aliveness test)', async () => {
    expect.hasAssertions();
    expect((await callApi('PUT', `/api/vhost-limits/${v}/max-queues`, { value: 0 })).status).toBe(204);
    expect(await callApi('PUT', `/api/queues/${v}/api-q`, { durable: false })).toEqual({
      status: 400,
      json: { error: 'bad_request', reason: `cannot declare queue 'api-q': queue limit in vhost '${vhost}' (0) is reached` },
    });
    expect(await callApi('GET', `/api/aliveness-test/${v}`)).toEqual({
      status: 400,
      json: { error: 'bad_request', reason: `406 PRECONDITION_FAILED - cannot declare queue 'aliveness-test': queue limit in vhost '${vhost}' (0) is reached` },
    });
  });

  it('refuses a definitions import whose new queues would go beyond max-queues, importing none of them', async () => {
    expect.hasAssertions();
    const queue = (name: string) => ({ name, vhost, durable: false, auto_delete: false, arguments: {} });
    const names = async () => ((await callApi('GET', `/api/queues/${v}`)).json as Array<{ name: string }>).map((q) => q.name).sort();
    /** RabbitMQ's reply for a whole file: the text as an Erlang string, a list of byte values. */
    const erlangString = (text: string) => [...Buffer.from(text, 'utf8')];
    const text = (adding: number, limit: number, has: number) =>
      `Adding ${adding} queue(s) to virtual host "${vhost}" would exceed the limit of ${limit} queue(s).\n\nThis virtual host currently has ${has} queue(s) defined.\n\nImport aborted!`;
    expect((await callApi('PUT', `/api/vhost-limits/${v}/max-queues`, { value: 2 })).status).toBe(204);
    expect((await callApi('PUT', `/api/queues/${v}/imp-e1`, { durable: false })).status).toBe(201);
    // imp-e1 exists and does not count; imp-n1 and imp-n2 would make 3.
    expect(await callApi('POST', '/api/definitions', { queues: [queue('imp-e1'), queue('imp-n1'), queue('imp-n2')] })).toEqual({
      status: 400,
      json: { error: 'bad_request', reason: ['vhost_limit_exceeded', erlangString(text(2, 2, 1))] },
    });
    const vhostFile = { queues: ['imp-n1', 'imp-n2'].map((name) => ({ name, durable: false, auto_delete: false, arguments: {} })) };
    expect(await callApi('POST', `/api/definitions/${v}`, vhostFile)).toEqual({ status: 400, json: { error: 'bad_request', reason: text(2, 2, 1) } });
    expect(await names()).toEqual(['imp-e1']);
    // With max-queues 0, RabbitMQ says the vhost has 0 queues, whatever it has.
    expect((await callApi('PUT', `/api/vhost-limits/${v}/max-queues`, { value: 0 })).status).toBe(204);
    expect(await callApi('POST', '/api/definitions', { queues: [queue('imp-n1')] })).toEqual({
      status: 400,
      json: { error: 'bad_request', reason: ['vhost_limit_exceeded', erlangString(text(1, 0, 0))] },
    });
    // Within the limit, the import goes through.
    expect((await callApi('PUT', `/api/vhost-limits/${v}/max-queues`, { value: 2 })).status).toBe(204);
    expect((await callApi('POST', '/api/definitions', { queues: [queue('imp-e1'), queue('imp-n1')] })).status).toBe(204);
    expect(await names()).toEqual(['imp-e1', 'imp-n1']);
    for (const name of ['imp-e1', 'imp-n1']) expect((await callApi('DELETE', `/api/queues/${v}/${name}`)).status).toBe(204);
  });

  it('exports vhost limits in definitions as a vhost-limits parameter', async () => {
    expect.hasAssertions();
    expect((await callApi('PUT', `/api/vhost-limits/${v}/max-queues`, { value: 7 })).status).toBe(204);
    const defs = (await callApi('GET', '/api/definitions')).json as { parameters: unknown[] };
    expect(defs.parameters).toContainEqual({ value: { 'max-queues': 7 }, vhost, component: 'vhost-limits', name: 'limits' });
    const one = (await callApi('GET', `/api/definitions/${v}`)).json as { parameters: unknown[] };
    expect(one.parameters).toEqual([{ value: { 'max-queues': 7 }, vhost, component: 'vhost-limits', name: 'limits' }]);
  });
});

describe('user limits', () => {
  it('lists limits set through PUT /api/user-limits/{user}/{name} and shows them in the user', async () => {
    expect.hasAssertions();
    expect((await callApi('PUT', `/api/user-limits/${user}/max-connections`, { value: 3 })).status).toBe(204);
    expect((await callApi('PUT', `/api/user-limits/${user}/max-channels`, { value: 4 })).status).toBe(204);
    expect((await callApi('GET', `/api/user-limits/${user}`)).json).toEqual([{ user, value: { 'max-channels': 4, 'max-connections': 3 } }]);
    const all = (await callApi('GET', '/api/user-limits')).json as Array<{ user: string }>;
    expect(all.filter((l) => l.user === user)).toEqual([{ user, value: { 'max-channels': 4, 'max-connections': 3 } }]);
    expect(((await callApi('GET', `/api/users/${user}`)).json as { limits: unknown }).limits).toEqual({ 'max-channels': 4, 'max-connections': 3 });
    const defs = (await callApi('GET', '/api/definitions')).json as { users: Array<{ name: string; limits: unknown }> };
    expect(defs.users.find((u) => u.name === user)?.limits).toEqual({ 'max-channels': 4, 'max-connections': 3 });
    expect((await callApi('DELETE', `/api/user-limits/${user}/max-channels`)).status).toBe(204);
    expect((await callApi('DELETE', `/api/user-limits/${user}/max-connections`)).status).toBe(204);
    expect((await callApi('GET', `/api/user-limits/${user}`)).json).toEqual([]);
    expect(((await callApi('GET', `/api/users/${user}`)).json as { limits: unknown }).limits).toEqual({});
  });

  it("merges a definitions file's user limits into the user's (a vhost-limits parameter replaces the vhost's)", async () => {
    expect.hasAssertions();
    expect((await callApi('PUT', `/api/user-limits/${user}/max-connections`, { value: 10 })).status).toBe(204);
    expect((await callApi('PUT', `/api/user-limits/${user}/max-channels`, { value: 5 })).status).toBe(204);
    const { password_hash, hashing_algorithm, tags } = (await callApi('GET', `/api/users/${user}`)).json as Record<string, unknown>;
    const withLimits = (limits: unknown) => ({ users: [{ name: user, password_hash, hashing_algorithm, tags, limits }] });
    expect((await callApi('POST', '/api/definitions', withLimits({ 'max-channels': 2 }))).status).toBe(204);
    expect((await callApi('GET', `/api/user-limits/${user}`)).json).toEqual([{ user, value: { 'max-channels': 2, 'max-connections': 10 } }]);
    expect((await callApi('POST', '/api/definitions', withLimits({}))).status).toBe(204);
    expect((await callApi('GET', `/api/user-limits/${user}`)).json).toEqual([{ user, value: { 'max-channels': 2, 'max-connections': 10 } }]);
    expect((await callApi('PUT', `/api/vhost-limits/${v}/max-connections`, { value: 10 })).status).toBe(204);
    const parameter = { component: 'vhost-limits', name: 'limits', vhost, value: { 'max-queues': 3 } };
    expect((await callApi('POST', '/api/definitions', { parameters: [parameter] })).status).toBe(204);
    expect((await callApi('GET', `/api/vhost-limits/${v}`)).json).toEqual([{ vhost, value: { 'max-queues': 3 } }]);
  });

  it('takes limits in PUT /api/users when it creates the user or sets its password, merged into its own', async () => {
    expect.hasAssertions();
    const other = `${user}-put`;
    try {
      expect((await callApi('PUT', `/api/users/${other}`, { password: PASS, tags: '', limits: { 'max-connections': 3 } })).status).toBe(201);
      expect((await callApi('GET', `/api/user-limits/${other}`)).json).toEqual([{ user: other, value: { 'max-connections': 3 } }]);
      // Without a password the update only sets the tags (limits are left as they are).
      expect((await callApi('PUT', `/api/users/${other}`, { tags: 'monitoring', limits: { 'max-connections': 9 } })).status).toBe(204);
      expect((await callApi('GET', `/api/user-limits/${other}`)).json).toEqual([{ user: other, value: { 'max-connections': 3 } }]);
      expect((await callApi('PUT', `/api/users/${other}`, { password: PASS, tags: '', limits: { 'max-channels': 4 } })).status).toBe(204);
      expect((await callApi('GET', `/api/user-limits/${other}`)).json).toEqual([{ user: other, value: { 'max-channels': 4, 'max-connections': 3 } }]);
    } finally {
      await callApi('DELETE', `/api/users/${other}`);
    }
  });

  it('refuses unknown limit names, values that are not integers, and unknown users with 400', async () => {
    expect.hasAssertions();
    expect(await callApi('PUT', `/api/user-limits/${user}/max-foo`, { value: 2 })).toEqual({
      status: 400,
      json: { error: 'bad_request', reason: 'Unrecognised terms [{<<"max-foo">>,2}] in user-limits' },
    });
    expect(await callApi('PUT', `/api/user-limits/${user}/max-channels`, { value: 'x' })).toEqual({
      status: 400,
      json: { error: 'bad_request', reason: 'max-channels should be a number, actually was <<"x">>' },
    });
    expect(await callApi('PUT', `/api/user-limits/no-such-user-${suffix}/max-channels`, { value: 1 })).toEqual({
      status: 400,
      json: { error: 'bad_request', reason: ['no_such_user', `no-such-user-${suffix}`] },
    });
    expect((await callApi('GET', `/api/user-limits/no-such-user-${suffix}`)).status).toBe(404);
  });

  it("refuses connection.open beyond the user's max-connections with 530 NOT_ALLOWED", async () => {
    expect.hasAssertions();
    expect((await callApi('PUT', `/api/user-limits/${user}/max-connections`, { value: 1 })).status).toBe(204);
    await rawConnect({ user, password: PASS });
    expect(await refusedOpen({ user, password: PASS })).toEqual({
      replyCode: 530,
      replyText: `NOT_ALLOWED - connection refused for user '${user}': user connection limit (1) is reached`,
      classId: 10,
      methodId: 40,
    });
    // Other users are not limited.
    await rawConnect({});
  });

  it("closes the connection with 530 when channel.open goes beyond the user's max-channels, counting all its connections", async () => {
    expect.hasAssertions();
    expect((await callApi('PUT', `/api/user-limits/${user}/max-channels`, { value: 2 })).status).toBe(204);
    const a = await rawConnect({ user, password: PASS });
    const b = await rawConnect({ user, password: PASS });
    expect(await channelOpen(a, 1)).toBe('open-ok');
    expect(await channelOpen(b, 1)).toBe('open-ok');
    expect(await channelOpen(b, 2)).toEqual({
      replyCode: 530,
      replyText: `NOT_ALLOWED - number of channels opened for user '${user}' has reached the maximum allowed user limit of (2)`,
      classId: 0,
      methodId: 0,
    });
    await b.waitForClose();
  });

  it('refuses every channel with max-channels 0; a negative limit is no limit', async () => {
    expect.hasAssertions();
    expect((await callApi('PUT', `/api/user-limits/${user}/max-channels`, { value: 0 })).status).toBe(204);
    const a = await rawConnect({ user, password: PASS });
    expect(await channelOpen(a, 1)).toMatchObject({
      replyCode: 530,
      replyText: `NOT_ALLOWED - number of channels opened for user '${user}' has reached the maximum allowed user limit of (0)`,
    });
    await a.waitForClose();
    expect((await callApi('PUT', `/api/user-limits/${user}/max-channels`, { value: -1 })).status).toBe(204);
    expect((await callApi('PUT', `/api/user-limits/${user}/max-connections`, { value: -5 })).status).toBe(204);
    const conn = await connect(withCredentials(user, PASS));
    for (let i = 0; i < 3; i++) await channel(conn);
    await connect(withCredentials(user, PASS));
  });
});
