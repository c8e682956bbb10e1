// Deduplication settings as policy keys (Warren's own; RabbitMQ 3.10 has no deduplication, so the file is skipped
// there, as ext-deduplication.test.ts is). LavinMQ, whose x-arguments Warren follows, has no policy keys for them:
// the keys are the argument names without `x-`: message-deduplication (boolean), cache-size, cache-ttl (integers
// ≥ 0) and deduplication-header (a header name), on exchanges, classic and quorum queues. What is expected:
// - They take effect live: a policy turns deduplication on for an existing exchange or queue at once, a changed
//   policy re-applies, a deleted one turns it off (no redeclare).
// - Precedence as for RabbitMQ's keys: the x-argument wins for the flag and the header (x-message-deduplication:
//   false stays off under a policy saying true); the lower of argument and policy wins for cache-size and cache-ttl.
// - A bad value is refused with 400 and RabbitMQ's reason shape ("<<\"yes\">> is not a valid message deduplication
//   flag"), nothing stored; the policy is exported by GET /api/definitions and a definitions file holding one applies.
import type { Channel, ConfirmChannel } from 'amqplib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { server } from '../support/amqp.js';
import { drain, publishConfirmed, sleep } from '../support/fixtures.js';
import { callApi, caseVhost } from '../support/management.js';

/** Deduplication is a plugin on RabbitMQ, not installed on the RabbitMQ the suite is checked against. */
const IS_RABBITMQ = (await server()).product === 'RabbitMQ';

const cv = caseVhost('policies-dedup');
const vhost = cv.name;
const v = cv.encoded;
const { setPolicy, clearPolicy } = cv;

let ch: Channel;
let pub: ConfirmChannel;

/** Publishes `body` with the id in `header` (x-deduplication-header unless told); resolves with the confirm. */
function send(exchange: string, key: string, body: string, id: string, header = 'x-deduplication-header'): Promise<'ack' | 'nack'> {
  return publishConfirmed(pub, exchange, key, body, { headers: { [header]: id } });
}

/** Sends a, a, b, a to the queue or exchange and returns what `queue` then holds. */
async function aaba(exchange: string, key: string, queue: string, header?: string): Promise<string[]> {
  for (const [i, id] of ['a', 'a', 'b', 'a'].entries()) expect(await send(exchange, key, `${id}${i}`, id, header)).toBe('ack');
  return drain(ch, queue);
}

