// RabbitMQ's firehose for one vhost: copies of every publish and delivery go to the topic exchange amq.rabbitmq.trace
// with keys publish.{exchange} / deliver.{queue} and RabbitMQ's headers. Only exists while tracing is on (zero cost off).
import { PROPERTIES, type FieldTable, type FieldValue } from '../protocol/index.js';
import { Message } from './message.js';

export const TRACE_EXCHANGE = 'amq.rabbitmq.trace';

/** Who published or received: the AMQP connection and channel (one object per channel, made once). */
export interface TraceOrigin {
  readonly user: string;
  readonly channel: number;
  readonly connection: string;
}

/** One traced event, as in-process listeners (warren/testing) see it. */
export interface TraceEvent {
  readonly kind: 'publish' | 'deliver';
  readonly vhost: string;
  /** The exchange the message was published to ('' the default one). */
  readonly exchange: string;
  /** For 'deliver': the queue it was delivered from. */
  readonly queue: string | undefined;
  /** For 'publish': the queues it was routed to. */
  readonly routedQueues: readonly string[] | undefined;
  readonly routingKeys: readonly string[];
  readonly redelivered: boolean;
  readonly message: Message;
  readonly origin: TraceOrigin;
}

export type TraceListener = (event: TraceEvent) => void;

const str = (value: string): FieldValue => ({ type: 'S', value });
const int = (value: number): FieldValue => ({ type: 'I', value });

/** The message's properties as RabbitMQ's trace headers name and order them (…, delivery_mode, headers, content_type). */
function propertiesTable(message: Message): FieldTable {
  const props = message.properties;
  const out: FieldTable = new Map();
  // RabbitMQ lists them last property first (delivery_mode before headers before content_type).
  for (let i = PROPERTIES.length - 1; i >= 0; i--) {
    const p = PROPERTIES[i]!;
    const v = props[p.field];
    if (v === undefined) continue;
    const name = p.name.replace(/-/g, '_');
    if (p.type === 'table') out.set(name, { type: 'F', value: v as FieldTable });
    else if (p.type === 'timestamp') out.set(name, { type: 'T', value: v as number });
    else if (typeof v === 'number') out.set(name, int(v));
    else out.set(name, str(String(v)));
  }
  return out;
}

/** The routing key and the CC/BCC keys the message carries. */
function routingKeysOf(message: Message): string[] {
  const keys = [message.routingKey];
  const headers = message.properties.headers;
  for (const h of ['CC', 'BCC']) {
    const v = headers?.get(h);
    if (v?.type === 'A') for (const k of v.value) if (k.type === 'S') keys.push(k.value);
  }
  return keys;
}

export class Tracer {
  readonly vhost: string;
  private readonly node: string;
  private readonly emit: (message: Message) => void;
  private readonly listeners: ReadonlySet<TraceListener>;

  /** `emit` routes a trace message through amq.rabbitmq.trace; `listeners` are the broker's in-process ones. */
  constructor(vhost: string, node: string, emit: (message: Message) => void, listeners: ReadonlySet<TraceListener>) {
    this.vhost = vhost;
    this.node = node;
    this.emit = emit;
    this.listeners = listeners;
  }

  published(exchange: string, message: Message, routedQueues: string[], origin: TraceOrigin): void {
    if (exchange === TRACE_EXCHANGE) return;
    const routingKeys = routingKeysOf(message);
    const headers = this.common(exchange, routingKeys, message);
    headers.set('vhost', str(this.vhost));
    this.addOrigin(headers, origin);
    headers.set('routed_queues', { type: 'A', value: routedQueues.map(str) });
    this.emit(Message.fromProperties(TRACE_EXCHANGE, `publish.${exchange}`, { headers }, message.body));
    this.tell({ kind: 'publish', vhost: this.vhost, exchange, queue: undefined, routedQueues, routingKeys, redelivered: false, message, origin });
  }

  delivered(queue: string, message: Message, redelivered: boolean, origin: TraceOrigin): void {
    // Trace messages themselves are not traced again.
    if (message.exchange === TRACE_EXCHANGE) return;
    const routingKeys = routingKeysOf(message);
    const headers = this.common(message.exchange, routingKeys, message);
    headers.set('redelivered', int(redelivered ? 1 : 0));
    headers.set('vhost', str(this.vhost));
    this.addOrigin(headers, origin);
    this.emit(Message.fromProperties(TRACE_EXCHANGE, `deliver.${queue}`, { headers }, message.body));
    this.tell({ kind: 'deliver', vhost: this.vhost, exchange: message.exchange, queue, routedQueues: undefined, routingKeys, redelivered, message, origin });
  }

  private common(exchange: string, routingKeys: string[], message: Message): FieldTable {
    return new Map<string, FieldValue>([
      ['exchange_name', str(exchange)],
      ['routing_keys', { type: 'A', value: routingKeys.map(str) }],
      ['properties', { type: 'F', value: propertiesTable(message) }],
      ['node', str(this.node)],
    ]);
  }

  private addOrigin(headers: FieldTable, origin: TraceOrigin): void {
    headers.set('connection', str(origin.connection));
    headers.set('channel', int(origin.channel));
    headers.set('user', str(origin.user));
  }

  private tell(event: TraceEvent): void {
    for (const l of this.listeners) l(event);
  }
}
