// One channel: its state, the command assembler (method → header → body) and dispatch to the method-class handlers,
// which see it as a MethodContext.
import type { TraceOrigin } from '../broker/index.js';
import { connectionName } from './connection-name.js';
import type { Logger } from 'pino';
import { addCounters, messageTooLarge, newCounters, type MessageCounters, type VirtualHost } from '../broker/index.js';
import {
  AmqpError,
  BASIC_PUBLISH,
  CHANNEL_CLOSE,
  CHANNEL_CLOSE_OK,
  CHANNEL_FLOW,
  CHANNEL_FLOW_OK,
  CHANNEL_OPEN,
  CHANNEL_OPEN_OK,
  channelError,
  commandInvalid,
  BASIC_CLASS,
  CONTENT_PROPERTIES_AT,
  readBodySize,
  contentBodySize,
  FRAME_BODY,
  FRAME_HEADER,
  notImplemented,
  resourceError,
  stampMethod,
  unexpectedFrame,
  type BasicPublish,
  type Method,
} from '../protocol/index.js';
import { handleBasic, publishContent } from './methods/basic.js';
import { handleExchange } from './methods/exchange.js';
import { handleQueue } from './methods/queue.js';
import { handleConfirmOrTx } from './methods/confirm-tx.js';
import type { HeldPublish, MethodContext } from './methods/context.js';
import type { Connection } from './connection.js';
import { Confirms } from './confirms.js';
import { ChannelObjectStats, type ChannelExchangeCounters } from './channel-object-stats.js';
import { Deliveries } from './deliveries.js';
import { RepeatedProperties } from './repeated-publish.js';
import { stopReplyConsumer, type ReplyConsumer } from './direct-reply.js';

type Expecting = 'method' | 'header' | 'body';

/** A publish whose content is being assembled. */
const EMPTY = Buffer.alloc(0);

interface PendingPublish {
  method: BasicPublish;
  /** The basic.publish frame's exchange and routing-key short strings (reused as they are on delivery). */
  routingRaw: Buffer | undefined;
  bodySize: number;
  properties: Buffer;
  /** The channel's last properties, shared by the messages that repeat them. */
  lastProperties: RepeatedProperties;
  parts: Buffer[];
  received: number;
}

export class Channel implements MethodContext {
  readonly id: number;
  readonly conn: Connection;
  /** Wall-clock time it was opened (epoch ms): idle since then until its first message (management's idle_since). */
  readonly openedAt = Date.now();
  private logger: Logger | undefined;
  /**
   * 'closing': we sent channel.close and wait for close-ok, ignoring everything else. 'closed': the client's
   * channel.close was answered. In both, nothing but the close handshake goes out on this channel.
   */
  state: 'open' | 'closing' | 'closed' = 'open';
  private expecting: Expecting = 'method';
  private pending: PendingPublish | undefined;
  /** The record of the publish being assembled, made at the channel's first publish and reused for every later one. */
  private publishing: PendingPublish | undefined;
  /** Consumers, unacked deliveries, prefetch and flow. */
  readonly deliveries: Deliveries;
  /** Queue most recently declared on this channel (the "" shortcut in later methods). */
  private last: string | undefined;
  private confirming = false;
  /** Publisher confirms, made at confirm.select. */
  private confirms: Confirms | undefined;
  private transactional = false;
  /** This channel's amq.rabbitmq.reply-to consumer, if any. */
  private reply: ReplyConsumer | undefined;
  /** Publishes held by a transaction until tx.commit. */
  private held: HeldPublish[] = [];
  /** This channel's message counts (RabbitMQ's channel message_stats), added to its vhost's when it closes. */
  readonly stats: MessageCounters = newCounters();
  private statsHandedOver = false;
  /** The same counts per exchange published to and per queue taken from, made at first use. */
  private perObject: ChannelObjectStats | undefined;

  constructor(conn: Connection, id: number) {
    this.conn = conn;
    this.id = id;
    this.deliveries = new Deliveries(this);
  }

