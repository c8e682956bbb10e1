// Protocol fuzzer: a Warren (in-process, or bin/warren as a child process) with a well-behaved confirming client and
// a bystander consumer kept busy throughout, while many raw connections send random, mutated, truncated and
// oversized frames built with Warren's own encoder. Run directly (`node dist/test/fuzz/fuzz.js --seconds 300`) or
// through runFuzz() (test/integration/fuzz.test.ts). Environment: WARREN_FUZZ_SEED (replay a run), WARREN_FUZZ_REPLAY
// with WARREN_FUZZ_SCENARIOS (replay one connection), WARREN_FUZZ_MODE=child, WARREN_FUZZ_PARALLEL, WARREN_FUZZ_SKIP,
// WARREN_FUZZ_MAX_FAILURES (stop after this many, default 50), WARREN_FUZZ_KEEP_GOING=1 (in-process: go on after a
// crash), WARREN_FUZZ_STRICT=1 (broker error logs fail the run), WARREN_FUZZ_DEBUG=1 (one line per connection).
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import v8 from 'node:v8';
import vm from 'node:vm';
import amqp from 'amqplib';
import pino from 'pino';
import { startBroker, type RunningBroker } from '../../src/index.js';
import {
  BASIC_ACK,
  BASIC_CANCEL,
  BASIC_CONSUME,
  BASIC_DELIVER,
  BASIC_GET,
  BASIC_GET_OK,
  BASIC_NACK,
  BASIC_PUBLISH,
  BASIC_QOS,
  BASIC_REJECT,
  BASIC_RECOVER,
  CHANNEL_CLOSE,
  CHANNEL_CLOSE_OK,
  CHANNEL_OPEN,
  CHANNEL_OPEN_OK,
  CONFIRM_SELECT,
  CONNECTION_CLOSE,
  CONNECTION_CLOSE_OK,
  CONNECTION_OPEN,
  CONNECTION_OPEN_OK,
  CONNECTION_START,
  CONNECTION_START_OK,
  CONNECTION_TUNE,
  CONNECTION_TUNE_OK,
  EXCHANGE_BIND,
  EXCHANGE_DECLARE,
  FRAME_BODY,
  FRAME_END,
  FRAME_HEADER,
  FRAME_HEARTBEAT,
  FRAME_METHOD,
  FrameReader,
  MAX_TABLE_DEPTH,
  METHODS,
  PROPERTIES,
  QUEUE_BIND,
  QUEUE_DECLARE,
  QUEUE_UNBIND,
  REPLY,
  TX_COMMIT,
  TX_ROLLBACK,
  TX_SELECT,
  Writer,
  decodeMethod,
  decodeProperties,
  encodeMethod,
  encodeProperties,
  encodeTable,
  methodName,
  type BasicProperties,
  type FieldTable,
  type FieldValue,
  type Method,
  type MethodInfo,
} from '../../src/protocol/index.js';

// ================================================================================================
// Options and report
// ================================================================================================

export interface FuzzOptions {
  /** Fuzzing time in seconds (setup and the final checks come on top). */
  seconds: number;
  /** Run seed; each connection derives its own from it. Default: WARREN_FUZZ_SEED or random. */
  seed?: number;
  /** Fuzz connections running at once. */
  parallel?: number;
  /** 'inproc': startBroker() in this process (heap measured after forced GC); 'child': bin/warren (RSS from /metrics). */
  mode?: 'inproc' | 'child';
  /** Replay only the connection with this seed (printed with every failure). */
  replay?: number;
  /** Only these scenarios (names as in the report). */
  only?: string[];
  /** Never these scenarios. */
  skip?: string[];
  /** Allowed growth of heapUsed (inproc) or RSS (child) from start to end, bytes. */
  memorySlack?: number;
  /** Progress lines; default console.log. */
  log?: (line: string) => void;
}

export interface MemorySample {
  heapUsed?: number;
  external?: number;
  rss: number;
}

export interface FuzzReport {
  seed: number;
  mode: 'inproc' | 'child';
  seconds: number;
  elapsedMs: number;
  framesSent: number;
  bytesSent: number;
  framesPerSecond: number;
  connections: number;
  outcomes: Record<string, number>;
  scenarios: Record<string, number>;
  replyCodes: Record<string, number>;
  wellBehaved: { published: number; confirmed: number; received: number; maxConfirmMs: number };
  bystander: { received: number; reconnects: number };
  /** `end` is missing when the broker crashed. */
  memory: {
    start: MemorySample;
    end?: MemorySample;
    /** Child mode: RSS once warmed up (a quarter into the run), the baseline its end is held to. */
    warmRss?: number;
    peakRss: number;
    /** [seconds into the run, RSS in MB] every 10 s (in-process: this whole process, fuzzer included). */
    rssSeries: Array<[number, number]>;
  };
  brokerLog: Record<string, number>;
  /** Not fatal but worth a look: 541 INTERNAL_ERROR closes, malformed content forwarded by the broker. */
  findings: string[];
  failures: string[];
  /** Failures grouped by message (numbers blanked), with the first occurrence in full. */
  failureKinds: Record<string, { count: number; example: string }>;
}

// ================================================================================================
// Seeded PRNG (sfc32, seeded through splitmix32)
// ================================================================================================

export class Rng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  constructor(seed: number) {
    let x = seed >>> 0;
    const next = (): number => {
      x = (x + 0x9e3779b9) >>> 0;
      let z = x;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
      return (z ^ (z >>> 16)) >>> 0;
    };
    this.a = next();
    this.b = next();
    this.c = next();
    this.d = next();
    for (let i = 0; i < 12; i++) this.u32();
  }

  u32(): number {
    const t = (((this.a + this.b) >>> 0) + this.d) >>> 0;
    this.d = (this.d + 1) >>> 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) >>> 0;
    this.c = ((this.c << 21) | (this.c >>> 11)) >>> 0;
    this.c = (this.c + t) >>> 0;
    return t;
  }
  float(): number {
    return this.u32() / 0x100000000;
  }
  /** Integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.float() * n);
  }
  /** Integer in [lo, hi]. */
  range(lo: number, hi: number): number {
    return lo + this.int(hi - lo + 1);
  }
  chance(p: number): boolean {
    return this.float() < p;
  }
  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)]!;
  }
  weighted<T>(items: ReadonlyArray<readonly [number, T]>): T {
    let total = 0;
    for (const [w] of items) total += w;
    let r = this.float() * total;
    for (const [w, v] of items) {
      r -= w;
      if (r < 0) return v;
    }
    return items[items.length - 1]![1];
  }
  bytes(n: number): Buffer {
    const b = Buffer.allocUnsafe(n);
    for (let i = 0; i < n; i += 4) {
      const v = this.u32();
      b[i] = v & 0xff;
      if (i + 1 < n) b[i + 1] = (v >>> 8) & 0xff;
      if (i + 2 < n) b[i + 2] = (v >>> 16) & 0xff;
      if (i + 3 < n) b[i + 3] = v >>> 24;
    }
    return b;
  }
  /** A small size most of the time, sometimes up to `max`. */
  size(max: number): number {
    return this.chance(0.8) ? this.int(Math.min(max, 64) + 1) : this.int(max + 1);
  }
}

/** Per-connection seeds from the run seed, so any connection can be replayed alone. */
function connectionSeed(runSeed: number, index: number): number {
  let h = (runSeed ^ Math.imul(index + 1, 0x9e3779b1)) >>> 0;
  h = Math.imul(h ^ (h >>> 15), 0x2c1b3c6d) >>> 0;
  h = Math.imul(h ^ (h >>> 12), 0x297a2d39) >>> 0;
  return (h ^ (h >>> 15)) >>> 0;
}

// ================================================================================================
// Frames, built with Warren's own encoder
// ================================================================================================

const W = new Writer(1 << 20);
const SERVER_FRAME_MAX = 131072;
const MAX_MESSAGE_SIZE = 16 * 1024 * 1024;
const KNOWN_CODES = new Set<number>(Object.values(REPLY));
const METHOD_BY_ID = new Map<number, MethodInfo>(METHODS.map((m) => [m.id, m]));
const info = (id: number): MethodInfo => METHOD_BY_ID.get(id)!;

type Args = Record<string, unknown>;

function envelope(type: number, channel: number, payload: Buffer, size = payload.length, end = FRAME_END): Buffer {
  const b = Buffer.allocUnsafe(payload.length + 8);
  b[0] = type;
  b.writeUInt16BE(channel & 0xffff, 1);
  b.writeUInt32BE(size >>> 0, 3);
  payload.copy(b, 7);
  b[payload.length + 7] = end;
  return b;
}

/** Runs an encoder on the shared writer from a clean start (an encoder that threw may have left bytes behind). */
function encoded(f: (w: Writer) => void): Buffer {
  W.pos = 0;
  f(W);
  return W.take();
}

function methodPayload(m: Args): Buffer {
  return encoded((w) => encodeMethod(w, m as unknown as Method));
}

function methodFrame(channel: number, m: Args): Buffer {
  return envelope(FRAME_METHOD, channel, methodPayload(m));
}

function propertiesBytes(p: BasicProperties): Buffer {
  return encoded((w) => encodeProperties(w, p));
}

function tableBytes(t: FieldTable): Buffer {
  return encoded((w) => encodeTable(w, t));
}

function headerPayload(bodySize: number | bigint, props: Buffer, classId = 60, weight = 0): Buffer {
  const b = Buffer.alloc(12);
  b.writeUInt16BE(classId & 0xffff, 0);
  b.writeUInt16BE(weight & 0xffff, 2);
  b.writeBigUInt64BE(BigInt(bodySize), 4);
  return Buffer.concat([b, props]);
}

function bodyFrames(channel: number, body: Buffer, frameMax: number): Buffer[] {
  const max = frameMax - 8;
  const out: Buffer[] = [];
  for (let off = 0; off < body.length; off += max) out.push(envelope(FRAME_BODY, channel, body.subarray(off, Math.min(body.length, off + max))));
  return out;
}

/** publish + header + bodies, as one unit. */
function publishFrames(channel: number, m: Args, props: BasicProperties, body: Buffer, frameMax: number): Buffer[] {
  return [
    methodFrame(channel, { id: BASIC_PUBLISH, ...m }),
    envelope(FRAME_HEADER, channel, headerPayload(body.length, propertiesBytes(props))),
    ...bodyFrames(channel, body, frameMax),
  ];
}

function u32(v: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(v >>> 0, 0);
  return b;
}

function splice(buf: Buffer, start: number, end: number, replacement: Buffer): Buffer {
  return Buffer.concat([buf.subarray(0, start), replacement, buf.subarray(end)]);
}

// ================================================================================================
// Field layout of an encoded method / property list, for "one field corrupted"
// ================================================================================================

interface Span {
  field: string;
  type: string;
  start: number;
  end: number;
  bit?: number;
}

function methodSpans(mi: MethodInfo, payload: Buffer): Span[] {
  return walk(mi.args, payload, 4);
}

function propertySpans(props: Buffer): Span[] {
  if (props.length < 2) return [];
  const flags = props.readUInt16BE(0);
  return walk(PROPERTIES.filter((p) => (flags & p.flag) !== 0).map((p) => ({ field: p.field, type: p.type })), props, 2);
}

function walk(fields: ReadonlyArray<{ field: string; type: string }>, buf: Buffer, pos: number): Span[] {
  const spans: Span[] = [];
  let bitAt = -1;
  let bitIndex = 8;
  for (const f of fields) {
    if (f.type === 'bit') {
      if (bitIndex >= 8) {
        bitAt = pos;
        pos += 1;
        bitIndex = 0;
      }
      spans.push({ field: f.field, type: 'bit', start: bitAt, end: bitAt + 1, bit: bitIndex++ });
      continue;
    }
    bitIndex = 8;
    let len: number;
    switch (f.type) {
      case 'octet': len = 1; break;
      case 'short': len = 2; break;
      case 'long': len = 4; break;
      case 'longlong': case 'timestamp': len = 8; break;
      case 'shortstr': len = 1 + (buf[pos] ?? 0); break;
      case 'longstr': case 'table': len = 4 + (pos + 4 <= buf.length ? buf.readUInt32BE(pos) : 0); break;
      default: throw new Error(`unknown field type ${f.type}`);
    }
    spans.push({ field: f.field, type: f.type, start: pos, end: pos + len });
    pos += len;
  }
  return spans;
}

// ================================================================================================
// Values: names, strings, tables, methods, properties
// ================================================================================================

const QUEUES = ['fz.q0', 'fz.q1', 'fz.q2', 'fz.q3', 'fz.ttl', 'fz.dlx', 'fz.prio', 'fz.quorum', 'fz.stream', '', 'amq.gen-fuzz', 'amq.rabbitmq.reply-to'];
const EXCHANGES = ['', 'amq.direct', 'amq.fanout', 'amq.topic', 'amq.headers', 'amq.match', 'fz.x0', 'fz.x1', 'fz.delayed', 'amq.nope', 'amq.rabbitmq.trace'];
const EXCHANGE_TYPES = ['direct', 'fanout', 'topic', 'headers', 'x-delayed-message', 'x-consistent-hash', 'bogus', ''];
const KEYS = ['', 'a', 'a.b', 'a.b.c', '#', '*', '*.b', 'fz.q0', 'fz.q1', 'fz.ttl', 'fz.dlx', 'fz.prio', 'fz.quorum', 'k'];
const TAGS = ['', 'c0', 'c1', 'c2', 'amq.ctag-x'];
const QUEUE_ARG_KEYS = [
  'x-message-ttl', 'x-expires', 'x-max-length', 'x-max-length-bytes', 'x-overflow', 'x-dead-letter-exchange',
  'x-dead-letter-routing-key', 'x-max-priority', 'x-queue-type', 'x-single-active-consumer', 'x-delivery-limit',
  'x-queue-mode', 'x-consumer-timeout', 'x-message-deduplication', 'x-cache-size', 'x-cache-ttl', 'x-queue-version', 'x-bogus',
];
const EXCHANGE_ARG_KEYS = ['alternate-exchange', 'x-delayed-type', 'x-message-deduplication', 'x-cache-size', 'hash-header', 'x-bogus'];
const CONSUME_ARG_KEYS = ['x-priority', 'x-cancel-on-ha-failover', 'x-stream-offset', 'x-consumer-timeout', 'x-bogus'];
const BIND_ARG_KEYS = ['x-match', 'h1', 'h2', 'x-bogus'];
const HEADER_KEYS = ['h1', 'h2', 'x-delay', 'CC', 'BCC', 'x-deduplication-header', 'x-death', 'x-first-death-queue', 'x-delivery-count', 'x-bogus', ''];
const VALUE_TAGS = 'tbBsuIilfdDSxTFAV';
const BAD_UTF8: ReadonlyArray<readonly number[]> = [
  [0xff], [0xfe], [0xc0, 0x80], [0xc3], [0xe2, 0x82], [0xed, 0xa0, 0x80], [0xf4, 0x90, 0x80, 0x80], [0x80], [0xf8, 0x88, 0x80, 0x80, 0x80], [0xef, 0xbf, 0xbf],
];

