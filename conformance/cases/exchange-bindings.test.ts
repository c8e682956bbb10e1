// Exchange-to-exchange bindings (exchange.bind / exchange.unbind, a RabbitMQ extension; amqplib's
// bindExchange(destination, source, pattern)). A message published to the source is routed by
// the source's type to its destinations; a destination exchange routes it again by its own type
// with the original routing key. RabbitMQ collects the queues reached, so every queue gets one
// copy however many paths (loops included) lead to it.
import type { Channel, ConsumeMessage } from 'amqplib';
import { afterEach, describe, expect, it } from 'vitest';
import { uniqueName } from '../support/amqp.js';
import { open } from '../support/fixtures.js';
import {
  VHOST,
  cleanUpExchanges,
  declareExchange,
  drainToMarker,
  exchangeExists,
  expectReply,
  refused,
  returnFields,
  type ReturnFields,
  tempQueue,
} from '../support/routing.js';

afterEach(cleanUpExchanges);

describe('exchange-to-exchange routing', () => {
  it('routes a message from the source through the destination exchange to its queue', async () => {
    expect.hasAssertions();
    const { ch } = await open();
    const src = await declareExchange(ch, 'fanout');
    const dst = await declareExchange(ch, 'fanout');
    const q = await tempQueue(ch);
    await expect(ch.bindExchange(dst, src, '')).resolves.toBeDefined();
    await ch.bindQueue(q, dst, '');
    ch.publish(src, 'k', Buffer.from('via e2e'));
    expect(await drainToMarker(ch, q)).toEqual(['via e2e']);
  });

  it('does not route backwards: a message published to the destination does not reach the source\'s queues', async () => {
    expect.hasAssertions();
    const { ch } = await open();
    const src = await declareExchange(ch, 'fanout');
    const dst = await declareExchange(ch, 'fanout');
    const qs = await tempQueue(ch);
    const qd = await tempQueue(ch);
    await ch.bindExchange(dst, src, '');
    await ch.bindQueue(qs, src, '');
    await ch.bindQueue(qd, dst, '');
    ch.publish(dst, 'k', Buffer.from('to dst'));
    expect(await drainToMarker(ch, qs)).toEqual([]);
    expect(await drainToMarker(ch, qd)).toEqual(['to dst']);
  });

  it('filters with the binding key at a direct source', async () => {
    expect.hasAssertions();
    const { ch } = await open();
    const src = await declareExchange(ch, 'direct');
    const dst = await declareExchange(ch, 'fanout');
    const q = await tempQueue(ch);
    await ch.bindExchange(dst, src, 'green');
    await ch.bindQueue(q, dst, '');
    ch.publish(src, 'green', Buffer.from('green'));
    ch.publish(src, 'red', Buffer.from('red'));
    expect(await drainToMarker(ch, q)).toEqual(['green']);
  });

  it('routes again at the destination by its own type, with the original routing key', async () => {
    expect.hasAssertions();
    const { ch } = await open();
    const src = await declareExchange(ch, 'fanout');
    const dst = await declareExchange(ch, 'direct');
    const q1 = await tempQueue(ch);
    const q2 = await tempQueue(ch);
    await ch.bindExchange(dst, src, 'ignored-by-fanout');
    await ch.bindQueue(q1, dst, 'k1');
    await ch.bindQueue(q2, dst, 'k2');
    ch.publish(src, 'k1', Buffer.from('k1'));
    ch.publish(src, 'k2', Buffer.from('k2'));
    ch.publish(src, 'k3', Buffer.from('k3'));
    expect(await drainToMarker(ch, q1)).toEqual(['k1']);
    expect(await drainToMarker(ch, q2)).toEqual(['k2']);
  });

  it('follows a chain A → B → C', async () => {
    expect.hasAssertions();
    const { ch } = await open();
    const a = await declareExchange(ch, 'fanout');
    const b = await declareExchange(ch, 'fanout');
    const c = await declareExchange(ch, 'fanout');
    const q = await tempQueue(ch);
    await ch.bindExchange(b, a, '');
    await ch.bindExchange(c, b, '');
    await ch.bindQueue(q, c, '');
    ch.publish(a, '', Buffer.from('down the chain'));
    expect(await drainToMarker(ch, q)).toEqual(['down the chain']);
  });

  it('sends the message to every destination bound to the source', async () => {
    expect.hasAssertions();
    const { ch } = await open();
    const src = await declareExchange(ch, 'fanout');
    const d1 = await declareExchange(ch, 'fanout');
    const d2 = await declareExchange(ch, 'fanout');
    const q1 = await tempQueue(ch);
    const q2 = await tempQueue(ch);
    await ch.bindExchange(d1, src, '');
    await ch.bindExchange(d2, src, '');
    await ch.bindQueue(q1, d1, '');
    await ch.bindQueue(q2, d2, '');
    ch.publish(src, '', Buffer.from('m'));
    expect(await drainToMarker(ch, q1)).toEqual(['m']);
    expect(await drainToMarker(ch, q2)).toEqual(['m']);
  });
});

