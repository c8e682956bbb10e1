// Publishing and fetching messages through the API: /api/exchanges/{vhost}/{name}/publish and /api/queues/{vhost}/{name}/get.
import { intField, intValue } from './body-values.js';
import { checkPublishedProperties, exchangeFromResource, Message, messageSizeBucket, messageTooLarge, publishTarget, type Broker, type PublishingUser, type QueueEntry, type TraceOrigin, type User } from '../broker/index.js';
import { AmqpError, type BasicProperties } from '../protocol/index.js';
import { checkVhostAccess } from './authz.js';
import { jsonToTable, tableToJson } from '../definitions/index.js';
import { NO_CONNECTION, NODE_NAME, vhostOr404 } from './deps.js';
import { badRequest, HttpError, keyMissing } from './http-kit.js';

type Json = Record<string, unknown>;

/** Publish errors come back as RabbitMQ's mgmt plugin shows them: 400 with "CODE NAME - text". */
function publishError(e: unknown): unknown {
  return e instanceof AmqpError ? badRequest(`${e.code} ${e.message}`) : e;
}

const STRING_PROPS: ReadonlyArray<[string, keyof BasicProperties]> = [
  ['content_type', 'contentType'],
  ['content_encoding', 'contentEncoding'],
  ['correlation_id', 'correlationId'],
  ['reply_to', 'replyTo'],
  ['expiration', 'expiration'],
  ['message_id', 'messageId'],
  ['type', 'type'],
  ['user_id', 'userId'],
  ['app_id', 'appId'],
  ['cluster_id', 'clusterId'],
];

const NUMBER_PROPS: ReadonlyArray<[string, 'deliveryMode' | 'priority' | 'timestamp', number]> = [
  ['delivery_mode', 'deliveryMode', 255],
  ['priority', 'priority', 255],
  ['timestamp', 'timestamp', Number.MAX_SAFE_INTEGER],
];

/** The API's `properties` object as AMQP basic properties. */
export function propertiesFromJson(p: Json): BasicProperties {
  const out: BasicProperties = {};
  for (const [key, field] of STRING_PROPS) {
    const v = p[key];
    if (v === undefined) continue;
    if (typeof v !== 'string') throw badRequest(['not_string', key]);
    (out as Record<string, unknown>)[field] = v;
  }
  for (const [key, field, max] of NUMBER_PROPS) {
    const v = p[key];
    if (v === undefined) continue;
    // RabbitMQ's reasons for a wrong type; a range it would not encode gets Warren's own line.
    if (typeof v !== 'number' || !Number.isInteger(v)) throw badRequest(['not_int', key]);
    if (v < 0 || v > max) throw badRequest(`property ${key} must be an integer from 0 to ${max}`);
    out[field] = v;
  }
  if (p.headers !== undefined) out.headers = jsonToTable(p.headers);
  return out;
}

/** AMQP basic properties as the API shows them (only those set). */
export function propertiesToJson(p: BasicProperties): Json {
  const out: Json = {};
  for (const [key, field] of STRING_PROPS) if (p[field] !== undefined) out[key] = p[field];
  for (const [key, field] of NUMBER_PROPS) if (p[field] !== undefined) out[key] = p[field];
  if (p.headers !== undefined) out.headers = tableToJson(p.headers);
  return out;
}

/** A management API user as the broker's publish checks see it: decisions straight from the permission table. */
function apiPublisher(broker: Broker, user: User): PublishingUser {
  const permissions = broker.permissions;
  return {
    name: user.name,
    mayWrite: (vhost, resource) => permissions.allows(user.name, vhost.name, 'write', resource),
    mayWriteTopic: (vhost, exchange, routingKey) =>
      exchange.type !== 'topic' || !permissions.hasTopic || permissions.allowsTopic(user.name, vhost.name, exchange.name, 'write', routingKey),
  };
}

/** Stands for the Erlang node's creation number in the pids below (fixed for the life of the process). */
const CREATION = Math.floor(Date.now() / 1000) % 2 ** 31;
let directConnections = 0;

