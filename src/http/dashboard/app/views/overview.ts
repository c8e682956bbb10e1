// The dashboard's overview page: queued messages and message rates as charts, the deepest queues, totals, the node.
import { api } from '../api.js';
import { chart, type Series } from '../chart.js';
import { h } from '../dom.js';
import { fmtNum, fmtRate, queueKey } from '../format.js';
import { MESSAGE_RATES } from '../rates.js';
import { state, vhostScope, type Refresh } from '../state.js';
import type { Overview, Queue } from '../types.js';
import { card, pageHeader, renderStats, renderTable } from '../widgets.js';
import { queueColumns, sampled } from './queues.js';

type Listener = NonNullable<Overview['listeners']>[number];

export function mountOverview(root: HTMLElement): Refresh {
  const totals = h('dl', { class: 'stats' });
  const objects = h('dl', { class: 'stats' });
  const depth = chart('Queued messages', 'messages', true);
  const rates = chart('Message rates', 'per second', true);
  const deepest = h('table', { class: 'grid', 'aria-label': 'Deepest queues' });
  const node = h('dl', { class: 'kv' });
  const listeners = h('table', { class: 'grid', 'aria-label': 'Listeners' });
  root.append(
    pageHeader('Overview'),
    h('div', { class: 'cards two' }, card('Queued messages', totals, depth.el), card('Message rates', rates.el)),
    card('Deepest queues', h('div', { class: 'scroll' }, deepest)),
    h('div', { class: 'cards two' }, card('Totals', objects), card('Node', node, listeners)),
  );
  return async () => {
    const o = state.overview;
    if (!o) return;
    const queues = (await api<Queue[]>('GET', '/queues' + vhostScope())).map(sampled);
    queues.sort((a, b) => (b.messages ?? 0) - (a.messages ?? 0) || (a.name < b.name ? -1 : 1));
    renderTable(deepest, queueColumns(queues, true), queues.slice(0, 5), queueKey, 'No queues yet.');
    const qt = o.queue_totals ?? {};
    const last = state.history[state.history.length - 1];
    renderStats(totals, [
      ['Ready', fmtNum(qt.messages_ready), 'ready'],
      ['Unacked', fmtNum(qt.messages_unacknowledged), 'unacked'],
      ['Total', fmtNum(qt.messages), 'total'],
      ['Ready Δ', fmtRate(last?.['dReady'], true) || '–', 'ready-rate'],
    ]);
    const ot = o.object_totals ?? {};
    renderStats(objects, [
      ['Connections', fmtNum(ot.connections), 'connections'],
      ['Channels', fmtNum(ot.channels), 'channels'],
      ['Exchanges', fmtNum(ot.exchanges), 'exchanges'],
      ['Queues', fmtNum(ot.queues), 'queues'],
      ['Consumers', fmtNum(ot.consumers), 'consumers'],
    ]);
    depth.draw(
      state.history,
      [
        { key: 'ready', label: 'Ready' },
        { key: 'unacked', label: 'Unacked' },
      ],
      fmtNum,
    );
    const haveRates = state.history.some((p) => MESSAGE_RATES.some(([k]) => typeof p[k] === 'number'));
    const series: Series[] = haveRates
      ? MESSAGE_RATES.map(([key, label]) => ({ key, label }))
      : [
          { key: 'dReady', label: 'Ready Δ' },
          { key: 'dUnacked', label: 'Unacked Δ' },
        ];
    rates.draw(state.history, series, (v) => fmtRate(v));
    renderStats(node, [
      ['Product', (o.product_name || 'Warren') + ' ' + (o.product_version || '')],
      ['Node', o.node || ''],
      ['Compatible with', 'RabbitMQ ' + (o.rabbitmq_version || '')],
      ['Runtime', o.erlang_version || ''],
    ]);
    renderTable<Listener>(
      listeners,
      [
        { id: 'protocol', label: 'Protocol', text: (l) => l.protocol },
        { id: 'address', label: 'Bound to', text: (l) => l.ip_address },
        { id: 'port', label: 'Port', text: (l) => l.port, num: true },
      ],
      o.listeners ?? [],
      (l) => l.protocol + ':' + l.port,
    );
  };
}
