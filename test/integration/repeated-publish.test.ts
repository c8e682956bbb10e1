// A connection's repeated basic.publish frames and a channel's repeated properties are decoded once and shared:
// interleaved publishes (other keys, exchanges, flags, properties, channels) each still arrive exactly as published.
import amqp, { type ConsumeMessage, type Options } from 'amqplib';
import { describe, expect, it } from 'vitest';
import { useBroker } from '../support/broker.js';

const broker = useBroker();

describe('repeated publishes', () => {
  it('delivers every message with its own exchange, routing key and properties when publishes repeat and interleave', async () => {
    expect.hasAssertions();
    const conn = await amqp.connect(broker.current.url);
    const one = await conn.createChannel();
    const two = await conn.createChannel();
    await one.assertExchange('rp-x', 'direct', { autoDelete: false });
    for (const q of ['rp-qa', 'rp-qb']) {
      await one.assertQueue(q, { maxPriority: 5 });
      await one.purgeQueue(q);
    }
    await one.bindQueue('rp-qa', 'rp-x', 'a');
    await one.bindQueue('rp-qb', 'rp-x', 'b');
    const text: Options.Publish = { contentType: 'text/plain' };
    const json: Options.Publish = { contentType: 'application/json', priority: 3 };
    const headers: Options.Publish = { headers: { n: 1 } };
    const long: Options.Publish = { headers: { pad: 'p'.repeat(200) }, contentType: 'x/long' };
    // [channel, exchange, routing key, properties, mandatory] and where the message lands
    const plan: Array<[amqp.Channel, string, string, Options.Publish, boolean, string, string]> = [
      [one, 'rp-x', 'a', text, false, 'rp-qa', 'rp-x'],
      [one, 'rp-x', 'a', text, false, 'rp-qa', 'rp-x'],
      [one, 'rp-x', 'b', text, false, 'rp-qb', 'rp-x'],
      [one, 'rp-x', 'a', text, false, 'rp-qa', 'rp-x'],
      [one, 'rp-x', 'a', json, false, 'rp-qa', 'rp-x'],
      [one, 'rp-x', 'a', json, true, 'rp-qa', 'rp-x'],
      [one, '', 'rp-qb', headers, false, 'rp-qb', ''],
      [two, '', 'rp-qb', headers, false, 'rp-qb', ''],
      [two, '', 'rp-qb', long, false, 'rp-qb', ''],
      [two, '', 'rp-qb', long, false, 'rp-qb', ''],
      [one, 'rp-x', 'a', {}, false, 'rp-qa', 'rp-x'],
      [two, 'rp-x', 'a', {}, false, 'rp-qa', 'rp-x'],
      [two, 'rp-x', 'b', text, false, 'rp-qb', 'rp-x'],
    ];
    plan.forEach(([ch, ex, key, props, mandatory], i) => ch.publish(ex, key, Buffer.from(`m${i}`), { ...props, mandatory }));
    const got = new Map<string, { m: ConsumeMessage; queue: string }>();
    const c = await conn.createChannel();
    for (const q of ['rp-qa', 'rp-qb']) await c.consume(q, (m) => m && got.set(m.content.toString(), { m, queue: q }), { noAck: true });
    const deadline = Date.now() + 5000;
    while (got.size < plan.length && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    expect(got.size).toBe(plan.length);
    plan.forEach(([, , key, props, , queue, deliveredExchange], i) => {
      const { m, queue: from } = got.get(`m${i}`)!;
      expect({ i, from, exchange: m.fields.exchange, key: m.fields.routingKey }).toEqual({ i, from: queue, exchange: deliveredExchange, key });
      expect(m.properties.contentType).toBe(props.contentType);
      expect(m.properties.priority).toBe(props.priority);
      expect(m.properties.headers).toEqual(props.headers ?? {});
    });
    // Empty bodies: the header completes the message (with repeated properties, read in place).
    await one.assertQueue('rp-qe');
    await one.purgeQueue('rp-qe');
    for (let i = 0; i < 3; i++) one.publish('', 'rp-qe', Buffer.alloc(0), text);
    const empty: ConsumeMessage[] = [];
    await c.consume('rp-qe', (m) => m && empty.push(m), { noAck: true });
    while (empty.length < 3 && Date.now() < deadline + 5000) await new Promise((r) => setTimeout(r, 10));
    expect(empty.map((m) => [m.content.length, m.properties.contentType, m.fields.routingKey])).toEqual(Array(3).fill([0, 'text/plain', 'rp-qe']));
    await one.deleteQueue('rp-qe');
    await one.deleteQueue('rp-qa');
    await one.deleteQueue('rp-qb');
    await one.deleteExchange('rp-x');
    await conn.close();
  });
});
