// Headers exchange routing as RabbitMQ 3.10 does it. The binding arguments are the pattern;
// x-match chooses the mode: "all" (the default) or "any" ignore every argument and header whose
// name starts with "x-"; "all-with-x" and "any-with-x" (both accepted by 3.10) include them,
// x-match itself excepted. A void-valued argument only asks for the header to be present.
// Values are compared as RabbitMQ compares Erlang terms: numbers by value whatever their AMQP
// type (byte 1 == long 1 == double 1.0), longstr and byte array by their bytes.
import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { isRabbitMQBefore } from '../support/amqp.js';
import { channel, open } from '../support/fixtures.js';
import { cleanUpExchanges, declareExchange, drainToMarker, expectReply, refused, tempQueue } from '../support/routing.js';

afterEach(cleanUpExchanges);

// amqplib field-table values: plain JS values, or {'!': type, value} to pick the AMQP type.
type Headers = Record<string, unknown> | undefined;
const typed = (type: string, value: unknown) => ({ '!': type, value });

/**
 * Binds one queue to a fresh headers exchange with `bindArgs`, publishes one message per entry of
 * `messages` (body = its label), and returns the labels that arrived.
 */
async function routed(bindArgs: Record<string, unknown>, messages: Array<[label: string, headers: Headers]>): Promise<string[]> {
  const { ch } = await open();
  const x = await declareExchange(ch, 'headers');
  const q = await tempQueue(ch);
  await ch.bindQueue(q, x, '', bindArgs);
  for (const [label, headers] of messages) {
    ch.publish(x, `rk-${label}`, Buffer.from(label), headers === undefined ? {} : { headers });
  }
  return drainToMarker(ch, q);
}

describe('x-match all (the default)', () => {
  it('routes a message carrying every bound header with equal values, extra headers allowed', async () => {
    expect.hasAssertions();
    const got = await routed({ format: 'pdf', type: 'report' }, [
      ['both', { format: 'pdf', type: 'report' }],
      ['both+extra', { format: 'pdf', type: 'report', lang: 'en' }],
      ['one', { format: 'pdf' }],
      ['wrong-value', { format: 'pdf', type: 'log' }],
      ['none', {}],
      ['no-headers', undefined],
    ]);
    expect(got).toEqual(['both', 'both+extra']);
  });

  it('behaves the same with an explicit x-match all', async () => {
    expect.hasAssertions();
    const got = await routed({ 'x-match': 'all', format: 'pdf', type: 'report' }, [
      ['both', { format: 'pdf', type: 'report' }],
      ['one', { type: 'report' }],
      ['wrong-value', { format: 'PDF', type: 'report' }],
    ]);
    expect(got).toEqual(['both']);
  });

  it('a binding with no arguments at all matches every message, with or without headers', async () => {
    expect.hasAssertions();
    const got = await routed({}, [
      ['no-headers', undefined],
      ['empty', {}],
      ['some', { a: '1', 'x-b': '2' }],
    ]);
    expect(got).toEqual(['no-headers', 'empty', 'some']);
  });

  it('a binding with only x-match all matches every message', async () => {
    expect.hasAssertions();
    const got = await routed({ 'x-match': 'all' }, [
      ['no-headers', undefined],
      ['some', { a: '1' }],
    ]);
    expect(got).toEqual(['no-headers', 'some']);
  });

  it('ignores the routing key', async () => {
    expect.hasAssertions();
    const { ch } = await open();
    const x = await declareExchange(ch, 'headers');
    const q = await tempQueue(ch);
    await ch.bindQueue(q, x, 'binding-key', { a: '1' });
    ch.publish(x, 'something-else', Buffer.from('matched'), { headers: { a: '1' } });
    ch.publish(x, 'binding-key', Buffer.from('not matched'), { headers: { a: '2' } });
    expect(await drainToMarker(ch, q)).toEqual(['matched']);
  });

  it('ignores x- binding arguments and x- headers', async () => {
    expect.hasAssertions();
    const got = await routed({ 'x-match': 'all', 'x-tenant': 'acme', a: '1' }, [
      ['without-x', { a: '1' }],
      ['other-x', { a: '1', 'x-tenant': 'other' }],
      ['only-x', { 'x-tenant': 'acme' }],
    ]);
    expect(got).toEqual(['without-x', 'other-x']);
  });

  it('a binding whose only arguments start with x- matches every message', async () => {
    expect.hasAssertions();
    const got = await routed({ 'x-tenant': 'acme' }, [
      ['no-headers', undefined],
      ['other-x', { 'x-tenant': 'other' }],
    ]);
    expect(got).toEqual(['no-headers', 'other-x']);
  });
});

