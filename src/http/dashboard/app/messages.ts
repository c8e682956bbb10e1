// The dashboard's message forms: publish through an exchange, get (peek, ack or reject) from a queue.
import { api, errorText } from './api.js';
import { enc, h, uid } from './dom.js';
import { exchangeLabel, exchangeSegment, fmtNum } from './format.js';
import { refreshNow } from './state.js';
import type { FetchedMessage } from './types.js';
import { field, jsonObject, renderStats, select, setStatus, status } from './widgets.js';

/** Publishes through /api/exchanges/{vhost}/{exchange}/publish; a fixed routing key hides that field. */
export function publishForm(vhost: string, exchange: string, fixedRoutingKey?: string): HTMLFormElement {
  const routingKey = h('input', { type: 'text', autocomplete: 'off', spellcheck: 'false' });
  const deliveryMode = select(
    [
      ['1', '1 – non-persistent'],
      ['2', '2 – persistent'],
    ],
    '1',
  );
  const headers = h('textarea', { rows: 2, spellcheck: 'false', placeholder: '{"x-trace-id": "abc"}' });
  const properties = h('textarea', { rows: 2, spellcheck: 'false', placeholder: '{"content_type": "text/plain"}' });
  const payload = h('textarea', { rows: 4, spellcheck: 'false' });
  const encoding = select(
    [
      ['string', 'String'],
      ['base64', 'Base64'],
    ],
    'string',
  );
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
      const props: Record<string, unknown> = { delivery_mode: Number(deliveryMode.value), ...jsonObject(properties.value, 'Properties') };
      const hdrs = jsonObject(headers.value, 'Headers');
      if (hdrs) props['headers'] = hdrs;
      const body = {
        properties: props,
        routing_key: fixedRoutingKey === undefined ? routingKey.value : fixedRoutingKey,
        payload: payload.value,
        payload_encoding: encoding.value,
      };
      const r = await api<{ routed?: boolean } | undefined>('POST', '/exchanges/' + enc(vhost) + '/' + enc(exchangeSegment(exchange)) + '/publish', body);
      if (r?.routed) setStatus(out, 'Message published.', 'ok');
      else setStatus(out, 'Message published, but not routed.', 'warn');
      refreshNow();
    } catch (err) {
      setStatus(out, 'Publish failed: ' + errorText(err), 'error');
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
] as const;

/** Fetches messages through /api/queues/{vhost}/{name}/get and lists them. */
export function getForm(vhost: string, name: string): HTMLFormElement {
  const ackmode = select(ACK_MODES, 'ack_requeue_true');
  const encoding = select(
    [
      ['auto', 'Auto: string or base64'],
      ['base64', 'Base64'],
    ],
    'auto',
  );
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
      const body: { count: number; ackmode: string; encoding: string; truncate?: number } = {
        count: Math.max(1, Number(count.value) || 1),
        ackmode: ackmode.value,
        encoding: encoding.value,
      };
      if (truncate.value !== '') body.truncate = Math.max(0, Number(truncate.value) || 0);
      const messages = await api<FetchedMessage[]>('POST', '/queues/' + enc(vhost) + '/' + enc(name) + '/get', body);
      results.replaceChildren(...messages.map(messageView));
      const last = messages[messages.length - 1];
      if (last === undefined) setStatus(out, 'Queue is empty.', 'warn');
      else {
        const fetched = 'Fetched ' + messages.length + (messages.length === 1 ? ' message' : ' messages');
        const requeued = body.ackmode.endsWith('requeue_true');
        setStatus(out, fetched + (requeued ? ', then requeued.' : '; ' + fmtNum(last.message_count) + ' left in the queue.'), 'ok');
      }
      refreshNow();
    } catch (err) {
      setStatus(out, 'Get failed: ' + errorText(err), 'error');
    } finally {
      submit.disabled = false;
    }
  });
  return form;
}

function messageView(m: FetchedMessage, i: number): HTMLElement {
  const id = uid('msg');
  const props = Object.keys(m.properties ?? {}).length ? JSON.stringify(m.properties, null, 2) : 'none';
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
