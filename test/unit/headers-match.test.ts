// Unit tests for headers-exchange matching and x-match validation (RabbitMQ 3.13/4.x semantics).
import { describe, it, expect } from 'vitest';
import { headersMatch, validateXMatch } from '../../src/broker/headers-match.js';
import { bool, long, str, table, tableOf, type FieldTable, type FieldValue } from '../../src/protocol/field-table.js';

const VOID: FieldValue = { type: 'V', value: null };
const int = (type: 'b' | 'B' | 's' | 'u' | 'I' | 'i' | 'T', value: number): FieldValue => ({ type, value });
const dbl = (value: number): FieldValue => ({ type: 'd', value });
const flt = (value: number): FieldValue => ({ type: 'f', value });
const bin = (s: string): FieldValue => ({ type: 'x', value: Buffer.from(s) });
const arr = (...value: FieldValue[]): FieldValue => ({ type: 'A', value });
const dec = (scale: number, value: number): FieldValue => ({ type: 'D', value: { scale, value } });
const t = tableOf;

describe('headersMatch: x-match all (default)', () => {
  const args = t({ format: str('pdf'), type: str('report') });

  it('matches when every binding key is present and equal', () => {
    expect(headersMatch(args, t({ format: str('pdf'), type: str('report'), extra: str('x') }))).toBe(true);
    expect(headersMatch(t({ 'x-match': str('all'), ...Object.fromEntries(args) }), t({ format: str('pdf'), type: str('report') }))).toBe(true);
  });

  it('fails on a missing key or a different value', () => {
    expect(headersMatch(args, t({ format: str('pdf') }))).toBe(false);
    expect(headersMatch(args, t({ format: str('pdf'), type: str('log') }))).toBe(false);
    expect(headersMatch(args, undefined)).toBe(false);
    expect(headersMatch(args, new Map())).toBe(false);
  });

  it('treats an unrecognised or non-string x-match as all (legacy bindings)', () => {
    const h = t({ a: str('1') });
    expect(headersMatch(t({ 'x-match': str('ANY'), a: str('1'), b: str('2') }), h)).toBe(false);
    expect(headersMatch(t({ 'x-match': long(1), a: str('1') }), h)).toBe(true);
  });
});

describe('headersMatch: x-match any', () => {
  const args = t({ 'x-match': str('any'), format: str('pdf'), type: str('report') });

  it('matches when at least one binding key matches', () => {
    expect(headersMatch(args, t({ format: str('pdf'), type: str('log') }))).toBe(true);
    expect(headersMatch(args, t({ type: str('report') }))).toBe(true);
  });

  it('fails when none match', () => {
    expect(headersMatch(args, t({ format: str('doc'), type: str('log') }))).toBe(false);
    expect(headersMatch(args, t({ other: str('pdf') }))).toBe(false);
    expect(headersMatch(args, undefined)).toBe(false);
  });
});

describe('headersMatch: empty conditions', () => {
  it('all with no (non-x) conditions matches every message', () => {
    expect(headersMatch(new Map(), undefined)).toBe(true);
    expect(headersMatch(new Map(), t({ a: str('b') }))).toBe(true);
    expect(headersMatch(t({ 'x-match': str('all') }), undefined)).toBe(true);
    expect(headersMatch(t({ 'x-match': str('all'), 'x-foo': str('bar') }), t({ a: str('b') }))).toBe(true);
  });

  it('any with no (non-x) conditions matches nothing', () => {
    expect(headersMatch(t({ 'x-match': str('any') }), t({ a: str('b') }))).toBe(false);
    expect(headersMatch(t({ 'x-match': str('any'), 'x-foo': str('bar') }), t({ 'x-foo': str('bar') }))).toBe(false);
    expect(headersMatch(t({ 'x-match': str('any-with-x') }), t({ a: str('b') }))).toBe(false);
  });

  it('all-with-x with only x-match matches everything', () => {
    expect(headersMatch(t({ 'x-match': str('all-with-x') }), undefined)).toBe(true);
  });
});