describe('x-match any', () => {
  it('routes a message with at least one bound header of equal value', async () => {
    expect.hasAssertions();
    const got = await routed({ 'x-match': 'any', format: 'pdf', type: 'report' }, [
      ['both', { format: 'pdf', type: 'report' }],
      ['format', { format: 'pdf' }],
      ['type', { type: 'report', lang: 'en' }],
      ['one-right-one-wrong', { format: 'zip', type: 'report' }],
      ['wrong-values', { format: 'zip', type: 'log' }],
      ['other', { lang: 'en' }],
      ['no-headers', undefined],
    ]);
    expect(got).toEqual(['both', 'format', 'type', 'one-right-one-wrong']);
  });

  it('a binding with only x-match any matches nothing', async () => {
    expect.hasAssertions();
    const got = await routed({ 'x-match': 'any' }, [
      ['no-headers', undefined],
      ['some', { a: '1' }],
      ['x-match', { 'x-match': 'any' }],
    ]);
    expect(got).toEqual([]);
  });

  it('ignores x- binding arguments: a binding with only x- arguments matches nothing', async () => {
    expect.hasAssertions();
    const got = await routed({ 'x-match': 'any', 'x-tenant': 'acme' }, [
      ['same-x', { 'x-tenant': 'acme' }],
      ['other', { a: '1' }],
    ]);
    expect(got).toEqual([]);
  });

  it('ignores x- headers when matching ordinary arguments', async () => {
    expect.hasAssertions();
    const got = await routed({ 'x-match': 'any', a: '1', 'x-tenant': 'acme' }, [
      ['a', { a: '1' }],
      ['x-only', { 'x-tenant': 'acme', a: '2' }],
    ]);
    expect(got).toEqual(['a']);
  });
});

describe('x-match all-with-x and any-with-x', () => {
  it('all-with-x also requires the x- arguments', async () => {
    expect.hasAssertions();
    const got = await routed({ 'x-match': 'all-with-x', 'x-tenant': 'acme', a: '1' }, [
      ['both', { 'x-tenant': 'acme', a: '1' }],
      ['no-x', { a: '1' }],
      ['wrong-x', { 'x-tenant': 'other', a: '1' }],
      ['only-x', { 'x-tenant': 'acme' }],
    ]);
    expect(got).toEqual(['both']);
  });

  it('all-with-x does not require the message to carry x-match itself', async () => {
    expect.hasAssertions();
    const got = await routed({ 'x-match': 'all-with-x', a: '1' }, [
      ['a', { a: '1' }],
      ['a+x-match', { a: '1', 'x-match': 'all-with-x' }],
      ['no-a', { b: '1' }],
    ]);
    expect(got).toEqual(['a', 'a+x-match']);
  });

  it('all-with-x with no other argument matches every message', async () => {
    expect.hasAssertions();
    const got = await routed({ 'x-match': 'all-with-x' }, [
      ['no-headers', undefined],
      ['some', { a: '1' }],
    ]);
    expect(got).toEqual(['no-headers', 'some']);
  });

  it('any-with-x matches on an x- argument', async () => {
    expect.hasAssertions();
    const got = await routed({ 'x-match': 'any-with-x', 'x-tenant': 'acme', a: '1' }, [
      ['x', { 'x-tenant': 'acme' }],
      ['a', { a: '1' }],
      ['wrong-x', { 'x-tenant': 'other' }],
      ['none', {}],
    ]);
    expect(got).toEqual(['x', 'a']);
  });

  it('any-with-x does not count x-match itself: a message carrying the same x-match is not matched', async () => {
    expect.hasAssertions();
    const got = await routed({ 'x-match': 'any-with-x' }, [
      ['x-match', { 'x-match': 'any-with-x' }],
      ['no-headers', undefined],
    ]);
    expect(got).toEqual([]);
  });
});

