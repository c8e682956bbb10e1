// The Trace page: pick a virtual host, switch its firehose on or off, and watch its publishes and deliveries live
// (exchange, routing keys, queues, headers, properties, body preview) from Warren's server-sent-events stream.
import { api, errorText, statusOf } from '../api.js';
import { enc, h } from '../dom.js';
import { openEventStream, type EventStream } from '../event-stream.js';
import { exchangeLabel, fmtBytes, fmtNum } from '../format.js';
import { defaultVhost, isAdministrator, onLeave, type Refresh } from '../state.js';
import type { TraceMessage, TraceStatus, Vhost } from '../types.js';
import { card, field, fillSelect, pageHeader, setStatus, status, tableCard } from '../widgets.js';

/** Rows kept on the page (the oldest go first). */
const MAX_ROWS = 500;

const json = (v: unknown): string => JSON.stringify(v, null, 2);

function bodyText(m: TraceMessage): string {
  const more = m.payload_truncated ? ' … (' + fmtBytes(m.payload_bytes) + ' in all)' : '';
  return (m.payload_encoding === 'base64' ? 'base64: ' : '') + m.payload + more;
}

/** The trace headers RabbitMQ puts on the copy, as one object (what a queue bound to amq.rabbitmq.trace receives). */
function traceHeaders(m: TraceMessage): Record<string, unknown> {
  const where = m.type === 'publish' ? { routed_queues: m.routed_queues ?? [] } : { redelivered: m.redelivered ? 1 : 0 };
  return { exchange_name: m.exchange, routing_keys: m.routing_keys, node: m.node, vhost: m.vhost, connection: m.connection, channel: m.channel, user: m.user, ...where };
}

function messageRow(m: TraceMessage): HTMLTableRowElement {
  const cell = (col: string, ...children: (Node | string)[]) => h('td', { 'data-col': col }, ...children);
  const queues = m.type === 'publish' ? (m.routed_queues ?? []).join(', ') || '(unroutable)' : (m.queue ?? '');
  const preview = m.payload.length > 80 ? m.payload.slice(0, 80) + '…' : m.payload;
  const details = h(
    'details',
    {},
    h('summary', {}, h('code', {}, m.payload_encoding === 'base64' ? 'base64: ' + preview : preview || '(empty body)')),
    h('dl', { class: 'kv' },
      h('div', {}, h('dt', {}, 'Body'), h('dd', {}, h('pre', { 'data-field': 'body' }, bodyText(m)))),
      h('div', {}, h('dt', {}, 'Size'), h('dd', {}, fmtBytes(m.payload_bytes))),
      h('div', {}, h('dt', {}, 'Properties'), h('dd', {}, h('pre', { 'data-field': 'properties' }, json(m.properties)))),
      h('div', {}, h('dt', {}, 'Trace headers'), h('dd', {}, h('pre', { 'data-field': 'headers' }, json(traceHeaders(m))))),
    ),
  );
  return h(
    'tr',
    { 'data-seq': m.seq },
    cell('seq', String(m.seq)),
    cell('time', new Date(m.timestamp).toLocaleTimeString()),
    cell('type', h('span', { class: 'badge' }, m.type + (m.redelivered ? ' (redelivered)' : ''))),
    cell('exchange', exchangeLabel(m.exchange)),
    cell('routing-keys', h('code', {}, m.routing_keys.join(', '))),
    cell('queue', queues),
    cell('user', m.user),
    cell('message', details),
  );
}

