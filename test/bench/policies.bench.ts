// Publishing with and without policies in the vhost: policies are resolved when they or the queues change, never per
// message, so 200 policies (one of them matching the queue) cost a publish nothing measurable.
import { bench, describe } from 'vitest';
import { Broker, Message, parsePolicy } from '../../src/broker/index.js';

/**
 * A vhost with one queue (drop-head at 1,000 messages, so memory stays flat) and `policies` policies. The one that
 * applies sets the same limit as the queue's argument, so both cases do the same work per message.
 */
function setUp(policies: number): { publish: () => void } {
  const broker = new Broker({ defaultUser: 'guest', defaultPass: 'guest', defaultVhost: '/' });
  const v = broker.vhosts.get('/')!;
  v.declareQueue({ name: 'bench.q', passive: false, durable: false, exclusive: false, autoDelete: false, arguments: new Map([['x-max-length', { type: 'I', value: 1000 }]]), connectionId: 0 });
  for (let i = 0; i < policies; i++) {
    // Every one compiled and matched against the queue when set; one of them applies (the same limit as the argument).
    const pattern = i === 0 ? '^bench\\.' : `^other-${i}\\.`;
    broker.parameters.setPolicy('policy', parsePolicy('/', `p${i}`, 'policy', { pattern, definition: { 'max-length': 1000 }, priority: i % 7 }));
  }
  const exchange = v.exchange('');
  const body = Buffer.alloc(16);
  const props = Buffer.from([0, 0]);
  return { publish: () => void v.publish(exchange, new Message('', 'bench.q', props, body)) };
}

describe('publish to a queue', () => {
  // Each case builds its broker in its own setup (fresh, equal heaps), warms up and runs long enough that GC pauses
  // average out; the order of the cases does not matter then.
  let current: { publish: () => void } | undefined;
  const run = () => {
    for (let i = 0; i < 100; i++) current!.publish();
  };
  const opts = (policies: number) => ({ time: 2000, warmupTime: 1000, setup: () => void (current = setUp(policies)), teardown: () => void (current = undefined) });
  bench('no policies', run, opts(0));
  bench('200 policies, one applies', run, opts(200));
});
