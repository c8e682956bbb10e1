// A shovel's hot path for one source/destination connection pair: copies each delivery's content frames from the
// source's read buffer straight into the destination's output (re-encoding the properties only when the shovel
// rewrites them), writes once per read, and settles at the source in batches (multiple=true) as its ack-mode says.
import type { AmqpConnection, ChannelListener } from '../client/index.js';
import {
  BASIC_PUBLISH,
  CONTENT_PROPERTIES_AT,
  decodeProperties,
  FRAME_BODY,
  FRAME_HEADER,
  FRAME_METHOD,
  FRAME_OVERHEAD,
  Writer,
  writeContentHeaderOf,
  type BasicProperties,
} from '../protocol/index.js';
import type { AckMode } from './config.js';
import { ConfirmWindow, type ReleaseSink } from './confirm-window.js';

/** What the forwarder asks of its shovel. */
export interface ForwarderOwner {
  /** Messages settled at the source so far, and how many the shovel may move in all (Infinity: no limit). */
  readonly moved: number;
  readonly limit: number;
  /** `n` more messages settled at the source (acked after publishing or confirming, or consumed with no-ack). */
  counted(n: number): void;
  /** The pair failed: the shovel drops both connections and retries. */
  failed(e: Error): void;
}

export interface ForwarderOptions {
  ackMode: AckMode;
  /** Where to publish: fixed (dest-queue, dest-exchange), or undefined for the message's own exchange / routing key. */
  exchange: string | undefined;
  routingKey: string | undefined;
  /** The properties to publish with, for shovels that rewrite them (forward headers, timestamp, publish properties). */
  rewrite: ((p: BasicProperties) => BasicProperties) | undefined;
  /** The source queue, named when the source cancels the consumer. */
  queue: string;
}

/** Pre-encoded short string. */
function shortstr(s: string): Buffer {
  const w = new Writer(1 + Buffer.byteLength(s));
  w.shortstr(s);
  return w.take();
}

/** Listens on the source channel (deliveries) and the destination channel (confirms); one per connection pair. */
export class Forwarder implements ChannelListener, ReleaseSink {
  private dead = false;
  /** The delivery being forwarded is not (beyond the limit, or after stop()): its frames are dropped. */
  private skipping = false;
  private tag = 0;
  /** The latest delivery whose last frame went into the destination's output. */
  private writtenTag = 0;
  /** Messages published in this pair and not yet counted (on-confirm: not yet confirmed; else: until the batch ends). */
  private inFlight = 0;
  /** Messages whose last frame went into the destination's output during this batch (on-publish, no-ack). */
  private written = 0;
  /** on-publish: the latest written tag not yet acked at the source (0: none). */
  private unackedTag = 0;
  private batchScheduled = false;
  private waitingForDrain = false;
  private readonly window: ConfirmWindow | undefined;
  private readonly exchangeRaw: Buffer | undefined;
  private readonly keyRaw: Buffer | undefined;
  private readonly bodyMax: number;
  private readonly dest: AmqpConnection;
  private readonly w: Writer;
  /** The destination channel's listener: confirms come back there. */
  readonly destListener: ChannelListener;

  constructor(
    private readonly owner: ForwarderOwner,
    private readonly src: AmqpConnection,
    private readonly srcChannel: number,
    dest: AmqpConnection,
    private readonly destChannel: number,
    private readonly o: ForwarderOptions,
  ) {
    this.dest = dest;
    this.w = dest.writer;
    this.bodyMax = dest.frameMax - FRAME_OVERHEAD;
    this.window = o.ackMode === 'on-confirm' ? new ConfirmWindow() : undefined;
    this.exchangeRaw = o.exchange === undefined ? undefined : shortstr(o.exchange);
    this.keyRaw = o.routingKey === undefined ? undefined : shortstr(o.routingKey);
    this.destListener = {
      confirm: (tag, multiple, ack) => this.confirmed(tag, multiple, ack),
      closed: (e) => this.closed(e),
    };
  }

  /** Drops whatever arrives from now on (a stopping shovel; unacked messages go back to the source queue). */
  stop(): void {
    this.dead = true;
  }

  // ---- source channel ----

  delivered(tag: number, _redelivered: boolean, m: Buffer, at: number): void {
    if (this.dead) {
      this.skipping = true;
      return;
    }
    const owner = this.owner;
    if (owner.moved + this.inFlight >= owner.limit) {
      // Prefetched past src-delete-after's count: back to the source queue (no-ack: nothing to give back).
      this.skipping = true;
      if (this.o.ackMode !== 'no-ack') {
        this.src.nack(this.srcChannel, tag, false, true);
        this.src.schedule();
      }
      return;
    }
    this.skipping = false;
    this.tag = tag;
    this.inFlight++;
    const w = this.w;
    w.beginFrame(FRAME_METHOD, this.destChannel);
    w.u32(BASIC_PUBLISH);
    w.u16(0);
    const exchangeEnd = at + 1 + m[at]!;
    if (this.exchangeRaw && this.keyRaw) {
      w.raw(this.exchangeRaw);
      w.raw(this.keyRaw);
    } else {
      const keyEnd = exchangeEnd + 1 + m[exchangeEnd]!;
      if (this.exchangeRaw) w.raw(this.exchangeRaw);
      else this.copy(m, at, exchangeEnd);
      if (this.keyRaw) w.raw(this.keyRaw);
      else this.copy(m, exchangeEnd, keyEnd);
    }
    w.u8(0); // mandatory, immediate
    w.endFrame();
    this.window?.push(tag);
    this.scheduleBatch();
  }

