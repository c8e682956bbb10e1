// The dashboard's client, a browser ES module (served at /dashboard/app.js) kept as text so it ships with dist/ without a
// build step. It is plain JavaScript for the browser, not type-checked: keep it free of backticks and dollar-brace.
export const DASHBOARD_JS = String.raw`// Warren's dashboard: a vanilla ES module over the management API of the same origin. The login form's
// credentials live in sessionStorage and go out as an HTTP Basic header on every request; views poll the API.

const AUTH_KEY = 'warren.auth';
const PREFS_KEY = 'warren.prefs';
/** How much history the charts show, in milliseconds. */
const WINDOW_MS = 120000;

const state = {
  auth: sessionStorage.getItem(AUTH_KEY),
  user: null,
  vhosts: [],
  overview: null,
  prefs: loadPrefs(),
  refresh: null,
  timer: 0,
  seq: 0,
  /** Overview samples for the charts: { t, ready, unacked, publish, deliver_get, ack, dReady, dUnacked }. */
  history: [],
  /** The previous counters per object, to turn two samples into per-second rates. */
  previous: new Map(),
};

// ---- small helpers -------------------------------------------------------------------------------

const $ = (sel, root) => (root || document).querySelector(sel);
const enc = encodeURIComponent;
let uidCounter = 0;
const uid = (prefix) => prefix + '-' + ++uidCounter;

/** Builds an element: h('a', { href: '#/', class: 'x', onclick: fn }, 'text', child). Text is never parsed as HTML. */
function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else if (k === 'class') el.className = v;
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children.flat(Infinity)) if (c !== undefined && c !== null && c !== false) el.append(c instanceof Node ? c : String(c));
  return el;
}

const SVG_NS = 'http://www.w3.org/2000/svg';
function s(tag, attrs, ...children) {
  const el = document.createElementNS(SVG_NS, tag);
  for (const [k, v] of Object.entries(attrs || {})) if (v !== undefined && v !== null) el.setAttribute(k, String(v));
  for (const c of children) el.append(c);
  return el;
}

const numberFormat = new Intl.NumberFormat('en');
const fmtNum = (n) => (typeof n === 'number' ? numberFormat.format(n) : n === undefined || n === null ? '' : String(n));

function fmtRate(r, signed) {
  if (typeof r !== 'number' || !Number.isFinite(r)) return '';
  const abs = Math.abs(r);
  const text = abs >= 100 ? numberFormat.format(Math.round(r)) : r.toFixed(abs >= 10 ? 1 : 2);
  return (signed && r > 0 ? '+' : '') + text + '/s';
}

function fmtBytes(n) {
  if (typeof n !== 'number') return '';
  const units = ['B', 'kB', 'MB', 'GB', 'TB'];
  let i = 0;
  while (n >= 1000 && i < units.length - 1) {
    n /= 1000;
    i++;
  }
  return (i === 0 ? String(n) : n.toFixed(1)) + ' ' + units[i];
}

const exchangeLabel = (name) => (name === '' ? '(AMQP default)' : name);
const exchangeSegment = (name) => (name === '' ? 'amq.default' : name);
const queueHref = (vhost, name) => '#/queues/' + enc(vhost) + '/' + enc(name);
const exchangeHref = (vhost, name) => '#/exchanges/' + enc(vhost) + '/' + enc(exchangeSegment(name));
const queueKey = (q) => JSON.stringify([q.vhost, q.name]);

function loadPrefs() {
  const defaults = { vhost: '', interval: 2000 };
  try {
    return Object.assign(defaults, JSON.parse(sessionStorage.getItem(PREFS_KEY) || '{}'));
  } catch {
    return defaults;
  }
}

const savePrefs = () => sessionStorage.setItem(PREFS_KEY, JSON.stringify(state.prefs));

/** UTF-8 safe base64 of "user:password" for the Authorization header. */
function basicToken(user, pass) {
  let bin = '';
  for (const b of new TextEncoder().encode(user + ':' + pass)) bin += String.fromCharCode(b);
  return btoa(bin);
}

// ---- the API ----------------------------------------------------------------------------------------

class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

/** Calls the management API (path like '/queues'); JSON in and out, errors as ApiError with RabbitMQ's reason. */
async function api(method, path, body) {
  const headers = { accept: 'application/json' };
  if (state.auth) headers.authorization = 'Basic ' + state.auth;
  const init = { method, headers, cache: 'no-store', credentials: 'omit' };
  if (body !== undefined) {
    headers['content-type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  let res;
  try {
    res = await fetch('api' + path, init);
  } catch {
    throw new ApiError(0, 'cannot reach the broker');
  }
  const text = await res.text();
  let data;
  try {
    data = text === '' ? undefined : JSON.parse(text);
  } catch {
    data = text;
  }
  if (!res.ok) {
    const reason = data && typeof data === 'object' ? data.reason || data.error : data;
    throw new ApiError(res.status, typeof reason === 'string' && reason !== '' ? reason : res.status + ' ' + res.statusText);
  }
  return data;
}

const vhostScope = () => (state.prefs.vhost ? '/' + enc(state.prefs.vhost) : '');

/**
 * Per-second rates between this sample of an object's counters and the previous one (none for the first sample,
 * or when the previous one is too old to mean anything).
 */
function ratesOf(key, values) {
  const now = Date.now();
  const prev = state.previous.get(key);
  // A poll right after another (an action refreshes at once) keeps the rates of the last full interval.
  if (prev && now - prev.t < 500) return prev.rates;
  const rates = {};
  if (prev && now - prev.t <= 30000) {
    const dt = (now - prev.t) / 1000;
    for (const k of Object.keys(values)) {
      const a = prev.values[k];
      const b = values[k];
      if (typeof a === 'number' && typeof b === 'number') rates[k] = (b - a) / dt;
    }
  }
  state.previous.set(key, { t: now, values, rates });
  return rates;
}

/** Forgets the samples of objects not seen for a minute (deleted queues, closed connections). */
function forgetOldSamples() {
  const now = Date.now();
  for (const [key, sample] of state.previous) if (now - sample.t > 60000) state.previous.delete(key);
}

const MESSAGE_RATES = [
  ['publish', 'Incoming'],
  ['deliver_get', 'Deliver / get'],
  ['ack', 'Ack'],
];

/**
 * Message rates from message_stats: the change of its X counter between the last two polls when there are two (it
 * follows the poll interval), else the broker's own X_details.rate (which covers a longer sampling interval).
 */
function messageRates(stats, counterRates) {
  const out = {};
  for (const [k] of MESSAGE_RATES) {
    const details = stats && stats[k + '_details'];
    if (typeof counterRates[k] === 'number') out[k] = Math.max(0, counterRates[k]);
    else if (details && typeof details.rate === 'number') out[k] = details.rate;
  }
  return out;
}

/** Depth, depth change and message rates of a queue (or the whole broker's totals). */
function sampleQueue(key, ready, unacked, stats) {
  const counters = { ready, unacked };
  for (const [k] of MESSAGE_RATES) if (stats && typeof stats[k] === 'number') counters[k] = stats[k];
  const r = ratesOf(key, counters);
  return Object.assign({ dReady: r.ready, dUnacked: r.unacked }, messageRates(stats, r));
}

// ---- shared widgets ---------------------------------------------------------------------------------

/**
 * Renders rows into a table, reusing rows by key and rewriting a cell only when its text changes, so links stay
 * clickable and text selections survive polling. A column: { id, label, text(row), cell?(row), num?, title? }.
 */
function renderTable(table, columns, rows, keyOf, emptyText) {
  const signature = columns.map((c) => c.id).join(',');
  if (table._signature !== signature) {
    const head = h('tr', {}, columns.map((c) => h('th', { scope: 'col', class: c.num ? 'num' : null, title: c.title }, c.label)));
    table.replaceChildren(h('thead', {}, head), h('tbody'));
    table._signature = signature;
  }
  const body = table.tBodies[0];
  const existing = new Map();
  for (const tr of [...body.rows]) {
    if (tr._key === undefined) tr.remove();
    else existing.set(tr._key, tr);
  }
  let previous = null;
  for (const row of rows) {
    const key = keyOf(row);
    let tr = existing.get(key);
    existing.delete(key);
    if (!tr) {
      tr = h('tr', {}, columns.map((c) => h('td', { 'data-col': c.id, class: c.num ? 'num' : null })));
      tr._key = key;
    }
    columns.forEach((c, i) => {
      const td = tr.cells[i];
      const text = String(c.text(row));
      if (td._text === text) return;
      td._text = text;
      td.replaceChildren(c.cell ? c.cell(row) : text);
    });
    const expected = previous ? previous.nextSibling : body.firstChild;
    if (tr !== expected) body.insertBefore(tr, expected);
    previous = tr;
  }
  for (const tr of existing.values()) tr.remove();
  if (rows.length === 0) body.append(h('tr', { class: 'empty' }, h('td', { colspan: columns.length }, emptyText || 'Nothing to show.')));
}

/** A <dl> of label/value pairs, rewritten in place: items are [label, value, id?]. */
function renderStats(dl, items) {
  dl.replaceChildren(...items.map(([label, value, id]) => h('div', {}, h('dt', {}, label), h('dd', { 'data-stat': id || null }, value))));
}

function card(title, ...children) {
  const id = uid('card');
  return h('section', { class: 'card', 'aria-labelledby': id }, h('h2', { id }, title), children);
}

function field(label, control, hint) {
  const id = control.id || uid('f');
  control.id = id;
  return h('div', { class: 'field' }, h('label', { for: id }, label), control, hint ? h('small', { class: 'hint' }, hint) : null);
}

function checkbox(label, checked) {
  const input = h('input', { type: 'checkbox', checked });
  return { input, el: h('label', { class: 'check' }, input, ' ', label) };
}

function select(options, value) {
  const el = h('select', {}, options.map(([v, label]) => h('option', { value: v }, label)));
  el.value = value;
  return el;
}

function status() {
  return h('p', { class: 'status', role: 'status', 'aria-live': 'polite' });
}

function setStatus(el, text, kind) {
  el.textContent = text;
  el.className = 'status' + (kind ? ' ' + kind : '');
}

/** A button that asks for a second click ("Confirm …") before running a destructive action. */
function confirmButton(label, confirmLabel, action) {
  const button = h('button', { type: 'button', class: 'danger' });
  let timer = 0;
  const reset = () => {
    clearTimeout(timer);
    timer = 0;
    button.textContent = label;
    button.classList.remove('armed');
  };
  reset();
  button.addEventListener('click', async () => {
    if (!timer) {
      button.textContent = confirmLabel;
      button.classList.add('armed');
      timer = setTimeout(reset, 5000);
      return;
    }
    reset();
    button.disabled = true;
    try {
      await action();
    } finally {
      button.disabled = false;
    }
  });
  return button;
}

/** Parses an optional JSON object typed into a form; throws a readable error. */
function jsonObject(text, what) {
  if (text.trim() === '') return undefined;
  let v;
  try {
    v = JSON.parse(text);
  } catch {
    throw new Error(what + ' must be JSON');
  }
  if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new Error(what + ' must be a JSON object');
  return v;
}

/** Badges for a queue's or exchange's flags and arguments, with the full arguments in a tooltip. */
function features(o) {
  const out = h('span', { class: 'features' });
  const add = (text, title) => out.append(h('abbr', { class: 'badge', title }, text));
  if (o.durable) add('D', 'durable');
  if (o.auto_delete) add('AD', 'auto-delete');
  if (o.exclusive) add('Excl', 'exclusive');
  if (o.internal) add('I', 'internal');
  const args = o.arguments || {};
  const short = { 'x-message-ttl': 'TTL', 'x-expires': 'Exp', 'x-max-length': 'Lim', 'x-max-length-bytes': 'Lim B', 'x-dead-letter-exchange': 'DLX', 'x-dead-letter-routing-key': 'DLK', 'x-max-priority': 'Pri', 'x-single-active-consumer': 'SAC', 'x-overflow': 'Ovfl', 'x-queue-mode': 'Mode', 'alternate-exchange': 'AE' };
  for (const [k, v] of Object.entries(args)) if (k !== 'x-queue-type') add(short[k] || 'Args', k + ': ' + JSON.stringify(v));
  return out;
}

const featuresOrNone = (o) => {
  const f = features(o);
  return f.childElementCount ? f : 'none';
};

const featuresText = (o) => JSON.stringify([o.durable, o.auto_delete, o.exclusive, o.internal, o.arguments]);

/** A line chart of the last two minutes: series are [{ key, label }] read from samples ({ t, [key]: number }). */
function chart(title, unitLabel, hideCaption) {
  const id = uid('chart');
  const svg = s('svg', { viewBox: '0 0 600 150', class: 'chart', role: 'img', 'aria-labelledby': id });
  const legend = h('ul', { class: 'legend' });
  const el = h('figure', { class: 'chart-box' }, h('figcaption', { id, class: hideCaption ? 'sr-only' : null }, title), svg, legend);
  const draw = (samples, series, format) => {
    const W = 600;
    const H = 150;
    const left = 48;
    const right = 8;
    const top = 8;
    const bottom = 22;
    const now = Date.now();
    const recent = samples.filter((p) => now - p.t <= WINDOW_MS);
    const values = recent.flatMap((p) => series.map((sr) => p[sr.key])).filter((v) => typeof v === 'number' && Number.isFinite(v));
    let max = Math.max(0, ...values);
    const min = Math.min(0, ...values);
    if (max - min < 1) max = min + 1;
    const x = (t) => left + ((W - left - right) * (WINDOW_MS - (now - t))) / WINDOW_MS;
    const y = (v) => top + ((H - top - bottom) * (max - v)) / (max - min);
    svg.replaceChildren();
    for (const v of min < 0 ? [max, 0, min] : [max, max / 2, 0]) {
      svg.append(s('line', { x1: left, x2: W - right, y1: y(v), y2: y(v), class: v === 0 ? 'axis' : 'grid' }));
      svg.append(s('text', { x: left - 6, y: y(v) + 4, class: 'tick', 'text-anchor': 'end' }, format(v)));
    }
    svg.append(s('text', { x: left, y: H - 4, class: 'tick' }, '2 min ago'));
    svg.append(s('text', { x: W - right, y: H - 4, class: 'tick', 'text-anchor': 'end' }, 'now'));
    legend.replaceChildren();
    const summary = [];
    series.forEach((sr, i) => {
      const points = recent.filter((p) => typeof p[sr.key] === 'number' && Number.isFinite(p[sr.key]));
      if (points.length > 1) svg.append(s('polyline', { class: 'line s' + i, points: points.map((p) => x(p.t).toFixed(1) + ',' + y(p[sr.key]).toFixed(1)).join(' ') }));
      const last = points.length ? points[points.length - 1][sr.key] : undefined;
      const shown = last === undefined ? '–' : format(last);
      summary.push(sr.label + ' ' + shown);
      legend.append(h('li', {}, h('span', { class: 'swatch s' + i, 'aria-hidden': 'true' }), sr.label + ' ', h('strong', {}, shown)));
    });
    svg.setAttribute('aria-label', title + (unitLabel ? ' (' + unitLabel + ')' : '') + ': ' + summary.join(', '));
  };
  return { el, draw };
}

// ---- publish and get forms -------------------------------------------------------------------------

/** Publishes through /api/exchanges/{vhost}/{exchange}/publish; a fixed routing key hides that field. */
function publishForm(vhost, exchange, fixedRoutingKey) {
  const routingKey = h('input', { type: 'text', autocomplete: 'off', spellcheck: 'false' });
  const deliveryMode = select([['1', '1 – non-persistent'], ['2', '2 – persistent']], '1');
  const headers = h('textarea', { rows: 2, spellcheck: 'false', placeholder: '{"x-trace-id": "abc"}' });
  const properties = h('textarea', { rows: 2, spellcheck: 'false', placeholder: '{"content_type": "text/plain"}' });
  const payload = h('textarea', { rows: 4, spellcheck: 'false' });
  const encoding = select([['string', 'String'], ['base64', 'Base64']], 'string');
  const out = status();
  const submit = h('button', { type: 'submit', class: 'primary' }, 'Publish message');
  const form = h(
    'form',
    { class: 'form', novalidate: true },
    fixedRoutingKey === undefined
      ? field('Routing key', routingKey)
      : h('p', { class: 'hint' }, 'Published through the default exchange with routing key ', h('code', {}, fixedRoutingKey), '.'),
    h('div', { class: 'row' }, field('Delivery mode', deliveryMode), field('Payload encoding', encoding)),
    field('Headers', headers, 'Optional JSON object'),
    field('Properties', properties, 'Optional JSON object, e.g. content_type, correlation_id, expiration'),
    field('Payload', payload),
    h('div', { class: 'actions' }, submit, out),
  );
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    submit.disabled = true;
    try {
      const props = Object.assign({ delivery_mode: Number(deliveryMode.value) }, jsonObject(properties.value, 'Properties'));
      const hdrs = jsonObject(headers.value, 'Headers');
      if (hdrs) props.headers = hdrs;
      const body = {
        properties: props,
        routing_key: fixedRoutingKey === undefined ? routingKey.value : fixedRoutingKey,
        payload: payload.value,
        payload_encoding: encoding.value,
      };
      const r = await api('POST', '/exchanges/' + enc(vhost) + '/' + enc(exchangeSegment(exchange)) + '/publish', body);
      if (r && r.routed) setStatus(out, 'Message published.', 'ok');
      else setStatus(out, 'Message published, but not routed.', 'warn');
      tick();
    } catch (err) {
      setStatus(out, 'Publish failed: ' + err.message, 'error');
    } finally {
      submit.disabled = false;
    }
  });
  return form;
}

const ACK_MODES = [
  ['ack_requeue_true', 'Peek: requeue the messages'],
  ['ack_requeue_false', 'Get and acknowledge (removes them)'],
  ['reject_requeue_true', 'Reject and requeue'],
  ['reject_requeue_false', 'Reject without requeue (dead-letters them)'],
];

/** Fetches messages through /api/queues/{vhost}/{name}/get and lists them. */
function getForm(vhost, name) {
  const ackmode = select(ACK_MODES, 'ack_requeue_true');
  const encoding = select([['auto', 'Auto: string or base64'], ['base64', 'Base64']], 'auto');
  const count = h('input', { type: 'number', min: 1, max: 1000, value: 1, inputmode: 'numeric' });
  const truncate = h('input', { type: 'number', min: 0, value: 50000, inputmode: 'numeric' });
  const out = status();
  const results = h('div', { class: 'messages', 'aria-label': 'Fetched messages' });
  const submit = h('button', { type: 'submit', class: 'primary' }, 'Get messages');
  const form = h(
    'form',
    { class: 'form', novalidate: true },
    field('Ack mode', ackmode),
    h('div', { class: 'row' }, field('Encoding', encoding), field('Messages', count), field('Truncate (bytes)', truncate)),
    h('div', { class: 'actions' }, submit, out),
    results,
  );
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    submit.disabled = true;
    try {
      const body = { count: Math.max(1, Number(count.value) || 1), ackmode: ackmode.value, encoding: encoding.value };
      if (truncate.value !== '') body.truncate = Math.max(0, Number(truncate.value) || 0);
      const messages = await api('POST', '/queues/' + enc(vhost) + '/' + enc(name) + '/get', body);
      results.replaceChildren(...messages.map(messageView));
      if (messages.length === 0) setStatus(out, 'Queue is empty.', 'warn');
      else {
        const fetched = 'Fetched ' + messages.length + (messages.length === 1 ? ' message' : ' messages');
        const requeued = body.ackmode.endsWith('requeue_true');
        setStatus(out, fetched + (requeued ? ', then requeued.' : '; ' + fmtNum(messages[messages.length - 1].message_count) + ' left in the queue.'), 'ok');
      }
      tick();
    } catch (err) {
      setStatus(out, 'Get failed: ' + err.message, 'error');
    } finally {
      submit.disabled = false;
    }
  });
  return form;
}

function messageView(m, i) {
  const id = uid('msg');
  const props = Object.keys(m.properties || {}).length ? JSON.stringify(m.properties, null, 2) : 'none';
  const details = h('dl', { class: 'kv' });
  renderStats(details, [
    ['Exchange', exchangeLabel(m.exchange)],
    ['Routing key', h('code', {}, m.routing_key)],
    ['Redelivered', m.redelivered ? 'yes' : 'no'],
    ['Properties', h('pre', {}, props)],
    ['Payload', h('small', { class: 'hint' }, fmtNum(m.payload_bytes) + ' bytes, encoding: ' + m.payload_encoding)],
  ]);
  return h('article', { class: 'message', 'aria-labelledby': id }, h('h3', { id }, 'Message ' + (i + 1)), details, h('pre', { class: 'payload' }, m.payload));
}

// ---- views --------------------------------------------------------------------------------------

const showVhostColumn = () => state.prefs.vhost === '' && state.vhosts.length > 1;
const vhostColumn = { id: 'vhost', label: 'Virtual host', text: (r) => r.vhost };

function crumbs(href, label, vhost) {
  return h('nav', { class: 'crumbs', 'aria-label': 'Breadcrumb' }, h('a', { href }, '‹ ' + label), ' · virtual host ', h('code', {}, vhost));
}

function pageHeader(title, ...extra) {
  return h('div', { class: 'page-head' }, h('h1', {}, title), ...extra);
}

function filterInput(label, onInput) {
  const input = h('input', { type: 'search', placeholder: 'Filter by name', 'aria-label': label, class: 'filter' });
  input.addEventListener('input', onInput);
  return input;
}

const matches = (filter, ...texts) => {
  const f = filter.value.trim().toLowerCase();
  return f === '' || texts.some((t) => String(t).toLowerCase().includes(f));
};

function mountOverview(root) {
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
    const queues = await api('GET', '/queues' + vhostScope());
    for (const q of queues) q._r = sampleQueue('q' + queueKey(q), q.messages_ready, q.messages_unacknowledged, q.message_stats);
    queues.sort((a, b) => b.messages - a.messages || (a.name < b.name ? -1 : 1));
    renderTable(deepest, queueColumns(queues, true), queues.slice(0, 5), queueKey, 'No queues yet.');
    const qt = o.queue_totals || {};
    const last = state.history[state.history.length - 1] || {};
    renderStats(totals, [
      ['Ready', fmtNum(qt.messages_ready), 'ready'],
      ['Unacked', fmtNum(qt.messages_unacknowledged), 'unacked'],
      ['Total', fmtNum(qt.messages), 'total'],
      ['Ready Δ', fmtRate(last.dReady, true) || '–', 'ready-rate'],
    ]);
    const ot = o.object_totals || {};
    renderStats(objects, [
      ['Connections', fmtNum(ot.connections), 'connections'],
      ['Channels', fmtNum(ot.channels), 'channels'],
      ['Exchanges', fmtNum(ot.exchanges), 'exchanges'],
      ['Queues', fmtNum(ot.queues), 'queues'],
      ['Consumers', fmtNum(ot.consumers), 'consumers'],
    ]);
    depth.draw(state.history, [{ key: 'ready', label: 'Ready' }, { key: 'unacked', label: 'Unacked' }], fmtNum);
    const haveRates = state.history.some((p) => MESSAGE_RATES.some(([k]) => typeof p[k] === 'number'));
    const series = haveRates
      ? MESSAGE_RATES.map(([key, label]) => ({ key, label }))
      : [{ key: 'dReady', label: 'Ready Δ' }, { key: 'dUnacked', label: 'Unacked Δ' }];
    rates.draw(state.history, series, (v) => fmtRate(v));
    renderStats(node, [
      ['Product', (o.product_name || 'Warren') + ' ' + (o.product_version || '')],
      ['Node', o.node || ''],
      ['Compatible with', 'RabbitMQ ' + (o.rabbitmq_version || '')],
      ['Runtime', o.erlang_version || ''],
    ]);
    renderTable(
      listeners,
      [
        { id: 'protocol', label: 'Protocol', text: (l) => l.protocol },
        { id: 'address', label: 'Bound to', text: (l) => l.ip_address },
        { id: 'port', label: 'Port', text: (l) => l.port, num: true },
      ],
      o.listeners || [],
      (l) => l.protocol + ':' + l.port,
    );
  };
}

/** The queue table's columns; rate and utilisation columns appear once some queue reports them. */
function queueColumns(rows, compact) {
  const has = (pred) => rows.some(pred);
  const haveRates = has((q) => MESSAGE_RATES.some(([k]) => typeof q._r[k] === 'number'));
  return [
    showVhostColumn() ? vhostColumn : null,
    { id: 'name', label: 'Name', text: (q) => q.name, cell: (q) => h('a', { href: queueHref(q.vhost, q.name) }, q.name) },
    compact ? null : { id: 'type', label: 'Type', text: (q) => q.type || 'classic' },
    compact ? null : { id: 'features', label: 'Features', text: featuresText, cell: features },
    compact ? null : { id: 'state', label: 'State', text: (q) => q.state || '' },
    { id: 'consumers', label: 'Consumers', text: (q) => fmtNum(q.consumers), num: true },
    has((q) => typeof q.consumer_utilisation === 'number')
      ? { id: 'utilisation', label: 'Utilisation', num: true, title: 'Share of time the queue could deliver to its consumers immediately', text: (q) => (typeof q.consumer_utilisation === 'number' ? Math.round(q.consumer_utilisation * 100) + '%' : '') }
      : null,
    { id: 'ready', label: 'Ready', text: (q) => fmtNum(q.messages_ready), num: true },
    { id: 'unacked', label: 'Unacked', text: (q) => fmtNum(q.messages_unacknowledged), num: true },
    { id: 'total', label: 'Total', text: (q) => fmtNum(q.messages), num: true },
    { id: 'ready-rate', label: 'Ready Δ', title: 'Change of the ready count per second', text: (q) => fmtRate(q._r.dReady, true), num: true },
    haveRates ? { id: 'incoming', label: 'Incoming', text: (q) => fmtRate(q._r.publish), num: true } : null,
    haveRates ? { id: 'deliver', label: 'Deliver / get', text: (q) => fmtRate(q._r.deliver_get), num: true } : null,
    haveRates ? { id: 'ack', label: 'Ack', text: (q) => fmtRate(q._r.ack), num: true } : null,
    compact ? null : { id: 'lag', label: 'Oldest waiting', title: 'Age of the oldest ready message (consumer lag)', text: (q) => (typeof q.oldest_message_age_ms === 'number' && q.oldest_message_age_ms > 0 ? (q.oldest_message_age_ms / 1000).toFixed(1) + ' s' : '–'), num: true },
    compact ? null : { id: 'dead-lettered', label: 'Dead-lettered', title: 'Messages that left the queue for its dead-letter exchange', text: (q) => fmtNum(q.messages_dead_lettered || 0), num: true },
  ].filter(Boolean);
}

function mountQueues(root) {
  const table = h('table', { class: 'grid', 'aria-label': 'Queues' });
  let rows = [];
  const draw = () => {
    const visible = rows.filter((q) => matches(filter, q.name));
    const columns = queueColumns(rows, false);
    renderTable(table, columns, visible, queueKey, rows.length ? 'No queue matches the filter.' : 'No queues yet.');
  };
  const filter = filterInput('Filter queues', draw);
  root.append(pageHeader('Queues', filter), h('div', { class: 'card flush' }, h('div', { class: 'scroll' }, table)), addQueueCard());
  return async () => {
    rows = await api('GET', '/queues' + vhostScope());
    for (const q of rows) q._r = sampleQueue('q' + queueKey(q), q.messages_ready, q.messages_unacknowledged, q.message_stats);
    draw();
  };
}

function addQueueCard() {
  const vhost = select(state.vhosts.map((v) => [v, v]), state.prefs.vhost || (state.vhosts.includes('/') ? '/' : state.vhosts[0] || '/'));
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
      const body = { durable: durable.input.checked, auto_delete: autoDelete.input.checked };
      const a = jsonObject(args.value, 'Arguments');
      if (a) body.arguments = a;
      await api('PUT', '/queues/' + enc(vhost.value) + '/' + enc(name.value), body);
      setStatus(out, 'Queue ' + name.value + ' declared.', 'ok');
      name.value = '';
      tick();
    } catch (err) {
      setStatus(out, 'Could not add the queue: ' + err.message, 'error');
    }
  });
  return h('details', { class: 'card' }, h('summary', {}, 'Add a queue'), form);
}

function mountQueue(root, route) {
  const { vhost, name } = route;
  const path = '/queues/' + enc(vhost) + '/' + enc(name);
  const stats = h('dl', { class: 'stats' });
  const info = h('dl', { class: 'kv' });
  const depth = chart('Depth', 'messages');
  const consumers = h('table', { class: 'grid', 'aria-label': 'Consumers' });
  const bindings = h('table', { class: 'grid', 'aria-label': 'Bindings' });
  const gone = h('p', { class: 'banner error', role: 'alert', hidden: true }, 'This queue no longer exists.');
  const actionStatus = status();
  const samples = [];
  const purge = confirmButton('Purge messages', 'Confirm purge', async () => {
    try {
      await api('DELETE', path + '/contents');
      setStatus(actionStatus, 'Queue purged.', 'ok');
      tick();
    } catch (err) {
      setStatus(actionStatus, 'Purge failed: ' + err.message, 'error');
    }
  });
  const del = confirmButton('Delete queue', 'Confirm delete', async () => {
    try {
      await api('DELETE', path);
      location.hash = '#/queues';
    } catch (err) {
      setStatus(actionStatus, 'Delete failed: ' + err.message, 'error');
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
    let q;
    try {
      q = await api('GET', path);
    } catch (err) {
      if (err.status !== 404) throw err;
      gone.hidden = false;
      return;
    }
    gone.hidden = true;
    const r = sampleQueue('q' + queueKey(q), q.messages_ready, q.messages_unacknowledged, q.message_stats);
    samples.push({ t: Date.now(), ready: q.messages_ready, unacked: q.messages_unacknowledged });
    while (samples.length && Date.now() - samples[0].t > WINDOW_MS) samples.shift();
    const items = [
      ['Ready', fmtNum(q.messages_ready), 'ready'],
      ['Unacked', fmtNum(q.messages_unacknowledged), 'unacked'],
      ['Total', fmtNum(q.messages), 'total'],
      ['Consumers', fmtNum(q.consumers), 'consumers'],
      ['Ready Δ', fmtRate(r.dReady, true) || '–', 'ready-rate'],
    ];
    for (const [k, label] of MESSAGE_RATES) if (typeof r[k] === 'number') items.push([label, fmtRate(r[k]), k]);
    if (typeof q.consumer_utilisation === 'number') items.push(['Utilisation', Math.round(q.consumer_utilisation * 100) + '%', 'utilisation']);
    renderStats(stats, items);
    depth.draw(samples, [{ key: 'ready', label: 'Ready' }, { key: 'unacked', label: 'Unacked' }], fmtNum);
    const args = q.arguments || {};
    renderStats(info, [
      ['Virtual host', q.vhost],
      ['Type', q.type || 'classic'],
      ['State', q.state || ''],
      ['Features', featuresOrNone(q)],
      ['Arguments', Object.keys(args).length ? h('code', {}, JSON.stringify(args)) : 'none'],
      ['Ready bytes', fmtBytes(q.message_bytes_ready)],
      ['Unacked bytes', fmtBytes(q.message_bytes_unacknowledged)],
      ['Exclusive owner', q.owner_pid_details ? q.owner_pid_details.name : 'none'],
    ]);
    renderTable(
      consumers,
      [
        { id: 'tag', label: 'Consumer tag', text: (c) => c.consumer_tag },
        { id: 'channel', label: 'Channel', text: (c) => (c.channel_details ? c.channel_details.name : '') },
        { id: 'ack', label: 'Ack required', text: (c) => (c.ack_required ? 'yes' : 'no') },
        { id: 'prefetch', label: 'Prefetch', text: (c) => fmtNum(c.prefetch_count), num: true },
        { id: 'active', label: 'Active', text: (c) => (c.active ? 'yes' : 'no') },
      ],
      q.consumer_details || [],
      (c) => (c.channel_details ? c.channel_details.name : '') + '\n' + c.consumer_tag,
      'No consumers.',
    );
    const bs = await api('GET', path + '/bindings');
    renderTable(
      bindings,
      [
        { id: 'source', label: 'From exchange', text: (b) => b.source, cell: (b) => h('a', { href: exchangeHref(b.vhost, b.source) }, exchangeLabel(b.source)) },
        { id: 'key', label: 'Routing key', text: (b) => b.routing_key },
        { id: 'args', label: 'Arguments', text: (b) => (Object.keys(b.arguments || {}).length ? JSON.stringify(b.arguments) : '') },
      ],
      bs,
      (b) => b.source + '\n' + b.properties_key,
      'No bindings.',
    );
  };
}

function mountExchanges(root) {
  const table = h('table', { class: 'grid', 'aria-label': 'Exchanges' });
  let rows = [];
  const draw = () => {
    const columns = [
      showVhostColumn() ? vhostColumn : null,
      { id: 'name', label: 'Name', text: (x) => x.name, cell: (x) => h('a', { href: exchangeHref(x.vhost, x.name) }, exchangeLabel(x.name)) },
      { id: 'type', label: 'Type', text: (x) => x.type },
      { id: 'features', label: 'Features', text: featuresText, cell: features },
    ].filter(Boolean);
    renderTable(table, columns, rows.filter((x) => matches(filter, exchangeLabel(x.name))), (x) => JSON.stringify([x.vhost, x.name]), 'No exchanges.');
  };
  const filter = filterInput('Filter exchanges', draw);
  root.append(pageHeader('Exchanges', filter), h('div', { class: 'card flush' }, h('div', { class: 'scroll' }, table)));
  return async () => {
    rows = await api('GET', '/exchanges' + vhostScope());
    draw();
  };
}

function mountExchange(root, route) {
  const { vhost } = route;
  const name = route.name === 'amq.default' ? '' : route.name;
  const path = '/exchanges/' + enc(vhost) + '/' + enc(exchangeSegment(name));
  const info = h('dl', { class: 'kv' });
  const bindings = h('table', { class: 'grid', 'aria-label': 'Bindings from this exchange' });
  const gone = h('p', { class: 'banner error', role: 'alert', hidden: true }, 'This exchange no longer exists.');
  const publishCard = card('Publish message', publishForm(vhost, name));
  root.append(
    crumbs('#/exchanges', 'Exchanges', vhost),
    pageHeader(exchangeLabel(name)),
    gone,
    h('div', { class: 'cards two' }, card('Details', info), publishCard),
    card('Bindings from this exchange', h('div', { class: 'scroll' }, bindings)),
  );
  return async () => {
    let x;
    try {
      x = await api('GET', path);
    } catch (err) {
      if (err.status !== 404) throw err;
      gone.hidden = false;
      return;
    }
    gone.hidden = true;
    publishCard.hidden = Boolean(x.internal);
    renderStats(info, [
      ['Virtual host', x.vhost],
      ['Type', x.type],
      ['Features', featuresOrNone(x)],
      ['Arguments', Object.keys(x.arguments || {}).length ? h('code', {}, JSON.stringify(x.arguments)) : 'none'],
    ]);
    const bs = await api('GET', path + '/bindings/source');
    renderTable(
      bindings,
      [
        { id: 'destination', label: 'To', text: (b) => b.destination_type + '\n' + b.destination, cell: destinationLink },
        { id: 'key', label: 'Routing key', text: (b) => b.routing_key },
        { id: 'args', label: 'Arguments', text: (b) => (Object.keys(b.arguments || {}).length ? JSON.stringify(b.arguments) : '') },
      ],
      bs,
      (b) => b.destination_type + '\n' + b.destination + '\n' + b.properties_key,
      name === '' ? 'No queues.' : 'No bindings.',
    );
  };
}

function destinationLink(b) {
  const href = b.destination_type === 'queue' ? queueHref(b.vhost, b.destination) : exchangeHref(b.vhost, b.destination);
  return h('span', {}, h('span', { class: 'badge' }, b.destination_type === 'queue' ? 'Q' : 'X'), ' ', h('a', { href }, b.destination_type === 'queue' ? b.destination : exchangeLabel(b.destination)));
}

function mountBindings(root) {
  const table = h('table', { class: 'grid', 'aria-label': 'Bindings' });
  const implicit = checkbox('Show the default exchange’s bindings', false);
  let rows = [];
  const draw = () => {
    const columns = [
      showVhostColumn() ? vhostColumn : null,
      { id: 'source', label: 'From exchange', text: (b) => b.source, cell: (b) => h('a', { href: exchangeHref(b.vhost, b.source) }, exchangeLabel(b.source)) },
      { id: 'destination', label: 'To', text: (b) => b.destination_type + '\n' + b.destination, cell: destinationLink },
      { id: 'key', label: 'Routing key', text: (b) => b.routing_key },
      { id: 'args', label: 'Arguments', text: (b) => (Object.keys(b.arguments || {}).length ? JSON.stringify(b.arguments) : '') },
    ].filter(Boolean);
    const visible = rows.filter((b) => (implicit.input.checked || b.source !== '') && matches(filter, b.source, b.destination, b.routing_key));
    renderTable(table, columns, visible, (b) => JSON.stringify([b.vhost, b.source, b.destination_type, b.destination, b.properties_key]), 'No bindings.');
  };
  const filter = filterInput('Filter bindings', draw);
  implicit.input.addEventListener('change', draw);
  root.append(pageHeader('Bindings', implicit.el, filter), h('div', { class: 'card flush' }, h('div', { class: 'scroll' }, table)));
  return async () => {
    rows = await api('GET', '/bindings' + vhostScope());
    draw();
  };
}

function mountConnections(root) {
  const table = h('table', { class: 'grid', 'aria-label': 'Connections' });
  const out = status();
  let rows = [];
  const draw = () => {
    const columns = [
      showVhostColumn() ? vhostColumn : null,
      {
        id: 'name',
        label: 'Name',
        text: (c) => (c.user_provided_name || '') + '\n' + c.name,
        cell: (c) => h('span', {}, c.user_provided_name ? [h('strong', {}, c.user_provided_name), h('br'), h('small', { class: 'hint' }, c.name)] : c.name),
      },
      { id: 'user', label: 'User', text: (c) => c.user },
      { id: 'state', label: 'State', text: (c) => c.state },
      { id: 'client', label: 'Client', text: clientOf },
      { id: 'channels', label: 'Channels', text: (c) => fmtNum(c.channels), num: true },
      { id: 'recv', label: 'From client', text: (c) => (typeof c._r.recv_oct === 'number' ? fmtBytes(Math.round(c._r.recv_oct)) + '/s' : ''), num: true },
      { id: 'send', label: 'To client', text: (c) => (typeof c._r.send_oct === 'number' ? fmtBytes(Math.round(c._r.send_oct)) + '/s' : ''), num: true },
      { id: 'close', label: 'Actions', text: (c) => c.name, cell: (c) => closeButton(c, out) },
    ].filter(Boolean);
    renderTable(table, columns, rows.filter((c) => matches(filter, c.name, c.user_provided_name || '', c.user)), (c) => c.name, 'No connections.');
  };
  const filter = filterInput('Filter connections', draw);
  root.append(pageHeader('Connections', out, filter), h('div', { class: 'card flush' }, h('div', { class: 'scroll' }, table)));
  return async () => {
    rows = await api('GET', state.prefs.vhost ? '/vhosts/' + enc(state.prefs.vhost) + '/connections' : '/connections');
    for (const c of rows) c._r = ratesOf('c' + c.name, { recv_oct: c.recv_oct, send_oct: c.send_oct });
    draw();
  };
}

function clientOf(c) {
  const p = c.client_properties || {};
  return [p.product, p.version].filter((v) => typeof v === 'string').join(' ') || (typeof p.platform === 'string' ? p.platform : '');
}

function closeButton(c, out) {
  const b = confirmButton('Close', 'Confirm close', async () => {
    try {
      await api('DELETE', '/connections/' + enc(c.name));
      setStatus(out, 'Closed ' + (c.user_provided_name || c.name) + '.', 'ok');
      tick();
    } catch (err) {
      setStatus(out, 'Close failed: ' + err.message, 'error');
    }
  });
  b.classList.add('small');
  b.setAttribute('aria-description', 'Close connection ' + c.name);
  return b;
}

function mountChannels(root) {
  const table = h('table', { class: 'grid', 'aria-label': 'Channels' });
  let rows = [];
  const draw = () => {
    const columns = [
      showVhostColumn() ? vhostColumn : null,
      { id: 'name', label: 'Channel', text: (c) => c.name },
      { id: 'user', label: 'User', text: (c) => c.user },
      { id: 'mode', label: 'Mode', title: 'C: publisher confirms, T: transactional', text: (c) => (c.confirm ? 'C' : '') + (c.transactional ? 'T' : '') },
      { id: 'state', label: 'State', text: (c) => c.state },
      { id: 'consumers', label: 'Consumers', text: (c) => fmtNum(c.consumer_count), num: true },
      { id: 'prefetch', label: 'Prefetch', text: (c) => fmtNum(c.prefetch_count) + (c.global_prefetch_count ? ' (global ' + fmtNum(c.global_prefetch_count) + ')' : ''), num: true },
      { id: 'unacked', label: 'Unacked', text: (c) => fmtNum(c.messages_unacknowledged), num: true },
      { id: 'uncommitted', label: 'Uncommitted', text: (c) => fmtNum(c.messages_uncommitted), num: true },
    ].filter(Boolean);
    renderTable(table, columns, rows.filter((c) => matches(filter, c.name, c.user)), (c) => c.name, 'No channels.');
  };
  const filter = filterInput('Filter channels', draw);
  root.append(pageHeader('Channels', filter), h('div', { class: 'card flush' }, h('div', { class: 'scroll' }, table)));
  return async () => {
    rows = await api('GET', state.prefs.vhost ? '/vhosts/' + enc(state.prefs.vhost) + '/channels' : '/channels');
    draw();
  };
}

const SECTIONS = {
  overview: { title: 'Overview', list: mountOverview },
  connections: { title: 'Connections', list: mountConnections },
  channels: { title: 'Channels', list: mountChannels },
  exchanges: { title: 'Exchanges', list: mountExchanges, detail: mountExchange },
  queues: { title: 'Queues', list: mountQueues, detail: mountQueue },
  bindings: { title: 'Bindings', list: mountBindings },
};

// ---- routing, polling, session ---------------------------------------------------------------------

/** '#/queues/%2F/orders' → { section: 'queues', vhost: '/', name: 'orders' }. */
function parseRoute() {
  const parts = location.hash.replace(/^#\/?/, '').split('/').filter((p) => p !== '');
  let decoded;
  try {
    decoded = parts.map(decodeURIComponent);
  } catch {
    decoded = [];
  }
  const section = SECTIONS[decoded[0]] ? decoded[0] : 'overview';
  return { section, vhost: decoded[1], name: decoded[2] };
}

function navigate() {
  const route = parseRoute();
  const section = SECTIONS[route.section];
  const detail = section.detail && route.vhost !== undefined && route.name !== undefined;
  for (const a of document.querySelectorAll('#tabs a')) {
    if (a.dataset.section === route.section) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
  const root = $('#view');
  root.replaceChildren();
  state.refresh = detail ? section.detail(root, route) : section.list(root, route);
  document.title = (detail ? route.name + ' · ' : '') + section.title + ' · Warren';
  tick();
}

/** Fetches the overview (for the header and charts), then the current view's data; reschedules itself. */
async function tick() {
  clearTimeout(state.timer);
  const seq = ++state.seq;
  if (!state.auth) return;
  if (document.hidden) {
    state.timer = setTimeout(tick, state.prefs.interval || 2000);
    return;
  }
  try {
    await refreshOverview();
    if (seq !== state.seq) return;
    if (state.refresh) await state.refresh();
    if (seq !== state.seq) return;
    setBanner('');
    forgetOldSamples();
    $('#updated').textContent = new Date().toLocaleTimeString();
  } catch (err) {
    if (seq !== state.seq) return;
    if (err.status === 401) return logout('Signed out: ' + err.message);
    setBanner(err.status === 0 ? 'Cannot reach the broker; retrying…' : 'Error: ' + err.message);
  }
  if (seq === state.seq && state.prefs.interval > 0) state.timer = setTimeout(tick, state.prefs.interval);
}

async function refreshOverview() {
  const [o, vhosts] = await Promise.all([api('GET', '/overview'), api('GET', '/vhosts?columns=name')]);
  state.overview = o;
  const qt = o.queue_totals || {};
  const sample = Object.assign({ t: Date.now(), ready: qt.messages_ready, unacked: qt.messages_unacknowledged }, sampleQueue('overview', qt.messages_ready, qt.messages_unacknowledged, o.message_stats));
  state.history.push(sample);
  while (state.history.length && Date.now() - state.history[0].t > WINDOW_MS + 5000) state.history.shift();
  $('#version').textContent = (o.product_version ? 'v' + o.product_version : '') + (o.node ? ' · ' + o.node : '');
  const names = vhosts.map((v) => v.name).sort();
  if (names.join('\n') !== state.vhosts.join('\n')) {
    state.vhosts = names;
    const sel = $('#vhost-filter');
    sel.replaceChildren(h('option', { value: '' }, 'All'), ...names.map((n) => h('option', { value: n }, n)));
    if (state.prefs.vhost && !names.includes(state.prefs.vhost)) state.prefs.vhost = '';
    sel.value = state.prefs.vhost;
  }
}

function setBanner(text) {
  const b = $('#banner');
  b.textContent = text;
  b.hidden = text === '';
}

function showLogin(message) {
  $('#app').hidden = true;
  $('#session').hidden = true;
  $('#tabs').hidden = true;
  $('#login').hidden = false;
  $('#login-error').textContent = message || '';
  document.title = 'Sign in · Warren';
  $('#login-username').focus();
}

async function enterApp() {
  try {
    await refreshOverview();
  } catch {
    // The first tick reports it.
  }
  $('#login').hidden = true;
  $('#app').hidden = false;
  $('#session').hidden = false;
  $('#tabs').hidden = false;
  $('#whoami').textContent = state.user.name;
  $('#refresh-interval').value = String(state.prefs.interval);
  navigate();
}

function logout(message) {
  clearTimeout(state.timer);
  state.seq++;
  state.auth = null;
  state.user = null;
  state.refresh = null;
  sessionStorage.removeItem(AUTH_KEY);
  $('#view').replaceChildren();
  setBanner('');
  showLogin(message);
}

async function login(username, password) {
  state.auth = basicToken(username, password);
  try {
    state.user = await api('GET', '/whoami');
  } catch (err) {
    state.auth = null;
    throw err;
  }
  sessionStorage.setItem(AUTH_KEY, state.auth);
  await enterApp();
}

function start() {
  const form = $('#login-form');
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const button = $('button[type=submit]', form);
    button.disabled = true;
    $('#login-error').textContent = '';
    try {
      await login($('#login-username').value, $('#login-password').value);
      $('#login-password').value = '';
    } catch (err) {
      const reason = err.message === 'Login failed' ? 'wrong username or password.' : err.message;
      $('#login-error').textContent = err.status === 401 ? 'Login failed: ' + reason : 'Cannot sign in: ' + reason;
    } finally {
      button.disabled = false;
    }
  });
  $('#logout').addEventListener('click', () => logout('Signed out.'));
  $('#vhost-filter').addEventListener('change', (e) => {
    state.prefs.vhost = e.target.value;
    savePrefs();
    navigate();
  });
  $('#refresh-interval').addEventListener('change', (e) => {
    state.prefs.interval = Number(e.target.value);
    savePrefs();
    tick();
  });
  $('#refresh-now').addEventListener('click', () => tick());
  window.addEventListener('hashchange', () => {
    if (state.user) navigate();
  });
  document.addEventListener('visibilitychange', () => {
    if (!document.hidden && state.user) tick();
  });
  if (!state.auth) return showLogin();
  api('GET', '/whoami').then(
    (user) => {
      state.user = user;
      enterApp();
    },
    (err) => {
      state.auth = null;
      sessionStorage.removeItem(AUTH_KEY);
      showLogin(err.status === 401 ? '' : 'Cannot reach the broker: ' + err.message);
    },
  );
}

start();
`;
