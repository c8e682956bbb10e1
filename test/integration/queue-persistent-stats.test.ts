// A classic queue's persistent, in-memory and head-timestamp figures (RabbitMQ's messages_persistent,
// message_bytes_persistent, messages_ram, head_message_timestamp …) in the API and in Prometheus, across acks and restarts;
// a quorum queue keeps (and counts as persistent) every message, whatever its delivery mode.
import type { ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import amqp from 'amqplib';
import { afterEach, describe, expect, it } from 'vitest';
import { apiClient } from '../support/http.js';
import { cleanup, exitCode, startWarren, tempDir, type StartedWarren } from './cli-support.js';

afterEach(cleanup);

type Json = Record<string, any>;

const FIELDS = ['messages', 'messages_persistent', 'message_bytes_persistent', 'messages_ram', 'message_bytes_ram', 'messages_ready_ram', 'messages_unacknowledged_ram', 'messages_paged_out', 'message_bytes_paged_out', 'head_message_timestamp', 'consumer_capacity'];

async function fields(w: StartedWarren, queue: string): Promise<Json> {
  const q = (await apiClient(w.managementUrl).get(`/api/queues/%2F/${queue}`)).json as Json;
  return Object.fromEntries(FIELDS.map((k) => [k, q[k]]));
}

/** `rabbitmq_queue_NAME{vhost="/",queue="QUEUE"}`'s value on /metrics/per-object. */
async function perObject(w: StartedWarren, name: string, queue: string): Promise<string | undefined> {
  const text = await (await fetch(`http://localhost:${w.prometheusPort}/metrics/per-object`)).text();
  return text.split('\n').find((l) => l.startsWith(`rabbitmq_queue_${name}{vhost="/",queue="${queue}"}`))?.split(' ')[1];
}

async function stop(child: ChildProcess): Promise<void> {
  child.kill('SIGTERM');
  await exitCode(child);
}

describe("a queue's persistent and in-memory figures", () => {
  it('count persistent messages of a durable queue only, follow acks, and come back after a restart with its backlog', async () => {
    const dataDir = join(tempDir(), 'data');
    let w = await startWarren([], { dataDir });
    let conn = await amqp.connect(`amqp://localhost:${w.port}`);
    let ch = await conn.createConfirmChannel();
    await ch.assertQueue('kept', { durable: true });
    await ch.assertQueue('scratch', { durable: false });
    ch.sendToQueue('kept', Buffer.from('aa'), { persistent: true, timestamp: 1_700_000_000 });
    ch.sendToQueue('kept', Buffer.from('bbb'), { persistent: true, timestamp: 1_700_000_200 });
    ch.sendToQueue('kept', Buffer.from('c'), { persistent: false });
    // delivery_mode 2 in a transient queue is not persistent (RabbitMQ counts 0 there too).
    ch.sendToQueue('scratch', Buffer.from('dddd'), { persistent: true });
    await ch.waitForConfirms();
    const first = await ch.get('kept', { noAck: false });
    if (!first) throw new Error('kept is empty');
    expect(first.content.toString()).toBe('aa');
    expect(await fields(w, 'kept')).toEqual({
      messages: 3,
      messages_persistent: 2,
      message_bytes_persistent: 5,
      messages_ram: 3,
      message_bytes_ram: 6,
      messages_ready_ram: 2,
      messages_unacknowledged_ram: 1,
      messages_paged_out: 0,
      message_bytes_paged_out: 0,
      // The oldest of the next to deliver (bbb) and those out unacked (aa), as RabbitMQ's pending acks count.
      head_message_timestamp: 1_700_000_000,
      consumer_capacity: 0,
    });
    expect((await fields(w, 'scratch')).messages_persistent).toBe(0);
    expect((await fields(w, 'scratch')).head_message_timestamp).toBeNull();
    expect(await perObject(w, 'messages_persistent', 'kept')).toBe('2');
    expect(await perObject(w, 'messages_persistent_bytes', 'kept')).toBe('5');
    expect(await perObject(w, 'head_message_timestamp', 'kept')).toBe('1700000000');
    expect(await perObject(w, 'head_message_timestamp', 'scratch')).toBe('NaN');
    ch.ack(first);
    await ch.checkQueue('kept'); // a round trip on the same channel: the ack is in
    expect(await fields(w, 'kept')).toMatchObject({ messages: 2, messages_persistent: 1, head_message_timestamp: 1_700_000_200 });
    const second = await ch.get('kept', { noAck: true });
    expect(second && second.content.toString()).toBe('bbb');
    // Only the transient c is left: nothing persistent, and a head without a timestamp.
    expect(await fields(w, 'kept')).toMatchObject({ messages: 1, messages_persistent: 0, message_bytes_persistent: 0, head_message_timestamp: null });
    await ch.purgeQueue('kept');

    // A backlog longer than the first batch a restart reads: most of it stays in the segments until consumed.
    for (let i = 0; i < 3000; i++) ch.sendToQueue('kept', Buffer.from(`m${i % 10}`), { persistent: true });
    await ch.waitForConfirms();
    await conn.close();
    await stop(w.child);

    w = await startWarren([], { dataDir });
    expect(await fields(w, 'kept')).toMatchObject({ messages: 3000, messages_persistent: 3000, message_bytes_persistent: 6000 });
    conn = await amqp.connect(`amqp://localhost:${w.port}`);
    ch = await conn.createConfirmChannel();
    for (let i = 0; i < 1000; i++) expect(await ch.get('kept', { noAck: true })).toBeTruthy();
    expect(await fields(w, 'kept')).toMatchObject({ messages: 2000, messages_persistent: 2000, message_bytes_persistent: 4000 });
    expect(await ch.purgeQueue('kept')).toEqual({ messageCount: 2000 });
    expect(await fields(w, 'kept')).toMatchObject({ messages: 0, messages_persistent: 0, message_bytes_persistent: 0 });
    await conn.close();
  });

  it('a quorum queue keeps every message, transient ones too, across a restart and a kill -9, as RabbitMQ does', async () => {
    const dataDir = join(tempDir(), 'data');
    let w = await startWarren([], { dataDir });
    let conn = await amqp.connect(`amqp://localhost:${w.port}`);
    const ch = await conn.createConfirmChannel();
    await ch.assertQueue('log', { durable: true, arguments: { 'x-queue-type': 'quorum' } });
    ch.sendToQueue('log', Buffer.from('transient'), { persistent: false });
    ch.sendToQueue('log', Buffer.from('persistent'), { persistent: true });
    await ch.waitForConfirms();
    expect((await apiClient(w.managementUrl).get('/api/queues/%2F/log')).json).toMatchObject({ messages: 2, messages_persistent: 2, message_bytes_persistent: 19 });
    await conn.close();
    await stop(w.child);
    w = await startWarren([], { dataDir });
    conn = await amqp.connect(`amqp://localhost:${w.port}`);
    const again = await conn.createConfirmChannel();
    again.sendToQueue('log', Buffer.from('after'), { persistent: false });
    await again.waitForConfirms(); // confirmed once on disk, as a persistent message's confirm
    conn.on('error', () => {}); // the kill closes it unexpectedly
    w.child.kill('SIGKILL');
    await exitCode(w.child);
    w = await startWarren([], { dataDir });
    conn = await amqp.connect(`amqp://localhost:${w.port}`);
    const last = await conn.createChannel();
    const bodies: string[] = [];
    for (let m = await last.get('log', { noAck: true }); m; m = await last.get('log', { noAck: true })) bodies.push(m.content.toString());
    expect(bodies).toEqual(['transient', 'persistent', 'after']);
    await conn.close();
  });
});
