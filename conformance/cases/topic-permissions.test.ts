// Topic permissions (RabbitMQ's topic authorisation): per user, vhost and topic exchange, a write pattern the routing
// key of every publish must match and a read pattern the binding key of every queue.bind / unbind and exchange.bind
// (from that exchange) must match; 403 ACCESS_REFUSED otherwise. Set through /api/topic-permissions/{vhost}/{user}.
import { randomUUID } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import { closeAllAmqp, connect } from '../support/amqp.js';
import { callApi } from '../support/management.js';
import { withCredentials } from '../support/urls.js';

const api = inject('managementUrl');
const suffix = randomUUID().slice(0, 8);
const user = `topic-user-${suffix}`;
const other = `topic-other-${suffix}`;
const PASS = 'secret-pw';
const exchange = `tp-x-${suffix}`;
const queue = `tp-q-${suffix}`;

const byExchange = (a: { exchange: string }, b: { exchange: string }) => (a.exchange < b.exchange ? -1 : 1);

beforeAll(async () => {
  for (const u of [user, other]) {
    expect((await callApi('PUT', `/api/users/${u}`, { password: PASS, tags: '' })).status).toBe(201);
    expect((await callApi('PUT', `/api/permissions/%2F/${u}`, { configure: '.*', write: '.*', read: '.*' })).status).toBe(201);
  }
  expect((await callApi('PUT', `/api/topic-permissions/%2F/${user}`, { exchange: 'amq.topic', write: '^a\\.', read: '^r\\.' })).status).toBe(201);
  expect((await callApi('PUT', `/api/topic-permissions/%2F/${user}`, { exchange, write: '', read: '^{username}\\.' })).status).toBe(204);
  expect((await callApi('PUT', `/api/topic-permissions/%2F/${user}`, { exchange: 'amq.direct', write: '^nothing$', read: '^nothing$' })).status).toBe(204);
  const guest = await connect();
  const ch = await guest.createChannel();
  await ch.assertExchange(exchange, 'topic', { durable: false });
  await ch.assertQueue(queue, { durable: false });
  await guest.close();
});

afterAll(async () => {
  for (const u of [user, other]) await callApi('DELETE', `/api/users/${u}`);
  const guest = await connect();
  const ch = await guest.createChannel();
  await ch.deleteExchange(exchange);
  await ch.deleteQueue(queue);
  await guest.close();
});

afterEach(async () => {
  await closeAllAmqp();
});

/** What a channel operation by `as` ends with: the channel error's code and text, or 'ok'. */
async function outcome(op: (ch: Awaited<ReturnType<Awaited<ReturnType<typeof connect>>['createChannel']>>) => Promise<unknown>, as = user): Promise<'ok' | { code: number; text: string }> {
  const conn = await connect(withCredentials(as, PASS));
  const ch = await conn.createChannel();
  const failed = new Promise<Error & { code?: number }>((resolve) => ch.once('error', resolve));
  try {
    await op(ch);
    // A publish is answered only by an error; a round trip afterwards shows whether one came.
    await ch.checkExchange('amq.topic');
  } catch {
    // the channel error arrives on 'error' too
  }
  const err = await Promise.race([failed, new Promise<undefined>((r) => setTimeout(() => r(undefined), 300))]);
  if (!err) return 'ok';
  return { code: err.code ?? 0, text: /"(.*)"$/.exec(err.message)?.[1] ?? err.message };
}

const refused = (key: string, x: string, as = user) => ({
  code: 403,
  text: `ACCESS_REFUSED - access to topic '${key}' in exchange '${x}' in vhost '/' refused for user '${as}'`,
});