  /** This channel's logger ({channel} on the connection's), made when first used (most channels never log). */
  get log(): Logger {
    return (this.logger ??= this.conn.log.child({ channel: this.id }));
  }

  get vhost(): VirtualHost {
    return this.conn.vhost!;
  }

  private origin: TraceOrigin | undefined;

  get traceOrigin(): TraceOrigin {
    return (this.origin ??= { user: this.conn.username, channel: this.id, connection: connectionName(this.conn) });
  }

  // ---- publishing state, as MethodContext changes it and introspection reads it

  get confirmMode(): boolean {
    return this.confirming;
  }

  get txMode(): boolean {
    return this.transactional;
  }

  selectConfirms(): void {
    this.confirms ??= new Confirms(this);
    this.confirming = true;
  }

  selectTx(): void {
    this.transactional = true;
  }

  get objectStats(): ChannelObjectStats {
    return (this.perObject ??= new ChannelObjectStats(
      (x) => this.vhost.exchanges.get(x.name) === x,
      (q) => this.vhost.queues.get(q.name) === q,
    ));
  }

  /** The per-object counts if anything was counted (a scrape reads them without making them). */
  get objectStatsIfAny(): ChannelObjectStats | undefined {
    return this.perObject;
  }

  confirm(accepted: boolean, durable: boolean, counters: ChannelExchangeCounters): void {
    this.confirms!.next(accepted, durable, counters);
  }

  /** Publishes confirmed to the client neither as ack nor as nack yet. */
  get unconfirmed(): number {
    return this.confirms ? this.confirms.unconfirmed : 0;
  }

  hold(p: HeldPublish): void {
    this.held.push(p);
  }

  takeHeld(): HeldPublish[] {
    const list = this.held;
    this.held = [];
    return list;
  }

  /** Publishes held by an open transaction. */
  get uncommitted(): number {
    return this.held.length;
  }

  get replyConsumer(): ReplyConsumer | undefined {
    return this.reply;
  }

  setReplyConsumer(c: ReplyConsumer | undefined): void {
    this.reply = c;
  }

  get lastQueue(): string | undefined {
    return this.last;
  }

  rememberQueue(name: string): void {
    this.last = name;
  }

  /** channel.open arrived. */
  opened(): void {
    this.conn.send(this.id, { id: CHANNEL_OPEN_OK, channelId: Buffer.alloc(0) });
  }

  /**
   * True while frames may go out on this channel. Once either side sent channel.close, or the connection is closing,
   * pending confirms, deliveries, returns and notifications for it are dropped (the spec allows only close-ok).
   */
  get writable(): boolean {
    return this.state === 'open' && this.conn.isOpen;
  }

  /** A method frame on this channel, unless it is no longer writable. */
  send(m: Method): void {
    if (this.writable) this.conn.send(this.id, m);
  }

  /** Content header and body frames following a method sent with `send`, unless the channel is no longer writable. */
  sendContent(propertiesRaw: Buffer, body: Buffer): void {
    if (this.writable) this.conn.output.content(this.id, propertiesRaw, body);
  }

  /**
   * The connection is about to decode a method frame for this channel: while content is expected that is an
   * UNEXPECTED_FRAME, said before the method is decoded (as RabbitMQ does).
   */
  expectMethod(): void {
    if (this.state === 'closing' || this.expecting === 'method') return;
    throw unexpectedFrame(
      this.expecting === 'header'
        ? 'expected content header for class 60, got non content header frame instead'
        : 'expected content body, got non content body frame instead',
    );
  }

  /** basic.publish, decoded by the connection's frame path (once for a publisher that repeats it), with its routing short strings. */
  onPublish(m: BasicPublish, routingRaw: Buffer | undefined): void {
    if (this.state === 'closing') return this.methodWhileClosing(m);
    // One record per channel, reused: a publish allocates nothing here.
    const p = (this.publishing ??= { method: m, routingRaw, bodySize: 0, properties: EMPTY, lastProperties: new RepeatedProperties(), parts: [], received: 0 });
    p.method = m;
    p.routingRaw = routingRaw;
    p.bodySize = 0;
    p.properties = EMPTY;
    p.received = 0;
    this.pending = p;
    this.expecting = 'header';
  }

