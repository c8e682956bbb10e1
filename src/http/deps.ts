// What the HTTP servers read from a running broker, and the lookups and error mappings every route shares.
import type { Broker, VirtualHost } from '../broker/index.js';
import { AmqpError } from '../protocol/index.js';
import type { AmqpServer, Connection } from '../server/index.js';
import type { ShovelSupervisor } from '../shovel/index.js';
import { WARREN_VERSION } from '../shared/version.js';
import { badRequest, HttpError, objectNotFound } from './http-kit.js';

/** A running broker as startBroker() returns it (only these parts are used). */
export interface ManagementDeps {
  readonly broker: Broker;
  readonly server: AmqpServer;
  /** The AMQP port actually listened on (the server's options may say 0). */
  readonly port?: number;
  /** The dynamic shovels, when the broker runs them. */
  readonly shovels?: ShovelSupervisor;
}

/** The node name the API reports (the cluster name until the cluster_name global parameter sets another). */
export { NODE_NAME } from '../server/server-properties.js';
export const PRODUCT_VERSION = WARREN_VERSION;
/** Management API id for no connection: exclusive queues always belong to a real connection (ids start at 1). */
export { NO_CONNECTION } from '../definitions/index.js';

/** The vhost named in a path, or 404. */
export function vhostOr404(broker: Broker, name: string): VirtualHost {
  const v = broker.vhosts.get(name);
  if (!v) throw objectNotFound();
  return v;
}

/** Open connections (past the handshake), in accept order. */
export function openConnections(server: AmqpServer): Connection[] {
  return [...server.connections].filter((c) => c.vhost !== undefined);
}

export { connectionName, hostOf } from '../server/index.js';

/** Maps a broker error from a declare, delete, bind or purge as the management plugin does. */
export function httpErrorOf(e: unknown): unknown {
  if (!(e instanceof AmqpError)) return e;
  switch (e.code) {
    case 403:
      return new HttpError(401, 'not_authorised', 'Access refused.');
    case 404:
      return new HttpError(404, 'not_found', e.detail);
    default:
      return badRequest(e.detail);
  }
}

/** Runs a broker mutation, turning its AmqpError into the management plugin's HTTP error. */
export function viaBroker<T>(fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    throw httpErrorOf(e);
  }
}