class Gen {
  constructor(readonly rng: Rng) {}

  /** A string of at most `maxBytes` UTF-8 bytes: ASCII, multi-byte, or control characters. */
  text(maxBytes = 255): string {
    const r = this.rng;
    const n = r.size(maxBytes);
    const kind = r.int(4);
    let s = '';
    if (kind === 0) {
      for (let i = 0; i < n; i++) s += String.fromCharCode(r.range(0x20, 0x7e));
    } else if (kind === 1) {
      const chars = ['é', '☃', '𝄞', 'ü', 'a', '.', '#', '*', '\u0000', '\ufeff'];
      while (Buffer.byteLength(s) < n) s += r.pick(chars);
      while (Buffer.byteLength(s) > maxBytes) s = [...s].slice(0, -1).join('');
    } else if (kind === 2) {
      for (let i = 0; i < n; i++) s += String.fromCharCode(r.int(0x80));
    } else {
      s = 'fz.' + r.int(100);
    }
    return s;
  }

  /** Exactly `len` bytes that are not valid UTF-8. */
  invalidUtf8(len: number): Buffer {
    const r = this.rng;
    const parts: number[] = [];
    const allFF = r.chance(0.4);
    while (parts.length < len) {
      if (allFF) parts.push(0xff);
      else if (r.chance(0.3)) parts.push(r.range(0x61, 0x7a));
      else parts.push(...r.pick(BAD_UTF8));
    }
    const b = Buffer.from(parts.slice(0, len));
    if (len > 0 && b.every((x) => x < 0x80)) b[0] = 0xff;
    return b;
  }

  shortstr(field: string): string {
    const r = this.rng;
    if (r.chance(0.12)) return this.text();
    switch (field) {
      case 'queue': return r.pick(QUEUES);
      case 'exchange': case 'destination': case 'source': return r.pick(EXCHANGES);
      case 'type': return r.pick(EXCHANGE_TYPES);
      case 'routingKey': return r.pick(KEYS);
      case 'consumerTag': return r.pick(TAGS);
      case 'virtualHost': return r.chance(0.8) ? '/' : r.pick(['', 'nope', '//', '/x']);
      case 'mechanism': return r.chance(0.8) ? 'PLAIN' : r.pick(['AMQPLAIN', 'EXTERNAL', 'plain', '']);
      case 'locale': return r.pick(['en_US', '', 'xx']);
      default: return this.text(r.chance(0.8) ? 16 : 255);
    }
  }

  short(): number {
    return this.rng.chance(0.5) ? this.rng.pick([0, 1, 2, 10, 0x7f, 0x80, 0xff, 0x100, 0x7fff, 0x8000, 0xfffe, 0xffff]) : this.rng.int(0x10000);
  }
  long(): number {
    return this.rng.chance(0.5) ? this.rng.pick([0, 1, 2, 100, 4096, 131072, 0x7fffffff, 0x80000000, 0xfffffffe, 0xffffffff]) : this.rng.u32();
  }
  longlong(): number {
    return this.rng.chance(0.6) ? this.rng.pick([0, 1, 2, 3, 5, 10, 0xffffffff, 2 ** 32, 2 ** 53 - 1]) : this.rng.int(2 ** 53);
  }

  /** A typed value for a table key (plausible type most of the time). */
  value(key: string, depth: number): FieldValue {
    const r = this.rng;
    if (r.chance(0.75)) {
      switch (key) {
        case 'x-message-ttl': case 'x-expires': case 'x-delay': case 'x-consumer-timeout': case 'x-cache-ttl':
          return { type: r.pick(['I', 'l', 'i', 's'] as const), value: r.pick([0, 1, 5, 20, 50, 100, 1000]) } as FieldValue;
        case 'x-max-length': case 'x-max-length-bytes': case 'x-delivery-limit': case 'x-cache-size':
          return { type: 'I', value: r.pick([0, 1, 2, 5, 100, -1]) };
        case 'x-max-priority': case 'x-priority':
          return r.chance(0.3) ? { type: 'b', value: r.pick([0, 1, 5, 10, 127, -1]) } : { type: r.pick(['I', 'l'] as const), value: r.pick([0, 1, 5, 10, 255, 256, -1]) };
        case 'x-overflow': return { type: 'S', value: r.pick(['drop-head', 'reject-publish', 'reject-publish-dlx', 'nope']) };
        case 'x-dead-letter-exchange': case 'alternate-exchange': return { type: 'S', value: r.pick(EXCHANGES) };
        case 'x-dead-letter-routing-key': return { type: 'S', value: r.pick(KEYS) };
        case 'x-queue-type': return { type: 'S', value: r.pick(['classic', 'quorum', 'stream', 'nope']) };
        case 'x-queue-mode': return { type: 'S', value: r.pick(['lazy', 'default', 'x']) };
        case 'x-delayed-type': return { type: 'S', value: r.pick(EXCHANGE_TYPES) };
        case 'x-match': return { type: 'S', value: r.pick(['all', 'any', 'all-with-x', 'any-with-x', 'nope']) };
        case 'x-single-active-consumer': case 'x-message-deduplication': case 'x-cancel-on-ha-failover': return { type: 't', value: r.chance(0.5) };
        case 'CC': case 'BCC': return { type: 'A', value: Array.from({ length: r.int(4) }, () => ({ type: 'S', value: r.pick(KEYS) }) as FieldValue) };
        default: break;
      }
    }
    return this.anyValue(depth);
  }

  anyValue(depth: number): FieldValue {
    const r = this.rng;
    const tag = depth > 3 ? r.pick([...'tbBsuIilfdDSxTV']) : r.pick([...VALUE_TAGS]);
    switch (tag) {
      case 't': return { type: 't', value: r.chance(0.5) };
      case 'b': return { type: 'b', value: r.range(-128, 127) };
      case 'B': return { type: 'B', value: r.int(256) };
      case 's': return { type: 's', value: r.range(-32768, 32767) };
      case 'u': return { type: 'u', value: r.int(65536) };
      case 'I': return { type: 'I', value: r.u32() | 0 };
      case 'i': return { type: 'i', value: r.u32() };
      case 'l': return { type: 'l', value: r.chance(0.5) ? r.range(-1000, 1000) : BigInt.asIntN(64, (BigInt(r.u32()) << 32n) | BigInt(r.u32())) };
      case 'f': return { type: 'f', value: r.pick([0, 1.5, -2.25, NaN, Infinity]) };
      case 'd': return { type: 'd', value: r.pick([0, 1e308, -0, NaN, Math.PI]) };
      case 'D': return { type: 'D', value: { scale: r.int(256), value: r.u32() | 0 } };
      case 'S': return { type: 'S', value: this.text(r.chance(0.9) ? 32 : 2000) };
      case 'x': return { type: 'x', value: r.bytes(r.size(256)) };
      case 'T': return { type: 'T', value: r.chance(0.7) ? Math.floor(Date.now() / 1000) : r.int(2 ** 53) };
      case 'F': return { type: 'F', value: this.table(HEADER_KEYS, depth + 1) };
      case 'A': return { type: 'A', value: Array.from({ length: r.int(5) }, () => this.anyValue(depth + 1)) };
      default: return { type: 'V', value: null };
    }
  }

  table(keys: readonly string[], depth = 0): FieldTable {
    const r = this.rng;
    const t: FieldTable = new Map();
    const n = depth > 0 ? r.int(3) : r.chance(0.4) ? 0 : r.range(1, 4);
    for (let i = 0; i < n; i++) {
      const key = r.chance(0.85) ? r.pick(keys) : this.text(r.chance(0.9) ? 12 : 255);
      t.set(key, this.value(key, depth));
    }
    return t;
  }

  tableFor(mi: MethodInfo, field: string): FieldTable {
    if (this.rng.chance(0.35)) return new Map();
    switch (mi.id) {
      case QUEUE_DECLARE: return this.table(QUEUE_ARG_KEYS);
      case EXCHANGE_DECLARE: return this.table(EXCHANGE_ARG_KEYS);
      case BASIC_CONSUME: return this.table(CONSUME_ARG_KEYS);
      case QUEUE_BIND: case QUEUE_UNBIND: case EXCHANGE_BIND: return this.table(BIND_ARG_KEYS);
      case CONNECTION_START_OK: return this.clientProperties();
      default: return field === 'arguments' ? this.table(BIND_ARG_KEYS) : this.table(HEADER_KEYS);
    }
  }

  clientProperties(): FieldTable {
    const caps: FieldTable = new Map();
    for (const c of ['publisher_confirms', 'consumer_cancel_notify', 'basic.nack', 'authentication_failure_close', 'connection.blocked']) {
      if (this.rng.chance(0.6)) caps.set(c, { type: 't', value: true });
    }
    const t: FieldTable = new Map([
      ['product', { type: 'S', value: 'warren-fuzz' }],
      ['capabilities', { type: 'F', value: caps }],
    ]);
    if (this.rng.chance(0.3)) t.set('connection_name', { type: 'S', value: this.text(64) });
    return t;
  }

  /** Random but typed arguments for any method of the spec. */
  method(mi: MethodInfo): Args {
    const r = this.rng;
    const m: Args = { id: mi.id };
    for (const a of mi.args) {
      switch (a.type) {
        case 'bit': m[a.field] = r.chance(a.field === 'nowait' ? 0.3 : a.field === 'passive' ? 0.2 : 0.4); break;
        case 'octet': m[a.field] = r.int(256); break;
        case 'short': m[a.field] = a.field === 'ticket' ? (r.chance(0.9) ? 0 : this.short()) : a.field === 'prefetchCount' ? r.pick([0, 1, 10, 100, 65535]) : this.short(); break;
        case 'long': m[a.field] = a.field === 'prefetchSize' ? (r.chance(0.9) ? 0 : this.long()) : this.long(); break;
        case 'longlong': m[a.field] = this.longlong(); break;
        case 'shortstr': m[a.field] = this.shortstr(a.field); break;
        case 'longstr': m[a.field] = a.field === 'response' && r.chance(0.7) ? Buffer.from('\0guest\0guest') : r.bytes(r.size(300)); break;
        case 'table': m[a.field] = this.tableFor(mi, a.field); break;
        default: throw new Error(`unknown argument type ${a.type}`);
      }
    }
    return m;
  }

  properties(): BasicProperties {
    const r = this.rng;
    const p: BasicProperties = {};
    if (r.chance(0.5)) return p;
    if (r.chance(0.3)) p.contentType = r.pick(['text/plain', 'application/json', this.text(40)]);
    if (r.chance(0.1)) p.contentEncoding = this.text(20);
    if (r.chance(0.3)) p.headers = this.table(HEADER_KEYS);
    if (r.chance(0.4)) p.deliveryMode = r.pick([1, 2, 0, 3, 255]);
    if (r.chance(0.2)) p.priority = r.pick([0, 1, 5, 9, 10, 255]);
    if (r.chance(0.2)) p.correlationId = this.text(36);
    if (r.chance(0.1)) p.replyTo = r.pick(['amq.rabbitmq.reply-to', 'fz.q0', this.text(40)]);
    if (r.chance(0.2)) p.expiration = r.pick(['0', '1', '10', '100', '-1', '', 'abc', '99999999999999999999']);
    if (r.chance(0.2)) p.messageId = this.text(36);
    if (r.chance(0.2)) p.timestamp = r.chance(0.8) ? Math.floor(Date.now() / 1000) : r.int(2 ** 53);
    if (r.chance(0.1)) p.type = this.text(20);
    if (r.chance(0.1)) p.userId = r.pick(['guest', 'other', '']);
    if (r.chance(0.1)) p.appId = this.text(20);
    if (r.chance(0.05)) p.clusterId = this.text(20);
    return p;
  }

  body(): Buffer {
    const r = this.rng;
    return r.chance(0.98) ? r.bytes(r.size(512)) : r.bytes(r.int(200_000));
  }
}

// ================================================================================================
// Mutations
// ================================================================================================

/** Nested arrays `A len A len ... A 0` as one field value, `depth` levels, without quadratic copying. */
function deepArrayValue(depth: number): Buffer {
  const b = Buffer.alloc(5 * depth);
  for (let i = 0; i < depth; i++) {
    b[5 * i] = 0x41;
    b.writeUInt32BE(5 * (depth - i - 1), 5 * i + 1);
  }
  return b;
}

/** Nested tables `F len {k: F len {k: ...}}` as one field value, `depth` levels. */
function deepTableValue(depth: number): Buffer {
  const b = Buffer.alloc(7 * (depth - 1) + 5);
  for (let i = 0; i < depth; i++) {
    const at = 7 * i;
    b[at] = 0x46;
    b.writeUInt32BE(i === depth - 1 ? 0 : 7 * (depth - i - 2) + 7, at + 1);
    if (i < depth - 1) {
      b[at + 5] = 1;
      b[at + 6] = 0x6b;
    }
  }
  return b;
}

/** A table (with its length prefix) holding one key whose value bytes are given raw. */
function rawTable(key: string, value: Buffer, lengthOverride?: number): Buffer {
  const k = Buffer.from(key);
  const inner = Buffer.concat([Buffer.from([k.length]), k, value]);
  return Buffer.concat([u32(lengthOverride ?? inner.length), inner]);
}

const DEPTHS = [MAX_TABLE_DEPTH - 1, MAX_TABLE_DEPTH, MAX_TABLE_DEPTH + 1, MAX_TABLE_DEPTH + 2, 1000, 20_000, 100_000];

function deepTable(g: Gen): { bytes: Buffer; what: string } {
  const depth = g.rng.pick(DEPTHS);
  const arrays = g.rng.chance(0.5);
  return { bytes: rawTable('deep', arrays ? deepArrayValue(depth) : deepTableValue(depth)), what: `${arrays ? 'arrays' : 'tables'} nested ${depth} deep` };
}