/**
 * Who published or got a message through the API, as the firehose names it: RabbitMQ's API opens a direct AMQP
 * connection per request, so its trace headers carry that connection's Erlang pid (`<rabbit@vm.1796634295.3567.0>`),
 * channel 1 and the API user. Made only while the vhost traces.
 */
function apiOrigin(user: User): TraceOrigin {
  return { user: user.name, channel: 1, connection: `<${NODE_NAME}.${CREATION}.${++directConnections}.0>` };
}

/** POST /api/exchanges/{vhost}/{name}/publish: routes one message; resolves `{routed}` once it is safely stored. */
export async function publishViaApi(broker: Broker, user: User, vhostName: string, exchangeName: string, body: Json, maxMessageSize: number): Promise<{ routed: boolean }> {
  const vhost = vhostOr404(broker, vhostName);
  // RabbitMQ publishes over a direct AMQP connection as the user: vhost access, then the channel's checks below.
  checkVhostAccess(broker, user, vhost);
  for (const key of ['properties', 'routing_key', 'payload', 'payload_encoding']) if (body[key] === undefined) throw keyMissing(key);
  const { properties, routing_key: routingKey, payload, payload_encoding: encoding } = body;
  if (typeof properties !== 'object' || properties === null || Array.isArray(properties)) throw badRequest('properties must be a JSON object');
  if (typeof routingKey !== 'string') throw badRequest('routing_key must be a string');
  if (typeof payload !== 'string') throw badRequest('payload must be a string');
  if (encoding !== 'string' && encoding !== 'base64') throw badRequest(`Unsupported payload_encoding '${String(encoding)}'. Please use string or base64.`);
  const bytes = encoding === 'base64' ? Buffer.from(payload, 'base64') : Buffer.from(payload, 'utf8');
  if (bytes.length > maxMessageSize) throw publishError(messageTooLarge(bytes.length, maxMessageSize));
  const props = propertiesFromJson(properties as Json);

  let routed: boolean;
  try {
    // The exchange is looked up first here (a missing one is the API's 404 before any permission check).
    const name = vhost.exchange(exchangeFromResource(exchangeName)).name;
    const exchange = publishTarget(vhost, apiPublisher(broker, user), name, routingKey);
    const message = Message.fromProperties(exchange.name, routingKey, props, bytes);
    checkPublishedProperties(message, user.name);
    routed = vhost.publish(exchange, message, vhost.tracer !== undefined ? apiOrigin(user) : undefined).routed > 0;
  } catch (e) {
    throw publishError(e);
  }
  // RabbitMQ publishes on a direct channel in confirm mode with mandatory set, which its vhost's and the node's
  // message_stats count (publish, confirm, return_unroutable) once the channel is gone: Warren's closed-channel counts.
  const totals = broker.totals;
  const counts = vhost.closedChannelStats;
  totals.published += 1;
  totals.messageSizes[messageSizeBucket(bytes.length)]! += 1;
  totals.messageSizeSum += bytes.length;
  totals.receivedConfirm += 1;
  counts.published += 1;
  if (!routed) {
    counts.returnUnroutable += 1;
    totals.returnUnroutable += 1;
  }
  // As a confirmed publish: answer once a persistent message is on disk.
  const persistence = vhost.persistence;
  if (persistence?.takeDirty()) {
    await new Promise<void>((resolve, reject) => persistence.whenSynced((err) => (err ? reject(new HttpError(500, 'internal_error', err.message)) : resolve())));
  }
  counts.confirm += 1;
  totals.confirm += 1;
  return { routed };
}

export type AckMode = 'ack_requeue_true' | 'ack_requeue_false' | 'reject_requeue_true' | 'reject_requeue_false';
const ACK_MODES: readonly string[] = ['ack_requeue_true', 'ack_requeue_false', 'reject_requeue_true', 'reject_requeue_false'];

/**
 * POST /api/queues/{vhost}/{name}/get: takes up to `count` messages with basic.get semantics, then settles them per
 * `ackmode`; each is traced as a delivery to the API user, as on RabbitMQ.
 */
