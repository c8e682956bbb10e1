// Client matrix scenarios for Node's amqplib (npm). Usage: node scenarios.mjs AMQP_URL
// Prints one JSON line per scenario: {"scenario", "ok", "detail"}.
import { createHash } from 'node:crypto';
import amqp from 'amqplib';

const url = process.argv[2];
const P = `cm.amqplib.${process.pid}`;
const HEARTBEAT = 7;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function connect() {
  const u = new URL(url);
  u.searchParams.set('heartbeat', String(HEARTBEAT));
  return amqp.connect(u.toString());
}

function check(cond, what) {
  if (!cond) throw new Error(what);
}

// Waits until pred() holds, polling; fails after ms.
async function until(pred, what, ms = 5000) {
  const end = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(5);
  }
}

// Runs fn on a fresh connection, then closes it: a failing close fails the scenario too.
async function withConn(fn) {
  const conn = await connect();
  let error = null;
  conn.on('error', (e) => { error ??= e; });
  let result;
  try {
    result = await fn(conn);
  } catch (e) {
    await conn.close().catch(() => {});
    throw e;
  }
  await conn.close();
  if (error) throw new Error(`connection error: ${error.message}`);
  return result;
}

const scenarios = {
  async connect() {
    const conn = await connect();
    const hb = conn.connection.heartbeat;
    const product = conn.connection.serverProperties?.product;
    await conn.close();
    check(hb === HEARTBEAT, `negotiated heartbeat ${hb}, expected ${HEARTBEAT}`);
    return `heartbeat ${hb}, server ${product}`;
  },

  topology: () => withConn(async (conn) => {
    const ch = await conn.createChannel();
    const x = `${P}.topo.x`, q = `${P}.topo.q`;
    await ch.assertExchange(x, 'direct', { durable: false });
    const ok = await ch.assertQueue(q, { durable: false });
    check(ok.queue === q && ok.messageCount === 0, `declare-ok ${JSON.stringify(ok)}`);
    await ch.bindQueue(q, x, 'k');
    const anon = await ch.assertQueue('', { exclusive: true });
    check(anon.queue.startsWith('amq.gen-'), `server-named queue ${anon.queue}`);
    ch.publish(x, 'k', Buffer.from('via binding'));
    let got = false;
    for (let i = 0; i < 200 && !got; i++) { got = await ch.get(q, { noAck: true }); if (!got) await sleep(5); }
    check(got && got.content.toString() === 'via binding', 'message not routed through the binding');
    await ch.unbindQueue(q, x, 'k');
    await ch.checkQueue(q);
    await ch.deleteQueue(q);
    await ch.deleteExchange(x);
    return 'exchange, queue, binding, server-named queue, unbind, delete';
  }),

  publish_consume_ack: () => withConn(async (conn) => {
    const ch = await conn.createChannel();
    const q = `${P}.work`;
    await ch.assertQueue(q, { durable: true });
    for (let i = 0; i < 10; i++) {
      ch.sendToQueue(q, Buffer.from(`m${i}`), { persistent: true, contentType: 'text/plain', headers: { n: i } });
    }
    await ch.prefetch(5);
    const got = [];
    await ch.consume(q, (m) => {
      if (m === null) return; // the broker cancelled the consumer: its queue was deleted
      got.push(`${m.content}:${m.properties.headers.n}:${m.properties.contentType}`);
      ch.ack(m);
    }, { noAck: false });
    await until(() => got.length >= 10, '10 deliveries');
    const want = Array.from({ length: 10 }, (_, i) => `m${i}:${i}:text/plain`);
    check(JSON.stringify(got) === JSON.stringify(want), `got ${JSON.stringify(got)}`);
    await sleep(50);
    const { messageCount } = await (await conn.createChannel()).checkQueue(q);
    check(messageCount === 0, `queue still holds ${messageCount}`);
    await ch.deleteQueue(q);
    return '10 messages in order, acked, queue empty';
  }),

  confirm_mandatory_return: () => withConn(async (conn) => {
    const ch = await conn.createConfirmChannel();
    const q = `${P}.confirm`;
    await ch.assertQueue(q, { exclusive: true });
    const events = [];
    ch.on('return', (m) => events.push(`return:${m.fields.replyCode}:${m.fields.replyText}:${m.fields.routingKey}`));
    await new Promise((res, rej) => ch.sendToQueue(q, Buffer.from('routed'), { mandatory: true }, (e) => (e ? rej(e) : res())));
    events.push('ack1');
    await new Promise((res, rej) => ch.publish('', `${P}.nowhere`, Buffer.from('lost'), { mandatory: true }, (e) => (e ? rej(e) : res())));
    events.push('ack2');
    const want = ['ack1', `return:312:NO_ROUTE:${P}.nowhere`, 'ack2'];
    check(JSON.stringify(events) === JSON.stringify(want), `events ${JSON.stringify(events)}`);
    return 'routed publish confirmed; unroutable mandatory publish returned 312 NO_ROUTE, then confirmed';
  }),

  topic_routing: () => withConn(async (conn) => {
    const ch = await conn.createChannel();
    const x = `${P}.topic`;
    await ch.assertExchange(x, 'topic', { durable: false, autoDelete: false });
    const qa = (await ch.assertQueue('', { exclusive: true })).queue;
    const qb = (await ch.assertQueue('', { exclusive: true })).queue;
    await ch.bindQueue(qa, x, '*.orange.*');
    await ch.bindQueue(qb, x, '*.*.rabbit');
    await ch.bindQueue(qb, x, 'lazy.#');
    const keys = ['quick.orange.rabbit', 'lazy.orange.elephant', 'quick.orange.fox', 'lazy.brown.fox', 'lazy', 'quick.brown.fox', 'orange', 'quick.orange.new.rabbit', 'lazy.orange.new.rabbit'];
    const got = { a: [], b: [] };
    await ch.consume(qa, (m) => m !== null && got.a.push(m.fields.routingKey), { noAck: true });
    await ch.consume(qb, (m) => m !== null && got.b.push(m.fields.routingKey), { noAck: true });
    for (const k of keys) ch.publish(x, k, Buffer.from(k));
    const wantA = ['quick.orange.rabbit', 'lazy.orange.elephant', 'quick.orange.fox'];
    const wantB = ['quick.orange.rabbit', 'lazy.orange.elephant', 'lazy.brown.fox', 'lazy', 'lazy.orange.new.rabbit'];
    await until(() => got.a.length >= wantA.length && got.b.length >= wantB.length, 'topic deliveries');
    await sleep(100);
    check(JSON.stringify(got) === JSON.stringify({ a: wantA, b: wantB }), `got ${JSON.stringify(got)}`);
    await ch.deleteExchange(x);
    return `*.orange.* got ${got.a.length}, *.*.rabbit + lazy.# got ${got.b.length}`;
  }),

  nack_requeue: () => withConn(async (conn) => {
    const ch = await conn.createChannel();
    const q = `${P}.nack`;
    await ch.assertQueue(q, { exclusive: true });
    ch.sendToQueue(q, Buffer.from('again'));
    const seen = [];
    await ch.consume(q, (m) => {
      if (m === null) return; // the broker cancelled the consumer: its queue was deleted
      seen.push(m.fields.redelivered);
      if (seen.length === 1) ch.nack(m, false, true);
      else ch.ack(m);
    });
    await until(() => seen.length >= 2, 'the redelivery');
    check(JSON.stringify(seen) === '[false,true]', `redelivered flags ${JSON.stringify(seen)}`);
    await sleep(50);
    const { messageCount } = await (await conn.createChannel()).checkQueue(q);
    check(messageCount === 0, `queue still holds ${messageCount}`);
    return 'nacked with requeue, redelivered with redelivered=true, acked';
  }),

  large_message: () => withConn(async (conn) => {
    const ch = await conn.createChannel();
    const q = `${P}.large`;
    await ch.assertQueue(q, { exclusive: true });
    const body = Buffer.alloc(1024 * 1024);
    for (let i = 0; i < body.length; i++) body[i] = (i * 31 + 7) & 0xff;
    const sha = (b) => createHash('sha256').update(b).digest('hex');
    ch.sendToQueue(q, body);
    let got = null;
    await ch.consume(q, (m) => {
      if (m === null) return;
      got = m.content;
      ch.ack(m);
    });
    await until(() => got !== null, 'the 1 MB message', 10000);
    check(got.length === body.length && sha(got) === sha(body), `got ${got.length} bytes, sha256 ${sha(got)}`);
    return `1048576 bytes, sha256 ${sha(got).slice(0, 12)}...`;
  }),

  rpc_reply_to: () => withConn(async (conn) => {
    const server = await conn.createChannel();
    const rq = `${P}.rpc`;
    await server.assertQueue(rq, { exclusive: true });
    await server.consume(rq, (m) => {
      if (m === null) return; // the broker cancelled the consumer: its queue was deleted
      const n = Number(m.content.toString());
      server.sendToQueue(m.properties.replyTo, Buffer.from(String(n * n)), { correlationId: m.properties.correlationId });
      server.ack(m);
    });
    const client = await conn.createChannel();
    const { queue: replyTo } = await client.assertQueue('', { exclusive: true });
    const answers = {};
    await client.consume(replyTo, (m) => {
      if (m === null) return;
      answers[m.properties.correlationId] = m.content.toString(); }, { noAck: true
    });
    for (const n of [2, 3, 12]) client.sendToQueue(rq, Buffer.from(String(n)), { replyTo, correlationId: `c${n}` });
    await until(() => Object.keys(answers).length >= 3, 'three replies');
    check(JSON.stringify(answers) === JSON.stringify({ c2: '4', c3: '9', c12: '144' }), `answers ${JSON.stringify(answers)}`);
    return '3 calls answered on an exclusive reply queue, matched by correlation_id';
  }),

  rpc_direct_reply_to: () => withConn(async (conn) => {
    const server = await conn.createChannel();
    const rq = `${P}.drpc`;
    await server.assertQueue(rq, { exclusive: true });
    let seenReplyTo = null;
    await server.consume(rq, (m) => {
      if (m === null) return; // the broker cancelled the consumer: its queue was deleted
      seenReplyTo = m.properties.replyTo;
      server.publish('', m.properties.replyTo, Buffer.from(`re:${m.content}`), { correlationId: m.properties.correlationId });
      server.ack(m);
    });
    const client = await conn.createChannel();
    let reply = null;
    await client.consume('amq.rabbitmq.reply-to', (m) => {
      if (m === null) return;
      reply = `${m.properties.correlationId}/${m.content}`; }, { noAck: true
    });
    client.sendToQueue(rq, Buffer.from('ping'), { replyTo: 'amq.rabbitmq.reply-to', correlationId: 'd1' });
    await until(() => reply !== null, 'the direct reply');
    check(seenReplyTo?.startsWith('amq.rabbitmq.reply-to.'), `server saw reply_to ${seenReplyTo}`);
    check(reply === 'd1/re:ping', `reply ${reply}`);
    return 'reply via amq.rabbitmq.reply-to';
  }),

  dead_letter: () => withConn(async (conn) => {
    const ch = await conn.createChannel();
    const dlx = `${P}.dlx`, dlq = `${P}.dlq`, q = `${P}.dlwork`;
    await ch.assertExchange(dlx, 'direct', { durable: false });
    await ch.assertQueue(dlq, { exclusive: true });
    await ch.bindQueue(dlq, dlx, 'dead');
    await ch.assertQueue(q, { exclusive: true, arguments: { 'x-dead-letter-exchange': dlx, 'x-dead-letter-routing-key': 'dead' } });
    ch.sendToQueue(q, Buffer.from('doomed'));
    let m = false;
    for (let i = 0; i < 200 && !m; i++) { m = await ch.get(q); if (!m) await sleep(5); }
    check(m, 'no message to reject');
    ch.reject(m, false);
    let d = false;
    for (let i = 0; i < 200 && !d; i++) { d = await ch.get(dlq, { noAck: true }); if (!d) await sleep(5); }
    check(d, 'nothing arrived on the dead-letter queue');
    const death = d.properties.headers?.['x-death']?.[0];
    check(d.content.toString() === 'doomed' && death && death.reason === 'rejected' && death.queue === q && Number(death.count) === 1,
      `dead-lettered ${d.content} with x-death ${JSON.stringify(death)}`);
    await ch.deleteExchange(dlx);
    return `rejected -> ${dlx}, x-death reason ${death.reason}, count ${death.count}`;
  }),

  async clean_close() {
    const conn = await connect();
    const ch = await conn.createChannel();
    let closed = false, error = null;
    conn.on('close', () => { closed = true; });
    conn.on('error', (e) => { error = e; });
    await ch.close();
    await conn.close();
    check(closed && !error, `closed=${closed} error=${error}`);
    return 'channel.close-ok and connection.close-ok received';
  },
};

for (const [name, fn] of Object.entries(scenarios)) {
  let line;
  try {
    const detail = await Promise.race([fn(), sleep(20000).then(() => { throw new Error('timed out after 20 s'); })]);
    line = { scenario: name, ok: true, detail };
  } catch (e) {
    line = { scenario: name, ok: false, detail: String(e?.message ?? e) };
  }
  console.log(JSON.stringify(line));
}
process.exit(0);
