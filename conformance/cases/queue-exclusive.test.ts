// Exclusive queues over amqplib: what other connections may and may not do with them, what the
// owning connection may do, and their deletion when the owner's connection closes.
// (The helpers it shares with queues.test.ts are in ../support/fixtures.ts.)
import type { Channel, ChannelModel } from 'amqplib';
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  channel,
  channelError as channelErrorOf,
  cleanUpAfterEach,
  eventually,
  open,
  shortstrTruncated,
  trackNames,
} from '../support/fixtures.js';

// Exclusive queues go with their connections; the rest are deleted after each case.
const { queues } = cleanUpAfterEach(trackNames());

/** A channel.close answering the very operation (amqplib: "Operation failed: …"); throws if it succeeds. */
const channelError = (op: Promise<unknown>) => channelErrorOf(op, { answeringOperation: true });

/**
 * A fresh queue name, deleted after the case if it is still there. Kept short (≤ 32 characters for
 * short tags) so the 405 text, about 215 characters plus the name, fits in a 255-octet shortstr.
 */
function qname(tag: string): string {
  const q = `conformance.qx.${tag}.${randomUUID().slice(0, 8)}`;
  queues.add(q);
  return q;
}

const locked = (q: string) =>
  `RESOURCE_LOCKED - cannot obtain exclusive access to locked queue '${q}' in vhost '/'. ` +
  'It could be originally declared on another connection or the exclusive property value does not match that of the original declaration.';

/** An exclusive queue owned by a fresh connection, bound to amq.direct with key "bound". */
async function ownedQueue(tag: string): Promise<{ owner: ChannelModel; ownerCh: Channel; q: string }> {
  const { conn: owner, ch: ownerCh } = await open();
  const q = qname(tag);
  expect(await ownerCh.assertQueue(q, { exclusive: true, durable: false })).toEqual({ queue: q, messageCount: 0, consumerCount: 0 });
  await ownerCh.bindQueue(q, 'amq.direct', 'bound');
  return { owner, ownerCh, q };
}

describe('an exclusive queue seen from another connection', () => {
  it.for([
    ['queue.declare exclusive', 50, 10, (ch: Channel, q: string) => ch.assertQueue(q, { exclusive: true, durable: false })],
    ['queue.declare non-exclusive', 50, 10, (ch: Channel, q: string) => ch.assertQueue(q, { exclusive: false, durable: false })],
    ['queue.declare with other flags', 50, 10, (ch: Channel, q: string) => ch.assertQueue(q, { durable: true, autoDelete: true })],
    ['passive queue.declare', 50, 10, (ch: Channel, q: string) => ch.checkQueue(q)],
    ['basic.consume', 60, 20, (ch: Channel, q: string) => ch.consume(q, () => {})],
    ['basic.get', 60, 70, (ch: Channel, q: string) => ch.get(q)],
    ['queue.bind', 50, 20, (ch: Channel, q: string) => ch.bindQueue(q, 'amq.direct', 'other')],
    ['queue.unbind of an existing binding', 50, 50, (ch: Channel, q: string) => ch.unbindQueue(q, 'amq.direct', 'bound')],
    ['queue.purge', 50, 30, (ch: Channel, q: string) => ch.purgeQueue(q)],
    ['queue.delete', 50, 40, (ch: Channel, q: string) => ch.deleteQueue(q)],
    ['queue.delete if-unused if-empty', 50, 40, (ch: Channel, q: string) => ch.deleteQueue(q, { ifUnused: true, ifEmpty: true })],
  ] as const)('refuses %s with 405 RESOURCE_LOCKED "cannot obtain exclusive access to locked queue …"', async ([, classId, methodId, op]) => {
    expect.hasAssertions();
    const { ownerCh, q } = await ownedQueue('lk');
    const { ch } = await open();
    expect(await channelError(op(ch, q))).toEqual({ code: 405, classId, methodId, text: locked(q) });
    // The queue and its binding are untouched.
    expect(await ownerCh.checkQueue(q)).toEqual({ queue: q, messageCount: 0, consumerCount: 0 });
    ownerCh.publish('amq.direct', 'bound', Buffer.from('still bound'));
    const m = await eventually(async () => {
      const got = await ownerCh.get(q, { noAck: true });
      expect(got).not.toBe(false);
      return got;
    });
    expect(m !== false && m.content.toString()).toBe('still bound');
  });

  it('lets another connection publish to it', async () => {
    expect.hasAssertions();
    const { ownerCh, q } = await ownedQueue('pub');
    const { conn } = await open();
    const pub = await conn.createConfirmChannel();
    pub.sendToQueue(q, Buffer.from('from outside'));
    pub.publish('amq.direct', 'bound', Buffer.from('via binding'));
    await pub.waitForConfirms();
    expect(await ownerCh.checkQueue(q)).toEqual({ queue: q, messageCount: 2, consumerCount: 0 });
  });

  it('answers unbind-ok to another connection for a binding that does not exist', async () => {
    expect.hasAssertions();
    const { ownerCh, q } = await ownedQueue('unb');
    const { ch } = await open();
    expect(await ch.unbindQueue(q, 'amq.direct', 'never-bound')).toEqual({});
    expect((await ownerCh.checkQueue(q)).queue).toBe(q);
  });
});

