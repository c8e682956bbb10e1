// What a dashboard page is: a mount function that builds the page into a root and returns its poll function.
import type { Refresh } from '../state.js';
import { state } from '../state.js';
import type { Column } from '../widgets.js';

/** '#/queues/%2F/orders' → { section: 'queues', vhost: '/', name: 'orders' }. */
export interface Route {
  section: string;
  vhost?: string | undefined;
  name?: string | undefined;
}

export type Mount = (root: HTMLElement, route: Route) => Refresh;

/** Detail pages get their virtual host and name. */
export type MountDetail = (root: HTMLElement, route: { vhost: string; name: string }) => Refresh;

const showVhostColumn = (): boolean => state.prefs.vhost === '' && state.vhosts.length > 1;

/** The virtual host column, shown when several virtual hosts are listed together. */
export const vhostColumn = <T extends { vhost?: string | undefined }>(): Column<T> | null =>
  showVhostColumn() ? { id: 'vhost', label: 'Virtual host', text: (r) => r.vhost ?? '' } : null;
