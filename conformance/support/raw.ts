// A small raw-socket AMQP 0-9-1 client for conformance cases that amqplib cannot express
// (malformed frames, out-of-order frames, protocol-header games). Self-contained on purpose:
// it must not share code with src/, so a codec bug in Warren cannot hide itself here.
import net from 'node:net';
import { url as defaultUrl } from './urls.js';

export const PROTOCOL_HEADER = Buffer.from([0x41, 0x4d, 0x51, 0x50, 0x00, 0x00, 0x09, 0x01]); // "AMQP" 0 0 9 1

export const FRAME_METHOD = 1;
export const FRAME_HEADER = 2;
export const FRAME_BODY = 3;
export const FRAME_HEARTBEAT = 8;
export const FRAME_END = 0xce;

// ---------------------------------------------------------------------------------------------
// Encoders
// ---------------------------------------------------------------------------------------------

export type TableValue = string | number | bigint | boolean | Buffer | null | TableValue[] | { [k: string]: TableValue };

/** Builds a method's argument list field by field; `bits` packs consecutive bit fields into one octet. */
export class ArgsWriter {
  private parts: Buffer[] = [];

  octet(v: number): this {
    const b = Buffer.alloc(1);
    b.writeUInt8(v, 0);
    this.parts.push(b);
    return this;
  }

  short(v: number): this {
    const b = Buffer.alloc(2);
    b.writeUInt16BE(v, 0);
    this.parts.push(b);
    return this;
  }

  long(v: number): this {
    const b = Buffer.alloc(4);
    b.writeUInt32BE(v, 0);
    this.parts.push(b);
    return this;
  }

  longlong(v: number | bigint): this {
    const b = Buffer.alloc(8);
    b.writeBigUInt64BE(BigInt(v), 0);
    this.parts.push(b);
    return this;
  }

  shortstr(s: string): this {
    this.parts.push(encodeShortstr(s));
    return this;
  }

  longstr(s: string | Buffer): this {
    this.parts.push(encodeLongstr(s));
    return this;
  }

  table(t: Record<string, TableValue>): this {
    this.parts.push(encodeTable(t));
    return this;
  }

  /** Consecutive bit fields, first one in the least significant bit. */
  bits(...flags: boolean[]): this {
    let v = 0;
    flags.forEach((f, i) => {
      if (f) v |= 1 << i;
    });
    return this.octet(v);
  }

  raw(b: Buffer): this {
    this.parts.push(b);
    return this;
  }

  build(): Buffer {
    return Buffer.concat(this.parts);
  }
}

export function args(): ArgsWriter {
  return new ArgsWriter();
}

export function encodeShortstr(s: string): Buffer {
  const body = Buffer.from(s, 'utf8');
  if (body.length > 255) throw new Error(`shortstr too long (${body.length})`);
  return Buffer.concat([Buffer.from([body.length]), body]);
}

export function encodeLongstr(s: string | Buffer): Buffer {
  const body = typeof s === 'string' ? Buffer.from(s, 'utf8') : s;
  const len = Buffer.alloc(4);
  len.writeUInt32BE(body.length, 0);
  return Buffer.concat([len, body]);
}

function encodeFieldValue(v: TableValue): Buffer {
  if (v === null) return Buffer.from('V');
  if (typeof v === 'string') return Buffer.concat([Buffer.from('S'), encodeLongstr(v)]);
  if (typeof v === 'boolean') return Buffer.from([0x74, v ? 1 : 0]);
  if (typeof v === 'bigint') {
    const b = Buffer.alloc(9);
    b.write('l', 0);
    b.writeBigInt64BE(v, 1);
    return b;
  }
  if (typeof v === 'number') {
    if (Number.isInteger(v) && v >= -0x80000000 && v <= 0x7fffffff) {
      const b = Buffer.alloc(5);
      b.write('I', 0);
      b.writeInt32BE(v, 1);
      return b;
    }
    if (Number.isInteger(v)) {
      const b = Buffer.alloc(9);
      b.write('l', 0);
      b.writeBigInt64BE(BigInt(v), 1);
      return b;
    }
    const b = Buffer.alloc(9);
    b.write('d', 0);
    b.writeDoubleBE(v, 1);
    return b;
  }
  if (Buffer.isBuffer(v)) return Buffer.concat([Buffer.from('x'), encodeLongstr(v)]);
  if (Array.isArray(v)) {
    const body = Buffer.concat(v.map(encodeFieldValue));
    const len = Buffer.alloc(4);
    len.writeUInt32BE(body.length, 0);
    return Buffer.concat([Buffer.from('A'), len, body]);
  }
  return Buffer.concat([Buffer.from('F'), encodeTable(v)]);
}

