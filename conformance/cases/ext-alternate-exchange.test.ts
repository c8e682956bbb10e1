// Alternate exchanges: the alternate-exchange argument of exchange.declare (amqplib's
// `alternateExchange` option). What RabbitMQ 3.10 does:
// - A message the exchange routes to no queue is published to its alternate exchange (AE) with the
//   same routing key; deliveries still show the ORIGINAL exchange and routing key, headers unchanged.
// - If the AE routes it, a mandatory publish gets no basic.return (and a confirm-mode publish an
//   ack). If the AE does not route it, or does not exist, it is treated as unroutable: basic.return
//   312 NO_ROUTE naming the original exchange.
// - AEs chain (an AE's own AE is tried next); a loop of AEs ends without routing (returned).
// - Argument errors: a non-string → 406 "invalid type '<type>' for arg 'alternate-exchange' in
//   exchange '…' in vhost '/'" (40, 10); redeclaring with another or no AE → 406 inequivalent arg.
import type { Channel } from 'amqplib';
import { describe, expect, it } from 'vitest';
import { uniqueName } from '../support/amqp.js';
import {
  channelError,
  cleanUpAfterEach,
  drain as drainQueue,
  openWithPublisher as open,
  publishConfirmed,
  shortstrTruncated,
  sleep,
  trackNames,
} from '../support/fixtures.js';

// ---------------------------------------------------------------------------------------------
// Helpers (those the case files share are in ../support/fixtures.ts)
// ---------------------------------------------------------------------------------------------

const { qname, xname } = cleanUpAfterEach(trackNames('ext-ae'));

const drain = (ch: Channel, q: string) => drainQueue(ch, q, (m) => ({ body: m.content.toString(), exchange: m.fields.exchange, routingKey: m.fields.routingKey }));

/** A fanout AE with one queue bound, and a direct exchange using it with one queue bound to "known". */
async function setup(ch: Channel): Promise<{ ae: string; aeQueue: string; main: string; mainQueue: string }> {
  const ae = xname('ae');
  await ch.assertExchange(ae, 'fanout', { durable: false });
  const aeQueue = qname('ae-queue');
  await ch.assertQueue(aeQueue, { durable: false });
  await ch.bindQueue(aeQueue, ae, '');
  const main = xname('main');
  await ch.assertExchange(main, 'direct', { durable: false, alternateExchange: ae });
  const mainQueue = qname('main-queue');
  await ch.assertQueue(mainQueue, { durable: false });
  await ch.bindQueue(mainQueue, main, 'known');
  return { ae, aeQueue, main, mainQueue };
}

// ---------------------------------------------------------------------------------------------

