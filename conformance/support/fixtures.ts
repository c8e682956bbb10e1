// Fixtures the amqplib-based case files share: queue and exchange names a case creates and that
// are deleted after it, channels that survive a broker channel.close, reading a channel.close out
// of amqplib's errors, and small waiting, publishing, draining and consuming helpers.
// State (the names to delete) lives in the object trackNames() returns, one per case file.
import type { Channel, ChannelModel, ConfirmChannel, ConsumeMessage, GetMessage, Message, Options } from 'amqplib';
import { afterEach, expect } from 'vitest';
import { closeAllAmqp, connect, uniqueName } from './amqp.js';
import { destroyAllRaw } from './raw.js';

// ---------------------------------------------------------------------------------------------
// Names deleted after each case
// ---------------------------------------------------------------------------------------------

/** The queues and exchanges a case file made, and the functions that name (and remember) new ones. */
export interface TrackedNames {
  readonly queues: Set<string>;
  readonly exchanges: Set<string>;
  /** A fresh queue name (`conformance.<prefix>.<tag>.<uuid>`), remembered for deletion. */
  qname(tag: string): string;
  /** A fresh exchange name (`conformance.<prefix>.x.<tag>.<uuid>`), remembered for deletion. */
  xname(tag: string): string;
  /** Declares a fresh non-durable queue qname(tag), with `args` as its arguments when given; returns its name. */
  declareQueue(ch: Channel, tag: string, args?: Record<string, unknown>): Promise<string>;
}

/**
 * Names under `prefix` (queues `<prefix>.<tag>`, exchanges `<prefix>.x.<tag>`, each made unique by
 * uniqueName); without a prefix the tag alone is the prefix of both. Delete them with deleteTracked().
 */
export function trackNames(prefix?: string): TrackedNames {
  const queues = new Set<string>();
  const exchanges = new Set<string>();
  const qname = (tag: string) => {
    const q = uniqueName(prefix === undefined ? tag : `${prefix}.${tag}`);
    queues.add(q);
    return q;
  };
  const xname = (tag: string) => {
    const x = uniqueName(prefix === undefined ? tag : `${prefix}.x.${tag}`);
    exchanges.add(x);
    return x;
  };
  const declareQueue = async (ch: Channel, tag: string, args?: Record<string, unknown>) => {
    const q = qname(tag);
    await ch.assertQueue(q, args === undefined ? { durable: false } : { durable: false, arguments: args });
    return q;
  };
  return { queues, exchanges, qname, xname, declareQueue };
}

/**
 * Deletes the remembered queues, then exchanges, over a fresh connection, and forgets them.
 * Lenient by default: a delete the broker refuses (the queue went with its exclusive owner, …) only
 * costs a new channel. `strict`: every delete must succeed, on one channel, or this rejects (and
 * nothing is forgotten).
 */
export async function deleteTracked(names: { queues?: Set<string>; exchanges?: Set<string> }, opts: { strict?: boolean } = {}): Promise<void> {
  const queues = names.queues ?? new Set<string>();
  const exchanges = names.exchanges ?? new Set<string>();
  if (queues.size === 0 && exchanges.size === 0) return;
  const conn = await connect();
  if (opts.strict) {
    const ch = await conn.createChannel();
    for (const q of queues) await ch.deleteQueue(q);
    for (const x of exchanges) await ch.deleteExchange(x);
  } else {
    let ch = await channel(conn);
    for (const q of queues) {
      await ch.deleteQueue(q).catch(async () => {
        ch = await channel(conn);
      });
    }
    for (const x of exchanges) {
      await ch.deleteExchange(x).catch(async () => {
        ch = await channel(conn);
      });
    }
  }
  queues.clear();
  exchanges.clear();
  await conn.close();
}

/**
 * Registers the afterEach that cleans up after every case of the file: raw connections destroyed
 * (with `raw`), then amqplib connections closed (exclusive queues go with them), then the tracked
 * names deleted leniently. With `strict` the names are deleted first, each delete having to
 * succeed (see deleteTracked), and the amqplib connections closed after. Returns `names`.
 */
