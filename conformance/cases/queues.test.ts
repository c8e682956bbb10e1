// Queues over amqplib: declare (server-named, passive, counts, reserved names, equivalence of
// flags and arguments), auto-delete, purge, delete (if-unused, if-empty, consumer cancellation),
// bind/unbind and the "empty name means the channel's last declared queue" shortcut.
// Exclusive queues are in queue-exclusive.test.ts.
//
// amqplib notes: assertQueue defaults to durable: true; a JS integer in a field table is sent as the
// smallest signed type that holds it (1000 → 's' short, 100000 → 'I' signedint), and
// `{ '!': 'int', value: n }` forces 'I'. Channel errors carry .code, .classId and .methodId; the
// reply text is in the message after `with message "`.
import type { Channel, ChannelModel, ConsumeMessage } from 'amqplib';
import { describe, expect, it } from 'vitest';
import { channel, channelError as channelErrorOf, cleanUpAfterEach, eventually, open, sleep, trackNames } from '../support/fixtures.js';

const { qname, xname } = cleanUpAfterEach(trackNames('queues'));

/** A channel.close answering the very operation (amqplib: "Operation failed: …"); throws if it succeeds. */
const channelError = (op: Promise<unknown>) => channelErrorOf(op, { answeringOperation: true });

const notFoundQueue = (q: string) => `NOT_FOUND - no queue '${q}' in vhost '/'`;
const NO_PREVIOUS = 'NOT_FOUND - no previously declared queue';

/** Passive-declares q on a throwaway channel and expects 404 (retrying briefly). */
async function expectQueueGone(conn: ChannelModel, q: string): Promise<void> {
  await eventually(async () => {
    const ch = await channel(conn);
    expect(await channelError(ch.checkQueue(q))).toEqual({ code: 404, classId: 50, methodId: 10, text: notFoundQueue(q) });
  });
}

/** Consumes q without ack and prefetch 1; resolves once the first delivery has arrived. */
async function consumeOneUnacked(ch: Channel, q: string): Promise<{ consumerTag: string; first: ConsumeMessage }> {
  await ch.prefetch(1);
  let resolveFirst!: (m: ConsumeMessage) => void;
  const first = new Promise<ConsumeMessage>((r) => (resolveFirst = r));
  const { consumerTag } = await ch.consume(q, (m) => {
    if (m) resolveFirst(m);
  });
  return { consumerTag, first: await first };
}

/**
 * Publishes on a confirm channel of conn and waits for the confirms, so the messages are in their
 * queues before the case looks at counts (RabbitMQ may answer a declare or a get before messages
 * published just before it on the same channel have been enqueued).
 */
async function publish(conn: ChannelModel, exchange: string, routingKey: string, bodies: string[]): Promise<void> {
  const ch = await conn.createConfirmChannel();
  for (const b of bodies) ch.publish(exchange, routingKey, Buffer.from(b));
  await ch.waitForConfirms();
  await ch.close();
}

/** Publishes m0 … m(n-1) to q through the default exchange, confirmed. */
function publishN(conn: ChannelModel, q: string, n: number): Promise<void> {
  return publish(conn, '', q, Array.from({ length: n }, (_, i) => `m${i}`));
}

