// The dashboard's queue pages: the list (with a declare form) and one queue's page (depth, publish, get, purge, delete).
import { api, errorText, statusOf } from '../api.js';
import { chart } from '../chart.js';
import { enc, h } from '../dom.js';
import { exchangeHref, exchangeLabel, fmtBytes, fmtNum, fmtRate, queueHref, queueKey } from '../format.js';
import { getForm, publishForm } from '../messages.js';
import { MESSAGE_RATES, sampleQueue, type QueueRates } from '../rates.js';
import { defaultVhost, refreshNow, state, vhostScope, WINDOW_MS, type Refresh, type Sample } from '../state.js';
import type { Binding, Consumer, Queue } from '../types.js';
import {
  argumentsText,
  card,
  checkbox,
  columnsOf,
  confirmButton,
  crumbs,
  features,
  featuresOrNone,
  featuresText,
  field,
  filterInput,
  jsonObject,
  matches,
  pageHeader,
  renderStats,
  renderTable,
  select,
  setStatus,
  status,
  tableCard,
  type Column,
  type StatItem,
} from '../widgets.js';
import { vhostColumn } from './view.js';

/** A listed queue with its rates of this poll. */
export type SampledQueue = Queue & { rates: QueueRates };

export const sampled = (q: Queue): SampledQueue => ({ ...q, rates: sampleQueue('q' + queueKey(q), q.messages_ready, q.messages_unacknowledged, q.message_stats) });

/** The queue table's columns; rate and utilisation columns appear once some queue reports them. */
export function queueColumns(rows: readonly SampledQueue[], compact: boolean): Column<SampledQueue>[] {
  const has = (pred: (q: SampledQueue) => boolean): boolean => rows.some(pred);
  const haveRates = has((q) => MESSAGE_RATES.some(([k]) => typeof q.rates[k] === 'number'));
  return columnsOf<SampledQueue>([
    vhostColumn<SampledQueue>(),
    { id: 'name', label: 'Name', text: (q) => q.name, cell: (q) => h('a', { href: queueHref(q.vhost, q.name) }, q.name) },
    compact ? null : { id: 'type', label: 'Type', text: (q) => q.type || 'classic' },
    compact ? null : { id: 'features', label: 'Features', text: featuresText, cell: features },
    compact ? null : { id: 'state', label: 'State', text: (q) => q.state || '' },
    { id: 'consumers', label: 'Consumers', text: (q) => fmtNum(q.consumers), num: true },
    has((q) => typeof q.consumer_utilisation === 'number')
      ? {
          id: 'utilisation',
          label: 'Utilisation',
          num: true,
          title: 'Share of time the queue could deliver to its consumers immediately',
          text: (q) => (typeof q.consumer_utilisation === 'number' ? Math.round(q.consumer_utilisation * 100) + '%' : ''),
        }
      : null,
    { id: 'ready', label: 'Ready', text: (q) => fmtNum(q.messages_ready), num: true },
    { id: 'unacked', label: 'Unacked', text: (q) => fmtNum(q.messages_unacknowledged), num: true },
    { id: 'total', label: 'Total', text: (q) => fmtNum(q.messages), num: true },
    { id: 'ready-rate', label: 'Ready Δ', title: 'Change of the ready count per second', text: (q) => fmtRate(q.rates.dReady, true), num: true },
    haveRates ? { id: 'incoming', label: 'Incoming', text: (q) => fmtRate(q.rates['publish']), num: true } : null,
    haveRates ? { id: 'deliver', label: 'Deliver / get', text: (q) => fmtRate(q.rates['deliver_get']), num: true } : null,
    haveRates ? { id: 'ack', label: 'Ack', text: (q) => fmtRate(q.rates['ack']), num: true } : null,
    compact
      ? null
      : {
          id: 'lag',
          label: 'Oldest waiting',
          title: 'Age of the oldest ready message (consumer lag)',
          text: (q) => (typeof q.oldest_message_age_ms === 'number' && q.oldest_message_age_ms > 0 ? (q.oldest_message_age_ms / 1000).toFixed(1) + ' s' : '–'),
          num: true,
        },
    compact
      ? null
      : { id: 'dead-lettered', label: 'Dead-lettered', title: 'Messages that left the queue for its dead-letter exchange', text: (q) => fmtNum(q.messages_dead_lettered || 0), num: true },
  ]);
}

