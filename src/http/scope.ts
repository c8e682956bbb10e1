// What a management API user may call and see, as RabbitMQ 3.10's management plugin decides it from tags and vhost permissions.
import type { Broker, User } from '../broker/index.js';
import { HttpError } from './http-kit.js';
import type { Access } from './router.js';
import { isAdministrator, isMonitor, isPolicymaker } from './users.js';

const VHOST_REFUSED = 'User not authorised to access virtual host';

/**
 * Whether the user may use the vhost through the API and sees its queues, exchanges and bindings in lists: an
 * administrator every vhost, anyone else those they have permissions in (RabbitMQ's is_authorized_vhost and
 * filter_vhost). A monitoring user is no exception: unlike connections and the vhost list, it lists only these.
 */
export function canAccessVhost(broker: Broker, user: User, vhost: string): boolean {
  return isAdministrator(user) || broker.permissions.get(user.name, vhost) !== undefined;
}

/** Whether the vhost is listed to the user (/api/vhosts, vhost limits): monitoring and administrators see every one. */
export function canSeeVhost(broker: Broker, user: User, vhost: string): boolean {
  return isMonitor(user) || broker.permissions.get(user.name, vhost) !== undefined;
}

/** Whether the user sees a connection (and its channels and consumers) opened by `owner`: their own, or all when monitoring. */
export function seesClientOf(user: User, owner: string): boolean {
  return isMonitor(user) || user.name === owner;
}

/**
 * 401 unless the user may read (GET) or close (DELETE) a connection or channel opened by `owner`: reading needs
 * monitoring or ownership, closing administrator or ownership (a monitoring user may not close others' connections).
 */
export function checkClientAccess(user: User, owner: string, method: string): void {
  const allowed = method === 'DELETE' ? isAdministrator(user) || user.name === owner : seesClientOf(user, owner);
  if (!allowed) throw new HttpError(401, 'not_authorised', 'User not authorised to access object');
}

/**
 * The route-level check, after the user is known to be a management user. A path naming a vhost that does not
 * exist passes, so that the route answers its 404 (RabbitMQ's is_authorized_vhost does the same).
 */
export function authorizeRoute(broker: Broker, user: User, access: Access, vhost: string | undefined): void {
  switch (access) {
    case 'administrator':
      if (!isAdministrator(user)) throw new HttpError(401, 'not_authorised', 'Not administrator user');
      return;
    case 'monitoring':
      if (!isMonitor(user)) throw new HttpError(401, 'not_authorised', 'Not monitor user');
      return;
    case 'policymaker': {
      // RabbitMQ's is_authorized_policies: the tag, and (for a vhost that exists) access to it.
      const inVhost = vhost === undefined || !broker.vhosts.has(vhost) || canAccessVhost(broker, user, vhost);
      if (!isPolicymaker(user) || !inVhost) throw new HttpError(401, 'not_authorised', 'User not authorised to access object');
      return;
    }
    case 'vhost':
    case 'visible-vhost': {
      if (vhost === undefined || !broker.vhosts.has(vhost)) return;
      const allowed = access === 'vhost' ? canAccessVhost(broker, user, vhost) : canSeeVhost(broker, user, vhost);
      if (!allowed) throw new HttpError(401, 'not_authorised', VHOST_REFUSED);
      return;
    }
    case 'management':
    case 'public':
      return;
  }
}
