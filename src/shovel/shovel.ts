// One running shovel: connects to its source and destination, consumes, hands the messages to a Forwarder (which
// republishes and acks as the ack-mode says), and on any failure drops both connections and tries again after
// reconnect-delay.
import type { Logger } from 'pino';
import { AmqpConnection, Channel, parseAmqpUri, redactedUri, type ConnectOptions } from '../client/index.js';
import type { BasicProperties, FieldTable, FieldValue } from '../protocol/index.js';
import type { ShovelConfig } from './config.js';
import { Forwarder, type ForwarderOwner } from './forwarder.js';

export type ShovelState = 'starting' | 'running' | 'terminated';

/** How a shovel reaches "this broker" (a URI with an empty host): over loopback to its own AMQP port. */
export interface LocalBroker {
  port: number;
  /** Credentials used when a local URI names no user (the broker's default user). */
  username: string;
  password: string;
  /** The node name put in forwarded headers. */
  node: string;
}

/** One endpoint's connection options: a URI's, or this broker's over loopback (vhost: the shovel's by default). */
export function endpointOptions(uri: string, vhost: string, local: LocalBroker, connectionName: string): ConnectOptions {
  const parsed = parseAmqpUri(uri);
  const o: ConnectOptions = { ...parsed.options, connectionName, product: 'Warren shovel' };
  if (parsed.local) {
    o.host = '127.0.0.1';
    o.port = local.port;
    if (o.username === undefined) {
      o.username = local.username;
      o.password = local.password;
    }
    if (o.vhost === undefined) o.vhost = vhost;
  }
  return o;
}

export class Shovel {
  state: ShovelState = 'starting';
  /** Why it last failed (shown while terminated). */
  reason: string | undefined;
  lastChanged = new Date();
  /** Set while the destination has blocked publishing (connection.blocked). */
  blocked = false;
  /** Messages settled at the source since this shovel started (acked, or consumed with no-ack). */
  moved = 0;
  /** Which of the source (and destination) URIs is tried next. */
  private srcTurn = 0;
  private destTurn = 0;
  private src: AmqpConnection | undefined;
  private dest: AmqpConnection | undefined;
  private srcCh: Channel | undefined;
  private consumerTag: string | undefined;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  /** Bumped by every (re)connection: callbacks of an older one are ignored. */
  private generation = 0;
  /** How many messages to move before the shovel deletes itself; undefined: never. */
  private limit: number | undefined;
  private headerTemplate: FieldTable | undefined;
  /** The current connection pair's hot path. */
  private forwarder: Forwarder | undefined;
  srcUri = '';
  destUri = '';

  constructor(
    readonly vhost: string,
    readonly name: string,
    readonly config: ShovelConfig,
    private readonly local: LocalBroker,
    private readonly log: Logger,
    /** Called once src-delete-after's count is reached: the owner deletes the parameter. */
    private readonly onComplete: (s: Shovel) => void,
  ) {}

  start(): void {
    void this.attempt();
  }

  /** Stops for good: closes both connections (unacked messages go back to the source queue). */
  async stop(): Promise<void> {
    this.stopped = true;
    this.generation++;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    await this.teardown();
  }

  private setState(state: ShovelState, reason?: string): void {
    this.state = state;
    this.reason = reason;
    this.lastChanged = new Date();
  }

  private async attempt(): Promise<void> {
    this.timer = undefined;
    if (this.stopped) return;
    const gen = ++this.generation;
    this.setState('starting');
    try {
      await this.connect(gen);
      if (gen !== this.generation || this.stopped) return;
      this.setState('running');
      this.log.info({ src: redactedUri(this.srcUri), dest: redactedUri(this.destUri) }, 'shovel running');
    } catch (e) {
      this.failed(gen, e);
    }
  }

  private failed(gen: number, e: unknown): void {
    if (gen !== this.generation || this.stopped) return;
    this.generation++;
    const reason = e instanceof Error ? e.message : String(e);
    this.setState('terminated', reason);
    this.log.warn({ reason, retryInSeconds: this.config.reconnectDelay }, 'shovel terminated; will retry');
    void this.teardown();
    this.timer = setTimeout(() => void this.attempt(), this.config.reconnectDelay * 1000);
  }

