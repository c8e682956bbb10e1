// The Policies admin page: user and operator policies listed, added or edited in one form, deleted.
import { api, errorText } from '../api.js';
import { enc, h } from '../dom.js';
import { defaultVhost, state, type Refresh } from '../state.js';
import type { Policy } from '../types.js';
import { card, field, fillSelect, form, jsonObject, onSubmit, pageHeader, renderTable, rowDeleteButton, select, status, tableCard, textInput } from '../widgets.js';
import { adminNav } from './admin-nav.js';

type Kind = 'policies' | 'operator-policies';

const APPLY_TO = [
  ['all', 'Exchanges and queues'],
  ['queues', 'Queues'],
  ['exchanges', 'Exchanges'],
  ['classic_queues', 'Classic queues'],
  ['quorum_queues', 'Quorum queues'],
  ['streams', 'Streams'],
] as const;

/** RabbitMQ's "Validation failed\n\n…\n" reason (HTML-escaped on /api/policies) as one readable line. */
function readableReason(reason: string): string {
  return reason
    .replace(/^Validation failed\s*/, '')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&')
    .replace(/\s+/g, ' ')
    .trim();
}

export function mountPolicies(root: HTMLElement): Refresh {
  const out = status();
  const tables: Record<Kind, HTMLTableElement> = {
    policies: h('table', { class: 'grid', 'aria-label': 'Policies' }),
    'operator-policies': h('table', { class: 'grid', 'aria-label': 'Operator policies' }),
  };

  const kind = select(
    [
      ['policies', 'Policy'],
      ['operator-policies', 'Operator policy'],
    ],
    'policies',
  );
  const vhost = h('select', {});
  const name = textInput();
  const pattern = textInput({ placeholder: '^orders\\.' });
  const applyTo = select(APPLY_TO, 'all');
  const priority = h('input', { type: 'number', inputmode: 'numeric', value: '0' });
  const definition = h('textarea', { rows: 3, spellcheck: 'false', placeholder: '{"max-length": 1000, "dead-letter-exchange": "dlx"}' });
  const saveOut = status();
  const saveForm = form(
    h('div', { class: 'row' }, field('Kind', kind), field('Virtual host', vhost), field('Name', name)),
    h('div', { class: 'row' }, field('Pattern', pattern, 'a regular expression searched in queue or exchange names'), field('Apply to', applyTo), field('Priority', priority)),
    field('Definition', definition, 'JSON: message-ttl, expires, max-length, max-length-bytes, overflow, dead-letter-exchange, dead-letter-routing-key, alternate-exchange, …'),
    h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'primary' }, 'Save policy'), saveOut),
  );
  onSubmit(saveForm, saveOut, 'Could not save the policy', async () => {
    if (name.value === '') throw new Error('a name is required');
    const def = jsonObject(definition.value, 'The definition');
    if (def === undefined) throw new Error('a definition is required');
    const p = Number(priority.value === '' ? '0' : priority.value);
    if (!Number.isFinite(p)) throw new Error('the priority must be a number');
    const which = kind.value as Kind;
    try {
      await api('PUT', '/' + which + '/' + enc(vhost.value) + '/' + enc(name.value), { pattern: pattern.value, definition: def, priority: p, 'apply-to': applyTo.value });
    } catch (err) {
      throw new Error(readableReason(errorText(err)));
    }
    return (which === 'policies' ? 'Policy ' : 'Operator policy ') + name.value + ' saved.';
  });

  /** Puts a listed policy into the form, to change it. */
  const edit = (which: Kind, p: Policy): void => {
    kind.value = which;
    vhost.value = p.vhost;
    name.value = p.name;
    pattern.value = p.pattern;
    applyTo.value = p['apply-to'];
    priority.value = String(p.priority);
    definition.value = JSON.stringify(p.definition);
    name.focus();
  };

  root.append(
    adminNav('policies'),
    pageHeader('Policies', out),
    h('h2', {}, 'Policies'),
    tableCard(tables.policies),
    h('h2', {}, 'Operator policies'),
    tableCard(tables['operator-policies']),
    card('Add or edit a policy', saveForm),
  );

  return async () => {
    const [policies, operator] = await Promise.all([api<Policy[]>('GET', '/policies'), api<Policy[]>('GET', '/operator-policies')]);
    fillSelect(vhost, state.vhosts, defaultVhost());
    const label = (which: Kind) => (which === 'policies' ? 'policy ' : 'operator policy ');
    for (const [which, rows] of [['policies', policies], ['operator-policies', operator]] as const) {
      renderTable<Policy>(
        tables[which],
        [
          { id: 'vhost', label: 'Virtual host', text: (p) => p.vhost },
          { id: 'name', label: 'Name', text: (p) => p.name },
          { id: 'pattern', label: 'Pattern', text: (p) => p.pattern, cell: (p) => h('code', {}, p.pattern) },
          { id: 'apply-to', label: 'Apply to', text: (p) => p['apply-to'] },
          { id: 'definition', label: 'Definition', text: (p) => JSON.stringify(p.definition), cell: (p) => h('code', {}, JSON.stringify(p.definition)) },
          { id: 'priority', label: 'Priority', text: (p) => String(p.priority), num: true },
          {
            id: 'actions',
            label: 'Actions',
            text: (p) => p.name,
            cell: (p) => {
              const editButton = h('button', { type: 'button', class: 'small', 'aria-description': 'Edit ' + label(which) + p.name }, 'Edit');
              editButton.addEventListener('click', () => edit(which, p));
              const del = rowDeleteButton('Delete', label(which) + p.name, out, async () => {
                await api('DELETE', '/' + which + '/' + enc(p.vhost) + '/' + enc(p.name));
                return (which === 'policies' ? 'Policy ' : 'Operator policy ') + p.name + ' deleted.';
              });
              return h('span', { class: 'actions' }, editButton, ' ', del);
            },
          },
        ],
        rows,
        (p) => JSON.stringify([p.vhost, p.name]),
        which === 'policies' ? 'No policies.' : 'No operator policies.',
      );
    }
  };
}
