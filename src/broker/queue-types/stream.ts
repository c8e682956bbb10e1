// The stream queue type: an append-only log read by offset; durable, shared and named only, retention by size and age.
import { preconditionFailed } from '../../protocol/index.js';
import type { QueueTypeDefinition } from './queue-type.js';

/** RabbitMQ's default and largest x-stream-max-segment-size-bytes. */
export const STREAM_DEFAULT_SEGMENT_BYTES = 500_000_000;
export const STREAM_MAX_SEGMENT_BYTES = 3_000_000_000;

export const STREAM: QueueTypeDefinition = {
  name: 'stream',
  module: 'rabbit_stream_queue',
  declareArguments: new Set([
    'x-max-length-bytes', 'x-max-age', 'x-stream-max-segment-size-bytes', 'x-queue-type', 'x-initial-cluster-size',
    'x-queue-leader-locator', 'x-stream-filter-size-bytes',
  ]),
  consumeArguments: new Set(['x-stream-offset', 'x-stream-filter', 'x-stream-match-unfiltered', 'x-credit']),
  policyTarget: 'stream',
  serverNamed: false,
  globalQos: false,
  priorities: false,
  countsDeliveries: false,
  keepsEveryMessage: false,
  /** As a quorum queue's, then the segment size ceiling (checked by RabbitMQ after the flags). */
  checkDeclare(flags, resource, settings) {
    if (flags.autoDelete) throw preconditionFailed(`invalid property 'auto-delete' for ${resource}`);
    if (flags.exclusive) throw preconditionFailed(`invalid property 'exclusive-owner' for ${resource}`);
    if (!flags.durable) throw preconditionFailed(`invalid property 'non-durable' for ${resource}`);
    if ((settings?.streamMaxSegmentSizeBytes ?? 0) > STREAM_MAX_SEGMENT_BYTES) {
      throw preconditionFailed('Exceeded max value for x-stream-max-segment-size-bytes');
    }
  },
  complete() {},
};