export function mountQueues(root: HTMLElement): Refresh {
  const table = h('table', { class: 'grid', 'aria-label': 'Queues' });
  let rows: SampledQueue[] = [];
  const draw = (): void => {
    const visible = rows.filter((q) => matches(filter, q.name));
    renderTable(table, queueColumns(rows, false), visible, queueKey, rows.length ? 'No queue matches the filter.' : 'No queues yet.');
  };
  const filter = filterInput('Filter queues', draw);
  root.append(pageHeader('Queues', filter), tableCard(table), addQueueCard());
  return async () => {
    rows = (await api<Queue[]>('GET', '/queues' + vhostScope())).map(sampled);
    draw();
  };
}

function addQueueCard(): HTMLElement {
  const vhost = select(
    state.vhosts.map((v) => [v, v] as const),
    defaultVhost(),
  );
  const name = h('input', { type: 'text', required: true, autocomplete: 'off', spellcheck: 'false' });
  const durable = checkbox('Durable', true);
  const autoDelete = checkbox('Auto delete', false);
  const args = h('textarea', { rows: 2, spellcheck: 'false', placeholder: '{"x-message-ttl": 60000, "x-queue-type": "classic"}' });
  const out = status();
  const form = h(
    'form',
    { class: 'form', novalidate: true },
    h('div', { class: 'row' }, field('Virtual host', vhost), field('Queue name', name)),
    h('div', { class: 'row checks' }, durable.el, autoDelete.el),
    field('Arguments', args, 'Optional JSON object'),
    h('div', { class: 'actions' }, h('button', { type: 'submit' }, 'Add queue'), out),
  );
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    try {
      if (name.value.trim() === '') throw new Error('a name is required');
      const body: { durable: boolean; auto_delete: boolean; arguments?: Record<string, unknown> } = { durable: durable.input.checked, auto_delete: autoDelete.input.checked };
      const a = jsonObject(args.value, 'Arguments');
      if (a) body.arguments = a;
      await api('PUT', '/queues/' + enc(vhost.value) + '/' + enc(name.value), body);
      setStatus(out, 'Queue ' + name.value + ' declared.', 'ok');
      name.value = '';
      refreshNow();
    } catch (err) {
      setStatus(out, 'Could not add the queue: ' + errorText(err), 'error');
    }
  });
  return h('details', { class: 'card' }, h('summary', {}, 'Add a queue'), form);
}

