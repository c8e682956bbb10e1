// Unit tests for policies: RabbitMQ 3.10.8's validation texts, matching, priority and ties, operator merge, precedence over
// x-arguments, the one key list (keys.ts) deciding what applies to which queue type, Warren's deduplication keys.
import { describe, expect, it } from 'vitest';
import {
  effectiveAlternateExchange,
  effectiveArguments,
  exchangeSettings,
  isApplicable,
  keysFor,
  POLICY_KEYS,
  type JsonValue,
  type PolicyTarget,
  effectiveDefinition,
  effectiveQueueArguments,
  matchPolicy,
  ParameterTable,
  parsePolicy,
  PolicyError,
  PolicyFieldMissing,
  type ParameterChange,
  type Policy,
  type PolicyKind,
} from '../../src/broker/index.js';
import type { FieldTable, FieldValue } from '../../src/protocol/index.js';
import { parseQueueArguments } from '../../src/broker/queue-arguments.js';
import { queueTypeNamed } from '../../src/broker/queue-types/index.js';

const policy = (name: string, fields: Record<string, unknown>, kind: PolicyKind = 'policy'): Policy => parsePolicy('/', name, kind, fields);

function reason(fields: Record<string, unknown>, kind: PolicyKind = 'policy'): string {
  try {
    policy('p', fields, kind);
  } catch (e) {
    if (e instanceof PolicyError) return e.reason;
    if (e instanceof PolicyFieldMissing) return e.message;
    throw e;
  }
  return 'accepted';
}

const def = (definition: unknown, extra: Record<string, unknown> = {}) => ({ pattern: '^a', definition, ...extra });