export function cleanUpAfterEach(names: TrackedNames, opts: { raw?: boolean; strict?: boolean } = {}): TrackedNames {
  afterEach(async () => {
    if (opts.raw) destroyAllRaw();
    if (opts.strict) {
      await deleteTracked(names, { strict: true });
      await closeAllAmqp();
    } else {
      await closeAllAmqp();
      await deleteTracked(names);
    }
  });
  return names;
}

// ---------------------------------------------------------------------------------------------
// Channels
// ---------------------------------------------------------------------------------------------

/** A channel with a no-op 'error' listener: a broker channel.close is asserted through the failed operation, not thrown. */
export async function channel(conn: ChannelModel): Promise<Channel> {
  const ch = await conn.createChannel();
  ch.on('error', () => {});
  return ch;
}

/** A confirm-mode channel with a no-op 'error' listener. */
export async function confirmChannel(conn: ChannelModel): Promise<ConfirmChannel> {
  const ch = await conn.createConfirmChannel();
  ch.on('error', () => {});
  return ch;
}

/** A fresh connection and a channel on it. */
export async function open(): Promise<{ conn: ChannelModel; ch: Channel }> {
  const conn = await connect();
  return { conn, ch: await channel(conn) };
}

/** A fresh connection with a plain channel, and a confirm channel (`pub`) that collects basic.returns. */
export async function openWithPublisher(): Promise<{ conn: ChannelModel; ch: Channel; pub: ConfirmChannel; returned: Message[] }> {
  const conn = await connect();
  const ch = await channel(conn);
  const pub = await confirmChannel(conn);
  const returned: Message[] = [];
  pub.on('return', (m: Message) => returned.push(m));
  return { conn, ch, pub, returned };
}

/** The error amqplib rejects with (or emits) for a channel.close or connection.close. */
export type AmqpError = Error & { code?: number; classId?: number; methodId?: number };

/** A channel whose first 'error' (a broker channel.close) is kept instead of being thrown. */
export async function openChannel(conn: ChannelModel): Promise<{ ch: Channel; error: Promise<AmqpError> }> {
  const ch = await conn.createChannel();
  const error = new Promise<AmqpError>((resolve) => ch.on('error', (e: AmqpError) => resolve(e)));
  return { ch, error };
}

// ---------------------------------------------------------------------------------------------
// Channel errors
// ---------------------------------------------------------------------------------------------

/** The fields of a channel.close as a case compares them. */
export interface ChannelError {
  code: number | undefined;
  classId: number | undefined;
  methodId: number | undefined;
  text: string;
}

/** What counts as a channel error's reply text. */
export interface ChannelErrorOptions {
  /**
   * Only a close answering the very operation (amqplib: `Operation failed: …`) counts; any other
   * error's text comes back as "(not a channel error) …".
   */
  answeringOperation?: boolean;
}

const ANY_CLOSE = /with message "([\s\S]*)"$/;
const OPERATION_FAILED = /^Operation failed: [^;]+; \d+ \([^)]*\) with message "([\s\S]*)"$/;

/** An amqplib error as {code, classId, methodId, text}, the reply text taken from after `with message "`. */
export function toChannelError(e: unknown, opts: ChannelErrorOptions = {}): ChannelError {
  const x = e as AmqpError;
  const m = (opts.answeringOperation ? OPERATION_FAILED : ANY_CLOSE).exec(x.message);
  return { code: x.code, classId: x.classId, methodId: x.methodId, text: m ? m[1]! : `(not a channel error) ${x.message}` };
}

/** Awaits an operation that has to fail with a channel.close; returns the close's fields. Throws if it succeeds. */
export async function channelError(op: Promise<unknown>, opts: ChannelErrorOptions = {}): Promise<ChannelError> {
  const e = await op.then(
    () => undefined,
    (err: unknown) => err,
  );
  if (!(e instanceof Error)) throw new Error('the operation succeeded, a channel error was expected');
  return toChannelError(e, opts);
}

/** The next channel.close the server sends on ch (for errors of asynchronous methods such as basic.publish). */
export function nextClose(ch: Channel, timeoutMs = 5_000): Promise<ChannelError> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`no channel.close within ${timeoutMs} ms`)), timeoutMs);
    ch.once('error', (e: unknown) => {
      clearTimeout(t);
      resolve(toChannelError(e));
    });
  });
}

