// Resource alarms: lowering the memory watermark at run time blocks publishers (connection.blocked), consumers keep
// draining, raising it unblocks them (connection.unblocked), and nothing is lost. The API and metrics show it.
import amqp from 'amqplib';
import { describe, expect, it } from 'vitest';
import { useBroker } from '../support/broker.js';
import { apiClient } from '../support/http.js';
import { args, encodeFrame, encodeHeaderPayload, encodeMethodFrame, FRAME_BODY, FRAME_HEADER, rawConnect } from '../../conformance/support/raw.js';

const broker = useBroker({ managementPort: 0, prometheusPort: 0, alarmCheckInterval: 50 });

describe('resource alarms', () => {
  it('blocks publishers while the memory watermark is exceeded and loses nothing', async () => {
    expect.hasAssertions();
    const b = broker.current;
    const api = apiClient(`http://localhost:${b.managementPort}`);
    const publisher = await amqp.connect(b.url);
    const events: string[] = [];
    publisher.on('blocked', (reason: string) => events.push(`blocked: ${reason}`));
    publisher.on('unblocked', () => events.push('unblocked'));
    const pch = await publisher.createConfirmChannel();
    await pch.assertQueue('alarm-q');
    pch.sendToQueue('alarm-q', Buffer.from('before'));
    await pch.waitForConfirms();

    const consumer = await amqp.connect(b.url);
    const cch = await consumer.createChannel();
    const received: string[] = [];
    await cch.consume('alarm-q', (m) => m && received.push(m.content.toString()), { noAck: true });

    b.server.alarms.setMemoryHighWatermark({ absolute: 1 });
    expect((await api.get('/api/health/checks/alarms')).status).toBe(503);
    expect(await (await fetch(`http://localhost:${b.prometheusPort}/metrics`)).text()).toMatch(/^rabbitmq_alarms_memory_used_watermark 1$/m);
    // As RabbitMQ's, the per-object endpoint has no alarm families.
    expect(await (await fetch(`http://localhost:${b.prometheusPort}/metrics/per-object`)).text()).not.toMatch(/^rabbitmq_alarms_/m);

    // The next publish is taken, then the publisher is blocked: later ones wait unconfirmed.
    let confirmed = 0;
    for (let i = 0; i < 5; i++) pch.sendToQueue('alarm-q', Buffer.from(`during ${i}`), {}, (err) => !err && confirmed++);
    await new Promise((r) => setTimeout(r, 300));
    expect(events).toEqual(['blocked: low on memory']);
    expect(confirmed).toBeLessThan(5);
    expect(received).toContain('before');

    b.server.alarms.setMemoryHighWatermark({ relative: 0.9 });
    await pch.waitForConfirms();
    await new Promise((r) => setTimeout(r, 100));
    expect(events).toEqual(['blocked: low on memory', 'unblocked']);
    expect(received).toEqual(['before', ...[0, 1, 2, 3, 4].map((i) => `during ${i}`)]);
    expect((await api.get('/api/health/checks/alarms')).json).toEqual({ status: 'ok' });
    await publisher.close();
    await consumer.close();
  });

  it('sends no connection.blocked after the client sent connection.close (only the close-ok goes out)', async () => {
    expect.hasAssertions();
    const b = broker.current;
    const caps = { authentication_failure_close: true, 'connection.blocked': true };
    const body = Buffer.from('x');
    const publish = Buffer.concat([
      encodeMethodFrame(1, 60, 40, args().short(0).shortstr('').shortstr('no-such-queue').bits(false, false).build()),
      encodeFrame(FRAME_HEADER, 1, encodeHeaderPayload(60, body.length)),
      encodeFrame(FRAME_BODY, 1, body),
    ]);
    // Two publishers (alarms block publishers only): one stays, one sends connection.close right after publishing.
    const stays = await rawConnect({ url: b.url, capabilities: caps });
    const leaves = await rawConnect({ url: b.url, capabilities: caps });
    for (const c of [stays, leaves]) await c.openChannel(1);
    stays.sendRaw(publish);
    leaves.sendRaw(Buffer.concat([publish, encodeMethodFrame(0, 10, 50, args().short(200).shortstr('bye').short(0).short(0).build())]));
    await leaves.expectMethod(10, 51);
    // The socket stays open (the broker leaves closing it to the client): an alarm now must not reach it.
    b.server.alarms.setMemoryHighWatermark({ absolute: 1 });
    try {
      const blocked = await stays.expectMethod(10, 60, 2_000);
      expect(blocked.channel).toBe(0);
      const late = await leaves.nextFrame(300, 'nothing').then((f) => f, () => undefined);
      expect(late).toBeUndefined();
    } finally {
      b.server.alarms.setMemoryHighWatermark({ relative: 0.9 });
      stays.destroy();
      leaves.destroy();
    }
  });
});
