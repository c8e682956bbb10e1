// Exchanges over amqplib (and the raw client where amqplib hides the wire): exchange.declare and
// exchange.delete with their errors, auto-delete and internal exchanges, queue.bind/unbind
// errors, direct, fanout and default-exchange routing, and mandatory publishing (basic.return),
// with and without publisher confirms. Every reply code and text is what RabbitMQ 3.10 sends.
import { randomUUID } from 'node:crypto';
import type { Channel, ConsumeMessage } from 'amqplib';
import { afterEach, describe, expect, it } from 'vitest';
import { connect, uniqueName } from '../support/amqp.js';
import { channel, confirmChannel, open, sleep, type AmqpError } from '../support/fixtures.js';
import { args, destroyAllRaw, rawConnect } from '../support/raw.js';
import {
  VHOST,
  cleanUpExchanges,
  declareExchange,
  drainToMarker,
  exchangeExists,
  exchangeName,
  exchangesToDelete,
  expectReply,
  refused,
  replyText,
  returnFields,
  type ReturnFields,
  tempQueue,
} from '../support/routing.js';

// Exchanges a case declared are deleted after it (queues are exclusive, so they go with the connection).
afterEach(async () => {
  destroyAllRaw();
  await cleanUpExchanges();
});

/** The next channel.close the broker sends on ch (as amqplib's 'error' event). */
function nextChannelError(ch: Channel): Promise<AmqpError> {
  return new Promise((resolve) => ch.once('error', (e: AmqpError) => resolve(e)));
}

