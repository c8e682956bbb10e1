// Unit tests for the topic trie and router: RabbitMQ edge cases, a randomized oracle comparison and pathological patterns.
import { describe, it, expect } from 'vitest';
import { TopicIndex, TopicTrie, topicMatches } from '../../src/broker/topic-trie.js';

/** [pattern, routing key, matches?] */
const CASES: ReadonlyArray<readonly [string, string, boolean]> = [
  // plain words
  ['a.b.c', 'a.b.c', true],
  ['a.b.c', 'a.b', false],
  ['a.b', 'a.b.c', false],
  ['a.b.c', 'a.b.d', false],
  ['a', 'A', false],
  // empty routing key / binding key: RabbitMQ splits "" into zero words
  ['', '', true],
  ['#', '', true],
  ['#.#', '', true],
  ['#.#.#', '', true],
  ['*', '', false],
  ['*.*', '', false],
  ['#.*', '', false],
  ['*.#', '', false],
  ['', 'a', false],
  ['a', '', false],
  ['', '.', false],
  // empty words are words
  ['*', '.', false],
  ['*.*', '.', true],
  ['.', '.', true],
  ['a..b', 'a..b', true],
  ['a.*.b', 'a..b', true],
  ['a.#.b', 'a..b', true],
  ['a.b', 'a..b', false],
  ['*.a', '.a', true],
  ['.a', '.a', true],
  ['a', '.a', false],
  ['a.*', 'a.', true],
  ['a.', 'a.', true],
  ['a', 'a.', false],
  ['a.#', 'a.', true],
  ['#', '..', true],
  ['*.*.*', '..', true],
  ['*.*', '..', false],
  // *
  ['*', 'a', true],
  ['*', 'a.b', false],
  ['a.*', 'a', false],
  ['a.*', 'a.b', true],
  ['a.*', 'a.b.c', false],
  ['*.b.*', 'a.b.c', true],
  ['*.*', 'a.b', true],
  // #
  ['#', 'a', true],
  ['#', 'a.b.c.d', true],
  ['a.#', 'a', true],
  ['a.#', 'a.b.c', true],
  ['a.#', 'b.a', false],
  ['#.a', 'a', true],
  ['#.a', 'x.y.a', true],
  ['#.a', 'a.x', false],
  ['a.#.b', 'a.b', true],
  ['a.#.b', 'a.x.b', true],
  ['a.#.b', 'a.x.y.b', true],
  ['a.#.b', 'a.x.y.c', false],
  ['a.#.b', 'a', false],
  ['a.#.b', 'b', false],
  ['#.b.#', 'b', true],
  ['#.b.#', 'a.b.c', true],
  ['#.b.#', 'a.c', false],
  ['#.#', 'a.b.c', true],
  ['#.#.#.#', 'a', true],
  ['a.#.#', 'a', true],
  ['a.#.#.b', 'a.b', true],
  ['#.*', 'a', true],
  ['#.*', 'a.b.c', true],
  ['*.#', 'a', true],
  ['#.*.#', 'a.b', true],
  ['*.#.*', 'a', false],
  ['*.#.*', 'a.b', true],
  ['*.#.*', 'a.b.c.d', true],
  ['#.*.*', 'a', false],
  ['#.a.#.a.#', 'a.a', true],
  ['#.a.#.a.#', 'x.a.y.z.a.w', true],
  ['#.a.#.a.#', 'x.a.y', false],
  // wildcards are special only as whole words; literal * and # in keys are plain words
  ['a*', 'ab', false],
  ['a*', 'a*', true],
  ['a#', 'a.b', false],
  ['#a', '#a', true],
  ['*', '*', true],
  ['#', '#', true],
  ['a.b', 'a.*', false],
  ['a.b', 'a.#', false],
];

/** The binding table and expectations of RabbitMQ's own topic exchange unit test. */
const RABBIT_BINDINGS: ReadonlyArray<readonly [string, string]> = [
  ['a.b.c', 't1'], ['a.*.c', 't2'], ['a.#.b', 't3'], ['a.b.b.c', 't4'], ['#', 't5'], ['#.#', 't6'],
  ['#.b', 't7'], ['*.*', 't8'], ['a.*', 't9'], ['*.b.c', 't10'], ['a.#', 't11'], ['a.#.#', 't12'],
  ['b.b.c', 't13'], ['a.b.b', 't14'], ['a.b', 't15'], ['b.c', 't16'], ['', 't17'], ['*.*.*', 't18'],
  ['vodka.martini', 't19'], ['a.b.c', 't20'], ['*.#', 't21'], ['#.*.#', 't22'], ['*.#.#', 't23'],
  ['#.#.#', 't24'], ['*', 't25'], ['#.b.#', 't26'],
];
const RABBIT_EXPECT: ReadonlyArray<readonly [string, readonly string[]]> = [
  ['a.b.c', ['t1', 't2', 't5', 't6', 't10', 't11', 't12', 't18', 't20', 't21', 't22', 't23', 't24', 't26']],
  ['a.b', ['t3', 't5', 't6', 't7', 't8', 't9', 't11', 't12', 't15', 't21', 't22', 't23', 't24', 't26']],
  ['a.b.b', ['t3', 't5', 't6', 't7', 't11', 't12', 't14', 't18', 't21', 't22', 't23', 't24', 't26']],
  ['', ['t5', 't6', 't17', 't24']],
  ['b.c.c', ['t5', 't6', 't18', 't21', 't22', 't23', 't24', 't26']],
  ['a.a.a.a.a', ['t5', 't6', 't11', 't12', 't21', 't22', 't23', 't24']],
  ['vodka.gin', ['t5', 't6', 't8', 't21', 't22', 't23', 't24']],
  ['vodka.martini', ['t5', 't6', 't8', 't19', 't21', 't22', 't23', 't24']],
  ['b.b.c', ['t5', 't6', 't10', 't13', 't18', 't21', 't22', 't23', 't24', 't26']],
  ['nothing.here.at.all', ['t5', 't6', 't21', 't22', 't23', 't24']],
  ['oneword', ['t5', 't6', 't21', 't22', 't23', 't24', 't25']],
];

