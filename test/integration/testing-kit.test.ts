// warren/testing against a real broker: startTestBroker exports the URLs, isolatedVhost gives a vhost and user of its
// own and removes both, purge empties queues, reset deletes queues and exchanges but amq.*.
import amqp from 'amqplib';
import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isolatedVhost, purge, reset, startTestBroker, type TestBroker } from '../../src/testing/index.js';

let broker: TestBroker;
beforeAll(async () => {
  broker = await startTestBroker();
});
afterAll(() => broker.stop());

async function api(path: string): Promise<{ status: number; body: any }> {
  const res = await fetch(`http://localhost:${broker.running.managementPort}${path}`, { headers: { authorization: `Basic ${Buffer.from('guest:guest').toString('base64')}` } });
  return { status: res.status, body: res.status === 200 ? await res.json() : undefined };
}

describe('warren/testing', () => {
  it('exports AMQP_URL and WARREN_MANAGEMENT_URL of a broker on free ports', () => {
    expect(process.env['AMQP_URL']).toBe(broker.amqpUrl);
    expect(broker.amqpUrl).toMatch(/^amqp:\/\/guest:guest@localhost:\d+$/);
    expect(process.env['WARREN_MANAGEMENT_URL']).toBe(`http://guest:guest@localhost:${broker.running.managementPort}`);
  });

  it('isolatedVhost gives a vhost and a user of its own, and delete() removes both', async () => {
    const a = await isolatedVhost();
    const b = await isolatedVhost({ prefix: 'orders' });
    expect(a.vhost).not.toBe(b.vhost);
    expect(b.vhost).toMatch(/^orders-[0-9a-f]{12}$/);
    const conn = await amqp.connect(a.url);
    const ch = await conn.createChannel();
    await ch.assertQueue('q');
    await conn.close();
    expect((await api(`/api/queues/${encodeURIComponent(a.vhost)}/q`)).status).toBe(200);
    expect((await api(`/api/queues/${encodeURIComponent(b.vhost)}/q`)).status).toBe(404);
    expect((await api(`/api/users/${encodeURIComponent(a.username)}`)).body.tags).toEqual([]);
    await a.delete();
    await b.delete();
    expect((await api(`/api/vhosts/${encodeURIComponent(a.vhost)}`)).status).toBe(404);
    expect((await api(`/api/users/${encodeURIComponent(a.username)}`)).status).toBe(404);
    await expect(amqp.connect(a.url)).rejects.toThrow();
  });

  it('purge empties the queues and keeps them; reset deletes queues and exchanges but the amq.* ones', async () => {
    const v = await isolatedVhost();
    const conn = await amqp.connect(v.url);
    const ch = await conn.createConfirmChannel();
    await ch.assertExchange('orders', 'topic');
    await ch.assertQueue('billing');
    await ch.bindQueue('billing', 'orders', '#');
    for (let i = 0; i < 3; i++) ch.publish('orders', 'x', Buffer.from(String(i)));
    await ch.waitForConfirms();
    expect((await ch.checkQueue('billing')).messageCount).toBe(3);
    await purge({ vhost: v.vhost });
    expect((await ch.checkQueue('billing')).messageCount).toBe(0);
    await conn.close();
    await reset({ vhost: v.vhost });
    const exchanges = (await api(`/api/exchanges/${encodeURIComponent(v.vhost)}`)).body.map((x: { name: string }) => x.name);
    expect(exchanges).not.toContain('orders');
    expect(exchanges).toContain('amq.topic');
    expect((await api(`/api/queues/${encodeURIComponent(v.vhost)}`)).body).toEqual([]);
    await v.delete();
  });

  it('stop() removes its data dir and the variables it set', async () => {
    const other = await startTestBroker();
    expect(process.env['AMQP_URL']).toBe(other.amqpUrl);
    expect(existsSync(other.dataDir)).toBe(true);
    await other.stop();
    expect(process.env['AMQP_URL']).toBeUndefined();
    expect(existsSync(other.dataDir)).toBe(false);
  });

  it('says what is missing when no broker was set up', async () => {
    await expect(isolatedVhost({ managementUrl: '' })).rejects.toThrow(/no management URL/);
  });
});