describe('exchange.declare', () => {
  it.for(['direct', 'fanout', 'topic', 'headers'])('declares a %s exchange that a passive declare then finds', async (type) => {
    expect.hasAssertions();
    const { ch } = await open();
    const name = exchangeName(`ex.${type}`);
    await expect(ch.assertExchange(name, type, { durable: false })).resolves.toEqual({ exchange: name });
    await expect(ch.checkExchange(name)).resolves.toBeDefined();
  });

  it('accepts a redeclaration with the same type and flags', async () => {
    expect.hasAssertions();
    const { ch } = await open();
    const name = await declareExchange(ch, 'topic', { durable: true, autoDelete: false, internal: false });
    await expect(ch.assertExchange(name, 'topic', { durable: true, autoDelete: false, internal: false })).resolves.toEqual({ exchange: name });
  });

  it("refuses a passive declare of a missing exchange with 404 NOT_FOUND - no exchange '…' in vhost '/'", async () => {
    expect.hasAssertions();
    const { conn, ch } = await open();
    const name = uniqueName('missing');
    const e = await refused(ch.checkExchange(name));
    expectReply(e, 404, `NOT_FOUND - no exchange '${name}' ${VHOST}`, 40, 10);
    // A channel error: the connection and its other channels carry on.
    const ch2 = await channel(conn);
    await expect(ch2.checkExchange('amq.direct')).resolves.toBeDefined();
  });

  // [reply-text arg name, current value, redeclared value]
  it.for([
    ['type', 'direct', 'fanout'],
    ['durable', 'false', 'true'],
    ['durable', 'true', 'false'],
    ['auto_delete', 'false', 'true'],
    ['auto_delete', 'true', 'false'],
    ['internal', 'false', 'true'],
    ['internal', 'true', 'false'],
  ] as const)("refuses a redeclaration changing %s from %s to %s with 406 PRECONDITION_FAILED - inequivalent arg '…'", async ([arg, from, to]) => {
    expect.hasAssertions();
    const { conn, ch } = await open();
    const props = (v: string) => {
      const p = { type: 'direct', durable: false, autoDelete: false, internal: false };
      if (arg === 'type') p.type = v;
      if (arg === 'durable') p.durable = v === 'true';
      if (arg === 'auto_delete') p.autoDelete = v === 'true';
      if (arg === 'internal') p.internal = v === 'true';
      return p;
    };
    const f = props(from);
    const s = props(to);
    const name = exchangeName('ex.inequivalent');
    const q = await tempQueue(ch); // keeps an auto-delete exchange alive while the case runs
    await ch.assertExchange(name, f.type, { durable: f.durable, autoDelete: f.autoDelete, internal: f.internal });
    await ch.bindQueue(q, name, 'k');
    const e = await refused(ch.assertExchange(name, s.type, { durable: s.durable, autoDelete: s.autoDelete, internal: s.internal }));
    expectReply(e, 406, `PRECONDITION_FAILED - inequivalent arg '${arg}' for exchange '${name}' ${VHOST}: received '${to}' but current is '${from}'`, 40, 10);
    // The exchange is unchanged.
    const ch2 = await channel(conn);
    await expect(ch2.assertExchange(name, f.type, { durable: f.durable, autoDelete: f.autoDelete, internal: f.internal })).resolves.toBeDefined();
  });

  it("refuses a redeclaration adding an alternate-exchange with 406 inequivalent arg 'alternate-exchange'", async () => {
    expect.hasAssertions();
    const { ch } = await open();
    const name = await declareExchange(ch, 'direct');
    const e = await refused(ch.assertExchange(name, 'direct', { durable: false, alternateExchange: 'some-ae' }));
    expectReply(
      e,
      406,
      `PRECONDITION_FAILED - inequivalent arg 'alternate-exchange' for exchange '${name}' ${VHOST}: received the value 'some-ae' of type 'longstr' but current is none`,
      40,
      10,
    );
  });

  it('accepts a redeclaration that differs only in arguments RabbitMQ does not compare (x-whatever)', async () => {
    expect.hasAssertions();
    const { ch } = await open();
    const name = await declareExchange(ch, 'direct');
    await expect(ch.assertExchange(name, 'direct', { durable: false, arguments: { 'x-whatever': 'yes', other: 1 } })).resolves.toEqual({
      exchange: name,
    });
  });

  it.for(['amq.custom', 'amq.', 'amq.direct.mine'])(
    "refuses to declare a new exchange named %s with 403 ACCESS_REFUSED - exchange name '…' contains reserved prefix 'amq.*'",
    async (prefix) => {
      expect.hasAssertions();
      const { conn, ch } = await open();
      const name = prefix === 'amq.' ? prefix : `${prefix}.${randomUUID()}`;
      exchangesToDelete.add(name);
      const e = await refused(ch.assertExchange(name, 'direct', { durable: false }));
      expectReply(e, 403, `ACCESS_REFUSED - exchange name '${name}' contains reserved prefix 'amq.*'`, 40, 10);
      expect(await exchangeExists(conn, name)).toBe(false);
    },
  );

  it("answers a passive declare of a missing amq.* exchange with 404 NOT_FOUND, not 403", async () => {
    expect.hasAssertions();
    const { ch } = await open();
    const name = `amq.missing.${randomUUID()}`;
    const e = await refused(ch.checkExchange(name));
    expectReply(e, 404, `NOT_FOUND - no exchange '${name}' ${VHOST}`, 40, 10);
  });

  it('treats the amq. prefix case-sensitively: AMQ.x can be declared', async () => {
    expect.hasAssertions();
    const { ch } = await open();
    const name = `AMQ.${randomUUID()}`;
    exchangesToDelete.add(name);
    await expect(ch.assertExchange(name, 'direct', { durable: false })).resolves.toEqual({ exchange: name });
    await expect(ch.checkExchange(name)).resolves.toBeDefined();
  });

  it.for(['amq.direct', 'amq.fanout', 'amq.topic', 'amq.headers', 'amq.match'])('has the predeclared exchange %s (passive declare)', async (name) => {
    expect.hasAssertions();
    const { ch } = await open();
    await expect(ch.checkExchange(name)).resolves.toBeDefined();
  });

  it.for([
    ['amq.direct', 'direct'],
    ['amq.fanout', 'fanout'],
    ['amq.topic', 'topic'],
    ['amq.headers', 'headers'],
    ['amq.match', 'headers'],
  ] as const)('accepts a redeclaration of %s with its own type (%s), durable', async ([name, type]) => {
    expect.hasAssertions();
    const { ch } = await open();
    await expect(ch.assertExchange(name, type, { durable: true, autoDelete: false, internal: false })).resolves.toEqual({ exchange: name });
  });

  it.for([
    ['amq.direct', 'direct', 'fanout'],
    ['amq.fanout', 'fanout', 'direct'],
    ['amq.topic', 'topic', 'direct'],
    ['amq.headers', 'headers', 'topic'],
    ['amq.match', 'headers', 'direct'],
  ] as const)("refuses to redeclare %s (a %s exchange) as %s with 406 inequivalent arg 'type'", async ([name, type, wrong]) => {
    expect.hasAssertions();
    const { ch } = await open();
    const e = await refused(ch.assertExchange(name, wrong, { durable: true }));
    expectReply(e, 406, `PRECONDITION_FAILED - inequivalent arg 'type' for exchange '${name}' ${VHOST}: received '${wrong}' but current is '${type}'`, 40, 10);
  });

  it("refuses to redeclare amq.direct as non-durable with 406 inequivalent arg 'durable'", async () => {
    expect.hasAssertions();
    const { ch } = await open();
    const e = await refused(ch.assertExchange('amq.direct', 'direct', { durable: false }));
    expectReply(e, 406, `PRECONDITION_FAILED - inequivalent arg 'durable' for exchange 'amq.direct' ${VHOST}: received 'false' but current is 'true'`, 40, 10);
  });

  it('refuses to declare the default exchange "" with 403 ACCESS_REFUSED - operation not permitted on the default exchange', async () => {
    expect.hasAssertions();
    const { ch } = await open();
    const e = await refused(ch.assertExchange('', 'direct', { durable: true }));
    expectReply(e, 403, 'ACCESS_REFUSED - operation not permitted on the default exchange', 40, 10);
  });

  it('refuses a passive declare of the default exchange "" with 403 ACCESS_REFUSED', async () => {
    expect.hasAssertions();
    const { ch } = await open();
    const e = await refused(ch.checkExchange(''));
    expectReply(e, 403, 'ACCESS_REFUSED - operation not permitted on the default exchange', 40, 10);
  });

  it("closes the connection with 503 COMMAND_INVALID - unknown exchange type '…' for an unknown type (amqplib)", async () => {
    expect.hasAssertions();
    const { conn, ch } = await open();
    const closed = new Promise<Error | undefined>((resolve) => conn.once('close', (e?: Error) => resolve(e)));
    const name = exchangeName('ex.bogus');
    await expect(ch.assertExchange(name, 'no-such-type', { durable: false })).rejects.toThrow();
    const err = await closed;
    expect(err).toBeInstanceOf(Error);
    expect((err as AmqpError).code).toBe(503);
    expect(replyText(err!)).toBe("COMMAND_INVALID - unknown exchange type 'no-such-type'");
    const { conn: other } = await open();
    expect(await exchangeExists(other, name)).toBe(false);
  });

  it('sends connection.close 503 COMMAND_INVALID, class 40 method 10, for an unknown exchange type', async () => {
    expect.hasAssertions();
    const c = await rawConnect();
    await c.openChannel(1);
    const name = exchangeName('ex.bogus');
    // exchange.declare: reserved-1, exchange, type, passive/durable/auto-delete/internal/no-wait, arguments
    c.sendMethod(1, 40, 10, args().short(0).shortstr(name).shortstr('x-unknown').bits(false, false, false, false, false).table({}).build());
    const close = await c.expectConnectionClose(5_000);
    expect(close).toEqual({ replyCode: 503, replyText: "COMMAND_INVALID - unknown exchange type 'x-unknown'", classId: 40, methodId: 10 });
    await expect(c.waitForClose(5_000)).resolves.toBeUndefined();
    const { conn } = await open();
    expect(await exchangeExists(conn, name)).toBe(false);
  });

  it('checks the type before looking at an existing exchange: redeclaring amq.direct with an unknown type is 503', async () => {
    expect.hasAssertions();
    const { conn, ch } = await open();
    const closed = new Promise<Error | undefined>((resolve) => conn.once('close', (e?: Error) => resolve(e)));
    // A name no broker knows: RabbitMQ says "invalid" instead of "unknown" for names that happen to be Erlang atoms
    // already (such as 'bogus'), which depends on what the node has seen.
    await expect(ch.assertExchange('amq.direct', 'no-such-exchange-type', { durable: true })).rejects.toThrow();
    const err = await closed;
    expect((err as AmqpError).code).toBe(503);
    expect(replyText(err!)).toBe("COMMAND_INVALID - unknown exchange type 'no-such-exchange-type'");
  });
});