export function mountQueue(root: HTMLElement, route: { vhost: string; name: string }): Refresh {
  const { vhost, name } = route;
  const path = '/queues/' + enc(vhost) + '/' + enc(name);
  const stats = h('dl', { class: 'stats' });
  const info = h('dl', { class: 'kv' });
  const depth = chart('Depth', 'messages');
  const consumers = h('table', { class: 'grid', 'aria-label': 'Consumers' });
  const bindings = h('table', { class: 'grid', 'aria-label': 'Bindings' });
  const gone = h('p', { class: 'banner error', role: 'alert', hidden: true }, 'This queue no longer exists.');
  const actionStatus = status();
  const samples: Sample[] = [];
  const purge = confirmButton('Purge messages', 'Confirm purge', async () => {
    try {
      await api('DELETE', path + '/contents');
      setStatus(actionStatus, 'Queue purged.', 'ok');
      refreshNow();
    } catch (err) {
      setStatus(actionStatus, 'Purge failed: ' + errorText(err), 'error');
    }
  });
  const del = confirmButton('Delete queue', 'Confirm delete', async () => {
    try {
      await api('DELETE', path);
      location.hash = '#/queues';
    } catch (err) {
      setStatus(actionStatus, 'Delete failed: ' + errorText(err), 'error');
    }
  });
  root.append(
    crumbs('#/queues', 'Queues', vhost),
    pageHeader(name, h('div', { class: 'toolbar' }, actionStatus, purge, del)),
    gone,
    h('div', { class: 'cards two' }, card('Messages', stats, depth.el), card('Details', info)),
    h('div', { class: 'cards two' }, card('Publish message', publishForm(vhost, '', name)), card('Get messages', getForm(vhost, name))),
    h('div', { class: 'cards two' }, card('Consumers', h('div', { class: 'scroll' }, consumers)), card('Bindings', h('div', { class: 'scroll' }, bindings))),
  );
  return async () => {
    let q: Queue;
    try {
      q = await api<Queue>('GET', path);
    } catch (err) {
      if (statusOf(err) !== 404) throw err;
      gone.hidden = false;
      return;
    }
    gone.hidden = true;
    const r = sampleQueue('q' + queueKey(q), q.messages_ready, q.messages_unacknowledged, q.message_stats);
    samples.push({ t: Date.now(), ready: q.messages_ready, unacked: q.messages_unacknowledged });
    while (samples.length && Date.now() - samples[0]!.t > WINDOW_MS) samples.shift();
    const items: StatItem[] = [
      ['Ready', fmtNum(q.messages_ready), 'ready'],
      ['Unacked', fmtNum(q.messages_unacknowledged), 'unacked'],
      ['Total', fmtNum(q.messages), 'total'],
      ['Consumers', fmtNum(q.consumers), 'consumers'],
      ['Ready Δ', fmtRate(r.dReady, true) || '–', 'ready-rate'],
    ];
    for (const [k, label] of MESSAGE_RATES) if (typeof r[k] === 'number') items.push([label, fmtRate(r[k]), k]);
    if (typeof q.consumer_utilisation === 'number') items.push(['Utilisation', Math.round(q.consumer_utilisation * 100) + '%', 'utilisation']);
    renderStats(stats, items);
    depth.draw(
      samples,
      [
        { key: 'ready', label: 'Ready' },
        { key: 'unacked', label: 'Unacked' },
      ],
      fmtNum,
    );
    const args = q.arguments ?? {};
    renderStats(info, [
      ['Virtual host', q.vhost],
      ['Type', q.type || 'classic'],
      ['State', q.state || ''],
      ['Features', featuresOrNone(q)],
      ['Arguments', Object.keys(args).length ? h('code', {}, JSON.stringify(args)) : 'none'],
      ['Policy', q.policy || 'none', 'policy'],
      ['Operator policy', q.operator_policy || 'none', 'operator-policy'],
      ['Effective policy definition', Object.keys(q.effective_policy_definition ?? {}).length ? h('code', {}, JSON.stringify(q.effective_policy_definition)) : 'none', 'effective-policy'],
      ['Ready bytes', fmtBytes(q.message_bytes_ready)],
      ['Unacked bytes', fmtBytes(q.message_bytes_unacknowledged)],
      ['Exclusive owner', q.owner_pid_details ? q.owner_pid_details.name : 'none'],
      ...streamDetails(q),
    ]);
    renderTable<Consumer>(
      consumers,
      [
        { id: 'tag', label: 'Consumer tag', text: (c) => c.consumer_tag },
        { id: 'channel', label: 'Channel', text: (c) => c.channel_details?.name ?? '' },
        { id: 'ack', label: 'Ack required', text: (c) => (c.ack_required ? 'yes' : 'no') },
        { id: 'prefetch', label: 'Prefetch', text: (c) => fmtNum(c.prefetch_count), num: true },
        { id: 'active', label: 'Active', text: (c) => (c.active ? 'yes' : 'no') },
        ...(q.type === 'stream'
          ? [
              { id: 'offset', label: 'Offset', title: 'Offset of the last message delivered to it', text: (c: Consumer) => (c.stream_offset === undefined || c.stream_offset < 0 ? '–' : fmtNum(c.stream_offset)), num: true },
              { id: 'lag', label: 'Lag', title: 'Messages in the stream it has not been handed yet', text: (c: Consumer) => fmtNum(c.stream_lag), num: true },
            ]
          : []),
      ],
      q.consumer_details ?? [],
      (c) => (c.channel_details?.name ?? '') + '\n' + c.consumer_tag,
      'No consumers.',
    );
    const bs = await api<Binding[]>('GET', path + '/bindings');
    renderTable<Binding>(
      bindings,
      [
        { id: 'source', label: 'From exchange', text: (b) => b.source, cell: (b) => h('a', { href: exchangeHref(b.vhost, b.source) }, exchangeLabel(b.source)) },
        { id: 'key', label: 'Routing key', text: (b) => b.routing_key },
        { id: 'args', label: 'Arguments', text: (b) => argumentsText(b.arguments) },
      ],
      bs,
      (b) => b.source + '\n' + b.properties_key,
      'No bindings.',
    );
  };
}

/** A stream's log in the details card: segment files, bytes on disk, the offsets it spans. */
function streamDetails(q: Queue): StatItem[] {
  if (q.type !== 'stream') return [];
  return [
    ['Segments', fmtNum(q.stream_segments)],
    ['On disk', fmtBytes(q.stream_bytes_on_disk)],
    ['Offsets', fmtNum(q.stream_first_offset) + ' – ' + fmtNum(q.stream_next_offset)],
  ];
}