describe('headersMatch: x- keys', () => {
  it('are ignored by all and any, in bindings and in headers', () => {
    const allArgs = t({ 'x-match': str('all'), 'x-tenant': str('t1'), a: str('1') });
    expect(headersMatch(allArgs, t({ a: str('1') }))).toBe(true);
    expect(headersMatch(allArgs, t({ a: str('1'), 'x-tenant': str('other') }))).toBe(true);
    const anyArgs = t({ 'x-match': str('any'), 'x-tenant': str('t1'), a: str('1') });
    expect(headersMatch(anyArgs, t({ 'x-tenant': str('t1') }))).toBe(false);
    expect(headersMatch(anyArgs, t({ a: str('1') }))).toBe(true);
  });

  it('are conditions for all-with-x', () => {
    const args = t({ 'x-match': str('all-with-x'), 'x-tenant': str('t1'), a: str('1') });
    expect(headersMatch(args, t({ a: str('1'), 'x-tenant': str('t1') }))).toBe(true);
    expect(headersMatch(args, t({ a: str('1') }))).toBe(false);
    expect(headersMatch(args, t({ a: str('1'), 'x-tenant': str('t2') }))).toBe(false);
  });

  it('are conditions for any-with-x', () => {
    const args = t({ 'x-match': str('any-with-x'), 'x-tenant': str('t1'), a: str('1') });
    expect(headersMatch(args, t({ 'x-tenant': str('t1') }))).toBe(true);
    expect(headersMatch(args, t({ a: str('1') }))).toBe(true);
    expect(headersMatch(args, t({ 'x-tenant': str('t2'), a: str('2') }))).toBe(false);
  });

  it('never treat x-match itself as a condition, even with -with-x', () => {
    expect(headersMatch(t({ 'x-match': str('all-with-x'), a: str('1') }), t({ a: str('1') }))).toBe(true);
    expect(headersMatch(t({ 'x-match': str('any-with-x') }), t({ 'x-match': str('any-with-x') }))).toBe(false);
  });

  it('match the x- prefix only (case-sensitive, dash required)', () => {
    const args = t({ 'X-upper': str('1'), xkey: str('2') });
    expect(headersMatch(args, t({}))).toBe(false);
    expect(headersMatch(args, t({ 'X-upper': str('1'), xkey: str('2') }))).toBe(true);
  });
});

describe('headersMatch: void binding values', () => {
  it('match on presence of the key, whatever its value or type', () => {
    const args = t({ flag: VOID });
    expect(headersMatch(args, t({ flag: str('anything') }))).toBe(true);
    expect(headersMatch(args, t({ flag: long(0) }))).toBe(true);
    expect(headersMatch(args, t({ flag: VOID }))).toBe(true);
    expect(headersMatch(args, t({ flag: table(new Map()) }))).toBe(true);
    expect(headersMatch(args, t({ other: str('x') }))).toBe(false);
    expect(headersMatch(args, undefined)).toBe(false);
  });

  it('work in any mode and for x- keys with -with-x', () => {
    expect(headersMatch(t({ 'x-match': str('any'), a: VOID, b: VOID }), t({ b: bool(false) }))).toBe(true);
    expect(headersMatch(t({ 'x-match': str('all-with-x'), 'x-a': VOID }), t({ 'x-a': VOID }))).toBe(true);
    expect(headersMatch(t({ 'x-match': str('all-with-x'), 'x-a': VOID }), t({}))).toBe(false);
  });

  it('a void header equals nothing but a void (presence) condition', () => {
    expect(headersMatch(t({ a: str('') }), t({ a: VOID }))).toBe(false);
    expect(headersMatch(t({ a: bool(false) }), t({ a: VOID }))).toBe(false);
  });
});

