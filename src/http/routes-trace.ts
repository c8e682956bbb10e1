// Warren's own GET /api/warren/trace/{vhost}/stream: a vhost's firehose as server-sent events for the dashboard's
// Trace page. One trace listener per open stream (none, and nothing kept per message, when nobody watches); while the
// client reads slower than the vhost traces, new events are dropped and counted instead of buffered.
import type { ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import { exchangeResource, TRACE_EXCHANGE, type Broker, type TraceEvent, type TraceListener, type User, type VirtualHost } from '../broker/index.js';
import { checkVhostAccess } from './authz.js';
import { NODE_NAME, vhostOr404, type ManagementDeps } from './deps.js';
import { HttpError, jsonReplacer, type Reply } from './http-kit.js';
import { propertiesToJson } from './messages.js';
import type { Router } from './router.js';

/** Bytes of a message body an event carries (payload_bytes says how long the body was). */
export const TRACE_PREVIEW_BYTES = 2048;
/** Unsent bytes past which new events are dropped (and counted) until the client has read what is queued. */
export const TRACE_STREAM_MAX_BUFFER = 256 * 1024;
/** A comment line this often keeps proxies from timing the stream out and finds clients that went away. */
const PING_MS = 15_000;

const decoder = new TextDecoder('utf-8', { fatal: true });

/** The body preview as text when it is UTF-8 (a sequence cut by the preview's end is left out), else base64. */
function preview(body: Buffer): { payload: string; payload_encoding: 'string' | 'base64'; payload_truncated: boolean } {
  const truncated = body.length > TRACE_PREVIEW_BYTES;
  const head = truncated ? body.subarray(0, TRACE_PREVIEW_BYTES) : body;
  for (let cut = 0; cut <= (truncated ? 3 : 0); cut++) {
    try {
      return { payload: decoder.decode(head.subarray(0, head.length - cut)), payload_encoding: 'string', payload_truncated: truncated };
    } catch {
      // Try one byte shorter (a multi-byte character cut by the preview's end).
    }
  }
  return { payload: head.toString('base64'), payload_encoding: 'base64', payload_truncated: truncated };
}

/** One traced publish or delivery as the stream's JSON: the trace headers' facts plus the message as the API shows it. */
export function traceEventJson(e: TraceEvent, seq: number): Record<string, unknown> {
  const m = e.message;
  const where =
    e.kind === 'publish' ? { routed_queues: e.routedQueues ?? [] } : { queue: e.queue ?? '', redelivered: e.redelivered };
  return {
    seq,
    type: e.kind,
    timestamp: Date.now(),
    vhost: e.vhost,
    exchange: e.exchange,
    routing_keys: e.routingKeys,
    ...where,
    node: NODE_NAME,
    user: e.origin.user,
    channel: e.origin.channel,
    connection: e.origin.connection,
    properties: propertiesToJson(m.properties),
    payload_bytes: m.body.length,
    ...preview(m.body),
  };
}

/** 401 "Access refused." unless the user may read the firehose (bind a queue to amq.rabbitmq.trace) in the vhost. */
function checkTraceAccess(broker: Broker, user: User, v: VirtualHost): void {
  checkVhostAccess(broker, user, v);
  if (!broker.permissions.allows(user.name, v.name, 'read', exchangeResource(TRACE_EXCHANGE))) throw new HttpError(401, 'not_authorised', 'Access refused.');
}

/** Streams the vhost's traced events to one client until it goes away, the vhost is deleted or the user loses access. */
function streamTrace(broker: Broker, log: Logger, user: User, v: VirtualHost, res: ServerResponse): void {
  let seq = 0;
  let dropped = 0;
  let reported = 0;
  const write = (event: string, data: unknown): void => {
    res.write(`event: ${event}\ndata: ${JSON.stringify(data, jsonReplacer)}\n\n`);
  };
  const listener: TraceListener = (e) => {
    if (e.vhost !== v.name) return;
    seq++;
    if (res.writableLength > TRACE_STREAM_MAX_BUFFER) {
      dropped++;
      return;
    }
    write('trace', traceEventJson(e, seq));
  };
  const reportDropped = (): void => {
    if (dropped === reported) return;
    reported = dropped;
    write('dropped', { dropped });
  };
  const stillAllowed = (): boolean => {
    if (broker.vhosts.get(v.name) !== v) return false;
    try {
      checkTraceAccess(broker, user, v);
      return broker.users.has(user.name);
    } catch {
      return false;
    }
  };
  const ping = setInterval(() => {
    if (!stillAllowed()) return void res.end();
    reportDropped();
    res.write(': ping\n\n');
  }, PING_MS);
  ping.unref();
  res.on('drain', reportDropped);
  res.on('close', () => {
    clearInterval(ping);
    broker.traceListeners.delete(listener);
    log.debug({ vhost: v.name, user: user.name, events: seq, dropped }, 'trace stream closed');
  });
  broker.traceListeners.add(listener);
  log.debug({ vhost: v.name, user: user.name }, 'trace stream opened');
  // The first event says where the stream stands: whether tracing is on (events come only while it is).
  write('status', { vhost: v.name, tracing: v.tracer !== undefined, node: NODE_NAME, preview_bytes: TRACE_PREVIEW_BYTES });
}

export function traceRoutes(router: Router, deps: ManagementDeps): void {
  const { broker } = deps;
  const log = deps.server.logger.child({ component: 'management' });
  router.get('/api/warren/trace/:vhost/stream', (ctx): Reply => {
    const v = vhostOr404(broker, ctx.param('vhost'));
    checkTraceAccess(broker, ctx.user, v);
    return { status: 200, stream: (res) => streamTrace(broker, log, ctx.user, v, res) };
  });
}
