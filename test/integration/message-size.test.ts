// max_message_size: a body over it is refused with the one text basic.publish and the management API's publish share
// (406 PRECONDITION_FAILED; the channel is closed over AMQP, 400 bad_request over HTTP); a body of exactly the limit passes.
import amqp from 'amqplib';
import { describe, expect, it } from 'vitest';
import { useBroker } from '../support/broker.js';
import { apiClient } from '../support/http.js';

const MAX = 1024;
const broker = useBroker({ maxMessageSize: MAX, managementPort: 0 });
const TOO_LARGE = `PRECONDITION_FAILED - message size ${MAX + 1} is larger than configured max size ${MAX}`;

describe('max message size', () => {
  it('closes the publishing channel with 406 on basic.publish of one byte more than the limit; the limit itself passes', async () => {
    expect.hasAssertions();
    const conn = await amqp.connect(broker.current.url);
    try {
      const setup = await conn.createChannel();
      await setup.assertQueue('size.amqp', { durable: false });
      const ch = await conn.createConfirmChannel();
      const closed = new Promise<Error & { code?: number; classId?: number; methodId?: number }>((resolve) => ch.once('error', resolve));
      await new Promise<void>((resolve, reject) => ch.sendToQueue('size.amqp', Buffer.alloc(MAX, 0x61), {}, (err) => (err ? reject(err) : resolve())));
      ch.sendToQueue('size.amqp', Buffer.alloc(MAX + 1, 0x61));
      const e = await closed;
      expect({ code: e.code, classId: e.classId, methodId: e.methodId }).toEqual({ code: 406, classId: 60, methodId: 40 });
      expect(e.message).toContain(`with message "${TOO_LARGE}"`);
      expect((await setup.checkQueue('size.amqp')).messageCount).toBe(1);
      await setup.deleteQueue('size.amqp');
    } finally {
      await conn.close();
    }
  });

  it('answers the management API publish of one byte more than the limit with 400 and the same text; the limit itself is routed', async () => {
    expect.hasAssertions();
    const api = apiClient(`http://localhost:${broker.current.managementPort}`);
    expect((await api.put('/api/queues/%2F/size.http', { durable: false })).status).toBe(201);
    const publish = (bytes: number) => api.post('/api/exchanges/%2F/amq.default/publish', { properties: {}, routing_key: 'size.http', payload: 'a'.repeat(bytes), payload_encoding: 'string' });
    expect((await publish(MAX)).json).toEqual({ routed: true });
    expect(await publish(MAX + 1)).toMatchObject({ status: 400, json: { error: 'bad_request', reason: `406 ${TOO_LARGE}` } });
    const got = await api.post('/api/queues/%2F/size.http/get', { count: 10, ackmode: 'ack_requeue_false', encoding: 'auto' });
    expect((got.json as Array<{ payload_bytes: number }>).map((m) => m.payload_bytes)).toEqual([MAX]);
    expect((await api.del('/api/queues/%2F/size.http')).status).toBe(204);
  });
});
