// The dashboard's connections and channels pages: live lists, byte rates, and closing a connection.
import { api, errorText } from '../api.js';
import { enc, h } from '../dom.js';
import { fmtBytes, fmtNum } from '../format.js';
import { ratesOf } from '../rates.js';
import { refreshNow, state, type Refresh } from '../state.js';
import type { Channel, Connection } from '../types.js';
import { columnsOf, confirmButton, filterInput, matches, pageHeader, renderTable, setStatus, status, tableCard } from '../widgets.js';
import { vhostColumn } from './view.js';

type SampledConnection = Connection & { rates: Record<string, number> };

/** /connections or /channels, narrowed to the filtered virtual host. */
const scoped = (what: string): string => (state.prefs.vhost ? '/vhosts/' + enc(state.prefs.vhost) + '/' + what : '/' + what);

const byteRate = (r: number | undefined): string => (typeof r === 'number' ? fmtBytes(Math.round(r)) + '/s' : '');

export function mountConnections(root: HTMLElement): Refresh {
  const table = h('table', { class: 'grid', 'aria-label': 'Connections' });
  const out = status();
  let rows: SampledConnection[] = [];
  const draw = (): void => {
    const columns = columnsOf<SampledConnection>([
      vhostColumn<SampledConnection>(),
      {
        id: 'name',
        label: 'Name',
        text: (c) => (c.user_provided_name || '') + '\n' + c.name,
        cell: (c) => h('span', {}, c.user_provided_name ? [h('strong', {}, c.user_provided_name), h('br'), h('small', { class: 'hint' }, c.name)] : c.name),
      },
      { id: 'user', label: 'User', text: (c) => c.user },
      { id: 'state', label: 'State', text: (c) => c.state ?? '' },
      { id: 'client', label: 'Client', text: clientOf },
      { id: 'channels', label: 'Channels', text: (c) => fmtNum(c.channels), num: true },
      { id: 'recv', label: 'From client', text: (c) => byteRate(c.rates['recv_oct']), num: true },
      { id: 'send', label: 'To client', text: (c) => byteRate(c.rates['send_oct']), num: true },
      { id: 'close', label: 'Actions', text: (c) => c.name, cell: (c) => closeButton(c, out) },
    ]);
    renderTable(table, columns, rows.filter((c) => matches(filter, c.name, c.user_provided_name || '', c.user)), (c) => c.name, 'No connections.');
  };
  const filter = filterInput('Filter connections', draw);
  root.append(pageHeader('Connections', out, filter), tableCard(table));
  return async () => {
    const list = await api<Connection[]>('GET', scoped('connections'));
    rows = list.map((c) => ({ ...c, rates: ratesOf('c' + c.name, { recv_oct: c.recv_oct, send_oct: c.send_oct }) }));
    draw();
  };
}

function clientOf(c: Connection): string {
  const p = c.client_properties ?? {};
  return [p['product'], p['version']].filter((v) => typeof v === 'string').join(' ') || (typeof p['platform'] === 'string' ? p['platform'] : '');
}

function closeButton(c: Connection, out: HTMLElement): HTMLButtonElement {
  const b = confirmButton('Close', 'Confirm close', async () => {
    try {
      await api('DELETE', '/connections/' + enc(c.name));
      setStatus(out, 'Closed ' + (c.user_provided_name || c.name) + '.', 'ok');
      refreshNow();
    } catch (err) {
      setStatus(out, 'Close failed: ' + errorText(err), 'error');
    }
  });
  b.classList.add('small');
  b.setAttribute('aria-description', 'Close connection ' + c.name);
  return b;
}

export function mountChannels(root: HTMLElement): Refresh {
  const table = h('table', { class: 'grid', 'aria-label': 'Channels' });
  let rows: Channel[] = [];
  const draw = (): void => {
    const columns = columnsOf<Channel>([
      vhostColumn<Channel>(),
      { id: 'name', label: 'Channel', text: (c) => c.name },
      { id: 'user', label: 'User', text: (c) => c.user },
      { id: 'mode', label: 'Mode', title: 'C: publisher confirms, T: transactional', text: (c) => (c.confirm ? 'C' : '') + (c.transactional ? 'T' : '') },
      { id: 'state', label: 'State', text: (c) => c.state ?? '' },
      { id: 'consumers', label: 'Consumers', text: (c) => fmtNum(c.consumer_count), num: true },
      {
        id: 'prefetch',
        label: 'Prefetch',
        text: (c) => fmtNum(c.prefetch_count) + (c.global_prefetch_count ? ' (global ' + fmtNum(c.global_prefetch_count) + ')' : ''),
        num: true,
      },
      { id: 'unacked', label: 'Unacked', text: (c) => fmtNum(c.messages_unacknowledged), num: true },
      { id: 'uncommitted', label: 'Uncommitted', text: (c) => fmtNum(c.messages_uncommitted), num: true },
    ]);
    renderTable(table, columns, rows.filter((c) => matches(filter, c.name, c.user)), (c) => c.name, 'No channels.');
  };
  const filter = filterInput('Filter channels', draw);
  root.append(pageHeader('Channels', filter), tableCard(table));
  return async () => {
    rows = await api<Channel[]>('GET', scoped('channels'));
    draw();
  };
}
