// Effective arguments re-applied at run time (what a policy change does): Queue.applySettings and Exchange.applySettings on a socket-less vhost.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { exchangeSettings, type Exchange } from '../../src/broker/exchange.js';
import { Message } from '../../src/broker/message.js';
import { parseQueueArguments, type QueueSettings } from '../../src/broker/queue-arguments.js';
import type { Queue } from '../../src/broker/queue.js';
import { reportToConsole } from '../../src/broker/internal-errors.js';
import { newBrokerTotals } from '../../src/broker/stats.js';
import { realClock } from '../../src/broker/clock.js';
import { VirtualHost } from '../../src/broker/vhost.js';
import type { FieldTable, FieldValue } from '../../src/protocol/index.js';

const args = (entries: Record<string, FieldValue>): FieldTable => new Map(Object.entries(entries));
const int = (value: number): FieldValue => ({ type: 'I', value });
const str = (value: string): FieldValue => ({ type: 'S', value });

const newVhost = () => new VirtualHost('/', { totals: newBrokerTotals(), reportInternalError: reportToConsole, clock: realClock });

function declare(vhost: VirtualHost, name: string, a: FieldTable = new Map(), durable = false): Queue {
  return vhost.declareQueue({ name, passive: false, durable, exclusive: false, autoDelete: false, arguments: a, connectionId: 1 });
}

function publish(vhost: VirtualHost, queue: string, body: string, exchange = ''): { routed: number; rejected: number } {
  const outcome = vhost.publish(vhost.exchange(exchange), Message.fromProperties(exchange, queue, {}, Buffer.from(body)));
  return { ...outcome };
}

/** The settings the queue's own arguments give, with some values changed (as a policy would). */
function settingsOf(q: Queue, change: Partial<QueueSettings>): QueueSettings {
  return { ...parseQueueArguments(q.arguments, `queue '${q.name}'`), ...change };
}

function bodies(q: Queue): string[] {
  const out: string[] = [];
  for (let e = q.get(true); e; e = q.get(true)) out.push(e.message.body.toString());
  return out;
}

/** A queue `dead` bound to a fanout exchange `dlx`. */
function deadLetterTarget(vhost: VirtualHost): Queue {
  vhost.declareExchange({ name: 'dlx', type: 'fanout', passive: false, durable: false, autoDelete: false, internal: false, arguments: new Map() });
  const dead = declare(vhost, 'dead');
  vhost.bindQueue('dead', 'dlx', '', new Map(), 1);
  return dead;
}

afterEach(() => {
  vi.useRealTimers();
});