function routed<T>(r: { route(k: string, out: Set<T>): void }, key: string): T[] {
  const out = new Set<T>();
  r.route(key, out);
  return [...out];
}

const sorted = <T>(xs: Iterable<T>): T[] => [...xs].sort();

describe('topicMatches (oracle)', () => {
  it.each(CASES)('%j vs %j -> %s', (pattern, key, expected) => {
    expect(topicMatches(pattern, key)).toBe(expected);
  });
});

describe('TopicTrie', () => {
  it.each(CASES)('%j vs %j -> %s', (pattern, key, expected) => {
    const trie = new TopicTrie<string>();
    trie.add(pattern, 'q');
    const out = new Set<string>();
    trie.match(key, out);
    expect(out.has('q')).toBe(expected);
  });

  it("reproduces RabbitMQ's topic exchange test table", () => {
    for (const cacheSize of [1024, 0]) {
      const router = new TopicIndex<string>(cacheSize);
      for (const [pattern, q] of RABBIT_BINDINGS) router.add(pattern, q);
      for (const [key, expected] of RABBIT_EXPECT) expect(sorted(routed(router, key)), key).toEqual(sorted(expected));
    }
  });

  it('stores a (pattern, value) pair once and counts pairs', () => {
    const trie = new TopicTrie<string>();
    trie.add('a.*', 'q1');
    trie.add('a.*', 'q1');
    trie.add('a.*', 'q2');
    trie.add('#', 'q1');
    expect(trie.size).toBe(3);
    expect(trie.remove('a.*', 'q1')).toBe(true);
    expect(trie.remove('a.*', 'q1')).toBe(false);
    expect(trie.size).toBe(2);
  });

  it('reports each value once even when several patterns match', () => {
    const trie = new TopicTrie<string>();
    for (const p of ['a.b', 'a.*', '#', '*.#', '#.b', 'a.#.b']) trie.add(p, 'q');
    trie.add('a.b', 'other');
    const out = new Set<string>();
    trie.match('a.b', out);
    expect(sorted(out)).toEqual(['other', 'q']);
  });

  it('adds to whatever is already in out', () => {
    const trie = new TopicTrie<string>();
    trie.add('a', 'q');
    const out = new Set(['existing']);
    trie.match('a', out);
    expect(sorted(out)).toEqual(['existing', 'q']);
  });

  it('remove() of an absent pair is false and changes nothing', () => {
    const trie = new TopicTrie<number>();
    trie.add('a.b', 1);
    expect(trie.remove('a.b', 2)).toBe(false);
    expect(trie.remove('a.c', 1)).toBe(false);
    expect(trie.remove('a.b.c', 1)).toBe(false);
    expect(trie.remove('a', 1)).toBe(false);
    expect(trie.size).toBe(1);
  });

  it('prunes empty nodes on remove but keeps shared prefixes', () => {
    const trie = new TopicTrie<number>();
    expect(trie.nodeCount).toBe(1);
    trie.add('a.b.c', 1);
    trie.add('a.#', 2);
    trie.add('a.*.c', 3);
    trie.add('', 4);
    expect(trie.nodeCount).toBe(7); // root, a, a.b, a.b.c, a.#, a.*, a.*.c
    trie.remove('a.b.c', 1);
    expect(trie.nodeCount).toBe(5);
    trie.remove('a.*.c', 3);
    expect(trie.nodeCount).toBe(3);
    trie.remove('a.#', 2);
    expect(trie.nodeCount).toBe(1);
    const out = new Set<number>();
    trie.match('', out);
    expect([...out]).toEqual([4]);
    trie.remove('', 4);
    expect(trie.nodeCount).toBe(1);
    expect(trie.size).toBe(0);
  });

  it('keeps an interior node that still has a value', () => {
    const trie = new TopicTrie<number>();
    trie.add('a', 1);
    trie.add('a.b', 2);
    trie.remove('a.b', 2);
    expect(trie.nodeCount).toBe(2);
    const out = new Set<number>();
    trie.match('a', out);
    expect([...out]).toEqual([1]);
  });

  it('matches pathological # patterns without blowing up', () => {
    const trie = new TopicTrie<string>();
    const key40 = Array.from({ length: 40 }, (_, i) => `w${i % 3}`).join('.');
    trie.add(Array(40).fill('#').join('.'), 'hashes');
    trie.add(`${Array(40).fill('#').join('.')}.nope`, 'no');
    trie.add('#.#.#.#.#.#.a', 'a-end');
    trie.add(`${Array(10).fill('#.w1').join('.')}.#`, 'w1s'); // key40 has 13 w1s
    trie.add(`${Array(20).fill('#.w1').join('.')}.#`, 'too-many-w1s');
    trie.add(Array(20).fill('#.zz').join('.'), 'zzs');
    const out = new Set<string>();
    trie.match(key40, out);
    expect(sorted(out)).toEqual(['hashes', 'w1s']);
    const out2 = new Set<string>();
    trie.match(`${key40}.a`, out2);
    expect(sorted(out2)).toEqual(['a-end', 'hashes', 'w1s']);
    const out3 = new Set<string>();
    trie.match(Array(255).fill('').join('.'), out3);
    expect(sorted(out3)).toEqual(['hashes']);
  });
});