/** A table whose bytes are wrong inside: unknown tag, overrunning lengths, truncated values, deep nesting. */
function badTable(g: Gen): { bytes: Buffer; what: string } {
  const r = g.rng;
  switch (r.int(9)) {
    case 0: {
      let tag = r.int(256);
      while (VALUE_TAGS.includes(String.fromCharCode(tag))) tag = r.int(256);
      return { bytes: rawTable('k', Buffer.from([tag, ...r.bytes(r.int(9))])), what: `unknown field type 0x${tag.toString(16)}` };
    }
    case 1: return { bytes: rawTable('k', Buffer.concat([Buffer.from('S'), u32(r.pick([0xffffffff, 0xfffffff0, 1000, 2 ** 31])), Buffer.from('abc')])), what: 'longstr value length past the end' };
    case 2: return { bytes: rawTable('k', Buffer.concat([Buffer.from('F'), u32(r.pick([0xffffffff, 100, 2 ** 31])), Buffer.from([1, 0x61, 0x56])])), what: 'nested table length past the end' };
    case 3: return { bytes: rawTable('k', Buffer.concat([Buffer.from('A'), u32(r.pick([0xffffffff, 50])), Buffer.from('I')])), what: 'array length past the end' };
    case 4: return { bytes: rawTable('k', Buffer.from([r.pick([...'IilTdDs'].map((c) => c.charCodeAt(0))), 1])), what: 'truncated numeric value' };
    case 5: {
      const inner = Buffer.concat([tableBytes(g.table(HEADER_KEYS)).subarray(4), Buffer.from([200, 0x61, 0x62])]);
      return { bytes: Buffer.concat([u32(inner.length), inner]), what: 'last key length past the end of the table' };
    }
    case 6: return deepTable(g);
    case 7: {
      const inner = Buffer.concat([Buffer.from([3]), Buffer.from('abc'), Buffer.from('V'), Buffer.from([255]), Buffer.from('x')]);
      return { bytes: Buffer.concat([u32(inner.length), inner]), what: 'key length 255 past the end of the table' };
    }
    default: {
      const key = g.invalidUtf8(r.range(1, 255));
      const inner = Buffer.concat([Buffer.from([key.length]), key, Buffer.from('V')]);
      return { bytes: Buffer.concat([u32(inner.length), inner]), what: 'key of invalid UTF-8' };
    }
  }
}

/** One field of an encoded payload corrupted; `base` is where the field list starts (4 for methods). */
function corruptField(g: Gen, payload: Buffer, spans: Span[]): { payload: Buffer; what: string } {
  const r = g.rng;
  if (spans.length === 0) return { payload: Buffer.concat([payload, r.bytes(r.range(1, 16))]), what: 'junk after the arguments' };
  const s = r.pick(spans);
  const p = Buffer.from(payload);
  const name = `${s.field}(${s.type})`;
  switch (s.type) {
    case 'shortstr': {
      const len = p[s.start]!;
      switch (r.int(6)) {
        case 0: p[s.start] = 255; return { payload: p, what: `${name} length 255 past the end` };
        case 1: p[s.start] = Math.min(255, len + r.range(1, 8)); return { payload: p, what: `${name} length too long` };
        case 2: p[s.start] = r.int(len + 1); return { payload: p, what: `${name} length too short` };
        case 3: case 4: {
          const n = r.chance(0.5) ? r.range(86, 255) : r.range(1, 255);
          return { payload: splice(p, s.start, s.end, Buffer.concat([Buffer.from([n]), g.invalidUtf8(n)])), what: `${name} ${n} bytes of invalid UTF-8` };
        }
        default: {
          const n = r.range(1, 255);
          const b = r.bytes(n);
          return { payload: splice(p, s.start, s.end, Buffer.concat([Buffer.from([n]), b])), what: `${name} ${n} random bytes` };
        }
      }
    }
    case 'longstr':
    case 'table': {
      if (s.type === 'table' && r.chance(0.5)) {
        const t = r.chance(0.3) ? deepTable(g) : badTable(g);
        return { payload: splice(p, s.start, s.end, t.bytes), what: `${name}: ${t.what}` };
      }
      const len = p.readUInt32BE(s.start);
      const v = r.pick([0xffffffff, 0xfffffff0, 2 ** 31, p.length - s.start - 4 + 1, len + 1, Math.max(0, len - 1), 0]);
      p.writeUInt32BE(v >>> 0, s.start);
      return { payload: p, what: `${name} length ${v} (was ${len})` };
    }
    case 'bit':
      if (r.chance(0.5)) p[s.start] = p[s.start]! ^ (1 << s.bit!);
      else p[s.start] = r.int(256);
      return { payload: p, what: `${name} bits 0x${p[s.start]!.toString(16)}` };
    case 'longlong':
    case 'timestamp': {
      const v = BigInt.asUintN(64, (BigInt(r.u32()) << 32n) | BigInt(r.u32()));
      p.writeBigUInt64BE(r.chance(0.5) ? v : r.pick([0n, 2n ** 53n, 2n ** 63n, 2n ** 64n - 1n]), s.start);
      return { payload: p, what: `${name} random` };
    }
    default:
      for (let i = s.start; i < s.end; i++) p[i] = r.chance(0.5) ? 0xff : r.int(256);
      return { payload: p, what: `${name} random` };
  }
}

function corruptMethod(g: Gen, m: Args): { payload: Buffer; what: string } {
  const mi = info(m.id as number);
  const payload = methodPayload(m);
  const r = g.rng;
  const k = r.int(12);
  if (k === 0) {
    const p = Buffer.from(payload);
    const other = r.chance(0.5) ? r.pick(METHODS).id : ((r.pick([10, 20, 40, 50, 60, 85, 90, 30, r.int(65536)]) << 16) | r.int(200)) >>> 0;
    p.writeUInt32BE(other, 0);
    return { payload: p, what: `${mi.name} with method id ${other >>> 16}/${other & 0xffff}` };
  }
  if (k === 1) {
    const cut = r.range(4, Math.max(4, payload.length - 1));
    return { payload: payload.subarray(0, cut), what: `${mi.name} truncated to ${cut} of ${payload.length} bytes` };
  }
  const c = corruptField(g, payload, methodSpans(mi, payload));
  return { payload: c.payload, what: `${mi.name} ${c.what}` };
}

/** A content header whose property list (or envelope fields) is wrong. */
function badHeaderPayload(g: Gen, bodySize: number, propertyListOnly = false): { payload: Buffer; what: string } {
  const r = g.rng;
  const props = propertiesBytes(g.properties());
  switch (propertyListOnly ? r.pick([3, 4, 5, 6, 7, 7, 7]) : r.int(8)) {
    case 0: return { payload: headerPayload(bodySize, props, r.pick([0, 10, 20, 61, 65535])), what: 'content header for another class' };
    case 1: return { payload: headerPayload(bodySize, props, 60, r.range(1, 65535)), what: 'content header with weight != 0' };
    case 2: return { payload: headerPayload(bodySize, props).subarray(0, r.int(14)), what: 'content header too short' };
    case 3: {
      const p = Buffer.from(props);
      p[1] = p[1]! | 1;
      return { payload: headerPayload(bodySize, Buffer.concat([p, r.bytes(r.int(8))])), what: 'property flags with the continuation bit' };
    }
    case 4: {
      const p = Buffer.from(props);
      p.writeUInt16BE(p.readUInt16BE(0) | (r.u32() & 0xfffc), 0);
      return { payload: headerPayload(bodySize, p), what: 'property flags for properties that are not there' };
    }
    case 5: {
      const p = Buffer.concat([u32(0).subarray(0, 2), r.bytes(r.int(40))]);
      p.writeUInt16BE(r.u32() & 0xfffe, 0);
      return { payload: headerPayload(bodySize, p), what: 'random property list' };
    }
    default: {
      const full: BasicProperties = { ...g.properties(), contentType: 'x', headers: g.table(HEADER_KEYS), messageId: 'm', timestamp: 1 };
      const pb = propertiesBytes(full);
      const c = corruptField(g, pb, propertySpans(pb));
      return { payload: headerPayload(bodySize, c.payload), what: `property ${c.what}` };
    }
  }
}

/** Frame-envelope damage: wrong size, end octet, type or channel. */
function corruptEnvelope(g: Gen, frame: Buffer): { bytes: Buffer; what: string; complete: boolean } {
  const r = g.rng;
  const f = Buffer.from(frame);
  const size = f.readUInt32BE(3);
  switch (r.int(7)) {
    case 0: {
      const v = r.pick([0xfffffff0, 0xffffffff, SERVER_FRAME_MAX + 1, 2 ** 31, 2 ** 24]);
      f.writeUInt32BE(v, 3);
      return { bytes: f, what: `frame size ${v}`, complete: true };
    }
    case 1: {
      const v = Math.max(0, size - r.range(1, Math.max(1, size)));
      f.writeUInt32BE(v, 3);
      // Usually a wrong end octet; but the bytes after the short frame may read as the start of a longer one.
      return { bytes: f, what: `frame size ${v} < ${size}`, complete: false };
    }
    case 2: {
      const v = size + r.range(1, 64);
      f.writeUInt32BE(v, 3);
      return { bytes: f, what: `frame size ${v} > ${size}`, complete: false };
    }
    case 3: f[f.length - 1] = r.pick([0, 0xcd, 0xcf, 0xff]); return { bytes: f, what: 'wrong frame-end octet', complete: true };
    case 4: f[0] = r.pick([0, 4, 5, 7, 9, 65, 255]); return { bytes: f, what: `frame type ${f[0]}`, complete: true };
    case 5: {
      const cut = r.range(1, f.length - 1);
      return { bytes: f.subarray(0, cut), what: `frame cut at ${cut} of ${f.length} bytes`, complete: false };
    }
    default: {
      const bits = r.range(1, 8);
      for (let i = 0; i < bits; i++) {
        const at = r.int(f.length);
        f[at] = f[at]! ^ (1 << r.int(8));
      }
      return { bytes: f, what: `${bits} bits flipped anywhere in the frame`, complete: false };
    }
  }
}

// ================================================================================================
// A raw fuzz connection
// ================================================================================================

const PROTOCOL_HEADER = Buffer.from([0x41, 0x4d, 0x51, 0x50, 0, 0, 9, 1]);

class FuzzConn {
  readonly sock: net.Socket;
  framesSent = 0;
  bytesSent = 0;
  socketClosed = false;
  connClose: { code: number; text: string } | undefined;
  gotCloseOk = false;
  /** A frame from the broker that is not valid AMQP (a broker bug). */
  malformed: string | undefined;
  /** Content headers the broker sent whose property list does not decode (forwarded as published). */
  badContentHeaders = 0;
  readonly channelCloses: number[] = [];
  readonly codes: number[] = [];
  /** Our view of channels: open (usable), closing (we sent channel.close), absent = closed. */
  readonly channels = new Map<number, 'open' | 'closing'>();
  readonly unacked = new Map<number, number[]>();
  started = false;
  tuned: { channelMax: number; frameMax: number } | undefined;
  opened = false;
  gotProtocolHeader = false;
  frameMax = SERVER_FRAME_MAX;
  readonly trace: string[] = [];
  private readonly reader: FrameReader;
  private waiters: Array<() => void> = [];
  private headerPending = true;

  private constructor(sock: net.Socket) {
    this.sock = sock;
    this.reader = new FrameReader({ onFrame: (t, c, p) => this.onFrame(t, c, p) }, SERVER_FRAME_MAX);
    sock.on('data', (d: Buffer) => this.onData(d));
    sock.on('error', () => {});
    sock.on('close', () => {
      this.socketClosed = true;
      this.wake();
    });
  }

  static connect(port: number): Promise<FuzzConn> {
    return new Promise((resolve, reject) => {
      const s = net.connect({ port, host: '127.0.0.1' });
      s.setNoDelay(true);
      const c = new FuzzConn(s);
      s.once('connect', () => resolve(c));
      s.once('error', reject);
    });
  }

  note(s: string): void {
    if (this.trace.length < 40) this.trace.push(s);
  }

  get alive(): boolean {
    return !this.socketClosed && this.connClose === undefined && this.malformed === undefined;
  }

  private onData(d: Buffer): void {
    if (this.malformed) return;
    if (this.headerPending) {
      this.headerPending = false;
      // A broker refusing our protocol header answers with its own.
      if (d.length >= 4 && d.subarray(0, 4).equals(PROTOCOL_HEADER.subarray(0, 4))) {
        this.gotProtocolHeader = true;
        d = d.subarray(8);
      }
    }
    try {
      this.reader.push(d);
    } catch (e) {
      this.malformed = `unparseable frame from the broker: ${(e as Error).message}`;
      this.sock.destroy();
    }
    this.wake();
  }

  private onFrame(type: number, channel: number, payload: Buffer): void {
    if (this.malformed) return;
    if (type === FRAME_METHOD) {
      let m: Args;
      try {
        m = decodeMethod(Buffer.from(payload)) as unknown as Args;
      } catch (e) {
        this.malformed = `undecodable method frame from the broker on channel ${channel}: ${(e as Error).message}; payload ${payload.subarray(0, 48).toString('hex')}`;
        this.sock.destroy();
        return;
      }
      this.onMethod(channel, m);
    } else if (type === FRAME_HEADER) {
      if (payload.length < 14 || payload.readUInt16BE(0) !== 60) {
        this.malformed = `bad content header from the broker: ${payload.subarray(0, 32).toString('hex')}`;
        this.sock.destroy();
        return;
      }
      try {
        decodeProperties(payload, 12, payload.length);
      } catch {
        this.badContentHeaders += 1;
      }
    } else if (type === FRAME_HEARTBEAT) {
      if (channel !== 0 || payload.length !== 0) this.malformed = 'bad heartbeat frame from the broker';
    } else if (type !== FRAME_BODY) {
      this.malformed = `frame of type ${type} from the broker`;
      this.sock.destroy();
    }
  }