  private async teardown(): Promise<void> {
    const conns = [this.src, this.dest];
    this.forwarder?.stop();
    this.forwarder = undefined;
    this.src = this.dest = undefined;
    this.srcCh = undefined;
    this.consumerTag = undefined;
    this.blocked = false;
    await Promise.all(conns.map((c) => (c && c.isOpen ? c.close(1000, 'shovel stopped').catch(() => c.destroy()) : c?.destroy())));
  }

  private async open(uris: string[], turn: number, role: string, gen: number): Promise<{ conn: AmqpConnection; uri: string }> {
    if (uris.length === 0) throw new Error(`no ${role} URI`);
    const uri = uris[turn % uris.length]!;
    const conn = await AmqpConnection.open(endpointOptions(uri, this.vhost, this.local, `Shovel ${this.name}`));
    if (gen !== this.generation || this.stopped) {
      // Stopped or failed while connecting: nothing holds this connection any more.
      conn.destroy();
      throw new Error('shovel stopped');
    }
    conn.onClose = (e) => {
      if (e) this.failed(gen, e);
      else if (!this.stopped && gen === this.generation) this.failed(gen, new Error(`${role} connection closed`));
    };
    return { conn, uri };
  }

  /** Declares the queue: kept as it is when it exists (passive), else created durable (a failed passive closes the channel). */
  private async declare(conn: AmqpConnection, queue: string, args: FieldTable): Promise<{ ch: Channel; messageCount: number }> {
    let ch = await Channel.open(conn);
    try {
      const ok = await ch.declareQueue(queue, { passive: true });
      return { ch, messageCount: ok.messageCount };
    } catch {
      if (!conn.isOpen) throw conn.failed ?? new Error('connection closed');
      ch = await Channel.open(conn);
      const ok = await ch.declareQueue(queue, { durable: true, arguments: args });
      return { ch, messageCount: ok.messageCount };
    }
  }

  private async connect(gen: number): Promise<void> {
    const c = this.config;
    const srcTurn = this.srcTurn++;
    const destTurn = this.destTurn++;
    const s = await this.open(c.srcUris, srcTurn, 'source', gen);
    this.src = s.conn;
    this.srcUri = s.uri;
    if (gen !== this.generation) return;
    const d = await this.open(c.destUris, destTurn, 'destination', gen);
    this.dest = d.conn;
    this.destUri = d.uri;
    if (gen !== this.generation) return;
    d.conn.onBlocked = (reason) => {
      this.blocked = reason !== undefined;
    };
    // Destination first: nothing is consumed before there is somewhere to put it.
    let destCh: Channel;
    if (c.destQueue !== undefined && c.destQueue !== '') destCh = (await this.declare(d.conn, c.destQueue, c.destQueueArgs)).ch;
    else destCh = await Channel.open(d.conn);
    if (c.ackMode === 'on-confirm') await destCh.confirmSelect();
    destCh.onClose = (e) => this.failed(gen, e);
    let srcCh: Channel;
    let queue: string;
    let messageCount = 0;
    if (c.srcQueue !== undefined) {
      const r = await this.declare(s.conn, c.srcQueue, new Map());
      srcCh = r.ch;
      queue = c.srcQueue;
      messageCount = r.messageCount;
    } else {
      srcCh = await Channel.open(s.conn);
      queue = (await srcCh.declareQueue('', { exclusive: true })).queue;
      await srcCh.bindQueue(queue, c.srcExchange ?? '', c.srcExchangeKey);
    }
    srcCh.onClose = (e) => this.failed(gen, e);
    this.srcCh = srcCh;
    if (this.limit === undefined) {
      if (c.deleteAfter === 'queue-length') this.limit = messageCount;
      else if (typeof c.deleteAfter === 'number') this.limit = c.deleteAfter;
    }
    this.headerTemplate = c.addForwardHeaders ? this.forwardHeader() : undefined;
    if (this.limit !== undefined && this.moved >= this.limit) {
      this.complete();
      return;
    }
    if (c.prefetchCount > 0 && c.ackMode !== 'no-ack') await srcCh.qos(c.prefetchCount);
    if (gen !== this.generation) return;
    // From here the channels' frames go to the forwarder, read in place rather than decoded into objects.
    const shovel = this;
    const owner: ForwarderOwner = {
      get moved() {
        return shovel.moved;
      },
      get limit() {
        return shovel.limit ?? Infinity;
      },
      counted: (n) => this.counted(n),
      failed: (e) => this.failed(gen, e),
    };
    const rewrites = Object.keys(c.publishProperties).length > 0 || this.headerTemplate !== undefined || c.addTimestampHeader;
    const fw = new Forwarder(owner, s.conn, srcCh.id, d.conn, destCh.id, {
      ackMode: c.ackMode,
      exchange: c.destQueue !== undefined ? '' : c.destExchange,
      routingKey: c.destQueue !== undefined ? c.destQueue : c.destExchangeKey,
      rewrite: rewrites ? (p) => this.properties(p) : undefined,
      queue,
    });
    this.forwarder = fw;
    d.conn.setListener(destCh.id, fw.destListener);
    s.conn.setListener(srcCh.id, fw, { collect: false });
    this.consumerTag = await s.conn.consume(srcCh.id, queue, c.ackMode === 'no-ack', '', { arguments: c.srcConsumerArgs });
  }

