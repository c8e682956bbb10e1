// A stream: publish with confirms, then read it from the first offset; every reader sees every message.
import amqp from 'amqplib';

export async function run(url) {
  const conn = await amqp.connect(url);
  const pub = await conn.createConfirmChannel();
  await pub.assertQueue('events', { durable: true, arguments: { 'x-queue-type': 'stream', 'x-max-age': '7D' } });
  for (const e of ['signed-up', 'paid', 'shipped']) pub.sendToQueue('events', Buffer.from(e));
  await pub.waitForConfirms(); // confirmed once on disk

  const reader = await conn.createChannel();
  await reader.prefetch(100); // required: acks are credit, nothing is removed
  const seen = [];
  await new Promise((resolve) => {
    reader.consume('events', (msg) => {
      if (msg === null) return; // cancelled by the broker when the stream is deleted
      seen.push(`${msg.properties.headers['x-stream-offset']}: ${msg.content.toString()}`);
      reader.ack(msg);
      if (seen.length === 3) resolve();
    }, { arguments: { 'x-stream-offset': 'first' } }); // or 'last', 'next', 42, '1h', { '!': 'timestamp', value: seconds }
  });
  await reader.deleteQueue('events');
  await conn.close();
  return seen;
}
