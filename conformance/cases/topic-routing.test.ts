// Topic exchange routing: how `*` and `#` match words, the edge cases of empty words and empty
// routing keys, one copy per queue however many bindings match, and unbinding. The match tables
// are what RabbitMQ 3.10 routes: a routing key is split on "." into words ("" has no words,
// "a." has the words "a" and ""), `*` is exactly one word, `#` is zero or more words.
import { randomUUID } from 'node:crypto';
import type { Channel } from 'amqplib';
import { afterEach, describe, expect, it } from 'vitest';
import { open } from '../support/fixtures.js';
import { cleanUpExchanges, declareExchange, drainToMarker, tempQueue } from '../support/routing.js';

afterEach(cleanUpExchanges);

const topicExchange = (ch: Channel, type = 'topic') => declareExchange(ch, type);

/** Binds one queue with `pattern`, publishes each key with the key as body, returns what arrived. */
async function routed(pattern: string, keys: string[]): Promise<string[]> {
  const { ch } = await open();
  const x = await topicExchange(ch);
  const q = await tempQueue(ch);
  await ch.bindQueue(q, x, pattern);
  for (const k of keys) ch.publish(x, k, Buffer.from(k));
  return drainToMarker(ch, q);
}

interface MatchCase {
  pattern: string;
  matches: string[];
  misses: string[];
}

const show = (keys: string[]) => keys.map((k) => JSON.stringify(k)).join(', ');

const cases: MatchCase[] = [
  { pattern: 'a.b', matches: ['a.b'], misses: ['a', 'a.b.c', 'x.a.b', 'A.b', 'a.B', 'ab', 'a.bb', 'a..b', ''] },
  { pattern: '#', matches: ['', 'a', 'a.b', 'a.b.c', '.', 'a..b', 'a.', '.a', '#', '*'], misses: [] },
  { pattern: '*', matches: ['a', 'b', 'abc', '*', '#'], misses: ['', 'a.b', '.', 'a.', '.a'] },
  { pattern: 'a.#', matches: ['a', 'a.b', 'a.x.b', 'a.b.c.d', 'a.', 'a..b'], misses: ['', 'b', 'ab', 'b.a', 'A.b', 'x.a.b'] },
  { pattern: 'a.*', matches: ['a.b', 'a.', 'a.a', 'a.#'], misses: ['a', 'a.b.c', 'b.a', 'ab', '', 'a..b'] },
  { pattern: 'a.#.b', matches: ['a.b', 'a.x.b', 'a.x.y.b', 'a..b', 'a.b.b', 'a.b.c.b'], misses: ['a', 'b', 'a.b.c', 'a.bb', 'ax.b', 'a.x.bb', 'x.a.b', ''] },
  { pattern: 'a.*.b', matches: ['a.x.b', 'a..b', 'a.b.b'], misses: ['a.b', 'a.x.y.b', 'a.x.b.c', 'x.a.x.b'] },
  { pattern: '#.b', matches: ['b', 'a.b', 'a.x.y.b', '.b', 'b.b'], misses: ['', 'a', 'a.b.c', 'ab', 'a.bb', 'b.'] },
  { pattern: '*.b', matches: ['a.b', '.b', 'b.b'], misses: ['b', 'a.x.b', 'a.b.c', ''] },
  { pattern: '#.a.#', matches: ['a', 'x.a', 'a.x', 'x.a.y', 'a.a', 'x.y.a.z.w'], misses: ['', 'b', 'ab', 'x.ab', 'ba.x'] },
  { pattern: '#.#', matches: ['', 'a', 'a.b', 'a.b.c', '.'], misses: [] },
  { pattern: '*.#', matches: ['a', 'a.b', 'a.b.c', '.', 'a.'], misses: [''] },
  { pattern: '#.*', matches: ['a', 'a.b', '.', 'a.'], misses: [''] },
  { pattern: 'a.#.*', matches: ['a.b', 'a.', 'a.x.y'], misses: ['a', 'b.a', ''] },
  { pattern: 'a.#.#.b', matches: ['a.b', 'a.x.b', 'a.x.y.b'], misses: ['a', 'a.b.c', 'b'] },
  { pattern: '*.*', matches: ['a.b', '.', 'a.', '.a'], misses: ['', 'a', '..', 'a.b.c'] },
  { pattern: '*.*.*', matches: ['a.b.c', '..', 'a..c'], misses: ['a.b', 'a.b.c.d', ''] },
  // Empty binding keys and empty words are literal empty words.
  { pattern: '', matches: [''], misses: ['a', '.', ' '] },
  { pattern: 'a..b', matches: ['a..b'], misses: ['a.b', 'a.x.b', 'a...b'] },
  { pattern: 'a.', matches: ['a.'], misses: ['a', 'a.b', 'a..'] },
  { pattern: '.a', matches: ['.a'], misses: ['a', 'b.a'] },
  { pattern: '.', matches: ['.'], misses: ['', 'a', '..', 'a.'] },
  // `*` and `#` are wildcards only as whole words.
  { pattern: 'a*.b', matches: ['a*.b'], misses: ['ab.b', 'a.b', 'axyz.b'] },
  { pattern: 'a#', matches: ['a#'], misses: ['a', 'ab', 'a.b'] },
  { pattern: '#a', matches: ['#a'], misses: ['a', 'ba', 'x.a'] },
];

