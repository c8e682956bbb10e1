// purge() and reset(): bring a vhost back to empty between tests, through the management API.
import { Management, enc, managementUrlFrom } from './management.js';

export interface VhostTarget {
  /** Default '/'. */
  vhost?: string;
  /** Default: WARREN_MANAGEMENT_URL, as the global setup exports it. */
  managementUrl?: string;
}

/** Empties every queue of the vhost (the queues, their bindings and consumers stay). */
export async function purge(target: VhostTarget = {}): Promise<void> {
  const vhost = target.vhost ?? '/';
  const api = new Management(managementUrlFrom(target.managementUrl));
  for (const q of await api.queues(vhost)) await api.call('DELETE', `/api/queues/${enc(vhost)}/${enc(q.name)}/contents`, undefined, true);
}

/** Deletes every queue and every exchange of the vhost but the default and amq.* ones (bindings go with them). */
export async function reset(target: VhostTarget = {}): Promise<void> {
  const vhost = target.vhost ?? '/';
  const api = new Management(managementUrlFrom(target.managementUrl));
  for (const q of await api.queues(vhost)) await api.call('DELETE', `/api/queues/${enc(vhost)}/${enc(q.name)}`, undefined, true);
  for (const x of await api.exchanges(vhost)) {
    if (x.name === '' || x.name.startsWith('amq.')) continue;
    await api.call('DELETE', `/api/exchanges/${enc(vhost)}/${enc(x.name)}`, undefined, true);
  }
}
