// What a channel's owner hears from the client: the ChannelListener callbacks (in place on the hot path) and the Delivery a collecting channel gets.
import type { BasicProperties } from '../protocol/index.js';

export interface Delivery {
  consumerTag: string;
  deliveryTag: number;
  redelivered: boolean;
  exchange: string;
  routingKey: string;
  properties: BasicProperties;
  body: Buffer;
  /** basic.get-ok's count of messages left in the queue. */
  messageCount?: number;
  /** basic.return's reply code and text. */
  replyCode?: number;
  replyText?: string;
}

/**
 * What a channel's owner hears. The hot-path callbacks get bytes in place: `buf[start, end)` is valid only during the
 * call. Implement them as methods of one class per role, so that no closure is made per message.
 */
export interface ChannelListener {
  /** A whole delivered message: its tag, and its first body bytes in place (at least 16 of them when the body has that many). */
  message?(tag: number, redelivered: boolean, buf: Buffer, start: number, end: number, bodySize: number): void;
  /** A whole delivered message with decoded properties and a copied body (channels opened with `collect`). */
  content?(d: Delivery): void;
  /**
   * Frame by frame, in place (channels not collecting whose listener has `contentHeader`; `message` is then not
   * called): basic.deliver's payload with its exchange and routing key (two short strings) at `routingAt`, then the
   * content header's payload, then each body frame's payload (`last` on the final one; none when the body is empty).
   * The buffers are valid only during the call. For forwarding content as it came (shovels).
   */
  delivered?(tag: number, redelivered: boolean, method: Buffer, routingAt: number): void;
  contentHeader?(payload: Buffer, bodySize: number): void;
  contentBody?(payload: Buffer, last: boolean): void;
  /** basic.ack (ack = true) or basic.nack from the broker in confirm mode. */
  confirm?(tag: number, multiple: boolean, ack: boolean): void;
  /** A whole basic.return (an unroutable mandatory message); `d` is given on channels opened with `collect`. */
  returned?(replyCode: number, d?: Delivery): void;
  /** The broker cancelled a consumer (basic.cancel), e.g. because its queue was deleted. */
  cancelled?(consumerTag: string): void;
  /** The broker closed the channel (channel.close) or the connection failed. Without it, a channel close fails the connection. */
  closed?(e: Error): void;
}