export function mountTrace(root: HTMLElement): Refresh {
  const out = status();
  const vhost = h('select', {});
  const tracingState = h('strong', { 'data-stat': 'tracing' }, '…');
  const toggle = h('button', { type: 'button', class: 'primary' }, 'Start tracing');
  toggle.hidden = !isAdministrator();
  const counts = h('p', { class: 'hint', 'data-stat': 'trace-counts' });
  const streamOut = status();
  const pause = h('button', { type: 'button' }, 'Pause');
  const clear = h('button', { type: 'button' }, 'Clear');
  const table = h('table', { class: 'grid', 'aria-label': 'Traced messages' });
  const body = h('tbody');
  const empty = h('tr', { class: 'empty' }, h('td', { colspan: 8 }, 'No traced messages yet.'));
  table.append(
    h('thead', {}, h('tr', {}, ['#', 'Time', 'Event', 'Exchange', 'Routing keys', 'Queues', 'User', 'Message'].map((l) => h('th', { scope: 'col' }, l)))),
    body,
  );
  body.append(empty);

  let stream: EventStream | undefined;
  let watching = '';
  let tracing: boolean | undefined;
  let shown = 0;
  let dropped = 0;
  let paused = false;
  /** Whether the stream of `watching` is open (its status event came). */
  let connected = false;
  /** The vhost whose stream was refused (not retried until another is picked). */
  let refused = '';

  const showTracing = (on: boolean): void => {
    tracing = on;
    tracingState.textContent = on ? 'on' : 'off';
    toggle.textContent = on ? 'Stop tracing' : 'Start tracing';
    toggle.className = on ? 'danger' : 'primary';
    if (connected) setStatus(streamOut, 'Watching ' + watching + (on ? '.' : ': tracing is off, nothing is traced.'), 'ok');
  };
  const showCounts = (): void => {
    counts.textContent = fmtNum(shown) + ' traced messages received · ' + fmtNum(dropped) + ' dropped by the broker (this browser read too slowly)';
  };
  const clearRows = (): void => {
    body.replaceChildren(empty);
  };

  const onEvent = (name: string, data: unknown): void => {
    if (name === 'status') {
      connected = true;
      showTracing((data as TraceStatus).tracing);
    } else if (name === 'dropped') {
      dropped = (data as { dropped: number }).dropped;
      showCounts();
    } else if (name === 'trace') {
      shown++;
      showCounts();
      if (paused) return;
      empty.remove();
      body.prepend(messageRow(data as TraceMessage));
      while (body.rows.length > MAX_ROWS) body.lastElementChild?.remove();
    }
  };

  const stop = (): void => {
    stream?.close();
    stream = undefined;
    connected = false;
  };
  const watch = (name: string): void => {
    stop();
    watching = name;
    shown = 0;
    dropped = 0;
    showCounts();
    clearRows();
    setStatus(streamOut, 'Connecting to ' + name + '…');
    const s = openEventStream('/warren/trace/' + enc(name) + '/stream', onEvent);
    stream = s;
    s.done.then(
      () => {
        if (stream !== s) return;
        stream = undefined;
        connected = false;
        setStatus(streamOut, 'The stream of ' + name + ' ended; reconnecting at the next refresh.', 'warn');
      },
      (err: unknown) => {
        if (stream !== s) return;
        stream = undefined;
        connected = false;
        if (statusOf(err) !== 0) refused = name;
        setStatus(streamOut, 'Cannot watch ' + name + ': ' + errorText(err), 'error');
      },
    );
  };
  onLeave(stop);

  vhost.addEventListener('change', () => {
    refused = '';
    watch(vhost.value);
  });
  toggle.addEventListener('click', async () => {
    toggle.disabled = true;
    const on = !tracing;
    try {
      await api('PUT', '/vhosts/' + enc(vhost.value), { tracing: on });
      showTracing(on);
      setStatus(out, 'Tracing ' + (on ? 'started' : 'stopped') + ' in ' + vhost.value + '.', 'ok');
    } catch (err) {
      setStatus(out, 'Could not switch tracing: ' + errorText(err), 'error');
    } finally {
      toggle.disabled = false;
    }
  });
  pause.addEventListener('click', () => {
    paused = !paused;
    pause.textContent = paused ? 'Resume' : 'Pause';
  });
  clear.addEventListener('click', clearRows);

  root.append(
    pageHeader('Trace', out),
    card(
      'Firehose',
      h('div', { class: 'row trace-vhost' }, field('Virtual host', vhost)),
      h('p', {}, 'Tracing in this virtual host is ', tracingState, '. ', toggle),
      h(
        'p',
        { class: 'hint' },
        'While tracing is on, every publish and delivery of the virtual host is also copied to the exchange amq.rabbitmq.trace (as rabbitmqctl trace_on), which costs throughput. ',
        isAdministrator() ? '' : 'Only an administrator can switch it. ',
        'Tracing does not survive a restart of the broker, as on RabbitMQ.',
      ),
      streamOut,
      counts,
      h('div', { class: 'toolbar' }, pause, clear),
    ),
    tableCard(table),
  );

  return async () => {
    const vhosts = await api<Vhost[]>('GET', '/vhosts?columns=name,tracing');
    fillSelect(vhost, vhosts.map((v) => v.name).sort(), watching || defaultVhost());
    const current = vhosts.find((v) => v.name === vhost.value);
    if (current?.tracing !== undefined) showTracing(current.tracing);
    const name = vhost.value;
    if (name !== '' && (stream === undefined || watching !== name) && !(refused === name && watching === name)) watch(name);
  };
}
