// What a queue does to a message on its way in and out: the TTL it gets, the priority level it takes, and the
// x-delivery-count header a counting queue type (quorum) adds on redelivery.
import { long } from '../protocol/index.js';
import { PROP_FLAG, type Message } from './message.js';

/** The lower of the queue's and the message's TTL, either may be unset. */
export function minTtl(a: number | undefined, b: number | undefined): number | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return Math.min(a, b);
}

/** The level a message takes in a priority queue: its priority property, capped at x-max-priority. */
export function priorityOf(message: Message, max: number): number {
  if (!message.hasFlag(PROP_FLAG.priority)) return 0;
  return Math.min(message.properties.priority ?? 0, max);
}

/** A quorum queue's redelivery carries the number of earlier returns in x-delivery-count. */
export function withDeliveryCount(message: Message, count: number): Message {
  const props = message.properties;
  const headers = new Map(props.headers ?? []);
  headers.set('x-delivery-count', long(count));
  return message.withProperties({ ...props, headers });
}
