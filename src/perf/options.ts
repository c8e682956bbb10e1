// `warren perf` flags with RabbitMQ PerfTest's names, short letters, defaults and meanings, and the amqp:// URI.
import { parseArgs } from 'node:util';
import { AmqpUriError, parseAmqpUri, redactedUri, type AmqpUri } from '../client/index.js';

export interface PerfOptions {
  /** The URI without its password. */
  uri: string;
  host: string;
  port: number;
  username: string;
  password: string;
  vhost: string;
  /** -x */
  producers: number;
  /** -y */
  consumers: number;
  /** -s: body bytes (at least 12 are sent: a sequence number and a timestamp, as PerfTest). */
  size: number;
  /** -a */
  autoAck: boolean;
  /** -q: prefetch per consumer, 0 for none. */
  qos: number;
  /** -c: most unconfirmed messages per producer; undefined without confirms, 0 for confirms without a window. */
  confirm: number | undefined;
  /** -A: ack with multiple every N messages; 0 acks each message. */
  multiAckEvery: number;
  /** -f persistent */
  persistent: boolean;
  /** -f mandatory */
  mandatory: boolean;
  /** -u: '' for a server-named queue per consumer. */
  queue: string;
  /** -e */
  exchange: string;
  /** -t */
  exchangeType: string;
  /** -k: undefined for a random UUID (one per run). */
  routingKey: string | undefined;
  /** -r: messages/s per producer, 0 for no limit. */
  rate: number;
  /** -R: messages/s per consumer, 0 for no limit. */
  consumerRate: number;
  /** -C: messages per producer, 0 for no limit. */
  producerMessages: number;
  /** -D: messages per consumer, 0 for no limit. */
  consumerMessages: number;
  /** -z: seconds, 0 for no limit. */
  time: number;
  /** --auto-delete: whether declared queues are auto-delete (PerfTest's default: true). */
  autoDelete: boolean;
  /** -d */
  id: string;
  /** -i: seconds between the report lines. */
  interval: number;
}

/** A bad command line: the message is one line, the exit code 64 (EX_USAGE). */
export class PerfUsageError extends Error {
  readonly exitCode = 64;
}

export const PERF_HELP = `Usage: warren perf [options]

A load generator with RabbitMQ PerfTest's flags: producers publish to an exchange, consumers
(each on its own connection) consume from queues bound to it, and every second a line reports
the rates and the consumer latency (producers put a timestamp in each body).

  -h, --uri URI              amqp://user:pass@host:port/vhost (default amqp://localhost)
  -x, --producers N          producer count (default 1)
  -y, --consumers N          consumer count (default 1)
  -s, --size BYTES           message body size (default 12; at least 12 are sent)
  -a, --autoack              consumers use auto-ack (default: manual acks)
  -q, --qos N                consumer prefetch count (default 0: none)
  -c, --confirm N            publisher confirms, at most N unconfirmed per producer (0: no window)
  -A, --multi-ack-every N    ack with multiple=true every N messages (default 0: each message)
  -f, --flag FLAG            persistent and/or mandatory (repeat the flag for both)
  -u, --queue NAME           queue name (default: a server-named queue per consumer)
  -e, --exchange NAME        exchange name (default direct)
  -t, --type TYPE            exchange type (default direct)
  -k, --routing-key KEY      routing key (default: a random UUID)
  -r, --rate N               producer rate limit, messages/s per producer (default 0: none)
  -R, --consumer-rate N      consumer rate limit, messages/s per consumer (default 0: none)
  -C, --pmessages N          messages per producer (default 0: no limit)
  -D, --cmessages N          messages per consumer (default 0: no limit)
  -z, --time SECONDS         run time (default 0: until the counts are reached, or Ctrl-C)
      --auto-delete BOOL     declare queues auto-delete (default true)
  -d, --id ID                test id shown on each line (default test-HHMMSS-mmm)
  -i, --interval SECONDS     seconds between report lines (default 1)
  -?, --help                 show this help

Queues are declared durable with -f persistent. With -e '' (the default exchange) no binding is
made and the routing key defaults to the -u queue. Example:

  warren perf -x 1 -y 2 -s 1000 -q 500 -c 1000 -f persistent -z 30
`;

const OPTIONS = {
  uri: { type: 'string', short: 'h' },
  producers: { type: 'string', short: 'x' },
  consumers: { type: 'string', short: 'y' },
  size: { type: 'string', short: 's' },
  autoack: { type: 'boolean', short: 'a' },
  qos: { type: 'string', short: 'q' },
  confirm: { type: 'string', short: 'c' },
  'multi-ack-every': { type: 'string', short: 'A' },
  flag: { type: 'string', short: 'f', multiple: true },
  queue: { type: 'string', short: 'u' },
  exchange: { type: 'string', short: 'e' },
  type: { type: 'string', short: 't' },
  'routing-key': { type: 'string', short: 'k' },
  rate: { type: 'string', short: 'r' },
  'consumer-rate': { type: 'string', short: 'R' },
  pmessages: { type: 'string', short: 'C' },
  cmessages: { type: 'string', short: 'D' },
  time: { type: 'string', short: 'z' },
  'auto-delete': { type: 'string' },
  id: { type: 'string', short: 'd' },
  interval: { type: 'string', short: 'i' },
  help: { type: 'boolean', short: '?' },
} as const;

