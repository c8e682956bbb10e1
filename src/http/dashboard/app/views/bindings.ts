// The dashboard's bindings page: every binding, optionally with the default exchange's implicit ones.
import { api } from '../api.js';
import { h } from '../dom.js';
import { exchangeHref, exchangeLabel } from '../format.js';
import { vhostScope, type Refresh } from '../state.js';
import type { Binding } from '../types.js';
import { argumentsText, checkbox, columnsOf, filterInput, matches, pageHeader, renderTable, status, tableCard } from '../widgets.js';
import { destinationLink } from './exchanges.js';
import { unbindColumn } from './topology-forms.js';
import { vhostColumn } from './view.js';

export function mountBindings(root: HTMLElement): Refresh {
  const table = h('table', { class: 'grid', 'aria-label': 'Bindings' });
  const out = status();
  const implicit = checkbox('Show the default exchange’s bindings', false);
  let rows: Binding[] = [];
  const draw = (): void => {
    const columns = columnsOf<Binding>([
      vhostColumn<Binding>(),
      { id: 'source', label: 'From exchange', text: (b) => b.source, cell: (b) => h('a', { href: exchangeHref(b.vhost, b.source) }, exchangeLabel(b.source)) },
      { id: 'destination', label: 'To', text: (b) => b.destination_type + '\n' + b.destination, cell: destinationLink },
      { id: 'key', label: 'Routing key', text: (b) => b.routing_key },
      { id: 'args', label: 'Arguments', text: (b) => argumentsText(b.arguments) },
      unbindColumn(out),
    ]);
    const visible = rows.filter((b) => (implicit.input.checked || b.source !== '') && matches(filter, b.source, b.destination, b.routing_key));
    renderTable(table, columns, visible, (b) => JSON.stringify([b.vhost, b.source, b.destination_type, b.destination, b.properties_key]), 'No bindings.');
  };
  const filter = filterInput('Filter bindings', draw);
  implicit.input.addEventListener('change', draw);
  root.append(pageHeader('Bindings', out, implicit.el, filter), tableCard(table));
  return async () => {
    rows = await api<Binding[]>('GET', '/bindings' + vhostScope());
    draw();
  };
}
