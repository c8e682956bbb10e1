// Unit tests for policies: RabbitMQ 3.10.8's validation texts, matching, priority and ties, operator merge, precedence over x-arguments.
import { describe, expect, it } from 'vitest';
import {
  effectiveAlternateExchange,
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
import type { FieldTable } from '../../src/protocol/index.js';

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
