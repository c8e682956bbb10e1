// The server-properties table sent in connection.start: RabbitMQ's keys; each capability is proven by conformance/cases/capabilities.test.ts.
import { bool, str, table, tableOf, type FieldTable } from '../protocol/index.js';
import { RABBITMQ_COMPAT_VERSION, WARREN_VERSION } from '../shared/version.js';

export const CAPABILITIES: FieldTable = tableOf({
  publisher_confirms: bool(true),
  exchange_exchange_bindings: bool(true),
  'basic.nack': bool(true),
  consumer_cancel_notify: bool(true),
  'connection.blocked': bool(true),
  consumer_priorities: bool(true),
  authentication_failure_close: bool(true),
  per_consumer_qos: bool(true),
  direct_reply_to: bool(true),
});

/** The node's name, which is the cluster name until the `cluster_name` global parameter sets another. */
export const NODE_NAME = 'warren@localhost';

export { RABBITMQ_COMPAT_VERSION };

/** What the broker says it is, on every surface (connection.start, /api/overview, rabbitmq_build_info). */
export interface AdvertisedIdentity {
  product: string;
  /** connection.start's `version`. */
  version: string;
  /** The RabbitMQ version tools see: the override when one is set, else the release Warren follows. */
  rabbitmqVersion: string;
}

export function advertisedIdentity(o: { serverProduct: string; serverVersion: string | undefined }): AdvertisedIdentity {
  return { product: o.serverProduct, version: o.serverVersion ?? WARREN_VERSION, rabbitmqVersion: o.serverVersion ?? RABBITMQ_COMPAT_VERSION };
}

export function serverProperties(identity: AdvertisedIdentity, clusterName: string = NODE_NAME): FieldTable {
  return tableOf({
    capabilities: table(CAPABILITIES),
    cluster_name: str(clusterName),
    copyright: str('Copyright (c) the Warren authors'),
    information: str('Warren, an AMQP 0-9-1 broker. Licensed under the MIT licence.'),
    platform: str(`Node.js ${process.version}`),
    product: str(identity.product),
    version: str(identity.version),
  });
}