describe('header values', () => {
  it('a void-valued argument matches any value of that header, and only its presence (all)', async () => {
    expect.hasAssertions();
    const got = await routed({ present: null, a: '1' }, [
      ['string', { present: 'anything', a: '1' }],
      ['number', { present: 42, a: '1' }],
      ['void', { present: null, a: '1' }],
      ['absent', { a: '1' }],
      ['wrong-a', { present: 'x', a: '2' }],
    ]);
    expect(got).toEqual(['string', 'number', 'void']);
  });

  it('a void-valued argument counts as a match for x-match any when the header is present', async () => {
    expect.hasAssertions();
    const got = await routed({ 'x-match': 'any', present: null }, [
      ['present', { present: 5 }],
      ['absent', { other: 5 }],
    ]);
    expect(got).toEqual(['present']);
  });

  it.for([
    ['byte', 'byte'],
    ['short', 'short'],
    ['int', 'int'],
    ['long', 'long'],
    ['unsigned byte', 'uint8'],
    ['unsigned short', 'uint16'],
    ['unsigned int', 'uint32'],
  ])('matches an int argument 7 against a %s header 7, not 8', async ([, type]) => {
    expect.hasAssertions();
    const got = await routed({ n: typed('int', 7) }, [
      ['seven', { n: typed(type!, 7) }],
      ['eight', { n: typed(type!, 8) }],
    ]);
    expect(got).toEqual(['seven']);
  });

  it('matches a long argument against a byte header of the same value, and a large long exactly', async () => {
    expect.hasAssertions();
    const { ch } = await open();
    const x = await declareExchange(ch, 'headers');
    const q1 = await tempQueue(ch);
    const q2 = await tempQueue(ch);
    await ch.bindQueue(q1, x, '', { n: typed('long', 1) });
    await ch.bindQueue(q2, x, '', { n: typed('long', 2 ** 40) });
    ch.publish(x, '', Buffer.from('byte 1'), { headers: { n: typed('byte', 1) } });
    ch.publish(x, '', Buffer.from('long 2^40'), { headers: { n: typed('long', 2 ** 40) } });
    ch.publish(x, '', Buffer.from('long 2^40+1'), { headers: { n: typed('long', 2 ** 40 + 1) } });
    expect(await drainToMarker(ch, q1)).toEqual(['byte 1']);
    expect(await drainToMarker(ch, q2)).toEqual(['long 2^40']);
  });

  it('does not match an integer binding value with a double header (1 vs 1.0) since RabbitMQ 3.13 (=:=); 3.10–3.12 compared by value', async () => {
    expect.hasAssertions();
    const got = await routed({ n: typed('int', 1) }, [
      ['double 1.0', { n: typed('double', 1) }],
      ['double 1.5', { n: typed('double', 1.5) }],
    ]);
    expect(got).toEqual((await isRabbitMQBefore('3.13')) ? ['double 1.0'] : []);
  });

  it('does not match values of different kinds: string "1" vs int 1, boolean true vs int 1', async () => {
    expect.hasAssertions();
    const got = await routed({ 'x-match': 'any', s: typed('int', 1), b: typed('int', 1) }, [
      ['string', { s: '1' }],
      ['bool', { b: true }],
      ['int', { s: typed('int', 1) }],
    ]);
    expect(got).toEqual(['int']);
  });

  it('matches booleans by value', async () => {
    expect.hasAssertions();
    const got = await routed({ flag: true }, [
      ['true', { flag: true }],
      ['false', { flag: false }],
    ]);
    expect(got).toEqual(['true']);
  });

  it('matches a longstr argument against a byte-array header with the same bytes', async () => {
    expect.hasAssertions();
    const got = await routed({ s: 'abc' }, [
      ['bytes abc', { s: Buffer.from('abc') }],
      ['bytes abd', { s: Buffer.from('abd') }],
    ]);
    expect(got).toEqual(['bytes abc']);
  });

  it('compares header names and string values case-sensitively', async () => {
    expect.hasAssertions();
    const got = await routed({ Key: 'Value' }, [
      ['exact', { Key: 'Value' }],
      ['value-case', { Key: 'value' }],
      ['name-case', { key: 'Value' }],
    ]);
    expect(got).toEqual(['exact']);
  });
});

