// The Shovels admin page: dynamic shovels listed with their state (GET /api/shovels), added (a shovel parameter), restarted, deleted.
import { api, errorText } from '../api.js';
import { enc, h } from '../dom.js';
import { defaultVhost, state, type Refresh } from '../state.js';
import type { Shovel } from '../types.js';
import { card, field, fillSelect, form, onSubmit, pageHeader, renderTable, rowDeleteButton, select, setStatus, status, tableCard, textInput } from '../widgets.js';
import { adminNav } from './admin-nav.js';

/** RabbitMQ's "Validation failed\n\n…\n" reason (HTML-escaped) as one readable line. */
function readableReason(reason: string): string {
  return reason
    .replace(/^Validation failed\s*/, '')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&')
    .replace(/\s+/g, ' ')
    .trim();
}

export function mountShovels(root: HTMLElement): Refresh {
  const out = status();
  const table = h('table', { class: 'grid', 'aria-label': 'Shovels' });
  const vhost = h('select', {});
  const name = textInput();
  const srcUri = textInput({ value: 'amqp://', placeholder: 'amqp:// (this broker) or amqp://user:pass@host/vhost' });
  const srcQueue = textInput();
  const destUri = textInput({ placeholder: 'amqp://user:pass@rabbit.example/%2F' });
  const destQueue = textInput();
  const ackMode = select(
    [
      ['on-confirm', 'On confirm'],
      ['on-publish', 'On publish'],
      ['no-ack', 'No ack'],
    ],
    'on-confirm',
  );
  const saveOut = status();
  const saveForm = form(
    h('div', { class: 'row' }, field('Virtual host', vhost), field('Name', name), field('Acknowledgement mode', ackMode)),
    h('div', { class: 'row' }, field('Source URI', srcUri, 'amqp:// with no host is this broker'), field('Source queue', srcQueue)),
    h('div', { class: 'row' }, field('Destination URI', destUri), field('Destination queue', destQueue, 'empty: the message keeps its exchange and routing key')),
    h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'primary' }, 'Add shovel'), saveOut),
  );
  onSubmit(saveForm, saveOut, 'Could not add the shovel', async () => {
    if (name.value === '') throw new Error('a name is required');
    const value: Record<string, unknown> = { 'src-uri': srcUri.value, 'src-queue': srcQueue.value, 'dest-uri': destUri.value, 'ack-mode': ackMode.value };
    if (destQueue.value !== '') value['dest-queue'] = destQueue.value;
    try {
      await api('PUT', '/parameters/shovel/' + enc(vhost.value) + '/' + enc(name.value), { value });
    } catch (err) {
      throw new Error(readableReason(errorText(err)));
    }
    return 'Shovel ' + name.value + ' added.';
  });

  root.append(adminNav('shovels'), pageHeader('Shovels', out), tableCard(table), card('Add a shovel', saveForm));

  return async () => {
    const rows = await api<Shovel[]>('GET', '/shovels');
    fillSelect(vhost, state.vhosts, defaultVhost());
    renderTable<Shovel>(
      table,
      [
        { id: 'vhost', label: 'Virtual host', text: (s) => s.vhost },
        { id: 'name', label: 'Name', text: (s) => s.name },
        { id: 'state', label: 'State', text: (s) => s.state, cell: (s) => h('span', { class: 'state ' + s.state }, s.state) },
        { id: 'source', label: 'Source', text: (s) => [s.src_uri ?? '', s.src_queue ?? s.src_exchange ?? ''].filter((x) => x !== '').join(' ') },
        { id: 'destination', label: 'Destination', text: (s) => [s.dest_uri ?? '', s.dest_queue ?? s.dest_exchange ?? ''].filter((x) => x !== '').join(' ') },
        { id: 'reason', label: 'Reason', text: (s) => s.reason ?? '' },
        { id: 'changed', label: 'Last changed', text: (s) => s.timestamp },
        {
          id: 'actions',
          label: 'Actions',
          text: (s) => s.name,
          cell: (s) => {
            const restart = h('button', { type: 'button', class: 'small', 'aria-description': 'Restart shovel ' + s.name }, 'Restart');
            restart.addEventListener('click', () => {
              api('DELETE', '/shovels/vhost/' + enc(s.vhost) + '/' + enc(s.name) + '/restart').then(
                () => setStatus(out, 'Shovel ' + s.name + ' restarted.', 'ok'),
                (err: unknown) => setStatus(out, 'Restart failed: ' + errorText(err), 'error'),
              );
            });
            const del = rowDeleteButton('Delete', 'shovel ' + s.name, out, async () => {
              await api('DELETE', '/parameters/shovel/' + enc(s.vhost) + '/' + enc(s.name));
              return 'Shovel ' + s.name + ' deleted.';
            });
            return h('span', { class: 'actions' }, restart, ' ', del);
          },
        },
      ],
      rows,
      (s) => JSON.stringify([s.vhost, s.name]),
      'No shovels.',
    );
  };
}