describe('topic permissions API', () => {
  it("lists a user's topic permissions per vhost, per user, per vhost and in definitions", async () => {
    expect.hasAssertions();
    const expected = [
      { user, vhost: '/', exchange: 'amq.direct', write: '^nothing$', read: '^nothing$' },
      { user, vhost: '/', exchange: 'amq.topic', write: '^a\\.', read: '^r\\.' },
      { user, vhost: '/', exchange, write: '', read: '^{username}\\.' },
    ].sort(byExchange);
    const one = await callApi('GET', `/api/topic-permissions/%2F/${user}`);
    expect(one.status).toBe(200);
    expect((one.json as typeof expected).sort(byExchange)).toEqual(expected);
    expect(((await callApi('GET', `/api/users/${user}/topic-permissions`)).json as typeof expected).sort(byExchange)).toEqual(expected);
    const all = (await callApi('GET', '/api/topic-permissions')).json as typeof expected;
    expect(all.filter((t) => t.user === user).sort(byExchange)).toEqual(expected);
    const perVhost = (await callApi('GET', '/api/vhosts/%2F/topic-permissions')).json as typeof expected;
    expect(perVhost.filter((t) => t.user === user).sort(byExchange)).toEqual(expected.map((t) => ({ vhost: t.vhost, user: t.user, exchange: t.exchange, write: t.write, read: t.read })));
    const defs = (await callApi('GET', '/api/definitions')).json as { topic_permissions: typeof expected };
    expect(defs.topic_permissions.filter((t) => t.user === user).sort(byExchange)).toEqual(expected);
    expect((await callApi('GET', `/api/topic-permissions/%2F/${other}`)).status).toBe(404);
  });

  it('refuses a body without exchange, write or read, and an unknown user or vhost, with 400', async () => {
    expect.hasAssertions();
    expect(await callApi('PUT', `/api/topic-permissions/%2F/${other}`, { write: '.*', read: '.*' })).toEqual({ status: 400, json: { error: 'bad_request', reason: '[{key_missing,exchange}]' } });
    expect(await callApi('PUT', `/api/topic-permissions/%2F/${other}`, { exchange: 'amq.topic', read: '.*' })).toEqual({ status: 400, json: { error: 'bad_request', reason: '[{key_missing,write}]' } });
    expect(await callApi('PUT', `/api/topic-permissions/%2F/${other}`, { exchange: 'amq.topic', write: '.*' })).toEqual({ status: 400, json: { error: 'bad_request', reason: '[{key_missing,read}]' } });
    expect(await callApi('PUT', `/api/topic-permissions/%2F/no-such-user-${suffix}`, { exchange: 'amq.topic', write: '.*', read: '.*' })).toEqual({
      status: 400,
      json: { error: 'bad_request', reason: 'vhost_or_user_not_found' },
    });
    expect(await callApi('PUT', `/api/topic-permissions/no-such-vhost-${suffix}/${other}`, { exchange: 'amq.topic', write: '.*', read: '.*' })).toEqual({
      status: 400,
      json: { error: 'bad_request', reason: 'vhost_or_user_not_found' },
    });
    expect((await callApi('GET', `/api/topic-permissions/%2F/${other}`)).status).toBe(404);
  });

  it("DELETE removes all of a user's topic permissions in the vhost; again it is 404", async () => {
    expect.hasAssertions();
    expect((await callApi('PUT', `/api/topic-permissions/%2F/${other}`, { exchange: 'amq.topic', write: '^z', read: '^z' })).status).toBe(201);
    expect((await callApi('PUT', `/api/topic-permissions/%2F/${other}`, { exchange, write: '^z', read: '^z' })).status).toBe(204);
    expect(await outcome((ch) => Promise.resolve(ch.publish('amq.topic', 'a.b', Buffer.from('x'))), other)).toEqual(refused('a.b', 'amq.topic', other));
    expect((await callApi('DELETE', `/api/topic-permissions/%2F/${other}`)).status).toBe(204);
    expect((await callApi('GET', `/api/topic-permissions/%2F/${other}`)).status).toBe(404);
    expect((await callApi('DELETE', `/api/topic-permissions/%2F/${other}`)).status).toBe(404);
    expect(await outcome((ch) => Promise.resolve(ch.publish('amq.topic', 'a.b', Buffer.from('x'))), other)).toBe('ok');
  });
});

