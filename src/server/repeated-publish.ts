// Recognizes a publisher repeating its last basic.publish frame or content properties byte for byte, so the hot path
// reuses what it decoded and sliced then instead of making it again per message.
import { BASIC_PUBLISH, type BasicPublish } from '../protocol/index.js';

const EMPTY = Buffer.alloc(0);
/** Properties longer than this are not compared (a long headers table costs more to compare than to slice). */
const PROPERTIES_COMPARED = 64;

/** Whether `a` equals `b[start, end)` byte for byte (short buffers: a loop is cheaper than a native call). */
function sameBytes(a: Buffer, b: Buffer, start: number, end: number): boolean {
  const n = a.length;
  if (end - start !== n) return false;
  for (let i = 0; i < n; i++) if (a[i] !== b[start + i]) return false;
  return true;
}

/** The exchange and routing-key short strings of a basic.publish payload (class, method and ticket come first). */
export function routingShortstrs(payload: Buffer): Buffer {
  const exchangeEnd = 7 + payload[6]!;
  return payload.subarray(6, exchangeEnd + 1 + payload[exchangeEnd]!);
}

/**
 * A connection's last basic.publish: its payload (a view of the received bytes, which are never written to), the
 * method decoded from it and its routing short strings. The same bytes decode to the same (never modified) method.
 */
export class RepeatedPublish {
  private raw: Buffer = EMPTY;
  method: BasicPublish | undefined;
  routingRaw: Buffer = EMPTY;

  /** Whether the payload `buf[start, end)` is the last basic.publish again (then `method` and `routingRaw` are its). */
  matches(buf: Buffer, start: number, end: number): boolean {
    return this.method !== undefined && sameBytes(this.raw, buf, start, end);
  }

  /** Remembers a decoded basic.publish and its payload. */
  remember(payload: Buffer, method: BasicPublish): void {
    if (method.id !== BASIC_PUBLISH) return;
    this.raw = payload;
    this.method = method;
    this.routingRaw = routingShortstrs(payload);
  }
}

/** A channel's last content properties (flag word onwards), shared by the messages that repeat them. */
export class RepeatedProperties {
  private last: Buffer = EMPTY;

  /** Whether `buf[start, end)` are the last properties again. */
  matches(buf: Buffer, start: number, end: number): boolean {
    const last = this.last;
    return last.length !== 0 && last.length <= PROPERTIES_COMPARED && sameBytes(last, buf, start, end);
  }

  /** The last properties (see matches()). */
  get current(): Buffer {
    return this.last;
  }

  /** The properties at `header[start..]`: the last ones when equal, else a view that becomes the last. */
  of(header: Buffer, start: number): Buffer {
    if (this.matches(header, start, header.length)) return this.last;
    return (this.last = header.subarray(start));
  }
}