describe('policy validation (texts checked with curl against RabbitMQ 3.10.8)', () => {
  it.each<[string, Record<string, unknown>, string]>([
    ['missing pattern', { definition: { 'max-length': 1 } }, '[{key_missing,pattern}]'],
    ['missing definition', { pattern: 'x' }, '[{key_missing,definition}]'],
    ['unclosed group', { pattern: '(', definition: { 'max-length': 1 } }, 'pattern should be regular expression but is invalid: {"missing )",1}'],
    ['nothing to repeat', { pattern: '*a', definition: { 'max-length': 1 } }, 'pattern should be regular expression but is invalid: {"nothing to repeat",0}'],
    ['a**', { pattern: 'a**', definition: { 'max-length': 1 } }, 'pattern should be regular expression but is invalid: {"nothing to repeat",2}'],
    ['class', { pattern: '[a', definition: { 'max-length': 1 } }, `pattern should be regular expression but is invalid: {"missing terminating ] for character class",\n${' '.repeat(54)}2}`],
    ['unmatched', { pattern: 'a)', definition: { 'max-length': 1 } }, `pattern should be regular expression but is invalid: {"unmatched parentheses",\n${' '.repeat(54)}1}`],
    ['pattern type', { pattern: 1, definition: { 'max-length': 1 } }, 'pattern should be a binary but was 1'],
    ['unknown key', def({ foo: 1 }), '[{<<"foo">>,1}] are not recognised policy settings'],
    ['unknown keys, sorted', def({ foo: 1, bar: 2 }), '[{<<"bar">>,2},{<<"foo">>,1}] are not recognised policy settings'],
    ['known keys before unknown', def({ foo: 1, 'message-ttl': -1 }), '-1 is not a valid message TTL'],
    ['first in key order', def({ 'message-ttl': -1, 'max-length': -1 }), '-1 is not a valid maximum length'],
    ['wrong type', def({ 'message-ttl': 'soon' }), '<<"soon">> is not a valid message TTL'],
    ['float', def({ 'message-ttl': 1.5 }), '1.5 is not a valid message TTL'],
    ['zero expiry', def({ expires: 0 }), '0 is not a valid queue expiry'],
    ['bytes', def({ 'max-length-bytes': 1.5 }), '1.5 is not a valid maximum length in bytes'],
    ['overflow', def({ overflow: 'x' }), '<<"x">> is not a valid overflow value'],
    ['dlx', def({ 'dead-letter-exchange': 1 }), '1 is not a valid dead letter exchange name'],
    ['ae', def({ 'alternate-exchange': 1 }), '1 is not a valid alternate exchange name'],
    ['queue-mode', def({ 'queue-mode': 'x' }), '<<"x">> is not a valid queue-mode value'],
    ['queue-version', def({ 'queue-version': 3 }), '3 is not a valid queue-version value'],
    ['delivery-limit', def({ 'delivery-limit': -1 }), '-1 is not a valid delivery limit'],
    ['ha without mode', def({ 'ha-params': 2 }), 'ha-mode must be specified to specify ha-params, ha-sync-mode or ha-promote-on-shutdown'],
    ['ha exactly', def({ 'ha-mode': 'exactly' }), 'ha-mode="exactly" takes an integer, none given'],
    ['ha all', def({ 'ha-mode': 'all', 'ha-params': 1 }), 'ha-mode="all" does not take parameters'],
    ['ha after core', def({ 'queue-mode': 'x', 'ha-mode': 'x' }), '<<"x">> is not a valid queue-mode value'],
    ['ha before unknown', def({ zzz: 1, 'ha-mode': 'x' }), '<<"x">> is not a valid ha-mode value'],
    ['empty', def({}), 'no policy provided'],
    ['apply-to', def({ 'max-length': 1 }, { 'apply-to': 'foo' }), "apply-to 'foo' unrecognised; should be 'queues', 'exchanges' or 'all'"],
    ['priority type', def({ 'max-length': 1 }, { priority: '5' }), 'priority should be a number, actually was <<"5">>'],
    ['priority null', def({ 'max-length': 1 }, { priority: null }), 'priority should be a number, actually was null'],
  ])('%s', (_what, fields, expected) => {
    expect(reason(fields)).toBe(expected);
  });

  it('accepts the keys that do nothing on one node, and a float priority', () => {
    for (const d of [{ 'ha-mode': 'all' }, { 'queue-mode': 'lazy' }, { 'queue-version': 2 }, { 'federation-upstream': 'u' }, { 'queue-leader-locator': 'balanced' }, { 'max-age': '1D' }]) {
      expect(reason(def(d))).toBe('accepted');
    }
    expect(policy('p', def({ 'max-length': 1 }, { priority: 1.5 })).priority).toBe(1.5);
  });

  it('operator policies take only their keys', () => {
    expect(reason(def({ 'message-ttl': 100, 'max-length': 1, expires: 10, 'max-length-bytes': 1, 'delivery-limit': 1 }), 'operator_policy')).toBe('accepted');
    expect(reason(def({ 'dead-letter-exchange': 'x' }), 'operator_policy')).toBe('[{<<"dead-letter-exchange">>,<<"x">>}] are not recognised policy settings');
    expect(reason(def({ 'ha-mode': 'all' }), 'operator_policy')).toBe('[{<<"ha-mode">>,<<"all">>}] are not recognised policy settings');
    expect(reason(def({ 'message-ttl': -1 }), 'operator_policy')).toBe('-1 is not a valid message TTL');
  });
});