/** A field table: long size, then (shortstr key, tagged value) pairs. */
export function encodeTable(t: Record<string, TableValue>): Buffer {
  const parts: Buffer[] = [];
  for (const [k, v] of Object.entries(t)) {
    parts.push(encodeShortstr(k), encodeFieldValue(v));
  }
  const body = Buffer.concat(parts);
  const len = Buffer.alloc(4);
  len.writeUInt32BE(body.length, 0);
  return Buffer.concat([len, body]);
}

/** A whole frame: type, channel, size, payload, frame-end (overridable to build broken frames). */
export function encodeFrame(type: number, channel: number, payload: Buffer, frameEnd = FRAME_END): Buffer {
  const head = Buffer.alloc(7);
  head.writeUInt8(type, 0);
  head.writeUInt16BE(channel, 1);
  head.writeUInt32BE(payload.length, 3);
  return Buffer.concat([head, payload, Buffer.from([frameEnd])]);
}

export function encodeMethodPayload(classId: number, methodId: number, argsBuf: Buffer = Buffer.alloc(0)): Buffer {
  const head = Buffer.alloc(4);
  head.writeUInt16BE(classId, 0);
  head.writeUInt16BE(methodId, 2);
  return Buffer.concat([head, argsBuf]);
}

export function encodeMethodFrame(channel: number, classId: number, methodId: number, argsBuf?: Buffer): Buffer {
  return encodeFrame(FRAME_METHOD, channel, encodeMethodPayload(classId, methodId, argsBuf));
}

/** A content header payload: class-id, weight 0, body size, property flags, property list. */
export function encodeHeaderPayload(classId: number, bodySize: number, flags = 0, props: Buffer = Buffer.alloc(0)): Buffer {
  const b = Buffer.alloc(14);
  b.writeUInt16BE(classId, 0);
  b.writeUInt16BE(0, 2);
  b.writeBigUInt64BE(BigInt(bodySize), 4);
  b.writeUInt16BE(flags, 12);
  return Buffer.concat([b, props]);
}

// ---------------------------------------------------------------------------------------------
// Decoders
// ---------------------------------------------------------------------------------------------

/** Sequential reader over a method's argument bytes. */
export class ArgsReader {
  pos = 0;
  constructor(readonly buf: Buffer) {}

  octet(): number {
    const v = this.buf.readUInt8(this.pos);
    this.pos += 1;
    return v;
  }

  short(): number {
    const v = this.buf.readUInt16BE(this.pos);
    this.pos += 2;
    return v;
  }

  long(): number {
    const v = this.buf.readUInt32BE(this.pos);
    this.pos += 4;
    return v;
  }

  longlong(): bigint {
    const v = this.buf.readBigUInt64BE(this.pos);
    this.pos += 8;
    return v;
  }

  shortstr(): string {
    const len = this.octet();
    const s = this.buf.toString('utf8', this.pos, this.pos + len);
    this.pos += len;
    return s;
  }

  longstrBuf(): Buffer {
    const len = this.long();
    const b = this.buf.subarray(this.pos, this.pos + len);
    this.pos += len;
    return b;
  }

  longstr(): string {
    return this.longstrBuf().toString('utf8');
  }

  table(): Record<string, unknown> {
    const len = this.long();
    const end = this.pos + len;
    const out: Record<string, unknown> = {};
    while (this.pos < end) {
      const key = this.shortstr();
      out[key] = this.fieldValue();
    }
    this.pos = end;
    return out;
  }

