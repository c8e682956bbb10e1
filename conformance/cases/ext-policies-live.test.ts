// Policies take effect on queues and exchanges that already exist, at once, and stop when deleted (no redeclare):
// max-length trims, dead-letter-exchange appears and disappears, message-ttl applies to messages enqueued from then on
// (RabbitMQ 3.10.8 leaves messages already queued as they were), overflow reject-publish nacks, alternate-exchange
// catches unroutable messages; x-arguments and operator policies combine as RabbitMQ combines them. A RabbitMQ-style
// definitions file with a DLX policy dead-letters expired messages. RabbitMQ applies a policy change asynchronously
// (a few ms): the cases poll.
import type { Channel, ConfirmChannel } from 'amqplib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sleep } from '../support/fixtures.js';
import { callApi, caseVhost } from '../support/management.js';

const cv = caseVhost('policies-live');
const vhost = cv.name;
const { setPolicy, clearPolicy } = cv;

let ch: Channel;
let pub: ConfirmChannel;

beforeAll(async () => ({ ch, pub } = await cv.open()));
afterAll(() => cv.close());

/** Polls the queue's message count until it is `n` (a policy change reaches the queue asynchronously in RabbitMQ). */
async function countBecomes(queue: string, n: number, ms = 5_000): Promise<void> {
  const deadline = Date.now() + ms;
  let count = -1;
  while (Date.now() < deadline) {
    count = (await ch.checkQueue(queue)).messageCount;
    if (count === n) break;
    await sleep(20);
  }
  expect(count).toBe(n);
}

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