describe.skipIf(IS_RABBITMQ)('deduplication policy keys (Warren only; RabbitMQ lacks deduplication)', () => {
  beforeAll(async () => ({ ch, pub } = await cv.open()));
  afterAll(() => cv.close());

  it('a message-deduplication policy turns deduplication on for an existing queue at once; deleting it turns it off', async () => {
    expect.hasAssertions();
    await ch.assertQueue('dq.live', { durable: false });
    expect(await aaba('', 'dq.live', 'dq.live')).toEqual(['a0', 'a1', 'b2', 'a3']);
    await setPolicy('dq', '^dq\\.', { 'message-deduplication': true }, { 'apply-to': 'queues' });
    expect(await aaba('', 'dq.live', 'dq.live')).toEqual(['a0', 'b2']);
    await clearPolicy('dq');
    expect(await aaba('', 'dq.live', 'dq.live')).toEqual(['a0', 'a1', 'b2', 'a3']);
  });

  it('on an existing exchange too (a duplicate is not routed); changing deduplication-header re-applies it', async () => {
    expect.hasAssertions();
    await ch.assertExchange('dx.live', 'direct', { durable: false });
    await ch.assertQueue('dx.live.q', { durable: false });
    await ch.bindQueue('dx.live.q', 'dx.live', 'k');
    await setPolicy('dx', '^dx\\.', { 'message-deduplication': true }, { 'apply-to': 'exchanges' });
    expect(await aaba('dx.live', 'k', 'dx.live.q')).toEqual(['a0', 'b2']);
    // Ids now come from the `id` header: x-deduplication-header is just a header, and a, b under `id` are new.
    await setPolicy('dx', '^dx\\.', { 'message-deduplication': true, 'deduplication-header': 'id' }, { 'apply-to': 'exchanges' });
    expect(await aaba('dx.live', 'k', 'dx.live.q', 'id')).toEqual(['a0', 'b2']);
    expect(await aaba('dx.live', 'k', 'dx.live.q')).toEqual(['a0', 'a1', 'b2', 'a3']);
    await clearPolicy('dx');
    expect(await aaba('dx.live', 'k', 'dx.live.q', 'id')).toEqual(['a0', 'a1', 'b2', 'a3']);
  });

  it('cache-size and cache-ttl from the policy: a full cache forgets the oldest id, an id is forgotten after the ttl', async () => {
    expect.hasAssertions();
    await ch.assertQueue('dsize.q', { durable: false });
    await ch.assertQueue('dttl.q', { durable: false });
    await setPolicy('dsize', '^dsize\\.', { 'message-deduplication': true, 'cache-size': 1 });
    await setPolicy('dttl', '^dttl\\.', { 'message-deduplication': true, 'cache-ttl': 200 });
    // Size 1: b pushes a out, so the last a passes.
    expect(await aaba('', 'dsize.q', 'dsize.q')).toEqual(['a0', 'b2', 'a3']);
    expect(await send('', 'dttl.q', 'first', 'id')).toBe('ack');
    expect(await send('', 'dttl.q', 'dup', 'id')).toBe('ack');
    await sleep(400);
    expect(await send('', 'dttl.q', 'after-ttl', 'id')).toBe('ack');
    expect(await drain(ch, 'dttl.q')).toEqual(['first', 'after-ttl']);
    await clearPolicy('dsize');
    await clearPolicy('dttl');
  });

  it('precedence: the x-argument wins for the flag and the header; the lower cache-size of argument and policy wins', async () => {
    expect.hasAssertions();
    await ch.assertQueue('dprec.off', { durable: false, arguments: { 'x-message-deduplication': false } });
    await ch.assertQueue('dprec.hdr', { durable: false, arguments: { 'x-message-deduplication': true, 'x-deduplication-header': 'mine' } });
    await ch.assertQueue('dprec.size', { durable: false, arguments: { 'x-message-deduplication': true, 'x-cache-size': 100 } });
    await ch.assertQueue('dprec.big', { durable: false, arguments: { 'x-message-deduplication': true, 'x-cache-size': 1 } });
    await setPolicy('dprec', '^dprec\\.(off|hdr)$', { 'message-deduplication': true, 'deduplication-header': 'theirs' });
    await setPolicy('dprec-size', '^dprec\\.size$', { 'cache-size': 1 });
    await setPolicy('dprec-big', '^dprec\\.big$', { 'cache-size': 100 });
    expect(await aaba('', 'dprec.off', 'dprec.off')).toEqual(['a0', 'a1', 'b2', 'a3']);
    expect(await aaba('', 'dprec.hdr', 'dprec.hdr', 'mine')).toEqual(['a0', 'b2']);
    expect(await aaba('', 'dprec.hdr', 'dprec.hdr', 'theirs')).toEqual(['a0', 'a1', 'b2', 'a3']);
    // The policy's 1 is lower than the argument's 100; the argument's 1 lower than the policy's 100.
    expect(await aaba('', 'dprec.size', 'dprec.size')).toEqual(['a0', 'b2', 'a3']);
    expect(await aaba('', 'dprec.big', 'dprec.big')).toEqual(['a0', 'b2', 'a3']);
    await clearPolicy('dprec');
    await clearPolicy('dprec-size');
    await clearPolicy('dprec-big');
    expect(await aaba('', 'dprec.size', 'dprec.size')).toEqual(['a0', 'b2']);
  });

  it.each<[string, Record<string, unknown>, string]>([
    ['a flag that is not a boolean', { 'message-deduplication': 'yes' }, '<<"yes">> is not a valid message deduplication flag'],
    ['a negative cache-size', { 'message-deduplication': true, 'cache-size': -1 }, '-1 is not a valid deduplication cache size'],
    ['a cache-ttl that is not an integer', { 'cache-ttl': 'soon' }, '<<"soon">> is not a valid deduplication cache TTL'],
    ['a header name that is not a string', { 'deduplication-header': 1 }, '1 is not a valid deduplication header'],
  ])('refuses %s with 400 in RabbitMQ\'s reason shape and stores nothing', async (_what, definition, reason) => {
    expect(await callApi('PUT', `/api/policies/${v}/bad`, { pattern: '.', definition })).toEqual({
      status: 400,
      json: { error: 'bad_request', reason: `Validation failed\n\n${reason.replace(/</g, '&lt;').replace(/>/g, '&gt;')}\n` },
    });
    expect((await callApi('GET', `/api/policies/${v}/bad`)).status).toBe(404);
  });

  it('the policy is exported with the definitions, and a definitions file holding one applies it', async () => {
    expect.hasAssertions();
    await setPolicy('dexp', '^dexp\\.', { 'message-deduplication': true, 'cache-size': 5, 'cache-ttl': 0, 'deduplication-header': 'id' });
    const exported = (await callApi('GET', `/api/definitions/${v}`)).json;
    expect(exported.policies.find((p: { name: string }) => p.name === 'dexp')).toMatchObject({ name: 'dexp', pattern: '^dexp\\.', 'apply-to': 'all', priority: 0, definition: { 'cache-size': 5, 'cache-ttl': 0, 'deduplication-header': 'id', 'message-deduplication': true } });
    await clearPolicy('dexp');
    const defs = {
      queues: [{ name: 'dimp.q', vhost, durable: true, auto_delete: false, arguments: {} }],
      policies: [{ vhost, name: 'dimp', pattern: '^dimp\\.', 'apply-to': 'queues', definition: { 'message-deduplication': true }, priority: 0 }],
    };
    expect((await callApi('POST', '/api/definitions', defs)).status).toBeLessThan(300);
    expect(await aaba('', 'dimp.q', 'dimp.q')).toEqual(['a0', 'b2']);
    expect((await callApi('GET', `/api/policies/${v}/dimp`)).json.definition).toEqual({ 'message-deduplication': true });
    await clearPolicy('dimp');
  });
});