describe('matching', () => {
  it('is unanchored unless the pattern anchors it', () => {
    const p = policy('p', { pattern: 'work', definition: { 'max-length': 1 } });
    expect(matchPolicy([p], 'my.work.queue', 'classic')).toBe(p);
    const anchored = policy('a', { pattern: '^work\\.', definition: { 'max-length': 1 } });
    expect(matchPolicy([anchored], 'my.work.queue', 'classic')).toBeUndefined();
    expect(matchPolicy([anchored], 'work.a', 'classic')).toBe(anchored);
    expect(matchPolicy([policy('all', { pattern: '.*', definition: { 'max-length': 1 } })], '', 'exchange')).toBeDefined();
  });

  it('honours apply-to', () => {
    const q = policy('q', { pattern: '.', definition: { 'max-length': 1 }, 'apply-to': 'queues' });
    const x = policy('x', { pattern: '.', definition: { 'alternate-exchange': 'ae' }, 'apply-to': 'exchanges' });
    const cq = policy('cq', { pattern: '.', definition: { 'max-length': 1 }, 'apply-to': 'classic_queues' });
    expect(matchPolicy([q, x], 'a', 'classic')).toBe(q);
    expect(matchPolicy([q, x], 'a', 'exchange')).toBe(x);
    expect(matchPolicy([cq], 'a', 'quorum')).toBeUndefined();
    expect(matchPolicy([cq], 'a', 'classic')).toBe(cq);
  });

  it('picks the highest priority, and between equals the name that sorts first', () => {
    const low = policy('low', { pattern: 'a', definition: { 'max-length': 1 }, priority: 1 });
    const high = policy('high', { pattern: 'a', definition: { 'max-length': 2 }, priority: 5 });
    const same1 = policy('same1', { pattern: 'a', definition: { 'max-length': 3 } });
    const same2 = policy('same2', { pattern: 'a', definition: { 'max-length': 4 } });
    expect(matchPolicy([low, high], 'a', 'classic')).toBe(high);
    expect(matchPolicy([high, low], 'a', 'classic')).toBe(high);
    expect(matchPolicy([same2, same1], 'a', 'classic')).toBe(same1);
    expect(matchPolicy([same1, same2], 'a', 'classic')).toBe(same1);
  });

  it('skips, for a quorum queue, a policy holding a key quorum queues refuse (a lower one applies), as RabbitMQ 3.10.8 does', () => {
    const hi = policy('hi', { pattern: '^qq', priority: 10, definition: { 'ha-mode': 'all', 'max-length': 1 } });
    const lo = policy('lo', { pattern: '^qq', definition: { 'max-length': 2 } });
    expect(matchPolicy([hi, lo], 'qq1', 'quorum')).toBe(lo);
    expect(matchPolicy([hi, lo], 'qq1', 'classic')).toBe(hi);
  });
});

describe('operator policy merge', () => {
  it('takes the lower number, the operator overflow, and keys either side alone; keys sorted', () => {
    const user = policy('u', def({ 'max-length': 10, 'message-ttl': 5000, overflow: 'drop-head' }));
    const op = policy('o', def({ 'max-length': 5, expires: 100000, 'message-ttl': 9000, overflow: 'reject-publish' }), 'operator_policy');
    const eff = effectiveDefinition(user, op);
    expect(eff).toEqual({ expires: 100000, 'max-length': 5, 'message-ttl': 5000, overflow: 'reject-publish' });
    expect(Object.keys(eff)).toEqual(['expires', 'max-length', 'message-ttl', 'overflow']);
    expect(effectiveDefinition(undefined, op)).toEqual({ expires: 100000, 'max-length': 5, 'message-ttl': 9000, overflow: 'reject-publish' });
    expect(effectiveDefinition(user, undefined)).toEqual(user.definition);
    expect(effectiveDefinition(undefined, undefined)).toEqual({});
  });
});

