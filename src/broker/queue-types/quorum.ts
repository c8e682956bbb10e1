// The quorum queue type (on one node): durable and shared only, counts deliveries, a default delivery limit, keeps every message.
import { preconditionFailed } from '../../protocol/index.js';
import type { QueueTypeDefinition } from './queue-type.js';

/** RabbitMQ 4.x's default delivery limit for quorum queues. */
export const QUORUM_DEFAULT_DELIVERY_LIMIT = 20;

export const QUORUM: QueueTypeDefinition = {
  name: 'quorum',
  module: 'rabbit_quorum_queue',
  declareArguments: new Set([
    'x-expires', 'x-message-ttl', 'x-dead-letter-exchange', 'x-dead-letter-routing-key', 'x-dead-letter-strategy',
    'x-max-length', 'x-max-length-bytes', 'x-max-in-memory-length', 'x-max-in-memory-bytes', 'x-overflow',
    'x-single-active-consumer', 'x-queue-type', 'x-quorum-initial-group-size', 'x-quorum-target-group-size',
    'x-delivery-limit', 'x-queue-leader-locator', 'x-consumer-timeout',
  ]),
  consumeArguments: new Set(['x-priority', 'x-credit']),
  policyTarget: 'quorum',
  serverNamed: false,
  globalQos: false,
  priorities: false,
  countsDeliveries: true,
  keepsEveryMessage: true,
  /** Quorum queues are durable, shared and long-lived: RabbitMQ refuses the other flags. */
  checkDeclare(flags, resource) {
    if (flags.autoDelete) throw preconditionFailed(`invalid property 'auto-delete' for ${resource}`);
    if (flags.exclusive) throw preconditionFailed(`invalid property 'exclusive-owner' for ${resource}`);
    if (!flags.durable) throw preconditionFailed(`invalid property 'non-durable' for ${resource}`);
  },
  complete(settings) {
    if (settings.deliveryLimit === undefined) settings.deliveryLimit = QUORUM_DEFAULT_DELIVERY_LIMIT;
  },
};