  private onMethod(channel: number, m: Args): void {
    switch (m.id) {
      case CONNECTION_START: this.started = true; break;
      case CONNECTION_TUNE: this.tuned = { channelMax: m.channelMax as number, frameMax: m.frameMax as number }; break;
      case CONNECTION_OPEN_OK: this.opened = true; break;
      case CONNECTION_CLOSE_OK: this.gotCloseOk = true; break;
      case CONNECTION_CLOSE: {
        const code = m.replyCode as number;
        this.connClose = { code, text: String(m.replyText) };
        this.codes.push(code);
        this.note(`<- connection.close ${code} ${String(m.replyText).slice(0, 120)}`);
        this.rawWrite(methodFrame(0, { id: CONNECTION_CLOSE_OK }), 1);
        break;
      }
      case CHANNEL_CLOSE: {
        const code = m.replyCode as number;
        this.channelCloses.push(code);
        this.codes.push(code);
        this.channels.delete(channel);
        this.unacked.delete(channel);
        this.note(`<- channel.close ${channel} ${code} ${String(m.replyText).slice(0, 120)}`);
        this.rawWrite(methodFrame(channel, { id: CHANNEL_CLOSE_OK }), 1);
        break;
      }
      case CHANNEL_CLOSE_OK:
        if (this.channels.get(channel) === 'closing') this.channels.delete(channel);
        break;
      case CHANNEL_OPEN_OK:
        break;
      case BASIC_DELIVER:
      case BASIC_GET_OK: {
        let l = this.unacked.get(channel);
        if (!l) this.unacked.set(channel, (l = []));
        if (l.length < 1000) l.push(m.deliveryTag as number);
        break;
      }
      default:
        break;
    }
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  /** Resolves true once `pred` holds, false after `ms`. */
  waitFor(pred: () => boolean, ms: number): Promise<boolean> {
    if (pred()) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve(pred()), ms);
      const check = () => {
        if (pred()) {
          clearTimeout(timer);
          resolve(true);
        } else {
          this.waiters.push(check);
        }
      };
      this.waiters.push(check);
    });
  }

  private rawWrite(b: Buffer, frames: number): boolean {
    if (this.socketClosed || this.sock.destroyed) return true;
    this.framesSent += frames;
    this.bytesSent += b.length;
    return this.sock.write(b);
  }

  /** Writes bytes (counting `frames` frames), waiting for the socket to drain when its buffer is full. */
  async send(b: Buffer | Buffer[], frames?: number): Promise<void> {
    const buf = Array.isArray(b) ? Buffer.concat(b) : b;
    const n = frames ?? (Array.isArray(b) ? b.length : 1);
    if (!this.rawWrite(buf, n)) {
      await new Promise<void>((resolve) => {
        const done = () => {
          this.sock.off('drain', done);
          this.sock.off('close', done);
          resolve();
        };
        this.sock.on('drain', done);
        this.sock.on('close', done);
      });
    }
  }

  /** Protocol header, start-ok, tune-ok, open. Returns false if the broker did not let a valid client in. */
  async handshake(g: Gen): Promise<boolean> {
    await this.send(PROTOCOL_HEADER, 0);
    if (!(await this.waitFor(() => this.started || !this.alive, 10_000)) || !this.started) return false;
    await this.send(methodFrame(0, { id: CONNECTION_START_OK, clientProperties: g.clientProperties(), mechanism: 'PLAIN', response: Buffer.from('\0guest\0guest'), locale: 'en_US' }));
    if (!(await this.waitFor(() => this.tuned !== undefined || !this.alive, 10_000)) || !this.tuned) return false;
    this.frameMax = g.rng.chance(0.9) ? this.tuned.frameMax : g.rng.range(4096, this.tuned.frameMax);
    this.reader.frameMax = this.frameMax;
    await this.send([
      methodFrame(0, { id: CONNECTION_TUNE_OK, channelMax: this.tuned.channelMax, frameMax: this.frameMax, heartbeat: 0 }),
      methodFrame(0, { id: CONNECTION_OPEN, virtualHost: '/' }),
    ]);
    return (await this.waitFor(() => this.opened || !this.alive, 10_000)) && this.opened;
  }

  /** connection.close from the broker, if any (a method, so TypeScript does not narrow it across awaits). */
  closeReceived(): { code: number; text: string } | undefined {
    return this.connClose;
  }

  openChannel(ch: number): Buffer {
    this.channels.set(ch, 'open');
    return methodFrame(ch, { id: CHANNEL_OPEN });
  }

  /**
   * Waits for the broker's reaction and names the outcome; a connection that answers nothing even to
   * connection.close is a hang when `mustAnswer` (its input was well framed).
   */
  async finish(mustAnswer: boolean, failures: string[]): Promise<string> {
    await this.waitFor(() => !this.alive, 150);
    let outcome: string;
    if (this.malformed) {
      failures.push(`${this.malformed}`);
      outcome = 'malformed broker output';
    } else if (this.connClose) {
      // The broker closes the socket after close-ok, or after its close-ok timeout when it stopped reading (501);
      // sockets it never closes show in the connection count checked at the end.
      await this.waitFor(() => this.socketClosed, 100);
      outcome = `connection.close ${this.connClose.code}`;
    } else if (this.socketClosed) {
      outcome = this.channelCloses.length > 0 ? `channel.close ${this.channelCloses[0]} then disconnect` : 'disconnect';
    } else {
      await this.send(methodFrame(0, { id: CONNECTION_CLOSE, replyCode: 200, replyText: 'fuzz done', classId: 0, methodId: 0 }));
      await this.waitFor(() => this.gotCloseOk || !this.alive, mustAnswer ? 15_000 : 1000);
      if (this.malformed) {
        failures.push(`${this.malformed}`);
        outcome = 'malformed broker output';
      } else if (this.gotCloseOk) {
        outcome = this.channelCloses.length > 0 ? `channel.close ${this.channelCloses[0]}` : 'accepted';
        await this.waitFor(() => this.socketClosed, 2000);
      } else if (this.closeReceived()) {
        outcome = `connection.close ${this.closeReceived()!.code}`;
      } else if (this.socketClosed) {
        outcome = this.channelCloses.length > 0 ? `channel.close ${this.channelCloses[0]} then disconnect` : 'disconnect';
      } else if (mustAnswer) {
        failures.push(`hang: no answer to well-framed input, not even to connection.close, in 15 s`);
        outcome = 'HANG';
      } else {
        outcome = 'silent (incomplete input)';
      }
    }
    for (const code of this.codes) if (!KNOWN_CODES.has(code)) failures.push(`reply code ${code} is not an AMQP reply code`);
    this.sock.destroy();
    return outcome;
  }
}

// ================================================================================================
// Scenarios: each returns whether its input was well framed (so the broker must answer it)
// ================================================================================================

interface Ctx {
  c: FuzzConn;
  g: Gen;
  r: Rng;
}

type Scenario = { weight: number; handshake: boolean; run: (x: Ctx) => Promise<boolean> };

const CLIENT_METHODS = METHODS.filter((m) =>
  [
    'channel.flow', 'channel.close', 'access.request', 'exchange.declare', 'exchange.delete', 'exchange.bind', 'exchange.unbind',
    'queue.declare', 'queue.bind', 'queue.purge', 'queue.delete', 'queue.unbind', 'basic.qos', 'basic.consume', 'basic.cancel',
    'basic.get', 'basic.ack', 'basic.reject', 'basic.recover', 'basic.recover-async', 'basic.nack', 'tx.select', 'tx.commit',
    'tx.rollback', 'confirm.select',
  ].includes(m.name),
);

/** Client methods that leave the channel open when they succeed (for long storms). */
const QUIET_METHODS = CLIENT_METHODS.filter((m) => !['channel.close', 'channel.flow', 'basic.recover-async'].includes(m.name));

/** A few valid setup frames: channels, a declare or two, maybe a consumer. */
function setupFrames(x: Ctx, channels: number[]): Buffer[] {
  const { c, g, r } = x;
  const out: Buffer[] = [];
  for (const ch of channels) {
    out.push(c.openChannel(ch));
    if (r.chance(0.4)) out.push(methodFrame(ch, { id: QUEUE_DECLARE, queue: r.pick(QUEUES.slice(0, 4)), autoDelete: r.chance(0.5), arguments: new Map() }));
    if (r.chance(0.2)) out.push(methodFrame(ch, { id: CONFIRM_SELECT }));
    if (r.chance(0.1)) out.push(...publishFrames(ch, { exchange: r.pick(EXCHANGES.slice(0, 4)), routingKey: r.pick(KEYS) }, g.properties(), g.body(), c.frameMax));
  }
  return out;
}

/** Valid client traffic for one open channel (one method, or publish+header+bodies). */
function trafficFrames(x: Ctx, ch: number): Buffer[] {
  const { c, g, r } = x;
  const kind = r.weighted<string>([
    [40, 'publish'], [8, 'ack'], [4, 'get'], [6, 'declare'], [4, 'bind'], [4, 'consume'], [2, 'cancel'], [2, 'qos'],
    [2, 'confirm'], [1, 'tx'], [0.2, 'close'], [4, 'other'], [1, 'any'], [1, 'heartbeat'],
  ]);
  switch (kind) {
    case 'publish': {
      const m: Args = { exchange: r.pick(EXCHANGES.slice(0, 7)), routingKey: r.pick(KEYS), mandatory: r.chance(0.2) };
      return publishFrames(ch, m, g.properties(), g.body(), c.frameMax);
    }
    case 'ack': {
      const tags = c.unacked.get(ch);
      const tag = tags && tags.length > 0 && r.chance(0.8) ? tags.splice(r.int(tags.length), 1)[0]! : g.longlong();
      const id = r.pick([BASIC_ACK, BASIC_ACK, BASIC_NACK, BASIC_REJECT]);
      return [methodFrame(ch, { id, deliveryTag: tag, multiple: r.chance(0.2), requeue: r.chance(0.5) })];
    }
    case 'get': return [methodFrame(ch, { id: BASIC_GET, queue: r.pick(QUEUES), noAck: r.chance(0.7) })];
    case 'declare':
      return [methodFrame(ch, r.chance(0.7) ? { ...g.method(info(QUEUE_DECLARE)), exclusive: r.chance(0.5), durable: r.chance(0.1) } : { ...g.method(info(EXCHANGE_DECLARE)), durable: false })];
    case 'bind': return [methodFrame(ch, g.method(info(r.pick([QUEUE_BIND, QUEUE_BIND, QUEUE_UNBIND, EXCHANGE_BIND]))))];
    case 'consume': return [methodFrame(ch, { ...g.method(info(BASIC_CONSUME)), noAck: r.chance(0.7), exclusive: r.chance(0.1) })];
    case 'cancel': return [methodFrame(ch, { id: BASIC_CANCEL, consumerTag: r.pick(TAGS), nowait: r.chance(0.3) })];
    case 'qos': return [methodFrame(ch, { id: BASIC_QOS, prefetchSize: 0, prefetchCount: r.pick([0, 1, 10, 100]), global: r.chance(0.3) })];
    case 'confirm': return [methodFrame(ch, { id: CONFIRM_SELECT, nowait: r.chance(0.3) })];
    case 'tx': return [methodFrame(ch, { id: r.pick([TX_SELECT, TX_COMMIT, TX_ROLLBACK]) })];
    case 'close':
      c.channels.set(ch, 'closing');
      return [methodFrame(ch, { id: CHANNEL_CLOSE, replyCode: 200, replyText: '', classId: 0, methodId: 0 })];
    case 'other': return [methodFrame(ch, g.method(r.pick(QUIET_METHODS)))];
    case 'any': return [methodFrame(ch, g.method(r.pick(METHODS)))];
    default: return [envelope(FRAME_HEARTBEAT, 0, Buffer.alloc(0))];
  }
}

/** One broken thing, of any kind, for the end of a storm or a short connection. */
function oneBadFrame(x: Ctx, ch: number): { frames: Buffer[]; what: string; complete: boolean } {
  const { c, g, r } = x;
  switch (r.int(6)) {
    case 0: {
      const m = g.method(r.chance(0.8) ? r.pick(CLIENT_METHODS) : r.pick(METHODS));
      const bad = corruptMethod(g, m);
      return { frames: [envelope(FRAME_METHOD, ch, bad.payload)], what: bad.what, complete: true };
    }
    case 1: {
      const e = corruptEnvelope(g, trafficFrames(x, ch)[0]!);
      return { frames: [e.bytes], what: e.what, complete: e.complete };
    }
    case 2: {
      const body = g.body();
      const h = badHeaderPayload(g, body.length);
      return { frames: [methodFrame(ch, { id: BASIC_PUBLISH, exchange: r.pick(EXCHANGES.slice(0, 5)), routingKey: r.pick(KEYS) }), envelope(FRAME_HEADER, ch, h.payload), ...bodyFrames(ch, body, c.frameMax)], what: h.what, complete: true };
    }
    case 3: {
      const n = r.range(1, 4096);
      return { frames: [r.bytes(n)], what: `${n} random bytes`, complete: false };
    }
    case 4: {
      const other = r.chance(0.5) ? r.range(1, 65535) : r.pick([0, 65535, 2048, 2047]);
      return { frames: trafficFrames(x, other), what: `traffic on channel ${other}`, complete: true };
    }
    default: {
      const t = deepTable(g);
      const m = methodPayload({ id: QUEUE_DECLARE, queue: 'fz.deep', exclusive: true });
      return { frames: [envelope(FRAME_METHOD, ch, splice(m, m.length - 4, m.length, t.bytes))], what: `queue.declare arguments ${t.what}`, complete: true };
    }
  }
}

