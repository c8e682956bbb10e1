// Outgoing frames for one socket: encoded into one reused buffer and written once per tick, with backpressure.
import type { Socket } from 'node:net';
import type { Message } from '../broker/index.js';
import { encodeMethod, FRAME_METHOD, FRAME_OVERHEAD, writeBodyFrames, writeContentHeader, writeDeliver, writeDelivery, Writer, type Method } from '../protocol/index.js';

/** Bytes after which queued output is written without waiting for the end of the tick. */
const FLUSH_AT = 256 * 1024;

/** Called when a congested socket drains, so consumers can be served again. */
export type DrainListener = () => void;

export class Output {
  private readonly socket: Socket;
  /**
   * Starts with no buffer and 1 KB at the first write, handed over whole to the socket while it stays small, so an
   * idle connection holds none; the first burst grows it by doubling, and it stays grown (then flushes copy from it).
   */
  private readonly w = new Writer(1024, true);
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
    const routingRaw = msg.routingRaw;
    if (routingRaw !== undefined && msg.body.length <= this.frameMax - FRAME_OVERHEAD) {
      // The common case (routing as published, a body that fits one frame): the three frames in one go.
      writeDelivery(this.w, channel, consumerTag, deliveryTag, redelivered, routingRaw, msg.propertiesRaw, msg.body);
      if (this.w.pos >= FLUSH_AT) this.flush();
      else this.schedule();
      return;
    }
    writeDeliver(this.w, channel, consumerTag, deliveryTag, redelivered, msg.routingRaw, msg.exchange, msg.routingKey);
    this.content(channel, msg.propertiesRaw, msg.body);
  }

  /** Queues a content header and body frames (split at frame_max) for a method just queued. */
  content(channel: number, propertiesRaw: Buffer, body: Buffer): void {
    const w = this.w;
    writeContentHeader(w, channel, body.length, propertiesRaw);
    writeBodyFrames(w, channel, body, this.frameMax);
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
    if (!this.socket.write(this.w.handOver())) {
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
