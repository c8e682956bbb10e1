// The dashboard's exchange pages: the list and one exchange's page (details, publish form, bindings from it).
import { api, errorText, statusOf } from '../api.js';
import { enc, h } from '../dom.js';
import { exchangeHref, exchangeLabel, exchangeSegment, queueHref } from '../format.js';
import { publishForm } from '../messages.js';
import { vhostScope, type Refresh } from '../state.js';
import type { Binding, Exchange } from '../types.js';
import { argumentsText, card, columnsOf, confirmButton, crumbs, features, featuresOrNone, featuresText, filterInput, matches, pageHeader, renderStats, renderTable, setStatus, status, tableCard } from '../widgets.js';
import { addExchangeCard, bindForm, unbindColumn } from './topology-forms.js';
import { vhostColumn } from './view.js';

export function mountExchanges(root: HTMLElement): Refresh {
  const table = h('table', { class: 'grid', 'aria-label': 'Exchanges' });
  let rows: Exchange[] = [];
  const draw = (): void => {
    const columns = columnsOf<Exchange>([
      vhostColumn<Exchange>(),
      { id: 'name', label: 'Name', text: (x) => x.name, cell: (x) => h('a', { href: exchangeHref(x.vhost, x.name) }, exchangeLabel(x.name)) },
      { id: 'type', label: 'Type', text: (x) => x.type },
      { id: 'features', label: 'Features', text: featuresText, cell: features },
    ]);
    renderTable(table, columns, rows.filter((x) => matches(filter, exchangeLabel(x.name))), (x) => JSON.stringify([x.vhost, x.name]), 'No exchanges.');
  };
  const filter = filterInput('Filter exchanges', draw);
  root.append(pageHeader('Exchanges', filter), tableCard(table), addExchangeCard());
  return async () => {
    rows = await api<Exchange[]>('GET', '/exchanges' + vhostScope());
    draw();
  };
}

export function mountExchange(root: HTMLElement, route: { vhost: string; name: string }): Refresh {
  const { vhost } = route;
  const name = route.name === 'amq.default' ? '' : route.name;
  const path = '/exchanges/' + enc(vhost) + '/' + enc(exchangeSegment(name));
  const info = h('dl', { class: 'kv' });
  const bindings = h('table', { class: 'grid', 'aria-label': 'Bindings from this exchange' });
  const gone = h('p', { class: 'banner error', role: 'alert', hidden: true }, 'This exchange no longer exists.');
  const publishCard = card('Publish message', publishForm(vhost, name));
  const actionStatus = status();
  // The default exchange can be neither deleted nor bound to (RabbitMQ answers 403).
  const del =
    name === ''
      ? null
      : confirmButton('Delete exchange', 'Confirm delete', async () => {
          try {
            await api('DELETE', path);
            location.hash = '#/exchanges';
          } catch (err) {
            setStatus(actionStatus, 'Delete failed: ' + errorText(err), 'error');
          }
        });
  root.append(
    crumbs('#/exchanges', 'Exchanges', vhost),
    pageHeader(exchangeLabel(name), h('div', { class: 'toolbar' }, actionStatus, del ?? '')),
    gone,
    h('div', { class: 'cards two' }, card('Details', info), publishCard),
    card('Bindings from this exchange', h('div', { class: 'scroll' }, bindings)),
    ...(name === '' ? [] : [card('Add a binding from this exchange', bindForm(vhost, name))]),
  );
  return async () => {
    let x: Exchange;
    try {
      x = await api<Exchange>('GET', path);
    } catch (err) {
      if (statusOf(err) !== 404) throw err;
      gone.hidden = false;
      return;
    }
    gone.hidden = true;
    publishCard.hidden = Boolean(x.internal);
    renderStats(info, [
      ['Virtual host', x.vhost],
      ['Type', x.type],
      ['Features', featuresOrNone(x)],
      ['Arguments', argumentsText(x.arguments) ? h('code', {}, argumentsText(x.arguments)) : 'none'],
      ['Policy', x.policy ?? 'none', 'policy'],
    ]);
    const bs = await api<Binding[]>('GET', path + '/bindings/source');
    renderTable<Binding>(
      bindings,
      [
        { id: 'destination', label: 'To', text: (b) => b.destination_type + '\n' + b.destination, cell: destinationLink },
        { id: 'key', label: 'Routing key', text: (b) => b.routing_key },
        { id: 'args', label: 'Arguments', text: (b) => argumentsText(b.arguments) },
        ...(name === '' ? [] : [unbindColumn(actionStatus)]),
      ],
      bs,
      (b) => b.destination_type + '\n' + b.destination + '\n' + b.properties_key,
      name === '' ? 'No queues.' : 'No bindings.',
    );
  };
}

/** A binding's destination as a badge (Q or X) and a link to its page. */
export function destinationLink(b: Binding): HTMLElement {
  const queue = b.destination_type === 'queue';
  const href = queue ? queueHref(b.vhost, b.destination) : exchangeHref(b.vhost, b.destination);
  return h('span', {}, h('span', { class: 'badge' }, queue ? 'Q' : 'X'), ' ', h('a', { href }, queue ? b.destination : exchangeLabel(b.destination)));
}