const SCENARIOS: Record<string, Scenario> = {
  /** Lots of valid traffic on several channels (reopening channels the broker closes), maybe one bad frame at the end. */
  storm: {
    weight: 18,
    handshake: true,
    async run(x) {
      const { c, r } = x;
      const total = r.range(50, 8000);
      const chans = Array.from({ length: r.range(1, 8) }, (_, i) => i + 1);
      await c.send(setupFrames(x, chans));
      let sent = 0;
      while (sent < total && c.alive) {
        const batch: Buffer[] = [];
        for (let i = 0; i < 24 && sent < total; i++) {
          const ch = r.pick(chans);
          const state = c.channels.get(ch);
          if (state === 'closing') continue;
          const frames = state === undefined ? [c.openChannel(ch)] : trafficFrames(x, ch);
          batch.push(...frames);
          sent += frames.length;
        }
        if (batch.length) await c.send(batch);
        // Yield now and then, and always when every channel waits for its close-ok.
        if (batch.length === 0) await c.waitFor(() => !c.alive || chans.some((ch) => c.channels.get(ch) !== 'closing'), 50);
        else if ((sent & 0xff) < 24) await new Promise((res) => setImmediate(res));
      }
      c.note(`storm: ${sent} valid frames on channels ${chans.join(',')}`);
      if (c.alive && r.chance(0.5)) {
        const bad = oneBadFrame(x, r.pick(chans));
        c.note(`bad: ${bad.what}`);
        await c.send(bad.frames);
        return bad.complete;
      }
      return true;
    },
  },

  /** Random bytes after a valid handshake. */
  randomBytes: {
    weight: 5,
    handshake: true,
    async run({ c, r }) {
      const n = r.chance(0.8) ? r.range(1, 512) : r.range(512, 65536);
      c.note(`${n} random bytes`);
      await c.send(r.bytes(n));
      return false;
    },
  },

  /** Bad protocol headers and broken handshakes. */
  handshake: {
    weight: 6,
    handshake: false,
    async run(x) {
      const { c, g, r } = x;
      const v = r.int(9);
      if (v === 0) {
        const h = r.pick([r.bytes(8), Buffer.from('AMQP\x01\x01\x00\x0a', 'latin1'), Buffer.from('AMQP\x00\x00\x09\x02', 'latin1'), Buffer.from('GET / HTTP/1.1\r\n\r\n'), Buffer.from('AMQP\x00\x01\x00\x00', 'latin1')]);
        c.note(`protocol header ${h.toString('hex')}`);
        await c.send(h, 0);
        return true;
      }
      if (v === 1) {
        const cut = r.range(1, 7);
        c.note(`protocol header cut at ${cut}`);
        await c.send(PROTOCOL_HEADER.subarray(0, cut), 0);
        return false;
      }
      await c.send(PROTOCOL_HEADER, 0);
      if (!(await c.waitFor(() => c.started || !c.alive, 10_000))) return false;
      const startOk: Args = { id: CONNECTION_START_OK, clientProperties: g.clientProperties(), mechanism: 'PLAIN', response: Buffer.from('\0guest\0guest'), locale: 'en_US' };
      if (v === 2) {
        const bad = corruptMethod(g, r.chance(0.5) ? startOk : g.method(info(CONNECTION_START_OK)));
        c.note(`start-ok: ${bad.what}`);
        await c.send(envelope(FRAME_METHOD, 0, bad.payload));
        return true;
      }
      if (v === 3) {
        const m = g.method(r.pick(METHODS));
        const ch = r.chance(0.7) ? 0 : r.range(1, 5);
        c.note(`${methodName(m.id as number)} on channel ${ch} instead of start-ok`);
        await c.send(methodFrame(ch, m));
        return true;
      }
      if (v === 4) {
        const t = deepTable(g);
        const p = methodPayload(startOk);
        const props = tableBytes(startOk.clientProperties as FieldTable);
        c.note(`start-ok client properties replaced: ${t.what}`);
        await c.send(envelope(FRAME_METHOD, 0, splice(p, 4, 4 + props.length, t.bytes)));
        return true;
      }
      await c.send(methodFrame(0, startOk));
      if (!(await c.waitFor(() => c.tuned !== undefined || !c.alive, 10_000)) || !c.tuned) return false;
      const tuneOk: Args = { id: CONNECTION_TUNE_OK, channelMax: c.tuned.channelMax, frameMax: c.tuned.frameMax, heartbeat: 0 };
      if (v === 5) {
        const m: Args = { ...tuneOk, channelMax: g.short(), frameMax: r.chance(0.5) ? g.long() : r.pick([0, 4095, 4096, SERVER_FRAME_MAX, SERVER_FRAME_MAX + 1]), heartbeat: r.pick([0, 1, 65535]) };
        c.note(`tune-ok ${JSON.stringify(m)}`);
        await c.send([methodFrame(0, m), methodFrame(0, { id: CONNECTION_OPEN, virtualHost: '/' })]);
        return true;
      }
      if (v === 6) {
        const bad = corruptMethod(g, tuneOk);
        c.note(`tune-ok: ${bad.what}`);
        await c.send(envelope(FRAME_METHOD, 0, bad.payload));
        return true;
      }
      await c.send(methodFrame(0, tuneOk));
      if (v === 7) {
        const bad = corruptMethod(g, { id: CONNECTION_OPEN, virtualHost: r.pick(['/', 'nope', '']), capabilities: '', insist: false });
        c.note(`open: ${bad.what}`);
        await c.send(envelope(FRAME_METHOD, 0, bad.payload));
        return true;
      }
      const f = oneBadFrame(x, r.chance(0.5) ? 0 : 1);
      c.note(`before connection.open: ${f.what}`);
      await c.send(f.frames);
      return f.complete;
    },
  },

  /** A valid method with exactly one field corrupted (frame envelope kept valid). */
  mutatedField: {
    weight: 14,
    handshake: true,
    async run(x) {
      const { c, g, r } = x;
      const chans = Array.from({ length: r.range(1, 3) }, (_, i) => i + 1);
      await c.send(setupFrames(x, chans));
      const rounds = r.range(1, 3);
      for (let i = 0; i < rounds && c.alive; i++) {
        const m = g.method(r.chance(0.85) ? r.pick(CLIENT_METHODS) : r.pick(METHODS));
        const ch = m.id === CONNECTION_CLOSE || (m.id as number) >>> 16 === 10 ? 0 : r.pick(chans);
        const bad = corruptMethod(g, m);
        c.note(`ch ${ch}: ${bad.what}`);
        await c.send(envelope(FRAME_METHOD, ch, bad.payload));
        await c.waitFor(() => !c.alive, 20);
      }
      return true;
    },
  },

  /** Bit flips in a valid frame: in the payload only (envelope fixed) or anywhere. */
  bitFlip: {
    weight: 5,
    handshake: true,
    async run(x) {
      const { c, r } = x;
      await c.send(setupFrames(x, [1]));
      const f = Buffer.from(trafficFrames(x, 1)[0]!);
      const anywhere = r.chance(0.3);
      const n = r.range(1, 8);
      for (let i = 0; i < n; i++) {
        const at = anywhere ? r.int(f.length) : 7 + r.int(Math.max(1, f.length - 8));
        if (at < f.length) f[at] = f[at]! ^ (1 << r.int(8));
      }
      c.note(`${n} bit flips ${anywhere ? 'anywhere' : 'in the payload'} of frame type ${f[0]}`);
      await c.send(f);
      return !anywhere;
    },
  },

  /** Frames cut short: payload truncated (envelope fixed), or the stream cut mid-frame (then silence or more frames). */
  truncated: {
    weight: 6,
    handshake: true,
    async run(x) {
      const { c, r } = x;
      await c.send(setupFrames(x, [1]));
      const frames = trafficFrames(x, 1);
      const f = frames[0]!;
      if (r.chance(0.5)) {
        const payload = f.subarray(7, f.length - 1);
        const cut = r.int(payload.length);
        c.note(`frame type ${f[0]} payload truncated to ${cut} of ${payload.length}`);
        await c.send(envelope(f[0]!, 1, payload.subarray(0, cut)));
        return true;
      }
      const cut = r.range(1, f.length - 1);
      const more = r.chance(0.5);
      c.note(`stream cut at ${cut} of ${f.length}${more ? ', then more frames' : ''}`);
      await c.send(f.subarray(0, cut));
      if (more) await c.send(trafficFrames(x, 1));
      return false;
    },
  },

  /** Frame sizes that lie, and huge declared sizes (frame, body, shortstr, table, longstr). */
  hugeSizes: {
    weight: 8,
    handshake: true,
    async run(x) {
      const { c, g, r } = x;
      await c.send(setupFrames(x, [1]));
      switch (r.int(7)) {
        case 0: {
          const e = corruptEnvelope(g, trafficFrames(x, 1)[0]!);
          c.note(e.what);
          await c.send(e.bytes);
          return e.complete;
        }
        case 1: {
          const size = r.pick([0xfffffff0, 0xffffffff, 2 ** 31, c.frameMax + 1]);
          const head = Buffer.alloc(7);
          head[0] = r.pick([1, 2, 3]);
          head.writeUInt16BE(1, 1);
          head.writeUInt32BE(size, 3);
          c.note(`frame header declaring ${size} bytes`);
          await c.send(Buffer.concat([head, r.bytes(r.int(64))]));
          return true;
        }
        case 2: {
          const size = r.pick<number | bigint>([2 ** 53, 2 ** 53 - 1, 2n ** 64n - 1n, 2n ** 63n, MAX_MESSAGE_SIZE + 1, 0xffffffff]);
          c.note(`content header declaring a body of ${size} bytes`);
          await c.send([methodFrame(1, { id: BASIC_PUBLISH, exchange: '', routingKey: 'fz.q0' }), envelope(FRAME_HEADER, 1, headerPayload(size, propertiesBytes({})))]);
          if (r.chance(0.5)) await c.send(envelope(FRAME_BODY, 1, r.bytes(r.int(1000))));
          return true;
        }
        case 3: {
          const m = methodPayload(g.method(info(r.pick([QUEUE_DECLARE, BASIC_PUBLISH, EXCHANGE_DECLARE, BASIC_CONSUME, QUEUE_BIND]))));
          const spans = methodSpans(info(m.readUInt32BE(0)), m).filter((s) => s.type === 'shortstr');
          const s = r.pick(spans);
          const p = Buffer.from(m);
          p[s.start] = 255;
          c.note(`${methodName(m.readUInt32BE(0))} ${s.field} shortstr length 255 past the end`);
          await c.send(envelope(FRAME_METHOD, 1, p));
          return true;
        }
        case 4: {
          const id = r.pick([QUEUE_DECLARE, EXCHANGE_DECLARE, BASIC_CONSUME, QUEUE_BIND, EXCHANGE_BIND]);
          const m = methodPayload(g.method(info(id)));
          const s = methodSpans(info(id), m).find((sp) => sp.type === 'table')!;
          const p = Buffer.from(m);
          const v = r.pick([0xfffffff0, 0xffffffff, 2 ** 31, p.length - s.start - 3]);
          p.writeUInt32BE(v, s.start);
          c.note(`${methodName(id)} table length ${v} past the end`);
          await c.send(envelope(FRAME_METHOD, 1, p));
          return true;
        }
        case 5: {
          const p = methodPayload({ id: 0x000a0046, newSecret: Buffer.from('x'), reason: 'r' });
          p.writeUInt32BE(r.pick([0xfffffff0, 0xffffffff, 100]), 4);
          c.note('connection.update-secret longstr length past the end');
          await c.send(envelope(FRAME_METHOD, 0, p));
          return true;
        }
        default: {
          const h = headerPayload(10, Buffer.concat([Buffer.from([0x20, 0x00]), u32(r.pick([0xfffffff0, 0xffffffff, 1000]))]));
          c.note('headers property table length past the end');
          await c.send([methodFrame(1, { id: BASIC_PUBLISH, exchange: '', routingKey: 'fz.q0' }), envelope(FRAME_HEADER, 1, h), envelope(FRAME_BODY, 1, r.bytes(10))]);
          return true;
        }
      }
    },
  },

  /** Invalid UTF-8 in short strings: names, keys and tags that come back in replies and deliveries. */
  invalidUtf8: {
    weight: 8,
    handshake: true,
    async run(x) {
      const { c, g, r } = x;
      await c.send(setupFrames(x, [1, 2]));
      const bad = (n = r.chance(0.6) ? r.range(86, 255) : r.range(1, 85)) => Buffer.concat([Buffer.from([n]), g.invalidUtf8(n)]);
      const ss = (s: string) => Buffer.concat([Buffer.from([Buffer.byteLength(s)]), Buffer.from(s)]);
      const id = (v: number) => u32(v);
      const v = r.int(7);
      const frames: Buffer[] = [];
      if (v === 0) {
        // publish with an invalid routing key to exchanges the bystander (and our own consumer) listen on
        frames.push(methodFrame(1, { id: BASIC_CONSUME, queue: 'fz.q0', consumerTag: 'self', noAck: true }));
        const p = Buffer.concat([id(BASIC_PUBLISH), Buffer.from([0, 0]), ss(r.pick(['amq.fanout', 'amq.topic', 'amq.direct', 'amq.headers'])), bad(), Buffer.from([0])]);
        frames.push(envelope(FRAME_METHOD, 2, p), envelope(FRAME_HEADER, 2, headerPayload(2, propertiesBytes({}))), envelope(FRAME_BODY, 2, Buffer.from('hi')));
        c.note('publish with an invalid UTF-8 routing key to a shared exchange');
      } else if (v === 1) {
        // a consumer whose tag is invalid UTF-8 (nowait, so no consume-ok), then a message for it
        const nowait = r.chance(0.5);
        frames.push(methodFrame(1, { id: QUEUE_DECLARE, queue: 'fz.utf8', autoDelete: true }));
        frames.push(envelope(FRAME_METHOD, 1, Buffer.concat([id(BASIC_CONSUME), Buffer.from([0, 0]), ss('fz.utf8'), bad(), Buffer.from([nowait ? 8 | 2 : 2]), u32(0)])));
        frames.push(...publishFrames(2, { exchange: '', routingKey: 'fz.utf8' }, {}, Buffer.from('x'), c.frameMax));
        c.note(`consumer tag of invalid UTF-8 (nowait=${nowait}), then a delivery`);
      } else if (v === 2) {
        // queue named with invalid UTF-8: declare-ok echoes it
        frames.push(envelope(FRAME_METHOD, 1, Buffer.concat([id(QUEUE_DECLARE), Buffer.from([0, 0]), bad(), Buffer.from([r.chance(0.5) ? 4 : 8]), u32(0)])));
        c.note('queue.declare with an invalid UTF-8 name');
      } else if (v === 3) {
        // exchange named with invalid UTF-8, bound and published through: deliveries carry its name
        const name = bad();
        frames.push(envelope(FRAME_METHOD, 1, Buffer.concat([id(EXCHANGE_DECLARE), Buffer.from([0, 0]), name, ss('fanout'), Buffer.from([8]), u32(0)])));
        frames.push(methodFrame(1, { id: QUEUE_DECLARE, queue: 'fz.utf8x', exclusive: true }));
        frames.push(envelope(FRAME_METHOD, 1, Buffer.concat([id(QUEUE_BIND), Buffer.from([0, 0]), ss('fz.utf8x'), name, ss(''), Buffer.from([0]), u32(0)])));
        frames.push(methodFrame(1, { id: BASIC_CONSUME, queue: 'fz.utf8x', noAck: true }));
        frames.push(envelope(FRAME_METHOD, 1, Buffer.concat([id(BASIC_PUBLISH), Buffer.from([0, 0]), name, ss('k'), Buffer.from([0])])));
        frames.push(envelope(FRAME_HEADER, 1, headerPayload(1, propertiesBytes({}))), envelope(FRAME_BODY, 1, Buffer.from('x')));
        c.note('exchange with an invalid UTF-8 name, bound, consumed, published to');
      } else if (v === 4) {
        // mandatory publish with an invalid routing key to nowhere: basic.return echoes it
        frames.push(envelope(FRAME_METHOD, 1, Buffer.concat([id(BASIC_PUBLISH), Buffer.from([0, 0]), ss(r.pick(['', 'amq.direct'])), bad(), Buffer.from([1])])));
        frames.push(envelope(FRAME_HEADER, 1, headerPayload(0, propertiesBytes({}))));
        c.note('mandatory publish to nowhere with an invalid UTF-8 routing key');
      } else if (v === 5) {
        // invalid UTF-8 in a property string, delivered to our own consumer and to the bystander
        const prop = Buffer.concat([Buffer.from([0x80, 0x00]), bad()]);
        frames.push(...[methodFrame(1, { id: BASIC_PUBLISH, exchange: r.pick(['amq.fanout', 'amq.topic']), routingKey: 'a' }), envelope(FRAME_HEADER, 1, headerPayload(1, prop)), envelope(FRAME_BODY, 1, Buffer.from('x'))]);
        c.note('content-type of invalid UTF-8 published to a shared exchange');
      } else {
        const m = g.method(r.pick(CLIENT_METHODS));
        const mi = info(m.id as number);
        const p = methodPayload(m);
        const spans = methodSpans(mi, p).filter((s) => s.type === 'shortstr');
        if (spans.length === 0) return true;
        const s = r.pick(spans);
        c.note(`${mi.name} ${s.field} of invalid UTF-8`);
        frames.push(envelope(FRAME_METHOD, 1, splice(p, s.start, s.end, bad())));
      }
      await c.send(frames);
      return true;
    },
  },

  /** Field tables with unknown types, overrunning lengths, or nested far too deep. */
  badTables: {
    weight: 8,
    handshake: true,
    async run(x) {
      const { c, g, r } = x;
      await c.send(setupFrames(x, [1]));
      const t = r.chance(0.4) ? deepTable(g) : badTable(g);
      const where = r.int(4);
      if (where === 3) {
        const props = Buffer.concat([Buffer.from([0x20, 0x00]), t.bytes]);
        c.note(`headers property: ${t.what}`);
        await c.send([methodFrame(1, { id: BASIC_PUBLISH, exchange: r.pick(['', 'amq.headers', 'amq.fanout']), routingKey: 'fz.q0' }), envelope(FRAME_HEADER, 1, headerPayload(1, props)), envelope(FRAME_BODY, 1, Buffer.from('x'))]);
        return true;
      }
      const id = [QUEUE_DECLARE, BASIC_CONSUME, EXCHANGE_BIND][where]!;
      const p = methodPayload(g.method(info(id)));
      const s = methodSpans(info(id), p).find((sp) => sp.type === 'table')!;
      c.note(`${methodName(id)} arguments: ${t.what}`);
      await c.send(envelope(FRAME_METHOD, 1, splice(p, s.start, s.end, t.bytes)));
      return true;
    },
  },

  /** Methods and content on channels never opened, channel 0, twice-opened and closed channels, past channel_max. */
  wrongChannel: {
    weight: 6,
    handshake: true,
    async run(x) {
      const { c, g, r } = x;
      const v = r.int(6);
      if (v === 0) {
        const ch = r.pick([r.range(1, 65535), 65535, 2048, 2047, 1]);
        const m = g.method(r.pick(CLIENT_METHODS));
        c.note(`${methodName(m.id as number)} on unopened channel ${ch}`);
        await c.send(methodFrame(ch, m));
      } else if (v === 1) {
        const m = g.method(r.pick(CLIENT_METHODS));
        c.note(`${methodName(m.id as number)} on channel 0`);
        await c.send(methodFrame(0, m));
      } else if (v === 2) {
        c.note('channel.open twice');
        await c.send([c.openChannel(1), methodFrame(1, { id: CHANNEL_OPEN })]);
      } else if (v === 3) {
        c.note('channel.close then traffic on the closed channel');
        await c.send([c.openChannel(1), methodFrame(1, { id: CHANNEL_CLOSE, replyCode: 200, replyText: '', classId: 0, methodId: 0 }), ...trafficFrames(x, 1)]);
      } else if (v === 4) {
        const n = r.chance(0.5) ? 2048 : r.range(1, 300);
        c.note(`${n} channels opened`);
        const frames: Buffer[] = [];
        for (let ch = 1; ch <= n; ch++) frames.push(c.openChannel(ch));
        await c.send(frames);
      } else {
        c.note('heartbeat on a channel, or with a payload');
        await c.send(r.chance(0.5) ? envelope(FRAME_HEARTBEAT, r.range(1, 100), Buffer.alloc(0)) : envelope(FRAME_HEARTBEAT, 0, r.bytes(r.range(1, 16))));
      }
      return true;
    },
  },

  /** Content frames without their method, in the wrong order, too much of them, or interleaved across channels. */
  content: {
    weight: 8,
    handshake: true,
    async run(x) {
      const { c, g, r } = x;
      await c.send(setupFrames(x, [1, 2, 3]));
      const hdr = (ch: number, n: number | bigint) => envelope(FRAME_HEADER, ch, headerPayload(n, propertiesBytes(g.properties())));
      const pub = (ch: number) => methodFrame(ch, { id: BASIC_PUBLISH, exchange: r.pick(['', 'amq.fanout', 'amq.topic']), routingKey: r.pick(KEYS) });
      const body = (ch: number, n: number) => envelope(FRAME_BODY, ch, r.bytes(n));
      const v = r.int(9);
      const names = ['header without method', 'body without method', 'body before header', 'header twice', 'method between header and body', 'body longer than declared', 'header then nothing', 'valid interleaving on three channels', 'content on channel 0'];
      c.note(names[v]!);
      switch (v) {
        case 0: await c.send(hdr(r.pick([1, 2, 9]), r.int(100))); break;
        case 1: await c.send(body(r.pick([1, 2, 9]), r.range(1, 100))); break;
        case 2: await c.send([pub(1), body(1, 5), hdr(1, 5)]); break;
        case 3: await c.send([pub(1), hdr(1, 5), hdr(1, 5), body(1, 5)]); break;
        case 4: await c.send([pub(1), hdr(1, 5), pub(1), body(1, 5)]); break;
        case 5: await c.send([pub(1), hdr(1, 5), body(1, 4), body(1, r.range(2, 100))]); break;
        case 6: {
          const size = r.pick([1, 1000, MAX_MESSAGE_SIZE, MAX_MESSAGE_SIZE - 1, r.int(MAX_MESSAGE_SIZE)]);
          const partial = r.chance(0.5) ? [body(1, Math.min(size - 1, r.int(c.frameMax - 8)))].filter((f) => f.length > 8) : [];
          c.note(`declared ${size} bytes, sent ${partial.length ? partial[0]!.length - 8 : 0}`);
          await c.send([pub(1), hdr(1, size), ...partial]);
          if (r.chance(0.5)) await c.send(trafficFrames(x, 2));
          break;
        }
        case 7: {
          const sizes = [r.range(1, 3 * c.frameMax), r.range(1, 2000), 0];
          const bodies = sizes.map((n) => bodyFrames(0, r.bytes(n), c.frameMax));
          const out: Buffer[] = [pub(1), pub(2), pub(3), hdr(1, sizes[0]!), hdr(3, 0), hdr(2, sizes[1]!)];
          const queues = [bodies[0]!.map((b) => (b.writeUInt16BE(1, 1), b)), bodies[1]!.map((b) => (b.writeUInt16BE(2, 1), b))];
          while (queues.some((q) => q.length)) {
            const q = r.pick(queues.filter((qq) => qq.length));
            out.push(q.shift()!);
          }
          await c.send(out);
          break;
        }
        default: await c.send(r.chance(0.5) ? envelope(FRAME_HEADER, 0, headerPayload(1, propertiesBytes({}))) : body(0, 3)); break;
      }
      return true;
    },
  },

  /** Messages whose property list is malformed, sent where the broker decodes properties later: TTL and
   *  dead-lettering, priorities, headers exchanges, delayed messages, rejects, quorum redelivery counts. */
  poison: {
    weight: 7,
    handshake: true,
    async run(x) {
      const { c, g, r } = x;
      // A queue of its own that outlives the connection (so its timers fire) and expires a few seconds later.
      const qname = `fz.p.${r.u32().toString(36)}`;
      const args: FieldTable = new Map();
      const v = r.int(6);
      if (v === 0 || v === 1) {
        args.set('x-message-ttl', { type: 'I', value: r.pick([0, 1, 10, 50]) });
        args.set('x-dead-letter-exchange', { type: 'S', value: r.pick(['amq.fanout', 'amq.topic', '']) });
      } else if (v === 2) {
        args.set('x-max-priority', { type: 'I', value: 10 });
      } else if (v === 3) {
        args.set('x-queue-type', { type: 'S', value: 'quorum' });
        args.set('x-delivery-limit', { type: 'I', value: r.pick([0, 1, 5]) });
      } else if (v === 4) {
        args.set('x-max-length', { type: 'I', value: 1 });
        args.set('x-overflow', { type: 'S', value: r.pick(['drop-head', 'reject-publish-dlx']) });
        args.set('x-dead-letter-exchange', { type: 'S', value: 'amq.fanout' });
      } else {
        args.set('x-dead-letter-exchange', { type: 'S', value: 'amq.fanout' });
      }
      const quorum = v === 3;
      const frames: Buffer[] = [
        c.openChannel(1),
        c.openChannel(2),
        methodFrame(1, { id: QUEUE_DECLARE, queue: qname, durable: quorum, exclusive: false, autoDelete: false, arguments: new Map([...args, ['x-expires', { type: 'I', value: 3000 }]]) }),
        methodFrame(1, { id: EXCHANGE_DECLARE, exchange: 'fz.delayed', type: 'x-delayed-message', durable: false, arguments: new Map([['x-delayed-type', { type: 'S', value: 'direct' }]]) }),
        methodFrame(1, { id: QUEUE_BIND, queue: qname, exchange: 'fz.delayed', routingKey: qname, arguments: new Map() }),
        methodFrame(1, { id: QUEUE_BIND, queue: qname, exchange: 'amq.headers', routingKey: '', arguments: new Map([['x-match', { type: 'S', value: 'any' }], ['h1', { type: 'I', value: 1 }]]) }),
      ];
      const n = r.range(1, 5);
      for (let i = 0; i < n; i++) {
        const body = r.bytes(r.int(50));
        const h = badHeaderPayload(g, body.length, true);
        const ex = r.pick(['', '', 'amq.headers', 'fz.delayed']);
        frames.push(methodFrame(2, { id: BASIC_PUBLISH, exchange: ex, routingKey: qname }), envelope(FRAME_HEADER, 2, h.payload), ...bodyFrames(2, body, c.frameMax));
        c.note(`poisoned publish to '${ex}' → ${qname} (${[...args.keys()].join(',')}): ${h.what}`);
      }
      const after = r.int(5);
      if (after === 0) frames.push(methodFrame(1, { id: BASIC_CONSUME, queue: qname, consumerTag: 'p', noAck: false }));
      if (after === 1) frames.push(methodFrame(1, { id: BASIC_GET, queue: qname, noAck: false }));
      if (after === 2) frames.push(methodFrame(1, { id: BASIC_GET, queue: qname, noAck: true }));
      await c.send(frames);
      if (after === 0 || after === 1) {
        await c.waitFor(() => (c.unacked.get(1)?.length ?? 0) > 0 || !c.alive, 300);
        const tags = c.unacked.get(1) ?? [];
        const how = r.int(4);
        c.note(`then ${['reject requeue=false', 'nack requeue=true', 'recover', 'channel close'][how]} of ${tags.length} deliveries`);
        const out: Buffer[] = [];
        for (const tag of tags) {
          if (how === 0) out.push(methodFrame(1, { id: BASIC_REJECT, deliveryTag: tag, requeue: false }));
          if (how === 1) out.push(methodFrame(1, { id: BASIC_NACK, deliveryTag: tag, multiple: false, requeue: true }));
        }
        if (how === 2) out.push(methodFrame(1, { id: BASIC_RECOVER, requeue: true }));
        if (how === 3) {
          c.channels.set(1, 'closing');
          out.push(methodFrame(1, { id: CHANNEL_CLOSE, replyCode: 200, replyText: '', classId: 0, methodId: 0 }));
        }
        if (out.length) await c.send(out);
      }
      // Give TTLs and timers time to fire while we are still here to see the consequences.
      await c.waitFor(() => !c.alive, r.range(20, 120));
      return true;
    },
  },

  /** Class/method ids the spec lacks, unknown frame types, wrong frame-end octets. */
  unknown: {
    weight: 4,
    handshake: true,
    async run(x) {
      const { c, r } = x;
      await c.send(setupFrames(x, [1]));
      const v = r.int(3);
      if (v === 0) {
        let id = r.u32();
        while (METHOD_BY_ID.has(id)) id = r.u32();
        if (r.chance(0.5)) id = ((r.pick([10, 20, 40, 50, 60, 85, 90]) << 16) | r.range(200, 65535)) >>> 0;
        c.note(`method id ${id >>> 16}/${id & 0xffff}`);
        await c.send(envelope(FRAME_METHOD, r.chance(0.5) ? 0 : 1, Buffer.concat([u32(id), r.bytes(r.int(20))])));
      } else if (v === 1) {
        const t = r.pick([0, 4, 5, 6, 7, 9, 65, 206, 255]);
        c.note(`frame type ${t}`);
        await c.send(envelope(t, r.int(3), r.bytes(r.int(20))));
      } else {
        c.note('wrong frame-end octet');
        await c.send(envelope(FRAME_METHOD, 1, methodPayload({ id: BASIC_QOS, prefetchCount: 1 }), undefined, r.pick([0, 0xcd, 0xff])));
      }
      return true;
    },
  },

  /** Random methods of the whole spec (server-to-client ones included) with random typed arguments. */
  randomMethods: {
    weight: 6,
    handshake: true,
    async run(x) {
      const { c, g, r } = x;
      await c.send(setupFrames(x, [1, 2]));
      const n = r.range(1, 40);
      const frames: Buffer[] = [];
      for (let i = 0; i < n; i++) {
        const m = g.method(r.pick(METHODS));
        frames.push(methodFrame(r.chance(0.8) ? r.pick([1, 2]) : r.pick([0, 3, 100]), m));
        if (info(m.id as number).content && r.chance(0.7)) frames.push(envelope(FRAME_HEADER, 1, headerPayload(3, propertiesBytes(g.properties()))), envelope(FRAME_BODY, 1, Buffer.from('abc')));
      }
      c.note(`${n} random methods`);
      await c.send(frames);
      return true;
    },
  },

  /** A valid stream with one bad frame at the end, written a few bytes at a time. */
  slowWriter: {
    weight: 2,
    handshake: true,
    async run(x) {
      const { c, r } = x;
      const frames = [...setupFrames(x, [1]), ...trafficFrames(x, 1)];
      const bad = oneBadFrame(x, 1);
      const all = Buffer.concat([...frames, ...bad.frames]).subarray(0, 20_000);
      c.note(`slow writer: ${all.length} bytes in small pieces, ending with ${bad.what}`);
      for (let i = 0; i < all.length && c.alive; ) {
        const n = r.range(1, 7);
        await c.send(all.subarray(i, i + n), 0);
        i += n;
        if (r.chance(0.1)) await new Promise((res) => setTimeout(res, 1));
      }
      c.framesSent += frames.length + bad.frames.length;
      return false;
    },
  },
};