describe('queue.declare', () => {
  it('names a queue declared with an empty name amq.gen-<22 url-safe base64 chars>, a new one each time', async () => {
    expect.hasAssertions();
    const { conn, ch } = await open();
    const a = await ch.assertQueue('', { exclusive: true });
    const b = await ch.assertQueue('', { exclusive: true });
    expect(a.queue).toMatch(/^amq\.gen-[A-Za-z0-9_-]{22}$/);
    expect(b.queue).toMatch(/^amq\.gen-[A-Za-z0-9_-]{22}$/);
    expect(a.queue).not.toBe(b.queue);
    expect(a).toEqual({ queue: a.queue, messageCount: 0, consumerCount: 0 });
    // It is a real queue under that name.
    await publish(conn, '', a.queue, ['to the server-named queue']);
    expect(await ch.checkQueue(a.queue)).toEqual({ queue: a.queue, messageCount: 1, consumerCount: 0 });
  });

  it('reports ready messages in declare-ok: 3 published, redeclare says message_count 3, consumer_count 0', async () => {
    expect.hasAssertions();
    const { conn, ch } = await open();
    const q = qname('counts');
    expect(await ch.assertQueue(q, { durable: false })).toEqual({ queue: q, messageCount: 0, consumerCount: 0 });
    await publishN(conn, q, 3);
    expect(await ch.assertQueue(q, { durable: false })).toEqual({ queue: q, messageCount: 3, consumerCount: 0 });
  });

  it('reports consumers in declare-ok and leaves unacknowledged messages out of message_count', async () => {
    expect.hasAssertions();
    const { conn, ch } = await open();
    const q = qname('consumers');
    await ch.assertQueue(q, { durable: false });
    await publishN(conn, q, 3);
    const consumerCh = await channel(conn);
    await consumeOneUnacked(consumerCh, q); // prefetch 1: one message unacked, two ready
    expect(await ch.assertQueue(q, { durable: false })).toEqual({ queue: q, messageCount: 2, consumerCount: 1 });
    expect(await ch.checkQueue(q)).toEqual({ queue: q, messageCount: 2, consumerCount: 1 });
  });

  it('accepts a redeclare with the same flags and arguments', async () => {
    expect.hasAssertions();
    const { ch } = await open();
    const q = qname('same');
    const opts = { durable: false, autoDelete: false, arguments: { 'x-message-ttl': 60_000, 'x-max-length': 10 } };
    await ch.assertQueue(q, opts);
    expect(await ch.assertQueue(q, opts)).toEqual({ queue: q, messageCount: 0, consumerCount: 0 });
  });

  it('declares both durable and non-durable queues', async () => {
    expect.hasAssertions();
    const { conn, ch } = await open();
    const d = qname('durable');
    const t = qname('transient');
    expect(await ch.assertQueue(d, { durable: true })).toEqual({ queue: d, messageCount: 0, consumerCount: 0 });
    expect(await ch.assertQueue(t, { durable: false })).toEqual({ queue: t, messageCount: 0, consumerCount: 0 });
    await publish(conn, '', d, ['d']);
    await publish(conn, '', t, ['t']);
    expect((await ch.checkQueue(d)).messageCount).toBe(1);
    expect((await ch.checkQueue(t)).messageCount).toBe(1);
  });

  it('strips CR and LF from a declared queue name', async () => {
    expect.hasAssertions();
    const { ch } = await open();
    const q = qname('crlf');
    const ok = await ch.assertQueue(`\r${q.slice(0, 10)}\r\n${q.slice(10)}\n`, { exclusive: true });
    expect(ok.queue).toBe(q);
    expect(await ch.checkQueue(q)).toEqual({ queue: q, messageCount: 0, consumerCount: 0 });
  });

  it("refuses a name with the reserved amq. prefix: 403 ACCESS_REFUSED \"queue name '…' contains reserved prefix 'amq.*'\"", async () => {
    expect.hasAssertions();
    const { conn, ch } = await open();
    const q = `amq.${qname('reserved')}`;
    expect(await channelError(ch.assertQueue(q, { durable: false }))).toEqual({
      code: 403,
      classId: 50,
      methodId: 10,
      text: `ACCESS_REFUSED - queue name '${q}' contains reserved prefix 'amq.*'`,
    });
    // Only the channel is closed.
    const ch2 = await channel(conn);
    expect((await ch2.assertQueue('', { exclusive: true })).queue).toMatch(/^amq\.gen-/);
  });
});