  /** The x-shovelled entry RabbitMQ adds with add-forward-headers (the same for every message of a connection). */
  private forwardHeader(): FieldTable {
    const c = this.config;
    const t: FieldTable = new Map();
    const s = (v: string): FieldValue => ({ type: 'S', value: v });
    t.set('shovelled-by', s(this.local.node));
    t.set('shovel-type', s('dynamic'));
    t.set('shovel-name', s(this.name));
    t.set('shovel-vhost', s(this.vhost));
    t.set('src-uri', s(redactedUri(this.srcUri)));
    if (c.srcQueue !== undefined) t.set('src-queue', s(c.srcQueue));
    if (c.srcExchange !== undefined) t.set('src-exchange', s(c.srcExchange));
    if (c.srcExchange !== undefined) t.set('src-exchange-key', s(c.srcExchangeKey));
    t.set('dest-uri', s(redactedUri(this.destUri)));
    if (c.destQueue !== undefined) t.set('dest-queue', s(c.destQueue));
    if (c.destExchange !== undefined) t.set('dest-exchange', s(c.destExchange));
    if (c.destExchangeKey !== undefined) t.set('dest-exchange-key', s(c.destExchangeKey));
    return t;
  }

  /** The properties a message is published with when the shovel rewrites them. */
  private properties(received: BasicProperties): BasicProperties {
    const c = this.config;
    let p: BasicProperties = received;
    const extra = Object.keys(c.publishProperties).length > 0;
    if (extra || this.headerTemplate || c.addTimestampHeader) {
      p = extra ? { ...p, ...c.publishProperties } : { ...p };
      if (this.headerTemplate || c.addTimestampHeader) {
        const headers: FieldTable = new Map(p.headers ?? []);
        if (this.headerTemplate) {
          const before = headers.get('x-shovelled');
          const list = before?.type === 'A' ? [...before.value] : [];
          list.push({ type: 'F', value: this.headerTemplate });
          headers.set('x-shovelled', { type: 'A', value: list });
        }
        if (c.addTimestampHeader) headers.set('x-shovelled-timestamp', { type: 'T', value: Math.floor(Date.now() / 1000) });
        p.headers = headers;
      }
    }
    return p;
  }

  private counted(n: number): void {
    this.moved += n;
    if (this.limit !== undefined && this.moved >= this.limit) this.complete();
  }

  private complete(): void {
    if (this.stopped) return;
    this.log.info({ moved: this.moved }, 'shovel finished (src-delete-after reached); deleting it');
    this.stopped = true;
    this.generation++;
    // The acks of the batch that reached the count are already written; what is delivered from now on goes back.
    this.forwarder?.stop();
    const ch = this.srcCh;
    const tag = this.consumerTag;
    // Acks already queued are written before the close.
    void (async () => {
      if (ch && tag !== undefined) await ch.cancel(tag).catch(() => {});
      await this.teardown();
      this.onComplete(this);
    })();
  }
}