describe('precedence with x-arguments', () => {
  const args = (o: Record<string, number | string>): FieldTable =>
    new Map(Object.entries(o).map(([k, v]) => [k, typeof v === 'number' ? { type: 'I' as const, value: v } : { type: 'S' as const, value: v }]));
  const plain = (t: FieldTable) => Object.fromEntries([...t].map(([k, v]) => [k, Number.isFinite(Number(v.value)) && v.type !== 'S' ? Number(v.value) : v.value]));

  it('the lower of argument and policy wins for message-ttl, expires, max-length, max-length-bytes', () => {
    const d = { 'message-ttl': 5000, expires: 60000, 'max-length': 10, 'max-length-bytes': 100 };
    expect(plain(effectiveQueueArguments(args({ 'x-message-ttl': 1000, 'x-expires': 90000, 'x-max-length': 20, 'x-max-length-bytes': 50 }), d, 'classic'))).toEqual({
      'x-message-ttl': 1000,
      'x-expires': 60000,
      'x-max-length': 10,
      'x-max-length-bytes': 50,
    });
  });

  it('the argument wins for dead-letter-exchange, dead-letter-routing-key and overflow', () => {
    const d = { 'dead-letter-exchange': 'pdlx', 'dead-letter-routing-key': 'pk', overflow: 'reject-publish' };
    expect(plain(effectiveQueueArguments(args({ 'x-dead-letter-exchange': 'adlx', 'x-overflow': 'drop-head' }), d, 'classic'))).toEqual({
      'x-dead-letter-exchange': 'adlx',
      'x-overflow': 'drop-head',
      'x-dead-letter-routing-key': 'pk',
    });
    expect(plain(effectiveQueueArguments(args({}), d, 'classic'))).toEqual({ 'x-dead-letter-exchange': 'pdlx', 'x-dead-letter-routing-key': 'pk', 'x-overflow': 'reject-publish' });
  });

  it('skips keys that do not concern the queue type, and returns the arguments themselves when nothing changes', () => {
    const a = args({ 'x-max-length': 3 });
    expect(effectiveQueueArguments(a, { 'delivery-limit': 2, 'queue-mode': 'lazy', 'max-length': 9 }, 'classic')).toBe(a);
    expect(plain(effectiveQueueArguments(a, { 'delivery-limit': 2 }, 'quorum'))).toEqual({ 'x-max-length': 3, 'x-delivery-limit': 2 });
  });

  it("streams: max-age (compared as durations) and stream-max-segment-size-bytes, the lower of argument and policy", () => {
    const d = { 'max-age': '2D', 'stream-max-segment-size-bytes': 1000, 'max-length-bytes': 5000 };
    expect(plain(effectiveQueueArguments(args({}), d, 'stream'))).toEqual({ 'x-max-age': '2D', 'x-stream-max-segment-size-bytes': 1000, 'x-max-length-bytes': 5000 });
    // 36h is shorter than 2D: the argument stays; 3D is longer: the policy's 2D applies.
    expect(plain(effectiveQueueArguments(args({ 'x-max-age': '36h' }), d, 'stream'))).toMatchObject({ 'x-max-age': '36h' });
    expect(plain(effectiveQueueArguments(args({ 'x-max-age': '3D', 'x-stream-max-segment-size-bytes': 500 }), d, 'stream'))).toMatchObject({ 'x-max-age': '2D', 'x-stream-max-segment-size-bytes': 500 });
    // Not for classic queues.
    const a = args({});
    expect(effectiveQueueArguments(a, { 'max-age': '1h' }, 'classic')).toBe(a);
  });

  it('alternate-exchange: the argument wins, else the policy', () => {
    expect(effectiveAlternateExchange(args({ 'alternate-exchange': 'a' }), { 'alternate-exchange': 'p' })).toBe('a');
    expect(effectiveAlternateExchange(args({}), { 'alternate-exchange': 'p' })).toBe('p');
    expect(effectiveAlternateExchange(args({}), {})).toBeUndefined();
  });
});

describe('parameter table', () => {
  it('records changes, replays them and snapshots what is left', () => {
    const t = new ParameterTable();
    const log: ParameterChange[] = [];
    const touched: string[] = [];
    t.onChange((c) => log.push(c));
    t.onPoliciesChange((v) => touched.push(v));
    expect(t.setPolicy('policy', policy('p1', def({ 'max-length': 1 })))).toBe(true);
    expect(t.setPolicy('policy', policy('p1', def({ 'max-length': 2 })))).toBe(false);
    t.setParameter({ vhost: '/', component: 'federation-upstream', name: 'u', value: { uri: 'amqp://x' } });
    t.setGlobal('cluster_name', 'c');
    expect(touched).toEqual(['/', '/']);
    const copy = new ParameterTable();
    for (const c of log) copy.replay(c, () => {});
    expect(copy.snapshot()).toEqual(t.snapshot());
    t.vhostDeleted('/');
    expect(t.allPolicies('policy')).toEqual([]);
    expect(t.parameters()).toEqual([]);
    expect(t.globalParameters()).toEqual([['cluster_name', 'c']]);
  });
});