describe('Queue.applySettings', () => {
  it('trims at once to a lower max-length under drop-head, oldest first, dead-lettered as maxlen; removing the limit lifts it', () => {
    const vhost = newVhost();
    const dead = deadLetterTarget(vhost);
    const q = declare(vhost, 'q', args({ 'x-dead-letter-exchange': str('dlx') }));
    for (const b of ['a', 'b', 'c', 'd']) publish(vhost, 'q', b);
    q.applySettings(settingsOf(q, { maxLength: 2 }));
    expect(q.messageCount).toBe(2);
    expect(dead.messageCount).toBe(2);
    const deadEntry = dead.get(true)!;
    const death = deadEntry.message.properties.headers?.get('x-first-death-reason');
    expect(death).toEqual(str('maxlen'));
    expect(publish(vhost, 'q', 'e').rejected).toBe(0);
    expect(q.messageCount).toBe(2);
    q.applySettings(settingsOf(q, { maxLength: undefined }));
    publish(vhost, 'q', 'f');
    expect(bodies(q)).toEqual(['d', 'e', 'f']);
  });

  it('trims to a lower max-length-bytes', () => {
    const vhost = newVhost();
    const q = declare(vhost, 'q');
    for (const b of ['aaaa', 'bbbb', 'cccc']) publish(vhost, 'q', b);
    q.applySettings(settingsOf(q, { maxLengthBytes: 5 }));
    expect(q.messageCount).toBe(1);
    expect(q.messageBytes).toBe(4);
    expect(bodies(q)).toEqual(['cccc']);
  });

  it('under reject-publish keeps what is queued and refuses new messages until the limit is lifted', () => {
    const vhost = newVhost();
    const q = declare(vhost, 'q');
    for (const b of ['a', 'b', 'c']) publish(vhost, 'q', b);
    q.applySettings(settingsOf(q, { maxLength: 1, overflow: 'reject-publish' }));
    expect(q.messageCount).toBe(3);
    expect(publish(vhost, 'q', 'd').rejected).toBe(1);
    q.applySettings(settingsOf(q, { overflow: 'reject-publish' }));
    expect(publish(vhost, 'q', 'e').rejected).toBe(0);
    expect(bodies(q)).toEqual(['a', 'b', 'c', 'e']);
  });

  it('applies a new message-ttl to messages arriving from then on; queued ones keep the expiry they had (as RabbitMQ 3.10.8)', () => {
    vi.useFakeTimers();
    const vhost = newVhost();
    const q = declare(vhost, 'q', args({ 'x-message-ttl': int(60_000) }));
    publish(vhost, 'q', 'old');
    q.applySettings(settingsOf(q, { messageTtl: 100 }));
    publish(vhost, 'q', 'new');
    vi.advanceTimersByTime(150);
    expect(q.messageCount).toBe(1);
    q.applySettings(settingsOf(q, { messageTtl: undefined }));
    publish(vhost, 'q', 'kept');
    vi.advanceTimersByTime(120_000);
    expect(bodies(q)).toEqual(['kept']);
  });

  it('re-arms x-expires with the new interval, and an expires removed keeps the queue', () => {
    vi.useFakeTimers();
    const vhost = newVhost();
    const q = declare(vhost, 'q', args({ 'x-expires': int(10_000) }));
    q.applySettings(settingsOf(q, { expires: 100 }));
    vi.advanceTimersByTime(150);
    expect(vhost.queues.has('q')).toBe(false);

    const r = declare(vhost, 'r', args({ 'x-expires': int(100) }));
    r.applySettings(settingsOf(r, { expires: undefined }));
    vi.advanceTimersByTime(1_000);
    expect(vhost.queues.get('r')).toBe(r);
    r.applySettings(settingsOf(r, { expires: 50 }));
    vi.advanceTimersByTime(60);
    expect(vhost.queues.has('r')).toBe(false);
  });

  it('dead-letters a rejected message once a dead-letter exchange appears, and drops it once it is gone', () => {
    const vhost = newVhost();
    const dead = deadLetterTarget(vhost);
    const q = declare(vhost, 'q');
    for (const b of ['a', 'b']) publish(vhost, 'q', b);
    q.applySettings(settingsOf(q, { deadLetterExchange: 'dlx' }));
    q.reject(q.get(false)!);
    expect(dead.messageCount).toBe(1);
    expect(q.deadLettered).toBe(1);
    q.applySettings(settingsOf(q, { deadLetterExchange: undefined }));
    q.reject(q.get(false)!);
    expect(dead.messageCount).toBe(1);
    expect(bodies(dead)).toEqual(['a']);
  });

  it('keeps the type, x-max-priority and single-active-consumer as declared', () => {
    const vhost = newVhost();
    const q = declare(vhost, 'q', args({ 'x-max-priority': int(5) }));
    q.applySettings({ ...settingsOf(q, {}), type: 'quorum', maxPriority: undefined, singleActiveConsumer: true });
    expect(q.settings.type).toBe('classic');
    expect(q.settings.maxPriority).toBe(5);
    expect(q.settings.singleActiveConsumer).toBe(false);
  });

  it('turns deduplication on and off', () => {
    const vhost = newVhost();
    const q = declare(vhost, 'q');
    const dup = () =>
      vhost.publish(vhost.exchange(''), Message.fromProperties('', 'q', { headers: args({ 'x-deduplication-header': str('id-1') }) }, Buffer.from('x')));
    q.applySettings(settingsOf(q, { deduplication: { cacheSize: 10, cacheTtl: undefined, header: 'x-deduplication-header' } }));
    dup();
    dup();
    expect(q.messageCount).toBe(1);
    q.applySettings(settingsOf(q, { deduplication: undefined }));
    dup();
    expect(q.messageCount).toBe(2);
  });
});

describe('Exchange.applySettings', () => {
  it('routes what the exchange routes nowhere to an alternate exchange that appears, and stops when it goes', () => {
    const vhost = newVhost();
    const ex: Exchange = vhost.declareExchange({ name: 'x', type: 'direct', passive: false, durable: false, autoDelete: false, internal: false, arguments: new Map() });
    vhost.declareExchange({ name: 'ae', type: 'fanout', passive: false, durable: false, autoDelete: false, internal: false, arguments: new Map() });
    const caught = declare(vhost, 'caught');
    vhost.bindQueue('caught', 'ae', '', new Map(), 1);
    expect(publish(vhost, 'nowhere', 'a', 'x').routed).toBe(0);
    ex.applySettings({ alternateExchange: 'ae', deduplication: undefined });
    expect(publish(vhost, 'nowhere', 'b', 'x').routed).toBe(1);
    ex.applySettings(exchangeSettings(ex.arguments, 'x'));
    expect(publish(vhost, 'nowhere', 'c', 'x').routed).toBe(0);
    expect(bodies(caught)).toEqual(['b']);
  });
});