  private fieldValue(): unknown {
    const tag = String.fromCharCode(this.octet());
    const b = this.buf;
    const at = this.pos;
    switch (tag) {
      case 't':
        this.pos += 1;
        return b.readUInt8(at) !== 0;
      case 'b':
        this.pos += 1;
        return b.readInt8(at);
      case 'B':
        this.pos += 1;
        return b.readUInt8(at);
      case 's':
        this.pos += 2;
        return b.readInt16BE(at);
      case 'u':
        this.pos += 2;
        return b.readUInt16BE(at);
      case 'I':
        this.pos += 4;
        return b.readInt32BE(at);
      case 'i':
        this.pos += 4;
        return b.readUInt32BE(at);
      case 'l':
        this.pos += 8;
        return b.readBigInt64BE(at);
      case 'T':
        this.pos += 8;
        return b.readBigUInt64BE(at);
      case 'f':
        this.pos += 4;
        return b.readFloatBE(at);
      case 'd':
        this.pos += 8;
        return b.readDoubleBE(at);
      case 'D': {
        const scale = b.readUInt8(at);
        const value = b.readInt32BE(at + 1);
        this.pos += 5;
        return { scale, value };
      }
      case 'S':
        return this.longstr();
      case 'x':
        return this.longstrBuf();
      case 'F':
        return this.table();
      case 'A': {
        const len = this.long();
        const end = this.pos + len;
        const arr: unknown[] = [];
        while (this.pos < end) arr.push(this.fieldValue());
        return arr;
      }
      case 'V':
        return null;
      default:
        throw new Error(`unknown field type tag ${JSON.stringify(tag)} at offset ${at - 1}`);
    }
  }
}

export interface CloseInfo {
  replyCode: number;
  replyText: string;
  classId: number;
  methodId: number;
}

export interface MethodInfo {
  classId: number;
  methodId: number;
  args: Buffer;
}

export interface Frame {
  type: number;
  channel: number;
  payload: Buffer;
  /** Set for method frames. */
  method?: MethodInfo;
  /** Set for connection.close (10,50) and channel.close (20,40). */
  close?: CloseInfo;
}

function decodeFrame(type: number, channel: number, payload: Buffer): Frame {
  const frame: Frame = { type, channel, payload };
  if (type === FRAME_METHOD && payload.length >= 4) {
    const classId = payload.readUInt16BE(0);
    const methodId = payload.readUInt16BE(2);
    const a = payload.subarray(4);
    frame.method = { classId, methodId, args: a };
    if ((classId === 10 && methodId === 50) || (classId === 20 && methodId === 40)) {
      const r = new ArgsReader(a);
      frame.close = { replyCode: r.short(), replyText: r.shortstr(), classId: r.short(), methodId: r.short() };
    }
  }
  return frame;
}

export function describeFrame(f: Frame): string {
  if (f.close) return `close(${f.method!.classId},${f.method!.methodId}) ${f.close.replyCode} ${JSON.stringify(f.close.replyText)} on ch ${f.channel}`;
  if (f.method) return `method(${f.method.classId},${f.method.methodId}) on ch ${f.channel}`;
  return `frame type ${f.type} on ch ${f.channel} (${f.payload.length} bytes)`;
}

// ---------------------------------------------------------------------------------------------
// Sockets
// ---------------------------------------------------------------------------------------------

export interface HostPort {
  host: string;
  port: number;
}

export function hostPort(amqpUrl: string = defaultUrl()): HostPort {
  const u = new URL(amqpUrl);
  return { host: u.hostname.replace(/^\[|\]$/g, ''), port: u.port ? Number(u.port) : 5672 };
}

/** Resolves when the socket has closed (immediately if it already has); rejects after timeoutMs. */
export function waitForClose(socket: net.Socket, timeoutMs = 10_000): Promise<void> {
  if (socket.closed || socket.destroyed) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      socket.off('close', onClose);
      reject(new Error(`socket still open after ${timeoutMs} ms`));
    }, timeoutMs);
    const onClose = () => {
      clearTimeout(timer);
      resolve();
    };
    socket.once('close', onClose);
  });
}

