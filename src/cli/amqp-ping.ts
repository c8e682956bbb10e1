// An AMQP 0-9-1 handshake for `warren ping`: protocol header, start / start-ok (PLAIN), tune / tune-ok,
// open / open-ok, then close / close-ok. Reports whether the broker answered and what it said.
import { connect, type Socket } from 'node:net';
import { decodeTable, stringOf, type FieldTable } from '../protocol/index.js';

const FRAME_END = 0xce;
const CONNECTION = 10;
const START = 10;
const START_OK = 11;
const TUNE = 30;
const TUNE_OK = 31;
const OPEN = 40;
const OPEN_OK = 41;
const CLOSE = 50;
const CLOSE_OK = 51;

export interface PingResult {
  /** The broker ran the handshake as far as `stage`. */
  stage: 'open' | 'login-refused' | 'open-refused';
  product: string;
  version: string;
  /** The broker's reason when the login or the vhost was refused. */
  detail?: string;
}

export interface PingTarget {
  host: string;
  port: number;
  username: string;
  password: string;
  vhost: string;
  timeoutMs: number;
}

function shortstr(s: string): Buffer {
  const b = Buffer.from(s, 'utf8');
  return Buffer.concat([Buffer.from([b.length]), b]);
}

function longstr(b: Buffer): Buffer {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(b.length);
  return Buffer.concat([len, b]);
}

/** A field table entry of type 'S' (long string) or 't' (boolean) or 'F' (table). */
function entry(key: string, type: 'S' | 't' | 'F', value: string | boolean | Buffer): Buffer {
  const head = Buffer.concat([shortstr(key), Buffer.from(type)]);
  if (type === 'S') return Buffer.concat([head, longstr(Buffer.from(value as string))]);
  if (type === 't') return Buffer.concat([head, Buffer.from([value ? 1 : 0])]);
  return Buffer.concat([head, longstr(value as Buffer)]);
}

function method(methodId: number, args: Buffer): Buffer {
  const payload = Buffer.concat([Buffer.from([0, CONNECTION, 0, methodId]), args]);
  const header = Buffer.alloc(7);
  header.writeUInt8(1, 0);
  header.writeUInt16BE(0, 1);
  header.writeUInt32BE(payload.length, 3);
  return Buffer.concat([header, payload, Buffer.from([FRAME_END])]);
}

function u16(n: number): Buffer {
  const b = Buffer.alloc(2);
  b.writeUInt16BE(n);
  return b;
}

interface MethodFrame {
  methodId: number;
  args: Buffer;
}

/** Reads connection-class method frames off the socket, one at a time. */
class FrameQueue {
  private buf = Buffer.alloc(0);
  private waiting: ((f: MethodFrame | Error) => void) | undefined;
  private readonly frames: Array<MethodFrame | Error> = [];

  constructor(socket: Socket) {
    socket.on('data', (d: Buffer) => {
      this.buf = Buffer.concat([this.buf, d]);
      this.drain();
    });
    socket.on('close', () => this.push(new Error('the broker closed the connection')));
    socket.on('error', (e) => this.push(e));
  }

  private drain(): void {
    while (this.buf.length >= 7) {
      if (this.buf.subarray(0, 4).toString('latin1') === 'AMQP') {
        this.push(new Error(`the broker does not speak AMQP 0-9-1 (it offered protocol ${[...this.buf.subarray(4, 8)].join('.')})`));
        this.buf = Buffer.alloc(0);
        return;
      }
      const type = this.buf.readUInt8(0);
      const size = this.buf.readUInt32BE(3);
      if (this.buf.length < 7 + size + 1) return;
      const payload = this.buf.subarray(7, 7 + size);
      this.buf = this.buf.subarray(8 + size);
      if (type !== 1 || payload.length < 4) continue; // heartbeats and the like
      if (payload.readUInt16BE(0) !== CONNECTION) continue;
      this.push({ methodId: payload.readUInt16BE(2), args: payload.subarray(4) });
    }
  }

  private push(f: MethodFrame | Error): void {
    const w = this.waiting;
    if (w) {
      this.waiting = undefined;
      w(f);
    } else this.frames.push(f);
  }

  next(): Promise<MethodFrame> {
    const f = this.frames.shift();
    if (f) return f instanceof Error ? Promise.reject(f) : Promise.resolve(f);
    return new Promise((resolve, reject) => (this.waiting = (x) => (x instanceof Error ? reject(x) : resolve(x))));
  }
}

function closeReason(args: Buffer): string {
  const code = args.readUInt16BE(0);
  const len = args.readUInt8(2);
  return `${code} ${args.subarray(3, 3 + len).toString('utf8')}`;
}

/** Runs the handshake; rejects when the broker cannot be reached or does not answer in time. */
export async function amqpPing(t: PingTarget): Promise<PingResult> {
  const socket = connect({ host: t.host, port: t.port });
  const frames = new FrameQueue(socket);
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    socket.destroy(new Error(`no answer within ${t.timeoutMs} ms`));
  }, t.timeoutMs);
  let product = 'unknown';
  let version = 'unknown';
  try {
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    });
    socket.write(Buffer.from([0x41, 0x4d, 0x51, 0x50, 0, 0, 9, 1]));

    const start = await frames.next();
    if (start.methodId !== START) throw new Error(`expected connection.start, got method ${start.methodId}`);
    const propsLen = start.args.readUInt32BE(2);
    const props: FieldTable = decodeTable(start.args, 6, 6 + propsLen);
    product = stringOf(props.get('product')) ?? product;
    version = stringOf(props.get('version')) ?? version;

    const capabilities = entry('authentication_failure_close', 't', true);
    const clientProps = Buffer.concat([entry('product', 'S', 'warren ping'), entry('capabilities', 'F', capabilities)]);
    const response = Buffer.from(`\0${t.username}\0${t.password}`, 'utf8');
    socket.write(method(START_OK, Buffer.concat([longstr(clientProps), shortstr('PLAIN'), longstr(response), shortstr('en_US')])));

    let tune: MethodFrame;
    try {
      tune = await frames.next();
    } catch (e) {
      // A broker that does not send connection.close on a failed login just drops the socket (as RabbitMQ does).
      if (timedOut) throw e;
      return { stage: 'login-refused', product, version, detail: 'the broker closed the connection after start-ok' };
    }
    if (tune.methodId === CLOSE) return { stage: 'login-refused', product, version, detail: closeReason(tune.args) };
    if (tune.methodId !== TUNE) throw new Error(`expected connection.tune, got method ${tune.methodId}`);
    socket.write(method(TUNE_OK, Buffer.concat([tune.args.subarray(0, 2), tune.args.subarray(2, 6), u16(0)])));
    socket.write(method(OPEN, Buffer.concat([shortstr(t.vhost), shortstr(''), Buffer.from([0])])));

    const open = await frames.next();
    if (open.methodId === CLOSE) {
      socket.write(method(CLOSE_OK, Buffer.alloc(0)));
      return { stage: 'open-refused', product, version, detail: closeReason(open.args) };
    }
    if (open.methodId !== OPEN_OK) throw new Error(`expected connection.open-ok, got method ${open.methodId}`);
    socket.write(method(CLOSE, Buffer.concat([u16(200), shortstr('Goodbye'), u16(0), u16(0)])));
    const closeOk = await frames.next();
    if (closeOk.methodId !== CLOSE_OK) throw new Error(`expected connection.close-ok, got method ${closeOk.methodId}`);
    return { stage: 'open', product, version };
  } finally {
    clearTimeout(timer);
    socket.destroy();
  }
}