describe('one key list: what applies to which queue type (src/broker/policies/keys.ts)', () => {
  /** A value the key's own check accepts (ha-* are checked together: ha-mode "all" stands alone). */
  function validValue(name: string): JsonValue {
    if (name === 'ha-mode') return 'all';
    const candidates: JsonValue[] = [1, 2, '1D', 'x', true, 'lazy', 'drop-head', 'balanced', 'min-masters', 'at-most-once', 'always', 'manual'];
    const key = POLICY_KEYS.get(name)!;
    const v = candidates.find((c) => key.check?.(c) === undefined);
    if (v === undefined) throw new Error(`no sample value for ${name}`);
    return v;
  }
  const TARGETS: PolicyTarget[] = ['exchange', 'classic', 'quorum', 'stream'];

  it('the queue types take their policy target from the registry and keys.ts lists the keys for each (RabbitMQ 3.10 lists, plus Warren\'s own)', () => {
    expect(['classic', 'quorum', 'stream'].map((t) => queueTypeNamed(t)?.policyTarget)).toEqual(['classic', 'quorum', 'stream']);
    const dedup = ['cache-size', 'cache-ttl', 'deduplication-header', 'message-deduplication'];
    const fed = ['federation-upstream', 'federation-upstream-set'];
    expect([...keysFor('exchange')].sort()).toEqual(['alternate-exchange', ...dedup, ...fed].sort());
    expect([...keysFor('stream')].sort()).toEqual(['initial-cluster-size', 'max-age', 'max-length-bytes', 'queue-leader-locator', 'stream-max-segment-size-bytes']);
    expect(keysFor('quorum')).toContain('delivery-limit');
    expect(keysFor('classic')).not.toContain('delivery-limit');
    expect(keysFor('classic')).toContain('queue-mode');
  });

  it('for every key and every queue type: a key not applying to the type is skipped for that queue (the others apply), from the one list', () => {
    expect.hasAssertions();
    for (const target of TARGETS) {
      const own = keysFor(target);
      for (const [name, key] of POLICY_KEYS) {
        if (!key.argument) continue;
        const v = validValue(name);
        // dead-letter-routing-key needs an exchange to go with it.
        const definition = name === 'dead-letter-routing-key' ? { 'dead-letter-exchange': 'dlx', [name]: v } : { [name]: v };
        const out = effectiveArguments(new Map(), definition, target);
        expect([target, name, out.has(key.argument.name)]).toEqual([target, name, own.has(name)]);
      }
    }
  });

  it('a policy holding a key the type refuses is skipped whole, a lower one applies; the other keys not for the type are ignored', () => {
    for (const [name, key] of POLICY_KEYS) {
      const hi = policy('hi', { pattern: '^q', priority: 10, definition: name.startsWith('ha-') ? { 'ha-mode': 'all' } : { [name]: validValue(name) } });
      const lo = policy('lo', { pattern: '^q', definition: { 'max-length-bytes': 5 } });
      for (const target of ['classic', 'quorum', 'stream'] as const) {
        const applies = !key.refusedBy?.includes(target);
        expect([name, target, isApplicable(hi.definition, target)]).toEqual([name, target, applies]);
        expect([name, target, matchPolicy([hi, lo], 'q1', target)?.name]).toEqual([name, target, applies ? 'hi' : 'lo']);
      }
    }
  });

  it("each queue type refuses RabbitMQ 3.10.8's keys (probed: a policy holding the key, a lower one without; which one the queue took)", () => {
    const refused = (target: PolicyTarget) => [...POLICY_KEYS.keys()].filter((k) => !isApplicable({ [k]: 1 }, target)).sort();
    const ha = ['ha-mode', 'ha-params', 'ha-promote-on-failure', 'ha-promote-on-shutdown', 'ha-sync-batch-size', 'ha-sync-mode'];
    expect(refused('classic')).toEqual(['dead-letter-strategy', 'delivery-limit', 'initial-cluster-size', 'max-age', 'queue-leader-locator', 'stream-max-segment-size-bytes']);
    expect(refused('quorum')).toEqual([...ha, 'initial-cluster-size', 'max-age', 'queue-master-locator', 'queue-mode', 'stream-max-segment-size-bytes']);
    // Streams: RabbitMQ's keys for other queue types (consumer-timeout: 3.12+), and Warren's deduplication keys.
    expect(refused('stream')).toEqual(
      ['cache-size', 'cache-ttl', 'consumer-timeout', 'dead-letter-exchange', 'dead-letter-routing-key', 'dead-letter-strategy', 'deduplication-header', 'delivery-limit', 'expires',
        ...ha, 'max-in-memory-bytes', 'max-in-memory-length', 'max-length', 'message-deduplication', 'message-ttl', 'overflow', 'queue-master-locator', 'queue-mode'].sort(),
    );
    expect(refused('exchange')).toEqual([]);
    // Taken and ignored: queue-version by quorum queues and streams, alternate-exchange by every queue, max-in-memory-* by classic ones.
    expect(isApplicable({ 'queue-version': 2, 'alternate-exchange': 'ae', 'max-length-bytes': 1 }, 'stream')).toBe(true);
    expect(isApplicable({ 'queue-version': 2, 'max-in-memory-length': 1 }, 'classic')).toBe(true);
  });
});

