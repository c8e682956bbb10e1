// How RabbitMQ 3.10 validates queue.declare and basic.consume arguments, across all extensions.
// (Each extension's own bad values are in its ext-*.test.ts file.)
// - Integer arguments (x-message-ttl, x-expires, x-max-length(-bytes), x-max-priority, …) accept
//   every AMQP integer type: byte b, unsignedbyte B, short s, unsignedshort u, signedint I,
//   unsignedint i, long l. Anything else → "expected integer, got <type>", the type named as
//   RabbitMQ names it: float, double, timestamp, bool, table, array, void, binary, decimal, longstr.
// - String arguments checked by value (x-overflow, x-queue-mode, x-queue-type, …) with another type
//   → {unacceptable_type,<type>}; x-dead-letter-exchange with another type → the differently worded
//   "invalid type '<type>' for arg 'x-dead-letter-exchange' in queue '…' in vhost '/'".
// - The reply text names the first failing argument in RabbitMQ's own order, not the table's:
//   x-dead-letter-exchange's type (checked by the channel before anything else), then
//   x-queue-type, then x-expires, x-message-ttl, x-dead-letter-routing-key, x-max-length,
//   x-max-length-bytes, x-max-priority, x-overflow, x-queue-mode, x-queue-version,
//   x-single-active-consumer, …; arguments that belong to another queue type come last.
// - An argument known only to other queue types → 406 "invalid arg '<arg>' for queue '…' in vhost
//   '/' of queue type rabbit_<type>_queue", whatever its value; same for basic.consume arguments
//   (classic: x-priority, x-credit, x-cancel-on-ha-failover; quorum: x-priority, x-credit; stream:
//   x-stream-offset, x-credit).
// - x-queue-mode "default" / "lazy"; x-queue-version 1 / 2 (classic only).
import { describe, expect, it } from 'vitest';
import { channelError, cleanUpAfterEach, open, trackNames } from '../support/fixtures.js';

// ---------------------------------------------------------------------------------------------
// Helpers (those the case files share are in ../support/fixtures.ts)
// ---------------------------------------------------------------------------------------------

const { qname } = cleanUpAfterEach(trackNames('ext-arguments'));

/** Declares (durable: false) and expects a 406 on queue.declare with `invalid arg '<arg>' for queue '<q>' in vhost '/'<rest>`. */
async function expectInvalid(args: Record<string, unknown>, arg: string, rest: string, durable = false): Promise<void> {
  const { ch } = await open();
  const q = qname('bad');
  expect(await channelError(ch.assertQueue(q, { durable, arguments: args }))).toEqual({
    code: 406,
    classId: 50,
    methodId: 10,
    text: `PRECONDITION_FAILED - invalid arg '${arg}' for queue '${q}' in vhost '/'${rest}`,
  });
}

async function expectAccepted(args: Record<string, unknown>, durable = false): Promise<void> {
  const { ch } = await open();
  const q = qname('ok');
  expect(await ch.assertQueue(q, { durable, arguments: args })).toEqual({ queue: q, messageCount: 0, consumerCount: 0 });
}

/** amqplib's way to send a value with a given field-table type. */
const typed = (type: string, value: unknown) => ({ '!': type, value });

const NON_INTEGERS = [
  ['float', typed('float', 5)],
  ['double', typed('double', 5)],
  ['timestamp', typed('timestamp', 5)],
  ['bool', true],
  ['table', { a: 1 }],
  ['array', [1]],
  ['void', null],
  ['binary', Buffer.from('ab')],
  ['decimal', typed('decimal', { places: 1, digits: 5 })],
  ['longstr', '5'],
] as const;

// ---------------------------------------------------------------------------------------------

describe('argument types', () => {
  it.for(['byte', 'unsignedbyte', 'short', 'unsignedshort', 'int', 'unsignedint', 'long'])(
    'accepts an integer argument sent as %s',
    async (type) => {
      expect.hasAssertions();
      await expectAccepted({ 'x-message-ttl': typed(type, 5), 'x-max-length': typed(type, 5), 'x-max-priority': typed(type, 5) });
    },
  );

  it.for(NON_INTEGERS)('refuses an integer argument sent as %s ("expected integer, got <type>")', async ([type, value]) => {
    expect.hasAssertions();
    await expectInvalid({ 'x-max-length': value }, 'x-max-length', `: "expected integer, got ${type}"`);
  });

  it.for([
    ['int', typed('int', 5), 'signedint'],
    ['bool', true, 'bool'],
    ['table', { a: 1 }, 'table'],
    ['void', null, 'void'],
  ] as const)("refuses x-queue-mode sent as %s: {unacceptable_type,…}", async ([, value, type]) => {
    expect.hasAssertions();
    await expectInvalid({ 'x-queue-mode': value }, 'x-queue-mode', `: {unacceptable_type,${type}}`);
  });

  it.for([
    ['int', typed('int', 5), 'signedint'],
    ['bool', true, 'bool'],
    ['array', ['a'], 'array'],
  ] as const)("refuses x-dead-letter-exchange sent as %s: \"invalid type '…' for arg 'x-dead-letter-exchange' in queue …\"", async ([, value, type]) => {
    expect.hasAssertions();
    const { ch } = await open();
    const q = qname('dlx-type');
    expect(await channelError(ch.assertQueue(q, { durable: false, arguments: { 'x-dead-letter-exchange': value } }))).toEqual({
      code: 406,
      classId: 50,
      methodId: 10,
      text: `PRECONDITION_FAILED - invalid type '${type}' for arg 'x-dead-letter-exchange' in queue '${q}' in vhost '/'`,
    });
  });
});

