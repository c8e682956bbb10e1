// Work queue: one producer, two workers sharing tasks fairly (prefetch 1), each task acknowledged.
import amqp from 'amqplib';

export async function run(url) {
  const conn = await amqp.connect(url);
  const ch = await conn.createChannel();
  await ch.assertQueue('tasks', { durable: true });
  for (let i = 1; i <= 10; i++) ch.sendToQueue('tasks', Buffer.from(`task ${i}`), { persistent: true });

  const done = [];
  const workers = await Promise.all(['w1', 'w2'].map(async (name) => {
    const wch = await conn.createChannel();
    await wch.prefetch(1);
    await wch.consume('tasks', (msg) => {
      done.push(`${name}:${msg.content}`);
      wch.ack(msg);
    });
    return wch;
  }));
  while (done.length < 10) await new Promise((r) => setTimeout(r, 10));
  await Promise.all(workers.map((w) => w.close()));
  await ch.deleteQueue('tasks');
  await conn.close();
  return done;
}