describe('auto-delete exchanges', () => {
  it('keeps an auto-delete exchange that has never had a binding', async () => {
    expect.hasAssertions();
    const { conn, ch } = await open();
    const name = await declareExchange(ch, 'direct', { autoDelete: true });
    await sleep(200);
    expect(await exchangeExists(conn, name)).toBe(true);
  });

  it('keeps an auto-delete exchange while a binding remains, and deletes it when the last queue binding is removed', async () => {
    expect.hasAssertions();
    const { conn, ch } = await open();
    const name = await declareExchange(ch, 'direct', { autoDelete: true });
    const q1 = await tempQueue(ch);
    const q2 = await tempQueue(ch);
    await ch.bindQueue(q1, name, 'a');
    await ch.bindQueue(q2, name, 'b');
    await ch.unbindQueue(q1, name, 'a');
    expect(await exchangeExists(conn, name)).toBe(true);
    await ch.unbindQueue(q2, name, 'b');
    expect(await exchangeExists(conn, name)).toBe(false);
  });

  it('deletes an auto-delete exchange when the last queue bound to it is deleted', async () => {
    expect.hasAssertions();
    const { conn, ch } = await open();
    const name = await declareExchange(ch, 'fanout', { autoDelete: true });
    const q = await tempQueue(ch);
    await ch.bindQueue(q, name, '');
    expect(await exchangeExists(conn, name)).toBe(true);
    await ch.deleteQueue(q);
    expect(await exchangeExists(conn, name)).toBe(false);
  });
});

