// Users and permissions: configure / write / read regular expressions per vhost, checked on every declare, delete,
// bind, publish, consume and get, with RabbitMQ's ACCESS_REFUSED texts; a user without permissions on a vhost cannot
// open it. Users and permissions are set up through the broker's management HTTP API (RabbitMQ's and Warren's).
import { randomUUID } from 'node:crypto';
import { inject, afterAll, beforeAll, afterEach, describe, expect, it } from 'vitest';
import { closeAllAmqp, connect } from '../support/amqp.js';
import { destroyAllRaw, HandshakeRefusedError, rawConnect } from '../support/raw.js';
import { withCredentials } from '../support/urls.js';

const api = inject('managementUrl');
const auth = 'Basic ' + Buffer.from('guest:guest').toString('base64');
const suffix = randomUUID().slice(0, 8);
const user = `perm-user-${suffix}`;
const stranger = `perm-stranger-${suffix}`;
const own = `perm-own-${suffix}`;
const PASS = 'secret-pw';

async function call(method: string, path: string, body?: unknown): Promise<number> {
  const res = await fetch(api + path, { method, headers: { authorization: auth, 'content-type': 'application/json' }, ...(body ? { body: JSON.stringify(body) } : {}) });
  await res.text();
  return res.status;
}

beforeAll(async () => {
  for (const u of [user, stranger]) expect([201, 204]).toContain(await call('PUT', `/api/users/${u}`, { password: PASS, tags: '' }));
  // Own resources are configurable and readable; writable too, and so is the default exchange.
  expect([201, 204]).toContain(
    await call('PUT', `/api/permissions/%2F/${user}`, { configure: `^${own}`, write: `^(${own}.*|amq\\.default)$`, read: `^${own}` }),
  );
});

afterAll(async () => {
  for (const u of [user, stranger]) await call('DELETE', `/api/users/${u}`);
  const guest = await connect();
  const ch = await guest.createChannel();
  await ch.deleteQueue(`${own}-q`);
  await ch.deleteQueue(`other-${suffix}`);
  await guest.close();
});

afterEach(async () => {
  await closeAllAmqp();
  destroyAllRaw();
});

async function userChannel() {
  const conn = await connect(withCredentials(user, PASS));
  const ch = await conn.createChannel();
  ch.on('error', () => {});
  return ch;
}

/** The channel error an operation causes: code and reply text. */
async function refusal(op: Promise<unknown>): Promise<{ code: number; text: string }> {
  try {
    await op;
  } catch (e) {
    const err = e as Error & { code?: number };
    return { code: err.code ?? 0, text: (/"(.*)"$/.exec(err.message)?.[1] ?? err.message) };
  }
  throw new Error('the operation succeeded; a refusal was expected');
}

describe('permissions', () => {
  it('lets a user declare, publish to and consume from what its permissions allow', async () => {
    expect.hasAssertions();
    const ch = await userChannel();
    await ch.assertQueue(`${own}-q`);
    ch.sendToQueue(`${own}-q`, Buffer.from('mine'));
    await new Promise((r) => setTimeout(r, 100));
    const m = await ch.get(`${own}-q`, { noAck: true });
    expect(m && m.content.toString()).toBe('mine');
  });

  it('refuses queue.declare outside the configure pattern with 403', async () => {
    expect.hasAssertions();
    const ch = await userChannel();
    expect(await refusal(ch.assertQueue(`other-${suffix}`))).toEqual({
      code: 403,
      text: `ACCESS_REFUSED - access to queue 'other-${suffix}' in vhost '/' refused for user '${user}'`,
    });
  });

  it('refuses basic.publish to an exchange outside the write pattern with 403', async () => {
    expect.hasAssertions();
    const ch = await userChannel();
    ch.publish('amq.direct', 'k', Buffer.from('x'));
    const err = await new Promise<Error & { code?: number }>((resolve) => ch.once('error', resolve));
    expect(err.code).toBe(403);
    expect(err.message).toContain(`ACCESS_REFUSED - access to exchange 'amq.direct' in vhost '/' refused for user '${user}'`);
  });

  it('refuses basic.consume and basic.get on a queue outside the read pattern with 403', async () => {
    expect.hasAssertions();
    const guest = await connect();
    await (await guest.createChannel()).assertQueue(`other-${suffix}`);
    const expected = { code: 403, text: `ACCESS_REFUSED - access to queue 'other-${suffix}' in vhost '/' refused for user '${user}'` };
    expect(await refusal((await userChannel()).consume(`other-${suffix}`, () => {}))).toEqual(expected);
    expect(await refusal((await userChannel()).get(`other-${suffix}`))).toEqual(expected);
  });

  it('refuses queue.bind when the exchange is outside the read pattern, naming the exchange', async () => {
    expect.hasAssertions();
    const ch = await userChannel();
    await ch.assertQueue(`${own}-q`);
    expect(await refusal(ch.bindQueue(`${own}-q`, 'amq.direct', 'k'))).toEqual({
      code: 403,
      text: `ACCESS_REFUSED - access to exchange 'amq.direct' in vhost '/' refused for user '${user}'`,
    });
  });

  it('refuses connection.open for a user without permissions on the vhost with 530 NOT_ALLOWED', async () => {
    expect.hasAssertions();
    const err = await rawConnect({ url: withCredentials(stranger, PASS) }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(HandshakeRefusedError);
    expect((err as HandshakeRefusedError).close).toMatchObject({
      replyCode: 530,
      replyText: `NOT_ALLOWED - access to vhost '/' refused for user '${stranger}'`,
    });
  });
});
