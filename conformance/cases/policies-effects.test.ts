// What each policy key does, beyond ext-policies-live.test.ts, as RabbitMQ 3.10.8 does it: matching (the pattern is
// searched unanchored; apply-to queues / exchanges keeps a policy off the other kind), the keys max-length-bytes,
// expires, dead-letter-routing-key, overflow reject-publish-dlx and delivery-limit (quorum), precedence (the lower of
// x-argument and policy for message-ttl, expires, max-length-bytes; the x-argument for dead-letter-routing-key and
// overflow, each key resolved on its own; an operator policy capping the x-argument as well), and a definition holding a key that does not apply to a queue's type
// (a queue skips a policy holding a key its type refuses — a classic queue one with delivery-limit or
// queue-leader-locator, a quorum queue one with ha-mode, queue-mode or max-age — so a lower one applies; a key it
// merely ignores, as queue-version on a quorum queue, leaves the policy in force). RabbitMQ applies a policy change
// asynchronously (a few ms): the cases poll.
import type { Channel, ConfirmChannel } from 'amqplib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sleep } from '../support/fixtures.js';
import { callApi, caseVhost } from '../support/management.js';

const cv = caseVhost('policies-effects');
const v = cv.encoded;
const { setPolicy, clearPolicy } = cv;

let ch: Channel;
let pub: ConfirmChannel;

beforeAll(async () => ({ ch, pub } = await cv.open()));
afterAll(() => cv.close());

/** Polls until `read` gives `expected` (a policy reaches the queue asynchronously in RabbitMQ), then asserts it. */
async function becomes<T>(read: () => Promise<T>, expected: T, ms = 5_000): Promise<void> {
  const deadline = Date.now() + ms;
  let got = await read();
  while (JSON.stringify(got) !== JSON.stringify(expected) && Date.now() < deadline) {
    await sleep(25);
    got = await read();
  }
  expect(got).toEqual(expected);
}

const count = (queue: string) => async () => (await ch.checkQueue(queue)).messageCount;
/** Whether the queue still exists (the management API, so no channel is closed by a 404). */
const exists = (queue: string) => async () => (await callApi('GET', `/api/queues/${v}/${encodeURIComponent(queue)}`)).status === 200;

/** Publishes with confirms; resolves with true for an ack, false for a nack. */
function publish(exchange: string, key: string, body: string): Promise<boolean> {
  return new Promise((resolve) => pub.publish(exchange, key, Buffer.from(body), {}, (err) => resolve(!err)));
}

async function bodies(queue: string): Promise<string[]> {
  const out: string[] = [];
  for (;;) {
    const m = await ch.get(queue, { noAck: true });
    if (m === false) return out;
    out.push(m.content.toString());
  }
}

/** A direct exchange `x` with a queue bound to it under each key (queue name: `${x}.${key}`). */
async function directWithQueues(x: string, keys: string[]): Promise<void> {
  await ch.assertExchange(x, 'direct', { durable: false });
  for (const k of keys) {
    await ch.assertQueue(`${x}.${k}`, { durable: false });
    await ch.bindQueue(`${x}.${k}`, x, k);
  }
}