// ================================================================================================
// The broker under test
// ================================================================================================

interface Target {
  readonly port: number;
  readonly mode: 'inproc' | 'child';
  /** Heap after forced garbage collection (and RSS). */
  memory(): Promise<MemorySample>;
  /** RSS without collecting (cheap, for the periodic samples). */
  rss(): Promise<number>;
  connections(): Promise<number>;
  /** Purges (and at the end deletes) fuzz-made queues and exchanges so memory only holds what leaks. */
  janitor(protect: ReadonlySet<string>, final: boolean): Promise<void>;
  readonly log: Map<string, number>;
  readonly errors: string[];
  crashed: string | undefined;
  stop(): Promise<void>;
}

/** Preloaded into the child broker: on SIGUSR2, two full GCs, then one JSON line with the heap figures. */
const MEMORY_PROBE =
  'data:text/javascript,' +
  encodeURIComponent(
    'process.on("SIGUSR2",()=>{globalThis.gc();globalThis.gc();const m=process.memoryUsage();' +
      'process.stdout.write(JSON.stringify({msg:"fuzz-memory",heapUsed:m.heapUsed,external:m.external+m.arrayBuffers,rss:m.rss})+"\\n")})',
  );

function countLog(target: { log: Map<string, number>; errors: string[] }, line: string): void {
  let o: { level?: number; msg?: string; err?: { message?: string; stack?: string }; text?: string };
  try {
    o = JSON.parse(line) as typeof o;
  } catch {
    return;
  }
  const msg = o.msg ?? '?';
  target.log.set(msg, (target.log.get(msg) ?? 0) + 1);
  if ((o.level ?? 0) >= 50 && target.errors.length < 50) {
    target.errors.push(`${msg}: ${o.err?.stack?.split('\n').slice(0, 4).join(' | ') ?? o.err?.message ?? o.text ?? ''}`);
  }
}