export function openSocket(target: HostPort = hostPort()): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const s = net.connect({ host: target.host, port: target.port });
    s.setNoDelay(true);
    const onError = (e: Error) => reject(e);
    s.once('error', onError);
    s.once('connect', () => {
      s.off('error', onError);
      // Swallow later resets: tests look at what was received and at 'close'.
      s.on('error', () => {});
      resolve(s);
    });
  });
}

/** Writes bytes to a fresh connection and returns everything the peer sent until it closed the socket. */
export async function sendAndCollect(bytes: Buffer, timeoutMs = 10_000, target: HostPort = hostPort()): Promise<Buffer> {
  const s = await openSocket(target);
  new RawConnection(s); // registered for destroyAllRaw; its frame parser is not used here
  const chunks: Buffer[] = [];
  s.on('data', (d: Buffer) => chunks.push(d));
  s.write(bytes);
  try {
    await waitForClose(s, timeoutMs);
  } finally {
    s.destroy();
  }
  return Buffer.concat(chunks);
}

export class SocketClosedError extends Error {
  constructor(what: string) {
    super(`socket closed while waiting for ${what}`);
    this.name = 'SocketClosedError';
  }
}

export class HandshakeRefusedError extends Error {
  constructor(readonly close: CloseInfo) {
    super(`handshake refused: ${close.replyCode} ${close.replyText}`);
    this.name = 'HandshakeRefusedError';
  }
}

export interface RawConnectOptions {
  url?: string;
  /** Defaults to the user/password/vhost in the URL (guest/guest and "/" when absent). */
  user?: string;
  password?: string;
  vhost?: string;
  /** SASL mechanism and response to send in start-ok; default PLAIN with "\0user\0password". */
  mechanism?: string;
  response?: Buffer;
  /** Values to send in tune-ok; default: echo the server's channel_max and frame_max, heartbeat 0. */
  tuneOk?: Partial<TuneParams>;
  /** The client capabilities announced in start-ok; default only authentication_failure_close. */
  capabilities?: Record<string, boolean>;
}

export interface TuneParams {
  channelMax: number;
  frameMax: number;
  heartbeat: number;
}

/**
 * A frame-level AMQP connection. Frames received are queued; `nextFrame` hands them out in order.
 * Frames with a bad end octet are never produced: parsing stops and an error is recorded.
 */
const live = new Set<RawConnection>();

/** Destroys every raw connection still open (for afterEach, so a failed case leaks no socket). */
export function destroyAllRaw(): void {
  for (const c of live) c.destroy();
  live.clear();
}

export class RawConnection {
  readonly received: Frame[] = [];
  serverProperties: Record<string, unknown> = {};
  mechanisms: string[] = [];
  /** What the server proposed in connection.tune. */
  serverTune: TuneParams = { channelMax: 0, frameMax: 0, heartbeat: 0 };
  /** What we answered in tune-ok (and so what is in force). */
  tune: TuneParams = { channelMax: 0, frameMax: 0, heartbeat: 0 };
  readonly closed: Promise<void>;
  isClosed = false;
  parseError: Error | undefined;

  private buf: Buffer = Buffer.alloc(0);
  private waiters: Array<() => void> = [];

  constructor(readonly socket: net.Socket) {
    live.add(this);
    this.closed = new Promise((resolve) => {
      socket.once('close', () => {
        live.delete(this);
        this.isClosed = true;
        this.wake();
        resolve();
      });
    });
    socket.on('data', (d: Buffer) => this.onData(d));
  }

  private wake(): void {
    const ws = this.waiters;
    this.waiters = [];
    for (const w of ws) w();
  }

  private onData(d: Buffer): void {
    if (this.parseError) return;
    this.buf = this.buf.length === 0 ? d : Buffer.concat([this.buf, d]);
    while (this.buf.length >= 7) {
      const size = this.buf.readUInt32BE(3);
      if (this.buf.length < 8 + size) break;
      const type = this.buf.readUInt8(0);
      const channel = this.buf.readUInt16BE(1);
      if (this.buf[7 + size] !== FRAME_END) {
        this.parseError = new Error(`bad frame end from server: 0x${this.buf[7 + size]!.toString(16)}`);
        break;
      }
      const payload = Buffer.from(this.buf.subarray(7, 7 + size));
      this.buf = this.buf.subarray(8 + size);
      this.received.push(decodeFrame(type, channel, payload));
    }
    this.wake();
  }

