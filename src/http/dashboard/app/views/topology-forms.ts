// Forms and row actions that change topology from the dashboard: declare an exchange, bind, unbind.
import { api } from '../api.js';
import { enc, h } from '../dom.js';
import { exchangeLabel, exchangeSegment } from '../format.js';
import { defaultVhost, state } from '../state.js';
import type { Binding } from '../types.js';
import { checkbox, field, foldedCard, form, jsonObject, onSubmit, rowDeleteButton, select, status, textInput, type Column } from '../widgets.js';

/** The exchange types Warren has (the built-in ones and the delayed-message plugin's). */
const EXCHANGE_TYPES = ['direct', 'fanout', 'topic', 'headers', 'x-delayed-message'];

/** "Add an exchange": PUT /api/exchanges/{vhost}/{name}. */
export function addExchangeCard(): HTMLElement {
  const vhost = select(
    state.vhosts.map((v) => [v, v] as const),
    defaultVhost(),
  );
  const name = textInput();
  const type = select(
    EXCHANGE_TYPES.map((t) => [t, t] as const),
    'direct',
  );
  const durable = checkbox('Durable', true);
  const autoDelete = checkbox('Auto delete', false);
  const internal = checkbox('Internal', false);
  const args = h('textarea', { rows: 2, spellcheck: 'false', placeholder: '{"alternate-exchange": "unrouted"}' });
  const out = status();
  const f = form(
    h('div', { class: 'row' }, field('Virtual host', vhost), field('Exchange name', name), field('Type', type)),
    h('div', { class: 'row checks' }, durable.el, autoDelete.el, internal.el),
    field('Arguments', args, 'Optional JSON object'),
    h('div', { class: 'actions' }, h('button', { type: 'submit' }, 'Add exchange'), out),
  );
  onSubmit(f, out, 'Could not add the exchange', async () => {
    if (name.value.trim() === '') throw new Error('a name is required');
    const body: Record<string, unknown> = { type: type.value, durable: durable.input.checked, auto_delete: autoDelete.input.checked, internal: internal.input.checked };
    const a = jsonObject(args.value, 'Arguments');
    if (a) body['arguments'] = a;
    await api('PUT', '/exchanges/' + enc(vhost.value) + '/' + enc(name.value), body);
    const added = name.value;
    name.value = '';
    return 'Exchange ' + added + ' declared.';
  });
  return foldedCard('Add an exchange', f);
}

/** "Add a binding" from one exchange: POST /api/bindings/{vhost}/e/{source}/q|e/{destination}. */
export function bindForm(vhost: string, source: string): HTMLFormElement {
  const kind = select(
    [
      ['q', 'Queue'],
      ['e', 'Exchange'],
    ],
    'q',
  );
  const destination = textInput();
  const routingKey = textInput();
  const args = h('textarea', { rows: 2, spellcheck: 'false', placeholder: '{"x-match": "all"}' });
  const out = status();
  const f = form(
    h('div', { class: 'row' }, field('Destination type', kind), field('Destination', destination), field('Binding key', routingKey)),
    field('Binding arguments', args, 'Optional JSON object'),
    h('div', { class: 'actions' }, h('button', { type: 'submit' }, 'Bind'), out),
  );
  onSubmit(f, out, 'Could not bind', async () => {
    if (destination.value === '') throw new Error('a destination is required');
    const body: Record<string, unknown> = { routing_key: routingKey.value };
    const a = jsonObject(args.value, 'Binding arguments');
    if (a) body['arguments'] = a;
    const dest = kind.value === 'e' ? exchangeSegment(destination.value) : destination.value;
    await api('POST', '/bindings/' + enc(vhost) + '/e/' + enc(exchangeSegment(source)) + '/' + kind.value + '/' + enc(dest), body);
    return 'Bound ' + (kind.value === 'q' ? 'queue ' : 'exchange ') + destination.value + '.';
  });
  return f;
}

/** DELETE /api/bindings/{vhost}/e/{source}/q|e/{destination}/{properties_key}. */
export function unbind(b: Binding): Promise<unknown> {
  const kind = b.destination_type === 'queue' ? 'q' : 'e';
  const dest = kind === 'e' ? exchangeSegment(b.destination) : b.destination;
  return api('DELETE', '/bindings/' + enc(b.vhost) + '/e/' + enc(exchangeSegment(b.source)) + '/' + kind + '/' + enc(dest) + '/' + enc(b.properties_key));
}

/** An "Unbind" action column (none for the default exchange's bindings, which cannot be removed). */
export function unbindColumn(out: HTMLElement): Column<Binding> {
  return {
    id: 'actions',
    label: 'Actions',
    text: (b) => JSON.stringify([b.source, b.destination_type, b.destination, b.properties_key]),
    cell: (b) =>
      b.source === ''
        ? ''
        : rowDeleteButton('Unbind', exchangeLabel(b.source) + ' → ' + b.destination + ' (' + b.routing_key + ')', out, async () => {
            await unbind(b);
            return 'Unbound ' + b.destination + ' from ' + exchangeLabel(b.source) + '.';
          }),
  };
}
