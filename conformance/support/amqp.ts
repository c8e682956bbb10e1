// amqplib helpers: tracked connections (closed after each case even when it fails) and a
// "bystander" — a well-behaved connection opened before a misbehaving one, used to show that
// one client's protocol error does not disturb the broker or other clients.
import amqp from 'amqplib';
import type { Channel, ChannelModel, Options } from 'amqplib';
import { randomUUID } from 'node:crypto';
import { expect } from 'vitest';
import { url } from './urls.js';

export { amqp };

const tracked = new Set<ChannelModel>();

type SocketOptions = Parameters<typeof amqp.connect>[1];

/** amqplib connect, remembered so closeAllAmqp() can clean up after a failed case. */
export async function connect(u: string | Options.Connect = url(), socketOptions?: SocketOptions): Promise<ChannelModel> {
  const conn = (await amqp.connect(u, socketOptions)) as ChannelModel;
  tracked.add(conn);
  conn.on('error', () => {}); // a broker-initiated close must not become an uncaught 'error'
  conn.on('close', () => tracked.delete(conn));
  return conn;
}

export async function closeAllAmqp(): Promise<void> {
  const all = [...tracked];
  tracked.clear();
  await Promise.all(all.map((c) => c.close().catch(() => undefined)));
}

/** The negotiated tuning amqplib keeps on its Connection object (not in its .d.ts). */
export function tuning(conn: ChannelModel): { heartbeat: number; channelMax: number; frameMax: number } {
  const c = conn.connection as unknown as { heartbeat: number; channelMax: number; frameMax: number };
  return { heartbeat: c.heartbeat, channelMax: c.channelMax, frameMax: c.frameMax };
}

export function uniqueName(prefix: string): string {
  return `conformance.${prefix}.${randomUUID()}`;
}

export interface Bystander {
  conn: ChannelModel;
  channel: Channel;
  /** Connection-level errors / closes seen since it opened. */
  events: string[];
  /** Asserts the connection is still usable: declare, publish, get, ack, delete, all round trips. */
  assertStillWorks(): Promise<void>;
  close(): Promise<void>;
}

export async function openBystander(u: string = url()): Promise<Bystander> {
  const conn = await connect(u);
  const events: string[] = [];
  conn.on('error', (e: Error) => events.push(`error: ${e.message}`));
  conn.on('close', (e?: Error) => events.push(`close${e ? `: ${e.message}` : ''}`));
  const channel = await conn.createChannel();
  channel.on('error', (e: Error) => events.push(`channel error: ${e.message}`));
  channel.on('close', () => events.push('channel close'));
  return {
    conn,
    channel,
    events,
    async assertStillWorks() {
      expect(events).toEqual([]);
      const q = uniqueName('bystander');
      const ok = await channel.assertQueue(q, { exclusive: true });
      expect(ok.queue).toBe(q);
      const body = Buffer.from(`still here ${q}`);
      expect(channel.sendToQueue(q, body)).toBe(true);
      // Publish and get go over the same channel, so the broker sees them in order; a short
      // retry only covers brokers that route asynchronously.
      let got: Awaited<ReturnType<Channel['get']>> = false;
      for (let i = 0; i < 50 && got === false; i++) {
        got = await channel.get(q, { noAck: false });
        if (got === false) await new Promise((r) => setTimeout(r, 20));
      }
      expect(got).not.toBe(false);
      if (got !== false) {
        expect(got.content.equals(body)).toBe(true);
        channel.ack(got);
      }
      const del = await channel.deleteQueue(q);
      expect(del.messageCount).toBe(0);
      expect(events).toEqual([]);
    },
    async close() {
      await conn.close();
    },
  };
}

let serverInfo: Promise<{ product: string; version: string }> | undefined;

/** product and version the broker under test announces in connection.start. */
export function server(): Promise<{ product: string; version: string }> {
  serverInfo ??= (async () => {
    const conn = await connect();
    const p = conn.connection.serverProperties as Record<string, unknown>;
    await conn.close();
    return { product: String(p.product), version: String(p.version) };
  })();
  return serverInfo;
}

/**
 * True when the target is a RabbitMQ older than `version`. Warren follows RabbitMQ 3.13+/4.x where
 * versions differ, so a case written for current behaviour expects the older answer from an older RabbitMQ.
 */
export async function isRabbitMQBefore(version: string): Promise<boolean> {
  const s = await server();
  if (s.product !== 'RabbitMQ') return false;
  const a = s.version.split('.').map(Number);
  const b = version.split('.').map(Number);
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    if ((a[i] ?? 0) !== (b[i] ?? 0)) return (a[i] ?? 0) < (b[i] ?? 0);
  }
  return false;
}
