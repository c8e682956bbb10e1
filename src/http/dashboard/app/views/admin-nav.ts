// The Admin tab's pages and their sub-navigation (users, virtual hosts, permissions, policies, shovels, definitions).
import { h } from '../dom.js';

/** The Admin tab's pages in nav order: a section name (see sections.ts) and its label. Add a page by adding it here. */
export const ADMIN_PAGES: readonly (readonly [section: string, label: string])[] = [
  ['users', 'Users'],
  ['vhosts', 'Virtual hosts'],
  ['permissions', 'Permissions'],
  ['policies', 'Policies'],
  ['shovels', 'Shovels'],
  ['definitions', 'Definitions'],
];

/** The Admin sub-navigation, with the current page marked. */
export function adminNav(current: string): HTMLElement {
  return h(
    'nav',
    { class: 'subnav', 'aria-label': 'Admin' },
    ADMIN_PAGES.map(([section, label]) => h('a', { href: '#/' + section, 'aria-current': section === current ? 'page' : null }, label)),
  );
}