describe('internal exchanges', () => {
  it("refuses a publish to an internal exchange: channel.close 403 ACCESS_REFUSED - cannot publish to internal exchange '…', class 60 method 40", async () => {
    expect.hasAssertions();
    const { conn, ch } = await open();
    const name = await declareExchange(ch, 'fanout', { internal: true });
    const q = await tempQueue(ch);
    await ch.bindQueue(q, name, '');
    const err = nextChannelError(ch);
    ch.publish(name, '', Buffer.from('refused'));
    expectReply(await err, 403, `ACCESS_REFUSED - cannot publish to internal exchange '${name}' ${VHOST}`, 60, 40);
    const ch2 = await channel(conn);
    expect(await drainToMarker(ch2, q)).toEqual([]);
  });

  it('has the firehose exchange amq.rabbitmq.trace (a topic exchange) and refuses publishes to it as internal', async () => {
    expect.hasAssertions();
    const { ch } = await open();
    await ch.checkExchange('amq.rabbitmq.trace');
    const err = nextChannelError(ch);
    ch.publish('amq.rabbitmq.trace', 'publish.x', Buffer.from('refused'));
    expectReply(await err, 403, `ACCESS_REFUSED - cannot publish to internal exchange 'amq.rabbitmq.trace' ${VHOST}`, 60, 40);
  });
});

describe('publishing to a missing exchange', () => {
  it("closes the channel with 404 NOT_FOUND - no exchange '…' in vhost '/', class 60 method 40; the connection stays open", async () => {
    expect.hasAssertions();
    const { conn, ch } = await open();
    const name = uniqueName('missing');
    const err = nextChannelError(ch);
    ch.publish(name, 'k', Buffer.from('lost'));
    expectReply(await err, 404, `NOT_FOUND - no exchange '${name}' ${VHOST}`, 60, 40);
    const ch2 = await channel(conn);
    await expect(ch2.checkExchange('amq.direct')).resolves.toBeDefined();
  });

  it('refuses a mandatory publish to a missing exchange the same way (404, no basic.return)', async () => {
    expect.hasAssertions();
    const { ch } = await open();
    const returned: unknown[] = [];
    ch.on('return', (m: ConsumeMessage) => returned.push(m.fields));
    const name = uniqueName('missing');
    const err = nextChannelError(ch);
    ch.publish(name, 'k', Buffer.from('lost'), { mandatory: true });
    expectReply(await err, 404, `NOT_FOUND - no exchange '${name}' ${VHOST}`, 60, 40);
    expect(returned).toEqual([]);
  });
});

