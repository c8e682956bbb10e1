// Round trips for every method and content property, driven by the generated metadata, plus field tables.
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import {
  decodeMethod,
  decodeProperties,
  decodeTable,
  encodeMethod,
  encodeProperties,
  encodeTable,
  METHODS,
  PROPERTIES,
  Writer,
  type BasicProperties,
  type FieldTable,
  type Method,
} from '../../src/protocol/index.js';

/** A full-range field table using every type tag in RabbitMQ's errata. */
function everyTypeTable(): FieldTable {
  return new Map([
    ['bool', { type: 't', value: true }],
    ['int8', { type: 'b', value: -128 }],
    ['uint8', { type: 'B', value: 255 }],
    ['int16', { type: 's', value: -32768 }],
    ['uint16', { type: 'u', value: 65535 }],
    ['int32', { type: 'I', value: -2147483648 }],
    ['uint32', { type: 'i', value: 4294967295 }],
    ['int64', { type: 'l', value: 9007199254740993n }],
    ['int64small', { type: 'l', value: -42 }],
    ['float', { type: 'f', value: 1.5 }],
    ['double', { type: 'd', value: Math.PI }],
    ['decimal', { type: 'D', value: { scale: 2, value: 12345 } }],
    ['longstr', { type: 'S', value: 'héllo' }],
    ['bytes', { type: 'x', value: Buffer.from([0, 1, 2, 255]) }],
    ['timestamp', { type: 'T', value: 1700000000 }],
    ['nested', { type: 'F', value: new Map([['inner', { type: 'A', value: [{ type: 'I', value: 1 }, { type: 'S', value: 'two' }, { type: 'V', value: null }] }]]) }],
    ['void', { type: 'V', value: null }],
  ] as const);
}

/** A distinct, in-range sample value for an argument of the given AMQP type. */
function sample(type: string, i: number): unknown {
  switch (type) {
    case 'bit': return i % 2 === 0;
    case 'octet': return (i * 37) % 256;
    case 'short': return (i * 1031) % 65536;
    case 'long': return (i * 2654435761) % 4294967296;
    case 'longlong': return 2 ** 40 + i;
    case 'timestamp': return 1700000000 + i;
    case 'shortstr': return `s${i}-é`;
    case 'longstr': return Buffer.from(`long string ${i}\u0000binary`);
    case 'table': return everyTypeTable();
    default: throw new Error(type);
  }
}

describe('method codec', () => {
  it('covers every class and method of the spec, RabbitMQ extensions included', () => {
    const names = METHODS.map((m) => m.name);
    for (const n of ['confirm.select', 'exchange.bind', 'exchange.unbind', 'basic.nack', 'connection.blocked', 'connection.unblocked', 'connection.update-secret']) {
      expect(names).toContain(n);
    }
    expect(METHODS.length).toBe(66);
  });

  for (const info of METHODS) {
    it(`round-trips ${info.name}`, () => {
      const m: Record<string, unknown> = { id: info.id };
      info.args.forEach((a, i) => (m[a.field] = sample(a.type, i + 1)));
      const w = new Writer(16);
      encodeMethod(w, m as unknown as Method);
      const payload = w.take();
      expect(payload.readUInt16BE(0)).toBe(info.classId);
      expect(payload.readUInt16BE(2)).toBe(info.methodId);
      expect(decodeMethod(payload)).toEqual(m);
    });
  }

  it('packs consecutive bits into one octet', () => {
    const w = new Writer(16);
    encodeMethod(w, { id: 0x003c0028, exchange: 'x', routingKey: 'k', mandatory: true, immediate: true });
    const payload = w.take();
    // ids(4) ticket(2) "x"(2) "k"(2) bits(1)
    expect(payload.length).toBe(11);
    expect(payload[10]).toBe(0b11);
  });

  it('rejects a truncated method frame with FRAME_ERROR', () => {
    const w = new Writer(16);
    encodeMethod(w, { id: 0x0032000a, queue: 'some-queue', arguments: everyTypeTable() });
    const payload = w.take();
    for (let cut = 4; cut < payload.length; cut++) {
      expect(() => decodeMethod(payload.subarray(0, cut))).toThrow(expect.objectContaining({ code: 501 }));
    }
  });

  it('regenerating the codec from the spec changes nothing', () => {
    const out = execFileSync('node', ['spec/generate.mjs', '--check'], { encoding: 'utf8' });
    expect(out).toContain('up to date');
  });
});

describe('content properties', () => {
  it('round-trips each property alone and all of them together', () => {
    const all: Record<string, unknown> = {};
    PROPERTIES.forEach((p, i) => {
      const value = p.type === 'octet' ? i + 1 : p.type === 'timestamp' ? 1700000000 : p.type === 'table' ? everyTypeTable() : `${p.name}-${i}`;
      all[p.field] = value;
      const w = new Writer(16);
      encodeProperties(w, { [p.field]: value } as BasicProperties);
      const raw = w.take();
      expect(raw.readUInt16BE(0)).toBe(p.flag);
      expect(decodeProperties(raw, 0, raw.length)).toEqual({ [p.field]: value });
    });
    const w = new Writer(16);
    encodeProperties(w, all as BasicProperties);
    const raw = w.take();
    expect(raw.readUInt16BE(0)).toBe(0xfffc);
    expect(decodeProperties(raw, 0, raw.length)).toEqual(all);
  });
});

describe('field tables', () => {
  it('round-trips every type tag byte for byte', () => {
    const w = new Writer(16);
    encodeTable(w, everyTypeTable());
    const bytes = w.take();
    const decoded = decodeTable(bytes, 4, bytes.length);
    expect(decoded).toEqual(everyTypeTable());
    const again = new Writer(16);
    encodeTable(again, decoded);
    expect(again.take().equals(bytes)).toBe(true);
  });

  it('keeps 64-bit integers exact', () => {
    const w = new Writer(16);
    encodeTable(w, new Map([['big', { type: 'l', value: -9223372036854775808n }]]));
    const bytes = w.take();
    expect(decodeTable(bytes, 4, bytes.length).get('big')).toEqual({ type: 'l', value: -9223372036854775808n });
  });

  it('rejects an unknown type tag and an overrunning value with FRAME_ERROR', () => {
    const bad = Buffer.from([1, 0x6b, 0x3f]); // key "k", tag '?'
    expect(() => decodeTable(bad, 0, bad.length)).toThrow(expect.objectContaining({ code: 501 }));
    const overrun = Buffer.from([1, 0x6b, 0x53, 0, 0, 0, 9, 0x61]); // longstr claims 9 bytes, has 1
    expect(() => decodeTable(overrun, 0, overrun.length)).toThrow(expect.objectContaining({ code: 501 }));
  });

  it('refuses nesting deeper than the limit with 502 SYNTAX_ERROR, without overflowing the stack', () => {
    // 100k nested arrays: A len [A len [ ... ]]
    const depth = 100_000;
    const buf = Buffer.alloc(2 + depth * 5);
    buf[0] = 1;
    buf[1] = 0x6b;
    for (let i = 0; i < depth; i++) {
      const at = 2 + i * 5;
      buf[at] = 0x41;
      buf.writeUInt32BE(buf.length - at - 5, at + 1);
    }
    expect(() => decodeTable(buf, 0, buf.length)).toThrow(expect.objectContaining({ code: 502 }));
  });
});