const BUILTIN_EXCHANGES = new Set(['', 'amq.direct', 'amq.fanout', 'amq.topic', 'amq.headers', 'amq.match']);

let gcFn: (() => void) | undefined;
function forceGc(): void {
  if (!gcFn) {
    const g = (globalThis as { gc?: () => void }).gc;
    if (g) gcFn = g;
    else {
      v8.setFlagsFromString('--expose-gc');
      gcFn = vm.runInNewContext('gc') as () => void;
    }
  }
  gcFn();
}

async function startInProcess(): Promise<Target> {
  const dir = mkdtempSync(join(tmpdir(), 'warren-fuzz-'));
  const log = new Map<string, number>();
  const errors: string[] = [];
  const sink = { log, errors };
  const logger = pino({ level: 'warn' }, { write: (s: string) => countLog(sink, s) });
  const rb: RunningBroker = await startBroker({ port: 0, dataDir: dir, logger });
  const target: Target = {
    port: rb.port,
    mode: 'inproc',
    log,
    errors,
    crashed: undefined,
    async memory() {
      forceGc();
      await new Promise((res) => setImmediate(res));
      forceGc();
      const m = process.memoryUsage();
      return { heapUsed: m.heapUsed, external: m.external + m.arrayBuffers, rss: m.rss };
    },
    async rss() {
      return process.memoryUsage().rss;
    },
    async connections() {
      return rb.server.connections.size;
    },
    async janitor(protect, final) {
      for (const v of rb.broker.vhosts.values()) {
        for (const q of [...v.queues.values()]) {
          if (protect.has(q.name)) continue;
          try {
            if (final || v.queues.size > 400) v.deleteQueue(q.name, false, false, q.owner ?? 0);
            else if (q.messageCount > 500) q.purge();
          } catch {
            /* a queue the broker refuses to delete stays */
          }
        }
        if (final) {
          for (const name of [...v.exchanges.keys()]) {
            if (BUILTIN_EXCHANGES.has(name)) continue;
            try {
              v.deleteExchange(name, false);
            } catch {
              /* amq.* and the like */
            }
          }
        }
      }
    },
    async stop() {
      await rb.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return target;
}

async function startChild(): Promise<Target> {
  const dir = mkdtempSync(join(tmpdir(), 'warren-fuzz-'));
  const here = dirname(fileURLToPath(import.meta.url));
  // test/fuzz/fuzz.ts or dist/test/fuzz/fuzz.js
  const bin = [join(here, '..', '..', 'bin', 'warren'), join(here, '..', '..', '..', 'bin', 'warren')].find((p) => existsSync(p));
  if (!bin) throw new Error('bin/warren not found (run `make build`)');
  // bin/warren, plus a preloaded SIGUSR2 handler that collects garbage and prints the heap, so the child's memory is
  // measured as exactly as in-process (RSS alone keeps the pages of a heap that grew once).
  const child: ChildProcess = spawn(process.execPath, ['--expose-gc', '--import', MEMORY_PROBE, bin, '--port', '0', '--management-port', '0', '--prometheus-port', '0', '--data-dir', dir], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, WARREN_LOG_LEVEL: process.env.WARREN_LOG_LEVEL ?? 'info' },
  });
  const log = new Map<string, number>();
  const errors: string[] = [];
  let stderr = '';
  let ports: { port: number; managementPort: number; prometheusPort: number } | undefined;
  const target = {
    port: 0,
    mode: 'child' as const,
    log,
    errors,
    crashed: undefined as string | undefined,
  };
  let buf = '';
  let memoryWaiters: Array<(m: MemorySample) => void> = [];
  const started = new Promise<void>((resolve, reject) => {
    child.stdout!.on('data', (d: Buffer) => {
      buf += d.toString('utf8');
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        if (line.startsWith('{"msg":"fuzz-memory"')) {
          const m = JSON.parse(line) as MemorySample;
          const w = memoryWaiters;
          memoryWaiters = [];
          for (const f of w) f({ heapUsed: m.heapUsed!, external: m.external!, rss: m.rss });
          continue;
        }
        countLog(target, line);
        if (!ports && line.includes('Server startup complete')) {
          const o = JSON.parse(line) as { port: number; managementPort: number; prometheusPort: number };
          ports = o;
          resolve();
        }
      }
    });
    child.stderr!.on('data', (d: Buffer) => {
      stderr = (stderr + d.toString('utf8')).slice(-8000);
    });
    child.on('exit', (code, signal) => {
      target.crashed = `broker process exited (code ${code}, signal ${signal}); stderr: ${stderr.slice(-3000)}`;
      reject(new Error(target.crashed));
    });
  });
  await started;
  const p = ports!;
  const auth = 'Basic ' + Buffer.from('guest:guest').toString('base64');
  const api = async (method: string, path: string): Promise<unknown> => {
    const res = await fetch(`http://127.0.0.1:${p.managementPort}${path}`, { method, headers: { authorization: auth } });
    const text = await res.text();
    return text ? (JSON.parse(text) as unknown) : undefined;
  };
  const metric = async (name: string): Promise<number> => {
    const text = await (await fetch(`http://127.0.0.1:${p.prometheusPort}/metrics`)).text();
    const m = new RegExp(`^${name}(?:\\{[^}]*\\})? ([0-9.e+]+)$`, 'm').exec(text);
    return m ? Number(m[1]) : NaN;
  };
  return Object.assign(target, {
    port: p.port,
    async memory() {
      if (target.crashed) return { rss: NaN };
      const sample = new Promise<MemorySample | undefined>((resolve) => {
        memoryWaiters.push(resolve);
        setTimeout(() => resolve(undefined), 5000);
      });
      child.kill('SIGUSR2');
      return (await sample) ?? { rss: await metric('rabbitmq_process_resident_memory_bytes') };
    },
    rss() {
      return metric('rabbitmq_process_resident_memory_bytes');
    },
    async connections() {
      return metric('rabbitmq_connections');
    },
    async janitor(protect: ReadonlySet<string>, final: boolean) {
      const queues = (await api('GET', '/api/queues/%2F')) as Array<{ name: string; messages?: number }>;
      for (const q of queues) {
        if (protect.has(q.name)) continue;
        const path = `/api/queues/%2F/${encodeURIComponent(q.name)}`;
        if (final || queues.length > 400) await api('DELETE', path).catch(() => undefined);
        else if ((q.messages ?? 0) > 500) await api('DELETE', `${path}/contents`).catch(() => undefined);
      }
      if (final) {
        const exchanges = (await api('GET', '/api/exchanges/%2F')) as Array<{ name: string }>;
        for (const x of exchanges) {
          if (BUILTIN_EXCHANGES.has(x.name) || x.name.startsWith('amq.')) continue;
          await api('DELETE', `/api/exchanges/%2F/${encodeURIComponent(x.name)}`).catch(() => undefined);
        }
      }
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        child.removeAllListeners('exit');
        const exited = new Promise((res) => child.once('exit', res));
        child.kill('SIGTERM');
        await Promise.race([exited, new Promise((res) => setTimeout(res, 5000))]);
        if (child.exitCode === null) child.kill('SIGKILL');
      }
      rmSync(dir, { recursive: true, force: true });
    },
  });
}

// ================================================================================================
// The well-behaved client and the bystander
// ================================================================================================

class WellBehaved {
  published = 0;
  confirmed = 0;
  received = 0;
  maxConfirmMs = 0;
  readonly errors: string[] = [];
  readonly queue: string;
  private expected = 1;
  private stopping = false;
  private readonly outstanding = new Map<number, number>();
  private conn: amqp.ChannelModel | undefined;
  private pub: amqp.ConfirmChannel | undefined;
  private sub: amqp.Channel | undefined;
  private timer: NodeJS.Timeout | undefined;

  constructor(seed: number) {
    this.queue = `wb.${seed.toString(16)}.${process.pid}`;
  }

  async start(port: number): Promise<void> {
    const conn = await amqp.connect(`amqp://guest:guest@127.0.0.1:${port}`);
    this.conn = conn;
    conn.on('error', (e: Error) => this.fail(`connection error: ${e.message}`));
    conn.on('close', () => this.stopping || this.fail('connection closed'));
    this.pub = await conn.createConfirmChannel();
    this.sub = await conn.createChannel();
    for (const [name, ch] of [['publisher', this.pub], ['consumer', this.sub]] as const) {
      ch.on('error', (e: Error) => this.fail(`${name} channel error: ${e.message}`));
      ch.on('close', () => this.stopping || this.fail(`${name} channel closed`));
    }
    await this.sub.assertQueue(this.queue, { durable: true });
    await this.sub.prefetch(100);
    await this.sub.consume(this.queue, (msg) => {
      if (!msg) return this.stopping || this.fail('consumer cancelled by the broker');
      const seq = Number(msg.content.toString());
      if (seq !== this.expected) this.fail(`message ${seq} arrived when ${this.expected} was next`);
      if (msg.fields.redelivered) this.fail(`message ${seq} redelivered`);
      this.expected = seq + 1;
      this.received += 1;
      this.sub!.ack(msg);
    });
    this.timer = setInterval(() => this.tick(), 5);
  }

  private fail(s: string): void {
    if (this.errors.length < 20) this.errors.push(s);
  }

  private tick(): void {
    if (this.stopping || !this.pub || this.errors.length > 0) return;
    const now = Date.now();
    for (const [seq, t] of this.outstanding) {
      if (now - t > 15_000) {
        this.fail(`message ${seq} unconfirmed after 15 s`);
        this.outstanding.delete(seq);
      }
      break;
    }
    for (let i = 0; i < 3 && this.outstanding.size < 100; i++) {
      const seq = this.published + 1;
      const sent = Date.now();
      const onConfirm = (err: unknown) => {
        this.outstanding.delete(seq);
        if (err) {
          this.fail(`message ${seq} nacked`);
        } else {
          this.confirmed += 1;
          this.maxConfirmMs = Math.max(this.maxConfirmMs, Date.now() - sent);
        }
      };
      try {
        this.pub.publish('', this.queue, Buffer.from(String(seq)), { persistent: seq % 2 === 0, messageId: `m${seq}`, headers: { seq } }, onConfirm);
      } catch (e) {
        // amqplib throws synchronously once the channel is gone.
        this.fail(`publish failed: ${(e as Error).message}`);
        return;
      }
      this.published = seq;
      this.outstanding.set(seq, sent);
    }
  }

  /** Stops publishing, waits for every confirm and every delivery, checks, closes. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    const deadline = Date.now() + 15_000;
    while (this.outstanding.size > 0 && Date.now() < deadline && this.errors.length === 0) await sleep(20);
    while (this.received < this.confirmed && Date.now() < deadline && this.errors.length === 0) await sleep(20);
    if (this.outstanding.size > 0) this.fail(`${this.outstanding.size} messages never confirmed`);
    if (this.received < this.confirmed) this.fail(`only ${this.received} of ${this.confirmed} confirmed messages delivered`);
    this.stopping = true;
    try {
      await this.sub?.deleteQueue(this.queue);
      await this.conn?.close();
    } catch (e) {
      if (this.errors.length === 0) this.fail(`close failed: ${(e as Error).message}`);
    }
  }
}

/** A consumer on a queue bound to the shared exchanges fuzzers publish to: it must never be disturbed. */
class Bystander {
  received = 0;
  reconnects = 0;
  queue = '';
  readonly errors: string[] = [];
  private conn: amqp.ChannelModel | undefined;
  private stopping = false;
  private port = 0;

  async start(port: number): Promise<void> {
    this.port = port;
    const conn = await amqp.connect(`amqp://guest:guest@127.0.0.1:${port}`);
    this.conn = conn;
    const onLoss = (what: string) => {
      if (this.stopping || conn !== this.conn) return;
      this.errors.push(what);
      this.conn = undefined;
      conn.close().catch(() => undefined);
      // Keep watching for further incidents.
      setTimeout(() => {
        if (!this.stopping) {
          this.reconnects += 1;
          this.start(this.port).catch((e: Error) => this.errors.push(`reconnect failed: ${e.message}`));
        }
      }, 200);
    };
    conn.on('error', (e: Error) => onLoss(`bystander connection error: ${e.message}`));
    conn.on('close', () => onLoss('bystander connection closed'));
    const ch = await conn.createChannel();
    ch.on('error', (e: Error) => onLoss(`bystander channel error: ${e.message}`));
    const q = await ch.assertQueue('', { exclusive: true, arguments: { 'x-max-length': 10_000 } });
    this.queue = q.queue;
    await ch.bindQueue(q.queue, 'amq.fanout', '');
    await ch.bindQueue(q.queue, 'amq.topic', '#');
    await ch.bindQueue(q.queue, 'amq.headers', '', { 'x-match': 'any', h1: 1 });
    for (const k of KEYS) await ch.bindQueue(q.queue, 'amq.direct', k);
    await ch.consume(q.queue, () => {
      this.received += 1;
    }, { noAck: true });
  }