describe('exchange.delete', () => {
  it('deletes an exchange: a passive declare then fails with 404', async () => {
    expect.hasAssertions();
    const { conn, ch } = await open();
    const name = await declareExchange(ch, 'direct');
    await expect(ch.deleteExchange(name)).resolves.toBeDefined();
    expect(await exchangeExists(conn, name)).toBe(false);
  });

  it('removes the deleted exchange\'s bindings: a new exchange of the same name routes nowhere', async () => {
    expect.hasAssertions();
    const { ch } = await open();
    const name = await declareExchange(ch, 'direct');
    const q = await tempQueue(ch);
    await ch.bindQueue(q, name, 'k');
    await ch.deleteExchange(name);
    await ch.assertExchange(name, 'direct', { durable: false });
    ch.publish(name, 'k', Buffer.from('after re-create'));
    expect(await drainToMarker(ch, q)).toEqual([]);
  });

  it("refuses if-unused on an exchange with a queue binding: 406 PRECONDITION_FAILED - exchange '…' in vhost '/' in use, class 40 method 20", async () => {
    expect.hasAssertions();
    const { conn, ch } = await open();
    const name = await declareExchange(ch, 'direct');
    const q = await tempQueue(ch);
    await ch.bindQueue(q, name, 'k');
    const e = await refused(ch.deleteExchange(name, { ifUnused: true }));
    expectReply(e, 406, `PRECONDITION_FAILED - exchange '${name}' ${VHOST} in use`, 40, 20);
    // Neither the exchange nor its binding is touched.
    const ch2 = await channel(conn);
    ch2.publish(name, 'k', Buffer.from('still bound'));
    expect(await drainToMarker(ch2, q)).toEqual(['still bound']);
  });

  it('deletes with if-unused an exchange that has no bindings', async () => {
    expect.hasAssertions();
    const { conn, ch } = await open();
    const name = await declareExchange(ch, 'fanout');
    await expect(ch.deleteExchange(name, { ifUnused: true })).resolves.toBeDefined();
    expect(await exchangeExists(conn, name)).toBe(false);
  });

  it('deletes with if-unused an exchange whose bindings have all been removed', async () => {
    expect.hasAssertions();
    const { conn, ch } = await open();
    const name = await declareExchange(ch, 'direct');
    const q = await tempQueue(ch);
    await ch.bindQueue(q, name, 'k');
    await ch.unbindQueue(q, name, 'k');
    await expect(ch.deleteExchange(name, { ifUnused: true })).resolves.toBeDefined();
    expect(await exchangeExists(conn, name)).toBe(false);
  });

  it.for([false, true])('succeeds deleting a missing exchange (if-unused %s)', async (ifUnused) => {
    expect.hasAssertions();
    const { ch } = await open();
    await expect(ch.deleteExchange(uniqueName('missing'), { ifUnused })).resolves.toBeDefined();
    await expect(ch.checkExchange('amq.direct')).resolves.toBeDefined();
  });

  it('refuses to delete the default exchange "" with 403 ACCESS_REFUSED - operation not permitted on the default exchange', async () => {
    expect.hasAssertions();
    const { ch } = await open();
    const e = await refused(ch.deleteExchange(''));
    expectReply(e, 403, 'ACCESS_REFUSED - operation not permitted on the default exchange', 40, 20);
  });

  it.for(['amq.direct', 'amq.fanout', 'amq.topic', 'amq.headers', 'amq.match'])(
    "refuses to delete %s with 403 ACCESS_REFUSED - deletion of system exchange '…' in vhost '/' not allowed",
    async (name) => {
      expect.hasAssertions();
      const { conn, ch } = await open();
      const e = await refused(ch.deleteExchange(name));
      expectReply(e, 403, `ACCESS_REFUSED - deletion of system exchange '${name}' ${VHOST} not allowed`, 40, 20);
      expect(await exchangeExists(conn, name)).toBe(true);
    },
  );

  it('refuses to delete a missing amq.* exchange with the same 403 (the name is checked first)', async () => {
    expect.hasAssertions();
    const { ch } = await open();
    const name = `amq.missing.${randomUUID()}`;
    const e = await refused(ch.deleteExchange(name));
    expectReply(e, 403, `ACCESS_REFUSED - deletion of system exchange '${name}' ${VHOST} not allowed`, 40, 20);
  });
});