describe('passive queue.declare', () => {
  it('returns the counts of an existing queue, whatever flags and arguments the passive declare carries', async () => {
    expect.hasAssertions();
    const { conn, ch } = await open();
    const q = qname('passive');
    await ch.assertQueue(q, { durable: true, arguments: { 'x-message-ttl': 60_000 } });
    await publish(conn, '', q, ['one']);
    // amqplib's checkQueue sends passive with durable=false and no arguments.
    expect(await ch.checkQueue(q)).toEqual({ queue: q, messageCount: 1, consumerCount: 0 });
  });

  it("fails for a missing queue with 404 NOT_FOUND \"no queue 'q' in vhost '/'\"", async () => {
    expect.hasAssertions();
    const { ch } = await open();
    const q = qname('missing');
    expect(await channelError(ch.checkQueue(q))).toEqual({ code: 404, classId: 50, methodId: 10, text: notFoundQueue(q) });
  });

  it('fails for a missing amq.-prefixed name with 404, not 403', async () => {
    expect.hasAssertions();
    const { ch } = await open();
    const q = `amq.${qname('reserved-passive')}`;
    expect(await channelError(ch.checkQueue(q))).toEqual({ code: 404, classId: 50, methodId: 10, text: notFoundQueue(q) });
  });

  it("does not apply the last-queue shortcut: an empty name is 404 \"no queue '' in vhost '/'\" even after a declare", async () => {
    expect.hasAssertions();
    const { ch } = await open();
    const q = qname('passive-empty');
    await ch.assertQueue(q, { durable: false });
    expect(await channelError(ch.checkQueue(''))).toEqual({ code: 404, classId: 50, methodId: 10, text: notFoundQueue('') });
  });
});