describe('topic permissions enforced', () => {
  it('lets a publish through when its routing key matches the write pattern, and refuses it with 403 otherwise', async () => {
    expect.hasAssertions();
    expect(await outcome((ch) => Promise.resolve(ch.publish('amq.topic', 'a.b', Buffer.from('x'))))).toBe('ok');
    expect(await outcome((ch) => Promise.resolve(ch.publish('amq.topic', 'x.y', Buffer.from('x'))))).toEqual(refused('x.y', 'amq.topic'));
  });

  it('checks only topic exchanges, and only for the users and exchanges that have a topic permission', async () => {
    expect.hasAssertions();
    expect(await outcome((ch) => Promise.resolve(ch.publish('amq.direct', 'x.y', Buffer.from('x'))))).toBe('ok');
    expect(await outcome((ch) => Promise.resolve(ch.publish('amq.topic', 'x.y', Buffer.from('x'))), other)).toBe('ok');
  });

  it('an empty write pattern allows only the empty routing key', async () => {
    expect.hasAssertions();
    expect(await outcome((ch) => Promise.resolve(ch.publish(exchange, '', Buffer.from('x'))))).toBe('ok');
    expect(await outcome((ch) => Promise.resolve(ch.publish(exchange, 'a', Buffer.from('x'))))).toEqual(refused('a', exchange));
  });

  it('checks the binding key of queue.bind and queue.unbind against the read pattern', async () => {
    expect.hasAssertions();
    expect(await outcome((ch) => ch.bindQueue(queue, 'amq.topic', 'r.#'))).toBe('ok');
    expect(await outcome((ch) => ch.unbindQueue(queue, 'amq.topic', 'r.#'))).toBe('ok');
    expect(await outcome((ch) => ch.bindQueue(queue, 'amq.topic', 'x.#'))).toEqual(refused('x.#', 'amq.topic'));
    expect(await outcome((ch) => ch.unbindQueue(queue, 'amq.topic', 'x.#'))).toEqual(refused('x.#', 'amq.topic'));
  });

  it('expands {username} in the pattern to the user name', async () => {
    expect.hasAssertions();
    expect(await outcome((ch) => ch.bindQueue(queue, exchange, `${user}.orders`))).toBe('ok');
    expect(await outcome((ch) => ch.unbindQueue(queue, exchange, `${user}.orders`))).toBe('ok');
    expect(await outcome((ch) => ch.bindQueue(queue, exchange, 'someone-else.orders'))).toEqual(refused('someone-else.orders', exchange));
  });

  it('checks exchange.bind against the read pattern of the source exchange', async () => {
    expect.hasAssertions();
    expect(await outcome((ch) => ch.bindExchange(exchange, 'amq.topic', 'x.#'))).toEqual(refused('x.#', 'amq.topic'));
    expect(await outcome((ch) => ch.bindExchange('amq.topic', exchange, 'zzz'))).toEqual(refused('zzz', exchange));
  });
});

