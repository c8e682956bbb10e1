// Queue types registered by x-queue-type name (classic, quorum; stream comes next), and arguments only other types know.
import { CLASSIC } from './classic.js';
import { QUORUM } from './quorum.js';
import type { QueueTypeDefinition } from './queue-type.js';

export type { QueueDeclareFlags, QueueTypeDefinition } from './queue-type.js';
export { CLASSIC } from './classic.js';
export { QUORUM, QUORUM_DEFAULT_DELIVERY_LIMIT } from './quorum.js';

const TYPES = new Map<string, QueueTypeDefinition>([
  [CLASSIC.name, CLASSIC],
  [QUORUM.name, QUORUM],
]);

/** Stream arguments, refused by the types above until a stream type is registered. */
const STREAM_DECLARE_ARGS = [
  'x-max-length-bytes', 'x-max-age', 'x-stream-max-segment-size-bytes', 'x-queue-type', 'x-initial-cluster-size',
  'x-queue-leader-locator', 'x-stream-filter-size-bytes',
];
const STREAM_CONSUME_ARGS = ['x-stream-offset', 'x-stream-filter', 'x-stream-match-unfiltered'];

/** The registered type of that name, or undefined. */
export function queueTypeNamed(name: string): QueueTypeDefinition | undefined {
  return TYPES.get(name);
}

/** Every queue.declare argument some type (registered or known to RabbitMQ) understands. */
export const KNOWN_DECLARE_ARGS: ReadonlySet<string> = new Set([...[...TYPES.values()].flatMap((t) => [...t.declareArguments]), ...STREAM_DECLARE_ARGS]);
/** Every basic.consume argument some type understands. */
export const KNOWN_CONSUME_ARGS: ReadonlySet<string> = new Set([...[...TYPES.values()].flatMap((t) => [...t.consumeArguments]), ...STREAM_CONSUME_ARGS]);