describe('queue.declare equivalence', () => {
  it.for([
    [false, true],
    [true, false],
  ] as const)(
    "refuses durable=%s then durable=%s with 406 \"inequivalent arg 'durable' … received '…' but current is '…'\"",
    async ([first, second]) => {
      expect.hasAssertions();
      const { ch } = await open();
      const q = qname('durable-mismatch');
      await ch.assertQueue(q, { durable: first });
      expect(await channelError(ch.assertQueue(q, { durable: second }))).toEqual({
        code: 406,
        classId: 50,
        methodId: 10,
        text: `PRECONDITION_FAILED - inequivalent arg 'durable' for queue '${q}' in vhost '/': received '${second}' but current is '${first}'`,
      });
    },
  );

  it.for([
    [false, true],
    [true, false],
  ] as const)("refuses auto_delete=%s then auto_delete=%s with 406 \"inequivalent arg 'auto_delete' …\"", async ([first, second]) => {
    expect.hasAssertions();
    const { ch } = await open();
    const q = qname('autodelete-mismatch');
    await ch.assertQueue(q, { durable: false, autoDelete: first });
    expect(await channelError(ch.assertQueue(q, { durable: false, autoDelete: second }))).toEqual({
      code: 406,
      classId: 50,
      methodId: 10,
      text: `PRECONDITION_FAILED - inequivalent arg 'auto_delete' for queue '${q}' in vhost '/': received '${second}' but current is '${first}'`,
    });
  });

  it("refuses x-message-ttl 2000 over 1000 with 406 \"received '2000' but current is '1000'\"", async () => {
    expect.hasAssertions();
    const { ch } = await open();
    const q = qname('ttl-mismatch');
    await ch.assertQueue(q, { durable: false, arguments: { 'x-message-ttl': 1000 } });
    expect(await channelError(ch.assertQueue(q, { durable: false, arguments: { 'x-message-ttl': 2000 } }))).toEqual({
      code: 406,
      classId: 50,
      methodId: 10,
      text: `PRECONDITION_FAILED - inequivalent arg 'x-message-ttl' for queue '${q}' in vhost '/': received '2000' but current is '1000'`,
    });
  });

  it.for([
    ['x-expires', 60_000, 70_000],
    ['x-max-length', 10, 20],
    ['x-max-length-bytes', 100_000, 200_000],
    ['x-dead-letter-exchange', 'a', 'b'],
    ['x-dead-letter-routing-key', 'a', 'b'], // with x-dead-letter-exchange 'dlx' in both (it needs one)
    ['x-max-priority', 5, 6],
  ] as const)("refuses %s %s then %s with 406 \"inequivalent arg …: received '…' but current is '…'\"", async ([arg, first, second]) => {
    expect.hasAssertions();
    const { ch } = await open();
    const q = qname('arg-mismatch');
    const base = arg === 'x-dead-letter-routing-key' ? { 'x-dead-letter-exchange': 'dlx' } : {};
    await ch.assertQueue(q, { durable: false, arguments: { ...base, [arg]: first } });
    expect(await channelError(ch.assertQueue(q, { durable: false, arguments: { ...base, [arg]: second } }))).toEqual({
      code: 406,
      classId: 50,
      methodId: 10,
      text: `PRECONDITION_FAILED - inequivalent arg '${arg}' for queue '${q}' in vhost '/': received '${second}' but current is '${first}'`,
    });
  });

  it("refuses x-message-ttl (short) when the queue has none: \"received the value '2000' of type 'short' but current is none\"", async () => {
    expect.hasAssertions();
    const { ch } = await open();
    const q = qname('ttl-added');
    await ch.assertQueue(q, { durable: false });
    expect(await channelError(ch.assertQueue(q, { durable: false, arguments: { 'x-message-ttl': 2000 } }))).toEqual({
      code: 406,
      classId: 50,
      methodId: 10,
      text: `PRECONDITION_FAILED - inequivalent arg 'x-message-ttl' for queue '${q}' in vhost '/': received the value '2000' of type 'short' but current is none`,
    });
  });

  it("refuses x-message-ttl (signedint) when the queue has none: \"received the value '1000' of type 'signedint' but current is none\"", async () => {
    expect.hasAssertions();
    const { ch } = await open();
    const q = qname('ttl-added-int');
    await ch.assertQueue(q, { durable: false });
    const ttl = { '!': 'int', value: 1000 }; // amqplib's escape hatch: field type 'I'
    expect(await channelError(ch.assertQueue(q, { durable: false, arguments: { 'x-message-ttl': ttl } }))).toEqual({
      code: 406,
      classId: 50,
      methodId: 10,
      text: `PRECONDITION_FAILED - inequivalent arg 'x-message-ttl' for queue '${q}' in vhost '/': received the value '1000' of type 'signedint' but current is none`,
    });
  });

  it("refuses a redeclare without x-message-ttl: \"received none but current is the value '100000' of type 'signedint'\"", async () => {
    expect.hasAssertions();
    const { ch } = await open();
    const q = qname('ttl-dropped');
    await ch.assertQueue(q, { durable: false, arguments: { 'x-message-ttl': 100_000 } }); // sent as 'I'
    expect(await channelError(ch.assertQueue(q, { durable: false }))).toEqual({
      code: 406,
      classId: 50,
      methodId: 10,
      text: `PRECONDITION_FAILED - inequivalent arg 'x-message-ttl' for queue '${q}' in vhost '/': received none but current is the value '100000' of type 'signedint'`,
    });
  });

  it("refuses a redeclare without x-dead-letter-exchange: \"received none but current is the value 'a' of type 'longstr'\"", async () => {
    expect.hasAssertions();
    const { ch } = await open();
    const q = qname('dlx-dropped');
    await ch.assertQueue(q, { durable: false, arguments: { 'x-dead-letter-exchange': 'a' } });
    expect(await channelError(ch.assertQueue(q, { durable: false }))).toEqual({
      code: 406,
      classId: 50,
      methodId: 10,
      text: `PRECONDITION_FAILED - inequivalent arg 'x-dead-letter-exchange' for queue '${q}' in vhost '/': received none but current is the value 'a' of type 'longstr'`,
    });
  });

  it('treats the same number in different integer field types as equivalent (short, signedint, long)', async () => {
    expect.hasAssertions();
    const { ch } = await open();
    const q = qname('ttl-int-types');
    await ch.assertQueue(q, { durable: false, arguments: { 'x-message-ttl': 1000 } }); // 's'
    for (const t of ['int', 'long'] as const) {
      expect(await ch.assertQueue(q, { durable: false, arguments: { 'x-message-ttl': { '!': t, value: 1000 } } })).toEqual({
        queue: q,
        messageCount: 0,
        consumerCount: 0,
      });
    }
  });

  it.for(['foo', 'x-foo'])('accepts a redeclare where the unknown argument %s differs or is missing', async (arg) => {
    expect.hasAssertions();
    const { ch } = await open();
    const q = qname('unknown-arg');
    await ch.assertQueue(q, { durable: false, arguments: { [arg]: 'one' } });
    expect(await ch.assertQueue(q, { durable: false, arguments: { [arg]: 'two' } })).toEqual({ queue: q, messageCount: 0, consumerCount: 0 });
    expect(await ch.assertQueue(q, { durable: false, arguments: { [arg]: 2 } })).toEqual({ queue: q, messageCount: 0, consumerCount: 0 });
    expect(await ch.assertQueue(q, { durable: false })).toEqual({ queue: q, messageCount: 0, consumerCount: 0 });
  });
});

