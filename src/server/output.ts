// Outgoing frames for one socket: encoded into one reused buffer and written once per tick, with backpressure.
import type { Socket } from 'node:net';
import type { Message } from '../broker/index.js';
import {
  BASIC_DELIVER,
  encodeMethod,
  FRAME_BODY,
  FRAME_HEADER,
  FRAME_METHOD,
  FRAME_OVERHEAD,
  Writer,
  type Method,
} from '../protocol/index.js';

/** Bytes after which queued output is written without waiting for the end of the tick. */
const FLUSH_AT = 256 * 1024;

/** Called when a congested socket drains, so consumers can be served again. */
export type DrainListener = () => void;

export class Output {
  private readonly socket: Socket;
  private readonly w = new Writer(64 * 1024);
  private scheduled = false;
  /** Set when something was written since the heartbeat timer last looked. */
  sentSinceTick = false;
  /** True while the socket's send buffer is over its high-water mark. */
  congested = false;
  frameMax = 131072;
  private readonly onDrain: DrainListener;
  private closed = false;

  constructor(socket: Socket, onDrain: DrainListener) {
    this.socket = socket;
    this.onDrain = onDrain;
    socket.on('drain', () => {
      this.congested = false;
      this.onDrain();
    });
  }

  /** Queues a method frame. */
  method(channel: number, m: Method): void {
    const w = this.w;
    const start = w.pos;
    try {
      w.beginFrame(FRAME_METHOD, channel);
      encodeMethod(w, m);
      w.endFrame();
    } catch (e) {
      // A value that cannot be encoded (e.g. a shortstr grown past 255 bytes) must not leave half a frame behind.
      w.pos = start;
      throw e;
    }
    this.schedule();
  }

  /** Queues basic.deliver (consumer tag pre-encoded as a short string) and the message's content. */
  deliver(channel: number, consumerTag: Buffer, deliveryTag: number, redelivered: boolean, msg: Message): void {
    const w = this.w;
    const start = w.pos;
    w.beginFrame(FRAME_METHOD, channel);
    w.u32(BASIC_DELIVER);
    w.raw(consumerTag);
    w.u64(deliveryTag);
    w.u8(redelivered ? 1 : 0);
    if (msg.routingRaw !== undefined) {
      w.raw(msg.routingRaw);
    } else {
      try {
        w.shortstr(msg.exchange);
        w.shortstr(msg.routingKey);
      } catch (e) {
        // Never half a frame left behind.
        w.pos = start;
        throw e;
      }
    }
    w.endFrame();
    this.content(channel, msg.propertiesRaw, msg.body);
  }

  /** Queues a content header and body frames (split at frame_max) for a method just queued. */
  content(channel: number, propertiesRaw: Buffer, body: Buffer): void {
    const w = this.w;
    w.beginFrame(FRAME_HEADER, channel);
    w.u16(60);
    w.u16(0);
    w.u64(body.length);
    w.raw(propertiesRaw);
    w.endFrame();
    const max = this.frameMax - FRAME_OVERHEAD;
    for (let off = 0; off < body.length; off += max) {
      w.beginFrame(FRAME_BODY, channel);
      w.raw(off === 0 && body.length <= max ? body : body.subarray(off, Math.min(off + max, body.length)));
      w.endFrame();
    }
    // Write big batches at once so backpressure shows before a whole queue is encoded.
    if (w.pos >= FLUSH_AT) this.flush();
    else this.schedule();
  }

  heartbeat(): void {
    this.w.heartbeat();
    this.flush();
  }

  /** Raw bytes (the protocol header answer). */
  raw(bytes: Buffer): void {
    this.w.raw(bytes);
    this.schedule();
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    queueMicrotask(this.flushTask);
  }

  private readonly flushTask = (): void => {
    this.scheduled = false;
    this.flush();
  };

  /** Writes everything queued so far in one socket write. */
  flush(): void {
    if (this.w.pos === 0 || this.closed) return;
    this.sentSinceTick = true;
    if (!this.socket.write(this.w.take())) {
      // The peer is not reading: stop delivering to it and stop reading from it until 'drain'.
      this.congested = true;
      this.socket.pause();
    }
  }

  /** Flushes, then ends the socket once written. */
  end(): void {
    this.flush();
    this.closed = true;
    this.socket.end();
  }

  /** Drops anything pending (socket already gone). */
  discard(): void {
    this.closed = true;
    this.w.pos = 0;
  }
}