describe('queue.bind and queue.unbind errors', () => {
  it('refuses to bind a queue to the default exchange with 403 ACCESS_REFUSED, class 50 method 20', async () => {
    expect.hasAssertions();
    const { ch } = await open();
    const q = await tempQueue(ch);
    const e = await refused(ch.bindQueue(q, '', 'k'));
    expectReply(e, 403, 'ACCESS_REFUSED - operation not permitted on the default exchange', 50, 20);
  });

  it('refuses to unbind a queue from the default exchange with 403 ACCESS_REFUSED, class 50 method 50', async () => {
    expect.hasAssertions();
    const { ch } = await open();
    const q = await tempQueue(ch);
    const e = await refused(ch.unbindQueue(q, '', q));
    expectReply(e, 403, 'ACCESS_REFUSED - operation not permitted on the default exchange', 50, 50);
  });

  it("refuses to bind to a missing exchange with 404 NOT_FOUND - no exchange '…'", async () => {
    expect.hasAssertions();
    const { ch } = await open();
    const q = await tempQueue(ch);
    const name = uniqueName('missing');
    const e = await refused(ch.bindQueue(q, name, 'k'));
    expectReply(e, 404, `NOT_FOUND - no exchange '${name}' ${VHOST}`, 50, 20);
  });

  it("refuses to bind a missing queue with 404 NOT_FOUND - no queue '…'", async () => {
    expect.hasAssertions();
    const { ch } = await open();
    const name = uniqueName('missing-queue');
    const e = await refused(ch.bindQueue(name, 'amq.direct', 'k'));
    expectReply(e, 404, `NOT_FOUND - no queue '${name}' ${VHOST}`, 50, 20);
  });

  it('accepts unbinding a binding that does not exist', async () => {
    expect.hasAssertions();
    const { ch } = await open();
    const q = await tempQueue(ch);
    await expect(ch.unbindQueue(q, 'amq.direct', `never-bound-${randomUUID()}`)).resolves.toBeDefined();
    await expect(ch.checkExchange('amq.direct')).resolves.toBeDefined();
  });

  it('accepts unbinding from a missing exchange, and unbinding a missing queue', async () => {
    expect.hasAssertions();
    const { ch } = await open();
    const q = await tempQueue(ch);
    await expect(ch.unbindQueue(q, uniqueName('missing'), 'k')).resolves.toBeDefined();
    await expect(ch.unbindQueue(uniqueName('missing-queue'), 'amq.direct', 'k')).resolves.toBeDefined();
    await expect(ch.checkExchange('amq.direct')).resolves.toBeDefined();
  });
});

describe('direct routing', () => {
  it('routes to the queues whose binding key equals the routing key exactly (case-sensitive, no prefix match)', async () => {
    expect.hasAssertions();
    const { ch } = await open();
    const x = await declareExchange(ch, 'direct');
    const q = await tempQueue(ch);
    await ch.bindQueue(q, x, 'orders.created');
    for (const key of ['orders.created', 'orders', 'Orders.created', 'orders.created.eu', 'orders.*', '#', '']) {
      ch.publish(x, key, Buffer.from(key));
    }
    expect(await drainToMarker(ch, q)).toEqual(['orders.created']);
  });

  it('gives every queue bound with the routing key its own copy', async () => {
    expect.hasAssertions();
    const { ch } = await open();
    const x = await declareExchange(ch, 'direct');
    const [q1, q2, q3] = [await tempQueue(ch), await tempQueue(ch), await tempQueue(ch)];
    await ch.bindQueue(q1!, x, 'k');
    await ch.bindQueue(q2!, x, 'k');
    await ch.bindQueue(q3!, x, 'other');
    ch.publish(x, 'k', Buffer.from('m'));
    expect(await drainToMarker(ch, q1!)).toEqual(['m']);
    expect(await drainToMarker(ch, q2!)).toEqual(['m']);
    expect(await drainToMarker(ch, q3!)).toEqual([]);
  });

  it('routes on the empty routing key to a queue bound with the empty key', async () => {
    expect.hasAssertions();
    const { ch } = await open();
    const x = await declareExchange(ch, 'direct');
    const q = await tempQueue(ch);
    await ch.bindQueue(q, x, '');
    ch.publish(x, '', Buffer.from('empty'));
    ch.publish(x, 'k', Buffer.from('k'));
    expect(await drainToMarker(ch, q)).toEqual(['empty']);
  });

  it('routes to a queue bound under two keys with either key; binding the same key twice still gives one copy', async () => {
    expect.hasAssertions();
    const { ch } = await open();
    const x = await declareExchange(ch, 'direct');
    const q = await tempQueue(ch);
    await ch.bindQueue(q, x, 'a');
    await ch.bindQueue(q, x, 'b');
    await ch.bindQueue(q, x, 'a');
    ch.publish(x, 'a', Buffer.from('a'));
    ch.publish(x, 'b', Buffer.from('b'));
    ch.publish(x, 'c', Buffer.from('c'));
    expect(await drainToMarker(ch, q)).toEqual(['a', 'b']);
  });

  it('stops routing a key once its binding is removed, and keeps the other bindings', async () => {
    expect.hasAssertions();
    const { ch } = await open();
    const x = await declareExchange(ch, 'direct');
    const q = await tempQueue(ch);
    await ch.bindQueue(q, x, 'a');
    await ch.bindQueue(q, x, 'b');
    await ch.unbindQueue(q, x, 'a');
    ch.publish(x, 'a', Buffer.from('a'));
    ch.publish(x, 'b', Buffer.from('b'));
    expect(await drainToMarker(ch, q)).toEqual(['b']);
  });

  it('routes through the predeclared amq.direct', async () => {
    expect.hasAssertions();
    const { ch } = await open();
    const q = await tempQueue(ch);
    const key = `key-${randomUUID()}`;
    await ch.bindQueue(q, 'amq.direct', key);
    ch.publish('amq.direct', key, Buffer.from('via amq.direct'));
    expect(await drainToMarker(ch, q)).toEqual(['via amq.direct']);
    await ch.unbindQueue(q, 'amq.direct', key);
  });
});

