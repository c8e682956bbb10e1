// A published message: routing info, raw content-header properties (decoded only on demand) and the body bytes.
import { decodeProperties, encodeProperties, Writer, type BasicProperties } from '../protocol/index.js';

const scratch = new Writer(1024);

/** Immutable once published; a change of properties makes a new Message sharing the body. */
export class Message {
  readonly exchange: string;
  readonly routingKey: string;
  /** Property flags word and list, exactly as received (re-sent as is on delivery). */
  readonly propertiesRaw: Buffer;
  readonly body: Buffer;
  /** Per-message TTL from the `expiration` property, parsed once at publish; undefined when absent. */
  ttl: number | undefined;
  /** Every key it was routed with (publish key, CC, BCC) when CC or BCC were given; dead-lettering reuses them. */
  routingKeys: string[] | undefined;
  /**
   * `exchange` and `routingKey` as the two short strings of the publish frame, sent as they are in basic.deliver
   * (saves encoding them per delivery); undefined for messages the broker made or changed.
   */
  routingRaw: Buffer | undefined;
  private decoded: BasicProperties | undefined;

  constructor(exchange: string, routingKey: string, propertiesRaw: Buffer, body: Buffer) {
    this.exchange = exchange;
    this.routingKey = routingKey;
    this.propertiesRaw = propertiesRaw;
    this.body = body;
  }

  /** Builds a message from decoded properties (for broker-made or rewritten messages). */
  static fromProperties(exchange: string, routingKey: string, properties: BasicProperties, body: Buffer): Message {
    // A failed encode earlier must not leave bytes behind in the shared scratch writer.
    scratch.pos = 0;
    encodeProperties(scratch, properties);
    const m = new Message(exchange, routingKey, scratch.take(), body);
    m.decoded = properties;
    return m;
  }

  get properties(): BasicProperties {
    if (this.decoded === undefined) this.decoded = decodeProperties(this.propertiesRaw, 0, this.propertiesRaw.length);
    return this.decoded;
  }

  /** delivery_mode 2: kept across restarts when it lands in a durable queue. */
  get persistent(): boolean {
    return this.hasFlag(PROP_FLAG.deliveryMode) && this.properties.deliveryMode === 2;
  }

  /** The timestamp property (seconds), decoding the properties only when the flag word says it is there. */
  get timestamp(): number | undefined {
    return this.hasFlag(PROP_FLAG.timestamp) ? this.properties.timestamp : undefined;
  }

  get bodySize(): number {
    return this.body.length;
  }

  /** The same body with other properties and/or routing (the TTL carries over). */
  withProperties(properties: BasicProperties, exchange = this.exchange, routingKey = this.routingKey): Message {
    const m = Message.fromProperties(exchange, routingKey, properties, this.body);
    m.ttl = this.ttl;
    return m;
  }

  /** Flag word bits of properties that need decoding before routing (headers, user-id, expiration, reply-to). */
  hasFlag(flag: number): boolean {
    return this.propertiesRaw.length >= 2 && (this.propertiesRaw.readUInt16BE(0) & flag) !== 0;
  }
}

/** Property flag bits (bit 15 = content-type), as in the content header's flag word. */
export const PROP_FLAG = {
  headers: 0x2000,
  deliveryMode: 0x1000,
  priority: 0x0800,
  replyTo: 0x0200,
  expiration: 0x0100,
  timestamp: 0x0040,
  userId: 0x0010,
} as const;
