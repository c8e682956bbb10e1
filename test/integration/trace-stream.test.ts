// Warren's GET /api/warren/trace/{vhost}/stream (the dashboard Trace page's feed): refused with the management API's
// 401/404 shapes, events' JSON for publishes and deliveries, one trace listener per open stream and none once the
// client goes away, and a client that stops reading gets events dropped and counted instead of buffered.
import { connect as netConnect, type Socket } from 'node:net';
import amqp, { type ChannelModel, type ConfirmChannel } from 'amqplib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TRACE_PREVIEW_BYTES } from '../../src/http/routes-trace.js';
import { useBroker } from '../support/broker.js';
import { apiClient, eventually, type Api } from '../support/http.js';

const broker = useBroker({ managementPort: 0 });
let api: Api;
let conn: ChannelModel;
let ch: ConfirmChannel;
const base = () => `http://localhost:${broker.current.managementPort}`;
const basic = (user: string, pass: string) => 'Basic ' + Buffer.from(`${user}:${pass}`).toString('base64');
const listeners = () => broker.current.broker.traceListeners.size;

interface SseEvent {
  event: string;
  data: any;
}

/** Parses complete `event:`/`data:` blocks out of a text buffer; returns the events and what is left. */
function parseSse(text: string): { events: SseEvent[]; rest: string } {
  const events: SseEvent[] = [];
  let end: number;
  while ((end = text.indexOf('\n\n')) >= 0) {
    const block = text.slice(0, end);
    text = text.slice(end + 2);
    let event = 'message';
    const data: string[] = [];
    for (const line of block.split('\n')) {
      if (line.startsWith('event: ')) event = line.slice(7);
      else if (line.startsWith('data: ')) data.push(line.slice(6));
    }
    if (data.length > 0) events.push({ event, data: JSON.parse(data.join('\n')) });
  }
  return { events, rest: text };
}

/** An open stream read through fetch: the events so far, a wait for the nth, and close. */
async function openStream(vhost = '/', user = 'guest', pass = 'guest') {
  const abort = new AbortController();
  const res = await fetch(`${base()}/api/warren/trace/${encodeURIComponent(vhost)}/stream`, { headers: { authorization: basic(user, pass) }, signal: abort.signal });
  const events: SseEvent[] = [];
  if (res.ok) {
    void (async () => {
      let buffered = '';
      const decoder = new TextDecoder();
      try {
        for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
          const parsed = parseSse(buffered + decoder.decode(chunk, { stream: true }));
          events.push(...parsed.events);
          buffered = parsed.rest;
        }
      } catch {
        // Aborted.
      }
    })();
  }
  return {
    res,
    events,
    traces: () => events.filter((e) => e.event === 'trace').map((e) => e.data),
    until: (n: number, kind = 'trace') => eventually(async () => (events.filter((e) => e.event === kind).length >= n ? events.filter((e) => e.event === kind) : undefined)),
    close: () => abort.abort(),
  };
}

beforeAll(async () => {
  api = apiClient(base());
  conn = await amqp.connect(broker.current.url);
  ch = await conn.createConfirmChannel();
});
afterAll(async () => {
  await conn?.close().catch(() => {});
});

