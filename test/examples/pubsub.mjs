// Publish/subscribe: every subscriber's own exclusive queue gets every message from a fanout exchange.
import amqp from 'amqplib';

export async function run(url) {
  const conn = await amqp.connect(url);
  const ch = await conn.createChannel();
  await ch.assertExchange('logs', 'fanout', { durable: false });

  const received = { a: [], b: [] };
  for (const name of ['a', 'b']) {
    const { queue } = await ch.assertQueue('', { exclusive: true });
    await ch.bindQueue(queue, 'logs', '');
    await ch.consume(queue, (msg) => received[name].push(msg.content.toString()), { noAck: true });
  }
  for (const line of ['info: up', 'warn: slow', 'error: down']) ch.publish('logs', '', Buffer.from(line));
  while (received.a.length < 3 || received.b.length < 3) await new Promise((r) => setTimeout(r, 10));
  await ch.deleteExchange('logs');
  await conn.close();
  return received;
}