describe('an exclusive queue and its owner', () => {
  it('is usable from every channel of the owning connection and outlives the declaring channel', async () => {
    expect.hasAssertions();
    const { owner, ownerCh, q } = await ownedQueue('own');
    const ch2 = await channel(owner);
    await ownerCh.close();
    expect(await ch2.checkQueue(q)).toEqual({ queue: q, messageCount: 0, consumerCount: 0 });
    expect(await ch2.assertQueue(q, { exclusive: true, durable: false })).toEqual({ queue: q, messageCount: 0, consumerCount: 0 });
    const { consumerTag } = await ch2.consume(q, () => {});
    await ch2.cancel(consumerTag);
    expect(await ch2.purgeQueue(q)).toEqual({ messageCount: 0 });
    expect(await ch2.deleteQueue(q)).toEqual({ messageCount: 0 });
  });

  it('is deleted when the owning connection closes', async () => {
    expect.hasAssertions();
    const { owner, q } = await ownedQueue('cls');
    const { ch } = await open();
    expect(await channelError(ch.checkQueue(q))).toMatchObject({ code: 405 });
    await owner.close();
    const { conn } = await open();
    await eventually(async () => {
      const probe = await channel(conn);
      expect(await channelError(probe.checkQueue(q))).toEqual({
        code: 404,
        classId: 50,
        methodId: 10,
        text: `NOT_FOUND - no queue '${q}' in vhost '/'`,
      });
    });
    // The name is free again.
    const { ch: again } = await open();
    expect(await again.assertQueue(q, { durable: false })).toEqual({ queue: q, messageCount: 0, consumerCount: 0 });
  });

  it('deletes a server-named exclusive queue when the owning connection closes', async () => {
    expect.hasAssertions();
    const { conn: owner, ch: ownerCh } = await open();
    const { queue } = await ownerCh.assertQueue('', { exclusive: true });
    await owner.close();
    const { conn } = await open();
    await eventually(async () => {
      const probe = await channel(conn);
      expect(await channelError(probe.checkQueue(queue))).toMatchObject({ code: 404, text: `NOT_FOUND - no queue '${queue}' in vhost '/'` });
    });
  });

  it('refuses a non-exclusive redeclare from the owning connection with 405 RESOURCE_LOCKED', async () => {
    expect.hasAssertions();
    const { owner, q } = await ownedQueue('red');
    const ch2 = await channel(owner);
    expect(await channelError(ch2.assertQueue(q, { exclusive: false, durable: false }))).toEqual({
      code: 405,
      classId: 50,
      methodId: 10,
      text: locked(q),
    });
  });

  it('truncates a 405 text longer than 255 octets to its first 252 characters and "..."', async () => {
    expect.hasAssertions();
    const { conn: owner, ch: ownerCh } = await open();
    const q = qname(`long-${'n'.repeat(100)}`);
    await ownerCh.assertQueue(q, { exclusive: true, durable: false });
    const ch2 = await channel(owner);
    const full = locked(q);
    expect(full.length).toBeGreaterThan(255);
    const err = await channelError(ch2.assertQueue(q, { exclusive: false, durable: false }));
    expect(err).toEqual({ code: 405, classId: 50, methodId: 10, text: shortstrTruncated(full) });
    expect(err.text).toHaveLength(255);
  });

  it('refuses an exclusive redeclare of a non-exclusive queue with 405 RESOURCE_LOCKED, even from the declaring connection', async () => {
    expect.hasAssertions();
    const { ch } = await open();
    const q = qname('nx');
    await ch.assertQueue(q, { durable: false });
    expect(await channelError(ch.assertQueue(q, { exclusive: true, durable: false }))).toEqual({
      code: 405,
      classId: 50,
      methodId: 10,
      text: locked(q),
    });
  });
});