describe('x-queue-mode and x-queue-version (classic)', () => {
  it.for([
    { 'x-queue-mode': 'default' },
    { 'x-queue-mode': 'lazy' },
    { 'x-queue-version': 1 },
    { 'x-queue-version': 2 },
  ])('accepts %j', async (args) => {
    expect.hasAssertions();
    await expectAccepted(args);
  });

  it.for([
    [{ 'x-queue-mode': 'bogus' }, 'x-queue-mode', `: "unsupported queue mode 'bogus'"`],
    [{ 'x-queue-version': 3 }, 'x-queue-version', `: "unsupported queue version '3'"`],
    [{ 'x-queue-version': '2' }, 'x-queue-version', ': "expected integer, got longstr"'],
  ] as const)('refuses %j with 406', async ([args, arg, rest]) => {
    expect.hasAssertions();
    await expectInvalid(args, arg, rest);
  });
});

describe('which bad argument is reported', () => {
  it.for([
    ['x-message-ttl -1 and x-expires 0 → x-expires', { 'x-message-ttl': -1, 'x-expires': 0 }, 'x-expires', ': {value_zero,0}'],
    ['x-expires 0 and x-message-ttl -1 → x-expires', { 'x-expires': 0, 'x-message-ttl': -1 }, 'x-expires', ': {value_zero,0}'],
    ['x-overflow bogus and x-max-priority 256 → x-max-priority', { 'x-overflow': 'bogus', 'x-max-priority': 256 }, 'x-max-priority', ': {max_value_exceeded,256}'],
    ['x-single-active-consumer "x" and x-queue-type bogus → x-queue-type', { 'x-single-active-consumer': 'x', 'x-queue-type': 'bogus' }, 'x-queue-type', `: "unsupported queue type 'bogus'"`],
    ['x-dead-letter-routing-key without DLX and x-message-ttl -1 → x-message-ttl', { 'x-dead-letter-routing-key': 'r', 'x-message-ttl': -1 }, 'x-message-ttl', ': {value_negative,-1}'],
    ['x-delivery-limit (quorum only) and x-max-length -1 → x-max-length', { 'x-delivery-limit': 1, 'x-max-length': -1 }, 'x-max-length', ': {value_negative,-1}'],
  ] as const)('%s', async ([, args, arg, rest]) => {
    expect.hasAssertions();
    await expectInvalid(args, arg, rest);
  });

  it('reports a bad x-dead-letter-exchange type before any other bad argument', async () => {
    expect.hasAssertions();
    const { ch } = await open();
    const q = qname('dlx-first');
    expect(await channelError(ch.assertQueue(q, { durable: false, arguments: { 'x-queue-type': 'bogus', 'x-expires': 0, 'x-dead-letter-exchange': 5 } }))).toEqual({
      code: 406,
      classId: 50,
      methodId: 10,
      text: `PRECONDITION_FAILED - invalid type 'byte' for arg 'x-dead-letter-exchange' in queue '${q}' in vhost '/'`,
    });
  });
});

describe('arguments of other queue types', () => {
  it.for([
    ['x-max-in-memory-length', 1],
    ['x-max-in-memory-bytes', 1],
    ['x-queue-leader-locator', 'client-local'],
    ['x-stream-max-segment-size-bytes', 1000],
    ['x-initial-cluster-size', 1],
    ['x-delivery-limit', 'not even an integer'],
  ] as const)('a classic queue refuses %s (any value) with "… of queue type rabbit_classic_queue"', async ([arg, value]) => {
    expect.hasAssertions();
    await expectInvalid({ [arg]: value }, arg, ' of queue type rabbit_classic_queue');
  });

  it.for([
    ['x-queue-version', 2],
    ['x-queue-master-locator', 'min-masters'],
    ['x-max-age', '1D'],
    ['x-stream-max-segment-size-bytes', 1000],
  ] as const)('a quorum queue refuses %s with "… of queue type rabbit_quorum_queue"', async ([arg, value]) => {
    expect.hasAssertions();
    await expectInvalid({ 'x-queue-type': 'quorum', [arg]: value }, arg, ' of queue type rabbit_quorum_queue', true);
  });

  it.for([
    ['classic', 'x-stream-offset', 'first'],
    ['quorum', 'x-cancel-on-ha-failover', true],
    ['quorum', 'x-stream-offset', 'first'],
  ] as const)('basic.consume on a %s queue refuses %s with 406 "… of queue type …"', async ([type, arg, value]) => {
    expect.hasAssertions();
    const { ch } = await open();
    const q = qname('consume-arg');
    await ch.assertQueue(q, type === 'quorum' ? { durable: true, arguments: { 'x-queue-type': 'quorum' } } : { durable: false });
    expect(await channelError(ch.consume(q, () => {}, { arguments: { [arg]: value } }))).toEqual({
      code: 406,
      classId: 60,
      methodId: 20,
      text: `PRECONDITION_FAILED - invalid arg '${arg}' for queue '${q}' in vhost '/' of queue type rabbit_${type}_queue`,
    });
  });

  it('accepts arguments no queue type knows, on declare and on consume', async () => {
    expect.hasAssertions();
    const { ch } = await open();
    const q = qname('unknown');
    expect(await ch.assertQueue(q, { durable: false, arguments: { 'x-whatever': 'x', plain: 1 } })).toEqual({ queue: q, messageCount: 0, consumerCount: 0 });
    expect(await ch.consume(q, () => {}, { arguments: { 'x-whatever': [1, 2] } })).toMatchObject({ consumerTag: expect.any(String) });
  });
});
