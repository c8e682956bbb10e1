// RabbitMQ's idle_since on classic queues and channels: there once nothing changed for a sample interval (5 s),
// dated from the first sample after the last change, in RabbitMQ's format; gone again at the next activity.
import amqp from 'amqplib';
import { describe, expect, it } from 'vitest';
import { useBroker } from '../support/broker.js';
import { apiClient, eventually } from '../support/http.js';

const broker = useBroker({ managementPort: 0 });
const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+00:00$/;

type Json = Record<string, any>;

describe('idle_since', () => {
  it('appears on an idle classic queue and channel, not on a quorum queue, and goes at the next publish', async () => {
    const api = apiClient(`http://localhost:${broker.current.managementPort}`);
    const conn = await amqp.connect(broker.current.url);
    const ch = await conn.createChannel();
    await ch.assertQueue('idle-classic');
    await ch.assertQueue('idle-quorum', { durable: true, arguments: { 'x-queue-type': 'quorum' } });
    ch.sendToQueue('idle-classic', Buffer.from('x'));
    ch.sendToQueue('idle-quorum', Buffer.from('x'));
    await ch.checkQueue('idle-classic');
    const sent = Date.now();

    const queue = async (name: string) => (await api.get(`/api/queues/%2F/${name}`)).json as Json;
    const classic = await eventually(async () => ((await queue('idle-classic')).idle_since ? queue('idle-classic') : undefined), 20_000);
    expect(classic.idle_since).toMatch(ISO);
    const since = Date.parse(classic.idle_since);
    // The first sample after the publish (samples fall on 5 s boundaries, taken a moment after).
    expect(since).toBeGreaterThanOrEqual(sent - 1000);
    expect(since).toBeLessThanOrEqual(Date.now());
    expect(classic.state).toBe('running');
    expect('idle_since' in (await queue('idle-quorum'))).toBe(false);
    // The broker's only channel (this file's only connection).
    const channel = await eventually(async () => ((await api.get('/api/channels')).json as Json[]).find((c) => c.idle_since), 20_000);
    expect(channel.idle_since).toMatch(ISO);

    ch.sendToQueue('idle-classic', Buffer.from('y'));
    await ch.checkQueue('idle-classic');
    expect(await eventually(async () => ('idle_since' in (await queue('idle-classic')) ? undefined : true), 10_000)).toBe(true);
    await conn.close();
  });
});