describe('alternate-exchange', () => {
  it('sends unroutable messages to the AE; deliveries show the original exchange and routing key', async () => {
    expect.hasAssertions();
    const { ch, pub } = await open();
    const { aeQueue, main, mainQueue } = await setup(ch);
    expect(await publishConfirmed(pub, main, 'known', 'routed', { headers: { h: 1 } })).toBe('ack');
    expect(await publishConfirmed(pub, main, 'unknown', 'unrouted', { headers: { h: 2 } })).toBe('ack');
    expect(await drain(ch, mainQueue)).toEqual([{ body: 'routed', exchange: main, routingKey: 'known' }]);
    const m = await ch.get(aeQueue, { noAck: true });
    expect(m !== false && { body: m.content.toString(), exchange: m.fields.exchange, routingKey: m.fields.routingKey }).toEqual({
      body: 'unrouted',
      exchange: main,
      routingKey: 'unknown',
    });
    expect(m !== false && m.properties.headers).toEqual({ h: 2 });
    expect(await ch.get(aeQueue, { noAck: true })).toBe(false);
  });

  it('sends no basic.return for a mandatory message the AE routes', async () => {
    expect.hasAssertions();
    const { ch, pub, returned } = await open();
    const { aeQueue, main } = await setup(ch);
    expect(await publishConfirmed(pub, main, 'unknown', 'm', { mandatory: true })).toBe('ack');
    await sleep(100);
    expect(returned).toEqual([]);
    expect(await drain(ch, aeQueue)).toEqual([{ body: 'm', exchange: main, routingKey: 'unknown' }]);
  });

  it.for(['routes nowhere', 'does not exist'] as const)(
    'returns a mandatory message 312 NO_ROUTE naming the original exchange when the AE %s',
    async (how) => {
      expect.hasAssertions();
      const { ch, pub, returned } = await open();
      let ae: string;
      if (how === 'routes nowhere') {
        ae = xname('empty-ae');
        await ch.assertExchange(ae, 'direct', { durable: false });
      } else {
        ae = uniqueName('ext-ae.missing');
      }
      const main = xname('main');
      await ch.assertExchange(main, 'direct', { durable: false, alternateExchange: ae });
      expect(await publishConfirmed(pub, main, 'rk', 'lost', { mandatory: true })).toBe('ack');
      for (let i = 0; i < 100 && returned.length === 0; i++) await sleep(20);
      expect(returned.map((m) => ({ ...m.fields, body: m.content.toString() }))).toEqual([
        { replyCode: 312, replyText: 'NO_ROUTE', exchange: main, routingKey: 'rk', body: 'lost' },
      ]);
    },
  );

  it("follows a chain of AEs (the AE's own AE)", async () => {
    expect.hasAssertions();
    const { ch, pub, returned } = await open();
    const { ae, aeQueue } = await setup(ch);
    const middle = xname('middle');
    await ch.assertExchange(middle, 'direct', { durable: false, alternateExchange: ae });
    const first = xname('first');
    await ch.assertExchange(first, 'direct', { durable: false, alternateExchange: middle });
    expect(await publishConfirmed(pub, first, 'k', 'chained', { mandatory: true })).toBe('ack');
    await sleep(100);
    expect(returned).toEqual([]);
    expect(await drain(ch, aeQueue)).toEqual([{ body: 'chained', exchange: first, routingKey: 'k' }]);
  });

  it('ends a loop of AEs without routing: the mandatory message is returned once', async () => {
    expect.hasAssertions();
    const { ch, pub, returned } = await open();
    const a = xname('loop-a');
    const b = xname('loop-b');
    await ch.assertExchange(a, 'direct', { durable: false, alternateExchange: b });
    await ch.assertExchange(b, 'direct', { durable: false, alternateExchange: a });
    expect(await publishConfirmed(pub, a, 'k', 'loop', { mandatory: true })).toBe('ack');
    for (let i = 0; i < 100 && returned.length === 0; i++) await sleep(20);
    await sleep(50);
    expect(returned.map((m) => m.fields)).toEqual([{ replyCode: 312, replyText: 'NO_ROUTE', exchange: a, routingKey: 'k' }]);
  });

  it("refuses alternate-exchange 5 with 406 \"invalid type 'byte' for arg 'alternate-exchange' …\"", async () => {
    expect.hasAssertions();
    const { ch } = await open();
    const x = xname('bad');
    expect(await channelError(ch.assertExchange(x, 'direct', { durable: false, arguments: { 'alternate-exchange': 5 } }))).toEqual({
      code: 406,
      classId: 40,
      methodId: 10,
      text: `PRECONDITION_FAILED - invalid type 'byte' for arg 'alternate-exchange' in exchange '${x}' in vhost '/'`,
    });
  });

  it.for([
    ['another AE', 'other', (ae: string) => `received 'other' but current is '${ae}'`],
    ['no AE', undefined, (ae: string) => `received none but current is the value '${ae}' of type 'longstr'`],
  ] as const)('refuses a redeclare with %s with 406 inequivalent arg', async ([, alternateExchange, detail]) => {
    expect.hasAssertions();
    const { ch } = await open();
    const { ae, main } = await setup(ch);
    const opts = alternateExchange === undefined ? { durable: false } : { durable: false, alternateExchange };
    expect(await channelError(ch.assertExchange(main, 'direct', opts))).toEqual({
      code: 406,
      classId: 40,
      methodId: 10,
      // (with these long names the "received none" text is cut at 255 octets)
      text: shortstrTruncated(`PRECONDITION_FAILED - inequivalent arg 'alternate-exchange' for exchange '${main}' in vhost '/': ${detail(ae)}`),
    });
  });
});