describe('headersMatch: value equality (Erlang =:= on the bare values)', () => {
  const eq = (binding: FieldValue, header: FieldValue): boolean => headersMatch(t({ k: binding }), t({ k: header }));

  it('compares all integer types with each other numerically', () => {
    expect(eq(int('I', 1), long(1))).toBe(true);
    expect(eq(int('b', -5), int('s', -5))).toBe(true);
    expect(eq(int('B', 200), int('u', 200))).toBe(true);
    expect(eq(int('i', 4000000000), long(4000000000))).toBe(true);
    expect(eq(long(2n ** 62n), long(2n ** 62n))).toBe(true);
    expect(eq(long(2n ** 62n), long(2n ** 62n + 1n))).toBe(false);
    expect(eq(long(5), long(5n))).toBe(true);
    expect(eq(int('I', 1), int('I', 2))).toBe(false);
    expect(eq(int('T', 1700000000), long(1700000000))).toBe(true);
  });

  it('compares float and double with each other', () => {
    expect(eq(dbl(1.5), flt(1.5))).toBe(true);
    expect(eq(dbl(2.5), dbl(2.5))).toBe(true);
    expect(eq(dbl(0.1), flt(Math.fround(0.1)))).toBe(false); // a decoded float32 0.1 is not the double 0.1
    expect(eq(dbl(1.5), dbl(1.25))).toBe(false);
  });

  it('never equates an integer with a float (=:=, as RabbitMQ 3.13+; 3.12 used ==)', () => {
    expect(eq(long(1), dbl(1.0))).toBe(false);
    expect(eq(dbl(1.0), int('I', 1))).toBe(false);
  });

  it('compares strings and binaries as bytes', () => {
    expect(eq(str('pdf'), str('pdf'))).toBe(true);
    expect(eq(str('pdf'), str('PDF'))).toBe(false);
    expect(eq(str(''), str(''))).toBe(true);
    expect(eq(str('é'), bin('é'))).toBe(true);
    expect(eq(bin('abc'), str('abc'))).toBe(true);
    expect(eq(bin('abc'), bin('abd'))).toBe(false);
    expect(eq(str('1'), long(1))).toBe(false);
  });

  it('compares booleans', () => {
    expect(eq(bool(true), bool(true))).toBe(true);
    expect(eq(bool(false), bool(false))).toBe(true);
    expect(eq(bool(true), bool(false))).toBe(false);
    expect(eq(bool(true), long(1))).toBe(false);
    expect(eq(bool(false), str('false'))).toBe(false);
  });

  it('compares decimals by scale and value', () => {
    expect(eq(dec(2, 150), dec(2, 150))).toBe(true);
    expect(eq(dec(2, 150), dec(1, 15))).toBe(false);
    expect(eq(dec(0, 1), long(1))).toBe(false);
  });

  it('compares nested tables deeply, with type tags and key order', () => {
    const inner = (): FieldTable => t({ a: long(1), b: str('x') });
    expect(eq(table(inner()), table(inner()))).toBe(true);
    expect(eq(table(inner()), table(t({ a: long(1), b: str('y') })))).toBe(false);
    expect(eq(table(inner()), table(t({ a: long(1) })))).toBe(false);
    expect(eq(table(inner()), table(t({ a: int('I', 1), b: str('x') })))).toBe(false);
    expect(eq(table(inner()), table(t({ b: str('x'), a: long(1) })))).toBe(false);
    expect(eq(table(t({ n: table(inner()) })), table(t({ n: table(inner()) })))).toBe(true);
    expect(eq(table(new Map()), table(new Map()))).toBe(true);
    expect(eq(table(new Map()), arr())).toBe(false);
  });

  it('compares nested arrays deeply, with type tags', () => {
    expect(eq(arr(str('a'), long(2)), arr(str('a'), long(2)))).toBe(true);
    expect(eq(arr(str('a'), long(2)), arr(str('a')))).toBe(false);
    expect(eq(arr(str('a')), arr(bin('a')))).toBe(false);
    expect(eq(arr(long(1)), arr(dbl(1)))).toBe(false);
    expect(eq(arr(arr(VOID)), arr(arr(VOID)))).toBe(true);
    expect(eq(arr(), arr())).toBe(true);
  });
});

describe('validateXMatch', () => {
  it('accepts absent and the four valid modes', () => {
    expect(validateXMatch(new Map())).toBeUndefined();
    for (const m of ['all', 'any', 'all-with-x', 'any-with-x']) expect(validateXMatch(t({ 'x-match': str(m) }))).toBeUndefined();
  });

  it("rejects other strings with RabbitMQ's text", () => {
    expect(validateXMatch(t({ 'x-match': str('foo') }))).toBe(
      'Invalid x-match field value <<"foo">>; expected all, any, all-with-x, or any-with-x',
    );
    expect(validateXMatch(t({ 'x-match': str('ALL') }))).toBe(
      'Invalid x-match field value <<"ALL">>; expected all, any, all-with-x, or any-with-x',
    );
    expect(validateXMatch(t({ 'x-match': str('') }))).toBe(
      'Invalid x-match field value <<>>; expected all, any, all-with-x, or any-with-x',
    );
    expect(validateXMatch(t({ 'x-match': str('a"b') }))).toBe(
      'Invalid x-match field value <<"a\\"b">>; expected all, any, all-with-x, or any-with-x',
    );
    expect(validateXMatch(t({ 'x-match': str('é') }))).toBe(
      'Invalid x-match field value <<"é"/utf8>>; expected all, any, all-with-x, or any-with-x',
    );
  });

  it('rejects non-longstr types', () => {
    expect(validateXMatch(t({ 'x-match': long(1) }))).toBe('Invalid x-match field type long (value 1); expected longstr');
    expect(validateXMatch(t({ 'x-match': bin('all') }))).toBe(
      'Invalid x-match field type binary (value <<"all">>); expected longstr',
    );
    expect(validateXMatch(t({ 'x-match': bool(true) }))).toBe('Invalid x-match field type bool (value true); expected longstr');
    expect(validateXMatch(t({ 'x-match': dbl(1) }))).toBe('Invalid x-match field type double (value 1.0); expected longstr');
  });
});
