// The broker's permission table, as the management API and definitions see it.
import type { Broker, PermissionTable } from '../broker/index.js';

export type { Permission, TopicPermission } from '../broker/index.js';

/** The broker's permission table (shared by the management API, definitions and the AMQP server). */
export function permissionsOf(broker: Broker): PermissionTable {
  return broker.permissions;
}