describe('auto-delete queues', () => {
  it('keeps an auto-delete queue that never had a consumer (basic.get does not count)', async () => {
    expect.hasAssertions();
    const { conn, ch } = await open();
    const q = qname('ad-unused');
    await ch.assertQueue(q, { durable: false, autoDelete: true });
    await publish(conn, '', q, ['x']);
    const got = await ch.get(q, { noAck: true });
    expect(got).not.toBe(false);
    await sleep(300);
    expect(await ch.checkQueue(q)).toEqual({ queue: q, messageCount: 0, consumerCount: 0 });
  });

  it('keeps it while a consumer remains and deletes it when the last consumer cancels', async () => {
    expect.hasAssertions();
    const { conn, ch } = await open();
    const q = qname('ad-cancel');
    await ch.assertQueue(q, { durable: false, autoDelete: true });
    const a = await ch.consume(q, () => {});
    const b = await ch.consume(q, () => {});
    expect(await ch.checkQueue(q)).toEqual({ queue: q, messageCount: 0, consumerCount: 2 });
    await ch.cancel(a.consumerTag);
    await sleep(200);
    expect(await ch.checkQueue(q)).toEqual({ queue: q, messageCount: 0, consumerCount: 1 });
    await ch.cancel(b.consumerTag);
    await expectQueueGone(conn, q);
  });

  it("deletes it when its last consumer's channel closes", async () => {
    expect.hasAssertions();
    const { conn, ch } = await open();
    const q = qname('ad-close');
    await ch.assertQueue(q, { durable: false, autoDelete: true });
    const consumerCh = await channel(conn);
    await consumerCh.consume(q, () => {});
    expect((await ch.checkQueue(q)).consumerCount).toBe(1);
    await consumerCh.close();
    await expectQueueGone(conn, q);
  });
});

describe('queue.purge', () => {
  it('removes only ready messages and returns their count; unacked messages come back when their channel closes', async () => {
    expect.hasAssertions();
    const { conn, ch } = await open();
    const q = qname('purge');
    await ch.assertQueue(q, { durable: false });
    await publishN(conn, q, 3);
    const consumerCh = await channel(conn);
    const { first } = await consumeOneUnacked(consumerCh, q);
    expect(first.content.toString()).toBe('m0');
    expect(await ch.purgeQueue(q)).toEqual({ messageCount: 2 });
    expect(await ch.checkQueue(q)).toEqual({ queue: q, messageCount: 0, consumerCount: 1 });
    await consumerCh.close();
    const back = await eventually(async () => {
      const r = await ch.checkQueue(q);
      expect(r.messageCount).toBe(1);
      return r;
    });
    expect(back).toEqual({ queue: q, messageCount: 1, consumerCount: 0 });
    const again = await ch.get(q, { noAck: true });
    expect(again !== false && again.content.toString()).toBe('m0');
    expect(again !== false && again.fields.redelivered).toBe(true);
  });

  it('returns 0 for an empty queue', async () => {
    expect.hasAssertions();
    const { ch } = await open();
    const q = qname('purge-empty');
    await ch.assertQueue(q, { durable: false });
    expect(await ch.purgeQueue(q)).toEqual({ messageCount: 0 });
  });

  it("fails for a missing queue with 404 \"no queue 'q' in vhost '/'\"", async () => {
    expect.hasAssertions();
    const { ch } = await open();
    const q = qname('purge-missing');
    expect(await channelError(ch.purgeQueue(q))).toEqual({ code: 404, classId: 50, methodId: 30, text: notFoundQueue(q) });
  });
});