describe('fanout routing', () => {
  it('ignores the routing key and binding key: every bound queue gets a copy', async () => {
    expect.hasAssertions();
    const { ch } = await open();
    const x = await declareExchange(ch, 'fanout');
    const q1 = await tempQueue(ch);
    const q2 = await tempQueue(ch);
    await ch.bindQueue(q1, x, 'some-key');
    await ch.bindQueue(q2, x, '');
    ch.publish(x, 'another-key', Buffer.from('1'));
    ch.publish(x, '', Buffer.from('2'));
    expect(await drainToMarker(ch, q1)).toEqual(['1', '2']);
    expect(await drainToMarker(ch, q2)).toEqual(['1', '2']);
  });

  it('delivers one copy to a queue bound several times under different keys', async () => {
    expect.hasAssertions();
    const { ch } = await open();
    const x = await declareExchange(ch, 'fanout');
    const q = await tempQueue(ch);
    await ch.bindQueue(q, x, 'a');
    await ch.bindQueue(q, x, 'b');
    await ch.bindQueue(q, x, 'c');
    ch.publish(x, 'a', Buffer.from('once'));
    expect(await drainToMarker(ch, q)).toEqual(['once']);
  });

  it('keeps routing to a queue while one of its bindings remains, and stops when all are removed', async () => {
    expect.hasAssertions();
    const { ch } = await open();
    const x = await declareExchange(ch, 'fanout');
    const q = await tempQueue(ch);
    await ch.bindQueue(q, x, 'a');
    await ch.bindQueue(q, x, 'b');
    await ch.unbindQueue(q, x, 'a');
    ch.publish(x, 'a', Buffer.from('1'));
    await ch.unbindQueue(q, x, 'b');
    ch.publish(x, 'a', Buffer.from('2'));
    expect(await drainToMarker(ch, q)).toEqual(['1']);
  });
});

describe('the default exchange', () => {
  it('routes to the queue named by the routing key, with no explicit binding', async () => {
    expect.hasAssertions();
    const { ch } = await open();
    const q1 = await tempQueue(ch);
    const q2 = await tempQueue(ch);
    ch.publish('', q1, Buffer.from('for q1'));
    ch.publish('', q2, Buffer.from('for q2'));
    expect(await drainToMarker(ch, q1)).toEqual(['for q1']);
    expect(await drainToMarker(ch, q2)).toEqual(['for q2']);
  });

  it('silently drops a non-mandatory message for a queue that does not exist; the channel stays open', async () => {
    expect.hasAssertions();
    const { ch } = await open();
    const errors: Error[] = [];
    ch.on('error', (e: Error) => errors.push(e));
    ch.publish('', uniqueName('no-such-queue'), Buffer.from('dropped'));
    await expect(ch.checkExchange('amq.direct')).resolves.toBeDefined();
    expect(errors).toEqual([]);
  });
});

