// Helpers for the exchange and routing case files (exchanges, exchange-bindings, topic-routing,
// headers-routing): exchanges named per case and deleted after it, exclusive server-named queues
// (they go with their connection), refusals as amqplib reports them, and reading a queue up to a
// marker so that "nothing arrived" is known without guessing at a delay.
// The exchanges to delete are this module's state, which vitest keeps per case file.
import { randomUUID } from 'node:crypto';
import type { Channel, ChannelModel, ConsumeMessage, Options } from 'amqplib';
import { expect } from 'vitest';
import { closeAllAmqp, uniqueName } from './amqp.js';
import { channel, deleteTracked, sleep, type AmqpError } from './fixtures.js';

/** Exchanges a case declared, deleted by cleanUpExchanges() after it. */
export const exchangesToDelete = new Set<string>();

/** Deletes the exchanges in exchangesToDelete (leniently, over a fresh connection), forgets them, and closes every amqplib connection. */
export async function cleanUpExchanges(): Promise<void> {
  try {
    await deleteTracked({ exchanges: exchangesToDelete });
  } finally {
    exchangesToDelete.clear();
    await closeAllAmqp();
  }
}

/** A fresh exchange name, remembered for clean-up. */
export function exchangeName(prefix: string): string {
  const name = uniqueName(prefix);
  exchangesToDelete.add(name);
  return name;
}

/** Declares a fresh non-durable exchange of `type` (named `ex.<type>`), remembered for clean-up. */
export async function declareExchange(ch: Channel, type: string, opts: Options.AssertExchange = {}): Promise<string> {
  const name = exchangeName(`ex.${type}`);
  await ch.assertExchange(name, type, { durable: false, ...opts });
  return name;
}

/** A server-named exclusive queue: it goes with its connection. */
export async function tempQueue(ch: Channel): Promise<string> {
  return (await ch.assertQueue('', { exclusive: true })).queue;
}

/** The rejection of an operation the broker must refuse. */
export async function refused(p: Promise<unknown>): Promise<AmqpError> {
  const err = await p.then(
    () => undefined,
    (e: AmqpError) => e,
  );
  if (!err) throw new Error('the broker accepted an operation it should have refused');
  return err;
}

/** The reply text inside amqplib's error message (`... with message "TEXT"`). */
export function replyText(e: Error): string {
  const m = /with message "(.*)"$/s.exec(e.message);
  return m ? m[1]! : e.message;
}

/** Expects the error's reply code, text and class/method ids. */
export function expectReply(e: AmqpError, code: number, text: string, classId: number, methodId: number): void {
  expect({ code: e.code, text: replyText(e), classId: e.classId, methodId: e.methodId }).toEqual({ code, text, classId, methodId });
}

/** The fields of a basic.return as amqplib hands them over (its typings only describe deliveries). */
export type ReturnFields = { replyCode: number; replyText: string; exchange: string; routingKey: string };

/** The basic.return fields of a returned message. */
export const returnFields = (m: ConsumeMessage) => m.fields as unknown as ReturnFields;

/** How RabbitMQ names the default vhost in reply texts. */
export const VHOST = "in vhost '/'";

/**
 * Everything in `queue` up to a marker sent through the default exchange after the messages
 * under test, so "nothing arrived" is known without guessing at a delay.
 */
export async function drainToMarker(ch: Channel, queue: string): Promise<string[]> {
  const marker = `marker-${randomUUID()}`;
  ch.sendToQueue(queue, Buffer.from(marker));
  const bodies: string[] = [];
  for (let misses = 0; misses < 250; ) {
    const m = await ch.get(queue, { noAck: true });
    if (m === false) {
      misses++;
      await sleep(20);
      continue;
    }
    const body = m.content.toString();
    if (body === marker) return bodies;
    bodies.push(body);
  }
  throw new Error(`the marker never arrived in ${queue}`);
}

/** Whether exchange `name` exists (a passive declare on a throwaway channel). */
export async function exchangeExists(conn: ChannelModel, name: string): Promise<boolean> {
  const ch = await channel(conn);
  const found = await ch.checkExchange(name).then(
    () => true,
    (e: AmqpError) => {
      if (e.code !== 404) throw e;
      return false;
    },
  );
  if (found) await ch.close();
  return found;
}