  /** A method frame other than basic.publish, decoded once by the connection's frame path. */
  onMethod(m: Method): void {
    if (this.state === 'closing') return this.methodWhileClosing(m);
    if (m.id === BASIC_PUBLISH) return this.onPublish(m, undefined);
    try {
      this.dispatch(m);
    } catch (e) {
      throw stampMethod(e, m.id);
    }
  }

  /** A content header or body frame (ignored while our channel.close awaits its close-ok). */
  onContent(type: typeof FRAME_HEADER | typeof FRAME_BODY, payload: Buffer): void {
    if (this.state === 'closing') return;
    if (type === FRAME_HEADER) this.onHeader(payload);
    else this.onBody(payload);
  }

  /**
   * A content header read in place (`buf[start, end)`): handled here only when it is the expected header, well formed,
   * within the size limit and with the channel's last properties; false hands it to the ordinary path (onContent).
   */
  onRepeatedHeader(buf: Buffer, start: number, end: number): boolean {
    const p = this.pending;
    if (this.state === 'closing' || this.expecting !== 'header' || p === undefined) return false;
    if (end - start < CONTENT_PROPERTIES_AT + 2 || buf[start] !== 0 || buf[start + 1] !== BASIC_CLASS) return false;
    if (!p.lastProperties.matches(buf, start + CONTENT_PROPERTIES_AT, end)) return false;
    const bodySize = readBodySize(buf, start);
    if (bodySize > this.conn.ctx.options.maxMessageSize) return false;
    p.bodySize = bodySize;
    p.properties = p.lastProperties.current;
    if (bodySize === 0) this.completePublish(Buffer.alloc(0));
    else this.expecting = 'body';
    return true;
  }

  private onHeader(payload: Buffer): void {
    if (this.expecting !== 'header') {
      throw unexpectedFrame(
        this.expecting === 'method'
          ? 'expected method frame, got non method frame instead'
          : 'expected content body, got non content body frame instead',
      );
    }
    const p = this.pending!;
    const bodySize = contentBodySize(payload);
    const max = this.conn.ctx.options.maxMessageSize;
    if (bodySize > max) {
      this.expecting = 'method';
      this.pending = undefined;
      throw messageTooLarge(bodySize, max).stamp(BASIC_PUBLISH);
    }
    p.bodySize = bodySize;
    p.properties = p.lastProperties.of(payload, CONTENT_PROPERTIES_AT);
    if (bodySize === 0) return this.completePublish(Buffer.alloc(0));
    this.expecting = 'body';
  }

  private onBody(payload: Buffer): void {
    if (this.expecting !== 'body') {
      throw unexpectedFrame(
        this.expecting === 'method'
          ? 'expected method frame, got non method frame instead'
          : 'expected content header for class 60, got non content header frame instead',
      );
    }
    const p = this.pending!;
    p.received += payload.length;
    if (p.received > p.bodySize) {
      throw unexpectedFrame(`received ${p.received} bytes of content body, more than the declared ${p.bodySize}`);
    }
    if (p.received === p.bodySize && p.parts.length === 0) return this.completePublish(payload);
    p.parts.push(payload);
    if (p.received === p.bodySize) {
      this.conn.contentBuffered -= p.received - payload.length;
      const body = Buffer.concat(p.parts, p.bodySize);
      p.parts.length = 0;
      return this.completePublish(body);
    }
    // Parts of unfinished messages, summed over the connection's channels, are capped: 2047 channels each
    // holding most of a 16 MiB message would otherwise pin 32 GiB on one connection.
    const held = (this.conn.contentBuffered += payload.length);
    const cap = this.conn.ctx.options.maxConnectionBuffer;
    if (held > cap) {
      throw resourceError(`unfinished messages on this connection hold ${held} bytes, more than the limit of ${cap}`).stamp(BASIC_PUBLISH);
    }
  }

