// The Permissions admin page: users' permissions and topic permissions per virtual host, set and revoked.
import { api } from '../api.js';
import { enc, h } from '../dom.js';
import { defaultVhost, state, type Refresh } from '../state.js';
import type { Permission, TopicPermission, User } from '../types.js';
import { card, field, fillSelect, form, onSubmit, pageHeader, renderTable, rowDeleteButton, status, tableCard, textInput } from '../widgets.js';
import { adminNav } from './admin-nav.js';

const path = (kind: 'permissions' | 'topic-permissions', vhost: string, user: string): string => '/' + kind + '/' + enc(vhost) + '/' + enc(user);

/** User and virtual host selects, refilled on every poll. */
function target(): { user: HTMLSelectElement; vhost: HTMLSelectElement; fill: (users: readonly string[]) => void } {
  const user = h('select', {});
  const vhost = h('select', {});
  return {
    user,
    vhost,
    fill: (users) => {
      fillSelect(user, users, state.user?.name);
      fillSelect(vhost, state.vhosts, defaultVhost());
    },
  };
}

const pattern = (value: string): HTMLInputElement => textInput({ value });

export function mountPermissions(root: HTMLElement): Refresh {
  const permsTable = h('table', { class: 'grid', 'aria-label': 'Permissions' });
  const topicTable = h('table', { class: 'grid', 'aria-label': 'Topic permissions' });
  const out = status();

  const p = target();
  const configure = pattern('.*');
  const write = pattern('.*');
  const read = pattern('.*');
  const permOut = status();
  const permForm = form(
    h('div', { class: 'row' }, field('User', p.user), field('Virtual host', p.vhost)),
    h('div', { class: 'row' }, field('Configure regexp', configure), field('Write regexp', write), field('Read regexp', read)),
    h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'primary' }, 'Set permission'), permOut),
  );
  onSubmit(permForm, permOut, 'Could not set the permission', async () => {
    await api('PUT', path('permissions', p.vhost.value, p.user.value), { configure: configure.value, write: write.value, read: read.value });
    return 'Permission of ' + p.user.value + ' in ' + p.vhost.value + ' set.';
  });

  const t = target();
  const exchange = textInput({ value: 'amq.topic' });
  const topicWrite = pattern('.*');
  const topicRead = pattern('.*');
  const topicOut = status();
  const topicForm = form(
    h('div', { class: 'row' }, field('User', t.user), field('Virtual host', t.vhost), field('Topic exchange', exchange)),
    h('div', { class: 'row' }, field('Write regexp', topicWrite, 'Routing keys the user may publish with'), field('Read regexp', topicRead, 'Routing keys the user may bind with')),
    h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'primary' }, 'Set topic permission'), topicOut),
  );
  onSubmit(topicForm, topicOut, 'Could not set the topic permission', async () => {
    await api('PUT', path('topic-permissions', t.vhost.value, t.user.value), { exchange: exchange.value, write: topicWrite.value, read: topicRead.value });
    return 'Topic permission of ' + t.user.value + ' on ' + exchange.value + ' set.';
  });

  root.append(
    adminNav('permissions'),
    pageHeader('Permissions', out),
    tableCard(permsTable),
    card('Set a permission', permForm),
    h('h2', {}, 'Topic permissions'),
    tableCard(topicTable),
    card('Set a topic permission', topicForm),
  );
  return async () => {
    const [users, perms, topics] = await Promise.all([api<User[]>('GET', '/users'), api<Permission[]>('GET', '/permissions'), api<TopicPermission[]>('GET', '/topic-permissions')]);
    const names = users.map((u) => u.name).sort();
    p.fill(names);
    t.fill(names);
    renderTable<Permission>(
      permsTable,
      [
        { id: 'user', label: 'User', text: (x) => x.user },
        { id: 'vhost', label: 'Virtual host', text: (x) => x.vhost },
        { id: 'configure', label: 'Configure', text: (x) => x.configure },
        { id: 'write', label: 'Write', text: (x) => x.write },
        { id: 'read', label: 'Read', text: (x) => x.read },
        {
          id: 'actions',
          label: 'Actions',
          text: (x) => x.user + '\n' + x.vhost,
          cell: (x) =>
            rowDeleteButton('Revoke', 'permission of ' + x.user + ' in ' + x.vhost, out, async () => (await api('DELETE', path('permissions', x.vhost, x.user)), 'Permission of ' + x.user + ' in ' + x.vhost + ' revoked.')),
        },
      ],
      perms,
      (x) => JSON.stringify([x.user, x.vhost]),
      'No permissions.',
    );
    renderTable<TopicPermission>(
      topicTable,
      [
        { id: 'user', label: 'User', text: (x) => x.user },
        { id: 'vhost', label: 'Virtual host', text: (x) => x.vhost },
        { id: 'exchange', label: 'Exchange', text: (x) => x.exchange },
        { id: 'write', label: 'Write', text: (x) => x.write },
        { id: 'read', label: 'Read', text: (x) => x.read },
        {
          id: 'actions',
          label: 'Actions',
          text: (x) => x.user + '\n' + x.vhost,
          cell: (x) =>
            rowDeleteButton('Revoke', 'topic permissions of ' + x.user + ' in ' + x.vhost, out, async () => (await api('DELETE', path('topic-permissions', x.vhost, x.user)), 'Topic permissions of ' + x.user + ' in ' + x.vhost + ' revoked.')),
        },
      ],
      topics,
      (x) => JSON.stringify([x.user, x.vhost, x.exchange]),
      'No topic permissions.',
    );
  };
}