describe('topic matching', () => {
  it.for(cases)('binding key $pattern routes exactly the matching routing keys', async ({ pattern, matches, misses }) => {
    expect.hasAssertions();
    const got = await routed(pattern, [...misses, ...matches]);
    expect(got, `${JSON.stringify(pattern)} should match ${show(matches)} and not ${show(misses)}`).toEqual(matches);
  });

  it('matches a long routing key (100 words) against a.#.z and #.m.#.z', async () => {
    expect.hasAssertions();
    const words = Array.from({ length: 98 }, (_, i) => (i === 50 ? 'm' : 'w'));
    const long = ['a', ...words, 'z'].join('.');
    const notZ = ['a', ...words, 'y'].join('.');
    expect(long.length).toBeLessThanOrEqual(255);
    const { ch } = await open();
    const x = await topicExchange(ch);
    const q1 = await tempQueue(ch);
    const q2 = await tempQueue(ch);
    await ch.bindQueue(q1, x, 'a.#.z');
    await ch.bindQueue(q2, x, '#.m.#.z');
    ch.publish(x, long, Buffer.from('long'));
    ch.publish(x, notZ, Buffer.from('not z'));
    expect(await drainToMarker(ch, q1)).toEqual(['long']);
    expect(await drainToMarker(ch, q2)).toEqual(['long']);
  });

  it('routes through the predeclared amq.topic', async () => {
    expect.hasAssertions();
    const { ch } = await open();
    const q = await tempQueue(ch);
    const word = randomUUID();
    await ch.bindQueue(q, 'amq.topic', `${word}.*`);
    ch.publish('amq.topic', `${word}.x`, Buffer.from('via amq.topic'));
    ch.publish('amq.topic', `${word}.x.y`, Buffer.from('too deep'));
    expect(await drainToMarker(ch, q)).toEqual(['via amq.topic']);
    await ch.unbindQueue(q, 'amq.topic', `${word}.*`);
  });
});

