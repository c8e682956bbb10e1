// The Virtual hosts admin page: list them with their limits, add one, delete one, set or clear its limits.
import { api } from '../api.js';
import { enc, h } from '../dom.js';
import { fmtNum } from '../format.js';
import { defaultVhost, type Refresh } from '../state.js';
import type { Vhost, VhostLimits } from '../types.js';
import { card, field, fillSelect, form, onSubmit, pageHeader, renderTable, rowDeleteButton, status, tableCard, textInput } from '../widgets.js';
import { adminNav } from './admin-nav.js';

/** The limits RabbitMQ 3.10.8 knows for a virtual host, with their labels. */
const LIMITS = [
  ['max-connections', 'Max connections'],
  ['max-queues', 'Max queues'],
] as const;

type Row = Vhost & { limits: Record<string, number> };

export function mountVhosts(root: HTMLElement): Refresh {
  const table = h('table', { class: 'grid', 'aria-label': 'Virtual hosts' });
  const out = status();

  const name = textInput();
  const description = textInput();
  const addOut = status();
  const addForm = form(
    h('div', { class: 'row' }, field('Virtual host name', name), field('Description', description)),
    h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'primary' }, 'Add virtual host'), addOut),
  );
  onSubmit(addForm, addOut, 'Could not add the virtual host', async () => {
    if (name.value === '') throw new Error('a name is required');
    await api('PUT', '/vhosts/' + enc(name.value), description.value === '' ? {} : { description: description.value });
    const added = name.value;
    name.value = '';
    description.value = '';
    return 'Virtual host ' + added + ' added.';
  });

  const vhost = h('select', {});
  const inputs = LIMITS.map(([limit, label]) => ({ limit, label, input: h('input', { type: 'number', min: 0, inputmode: 'numeric', placeholder: 'no limit' }) }));
  const limitsOut = status();
  const limitsForm = form(
    field('Virtual host', vhost),
    h('div', { class: 'row' }, inputs.map((i) => field(i.label, i.input))),
    h('p', { class: 'hint' }, 'An empty field removes that limit.'),
    h('div', { class: 'actions' }, h('button', { type: 'submit' }, 'Set limits'), limitsOut),
  );
  onSubmit(limitsForm, limitsOut, 'Could not set the limits', async () => {
    for (const { limit, label, input } of inputs) {
      const path = '/vhost-limits/' + enc(vhost.value) + '/' + limit;
      if (input.value.trim() === '') {
        if (rows.find((r) => r.name === vhost.value)?.limits[limit] !== undefined) await api('DELETE', path);
        continue;
      }
      const value = Number(input.value);
      if (!Number.isInteger(value)) throw new Error(label + ' must be a whole number');
      await api('PUT', path, { value });
    }
    return 'Limits of ' + vhost.value + ' set.';
  });
  const showLimits = (): void => {
    const row = rows.find((r) => r.name === vhost.value);
    for (const { limit, input } of inputs) input.value = row?.limits[limit] === undefined ? '' : String(row.limits[limit]);
  };
  vhost.addEventListener('change', showLimits);

  let rows: Row[] = [];
  root.append(
    adminNav('vhosts'),
    pageHeader('Virtual hosts', out),
    tableCard(table),
    h('div', { class: 'cards two' }, card('Add a virtual host', addForm), card('Limits', limitsForm)),
  );
  return async () => {
    const [vhosts, limits] = await Promise.all([api<Vhost[]>('GET', '/vhosts'), api<VhostLimits[]>('GET', '/vhost-limits')]);
    const byVhost = new Map(limits.map((l) => [l.vhost, l.value]));
    rows = vhosts.map((v) => ({ ...v, limits: byVhost.get(v.name) ?? {} }));
    const before = vhost.value;
    fillSelect(
      vhost,
      rows.map((r) => r.name),
      defaultVhost(),
    );
    if (vhost.value !== before) showLimits();
    const limitText = (r: Row, limit: string): string => (r.limits[limit] === undefined ? '' : fmtNum(r.limits[limit]));
    renderTable<Row>(
      table,
      [
        { id: 'name', label: 'Name', text: (r) => r.name },
        { id: 'description', label: 'Description', text: (r) => r.description ?? '' },
        { id: 'messages', label: 'Messages', text: (r) => fmtNum(r.messages ?? 0), num: true },
        ...LIMITS.map(([limit, label]) => ({ id: limit, label, text: (r: Row) => limitText(r, limit), num: true })),
        {
          id: 'actions',
          label: 'Actions',
          text: (r) => r.name,
          cell: (r) => rowDeleteButton('Delete', 'virtual host ' + r.name, out, async () => (await api('DELETE', '/vhosts/' + enc(r.name)), 'Virtual host ' + r.name + ' deleted.')),
        },
      ],
      rows,
      (r) => r.name,
      'No virtual hosts.',
    );
  };
}