describe('queue.delete', () => {
  it('deletes the queue and returns its ready message count', async () => {
    expect.hasAssertions();
    const { conn, ch } = await open();
    const q = qname('delete');
    await ch.assertQueue(q, { durable: false });
    await publishN(conn, q, 3);
    expect(await ch.deleteQueue(q)).toEqual({ messageCount: 3 });
    await expectQueueGone(conn, q);
  });

  it('leaves unacknowledged messages out of the returned count', async () => {
    expect.hasAssertions();
    const { conn, ch } = await open();
    const q = qname('delete-unacked');
    await ch.assertQueue(q, { durable: false });
    await publishN(conn, q, 3);
    await consumeOneUnacked(await channel(conn), q);
    expect(await ch.deleteQueue(q)).toEqual({ messageCount: 2 });
  });

  it("refuses if-unused on a queue with a consumer: 406 \"queue 'q' in vhost '/' in use\", and keeps the queue", async () => {
    expect.hasAssertions();
    const { conn, ch } = await open();
    const q = qname('if-unused');
    await ch.assertQueue(q, { durable: false });
    const consumerCh = await channel(conn);
    await consumerCh.consume(q, () => {});
    expect(await channelError(ch.deleteQueue(q, { ifUnused: true }))).toEqual({
      code: 406,
      classId: 50,
      methodId: 40,
      text: `PRECONDITION_FAILED - queue '${q}' in vhost '/' in use`,
    });
    expect((await (await channel(conn)).checkQueue(q)).consumerCount).toBe(1);
  });

  it("refuses if-empty on a queue with messages: 406 \"queue 'q' in vhost '/' not empty\", and keeps the queue", async () => {
    expect.hasAssertions();
    const { conn, ch } = await open();
    const q = qname('if-empty');
    await ch.assertQueue(q, { durable: false });
    await publish(conn, '', q, ['x']);
    expect(await channelError(ch.deleteQueue(q, { ifEmpty: true }))).toEqual({
      code: 406,
      classId: 50,
      methodId: 40,
      text: `PRECONDITION_FAILED - queue '${q}' in vhost '/' not empty`,
    });
    expect((await (await channel(conn)).checkQueue(q)).messageCount).toBe(1);
  });

  it('deletes an unused, empty queue when if-unused and if-empty are both set', async () => {
    expect.hasAssertions();
    const { conn, ch } = await open();
    const q = qname('if-both');
    await ch.assertQueue(q, { durable: false });
    expect(await ch.deleteQueue(q, { ifUnused: true, ifEmpty: true })).toEqual({ messageCount: 0 });
    await expectQueueGone(conn, q);
  });

  it('succeeds with message_count 0 for a missing queue (also with if-unused and if-empty)', async () => {
    expect.hasAssertions();
    const { ch } = await open();
    expect(await ch.deleteQueue(qname('delete-missing'))).toEqual({ messageCount: 0 });
    expect(await ch.deleteQueue(qname('delete-missing'), { ifUnused: true, ifEmpty: true })).toEqual({ messageCount: 0 });
    // The channel is still open.
    expect((await ch.assertQueue('', { exclusive: true })).queue).toMatch(/^amq\.gen-/);
  });

  it('sends basic.cancel to the consumers of a deleted queue (amqplib calls the consumer with null)', async () => {
    expect.hasAssertions();
    const { ch } = await open();
    const other = await open();
    const q = qname('delete-consumers');
    await ch.assertQueue(q, { durable: false });
    const cancelled: string[] = [];
    const done = new Promise<void>((resolve) => {
      const onMsg = (tag: string) => (m: ConsumeMessage | null) => {
        if (m === null) {
          cancelled.push(tag);
          if (cancelled.length === 2) resolve();
        }
      };
      void ch.consume(q, onMsg('same-connection'), { consumerTag: 'c1' });
      void other.ch.consume(q, onMsg('other-connection'), { consumerTag: 'c2' });
    });
    await eventually(async () => expect((await ch.checkQueue(q)).consumerCount).toBe(2));
    const deleter = await channel(other.conn);
    expect(await deleter.deleteQueue(q)).toEqual({ messageCount: 0 });
    await done;
    expect(cancelled.sort()).toEqual(['other-connection', 'same-connection']);
    // The consumers' channels stay open.
    expect((await ch.assertQueue('', { exclusive: true })).queue).toMatch(/^amq\.gen-/);
    expect((await other.ch.assertQueue('', { exclusive: true })).queue).toMatch(/^amq\.gen-/);
  });
});