describe('headers bindings', () => {
  it('delivers one copy to a queue bound twice with different arguments that both match', async () => {
    expect.hasAssertions();
    const { ch } = await open();
    const x = await declareExchange(ch, 'headers');
    const q = await tempQueue(ch);
    await ch.bindQueue(q, x, '', { a: '1' });
    await ch.bindQueue(q, x, '', { b: '2' });
    ch.publish(x, '', Buffer.from('both'), { headers: { a: '1', b: '2' } });
    ch.publish(x, '', Buffer.from('b only'), { headers: { b: '2' } });
    expect(await drainToMarker(ch, q)).toEqual(['both', 'b only']);
  });

  it('unbinds only the binding with the same arguments', async () => {
    expect.hasAssertions();
    const { ch } = await open();
    const x = await declareExchange(ch, 'headers');
    const q = await tempQueue(ch);
    await ch.bindQueue(q, x, '', { a: '1' });
    await ch.bindQueue(q, x, '', { b: '2' });
    await ch.unbindQueue(q, x, '', { a: '1' });
    ch.publish(x, '', Buffer.from('a'), { headers: { a: '1' } });
    ch.publish(x, '', Buffer.from('b'), { headers: { b: '2' } });
    expect(await drainToMarker(ch, q)).toEqual(['b']);
  });

  it('gives each matching queue a copy', async () => {
    expect.hasAssertions();
    const { ch } = await open();
    const x = await declareExchange(ch, 'headers');
    const q1 = await tempQueue(ch);
    const q2 = await tempQueue(ch);
    const q3 = await tempQueue(ch);
    await ch.bindQueue(q1, x, '', { a: '1' });
    await ch.bindQueue(q2, x, '', { 'x-match': 'any', a: '1', z: '9' });
    await ch.bindQueue(q3, x, '', { a: '1', b: '2' });
    ch.publish(x, '', Buffer.from('m'), { headers: { a: '1' } });
    expect(await drainToMarker(ch, q1)).toEqual(['m']);
    expect(await drainToMarker(ch, q2)).toEqual(['m']);
    expect(await drainToMarker(ch, q3)).toEqual([]);
  });

  it.for(['amq.headers', 'amq.match'])('routes through the predeclared %s', async (x) => {
    expect.hasAssertions();
    const { ch } = await open();
    const q = await tempQueue(ch);
    const id = randomUUID();
    await ch.bindQueue(q, x, '', { id });
    ch.publish(x, '', Buffer.from('mine'), { headers: { id } });
    ch.publish(x, '', Buffer.from('not mine'), { headers: { id: 'other' } });
    expect(await drainToMarker(ch, q)).toEqual(['mine']);
    await ch.unbindQueue(q, x, '', { id });
  });
});

describe('invalid x-match', () => {
  // The value is shown as Erlang prints a binary: <<"bogus">>, and <<>> when empty.
  it.for([
    ['bogus', '<<"bogus">>'],
    ['ALL', '<<"ALL">>'],
    ['all ', '<<"all ">>'],
    ['', '<<>>'],
  ])(
    'refuses x-match %j with 406 PRECONDITION_FAILED - Invalid x-match field value %s; expected all, any, all-with-x, or any-with-x',
    async ([value, shown]) => {
      expect.hasAssertions();
      const { conn, ch } = await open();
      const x = await declareExchange(ch, 'headers');
      const q = await tempQueue(ch);
      const e = await refused(ch.bindQueue(q, x, '', { 'x-match': value!, a: '1' }));
      expectReply(e, 406, `PRECONDITION_FAILED - Invalid x-match field value ${shown}; expected all, any, all-with-x, or any-with-x`, 50, 20);
      // No binding was made.
      const ch2 = await channel(conn);
      ch2.publish(x, '', Buffer.from('m'), { headers: { a: '1' } });
      expect(await drainToMarker(ch2, q)).toEqual([]);
    },
  );

  it.for([
    ['signedint', typed('int', 1), '1'],
    ['long', typed('long', 1), '1'],
    ['bool', true, 'true'],
    ['binary', Buffer.from('all'), '<<"all">>'],
    ['void', null, 'undefined'],
  ] as const)('refuses a non-string x-match (%s) with 406 Invalid x-match field type …; expected longstr', async ([typeName, value, shown]) => {
    expect.hasAssertions();
    const { ch } = await open();
    const x = await declareExchange(ch, 'headers');
    const q = await tempQueue(ch);
    const e = await refused(ch.bindQueue(q, x, '', { 'x-match': value }));
    expectReply(e, 406, `PRECONDITION_FAILED - Invalid x-match field type ${typeName} (value ${shown}); expected longstr`, 50, 20);
  });

  it('does not check x-match on a binding to a direct exchange', async () => {
    expect.hasAssertions();
    const { ch } = await open();
    const x = await declareExchange(ch, 'direct');
    const q = await tempQueue(ch);
    await expect(ch.bindQueue(q, x, 'k', { 'x-match': 'bogus' })).resolves.toBeDefined();
    ch.publish(x, 'k', Buffer.from('m'));
    expect(await drainToMarker(ch, q)).toEqual(['m']);
  });
});