describe('one copy per queue', () => {
  it('a loop A → B → A delivers one copy to each queue bound to A and B', async () => {
    expect.hasAssertions();
    const { ch } = await open();
    const a = await declareExchange(ch, 'fanout');
    const b = await declareExchange(ch, 'fanout');
    const qa = await tempQueue(ch);
    const qb = await tempQueue(ch);
    await ch.bindExchange(b, a, '');
    await ch.bindExchange(a, b, '');
    await ch.bindQueue(qa, a, '');
    await ch.bindQueue(qb, b, '');
    ch.publish(a, '', Buffer.from('from a'));
    ch.publish(b, '', Buffer.from('from b'));
    expect(await drainToMarker(ch, qa)).toEqual(['from a', 'from b']);
    expect(await drainToMarker(ch, qb)).toEqual(['from a', 'from b']);
  });

  it('an exchange bound to itself delivers one copy', async () => {
    expect.hasAssertions();
    const { ch } = await open();
    const a = await declareExchange(ch, 'fanout');
    const q = await tempQueue(ch);
    await ch.bindExchange(a, a, '');
    await ch.bindQueue(q, a, '');
    ch.publish(a, '', Buffer.from('once'));
    expect(await drainToMarker(ch, q)).toEqual(['once']);
  });

  it('a loop through three topic exchanges delivers one copy', async () => {
    expect.hasAssertions();
    const { ch } = await open();
    const a = await declareExchange(ch, 'topic');
    const b = await declareExchange(ch, 'topic');
    const c = await declareExchange(ch, 'topic');
    const q = await tempQueue(ch);
    await ch.bindExchange(b, a, '#');
    await ch.bindExchange(c, b, 'x.*');
    await ch.bindExchange(a, c, '#');
    await ch.bindQueue(q, a, '#');
    await ch.bindQueue(q, c, '#');
    ch.publish(b, 'x.y', Buffer.from('x.y'));
    ch.publish(b, 'z', Buffer.from('z'));
    expect(await drainToMarker(ch, q)).toEqual(['x.y']);
  });

  it('a queue reached directly and through a destination exchange gets one copy', async () => {
    expect.hasAssertions();
    const { ch } = await open();
    const a = await declareExchange(ch, 'fanout');
    const b = await declareExchange(ch, 'fanout');
    const q = await tempQueue(ch);
    await ch.bindExchange(b, a, '');
    await ch.bindQueue(q, a, '');
    await ch.bindQueue(q, b, '');
    ch.publish(a, '', Buffer.from('once'));
    expect(await drainToMarker(ch, q)).toEqual(['once']);
  });

  it('binding the same source and destination twice is one binding', async () => {
    expect.hasAssertions();
    const { ch } = await open();
    const a = await declareExchange(ch, 'direct');
    const b = await declareExchange(ch, 'fanout');
    const q = await tempQueue(ch);
    await ch.bindExchange(b, a, 'k');
    await ch.bindExchange(b, a, 'k');
    await ch.bindQueue(q, b, '');
    ch.publish(a, 'k', Buffer.from('1'));
    await ch.unbindExchange(b, a, 'k');
    ch.publish(a, 'k', Buffer.from('2'));
    expect(await drainToMarker(ch, q)).toEqual(['1']);
  });
});