// RabbitMQ's patterns are PCRE: any punctuation may be escaped (`\-`, `\:`), which JS's `u` mode refuses. And a publish
// through the management API goes over a direct AMQP connection as the API user, so the same write and topic checks apply.
describe('PCRE escapes and publishes through the management API', () => {
  const mgmt = `topic-mgmt-${suffix}`;
  const as = (u: string) => 'Basic ' + Buffer.from(`${u}:${PASS}`).toString('base64');
  async function publishViaApi(key: string): Promise<{ status: number; json: unknown }> {
    const res = await fetch(`${api}/api/exchanges/%2F/amq.topic/publish`, {
      method: 'POST',
      headers: { authorization: as(mgmt), 'content-type': 'application/json' },
      body: JSON.stringify({ properties: {}, routing_key: key, payload: 'x', payload_encoding: 'string' }),
    });
    return { status: res.status, json: await res.json() };
  }

  beforeAll(async () => {
    expect((await callApi('PUT', `/api/users/${mgmt}`, { password: PASS, tags: 'management' })).status).toBe(201);
    expect((await callApi('PUT', `/api/permissions/%2F/${mgmt}`, { configure: '.*', write: '.*', read: '.*' })).status).toBe(201);
    expect((await callApi('PUT', `/api/topic-permissions/%2F/${mgmt}`, { exchange: 'amq.topic', write: '^a\\-b\\.', read: '^[\\w-]+\\:r$' })).status).toBe(201);
  });

  afterAll(async () => {
    await callApi('DELETE', `/api/users/${mgmt}`);
  });

  it('matches patterns with escaped punctuation as PCRE does', async () => {
    expect.hasAssertions();
    expect(await outcome((ch) => Promise.resolve(ch.publish('amq.topic', 'a-b.c', Buffer.from('x'))), mgmt)).toBe('ok');
    expect(await outcome((ch) => Promise.resolve(ch.publish('amq.topic', 'ab.c', Buffer.from('x'))), mgmt)).toEqual(refused('ab.c', 'amq.topic', mgmt));
    expect(await outcome((ch) => ch.bindQueue(queue, 'amq.topic', 'x-y:r'), mgmt)).toBe('ok');
    expect(await outcome((ch) => ch.unbindQueue(queue, 'amq.topic', 'x-y:r'), mgmt)).toBe('ok');
    expect(await outcome((ch) => ch.bindQueue(queue, 'amq.topic', 'x.y:r'), mgmt)).toEqual(refused('x.y:r', 'amq.topic', mgmt));
  });

  it('checks the routing key of POST /api/exchanges/{vhost}/{name}/publish against the write pattern (400 with the 403)', async () => {
    expect.hasAssertions();
    expect(await publishViaApi('a-b.c')).toEqual({ status: 200, json: { routed: false } });
    expect(await publishViaApi('x.y')).toEqual({
      status: 400,
      json: { error: 'bad_request', reason: `403 ${refused('x.y', 'amq.topic', mgmt).text}` },
    });
  });

  it('checks the binding key of bindings made and removed through the API against the read pattern (401)', async () => {
    expect.hasAssertions();
    const asMgmt = async (method: string, path: string, body?: unknown) => {
      const res = await fetch(api + path, { method, headers: { authorization: as(mgmt), 'content-type': 'application/json' }, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
      const text = await res.text();
      return { status: res.status, json: text === '' ? undefined : JSON.parse(text) };
    };
    const bindings = `/api/bindings/%2F/e/amq.topic/q/${queue}`;
    const refusedApi = { status: 401, json: { error: 'not_authorised', reason: 'Access refused.' } };
    expect((await asMgmt('POST', bindings, { routing_key: 'x-y:r' })).status).toBe(201);
    // The binding's properties_key ('x-y%3Ar'), escaped once more for the path.
    expect((await asMgmt('DELETE', `${bindings}/${encodeURIComponent('x-y%3Ar')}`)).status).toBe(204);
    expect(await asMgmt('POST', bindings, { routing_key: 'zzz' })).toEqual(refusedApi);
    // A binding the user could not have made: it may not remove it either.
    expect((await callApi('POST', bindings, { routing_key: 'zzz' })).status).toBe(201);
    expect(await asMgmt('DELETE', `${bindings}/zzz`)).toEqual(refusedApi);
    expect((await callApi('DELETE', `${bindings}/zzz`)).status).toBe(204);
  });

  it("checks the user's write permission on the exchange and its access to the vhost for an API publish", async () => {
    expect.hasAssertions();
    expect((await callApi('PUT', `/api/permissions/%2F/${mgmt}`, { configure: '.*', write: '^nothing$', read: '.*' })).status).toBe(204);
    expect(await publishViaApi('a-b.c')).toEqual({
      status: 400,
      json: { error: 'bad_request', reason: `403 ACCESS_REFUSED - access to exchange 'amq.topic' in vhost '/' refused for user '${mgmt}'` },
    });
    expect((await callApi('DELETE', `/api/permissions/%2F/${mgmt}`)).status).toBe(204);
    expect(await publishViaApi('a-b.c')).toEqual({ status: 401, json: { error: 'not_authorised', reason: 'User not authorised to access virtual host' } });
    // An administrator gets past the API's vhost check; its direct connection is refused.
    expect((await callApi('PUT', `/api/users/${mgmt}`, { password: PASS, tags: 'administrator' })).status).toBe(204);
    expect(await publishViaApi('a-b.c')).toEqual({ status: 401, json: { error: 'not_authorised', reason: 'Access refused.' } });
  });
});
