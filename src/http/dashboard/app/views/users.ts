// The Users admin page: list users, add one, set a user's tags or password, delete one (RabbitMQ's /api/users).
import { api } from '../api.js';
import { enc, h } from '../dom.js';
import type { Refresh } from '../state.js';
import type { User } from '../types.js';
import { card, field, fillSelect, form, onSubmit, pageHeader, renderTable, rowDeleteButton, status, tableCard, textInput } from '../widgets.js';
import { adminNav } from './admin-nav.js';

const tagsOf = (u: User): string[] => (typeof u.tags === 'string' ? u.tags.split(',').filter((t) => t !== '') : u.tags);

/** "administrator, monitoring" → "administrator,monitoring", as RabbitMQ's tags field takes them. */
const tagsValue = (text: string): string =>
  text
    .split(',')
    .map((t) => t.trim())
    .filter((t) => t !== '')
    .join(',');

export function mountUsers(root: HTMLElement): Refresh {
  const table = h('table', { class: 'grid', 'aria-label': 'Users' });
  const out = status();
  const addOut = status();

  const name = textInput();
  const password = h('input', { type: 'password', autocomplete: 'new-password' });
  const tags = textInput({ placeholder: 'administrator, monitoring' });
  const addForm = form(
    h('div', { class: 'row' }, field('Username', name), field('Password', password), field('Tags', tags, 'Comma-separated: administrator, monitoring, policymaker, management')),
    h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'primary' }, 'Add user'), addOut),
  );
  onSubmit(addForm, addOut, 'Could not add the user', async () => {
    if (name.value === '') throw new Error('a username is required');
    await api('PUT', '/users/' + enc(name.value), { password: password.value, tags: tagsValue(tags.value) });
    const added = name.value;
    name.value = '';
    password.value = '';
    tags.value = '';
    return 'User ' + added + ' added.';
  });

  // Changing one half keeps the other: RabbitMQ's PUT replaces both, so the current hash or tags go along.
  const user = h('select', {});
  const newTags = textInput();
  const newPassword = h('input', { type: 'password', autocomplete: 'new-password' });
  const changeOut = status();
  const setTags = h('button', { type: 'submit', value: 'tags' }, 'Set tags');
  const setPassword = h('button', { type: 'submit', value: 'password' }, 'Set password');
  const changeForm = form(
    field('User', user),
    h('div', { class: 'row' }, field('New tags', newTags), h('div', { class: 'actions' }, setTags)),
    h('div', { class: 'row' }, field('New password', newPassword), h('div', { class: 'actions' }, setPassword)),
    changeOut,
  );
  onSubmit(changeForm, changeOut, 'Could not update the user', async (button) => {
    const current = await api<User>('GET', '/users/' + enc(user.value));
    if (button?.value === 'password') {
      if (newPassword.value === '') throw new Error('a new password is required');
      await api('PUT', '/users/' + enc(user.value), { password: newPassword.value, tags: tagsOf(current).join(',') });
      newPassword.value = '';
      return 'Password of ' + user.value + ' changed.';
    }
    const body: Record<string, string> = { tags: tagsValue(newTags.value), password_hash: current.password_hash ?? '' };
    if (current.hashing_algorithm) body['hashing_algorithm'] = current.hashing_algorithm;
    await api('PUT', '/users/' + enc(user.value), body);
    return 'Tags of ' + user.value + ' set.';
  });
  user.addEventListener('change', () => {
    const u = users.find((x) => x.name === user.value);
    newTags.value = u ? tagsOf(u).join(', ') : '';
  });

  let users: User[] = [];
  root.append(
    adminNav('users'),
    pageHeader('Users', out),
    tableCard(table),
    h('div', { class: 'cards two' }, card('Add a user', addForm), card('Change a user', changeForm)),
  );
  return async () => {
    users = await api<User[]>('GET', '/users');
    const before = user.value;
    fillSelect(
      user,
      users.map((u) => u.name),
    );
    if (user.value !== before) user.dispatchEvent(new Event('change'));
    renderTable<User>(
      table,
      [
        { id: 'name', label: 'Name', text: (u) => u.name },
        { id: 'tags', label: 'Tags', text: (u) => tagsOf(u).join(', ') },
        { id: 'password', label: 'Password', text: (u) => (u.password_hash ? 'set' : 'none') },
        { id: 'actions', label: 'Actions', text: (u) => u.name, cell: (u) => rowDeleteButton('Delete', 'user ' + u.name, out, async () => (await api('DELETE', '/users/' + enc(u.name)), 'User ' + u.name + ' deleted.')) },
      ],
      users,
      (u) => u.name,
      'No users.',
    );
  };
}