const FLAGS = ['persistent', 'mandatory'];

function integer(name: string, v: string | undefined, dflt: number, min = 0): number {
  if (v === undefined) return dflt;
  if (!/^-?\d+$/.test(v.trim()) || Number(v) < min || !Number.isSafeInteger(Number(v))) {
    throw new PerfUsageError(`--${name} takes a whole number${min === 0 ? ' (0 or more)' : ` of at least ${min}`}, not '${v}'`);
  }
  return Number(v);
}

function decimal(name: string, v: string | undefined, dflt: number): number {
  if (v === undefined) return dflt;
  const n = Number(v);
  if (v.trim() === '' || !Number.isFinite(n) || n < 0) throw new PerfUsageError(`--${name} takes a number (0 or more), not '${v}'`);
  return n;
}

function hhmmss(d: Date): string {
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  return `test-${p(d.getHours())}${p(d.getMinutes())}${p(d.getSeconds())}-${p(d.getMilliseconds(), 3)}`;
}

/**
 * Parses amqp://user:pass@host:port/vhost with the client module's parser, as RabbitMQ's clients read it (no path is
 * vhost '/', a bare '/' is the vhost '', `%2f` a '/'); errors name the URI without its password.
 */
export function parseUri(uri: string): { host: string; port: number; username: string; password: string; vhost: string } {
  if (/^amqps:/i.test(uri)) throw new PerfUsageError('warren perf speaks plain amqp:// only (no TLS)');
  let o: AmqpUri['options'];
  try {
    o = parseAmqpUri(uri).options;
  } catch (e) {
    throw new PerfUsageError(`--uri ${e instanceof AmqpUriError ? e.message : redactedUri(uri)} (amqp://user:pass@host:port/vhost)`);
  }
  return { host: o.host, port: o.port, username: o.username ?? 'guest', password: o.password ?? 'guest', vhost: o.vhost ?? '/' };
}

/** The options, or 'help' when --help (or a bare -h) was asked for. Throws PerfUsageError for a bad command line. */
export function parsePerfArgs(argv: string[], now = new Date()): PerfOptions | 'help' {
  if (argv.includes('--help') || argv.includes('-?') || argv[argv.length - 1] === '-h') return 'help';
  let values: Record<string, string | boolean | string[] | undefined>;
  try {
    const r = parseArgs({ args: argv, options: OPTIONS, strict: true, allowPositionals: false });
    values = r.values;
  } catch (e) {
    throw new PerfUsageError(`${e instanceof Error ? e.message.split('\n')[0]! : String(e)} (warren perf --help lists the flags)`);
  }
  const s = (k: string) => values[k] as string | undefined;
  const flags = (values.flag as string[] | undefined) ?? [];
  for (const f of flags) {
    if (!FLAGS.includes(f)) throw new PerfUsageError(`unknown --flag '${f}' (warren perf knows: ${FLAGS.join(', ')})`);
  }
  const uri = s('uri') ?? 'amqp://localhost';
  const autoDelete = s('auto-delete') ?? 'true';
  if (autoDelete !== 'true' && autoDelete !== 'false') throw new PerfUsageError(`--auto-delete takes true or false, not '${autoDelete}'`);
  const confirm = s('confirm');
  const o: PerfOptions = {
    uri: redactedUri(uri),
    ...parseUri(uri),
    producers: integer('producers', s('producers'), 1),
    consumers: integer('consumers', s('consumers'), 1),
    size: integer('size', s('size'), 12),
    autoAck: values.autoack === true,
    qos: integer('qos', s('qos'), 0),
    confirm: confirm === undefined || confirm.trim() === '-1' ? undefined : integer('confirm', confirm, 0),
    multiAckEvery: integer('multi-ack-every', s('multi-ack-every'), 0),
    persistent: flags.includes('persistent'),
    mandatory: flags.includes('mandatory'),
    queue: s('queue') ?? '',
    exchange: s('exchange') ?? 'direct',
    exchangeType: s('type') ?? 'direct',
    routingKey: s('routing-key'),
    rate: decimal('rate', s('rate'), 0),
    consumerRate: decimal('consumer-rate', s('consumer-rate'), 0),
    producerMessages: integer('pmessages', s('pmessages'), 0),
    consumerMessages: integer('cmessages', s('cmessages'), 0),
    time: decimal('time', s('time'), 0),
    autoDelete: autoDelete === 'true',
    id: s('id') ?? hhmmss(now),
    interval: decimal('interval', s('interval'), 1),
  };
  if (o.interval <= 0) throw new PerfUsageError('--interval must be more than 0 seconds');
  if (o.qos > 65535) throw new PerfUsageError('--qos is at most 65535 (a short in basic.qos)');
  if (Buffer.byteLength(o.exchange) > 255 || Buffer.byteLength(o.queue) > 255 || Buffer.byteLength(o.routingKey ?? '') > 255) {
    throw new PerfUsageError('exchange, queue and routing key names are at most 255 bytes');
  }
  return o;
}