describe('queue.bind and queue.unbind', () => {
  it('routes through a binding and stops routing after unbind', async () => {
    expect.hasAssertions();
    const { conn, ch } = await open();
    const q = qname('bind');
    const x = xname('bind');
    await ch.assertExchange(x, 'direct', { durable: false });
    await ch.assertQueue(q, { durable: false });
    expect(await ch.bindQueue(q, x, 'k')).toEqual({});
    await publish(conn, x, 'k', ['bound']);
    expect((await ch.checkQueue(q)).messageCount).toBe(1);
    expect(await ch.unbindQueue(q, x, 'k')).toEqual({});
    await publish(conn, x, 'k', ['unbound']);
    expect((await ch.checkQueue(q)).messageCount).toBe(1);
  });

  it("fails for a missing exchange with 404 \"no exchange 'x' in vhost '/'\"", async () => {
    expect.hasAssertions();
    const { ch } = await open();
    const q = qname('bind-noex');
    const x = xname('missing');
    await ch.assertQueue(q, { durable: false });
    expect(await channelError(ch.bindQueue(q, x, 'k'))).toEqual({
      code: 404,
      classId: 50,
      methodId: 20,
      text: `NOT_FOUND - no exchange '${x}' in vhost '/'`,
    });
  });

  it("fails for a missing queue with 404 \"no queue 'q' in vhost '/'\"", async () => {
    expect.hasAssertions();
    const { ch } = await open();
    const q = qname('bind-noq');
    expect(await channelError(ch.bindQueue(q, 'amq.direct', 'k'))).toEqual({ code: 404, classId: 50, methodId: 20, text: notFoundQueue(q) });
  });

  it('names the exchange when both the exchange and the queue are missing', async () => {
    expect.hasAssertions();
    const { ch } = await open();
    const x = xname('missing');
    expect(await channelError(ch.bindQueue(qname('bind-none'), x, 'k'))).toEqual({
      code: 404,
      classId: 50,
      methodId: 20,
      text: `NOT_FOUND - no exchange '${x}' in vhost '/'`,
    });
  });

  it('answers unbind-ok for a binding that does not exist, even when the exchange or the queue is missing', async () => {
    expect.hasAssertions();
    const { ch } = await open();
    const q = qname('unbind');
    await ch.assertQueue(q, { durable: false });
    expect(await ch.unbindQueue(q, 'amq.direct', 'never-bound')).toEqual({});
    expect(await ch.unbindQueue(q, xname('missing'), 'k')).toEqual({});
    expect(await ch.unbindQueue(qname('missing'), 'amq.direct', 'k')).toEqual({});
    // The channel is still open.
    expect((await ch.checkQueue(q)).queue).toBe(q);
  });

  it('binds a durable queue to a non-durable exchange', async () => {
    expect.hasAssertions();
    const { conn, ch } = await open();
    const q = qname('durable-bind');
    const x = xname('transient');
    await ch.assertExchange(x, 'direct', { durable: false });
    await ch.assertQueue(q, { durable: true });
    expect(await ch.bindQueue(q, x, 'k')).toEqual({});
    await publish(conn, x, 'k', ['through a transient exchange']);
    const m = await ch.get(q, { noAck: true });
    expect(m !== false && m.content.toString()).toBe('through a transient exchange');
  });
});