describe('deduplication policy keys (Warren\'s own)', () => {
  const bool = (value: boolean) => ({ type: 't' as const, value });
  const int = (value: number) => ({ type: 'I' as const, value });
  const str = (value: string) => ({ type: 'S' as const, value });

  it.each<[string, Record<string, unknown>, string]>([
    ['flag', { 'message-deduplication': 'yes' }, '<<"yes">> is not a valid message deduplication flag'],
    ['size', { 'cache-size': -1 }, '-1 is not a valid deduplication cache size'],
    ['size type', { 'cache-size': '10' }, '<<"10">> is not a valid deduplication cache size'],
    ['ttl', { 'cache-ttl': 1.5 }, '1.5 is not a valid deduplication cache TTL'],
    ['header', { 'deduplication-header': 1 }, '1 is not a valid deduplication header'],
    ['after RabbitMQ\'s keys', { 'cache-size': -1, 'max-length': -1 }, '-1 is not a valid maximum length'],
    ['before unknown keys', { zzz: 1, 'cache-ttl': -5 }, '-5 is not a valid deduplication cache TTL'],
  ])('refuses a bad %s with RabbitMQ\'s reason shape', (_what, d, expected) => {
    expect(reason(def(d))).toBe(expected);
  });

  it('accepts valid values; operator policies may not set them', () => {
    expect(reason(def({ 'message-deduplication': true, 'cache-size': 10, 'cache-ttl': 0, 'deduplication-header': 'id' }))).toBe('accepted');
    expect(reason(def({ 'cache-size': 10 }), 'operator_policy')).toBe('[{<<"cache-size">>,10}] are not recognised policy settings');
  });

  it('the argument wins for the flag and the header; the lower wins for cache size and age', () => {
    const d = { 'message-deduplication': true, 'cache-size': 5, 'cache-ttl': 1000, 'deduplication-header': 'p-id' };
    const fromPolicy = parseQueueArguments(effectiveArguments(new Map(), d, 'classic'), 'q').deduplication;
    expect(fromPolicy).toEqual({ cacheSize: 5, cacheTtl: 1000, header: 'p-id' });
    const args: FieldTable = new Map([['x-message-deduplication', bool(false)]]);
    expect(parseQueueArguments(effectiveArguments(args, d, 'quorum'), 'q').deduplication).toBeUndefined();
    const mine: FieldTable = new Map<string, FieldValue>([['x-message-deduplication', bool(true)], ['x-cache-size', int(100)], ['x-cache-ttl', int(500)], ['x-deduplication-header', str('a-id')]]);
    expect(parseQueueArguments(effectiveArguments(mine, d, 'classic'), 'q').deduplication).toEqual({ cacheSize: 5, cacheTtl: 500, header: 'a-id' });
    // Exchanges too; streams do not deduplicate (a policy holding the keys does not apply to them at all).
    expect(exchangeSettings(effectiveArguments(new Map(), d, 'exchange'), 'x').deduplication).toEqual({ cacheSize: 5, cacheTtl: 1000, header: 'p-id' });
    expect(isApplicable(d, 'stream')).toBe(false);
    // Size and age alone do not turn deduplication on.
    expect(exchangeSettings(effectiveArguments(new Map(), { 'cache-size': 5 }, 'exchange'), 'x').deduplication).toBeUndefined();
  });
});