describe('exchange.unbind and deletion', () => {
  it('stops the flow once the binding is removed', async () => {
    expect.hasAssertions();
    const { ch } = await open();
    const src = await declareExchange(ch, 'fanout');
    const dst = await declareExchange(ch, 'fanout');
    const q = await tempQueue(ch);
    await ch.bindExchange(dst, src, '');
    await ch.bindQueue(q, dst, '');
    ch.publish(src, '', Buffer.from('before'));
    await expect(ch.unbindExchange(dst, src, '')).resolves.toBeDefined();
    ch.publish(src, '', Buffer.from('after'));
    expect(await drainToMarker(ch, q)).toEqual(['before']);
  });

  it('removes only the binding with the same routing key', async () => {
    expect.hasAssertions();
    const { ch } = await open();
    const src = await declareExchange(ch, 'direct');
    const dst = await declareExchange(ch, 'fanout');
    const q = await tempQueue(ch);
    await ch.bindExchange(dst, src, 'a');
    await ch.bindExchange(dst, src, 'b');
    await ch.bindQueue(q, dst, '');
    await ch.unbindExchange(dst, src, 'a');
    ch.publish(src, 'a', Buffer.from('a'));
    ch.publish(src, 'b', Buffer.from('b'));
    expect(await drainToMarker(ch, q)).toEqual(['b']);
  });

  it('deleting the destination exchange removes its binding: a new exchange of that name gets nothing from the source', async () => {
    expect.hasAssertions();
    const { ch } = await open();
    const src = await declareExchange(ch, 'fanout');
    const dst = await declareExchange(ch, 'fanout');
    const q = await tempQueue(ch);
    const qs = await tempQueue(ch);
    await ch.bindExchange(dst, src, '');
    await ch.bindQueue(qs, src, '');
    await ch.deleteExchange(dst);
    await ch.assertExchange(dst, 'fanout', { durable: false });
    await ch.bindQueue(q, dst, '');
    ch.publish(src, '', Buffer.from('m'));
    expect(await drainToMarker(ch, q)).toEqual([]);
    expect(await drainToMarker(ch, qs)).toEqual(['m']);
  });

  it('deleting the source exchange removes its binding: a new exchange of that name routes nowhere', async () => {
    expect.hasAssertions();
    const { ch } = await open();
    const src = await declareExchange(ch, 'fanout');
    const dst = await declareExchange(ch, 'fanout');
    const q = await tempQueue(ch);
    await ch.bindExchange(dst, src, '');
    await ch.bindQueue(q, dst, '');
    await ch.deleteExchange(src);
    await ch.assertExchange(src, 'fanout', { durable: false });
    ch.publish(src, '', Buffer.from('m'));
    expect(await drainToMarker(ch, q)).toEqual([]);
  });

  it('accepts unbinding a binding that does not exist, and unbinding missing exchanges', async () => {
    expect.hasAssertions();
    const { ch } = await open();
    const a = await declareExchange(ch, 'direct');
    const b = await declareExchange(ch, 'direct');
    await expect(ch.unbindExchange(b, a, 'never-bound')).resolves.toBeDefined();
    await expect(ch.unbindExchange(b, uniqueName('missing'), '')).resolves.toBeDefined();
    await expect(ch.unbindExchange(uniqueName('missing'), a, '')).resolves.toBeDefined();
    await expect(ch.checkExchange(a)).resolves.toBeDefined();
  });

  it("refuses delete if-unused on a source of an exchange binding: 406 PRECONDITION_FAILED - exchange '…' in vhost '/' in use", async () => {
    expect.hasAssertions();
    const { conn, ch } = await open();
    const src = await declareExchange(ch, 'fanout');
    const dst = await declareExchange(ch, 'fanout');
    await ch.bindExchange(dst, src, '');
    const e = await refused(ch.deleteExchange(src, { ifUnused: true }));
    expectReply(e, 406, `PRECONDITION_FAILED - exchange '${src}' ${VHOST} in use`, 40, 20);
    expect(await exchangeExists(conn, src)).toBe(true);
  });

  it('deletes with if-unused an exchange that is only the destination of bindings', async () => {
    expect.hasAssertions();
    const { conn, ch } = await open();
    const src = await declareExchange(ch, 'fanout');
    const dst = await declareExchange(ch, 'fanout');
    await ch.bindExchange(dst, src, '');
    await expect(ch.deleteExchange(dst, { ifUnused: true })).resolves.toBeDefined();
    expect(await exchangeExists(conn, dst)).toBe(false);
  });
});

