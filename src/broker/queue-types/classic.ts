// The classic queue type: priorities (x-max-priority), global qos, server-named, exclusive and transient queues.
import type { QueueTypeDefinition } from './queue-type.js';

export const CLASSIC: QueueTypeDefinition = {
  name: 'classic',
  module: 'rabbit_classic_queue',
  declareArguments: new Set([
    'x-expires', 'x-message-ttl', 'x-dead-letter-exchange', 'x-dead-letter-routing-key', 'x-max-length',
    'x-max-length-bytes', 'x-max-priority', 'x-overflow', 'x-queue-mode', 'x-queue-version',
    'x-single-active-consumer', 'x-queue-type', 'x-queue-master-locator', 'x-consumer-timeout',
  ]),
  consumeArguments: new Set(['x-priority', 'x-credit', 'x-cancel-on-ha-failover']),
  policyTarget: 'classic',
  serverNamed: true,
  globalQos: true,
  priorities: true,
  countsDeliveries: false,
  keepsEveryMessage: false,
  checkDeclare() {},
  complete() {},
};
