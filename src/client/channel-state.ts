// One channel's state in the client: its listener, the waiters of its synchronous methods, and the content
// (basic.deliver, basic.return or basic.get-ok) being assembled from its header and body frames.
import { BASIC_GET_OK, CONTENT_PROPERTIES_AT, decodeProperties, readBodySize, type BasicProperties, type Method } from '../protocol/index.js';
import type { ChannelListener, Delivery } from './listener.js';

const EMPTY = Buffer.alloc(0);

/** What the next content header and body belong to. */
export const NONE = 0;
export const DELIVER = 1;
export const RETURN = 2;
export const GET = 3;

export type Waiter = { resolve: (m: Method) => void; reject: (e: Error) => void };

export class ChannelState {
  listener: ChannelListener | undefined;
  collect = false;
  waiters: Waiter[] = [];
  /** The broker's close of this channel, once it came: later calls fail with it. */
  closedBy: Error | undefined;
  /** Closed by closeChannel(): the number may be reused. */
  released = false;
  /** What the next content header and body belong to (NONE, DELIVER, RETURN or GET). */
  content = NONE;
  collecting = false;
  tag = 0;
  redelivered = false;
  replyCode = 0;
  bodySize = 0;
  /** Body bytes still to come for the current content. */
  remaining = 0;
  /** The first body bytes, kept when a body spans several frames. */
  readonly head = Buffer.alloc(16);
  headLength = 0;
  /** The method that content belongs to, decoded (collecting channels and basic.get). */
  method: Method | undefined;
  properties: BasicProperties | undefined;
  body: Buffer | undefined;
  constructor(readonly id: number) {}

  /** A content header frame: starts the body of the content announced by the last method (a no-op when none was). */
  onHeader(buf: Buffer): void {
    const c = this;
    if (c.content === NONE) return;
    const size = readBodySize(buf, 0);
    c.bodySize = size;
    c.remaining = size;
    c.headLength = 0;
    const l = c.listener;
    if (c.content === DELIVER && !c.collecting && l?.contentHeader) {
      if (size === 0) c.content = NONE;
      l.contentHeader(buf, size);
      return;
    }
    if (c.collecting) {
      c.properties = decodeProperties(buf, CONTENT_PROPERTIES_AT, buf.length);
      c.body = Buffer.allocUnsafe(size);
    }
    if (size === 0) c.complete(EMPTY, 0, 0);
  }

  /** A content body frame: copied (collecting), handed on in place (contentBody), or its first bytes kept until the last. */
  onBody(buf: Buffer): void {
    const c = this;
    if (c.content === NONE) return;
    const n = buf.length;
    const l = c.listener;
    if (c.content === DELIVER && !c.collecting && l?.contentBody) {
      c.remaining -= n;
      const last = c.remaining <= 0;
      if (last) c.content = NONE;
      l.contentBody(buf, last);
      return;
    }
    if (c.collecting) buf.copy(c.body!, c.bodySize - c.remaining);
    if (n === c.remaining && c.headLength === 0) {
      c.remaining = 0;
      c.complete(buf, 0, n);
      return;
    }
    if (c.headLength < 16) {
      const take = Math.min(16 - c.headLength, n);
      buf.copy(c.head, c.headLength, 0, take);
      c.headLength += take;
    }
    c.remaining -= n;
    if (c.remaining <= 0) c.complete(c.head, 0, c.headLength);
  }

  /** The whole content has arrived: to the basic.get waiter, or to the listener (message, content or returned). */
  private complete(buf: Buffer, start: number, end: number): void {
    const c = this;
    const kind = c.content;
    c.content = NONE;
    let d: Delivery | undefined;
    if (c.collecting) {
      const m = c.method as Method & Partial<{ consumerTag: string; deliveryTag: number; redelivered: boolean; exchange: string; routingKey: string; messageCount: number; replyCode: number; replyText: string }>;
      d = {
        consumerTag: m.consumerTag ?? '',
        deliveryTag: m.deliveryTag ?? 0,
        redelivered: m.redelivered ?? false,
        exchange: m.exchange ?? '',
        routingKey: m.routingKey ?? '',
        properties: c.properties!,
        body: c.body!,
        ...(kind === GET ? { messageCount: m.messageCount } : {}),
        ...(kind === RETURN ? { replyCode: m.replyCode, replyText: m.replyText } : {}),
      };
      c.method = undefined;
      c.properties = undefined;
      c.body = undefined;
      c.collecting = false;
    }
    if (kind === GET) {
      const w = c.waiters.shift();
      // The get's waiter gets the delivery, smuggled through as basic.get-ok's method object.
      if (w) w.resolve({ ...(d as unknown as Method), id: BASIC_GET_OK } as Method);
      return;
    }
    const l = c.listener;
    if (!l) return;
    if (kind === DELIVER) {
      if (d) l.content?.(d);
      else l.message?.(c.tag, c.redelivered, buf, start, end, c.bodySize);
    } else if (kind === RETURN) {
      l.returned?.(c.replyCode, d);
    }
  }
}
