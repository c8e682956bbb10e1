// The per-connection cap on bytes held in partly received messages (--max-connection-buffer): finished messages
// give their bytes back, and a connection that holds too much across its channels is closed with 506.
import amqp from 'amqplib';
import { describe, expect, it } from 'vitest';
import { args, encodeHeaderPayload, FRAME_BODY, FRAME_HEADER, rawConnect, type RawConnection } from '../../conformance/support/raw.js';
import { useBroker } from '../support/broker.js';

const CAP = 1_000_000;
const broker = useBroker({ maxConnectionBuffer: CAP });

/** basic.publish to the default exchange and a content header announcing `size` bytes. */
function startPublish(c: RawConnection, channel: number, queue: string, size: number): void {
  c.sendMethod(channel, 60, 40, args().short(0).shortstr('').shortstr(queue).bits(false, false).build());
  c.sendFrame(FRAME_HEADER, channel, encodeHeaderPayload(60, size));
}

/** `bytes` of body in frames that fit the default frame_max. */
function sendBody(c: RawConnection, channel: number, bytes: number): void {
  for (let sent = 0; sent < bytes; sent += 100_000) c.sendFrame(FRAME_BODY, channel, Buffer.alloc(Math.min(100_000, bytes - sent), 0x61));
}

describe('connection buffer cap', () => {
  it('gives back the bytes of each finished message: many large messages in a row pass the cap in total', async () => {
    expect.hasAssertions();
    const conn = await amqp.connect(broker.current.url);
    const ch = await conn.createChannel();
    const queue = 'buffer-cap-sequential';
    await ch.assertQueue(queue);
    const c = await rawConnect({ url: broker.current.url });
    await c.openChannel(1);
    for (let i = 0; i < 5; i++) {
      startPublish(c, 1, queue, 600_000);
      sendBody(c, 1, 600_000);
    }
    const deadline = Date.now() + 10_000;
    while ((await ch.checkQueue(queue)).messageCount < 5 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect((await ch.checkQueue(queue)).messageCount).toBe(5);
    expect(c.isClosed).toBe(false);
    c.destroy();
    await ch.deleteQueue(queue);
    await conn.close();
  });

  it('closes a connection whose unfinished messages on several channels hold more than the cap with 506, others keep working', async () => {
    expect.hasAssertions();
    const bystander = await amqp.connect(broker.current.url);
    const bch = await bystander.createChannel();
    const c = await rawConnect({ url: broker.current.url });
    await c.openChannel(1);
    await c.openChannel(2);
    startPublish(c, 1, 'nowhere', 900_000);
    startPublish(c, 2, 'nowhere', 900_000);
    sendBody(c, 1, 600_000);
    sendBody(c, 2, 600_000);
    const close = await c.expectConnectionClose(5_000);
    expect(close.replyCode).toBe(506);
    expect(close.replyText).toMatch(/^RESOURCE_ERROR - unfinished messages on this connection hold \d+ bytes, more than the limit of 1000000$/);
    expect([close.classId, close.methodId]).toEqual([60, 40]);
    await expect(bch.checkExchange('amq.direct')).resolves.toBeDefined();
    await bystander.close();
  });
});
