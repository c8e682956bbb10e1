// Sender-selected distribution: the CC and BCC message headers. What RabbitMQ 3.10 does:
// - CC and BCC must be arrays; each longstr in them is an extra routing key for the same
//   exchange (non-string items are ignored, an empty array adds nothing). Header names are
//   case-sensitive: "cc" is an ordinary header.
// - A queue matched by several of the keys gets one copy. Every delivered copy carries the publish
//   routing key (not the CC/BCC key that matched) and the CC header unchanged; BCC is removed from
//   every copy.
// - CC or BCC of another type (e.g. a string) → channel.close 406
//   "PRECONDITION_FAILED - invalid message: {unacceptable_type_in_header,\"CC\",longstr}" (60, 40).
// How CC/BCC keys take part in dead-lettering is in ext-dead-letter.test.ts.
import type { Channel } from 'amqplib';
import { describe, expect, it } from 'vitest';
import { cleanUpAfterEach, drain as drainQueue, nextClose, openWithPublisher as open, publish, trackNames } from '../support/fixtures.js';

// ---------------------------------------------------------------------------------------------
// Helpers (those the case files share are in ../support/fixtures.ts)
// ---------------------------------------------------------------------------------------------

const { qname, xname } = cleanUpAfterEach(trackNames('ext-cc'));

interface Got {
  body: string;
  routingKey: string;
  headers: Record<string, unknown> | undefined;
}

const drain = (ch: Channel, q: string) => drainQueue(ch, q, (m): Got => ({ body: m.content.toString(), routingKey: m.fields.routingKey, headers: m.properties.headers }));

/** A direct exchange and one queue per key, each bound with that key. */
async function direct(ch: Channel, keys: string[]): Promise<{ x: string; q: Record<string, string> }> {
  const x = xname('direct');
  await ch.assertExchange(x, 'direct', { durable: false });
  const q: Record<string, string> = {};
  for (const k of keys) {
    q[k] = qname(k);
    await ch.assertQueue(q[k], { durable: false });
    await ch.bindQueue(q[k], x, k);
  }
  return { x, q };
}

// ---------------------------------------------------------------------------------------------

describe('CC and BCC headers', () => {
  it('route to the CC and BCC keys too; every copy keeps CC and the publish routing key, and loses BCC', async () => {
    expect.hasAssertions();
    const { ch, pub } = await open();
    const { x, q } = await direct(ch, ['main', 'cc1', 'cc2', 'bcc1', 'other']);
    await publish(pub, x, 'main', 'm', { headers: { CC: ['cc1', 'cc2'], BCC: ['bcc1'], h: 'kept' } });
    for (const k of ['main', 'cc1', 'cc2', 'bcc1']) {
      expect(await drain(ch, q[k]!)).toEqual([{ body: 'm', routingKey: 'main', headers: { CC: ['cc1', 'cc2'], h: 'kept' } }]);
    }
    expect(await drain(ch, q.other!)).toEqual([]);
  });

  it('delivers one copy to a queue matched by several of the keys', async () => {
    expect.hasAssertions();
    const { ch, pub } = await open();
    const x = xname('direct');
    await ch.assertExchange(x, 'direct', { durable: false });
    const q = qname('multi');
    await ch.assertQueue(q, { durable: false });
    for (const k of ['k1', 'k2', 'k3']) await ch.bindQueue(q, x, k);
    await publish(pub, x, 'k1', 'once', { headers: { CC: ['k2', 'k1'], BCC: ['k3'] } });
    expect(await drain(ch, q)).toEqual([{ body: 'once', routingKey: 'k1', headers: { CC: ['k2', 'k1'] } }]);
  });

  it('works on the default exchange: CC/BCC name further queues', async () => {
    expect.hasAssertions();
    const { ch, pub } = await open();
    const a = qname('a');
    const b = qname('b');
    const c = qname('c');
    for (const q of [a, b, c]) await ch.assertQueue(q, { durable: false });
    await publish(pub, '', a, 'm', { headers: { CC: [b], BCC: [c] } });
    expect(await drain(ch, a)).toEqual([{ body: 'm', routingKey: a, headers: { CC: [b] } }]);
    expect(await drain(ch, b)).toEqual([{ body: 'm', routingKey: a, headers: { CC: [b] } }]);
    expect(await drain(ch, c)).toEqual([{ body: 'm', routingKey: a, headers: { CC: [b] } }]);
  });

  it('routes with a BCC-only message and removes the BCC header, leaving an empty header table', async () => {
    expect.hasAssertions();
    const { ch, pub } = await open();
    const { x, q } = await direct(ch, ['main', 'hidden']);
    await publish(pub, x, 'main', 'm', { headers: { BCC: ['hidden'] } });
    expect(await drain(ch, q.main!)).toEqual([{ body: 'm', routingKey: 'main', headers: {} }]);
    expect(await drain(ch, q.hidden!)).toEqual([{ body: 'm', routingKey: 'main', headers: {} }]);
  });

  it('ignores non-string items and empty arrays, and treats "cc" (lower case) as an ordinary header', async () => {
    expect.hasAssertions();
    const { ch, pub } = await open();
    const { x, q } = await direct(ch, ['main', 'extra', 'lower']);
    await publish(pub, x, 'main', 'mixed', { headers: { CC: ['extra', 5] } });
    await publish(pub, x, 'main', 'empty', { headers: { CC: [] } });
    await publish(pub, x, 'main', 'lower', { headers: { cc: ['lower'] } });
    expect((await drain(ch, q.main!)).map((g) => g.body)).toEqual(['mixed', 'empty', 'lower']);
    expect(await drain(ch, q.extra!)).toEqual([{ body: 'mixed', routingKey: 'main', headers: { CC: ['extra', 5] } }]);
    expect(await drain(ch, q.lower!)).toEqual([]);
  });

  it.for(['CC', 'BCC'] as const)(
    'closes the channel with 406 "invalid message: {unacceptable_type_in_header,\\"%s\\",longstr}" for a string header',
    async (name) => {
      expect.hasAssertions();
      const { conn, ch } = await open();
      const { x, q } = await direct(ch, ['main', 'extra']);
      const p = await conn.createChannel();
      const closed = nextClose(p);
      p.publish(x, 'main', Buffer.from('m'), { headers: { [name]: 'extra' } });
      expect(await closed).toEqual({
        code: 406,
        classId: 60,
        methodId: 40,
        text: `PRECONDITION_FAILED - invalid message: {unacceptable_type_in_header,"${name}",longstr}`,
      });
      expect(await drain(ch, q.main!)).toEqual([]);
    },
  );
});