export function getViaApi(broker: Broker, user: User, vhostName: string, queueName: string, body: Json): Json[] {
  const vhost = vhostOr404(broker, vhostName);
  for (const key of ['count', 'ackmode', 'encoding']) if (body[key] === undefined) throw keyMissing(key);
  const { ackmode, encoding } = body;
  // As RabbitMQ: "1" as well as 1 (rabbitmqadmin sends strings); 0 takes nothing and a negative count every message
  // (its countdown never reaches zero).
  const asked = intValue(body.count);
  const count = asked >= 0 ? asked : Infinity;
  if (typeof ackmode !== 'string' || !ACK_MODES.includes(ackmode)) {
    throw badRequest('Unsupported ackmode. Please use ack_requeue_true, ack_requeue_false, reject_requeue_true or reject_requeue_false.');
  }
  if (encoding !== 'auto' && encoding !== 'base64') throw badRequest('Unsupported encoding. Please use auto or base64.');
  const truncate = intField(body, 'truncate');
  // RabbitMQ answers 500 for a negative one; a clear 400 here.
  if (truncate !== undefined && truncate < 0) throw badRequest('truncate must be a non-negative integer');

  let queue;
  try {
    queue = vhost.queue(queueName, NO_CONNECTION);
  } catch (e) {
    if (e instanceof AmqpError && e.code === 404) throw new HttpError(404, 'not_found', e.message);
    throw publishError(e);
  }
  const taken: QueueEntry[] = [];
  const out: Json[] = [];
  let origin: TraceOrigin | undefined;
  // RabbitMQ's ack_requeue_false is a basic.get with no_ack (counted get_no_ack, no ack); the other modes get with
  // acks and then reject, requeueing or not (counted get). The queue's counts go to the vhost's too, as RabbitMQ's
  // direct channel's.
  const noAck = ackmode === 'ack_requeue_false';
  const before = { ...queue.stats };
  for (let i = 0; i < count; i++) {
    let entry;
    try {
      entry = queue.get(noAck, false);
    } catch (e) {
      // A stream refuses basic.get: RabbitMQ answers 400 with the code and the text ("540 basic.get not supported …").
      if (e instanceof AmqpError) throw badRequest(`${e.code} ${e.detail}`);
      throw e;
    }
    if (!entry) break;
    taken.push(entry);
    const tracer = vhost.tracer;
    if (tracer !== undefined) tracer.delivered(queue.name, entry.delivery ?? entry.message, entry.redelivered, (origin ??= apiOrigin(user)));
    const m = entry.message;
    const body = truncate !== undefined && m.body.length > truncate ? m.body.subarray(0, truncate) : m.body;
    const asText = encoding === 'auto' ? utf8OrUndefined(body) : undefined;
    out.push({
      payload_bytes: m.bodySize,
      redelivered: entry.redelivered,
      exchange: m.exchange,
      routing_key: m.routingKey,
      message_count: queue.messageCount,
      // RabbitMQ shows no properties as [] (an empty Erlang list), and rabbitmqadmin's table then has the column.
      properties: emptyAsList(propertiesToJson(m.properties)),
      payload: asText ?? body.toString('base64'),
      payload_encoding: asText !== undefined ? 'string' : 'base64',
    });
  }
  // Settled after all are taken, so a requeue does not hand the same message out twice.
  switch (ackmode as AckMode) {
    case 'ack_requeue_false':
      break;
    case 'reject_requeue_false':
      for (const e of taken) queue.reject(e);
      break;
    default:
      queue.requeue(taken);
  }
  const counts = vhost.closedChannelStats;
  for (const k of ['delivered', 'get', 'getNoAck', 'redelivered'] as const) counts[k] += queue.stats[k] - before[k];
  return out;
}

function emptyAsList(p: Json): Json | [] {
  return Object.keys(p).length === 0 ? [] : p;
}

const decoder = new TextDecoder('utf-8', { fatal: true });

function utf8OrUndefined(b: Buffer): string | undefined {
  try {
    return decoder.decode(b);
  } catch {
    return undefined;
  }
}