describe('topic delivery', () => {
  it('delivers one copy to a queue however many of its bindings match', async () => {
    expect.hasAssertions();
    const { ch } = await open();
    const x = await topicExchange(ch);
    const q = await tempQueue(ch);
    for (const p of ['a.b', 'a.*', '*.b', 'a.#', '#', '#.b', 'a.#.b', '*.*']) await ch.bindQueue(q, x, p);
    ch.publish(x, 'a.b', Buffer.from('once'));
    expect(await drainToMarker(ch, q)).toEqual(['once']);
  });

  it('gives each matching queue its own copy, and none to a queue whose pattern does not match', async () => {
    expect.hasAssertions();
    const { ch } = await open();
    const x = await topicExchange(ch);
    const q1 = await tempQueue(ch);
    const q2 = await tempQueue(ch);
    const q3 = await tempQueue(ch);
    const q4 = await tempQueue(ch);
    await ch.bindQueue(q1, x, 'stock.*.nyse');
    await ch.bindQueue(q2, x, 'stock.#');
    await ch.bindQueue(q3, x, '#.nyse');
    await ch.bindQueue(q4, x, 'stock.*');
    ch.publish(x, 'stock.ibm.nyse', Buffer.from('ibm'));
    expect(await drainToMarker(ch, q1)).toEqual(['ibm']);
    expect(await drainToMarker(ch, q2)).toEqual(['ibm']);
    expect(await drainToMarker(ch, q3)).toEqual(['ibm']);
    expect(await drainToMarker(ch, q4)).toEqual([]);
  });

  it('binding the same pattern twice is one binding: one copy, and one unbind removes it', async () => {
    expect.hasAssertions();
    const { ch } = await open();
    const x = await topicExchange(ch);
    const q = await tempQueue(ch);
    await ch.bindQueue(q, x, 'a.*');
    await ch.bindQueue(q, x, 'a.*');
    ch.publish(x, 'a.b', Buffer.from('1'));
    expect(await drainToMarker(ch, q)).toEqual(['1']);
    await ch.unbindQueue(q, x, 'a.*');
    ch.publish(x, 'a.b', Buffer.from('2'));
    expect(await drainToMarker(ch, q)).toEqual([]);
  });

  it('stops delivering once the matching binding is removed, while other bindings still route', async () => {
    expect.hasAssertions();
    const { ch } = await open();
    const x = await topicExchange(ch);
    const q = await tempQueue(ch);
    await ch.bindQueue(q, x, 'a.#');
    await ch.bindQueue(q, x, '*.b');
    await ch.unbindQueue(q, x, 'a.#');
    ch.publish(x, 'a.c', Buffer.from('a.c'));
    ch.publish(x, 'a.b', Buffer.from('a.b'));
    expect(await drainToMarker(ch, q)).toEqual(['a.b']);
    await ch.unbindQueue(q, x, '*.b');
    ch.publish(x, 'a.b', Buffer.from('a.b again'));
    expect(await drainToMarker(ch, q)).toEqual([]);
  });

  it('unbinding one queue leaves the same pattern bound for other queues', async () => {
    expect.hasAssertions();
    const { ch } = await open();
    const x = await topicExchange(ch);
    const q1 = await tempQueue(ch);
    const q2 = await tempQueue(ch);
    await ch.bindQueue(q1, x, 'a.#');
    await ch.bindQueue(q2, x, 'a.#');
    await ch.unbindQueue(q1, x, 'a.#');
    ch.publish(x, 'a.b', Buffer.from('m'));
    expect(await drainToMarker(ch, q1)).toEqual([]);
    expect(await drainToMarker(ch, q2)).toEqual(['m']);
  });

  it('unbinding a pattern that is not bound changes nothing', async () => {
    expect.hasAssertions();
    const { ch } = await open();
    const x = await topicExchange(ch);
    const q = await tempQueue(ch);
    await ch.bindQueue(q, x, 'a.*');
    await ch.unbindQueue(q, x, 'a.#');
    await ch.unbindQueue(q, x, 'a');
    ch.publish(x, 'a.b', Buffer.from('m'));
    expect(await drainToMarker(ch, q)).toEqual(['m']);
  });

  it('stops routing to a deleted queue and keeps routing to the others', async () => {
    expect.hasAssertions();
    const { ch } = await open();
    const x = await topicExchange(ch);
    const q1 = await tempQueue(ch);
    const q2 = await tempQueue(ch);
    await ch.bindQueue(q1, x, '#');
    await ch.bindQueue(q2, x, '#');
    await ch.deleteQueue(q1);
    const returned: string[] = [];
    ch.on('return', (m) => returned.push(m.content.toString()));
    ch.publish(x, 'k', Buffer.from('m'), { mandatory: true });
    expect(await drainToMarker(ch, q2)).toEqual(['m']);
    expect(returned).toEqual([]);
    await ch.deleteQueue(q2);
    ch.publish(x, 'k', Buffer.from('unroutable'), { mandatory: true });
    await ch.checkExchange(x);
    expect(returned).toEqual(['unroutable']);
  });
});
