// Flow control: a consumer whose socket is not read stops receiving; its messages wait in the queue, not in memory.
import amqp from 'amqplib';
import { describe, expect, it } from 'vitest';
import { args, rawConnect } from '../../conformance/support/raw.js';
import { useBroker } from '../support/broker.js';

const broker = useBroker();

describe('flow control', () => {
  it('keeps messages in the queue while a no-ack consumer does not read, and delivers them all once it does', async () => {
    expect.hasAssertions();
    const url = broker.current.url;
    const conn = await amqp.connect(url);
    const ch = await conn.createConfirmChannel();
    const queue = 'flow-control-slow-consumer';
    await ch.assertQueue(queue);

    const consumer = await rawConnect({ url });
    await consumer.openChannel(1);
    // basic.consume(queue, tag "slow", no-ack)
    consumer.sendMethod(1, 60, 20, args().short(0).shortstr(queue).shortstr('slow').bits(false, true, false, false).table({}).build());
    await consumer.expectMethod(60, 21);
    consumer.socket.pause();

    const total = 5000;
    const body = Buffer.alloc(4096, 0x61);
    for (let i = 0; i < total; i++) ch.publish('', queue, body);
    await ch.waitForConfirms();

    // 20 MB published; the consumer's socket holds only a few MB, so most must still be queued.
    const held = (await ch.checkQueue(queue)).messageCount;
    expect(held).toBeGreaterThan(total / 4);

    consumer.socket.resume();
    const deadline = Date.now() + 20_000;
    const deliveries = () => consumer.received.filter((f) => f.method?.classId === 60 && f.method.methodId === 60).length;
    while (deliveries() < total && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(deliveries()).toBe(total);
    expect((await ch.checkQueue(queue)).messageCount).toBe(0);

    consumer.destroy();
    await ch.deleteQueue(queue);
    await conn.close();
  });
});
