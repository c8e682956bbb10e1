// The AMQP permission checks the management API applies: RabbitMQ's API publishes and binds over a direct AMQP
// connection as the API user, so vhost access, configure/write/read and topic permissions hold there too.
import { exchangeResource, type Broker, type User, type VirtualHost } from '../broker/index.js';
import { HttpError } from './http-kit.js';
import { isAdministrator } from './users.js';

/**
 * 401 unless the user may open a connection to the vhost: RabbitMQ's is_authorized_vhost refuses a non-administrator;
 * an administrator gets past it and is refused when the direct connection is.
 */
export function checkVhostAccess(broker: Broker, user: User, vhost: VirtualHost): void {
  if (broker.permissions.get(user.name, vhost.name)) return;
  throw new HttpError(401, 'not_authorised', isAdministrator(user) ? 'Access refused.' : 'User not authorised to access virtual host');
}

/**
 * A binding made or removed through the API: write on the destination, read on the source and, on a topic source
 * exchange, the topic read pattern for the binding key, as queue.bind / exchange.bind check them; refused as RabbitMQ's
 * API refuses them (401 "Access refused.").
 */
export function checkBindingAccess(broker: Broker, user: User, v: VirtualHost, source: string, destination: string, routingKey: string): void {
  const p = broker.permissions;
  const x = v.exchanges.get(source);
  const allowed =
    p.allows(user.name, v.name, 'write', exchangeResource(destination)) &&
    p.allows(user.name, v.name, 'read', exchangeResource(source)) &&
    (x === undefined || x.type !== 'topic' || !p.hasTopic || p.allowsTopic(user.name, v.name, x.name, 'read', routingKey));
  if (!allowed) throw new HttpError(401, 'not_authorised', 'Access refused.');
}