describe('policies applied live', () => {
  it('a new max-length trims an existing queue at once (oldest first); deleting the policy lifts the limit', async () => {
    await ch.assertQueue('live.len', { durable: false });
    for (let i = 0; i < 5; i++) await publish('', 'live.len', `m${i}`);
    await countBecomes('live.len', 5);
    await setPolicy('len', '^live\\.len$', { 'max-length': 2 });
    await countBecomes('live.len', 2);
    await clearPolicy('len');
    await sleep(100);
    for (let i = 5; i < 8; i++) await publish('', 'live.len', `m${i}`);
    await countBecomes('live.len', 5);
    expect(await bodies('live.len')).toEqual(['m3', 'm4', 'm5', 'm6', 'm7']);
  });

  it('changing a policy re-applies it; a higher priority policy takes over and gives way when deleted', async () => {
    await ch.assertQueue('live.prio', { durable: false });
    await setPolicy('prio-low', '^live\\.prio', { 'max-length': 4 });
    for (let i = 0; i < 6; i++) await publish('', 'live.prio', `m${i}`);
    await countBecomes('live.prio', 4);
    await setPolicy('prio-high', '^live\\.prio$', { 'max-length': 1 }, { priority: 5 });
    await countBecomes('live.prio', 1);
    await clearPolicy('prio-high');
    await sleep(100);
    for (let i = 6; i < 10; i++) await publish('', 'live.prio', `m${i}`);
    await countBecomes('live.prio', 4);
    await setPolicy('prio-low', '^live\\.prio', { 'max-length': 2 });
    await countBecomes('live.prio', 2);
    await clearPolicy('prio-low');
    await ch.deleteQueue('live.prio');
  });

  it('a dead-letter-exchange appears on an existing queue and disappears with the policy', async () => {
    await ch.assertExchange('live.dlx', 'fanout', { durable: false });
    await ch.assertQueue('live.dead', { durable: false });
    await ch.bindQueue('live.dead', 'live.dlx', '');
    await ch.assertQueue('live.work', { durable: false });
    await setPolicy('dlx', '^live\\.work$', { 'dead-letter-exchange': 'live.dlx' });
    await sleep(100);
    await publish('', 'live.work', 'first');
    const m = await ch.get('live.work');
    expect(m).not.toBe(false);
    if (m !== false) ch.nack(m, false, false);
    await countBecomes('live.dead', 1);
    const dead = await ch.get('live.dead', { noAck: true });
    expect(dead !== false && (dead.properties.headers?.['x-death'] as Array<{ reason: string }>)[0]?.reason).toBe('rejected');
    await clearPolicy('dlx');
    await sleep(100);
    await publish('', 'live.work', 'second');
    const n = await ch.get('live.work');
    if (n !== false) ch.nack(n, false, false);
    await sleep(200);
    expect((await ch.checkQueue('live.dead')).messageCount).toBe(0);
  });

  it('message-ttl applies to messages enqueued after the change; messages already queued stay', async () => {
    await ch.assertQueue('live.ttl', { durable: false });
    await publish('', 'live.ttl', 'before');
    await setPolicy('ttl', '^live\\.ttl$', { 'message-ttl': 50 });
    await sleep(100);
    await publish('', 'live.ttl', 'after');
    await sleep(300);
    expect(await bodies('live.ttl')).toEqual(['before']);
    await clearPolicy('ttl');
  });

  it('overflow reject-publish from a policy nacks publishes to a full queue', async () => {
    await ch.assertQueue('live.full', { durable: false });
    await setPolicy('full', '^live\\.full$', { 'max-length': 1, overflow: 'reject-publish' });
    await sleep(100);
    expect(await publish('', 'live.full', 'a')).toBe(true);
    expect(await publish('', 'live.full', 'b')).toBe(false);
    await clearPolicy('full');
    await sleep(100);
    expect(await publish('', 'live.full', 'c')).toBe(true);
    expect(await bodies('live.full')).toEqual(['a', 'c']);
  });

  it('an alternate-exchange policy catches what an existing exchange cannot route; the argument wins over it', async () => {
    await ch.assertExchange('live.ae', 'fanout', { durable: false });
    await ch.assertQueue('live.ae.q', { durable: false });
    await ch.bindQueue('live.ae.q', 'live.ae', '');
    await ch.assertExchange('live.ae2', 'fanout', { durable: false });
    await ch.assertQueue('live.ae2.q', { durable: false });
    await ch.bindQueue('live.ae2.q', 'live.ae2', '');
    await ch.assertExchange('live.src', 'direct', { durable: false });
    await ch.assertExchange('live.src.arg', 'direct', { durable: false, alternateExchange: 'live.ae2' });
    await setPolicy('ae', '^live\\.src', { 'alternate-exchange': 'live.ae' }, { 'apply-to': 'exchanges' });
    await sleep(100);
    await publish('live.src', 'nowhere', 'caught');
    await publish('live.src.arg', 'nowhere', 'by-argument');
    await countBecomes('live.ae.q', 1);
    await countBecomes('live.ae2.q', 1);
    expect(await bodies('live.ae.q')).toEqual(['caught']);
    expect(await bodies('live.ae2.q')).toEqual(['by-argument']);
    await clearPolicy('ae');
    await sleep(100);
    await publish('live.src', 'nowhere', 'lost');
    await sleep(100);
    expect((await ch.checkQueue('live.ae.q')).messageCount).toBe(0);
  });

  it('precedence: the lower max-length of argument and policy wins; the x-dead-letter-exchange argument wins over the policy', async () => {
    await ch.assertExchange('live.dlx.arg', 'fanout', { durable: false });
    await ch.assertQueue('live.dead.arg', { durable: false });
    await ch.bindQueue('live.dead.arg', 'live.dlx.arg', '');
    await ch.assertExchange('live.dlx.pol', 'fanout', { durable: false });
    await ch.assertQueue('live.dead.pol', { durable: false });
    await ch.bindQueue('live.dead.pol', 'live.dlx.pol', '');
    await ch.assertQueue('live.mix', { durable: false, maxLength: 3, deadLetterExchange: 'live.dlx.arg' });
    await setPolicy('mix', '^live\\.mix$', { 'max-length': 10, 'dead-letter-exchange': 'live.dlx.pol' });
    await sleep(100);
    for (let i = 0; i < 5; i++) await publish('', 'live.mix', `m${i}`);
    await countBecomes('live.mix', 3);
    await countBecomes('live.dead.arg', 2);
    expect((await ch.checkQueue('live.dead.pol')).messageCount).toBe(0);
    await setPolicy('mix', '^live\\.mix$', { 'max-length': 1 });
    await countBecomes('live.mix', 1);
    await clearPolicy('mix');
  });

  it('an operator policy caps the user policy (the lower max-length) and lifts when deleted', async () => {
    await ch.assertQueue('live.op', { durable: false });
    await setPolicy('op-user', '^live\\.op$', { 'max-length': 10 });
    await setPolicy('op-cap', '^live\\.op$', { 'max-length': 2 }, {}, 'operator-policies');
    await sleep(100);
    for (let i = 0; i < 5; i++) await publish('', 'live.op', `m${i}`);
    await countBecomes('live.op', 2);
    await clearPolicy('op-cap', 'operator-policies');
    await sleep(100);
    for (let i = 5; i < 15; i++) await publish('', 'live.op', `m${i}`);
    await countBecomes('live.op', 10);
    await clearPolicy('op-user');
  });

  it('a queue declared after the policy gets it at once', async () => {
    await setPolicy('later', '^live\\.later$', { 'max-length': 1 });
    await sleep(100);
    await ch.assertQueue('live.later', { durable: false });
    for (let i = 0; i < 3; i++) await publish('', 'live.later', `m${i}`);
    await countBecomes('live.later', 1);
    expect(await bodies('live.later')).toEqual(['m2']);
    await clearPolicy('later');
  });

  it('a RabbitMQ definitions file with a DLX policy: an expired message in work.a is dead-lettered', async () => {
    const defs = {
      queues: [
        { name: 'work.a', vhost, durable: true, auto_delete: false, arguments: {} },
        { name: 'dead', vhost, durable: true, auto_delete: false, arguments: {} },
      ],
      exchanges: [{ name: 'dlx', vhost, type: 'fanout', durable: true, auto_delete: false, internal: false, arguments: {} }],
      bindings: [{ source: 'dlx', vhost, destination: 'dead', destination_type: 'queue', routing_key: '', arguments: {} }],
      policies: [{ vhost, name: 'DLX', pattern: '^work\\.', 'apply-to': 'queues', definition: { 'dead-letter-exchange': 'dlx', 'message-ttl': 100 }, priority: 0 }],
    };
    expect((await callApi('POST', '/api/definitions', defs)).status).toBeLessThan(300);
    await sleep(200);
    await publish('', 'work.a', 'expires');
    await countBecomes('dead', 1);
    expect((await ch.checkQueue('work.a')).messageCount).toBe(0);
    const dead = await ch.get('dead', { noAck: true });
    expect(dead !== false && (dead.properties.headers?.['x-death'] as Array<{ reason: string; queue: string }>)[0]).toMatchObject({ reason: 'expired', queue: 'work.a' });
    await clearPolicy('DLX');
  });
});