  contentHeader(payload: Buffer, bodySize: number): void {
    if (this.skipping) {
      if (bodySize === 0) this.skipping = false;
      return;
    }
    const w = this.w;
    const rewrite = this.o.rewrite;
    if (rewrite) {
      writeContentHeaderOf(w, this.destChannel, bodySize, rewrite(decodeProperties(payload, CONTENT_PROPERTIES_AT, payload.length)));
    } else {
      w.beginFrame(FRAME_HEADER, this.destChannel);
      w.raw(payload);
      w.endFrame();
    }
    if (bodySize === 0) {
      this.written++;
      this.writtenTag = this.tag;
    }
    this.scheduleBatch();
  }

  contentBody(payload: Buffer, last: boolean): void {
    if (this.skipping) {
      if (last) this.skipping = false;
      return;
    }
    const w = this.w;
    const n = payload.length;
    if (n <= this.bodyMax) {
      w.beginFrame(FRAME_BODY, this.destChannel);
      w.raw(payload);
      w.endFrame();
    } else {
      // The destination takes smaller frames than the source sent.
      for (let off = 0; off < n; off += this.bodyMax) {
        w.beginFrame(FRAME_BODY, this.destChannel);
        this.copy(payload, off, Math.min(off + this.bodyMax, n));
        w.endFrame();
      }
    }
    if (last) {
      this.written++;
      this.writtenTag = this.tag;
    }
    // A body may come in several reads: each one's frames go out once it is handled.
    this.scheduleBatch();
  }

  cancelled(): void {
    this.closed(new Error(`the source cancelled the consumer of queue '${this.o.queue}'`));
  }

  closed(e: Error): void {
    if (this.dead) return;
    this.owner.failed(e);
  }

  // ---- destination channel ----

  private confirmed(seq: number, multiple: boolean, ack: boolean): void {
    if (this.dead || !this.window) return;
    this.window.settle(seq, multiple, ack);
    this.scheduleBatch();
  }

  nackAtSource(tag: number): void {
    this.src.nack(this.srcChannel, tag, false, true);
  }

  // ---- batches ----

  private copy(from: Buffer, start: number, end: number): void {
    const w = this.w;
    w.ensure(end - start);
    from.copy(w.buf, w.pos, start, end);
    w.pos += end - start;
  }

  /** Everything queued while handling this turn's reads goes out in one write once they are handled. */
  private scheduleBatch(): void {
    if (this.batchScheduled) return;
    this.batchScheduled = true;
    setImmediate(this.endBatch);
  }

  private readonly endBatch = (): void => {
    this.batchScheduled = false;
    if (this.dead) return;
    const flowing = this.dest.flush() && !this.dest.congested;
    const mode = this.o.ackMode;
    if (mode === 'on-confirm') {
      this.settleConfirmed();
      return;
    }
    const n = this.written;
    this.written = 0;
    if (mode === 'on-publish' && n > 0) {
      this.unackedTag = this.writtenTag;
      // Acked once the destination's socket takes more: while it is backed up, acks wait (prefetch holds the source back).
      if (flowing) this.ackWritten();
      else if (!this.waitingForDrain) {
        this.waitingForDrain = true;
        this.dest.onDrain(this.drained);
      }
    }
    if (mode === 'no-ack' && !flowing && !this.waitingForDrain) {
      // Nothing else holds the source back: stop reading it until the destination's socket drains.
      this.waitingForDrain = true;
      this.src.pause();
      this.dest.onDrain(this.drained);
    }
    if (n > 0) {
      this.inFlight -= n;
      this.owner.counted(n);
    }
  };

  private readonly drained = (): void => {
    this.waitingForDrain = false;
    if (this.dead) return;
    if (this.o.ackMode === 'no-ack') this.src.resume();
    else this.ackWritten();
  };

  private ackWritten(): void {
    if (this.unackedTag === 0) return;
    this.src.ack(this.srcChannel, this.unackedTag, true);
    this.unackedTag = 0;
    this.src.flush();
  }

  private settleConfirmed(): void {
    const window = this.window!;
    const tag = window.release(this);
    const acks = window.releasedAcks;
    const settled = acks + window.releasedNacks;
    if (settled === 0) return;
    if (tag >= 0) this.src.ack(this.srcChannel, tag, true);
    this.src.flush();
    this.inFlight -= settled;
    if (acks > 0) this.owner.counted(acks);
  }
}