describe('mandatory publishing', () => {
  /** Collects basic.return frames; a checkExchange round trip afterwards shows none is still coming. */
  function returns(ch: Channel): Array<{ fields: ReturnFields; body: string; properties: ConsumeMessage['properties'] }> {
    const got: Array<{ fields: ReturnFields; body: string; properties: ConsumeMessage['properties'] }> = [];
    ch.on('return', (m: ConsumeMessage) => got.push({ fields: returnFields(m), body: m.content.toString(), properties: m.properties }));
    return got;
  }

  it('returns an unroutable mandatory message with basic.return 312 NO_ROUTE, its exchange, routing key, body and properties', async () => {
    expect.hasAssertions();
    const { ch } = await open();
    const got = returns(ch);
    const x = await declareExchange(ch, 'direct');
    ch.publish(x, 'nowhere', Buffer.from('bounce'), { mandatory: true, messageId: 'm-1', headers: { h: 'v' }, contentType: 'text/plain' });
    await ch.checkExchange(x);
    expect(got).toHaveLength(1);
    expect(got[0]!.fields).toEqual({ replyCode: 312, replyText: 'NO_ROUTE', exchange: x, routingKey: 'nowhere' });
    expect(got[0]!.body).toBe('bounce');
    expect(got[0]!.properties).toMatchObject({ messageId: 'm-1', headers: { h: 'v' }, contentType: 'text/plain' });
  });

  it('returns a mandatory message sent to a fanout exchange with no bindings', async () => {
    expect.hasAssertions();
    const { ch } = await open();
    const got = returns(ch);
    const x = await declareExchange(ch, 'fanout');
    ch.publish(x, 'any', Buffer.from('bounce'), { mandatory: true });
    await ch.checkExchange(x);
    expect(got.map((r) => r.fields)).toEqual([{ replyCode: 312, replyText: 'NO_ROUTE', exchange: x, routingKey: 'any' }]);
  });

  it('returns a mandatory message sent through the default exchange to a missing queue, naming exchange ""', async () => {
    expect.hasAssertions();
    const { ch } = await open();
    const got = returns(ch);
    const q = uniqueName('no-such-queue');
    ch.publish('', q, Buffer.from('bounce'), { mandatory: true });
    await ch.checkExchange('amq.direct');
    expect(got.map((r) => r.fields)).toEqual([{ replyCode: 312, replyText: 'NO_ROUTE', exchange: '', routingKey: q }]);
  });

  it('does not return a mandatory message that reaches a queue', async () => {
    expect.hasAssertions();
    const { ch } = await open();
    const got = returns(ch);
    const x = await declareExchange(ch, 'direct');
    const q = await tempQueue(ch);
    await ch.bindQueue(q, x, 'k');
    ch.publish(x, 'k', Buffer.from('delivered'), { mandatory: true });
    await ch.checkExchange(x);
    expect(got).toEqual([]);
    expect(await drainToMarker(ch, q)).toEqual(['delivered']);
  });

  it('drops an unroutable message that is not mandatory, without basic.return or error', async () => {
    expect.hasAssertions();
    const { ch } = await open();
    const got = returns(ch);
    const errors: Error[] = [];
    ch.on('error', (e: Error) => errors.push(e));
    const x = await declareExchange(ch, 'direct');
    ch.publish(x, 'nowhere', Buffer.from('dropped'));
    await ch.checkExchange(x);
    expect(got).toEqual([]);
    expect(errors).toEqual([]);
  });

  it('with publisher confirms, sends basic.return for an unroutable mandatory message before its basic.ack', async () => {
    expect.hasAssertions();
    const conn = await connect();
    const ch = await confirmChannel(conn);
    const x = await declareExchange(ch, 'direct');
    const events: string[] = [];
    ch.on('return', (m: ConsumeMessage) => {
      const f = returnFields(m);
      events.push(`return ${f.replyCode} ${f.replyText} ${m.content.toString()}`);
    });
    ch.publish(x, 'nowhere', Buffer.from('bounce'), { mandatory: true }, (err) => events.push(err ? 'nack' : 'ack'));
    await ch.waitForConfirms();
    expect(events).toEqual(['return 312 NO_ROUTE bounce', 'ack']);
  });

  it('with publisher confirms, acks an unroutable message that is not mandatory, with no basic.return', async () => {
    expect.hasAssertions();
    const conn = await connect();
    const ch = await confirmChannel(conn);
    const x = await declareExchange(ch, 'direct');
    const events: string[] = [];
    ch.on('return', () => events.push('return'));
    ch.publish(x, 'nowhere', Buffer.from('dropped'), {}, (err) => events.push(err ? 'nack' : 'ack'));
    await ch.waitForConfirms();
    await ch.checkExchange(x);
    expect(events).toEqual(['ack']);
  });
});