describe("an empty queue name means the channel's last declared queue", () => {
  it('basic.get with an empty name gets from the queue last declared on the channel', async () => {
    expect.hasAssertions();
    const { conn, ch } = await open();
    const q = qname('get-shortcut');
    await ch.assertQueue(q, { durable: false });
    await publish(conn, '', q, ['via shortcut']);
    const m = await ch.get('', { noAck: true });
    expect(m !== false && m.content.toString()).toBe('via shortcut');
    expect((await ch.checkQueue(q)).messageCount).toBe(0);
  });

  it('queue.bind with an empty name binds the last declared (server-named) queue', async () => {
    expect.hasAssertions();
    const { conn, ch } = await open();
    const { queue } = await ch.assertQueue('', { exclusive: true });
    const x = xname('shortcut');
    await ch.assertExchange(x, 'fanout', { durable: false });
    expect(await ch.bindQueue('', x, '')).toEqual({});
    await publish(conn, x, '', ['fanned']);
    const m = await ch.get(queue, { noAck: true });
    expect(m !== false && m.content.toString()).toBe('fanned');
  });

  it('queue.purge and queue.delete with an empty name act on the last declared queue', async () => {
    expect.hasAssertions();
    const { conn, ch } = await open();
    const q = qname('purge-delete-shortcut');
    await ch.assertQueue(q, { durable: false });
    await publishN(conn, q, 2);
    expect(await ch.purgeQueue('')).toEqual({ messageCount: 2 });
    await publish(conn, '', q, ['one more']);
    expect(await ch.deleteQueue('')).toEqual({ messageCount: 1 });
    await expectQueueGone(conn, q);
  });

  it('a passive declare of an existing queue also sets the last declared queue', async () => {
    expect.hasAssertions();
    const { conn, ch } = await open();
    const q = qname('passive-shortcut');
    await (await channel(conn)).assertQueue(q, { durable: false });
    await ch.checkQueue(q);
    await publish(conn, '', q, ['after passive']);
    const m = await ch.get('', { noAck: true });
    expect(m !== false && m.content.toString()).toBe('after passive');
  });

  it.for([
    ['queue.bind', 50, 20, (ch: Channel) => ch.bindQueue('', 'amq.direct', 'k')],
    ['queue.unbind', 50, 50, (ch: Channel) => ch.unbindQueue('', 'amq.direct', 'k')],
    ['queue.purge', 50, 30, (ch: Channel) => ch.purgeQueue('')],
    ['queue.delete', 50, 40, (ch: Channel) => ch.deleteQueue('')],
    ['basic.get', 60, 70, (ch: Channel) => ch.get('')],
    ['basic.consume', 60, 20, (ch: Channel) => ch.consume('', () => {})],
  ] as const)(
    '%s with an empty name and no queue declared on the channel: 404 "no previously declared queue"',
    async ([, classId, methodId, op]) => {
      expect.hasAssertions();
      const { ch } = await open();
      expect(await channelError(op(ch))).toEqual({ code: 404, classId, methodId, text: NO_PREVIOUS });
    },
  );

  it('is per channel: a declare on another channel does not count', async () => {
    expect.hasAssertions();
    const { conn, ch } = await open();
    await (await channel(conn)).assertQueue(qname('other-channel'), { durable: false });
    expect(await channelError(ch.get(''))).toEqual({ code: 404, classId: 60, methodId: 70, text: NO_PREVIOUS });
  });

  it('still names the queue after it was deleted: 404 "no queue \'q\' in vhost \'/\'"', async () => {
    expect.hasAssertions();
    const { ch } = await open();
    const q = qname('deleted-shortcut');
    await ch.assertQueue(q, { durable: false });
    await ch.deleteQueue(q);
    expect(await channelError(ch.get(''))).toEqual({ code: 404, classId: 60, methodId: 70, text: notFoundQueue(q) });
  });
});
