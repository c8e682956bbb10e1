// A channel's per-exchange and per-queue counters: one object per exchange or queue, the route's places reused, deleted ones forgotten.
import { describe, expect, it } from 'vitest';
import type { Exchange, Queue } from '../../src/broker/index.js';
import { ChannelObjectStats, QueuePublishTally } from '../../src/server/channel-object-stats.js';

const queue = (name: string) => ({ name }) as unknown as Queue;
const exchange = (name: string) => ({ name }) as unknown as Exchange;

describe('ChannelObjectStats', () => {
  it('gives one counter object per exchange and per queue, whether repeated or alternated', () => {
    expect.hasAssertions();
    const s = new ChannelObjectStats(() => true, () => true);
    const [a, b] = [exchange('a'), exchange('b')];
    for (const x of [a, a, b, a, b, b]) s.exchange(x).published += 1;
    expect(s.exchanges().map((c) => [c.exchange.name, c.published])).toEqual([['a', 3], ['b', 3]]);
    const q = queue('q');
    s.queue(q).acked += 2;
    s.queue(queue('r')).acked += 1;
    s.queue(q).acked += 1;
    expect(s.queues().map((c) => [c.queue.name, c.acked])).toEqual([['q', 3], ['r', 1]]);
  });

  it('leaves deleted objects out of scrapes and sweeps them once a channel has met many', () => {
    expect.hasAssertions();
    const deleted = new Set<string>();
    const s = new ChannelObjectStats((x) => !deleted.has(x.name), (q) => !deleted.has(q.name));
    const kept = queue('kept');
    s.queue(kept).deliver += 1;
    for (let i = 0; i < 100; i++) {
      const q = queue(`tmp${i}`);
      s.queue(q).deliver += 1;
      deleted.add(q.name);
    }
    expect(s.queues().map((c) => c.queue.name)).toEqual(['kept']);
    expect((s as unknown as { byQueue: Map<Queue, unknown> }).byQueue.size).toBeLessThan(64);
    expect(s.queue(kept).deliver).toBe(1);
  });
});

describe('QueuePublishTally', () => {
  it('counts each queue of a route, when the route repeats, changes order or changes queues', () => {
    expect.hasAssertions();
    const t = new QueuePublishTally(() => true);
    const [q1, q2, q3] = [queue('q1'), queue('q2'), queue('q3')];
    const route = (...qs: Queue[]) => qs.forEach((q, i) => t.count(i, q));
    route(q1, q2);
    route(q1, q2);
    route(q2, q1);
    route(q3);
    route(q1, q2, q3);
    expect(t.entries().map((e) => [e.queue.name, e.published])).toEqual([['q1', 4], ['q2', 4], ['q3', 2]]);
  });
});