  async stop(): Promise<void> {
    this.stopping = true;
    await this.conn?.close().catch(() => undefined);
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((res) => setTimeout(res, ms));
}

// ================================================================================================
// The run
// ================================================================================================

function envList(name: string): string[] | undefined {
  const v = process.env[name];
  return v ? v.split(',').map((s) => s.trim()).filter(Boolean) : undefined;
}

export async function runFuzz(opts: FuzzOptions): Promise<FuzzReport> {
  const log = opts.log ?? ((s: string) => console.log(s));
  const seed = (opts.seed ?? (process.env.WARREN_FUZZ_SEED ? Number(process.env.WARREN_FUZZ_SEED) : Math.floor(Math.random() * 2 ** 32))) >>> 0;
  const mode = opts.mode ?? (process.env.WARREN_FUZZ_MODE === 'child' ? 'child' : 'inproc');
  const parallel = opts.parallel ?? Number(process.env.WARREN_FUZZ_PARALLEL ?? 12);
  const replayEnv = process.env.WARREN_FUZZ_REPLAY;
  const replay = opts.replay ?? (replayEnv ? Number(replayEnv) : undefined);
  const only = opts.only ?? envList('WARREN_FUZZ_SCENARIOS');
  const skip = opts.skip ?? envList('WARREN_FUZZ_SKIP') ?? [];
  const slack = opts.memorySlack ?? 50 * 1024 * 1024;
  const debug = process.env.WARREN_FUZZ_DEBUG === '1';
  const scenarios = Object.entries(SCENARIOS).filter(([name]) => (!only || only.includes(name)) && !skip.includes(name));
  if (scenarios.length === 0) throw new Error('no scenarios selected');
  const weights = scenarios.map(([name, s]) => [s.weight, name] as const);

  log(`warren fuzz: seed ${seed} (replay the run with WARREN_FUZZ_SEED=${seed}), ${mode}, ${opts.seconds} s, ${replay === undefined ? parallel : 1} parallel`);

  const failures: string[] = [];
  const failureKinds: Record<string, { count: number; example: string }> = {};
  const maxFailures = Number(process.env.WARREN_FUZZ_MAX_FAILURES ?? 50);
  /** In-process only: keep fuzzing after an uncaught exception (the broker lives on in this process) to see what else breaks. */
  const keepGoing = mode === 'inproc' && process.env.WARREN_FUZZ_KEEP_GOING === '1';
  /** Records a failure; `where` (the connection and its trace) is kept for the first of each kind. */
  const fail = (what: string, where?: string): void => {
    failures.push(where ? `${what}\n    at ${where}` : what);
    const kind = what
      .split('\n')[0]!
      .replace(/(longer than \d+ bytes)[\s\S]*/, '$1')
      .replace(/\d+/g, '#')
      .slice(0, 100);
    const k = (failureKinds[kind] ??= { count: 0, example: where ? `${what}\n      at ${where}` : what });
    k.count += 1;
  };
  const findings: string[] = [];
  const outcomes: Record<string, number> = {};
  const scenarioCounts: Record<string, number> = {};
  const replyCodes: Record<string, number> = {};
  let framesSent = 0;
  let bytesSent = 0;
  let connections = 0;
  let badContentHeaders = 0;

  const onCrash = (e: unknown) => {
    const text = e instanceof Error ? (e.stack ?? e.message) : String(e);
    const where = /[/\\]fuzz\.[jt]s|node_modules[/\\]amqplib/.test(text) ? 'in the fuzzer or its client library (not the broker)' : 'in the broker process';
    fail(`uncaught exception ${where}: ${text.split('\n').slice(0, 8).join('\n    ')}`);
    if (target) target.crashed = text;
  };
  let target: Target | undefined;
  if (mode === 'inproc') {
    process.on('uncaughtException', onCrash);
    process.on('unhandledRejection', onCrash);
  }
  const started = Date.now();
  let peakRss = 0;
  let warmRss: number | undefined;
  const rssSeries: Array<[number, number]> = [];
  let fuzzStarted = started;
  let fuzzEnded = 0;
  const report = (start: MemorySample, end: MemorySample | undefined, wb: WellBehaved, by: Bystander): FuzzReport => {
    const elapsedMs = Date.now() - started;
    return {
      seed,
      mode,
      seconds: opts.seconds,
      elapsedMs,
      framesSent,
      bytesSent,
      framesPerSecond: Math.round(framesSent / Math.max(0.001, ((fuzzEnded || Date.now()) - fuzzStarted) / 1000)),
      connections,
      outcomes,
      scenarios: scenarioCounts,
      replyCodes,
      wellBehaved: { published: wb.published, confirmed: wb.confirmed, received: wb.received, maxConfirmMs: wb.maxConfirmMs },
      bystander: { received: by.received, reconnects: by.reconnects },
      memory: { start, ...(end ? { end } : {}), ...(warmRss !== undefined ? { warmRss } : {}), peakRss, rssSeries },
      brokerLog: Object.fromEntries([...(target?.log ?? new Map<string, number>())].sort((a, b) => b[1] - a[1]).slice(0, 25)),
      findings,
      failures,
      failureKinds,
    };
  };

  try {
    target = mode === 'inproc' ? await startInProcess() : await startChild();
    const t = target;
    const wb = new WellBehaved(seed);
    const by = new Bystander();
    await wb.start(t.port);
    await by.start(t.port);
    const protect = () => new Set([wb.queue, by.queue]);
    const baseConnections = await t.connections();
    await sleep(200);
    const start = await t.memory();
    peakRss = start.rss;
    log(`broker on port ${t.port}; memory at start: ${fmtMem(start)}`);

    fuzzStarted = Date.now();
    const deadline = fuzzStarted + opts.seconds * 1000;
    let nextIndex = 0;
    let lastProgress = Date.now();
    let lastSample = 0;
    const janitor = setInterval(() => {
      t.janitor(protect(), false).catch(() => undefined);
      const now = Date.now();
      t.rss().then((rss) => {
        peakRss = Math.max(peakRss, rss);
        if (now - lastSample >= 10_000) {
          lastSample = now;
          rssSeries.push([Math.round((now - fuzzStarted) / 1000), Math.round(rss / 1024 / 1024)]);
        }
        if (warmRss === undefined && now - fuzzStarted >= Math.min(opts.seconds * 250, 60_000)) warmRss = rss;
      }, () => undefined);
    }, mode === 'inproc' ? 1000 : 3000);

    const oneConnection = async (connSeed: number): Promise<void> => {
      const rng = new Rng(connSeed);
      const g = new Gen(rng);
      // The scenario pick uses exactly one draw, so a replay that forces the scenario sees the same stream after it.
      const picked = rng.weighted(weights);
      const name = replay !== undefined && only?.length === 1 ? only[0]! : picked;
      const sc = SCENARIOS[name]!;
      scenarioCounts[name] = (scenarioCounts[name] ?? 0) + 1;
      connections += 1;
      if (debug) log(`  start ${connSeed} ${name}`);
      const label = `connection seed ${connSeed} (${name}; replay with WARREN_FUZZ_REPLAY=${connSeed} WARREN_FUZZ_SCENARIOS=${name})`;
      let c: FuzzConn;
      try {
        c = await FuzzConn.connect(t.port);
      } catch (e) {
        if (!t.crashed) fail(`cannot connect: ${(e as Error).message}`, label);
        return;
      }
      let outcome: string;
      const mine: string[] = [];
      try {
        if (sc.handshake && !(await c.handshake(g))) {
          mine.push(`valid handshake not completed (${c.connClose ? `connection.close ${c.connClose.code}` : c.socketClosed ? 'socket closed' : 'no answer in 10 s'})`);
          outcome = 'HANDSHAKE FAILED';
          c.sock.destroy();
        } else {
          const mustAnswer = await sc.run({ c, g, r: rng });
          outcome = await c.finish(mustAnswer, mine);
        }
      } catch (e) {
        mine.push(`fuzzer error: ${(e as Error).stack ?? String(e)}`);
        outcome = 'FUZZER ERROR';
        c.sock.destroy();
      }
      // After the broker process died, what its connections saw is only the consequence.
      if (!(t.crashed && mode === 'child')) for (const f of mine) fail(f, `${label}\n      ${c.trace.join('\n      ')}`);
      outcomes[outcome] = (outcomes[outcome] ?? 0) + 1;
      if (debug) log(`  ${label}: ${outcome}, ${c.framesSent} frames\n      ${c.trace.join('\n      ')}`);
      for (const code of c.codes) replyCodes[code] = (replyCodes[code] ?? 0) + 1;
      if (c.codes.includes(541) && findings.length < 30) findings.push(`541 INTERNAL_ERROR on ${label}: ${c.trace.slice(-3).join(' / ')}`);
      badContentHeaders += c.badContentHeaders;
      framesSent += c.framesSent;
      bytesSent += c.bytesSent;
    };

    const worker = async (): Promise<void> => {
      while (Date.now() < deadline && (!t.crashed || keepGoing) && failures.length < maxFailures) {
        const idx = nextIndex++;
        await oneConnection(connectionSeed(seed, idx));
        if (Date.now() - lastProgress > 10_000) {
          lastProgress = Date.now();
          const secs = (Date.now() - started) / 1000;
          log(`  ${secs.toFixed(0)} s: ${connections} connections, ${framesSent} frames (${Math.round(framesSent / secs)}/s), wb ${wb.received}/${wb.published}, bystander ${by.received}, failures ${failures.length}`);
        }
      }
    };

    if (replay !== undefined) {
      log(`replaying connection seed ${replay}`);
      await oneConnection(replay);
      await sleep(500);
    } else {
      await Promise.all(Array.from({ length: parallel }, () => worker()));
    }
    clearInterval(janitor);
    fuzzEnded = Date.now();

    await wb.stop();
    for (const e of wb.errors) fail(`well-behaved client: ${e}`);
    await by.stop();
    for (const e of by.errors) fail(`bystander consumer: ${e}`);
    if (badContentHeaders > 0) findings.push(`${badContentHeaders} content headers delivered to fuzz consumers had property lists that do not decode (stored and forwarded as published)`);
    // Error-level broker logs (e.g. an exception a timer caught) are findings; WARREN_FUZZ_STRICT=1 makes them failures.
    for (const e of t.errors) (process.env.WARREN_FUZZ_STRICT === '1' ? fail : (x: string) => findings.push(x))(`broker logged an error: ${e}`);

    let end: MemorySample | undefined;
    if (!t.crashed || keepGoing) {
      await t.janitor(new Set(), true).catch((e: Error) => fail(`final cleanup failed: ${e.message}`));
      let conns = await t.connections();
      const until = Date.now() + 10_000;
      while (conns > 0 && Date.now() < until) {
        await sleep(100);
        conns = await t.connections();
      }
      if (conns > 0) fail(`${conns} connections still open on the broker 10 s after every client left (started with ${baseConnections} well-behaved)`);
      await sleep(200);
      end = await t.memory();
      peakRss = Math.max(peakRss, end.rss);
      if (end.heapUsed !== undefined && start.heapUsed !== undefined) {
        if (end.heapUsed! > start.heapUsed! + slack) fail(`heap grew from ${mb(start.heapUsed!)} to ${mb(end.heapUsed!)} MB (allowed +${mb(slack)} MB)`);
        if (end.external! > start.external! + slack) fail(`external/buffer memory grew from ${mb(start.external!)} to ${mb(end.external!)} MB (allowed +${mb(slack)} MB)`);
      } else {
        // RSS keeps the pages of a grown heap: compare with the warmed-up size, where a leak keeps growing.
        const base = warmRss ?? start.rss;
        if (end.rss > base + 2 * slack) fail(`broker RSS grew from ${mb(base)} MB (warmed up; ${mb(start.rss)} at start) to ${mb(end.rss)} MB (allowed +${mb(2 * slack)} MB)`);
      }
    }
    if (t.crashed && mode === 'child') fail(t.crashed);
    return report(start, end, wb, by);
  } finally {
    if (mode === 'inproc') {
      process.off('uncaughtException', onCrash);
      process.off('unhandledRejection', onCrash);
    }
    await target?.stop().catch(() => undefined);
  }
}

function mb(n: number): string {
  return (n / 1024 / 1024).toFixed(1);
}

function fmtMem(m: MemorySample): string {
  return m.heapUsed !== undefined ? `heapUsed ${mb(m.heapUsed)} MB, external ${mb(m.external!)} MB, rss ${mb(m.rss)} MB` : `rss ${mb(m.rss)} MB`;
}

/** Human-readable summary of a report. */
export function formatReport(r: FuzzReport): string {
  const hist = (o: Record<string, number>) =>
    Object.entries(o)
      .sort((a, b) => b[1] - a[1])
      .map(([k, v]) => `    ${String(v).padStart(8)}  ${k}`)
      .join('\n');
  return [
    `seed ${r.seed} (${r.mode}), ${r.seconds} s of fuzzing, ${(r.elapsedMs / 1000).toFixed(1)} s in all`,
    `frames sent: ${r.framesSent} (${r.framesPerSecond} frames/s), ${mb(r.bytesSent)} MB, connections: ${r.connections}`,
    `outcomes:\n${hist(r.outcomes)}`,
    `scenarios:\n${hist(r.scenarios)}`,
    `reply codes received (connection.close and channel.close):\n${hist(r.replyCodes)}`,
    `well-behaved client: published ${r.wellBehaved.published}, confirmed ${r.wellBehaved.confirmed}, received in order ${r.wellBehaved.received}, slowest confirm ${r.wellBehaved.maxConfirmMs} ms`,
    `bystander consumer: received ${r.bystander.received}, reconnects after incidents ${r.bystander.reconnects}`,
    `memory: start ${fmtMem(r.memory.start)}; end ${r.memory.end ? fmtMem(r.memory.end) : 'not measured (crash)'}` +
      `${r.memory.warmRss !== undefined && r.mode === 'child' ? `; warmed-up rss ${mb(r.memory.warmRss)} MB` : ''}; peak rss ${mb(r.memory.peakRss)} MB`,
    `rss every 10 s (MB): ${r.memory.rssSeries.map(([t, m]) => `${t}s ${m}`).join(', ')}`,
    `broker log (top messages):\n${hist(r.brokerLog)}`,
    r.findings.length ? `findings:\n  - ${r.findings.join('\n  - ')}` : 'findings: none',
    r.failures.length
      ? `FAILURES (${r.failures.length}, ${Object.keys(r.failureKinds).length} kinds; first of each kind):\n` +
        Object.values(r.failureKinds)
          .sort((a, b) => b.count - a.count)
          .map((k) => `  - [${k.count}x] ${k.example}`)
          .join('\n')
      : 'failures: none',
  ].join('\n');
}

// ---- command line: node dist/test/fuzz/fuzz.js [--seconds N] [--seed S] [--parallel P] [--child] [--replay SEED]
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const arg = (name: string): string | undefined => {
    const i = process.argv.indexOf(`--${name}`);
    return i >= 0 ? process.argv[i + 1] : undefined;
  };
  const seconds = Number(arg('seconds') ?? process.env.WARREN_FUZZ_SECONDS ?? 300);
  const opts: FuzzOptions = { seconds };
  const seedArg = arg('seed');
  if (seedArg !== undefined) opts.seed = Number(seedArg);
  const par = arg('parallel');
  if (par !== undefined) opts.parallel = Number(par);
  if (process.argv.includes('--child')) opts.mode = 'child';
  const rep = arg('replay');
  if (rep !== undefined) opts.replay = Number(rep);
  runFuzz(opts).then(
    (r) => {
      console.log(formatReport(r));
      process.exit(r.failures.length === 0 ? 0 : 1);
    },
    (e: unknown) => {
      console.error(e);
      process.exit(2);
    },
  );
}
