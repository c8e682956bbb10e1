// Request/reply: a server answers on the caller's reply_to queue, matched by correlation_id.
import amqp from 'amqplib';

export async function run(url) {
  const conn = await amqp.connect(url);
  const server = await conn.createChannel();
  await server.assertQueue('rpc_square');
  await server.consume('rpc_square', (msg) => {
    if (msg === null) return; // cancelled by the broker when the queue is deleted
    const n = Number(msg.content.toString());
    server.sendToQueue(msg.properties.replyTo, Buffer.from(String(n * n)), { correlationId: msg.properties.correlationId });
    server.ack(msg);
  });

  const client = await conn.createChannel();
  const { queue: replyTo } = await client.assertQueue('', { exclusive: true });
  const pending = new Map();
  await client.consume(replyTo, (msg) => {
    pending.get(msg.properties.correlationId)?.(msg.content.toString());
  }, { noAck: true });
  const call = (n) => new Promise((resolve) => {
    const id = `call-${n}`;
    pending.set(id, resolve);
    client.sendToQueue('rpc_square', Buffer.from(String(n)), { replyTo, correlationId: id });
  });

  const answers = await Promise.all([2, 3, 12].map(call));
  await server.deleteQueue('rpc_square');
  await conn.close();
  return answers;
}
