// The dashboard's pages by section name (the first segment of the location hash): a list and, for some, a detail page.
import { mountBindings } from './views/bindings.js';
import { mountChannels, mountConnections } from './views/connections.js';
import { mountExchange, mountExchanges } from './views/exchanges.js';
import { mountOverview } from './views/overview.js';
import { mountQueue, mountQueues } from './views/queues.js';
import type { Mount, MountDetail } from './views/view.js';

export interface Section {
  title: string;
  list: Mount;
  detail?: MountDetail;
}

export const SECTIONS: Readonly<Record<string, Section>> = {
  overview: { title: 'Overview', list: mountOverview },
  connections: { title: 'Connections', list: mountConnections },
  channels: { title: 'Channels', list: mountChannels },
  exchanges: { title: 'Exchanges', list: mountExchanges, detail: mountExchange },
  queues: { title: 'Queues', list: mountQueues, detail: mountQueue },
  bindings: { title: 'Bindings', list: mountBindings },
};