describe('exchange.bind errors', () => {
  it("refuses a missing source with 404 NOT_FOUND - no exchange '…', class 40 method 30", async () => {
    expect.hasAssertions();
    const { ch } = await open();
    const dst = await declareExchange(ch, 'fanout');
    const missing = uniqueName('missing');
    const e = await refused(ch.bindExchange(dst, missing, ''));
    expectReply(e, 404, `NOT_FOUND - no exchange '${missing}' ${VHOST}`, 40, 30);
  });

  it("refuses a missing destination with 404 NOT_FOUND - no exchange '…', class 40 method 30", async () => {
    expect.hasAssertions();
    const { ch } = await open();
    const src = await declareExchange(ch, 'fanout');
    const missing = uniqueName('missing');
    const e = await refused(ch.bindExchange(missing, src, ''));
    expectReply(e, 404, `NOT_FOUND - no exchange '${missing}' ${VHOST}`, 40, 30);
  });

  it('refuses the default exchange as source with 403 ACCESS_REFUSED - operation not permitted on the default exchange', async () => {
    expect.hasAssertions();
    const { ch } = await open();
    const dst = await declareExchange(ch, 'fanout');
    const e = await refused(ch.bindExchange(dst, '', ''));
    expectReply(e, 403, 'ACCESS_REFUSED - operation not permitted on the default exchange', 40, 30);
  });

  it('refuses the default exchange as destination with 403 ACCESS_REFUSED - operation not permitted on the default exchange', async () => {
    expect.hasAssertions();
    const { ch } = await open();
    const src = await declareExchange(ch, 'fanout');
    const e = await refused(ch.bindExchange('', src, ''));
    expectReply(e, 403, 'ACCESS_REFUSED - operation not permitted on the default exchange', 40, 30);
  });

  it('refuses an invalid x-match when the source is a headers exchange (406, class 40 method 30)', async () => {
    expect.hasAssertions();
    const { ch } = await open();
    const src = await declareExchange(ch, 'headers');
    const dst = await declareExchange(ch, 'fanout');
    const e = await refused(ch.bindExchange(dst, src, '', { 'x-match': 'nope' }));
    expectReply(e, 406, 'PRECONDITION_FAILED - Invalid x-match field value <<"nope">>; expected all, any, all-with-x, or any-with-x', 40, 30);
  });

  it('does not check x-match when only the destination is a headers exchange', async () => {
    expect.hasAssertions();
    const { ch } = await open();
    const src = await declareExchange(ch, 'fanout');
    const dst = await declareExchange(ch, 'headers');
    await expect(ch.bindExchange(dst, src, '', { 'x-match': 'nope' })).resolves.toBeDefined();
  });
});

describe('exchange bindings with topic and headers exchanges', () => {
  it('filters with a topic pattern at the source, then with the destination topic exchange\'s own patterns', async () => {
    expect.hasAssertions();
    const { ch } = await open();
    const src = await declareExchange(ch, 'topic');
    const dst = await declareExchange(ch, 'topic');
    const q = await tempQueue(ch);
    await ch.bindExchange(dst, src, 'eu.#');
    await ch.bindQueue(q, dst, '*.orders.*');
    for (const key of ['eu.orders.created', 'us.orders.created', 'eu.orders', 'eu.orders.created.late', 'eu.x.orders.y']) {
      ch.publish(src, key, Buffer.from(key));
    }
    expect(await drainToMarker(ch, q)).toEqual(['eu.orders.created']);
  });

  it('applies topic wildcards (# matches zero words) on the exchange binding', async () => {
    expect.hasAssertions();
    const { ch } = await open();
    const src = await declareExchange(ch, 'topic');
    const dst = await declareExchange(ch, 'fanout');
    const q = await tempQueue(ch);
    await ch.bindExchange(dst, src, 'a.#.b');
    await ch.bindExchange(dst, src, '*.c');
    await ch.bindQueue(q, dst, '');
    for (const key of ['a.b', 'a.x.b', 'a.x.y.b', 'a.b.c', 'x.c', 'c', 'x.y.c']) ch.publish(src, key, Buffer.from(key));
    expect(await drainToMarker(ch, q)).toEqual(['a.b', 'a.x.b', 'a.x.y.b', 'x.c']);
  });

  it('one message matching several exchange bindings between the same pair reaches the queue once', async () => {
    expect.hasAssertions();
    const { ch } = await open();
    const src = await declareExchange(ch, 'topic');
    const dst = await declareExchange(ch, 'fanout');
    const q = await tempQueue(ch);
    await ch.bindExchange(dst, src, 'a.*');
    await ch.bindExchange(dst, src, '#');
    await ch.bindExchange(dst, src, 'a.b');
    await ch.bindQueue(q, dst, '');
    ch.publish(src, 'a.b', Buffer.from('once'));
    expect(await drainToMarker(ch, q)).toEqual(['once']);
  });

  it('matches the headers exchange binding arguments at a headers source', async () => {
    expect.hasAssertions();
    const { ch } = await open();
    const src = await declareExchange(ch, 'headers');
    const dst = await declareExchange(ch, 'fanout');
    const q = await tempQueue(ch);
    await ch.bindExchange(dst, src, '', { 'x-match': 'any', region: 'eu', priority: 'high' });
    await ch.bindQueue(q, dst, '');
    ch.publish(src, '', Buffer.from('eu'), { headers: { region: 'eu' } });
    ch.publish(src, '', Buffer.from('us'), { headers: { region: 'us' } });
    ch.publish(src, '', Buffer.from('high'), { headers: { region: 'us', priority: 'high' } });
    expect(await drainToMarker(ch, q)).toEqual(['eu', 'high']);
  });
});