describe('TopicIndex', () => {
  it('invalidates the cache on add and remove', () => {
    const router = new TopicIndex<string>(16);
    expect(routed(router, 'a.b')).toEqual([]);
    router.add('a.*', 'q1');
    expect(routed(router, 'a.b')).toEqual(['q1']);
    router.add('#', 'q2');
    expect(sorted(routed(router, 'a.b'))).toEqual(['q1', 'q2']);
    router.remove('a.*', 'q1');
    expect(routed(router, 'a.b')).toEqual(['q2']);
    expect(router.size).toBe(1);
  });

  it('returns cached results into a non-empty out set without losing its contents', () => {
    const router = new TopicIndex<string>(16);
    router.add('a', 'q');
    routed(router, 'a');
    const out = new Set(['x']);
    router.route('a', out);
    expect(sorted(out)).toEqual(['q', 'x']);
    expect(routed(router, 'a')).toEqual(['q']);
  });
});

/** mulberry32: a tiny seeded PRNG returning floats in [0, 1). */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('TopicIndex vs the naive oracle (randomized)', () => {
  const PATTERN_WORDS = ['a', 'b', 'c', '', '*', '#'];
  const KEY_WORDS = ['a', 'b', 'c', '', 'a', 'b', '*', '#'];

  for (const seed of [1, 2, 3, 0xdecaf]) {
    it(`agrees with topicMatches (seed ${seed})`, () => {
      const rand = mulberry32(seed);
      const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
      const phrase = (words: readonly string[]): string =>
        Array.from({ length: Math.floor(rand() * 6) }, () => pick(words)).join('.');

      for (let round = 0; round < 8; round++) {
        const routers = [new TopicIndex<number>(1024), new TopicIndex<number>(0), new TopicIndex<number>(2)];
        const bound = new Map<string, [string, number]>(); // "pattern\0value" -> pair
        for (let i = 0; i < 120; i++) {
          const pair: [string, number] = [phrase(PATTERN_WORDS), Math.floor(rand() * 40)];
          bound.set(`${pair[0]}\0${pair[1]}`, pair);
          for (const r of routers) r.add(pair[0], pair[1]);
        }
        const keys = Array.from({ length: 60 }, () => phrase(KEY_WORDS));

        const check = (): void => {
          // each key twice, so cached routers answer from the cache the second time
          for (const key of [...keys, ...keys]) {
            const expected = new Set<number>();
            for (const [pattern, value] of bound.values()) if (topicMatches(pattern, key)) expected.add(value);
            for (const r of routers) {
              expect(r.size).toBe(bound.size);
              expect(sorted(routed(r, key)), `key ${JSON.stringify(key)}`).toEqual(sorted(expected));
            }
          }
        };
        check();

        for (let i = 0; i < 60; i++) {
          const pair: [string, number] =
            rand() < 0.8 ? pick([...bound.values()]) : [phrase(PATTERN_WORDS), Math.floor(rand() * 40)];
          const present = bound.delete(`${pair[0]}\0${pair[1]}`);
          for (const r of routers) expect(r.remove(pair[0], pair[1])).toBe(present);
        }
        check();

        for (const [pattern, value] of [...bound.values()]) {
          bound.delete(`${pattern}\0${value}`);
          for (const r of routers) expect(r.remove(pattern, value)).toBe(true);
        }
        check();
      }
    });
  }

  it('prunes back to a bare root after removing everything', () => {
    const rand = mulberry32(7);
    const trie = new TopicTrie<number>();
    const pairs: Array<[string, number]> = [];
    for (let i = 0; i < 500; i++) {
      const words = Array.from({ length: Math.floor(rand() * 6) }, () => ['a', 'b', '', '*', '#'][Math.floor(rand() * 5)]!);
      pairs.push([words.join('.'), i % 7]);
      trie.add(words.join('.'), i % 7);
    }
    for (const [p, v] of pairs) trie.remove(p, v);
    expect(trie.size).toBe(0);
    expect(trie.nodeCount).toBe(1);
  });
});