/** RabbitMQ cuts a reply text longer than a shortstr allows to its first 252 octets and "...". */
export function shortstrTruncated(text: string): string {
  return text.length > 255 ? `${text.slice(0, 252)}...` : text;
}

// ---------------------------------------------------------------------------------------------
// Waiting
// ---------------------------------------------------------------------------------------------

/** Resolves after `ms` milliseconds. */
export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Retries fn until it stops throwing (for effects that happen on the broker's own timers, or just after its reply). */
export async function eventually<T>(fn: () => Promise<T>, timeoutMs = 3_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await fn();
    } catch (e) {
      if (Date.now() > deadline) throw e;
      await sleep(25);
    }
  }
}

/** Polls cond every 20 ms until it holds; throws after timeoutMs. */
export async function until(cond: () => boolean, timeoutMs = 3_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await sleep(20);
  }
}

/** p, or a rejection naming `what` when it takes longer than ms. */
export function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
    p.then(
      (v) => {
        clearTimeout(t);
        resolve(v);
      },
      (e: unknown) => {
        clearTimeout(t);
        reject(e instanceof Error ? e : new Error(String(e)));
      },
    );
  });
}

// ---------------------------------------------------------------------------------------------
// Publishing and draining
// ---------------------------------------------------------------------------------------------

/** Publishes on a confirm channel and resolves with the broker's answer for that message. */
export function publishConfirmed(pub: ConfirmChannel, exchange: string, routingKey: string, body: string, options: Options.Publish = {}): Promise<'ack' | 'nack'> {
  return new Promise((resolve) => {
    pub.publish(exchange, routingKey, Buffer.from(body), options, (err: unknown) => resolve(err ? 'nack' : 'ack'));
  });
}

/** Publishes on a confirm channel and waits for the confirms. */
export async function publish(pub: ConfirmChannel, exchange: string, routingKey: string, body: string, options: Options.Publish = {}): Promise<void> {
  pub.publish(exchange, routingKey, Buffer.from(body), options);
  await pub.waitForConfirms();
}

/** basic.get (no-ack) until the queue answers get-empty; returns each message as `map` makes it (default: the body), in order. */
export async function drain<T = string>(ch: Channel, q: string, map: (m: GetMessage) => T = (m) => m.content.toString() as T): Promise<T[]> {
  const out: T[] = [];
  for (;;) {
    const m = await ch.get(q, { noAck: true });
    if (m === false) return out;
    out.push(map(m));
  }
}

// ---------------------------------------------------------------------------------------------
// Consuming
// ---------------------------------------------------------------------------------------------

/** How long Inbox.exactly waits to be confident that a delivery the broker must not make is not coming. */
export const QUIET_MS = 400;

/** Collects what a consumer callback receives; `push` is the callback. */
export class Inbox {
  /** Everything received, null included (a broker basic.cancel). */
  readonly items: Array<ConsumeMessage | null> = [];
  /** The messages received, in order. */
  readonly messages: ConsumeMessage[] = [];
  private waiters: Array<() => void> = [];

  readonly push = (m: ConsumeMessage | null): void => {
    this.items.push(m);
    if (m) this.messages.push(m);
    const ws = this.waiters;
    this.waiters = [];
    for (const w of ws) w();
  };

  /** Resolves with the messages once `n` of them have arrived. */
  async waitFor(n: number, timeoutMs = 5_000): Promise<ConsumeMessage[]> {
    await this.waitUntil(() => this.messages.length, n, timeoutMs);
    return this.messages;
  }

  /** Resolves once `n` items (messages or cancels) have arrived. */
  async waitForItems(n: number, timeoutMs = 5_000): Promise<void> {
    await this.waitUntil(() => this.items.length, n, timeoutMs);
  }

  /** Waits for exactly n deliveries: n arrive, and no more within QUIET_MS. */
  async exactly(n: number): Promise<ConsumeMessage[]> {
    await this.waitFor(n);
    await sleep(QUIET_MS);
    expect(this.messages.length).toBe(n);
    return this.messages;
  }

  private async waitUntil(count: () => number, n: number, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (count() < n) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out waiting for ${n} deliveries (got ${count()})`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }
}
