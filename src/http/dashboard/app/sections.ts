// The dashboard's pages by section name (the first segment of the location hash): a list and, for some, a detail page.
import { mountBindings } from './views/bindings.js';
import { mountDefinitions } from './views/definitions.js';
import { mountPermissions } from './views/permissions.js';
import { mountPolicies } from './views/policies.js';
import { mountShovels } from './views/shovels.js';
import { mountTrace } from './views/trace.js';
import { mountUsers } from './views/users.js';
import { mountVhosts } from './views/vhosts.js';
import { mountChannels, mountConnections } from './views/connections.js';
import { mountExchange, mountExchanges } from './views/exchanges.js';
import { mountOverview } from './views/overview.js';
import { mountQueue, mountQueues } from './views/queues.js';
import type { Mount, MountDetail } from './views/view.js';

export interface Section {
  title: string;
  list: Mount;
  detail?: MountDetail;
  /** The header tab it belongs to, when not its own (the Admin pages). */
  tab?: string;
}

export const SECTIONS: Readonly<Record<string, Section>> = {
  overview: { title: 'Overview', list: mountOverview },
  connections: { title: 'Connections', list: mountConnections },
  channels: { title: 'Channels', list: mountChannels },
  exchanges: { title: 'Exchanges', list: mountExchanges, detail: mountExchange },
  queues: { title: 'Queues', list: mountQueues, detail: mountQueue },
  bindings: { title: 'Bindings', list: mountBindings },
  trace: { title: 'Trace', list: mountTrace },
  users: { title: 'Users', list: mountUsers, tab: 'admin' },
  vhosts: { title: 'Virtual hosts', list: mountVhosts, tab: 'admin' },
  permissions: { title: 'Permissions', list: mountPermissions, tab: 'admin' },
  policies: { title: 'Policies', list: mountPolicies, tab: 'admin' },
  shovels: { title: 'Shovels', list: mountShovels, tab: 'admin' },
  definitions: { title: 'Definitions', list: mountDefinitions, tab: 'admin' },
};