describe('which objects a policy reaches', () => {
  it('the pattern is searched anywhere in the name unless anchored; apply-to queues / exchanges keeps it off the other kind', async () => {
    await ch.assertQueue('m.mid.q', { durable: false });
    await ch.assertQueue('m.other', { durable: false });
    await ch.assertQueue('m.xonly', { durable: false });
    await ch.assertExchange('m.ae', 'fanout', { durable: false });
    await ch.assertQueue('m.ae.q', { durable: false });
    await ch.bindQueue('m.ae.q', 'm.ae', '');
    await ch.assertExchange('m.src', 'direct', { durable: false });
    await setPolicy('mid', 'mid', { 'max-length': 1 });
    await setPolicy('xonly', 'xonly', { 'max-length': 1 }, { 'apply-to': 'exchanges' });
    await setPolicy('qonly', '^m\\.src$', { 'alternate-exchange': 'm.ae' }, { 'apply-to': 'queues' });
    await sleep(100);
    for (const q of ['m.mid.q', 'm.other', 'm.xonly']) for (let i = 0; i < 3; i++) await publish('', q, `m${i}`);
    await becomes(count('m.mid.q'), 1);
    await publish('m.src', 'nowhere', 'unroutable');
    await sleep(200);
    expect(await count('m.other')()).toBe(3);
    expect(await count('m.xonly')()).toBe(3);
    expect(await count('m.ae.q')()).toBe(0);
    for (const p of ['mid', 'xonly', 'qonly']) await clearPolicy(p);
  });

  it('a queue skips a policy holding a key its type refuses, so a lower one applies; a key it merely ignores does not stop the policy', async () => {
    // The higher policies (priority 10) cap at 1 message, the lower one at 2.
    const cases: Array<[string, Record<string, unknown>, 'classic' | 'quorum', number]> = [
      ['sk.c-ha', { 'ha-mode': 'all' }, 'classic', 1],
      ['sk.q-ha', { 'ha-mode': 'all' }, 'quorum', 2],
      ['sk.c-dl', { 'delivery-limit': 5 }, 'classic', 2],
      ['sk.q-dl', { 'delivery-limit': 5 }, 'quorum', 1],
      ['sk.q-mode', { 'queue-mode': 'lazy' }, 'quorum', 2],
      ['sk.q-version', { 'queue-version': 2 }, 'quorum', 1],
      ['sk.c-locator', { 'queue-leader-locator': 'balanced' }, 'classic', 2],
      ['sk.q-age', { 'max-age': '1D' }, 'quorum', 2],
      ['sk.c-ae', { 'alternate-exchange': 'nowhere' }, 'classic', 1],
    ];
    await setPolicy('sk-lo', '^sk\\.', { 'max-length': 2 });
    for (const [q, def, type] of cases) {
      await ch.assertQueue(q, { durable: true, arguments: { 'x-queue-type': type } });
      await setPolicy(`hi-${q}`, `^${q.replace('.', '\\.')}$`, { ...def, 'max-length': 1 }, { priority: 10 });
    }
    await sleep(100);
    for (const [q] of cases) for (let i = 0; i < 3; i++) await publish('', q, `m${i}`);
    for (const [q, , , n] of cases) await becomes(async () => [q, await count(q)()], [q, n]);
    for (const [q] of cases) {
      await clearPolicy(`hi-${q}`);
      await ch.deleteQueue(q);
    }
    await clearPolicy('sk-lo');
  });
});