describe('GET /api/warren/trace/{vhost}/stream', () => {
  it("refuses as the management API does: no credentials, a missing vhost, a user without the vhost, a user who may not read amq.rabbitmq.trace", async () => {
    expect.hasAssertions();
    const anonymous = await fetch(`${base()}/api/warren/trace/%2F/stream`);
    expect([anonymous.status, await anonymous.json()]).toEqual([401, { error: 'not_authorized', reason: 'Login failed' }]);
    const missing = await openStream('no-such-vhost');
    expect([missing.res.status, await missing.res.json()]).toEqual([404, { error: 'Object Not Found', reason: 'Not Found' }]);

    await api.put('/api/vhosts/other');
    expect((await api.put('/api/users/tr-outsider', { password: 'pw', tags: 'management' })).status).toBe(201);
    expect((await api.put('/api/permissions/other/tr-outsider', { configure: '.*', write: '.*', read: '.*' })).status).toBe(201);
    const outsider = await openStream('/', 'tr-outsider', 'pw');
    expect([outsider.res.status, await outsider.res.json()]).toEqual([401, { error: 'not_authorised', reason: 'User not authorised to access virtual host' }]);

    expect((await api.put('/api/users/tr-reader', { password: 'pw', tags: 'management' })).status).toBe(201);
    expect((await api.put('/api/permissions/%2F/tr-reader', { configure: '', write: '', read: '^orders$' })).status).toBe(201);
    const reader = await openStream('/', 'tr-reader', 'pw');
    expect([reader.res.status, await reader.res.json()]).toEqual([401, { error: 'not_authorised', reason: 'Access refused.' }]);

    // Read on amq.rabbitmq.trace is what binding a queue to the firehose needs, and enough here.
    expect((await api.put('/api/permissions/%2F/tr-reader', { configure: '', write: '', read: '^amq\\.rabbitmq\\.trace$' })).status).toBe(204);
    const allowed = await openStream('/', 'tr-reader', 'pw');
    expect(allowed.res.status).toBe(200);
    expect(allowed.res.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
    expect((await allowed.until(1, 'status'))[0]!.data).toEqual({ vhost: '/', tracing: false, node: 'warren@localhost', preview_bytes: TRACE_PREVIEW_BYTES });
    allowed.close();
    await eventually(async () => (listeners() === 0 ? true : undefined));
    expect(outsider.events).toEqual([]);
  });

  it("streams publishes and deliveries as JSON while tracing is on; one listener per stream, none after the client leaves", async () => {
    expect.hasAssertions();
    expect(listeners()).toBe(0);
    const s = await openStream();
    expect(s.res.status).toBe(200);
    await s.until(1, 'status');
    expect(listeners()).toBe(1);

    // Tracing off: the stream is open and nothing comes.
    await ch.assertQueue('ts-q', { durable: false });
    ch.sendToQueue('ts-q', Buffer.from('untraced'));
    await ch.waitForConfirms();
    await ch.get('ts-q', { noAck: true });

    expect((await api.put('/api/vhosts/%2F', { tracing: true })).status).toBe(204);
    ch.sendToQueue('ts-q', Buffer.from('hello'), { contentType: 'text/plain', headers: { h: 1 }, deliveryMode: 2, messageId: 'm-1' });
    ch.publish('amq.direct', 'nowhere', Buffer.from([0xff, 0x00, 0x01]));
    ch.sendToQueue('ts-q', Buffer.concat([Buffer.from('a'), Buffer.alloc(TRACE_PREVIEW_BYTES + 9, 'é')]));
    await ch.waitForConfirms();
    const got = await ch.get('ts-q', { noAck: true });
    expect(got && got.content.toString()).toBe('hello');
    const traces = (await s.until(4)).map((e) => e.data);
    const connection = expect.stringMatching(/^127\.0\.0\.1:\d+ -> 127\.0\.0\.1:\d+$/);
    const origin = { vhost: '/', node: 'warren@localhost', user: 'guest', channel: 1, connection, timestamp: expect.any(Number) };
    expect(traces[0]).toEqual({
      seq: 1,
      type: 'publish',
      exchange: '',
      routing_keys: ['ts-q'],
      routed_queues: ['ts-q'],
      ...origin,
      properties: { content_type: 'text/plain', message_id: 'm-1', delivery_mode: 2, headers: { h: 1 } },
      payload_bytes: 5,
      payload: 'hello',
      payload_encoding: 'string',
      payload_truncated: false,
    });
    expect(traces[1]).toMatchObject({ seq: 2, type: 'publish', exchange: 'amq.direct', routing_keys: ['nowhere'], routed_queues: [], payload: '/wAB', payload_encoding: 'base64', payload_bytes: 3 });
    // A long body: its first TRACE_PREVIEW_BYTES bytes (a two-byte character cut at the end is left out).
    expect(traces[2]).toMatchObject({ seq: 3, type: 'publish', payload_bytes: TRACE_PREVIEW_BYTES + 10, payload_encoding: 'string', payload_truncated: true, payload: 'a' + 'é'.repeat(TRACE_PREVIEW_BYTES / 2 - 1) });
    expect(traces[3]).toEqual({
      seq: 4,
      type: 'deliver',
      exchange: '',
      routing_keys: ['ts-q'],
      queue: 'ts-q',
      redelivered: false,
      ...origin,
      properties: { content_type: 'text/plain', message_id: 'm-1', delivery_mode: 2, headers: { h: 1 } },
      payload_bytes: 5,
      payload: 'hello',
      payload_encoding: 'string',
      payload_truncated: false,
    });
    // Key order: the trace headers' facts first, then the message as /api/queues/{v}/{q}/get shows it.
    expect(Object.keys(traces[3]!)).toEqual(['seq', 'type', 'timestamp', 'vhost', 'exchange', 'routing_keys', 'queue', 'redelivered', 'node', 'user', 'channel', 'connection', 'properties', 'payload_bytes', 'payload', 'payload_encoding', 'payload_truncated']);

    // A second watcher is a second listener; each goes when its client does.
    const t = await openStream();
    await t.until(1, 'status');
    expect(t.events[0]!.data.tracing).toBe(true);
    expect(listeners()).toBe(2);
    s.close();
    t.close();
    await eventually(async () => (listeners() === 0 ? true : undefined));
    await ch.purgeQueue('ts-q');
    expect((await api.put('/api/vhosts/%2F', { tracing: false })).status).toBe(204);
  });

  it('drops and counts events for a client that stops reading, instead of buffering them', async () => {
    expect.hasAssertions();
    expect((await api.put('/api/vhosts/%2F', { tracing: true })).status).toBe(204);
    const socket: Socket = netConnect(broker.current.managementPort!, '127.0.0.1');
    await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
    const chunks: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    const received = () => Buffer.concat(chunks);
    socket.write(`GET /api/warren/trace/%2F/stream HTTP/1.1\r\nHost: localhost\r\nAuthorization: ${basic('guest', 'guest')}\r\n\r\n`);
    await eventually(async () => (received().includes('event: status') ? true : undefined));
    socket.pause();

    // Each event carries a 2 kB preview and a 2 kB header: ~40 MB of events, far more than socket buffers hold.
    const N = 10_000;
    const big = 'x'.repeat(2048);
    for (let i = 0; i < N; i++) ch.publish('amq.direct', 'nowhere', Buffer.from(big), { headers: { pad: big, i } });
    await ch.waitForConfirms();

    socket.resume();
    // Reading resumed: what was queued arrives, then the count of what was dropped meanwhile.
    const events = await eventually(async () => {
      const e = parseChunked(received());
      return e.some((x) => x.event === 'dropped') ? e : undefined;
    }, 20_000);
    const traces = events.filter((e) => e.event === 'trace');
    const dropped = events.filter((e) => e.event === 'dropped').at(-1)!.data.dropped as number;
    expect(dropped).toBeGreaterThan(0);
    expect(traces.length).toBeGreaterThan(0);
    expect(traces.length + dropped).toBe(N);
    // The events that came are whole and in order.
    const seqs = traces.map((e) => e.data.seq as number);
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    expect(traces.every((e) => e.data.properties.headers.pad === big)).toBe(true);
    socket.destroy();
    await eventually(async () => (listeners() === 0 ? true : undefined));
    expect((await api.put('/api/vhosts/%2F', { tracing: false })).status).toBe(204);
  }, 60_000);
});

/** The SSE events in a raw HTTP/1.1 response with chunked transfer encoding (complete chunks only). */
function parseChunked(raw: Buffer): SseEvent[] {
  const at = raw.indexOf('\r\n\r\n');
  if (at < 0) return [];
  let body = '';
  const bytes = raw.subarray(at + 4);
  let i = 0;
  for (;;) {
    const eol = bytes.indexOf('\r\n', i);
    if (eol < 0) break;
    const size = parseInt(bytes.subarray(i, eol).toString('latin1'), 16);
    if (!Number.isFinite(size) || size === 0 || eol + 2 + size > bytes.length) break;
    body += bytes.subarray(eol + 2, eol + 2 + size).toString('utf8');
    i = eol + 2 + size + 2;
  }
  return parseSse(body).events;
}
