// Queue types registered by x-queue-type name (classic, quorum, stream), and the arguments some type knows.
import { CLASSIC } from './classic.js';
import { QUORUM } from './quorum.js';
import { STREAM } from './stream.js';
import type { QueueTypeDefinition } from './queue-type.js';

export type { QueueDeclareFlags, QueueTypeDefinition } from './queue-type.js';
export { CLASSIC } from './classic.js';
export { QUORUM, QUORUM_DEFAULT_DELIVERY_LIMIT } from './quorum.js';
export { STREAM, STREAM_DEFAULT_SEGMENT_BYTES, STREAM_MAX_SEGMENT_BYTES } from './stream.js';

const TYPES = new Map<string, QueueTypeDefinition>([
  [CLASSIC.name, CLASSIC],
  [QUORUM.name, QUORUM],
  [STREAM.name, STREAM],
]);

/** The registered type of that name, or undefined. */
export function queueTypeNamed(name: string): QueueTypeDefinition | undefined {
  return TYPES.get(name);
}

/** Every queue.declare argument some type (registered or known to RabbitMQ) understands. */
export const KNOWN_DECLARE_ARGS: ReadonlySet<string> = new Set([...[...TYPES.values()].flatMap((t) => [...t.declareArguments])]);
/** Every basic.consume argument some type understands. */
export const KNOWN_CONSUME_ARGS: ReadonlySet<string> = new Set([...[...TYPES.values()].flatMap((t) => [...t.consumeArguments])]);