describe('keys and precedence', () => {
  it('max-length-bytes trims by body size; the lower of x-max-length-bytes and the policy wins', async () => {
    await ch.assertQueue('mlb.policy', { durable: false });
    await ch.assertQueue('mlb.arg', { durable: false, arguments: { 'x-max-length-bytes': 5 } });
    await setPolicy('mlb', '^mlb\\.', { 'max-length-bytes': 10 });
    await sleep(100);
    for (const q of ['mlb.policy', 'mlb.arg']) for (const b of ['aaaaa', 'bbbbb', 'ccccc']) await publish('', q, b);
    await becomes(count('mlb.policy'), 2);
    await becomes(count('mlb.arg'), 1);
    expect(await bodies('mlb.policy')).toEqual(['bbbbb', 'ccccc']);
    expect(await bodies('mlb.arg')).toEqual(['ccccc']);
    await clearPolicy('mlb');
  });

  it('expires deletes an unused queue; the lower of x-expires and the policy wins', async () => {
    await ch.assertQueue('exp.policy', { durable: false });
    await ch.assertQueue('exp.arg-longer', { durable: false, arguments: { 'x-expires': 600_000 } });
    await ch.assertQueue('exp.arg-shorter', { durable: false, arguments: { 'x-expires': 300 } });
    await ch.assertQueue('exp.kept', { durable: false });
    await setPolicy('exp', '^exp\\.(policy|arg-longer)$', { expires: 300 });
    await setPolicy('exp-long', '^exp\\.(arg-shorter|kept)$', { expires: 600_000 });
    for (const q of ['exp.policy', 'exp.arg-longer', 'exp.arg-shorter']) await becomes(exists(q), false);
    expect(await exists('exp.kept')()).toBe(true);
    await clearPolicy('exp');
    await clearPolicy('exp-long');
  });

  it('message-ttl: the lower of x-message-ttl and the policy wins', async () => {
    await ch.assertQueue('ttl.arg-longer', { durable: false, arguments: { 'x-message-ttl': 600_000 } });
    await ch.assertQueue('ttl.arg-shorter', { durable: false, arguments: { 'x-message-ttl': 50 } });
    await ch.assertQueue('ttl.kept', { durable: false, arguments: { 'x-message-ttl': 600_000 } });
    await setPolicy('ttl', '^ttl\\.arg-longer$', { 'message-ttl': 50 });
    await setPolicy('ttl-long', '^ttl\\.(arg-shorter|kept)$', { 'message-ttl': 600_000 });
    await sleep(100);
    for (const q of ['ttl.arg-longer', 'ttl.arg-shorter', 'ttl.kept']) await publish('', q, 'm');
    await sleep(300);
    expect(await bodies('ttl.arg-longer')).toEqual([]);
    expect(await bodies('ttl.arg-shorter')).toEqual([]);
    expect(await bodies('ttl.kept')).toEqual(['m']);
    await clearPolicy('ttl');
    await clearPolicy('ttl-long');
  });

  it('dead-letter-routing-key from the policy; the x-argument wins, each key on its own (argument exchange, policy routing key)', async () => {
    await directWithQueues('dlrk.dlx', ['pk', 'ak', 'orig']);
    await ch.assertQueue('dlrk.policy', { durable: false });
    await ch.assertQueue('dlrk.arg', { durable: false, arguments: { 'x-dead-letter-exchange': 'dlrk.dlx', 'x-dead-letter-routing-key': 'ak' } });
    await ch.assertQueue('dlrk.mixed', { durable: false, arguments: { 'x-dead-letter-exchange': 'dlrk.dlx' } });
    await setPolicy('dlrk', '^dlrk\\.(policy|arg|mixed)$', { 'dead-letter-exchange': 'dlrk.dlx', 'dead-letter-routing-key': 'pk', 'message-ttl': 20 });
    await sleep(100);
    for (const q of ['dlrk.policy', 'dlrk.arg', 'dlrk.mixed']) await publish('', q, q);
    await becomes(count('dlrk.dlx.pk'), 2);
    await becomes(count('dlrk.dlx.ak'), 1);
    expect((await bodies('dlrk.dlx.pk')).sort()).toEqual(['dlrk.mixed', 'dlrk.policy']);
    expect(await bodies('dlrk.dlx.ak')).toEqual(['dlrk.arg']);
    expect(await count('dlrk.dlx.orig')()).toBe(0);
    await clearPolicy('dlrk');
  });

  it('overflow reject-publish-dlx from a policy nacks and dead-letters what does not fit; x-overflow wins over the policy', async () => {
    await ch.assertExchange('ovf.dlx', 'fanout', { durable: false });
    await ch.assertQueue('ovf.dead', { durable: false });
    await ch.bindQueue('ovf.dead', 'ovf.dlx', '');
    await ch.assertQueue('ovf.policy', { durable: false });
    await ch.assertQueue('ovf.arg', { durable: false, arguments: { 'x-overflow': 'drop-head' } });
    await setPolicy('ovf', '^ovf\\.(policy|arg)$', { 'max-length': 1, overflow: 'reject-publish-dlx', 'dead-letter-exchange': 'ovf.dlx' });
    await sleep(100);
    expect(await publish('', 'ovf.policy', 'p1')).toBe(true);
    expect(await publish('', 'ovf.policy', 'p2')).toBe(false);
    expect(await publish('', 'ovf.arg', 'a1')).toBe(true);
    expect(await publish('', 'ovf.arg', 'a2')).toBe(true);
    await becomes(count('ovf.dead'), 2);
    const dead = [];
    for (;;) {
      const m = await ch.get('ovf.dead', { noAck: true });
      if (m === false) break;
      dead.push([m.content.toString(), (m.properties.headers?.['x-death'] as Array<{ reason: string }>)[0]?.reason]);
    }
    expect(dead.sort()).toEqual([['a1', 'maxlen'], ['p2', 'maxlen']]);
    expect(await bodies('ovf.policy')).toEqual(['p1']);
    expect(await bodies('ovf.arg')).toEqual(['a2']);
    await clearPolicy('ovf');
  });

  it('an operator policy caps the x-argument too: the lowest of argument, user policy and operator policy wins', async () => {
    await ch.assertQueue('cap.len', { durable: false, arguments: { 'x-max-length': 10 } });
    await ch.assertQueue('cap.ttl', { durable: false, arguments: { 'x-message-ttl': 600_000 } });
    await ch.assertQueue('cap.user', { durable: false, arguments: { 'x-max-length': 10 } });
    await setPolicy('cap-user', '^cap\\.user$', { 'max-length': 1 });
    expect((await callApi('PUT', `/api/operator-policies/${v}/cap-op`, { pattern: '^cap\\.(len|user)$', definition: { 'max-length': 3 } })).status).toBe(201);
    expect((await callApi('PUT', `/api/operator-policies/${v}/cap-ttl`, { pattern: '^cap\\.ttl$', definition: { 'message-ttl': 50 } })).status).toBe(201);
    await sleep(100);
    for (const q of ['cap.len', 'cap.ttl', 'cap.user']) for (let i = 0; i < 5; i++) await publish('', q, `m${i}`);
    await becomes(count('cap.len'), 3);
    await becomes(count('cap.user'), 1);
    await becomes(count('cap.ttl'), 0);
    for (const p of ['cap-op', 'cap-ttl']) expect((await callApi('DELETE', `/api/operator-policies/${v}/${p}`)).status).toBe(204);
    await clearPolicy('cap-user');
    await sleep(100);
    for (let i = 0; i < 9; i++) await publish('', 'cap.len', `n${i}`);
    await becomes(count('cap.len'), 10);
  });

  it('delivery-limit on a quorum queue: a message returned more often than the limit is dead-lettered (delivery_limit)', async () => {
    await ch.assertExchange('dlim.dlx', 'fanout', { durable: false });
    await ch.assertQueue('dlim.dead', { durable: false });
    await ch.bindQueue('dlim.dead', 'dlim.dlx', '');
    await ch.assertQueue('dlim.q', { durable: true, arguments: { 'x-queue-type': 'quorum' } });
    await setPolicy('dlim', '^dlim\\.q$', { 'delivery-limit': 1, 'dead-letter-exchange': 'dlim.dlx' });
    await sleep(100);
    await publish('', 'dlim.q', 'retried');
    for (let i = 0; i < 2; i++) {
      let m: Awaited<ReturnType<Channel['get']>> = false;
      const deadline = Date.now() + 5_000;
      while (m === false && Date.now() < deadline) m = await ch.get('dlim.q');
      expect(m).not.toBe(false);
      if (m !== false) ch.nack(m, false, true);
    }
    await becomes(count('dlim.dead'), 1);
    const dead = await ch.get('dlim.dead', { noAck: true });
    expect(dead !== false && (dead.properties.headers?.['x-death'] as Array<{ reason: string }>)[0]?.reason).toBe('delivery_limit');
    expect(await count('dlim.q')()).toBe(0);
    await clearPolicy('dlim');
    await ch.deleteQueue('dlim.q');
  });
});