  /** Forgets a partly received message (the channel closes on an error). */
  private dropPending(): void {
    const p = this.pending;
    if (p && this.expecting === 'body') this.conn.contentBuffered -= p.received;
    if (p) p.parts.length = 0;
    this.pending = undefined;
    this.expecting = 'method';
  }

  private completePublish(body: Buffer): void {
    const p = this.pending!;
    this.pending = undefined;
    this.expecting = 'method';
    try {
      publishContent(this, p.method, p.properties, body, p.routingRaw);
    } catch (e) {
      throw stampMethod(e, BASIC_PUBLISH);
    }
  }

  private dispatch(m: Method): void {
    const classId = m.id >>> 16;
    switch (classId) {
      case 20:
        return this.onChannelMethod(m);
      case 40:
        return handleExchange(this, m);
      case 50:
        return handleQueue(this, m);
      case 60:
        return handleBasic(this, m);
      case 85:
      case 90:
        return handleConfirmOrTx(this, m);
      case 30:
        // access.request is obsolete; RabbitMQ still answers it.
        if (m.id === 0x001e000a) return this.send({ id: 0x001e000b, ticket: 1 });
        throw notImplemented('access.request-ok');
      default:
        // RabbitMQ: a connection-class (or other non-channel) method on a channel is not implemented there.
        throw commandInvalid('unimplemented method');
    }
  }

  private onChannelMethod(m: Method): void {
    switch (m.id) {
      case CHANNEL_OPEN:
        throw channelError(`second 'channel.open' seen`);
      case CHANNEL_CLOSE:
        this.state = 'closed';
        this.release();
        this.conn.send(this.id, { id: CHANNEL_CLOSE_OK });
        this.conn.channelFinished(this);
        return;
      case CHANNEL_CLOSE_OK:
        return;
      case CHANNEL_FLOW:
        // RabbitMQ refuses to stop deliveries by channel.flow (prefetch does that job).
        if (!m.active) throw new AmqpError('NOT_IMPLEMENTED', 'active=false');
        this.send({ id: CHANNEL_FLOW_OK, active: true });
        return;
      case CHANNEL_FLOW_OK:
        return;
      default:
        throw channelError(`unexpected channel method`);
    }
  }

  private methodWhileClosing(m: Method): void {
    if (m.id === CHANNEL_CLOSE_OK) {
      this.conn.channelFinished(this);
    } else if (m.id === CHANNEL_CLOSE) {
      // The client closed while our channel.close was on its way: answer, and keep the channel (closing) until
      // the close-ok for ours arrives, as RabbitMQ does, so that close-ok is not a frame on an unknown channel.
      this.conn.send(this.id, { id: CHANNEL_CLOSE_OK });
    }
  }

  /** Soft error: channel.close to the client, resources released now, close-ok awaited. */
  closeWithError(err: AmqpError): void {
    if (this.state !== 'open') return;
    this.log.debug({ code: err.code, text: err.replyText }, 'closing channel on error');
    this.state = 'closing';
    this.dropPending();
    this.release();
    this.conn.send(this.id, { id: CHANNEL_CLOSE, replyCode: err.code, replyText: err.replyText, classId: err.classId, methodId: err.methodId });
  }

  /** Cancels consumers and requeues unacknowledged messages (channel or connection going away). */
  release(): void {
    stopReplyConsumer(this);
    this.deliveries.release();
    if (!this.statsHandedOver) {
      this.statsHandedOver = true;
      addCounters(this.vhost.closedChannelStats, this.stats);
      this.conn.ctx.broker.totals.channelsClosed += 1;
    }
  }

  /** The connection's socket drained: consumers may take messages again. */
  resumeDeliveries(): void {
    if (this.state === 'open') this.deliveries.resume();
  }
}