describe('internal and auto-delete exchanges in exchange bindings', () => {
  it('an internal exchange receives messages through an exchange binding', async () => {
    expect.hasAssertions();
    const { ch } = await open();
    const src = await declareExchange(ch, 'fanout');
    const internal = await declareExchange(ch, 'fanout', { internal: true });
    const q = await tempQueue(ch);
    await ch.bindExchange(internal, src, '');
    await ch.bindQueue(q, internal, '');
    ch.publish(src, '', Buffer.from('through internal'));
    expect(await drainToMarker(ch, q)).toEqual(['through internal']);
  });

  it('deletes an auto-delete source exchange when its last exchange binding is removed', async () => {
    expect.hasAssertions();
    const { conn, ch } = await open();
    const src = await declareExchange(ch, 'fanout', { autoDelete: true });
    const d1 = await declareExchange(ch, 'fanout');
    const d2 = await declareExchange(ch, 'fanout');
    await ch.bindExchange(d1, src, '');
    await ch.bindExchange(d2, src, '');
    await ch.unbindExchange(d1, src, '');
    expect(await exchangeExists(conn, src)).toBe(true);
    await ch.unbindExchange(d2, src, '');
    expect(await exchangeExists(conn, src)).toBe(false);
  });

  it('deletes an auto-delete source exchange when its only destination exchange is deleted', async () => {
    expect.hasAssertions();
    const { conn, ch } = await open();
    const src = await declareExchange(ch, 'fanout', { autoDelete: true });
    const dst = await declareExchange(ch, 'fanout');
    await ch.bindExchange(dst, src, '');
    await ch.deleteExchange(dst);
    expect(await exchangeExists(conn, src)).toBe(false);
  });

  it('keeps an auto-delete exchange when a binding that has it as destination is removed', async () => {
    expect.hasAssertions();
    const { conn, ch } = await open();
    const src = await declareExchange(ch, 'fanout');
    const dst = await declareExchange(ch, 'fanout', { autoDelete: true });
    await ch.bindExchange(dst, src, '');
    await ch.unbindExchange(dst, src, '');
    expect(await exchangeExists(conn, dst)).toBe(true);
  });
});

describe('mandatory publishing through exchange bindings', () => {
  function returns(ch: Channel): ReturnFields[] {
    const got: ReturnFields[] = [];
    ch.on('return', (m: ConsumeMessage) => got.push(returnFields(m)));
    return got;
  }

  it('does not return a mandatory message that reaches a queue only through an exchange binding', async () => {
    expect.hasAssertions();
    const { ch } = await open();
    const got = returns(ch);
    const src = await declareExchange(ch, 'direct');
    const dst = await declareExchange(ch, 'fanout');
    const q = await tempQueue(ch);
    await ch.bindExchange(dst, src, 'k');
    await ch.bindQueue(q, dst, '');
    ch.publish(src, 'k', Buffer.from('delivered'), { mandatory: true });
    await ch.checkExchange(src);
    expect(got).toEqual([]);
    expect(await drainToMarker(ch, q)).toEqual(['delivered']);
  });

  it('returns a mandatory message whose only route ends at an exchange with no queues, naming the exchange it was published to', async () => {
    expect.hasAssertions();
    const { ch } = await open();
    const got = returns(ch);
    const src = await declareExchange(ch, 'fanout');
    const dst = await declareExchange(ch, 'fanout');
    await ch.bindExchange(dst, src, '');
    ch.publish(src, 'k', Buffer.from('bounce'), { mandatory: true });
    await ch.checkExchange(src);
    expect(got).toEqual([{ replyCode: 312, replyText: 'NO_ROUTE', exchange: src, routingKey: 'k' }]);
  });
});