  /** Bytes received that are not (yet) a whole frame, e.g. a protocol header sent back by the server. */
  get pendingBytes(): Buffer {
    return this.buf;
  }

  sendRaw(bytes: Buffer): void {
    this.socket.write(bytes);
  }

  sendFrame(type: number, channel: number, payload: Buffer, frameEnd = FRAME_END): void {
    this.socket.write(encodeFrame(type, channel, payload, frameEnd));
  }

  sendMethod(channel: number, classId: number, methodId: number, argsBuf: Buffer = Buffer.alloc(0)): void {
    this.socket.write(encodeMethodFrame(channel, classId, methodId, argsBuf));
  }

  /** The next frame received, heartbeats included. Rejects if the socket closes first or on timeout. */
  nextFrame(timeoutMs = 5_000, what = 'a frame'): Promise<Frame> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== check);
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`));
      }, timeoutMs);
      const check = () => {
        const f = this.received.shift();
        if (f) {
          clearTimeout(timer);
          resolve(f);
        } else if (this.parseError) {
          clearTimeout(timer);
          reject(this.parseError);
        } else if (this.isClosed) {
          clearTimeout(timer);
          reject(new SocketClosedError(what));
        } else {
          this.waiters.push(check);
        }
      };
      check();
    });
  }

  /** The next non-heartbeat frame. */
  async nextNonHeartbeat(timeoutMs = 5_000, what = 'a frame'): Promise<Frame> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const f = await this.nextFrame(Math.max(1, deadline - Date.now()), what);
      if (f.type !== FRAME_HEARTBEAT) return f;
    }
  }

  /** The next method frame, which must be classId/methodId (else throws, describing what came). */
  async expectMethod(classId: number, methodId: number, timeoutMs = 5_000): Promise<Frame> {
    const f = await this.nextNonHeartbeat(timeoutMs, `method ${classId}.${methodId}`);
    if (!f.method || f.method.classId !== classId || f.method.methodId !== methodId) {
      throw new Error(`expected method ${classId}.${methodId}, got ${describeFrame(f)}`);
    }
    return f;
  }

  /**
   * Reads frames until a connection.close arrives and returns its fields; frames before it
   * (heartbeats, channel.close, deliveries) are skipped. Rejects if the socket closes first.
   * With `closeOk` (default), answers with connection.close-ok, as a client should.
   */
  async expectConnectionClose(timeoutMs = 5_000, closeOk = true): Promise<CloseInfo> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const f = await this.nextFrame(Math.max(1, deadline - Date.now()), 'connection.close');
      if (f.method && f.method.classId === 10 && f.method.methodId === 50 && f.close) {
        if (f.channel !== 0) throw new Error(`connection.close on channel ${f.channel}`);
        if (closeOk && !this.isClosed) this.sendMethod(0, 10, 51);
        return f.close;
      }
    }
  }

  /** The next non-heartbeat frame must be channel.close on `channel`; answers close-ok by default. */
  async expectChannelClose(channel: number, timeoutMs = 5_000, closeOk = true): Promise<CloseInfo> {
    const f = await this.nextNonHeartbeat(timeoutMs, 'channel.close');
    if (!f.close || f.method!.classId !== 20 || f.channel !== channel) {
      throw new Error(`expected channel.close on ${channel}, got ${describeFrame(f)}`);
    }
    if (closeOk) this.sendMethod(channel, 20, 41);
    return f.close;
  }

  async openChannel(channel: number): Promise<void> {
    this.sendMethod(channel, 20, 10, args().shortstr('').build());
    const f = await this.expectMethod(20, 11);
    if (f.channel !== channel) throw new Error(`channel.open-ok on ${f.channel}, expected ${channel}`);
  }

  waitForClose(timeoutMs = 10_000): Promise<void> {
    return waitForClose(this.socket, timeoutMs);
  }

  /** Clean connection.close handshake, then waits for the socket to close. */
  async close(): Promise<void> {
    if (this.isClosed) return;
    this.sendMethod(0, 10, 50, args().short(200).shortstr('bye').short(0).short(0).build());
    try {
      await this.expectMethod(10, 51);
    } finally {
      this.socket.end();
    }
    await this.waitForClose();
  }

  destroy(): void {
    this.socket.destroy();
  }
}

/** Opens a socket and sends the protocol header, without handshaking. */
export async function rawSocket(opts: { url?: string } = {}): Promise<RawConnection> {
  const s = await openSocket(hostPort(opts.url ?? defaultUrl()));
  const c = new RawConnection(s);
  return c;
}

/**
 * Connects and performs the whole opening handshake (PLAIN auth), returning a connection that is
 * open on channel 0 and has no other channel open. Rejects with HandshakeRefusedError if the
 * server answers with connection.close during the handshake.
 */
export async function rawConnect(opts: RawConnectOptions = {}): Promise<RawConnection> {
  const u = new URL(opts.url ?? defaultUrl());
  const user = opts.user ?? (u.username ? decodeURIComponent(u.username) : 'guest');
  const password = opts.password ?? (u.password ? decodeURIComponent(u.password) : 'guest');
  const vhost = opts.vhost ?? (u.pathname.length > 1 ? decodeURIComponent(u.pathname.slice(1)) : '/');

  const c = new RawConnection(await openSocket(hostPort(u.href)));
  try {
    c.sendRaw(PROTOCOL_HEADER);

    const start = await c.expectMethod(10, 10);
    const r = new ArgsReader(start.method!.args);
    r.octet(); // version-major
    r.octet(); // version-minor
    c.serverProperties = r.table();
    c.mechanisms = r.longstr().split(' ');
    r.longstr(); // locales

    c.sendMethod(
      0,
      10,
      11,
      args()
        .table({ product: 'warren-conformance-raw', capabilities: opts.capabilities ?? { authentication_failure_close: true } })
        .shortstr(opts.mechanism ?? 'PLAIN')
        .longstr(opts.response ?? Buffer.from(`\0${user}\0${password}`, 'utf8'))
        .shortstr('en_US')
        .build(),
    );

    const tuneOrClose = await c.nextNonHeartbeat(5_000, 'connection.tune');
    if (tuneOrClose.close) {
      if (!c.isClosed) c.sendMethod(0, 10, 51);
      throw new HandshakeRefusedError(tuneOrClose.close);
    }
    if (!tuneOrClose.method || tuneOrClose.method.classId !== 10 || tuneOrClose.method.methodId !== 30) {
      throw new Error(`expected connection.tune, got ${describeFrame(tuneOrClose)}`);
    }
    const t = new ArgsReader(tuneOrClose.method.args);
    c.serverTune = { channelMax: t.short(), frameMax: t.long(), heartbeat: t.short() };
    c.tune = {
      channelMax: opts.tuneOk?.channelMax ?? c.serverTune.channelMax,
      frameMax: opts.tuneOk?.frameMax ?? c.serverTune.frameMax,
      heartbeat: opts.tuneOk?.heartbeat ?? 0,
    };
    c.sendMethod(0, 10, 31, args().short(c.tune.channelMax).long(c.tune.frameMax).short(c.tune.heartbeat).build());

    c.sendMethod(0, 10, 40, args().shortstr(vhost).shortstr('').bits(false).build());
    const openOk = await c.nextNonHeartbeat(5_000, 'connection.open-ok');
    if (openOk.close) {
      if (!c.isClosed) c.sendMethod(0, 10, 51);
      throw new HandshakeRefusedError(openOk.close);
    }
    if (!openOk.method || openOk.method.classId !== 10 || openOk.method.methodId !== 41) {
      throw new Error(`expected connection.open-ok, got ${describeFrame(openOk)}`);
    }
    return c;
  } catch (e) {
    // Give the server a moment to close after our close-ok, then make sure the socket is gone.
    await c.waitForClose(2_000).catch(() => undefined);
    c.destroy();
    throw e;
  }
}
