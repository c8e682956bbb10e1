// Rates and samples for the API: every object's counters and lengths sampled every 5 s (RabbitMQ's
// collect_statistics_interval) by one timer; `_details.rate` is the change over the last interval, and the
// `lengths_age`/`msg_rates_age`/`data_rates_age` queries get RabbitMQ's samples, avg and avg_rate. Nothing on the hot path.
import type { Exchange, MessageCounters } from '../broker/index.js';

/** RabbitMQ's collect_statistics_interval and the resolution of its basic sample retention. */
export const SAMPLE_MS = 5_000;

type Values = Readonly<Record<string, number>>;

/** A sample window asked for by a query: age and increment in seconds. */
export interface Window {
  readonly age: number;
  readonly incr: number;
}

/** The windows of one request (`?lengths_age=60&lengths_incr=5&msg_rates_age=…&data_rates_age=…`). */
export interface Windows {
  readonly lengths?: Window;
  readonly msgRates?: Window;
  readonly dataRates?: Window;
}

export const NO_WINDOWS: Windows = {};

/** The windows a query names: an age and its increment, both needed (RabbitMQ gives no samples for an age alone). */
export function windowsOf(query: URLSearchParams): Windows {
  const one = (prefix: string): Window | undefined => {
    const age = Number(query.get(`${prefix}_age`));
    const incr = Number(query.get(`${prefix}_incr`));
    if (!Number.isFinite(age) || age <= 0 || !Number.isFinite(incr) || incr <= 0) return undefined;
    return { age: Math.min(age, 3600), incr };
  };
  const out: { lengths?: Window; msgRates?: Window; dataRates?: Window } = {};
  const l = one('lengths');
  const m = one('msg_rates');
  const d = one('data_rates');
  if (l) out.lengths = l;
  if (m) out.msgRates = m;
  if (d) out.dataRates = d;
  return out;
}

function sameValues(a: Values, b: Values): boolean {
  let n = 0;
  for (const k in b) {
    if (a[k] !== b[k]) return false;
    n += 1;
  }
  return n === Object.keys(a).length;
}

/** The samples of one object: a ring of timestamps and values. */
class History {
  private readonly at: number[] = [];
  private readonly values: Values[] = [];
  constructor(private readonly capacity: number) {}

  add(t: number, v: Values): void {
    if (this.at.length > 0 && this.at[this.at.length - 1] === t) {
      this.values[this.values.length - 1] = v;
      return;
    }
    // An idle object's samples are all alike: they share one values object (10,000 idle channels keep 13 each).
    const last = this.values[this.values.length - 1];
    this.at.push(t);
    this.values.push(last !== undefined && sameValues(last, v) ? last : v);
    if (this.at.length > this.capacity) {
      this.at.shift();
      this.values.shift();
    }
  }

  /** Change per second of `key` over the last interval (0 before two samples). */
  rate(key: string): number {
    const n = this.at.length;
    if (n < 2) return 0;
    const dt = (this.at[n - 1]! - this.at[n - 2]!) / 1000;
    return dt > 0 ? ((this.values[n - 1]![key] ?? 0) - (this.values[n - 2]![key] ?? 0)) / dt : 0;
  }

  /** The value at or before `t` (0 before the first sample: counters and lengths start at 0). */
  valueAt(key: string, t: number): number {
    for (let i = this.at.length - 1; i >= 0; i--) if (this.at[i]! <= t) return this.values[i]![key] ?? 0;
    return 0;
  }

  latest(): number | undefined {
    return this.at[this.at.length - 1];
  }
}

const histories = new WeakMap<object, History>();

/** Each object's counts at the last DELETE /api/reset (RabbitMQ's reset of its statistics database). */
const baselines = new WeakMap<object, Values>();

/** Counter values since the last reset of `key` (keys the reset did not see, such as lengths, pass unchanged). */
export function sinceReset(key: object, values: Record<string, number>): Record<string, number> {
  const base = baselines.get(key);
  if (!base) return values;
  const out: Record<string, number> = {};
  for (const k in values) out[k] = values[k]! - (base[k] ?? 0);
  return out;
}

/** An exchange's publish_in / publish_out since the last reset. */
export function exchangeCounts(x: Exchange): Record<string, number> {
  return sinceReset(x, { publish_in: x.publishIn, publish_out: x.publishOut });
}

/** Forgets the samples of these objects and counts their message_stats from 0 again; given each one's counts now. */
export function resetStatistics(objects: Iterable<readonly [object, Values]>): void {
  for (const [key, values] of objects) {
    histories.delete(key);
    baselines.set(key, values);
  }
}

/** Records one sample of an object; `long` objects (vhosts, the node) keep 10 minutes, others a minute. */
export function record(key: object, t: number, values: Values, long = false): void {
  let h = histories.get(key);
  if (!h) {
    h = new History(long ? 121 : 13);
    histories.set(key, h);
  }
  h.add(t, values);
}

const round = (n: number) => Math.round(n * 100) / 100;

/** `{rate}`, plus `samples` (newest first), `avg` and `avg_rate` when the request asked for a window. */
export function details(key: object, field: string, window: Window | undefined): Record<string, unknown> {
  const h = histories.get(key);
  const rate = h ? round(h.rate(field)) : 0;
  if (!window) return { rate };
  const latest = h?.latest() ?? Math.floor(Date.now() / SAMPLE_MS) * SAMPLE_MS;
  const samples: Array<{ sample: number; timestamp: number }> = [];
  for (let back = 0; back <= window.age; back += window.incr) {
    const t = latest - back * 1000;
    samples.push({ sample: h ? h.valueAt(field, t) : 0, timestamp: t });
  }
  const sum = samples.reduce((n, s) => n + s.sample, 0);
  const newest = samples[0]!.sample;
  const oldest = samples[samples.length - 1]!.sample;
  return { avg: sum / samples.length, avg_rate: (newest - oldest) / window.age, rate, samples };
}

/** RabbitMQ's message_stats field names, mapped to the counters. */
const FIELD_OF: Readonly<Record<string, keyof MessageCounters>> = {
  ack: 'acked',
  confirm: 'confirm',
  deliver: 'deliver',
  deliver_get: 'delivered',
  deliver_no_ack: 'deliverNoAck',
  drop_unroutable: 'dropUnroutable',
  get: 'get',
  get_empty: 'getEmpty',
  get_no_ack: 'getNoAck',
  publish: 'published',
  redeliver: 'redelivered',
  return_unroutable: 'returnUnroutable',
};

/** The fields RabbitMQ shows a queue's message_stats with. */
export const QUEUE_FIELDS = ['ack', 'deliver', 'deliver_get', 'deliver_no_ack', 'get', 'get_empty', 'get_no_ack', 'publish', 'redeliver'] as const;
/** …a channel's, a vhost's and the node's. */
export const CHANNEL_FIELDS = [...QUEUE_FIELDS, 'confirm', 'drop_unroutable', 'return_unroutable'] as const;

/** The counters as sample values, by RabbitMQ's names. */
export function counterValues(c: MessageCounters): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [name, field] of Object.entries(FIELD_OF)) out[name] = c[field];
  return out;
}

/** MessageCounters since the last reset of `key`. */
export function countersSinceReset(key: object, c: MessageCounters): MessageCounters {
  const base = baselines.get(key);
  if (!base) return c;
  const out = { ...c };
  for (const [name, field] of Object.entries(FIELD_OF)) out[field] -= base[name] ?? 0;
  return out;
}

/** RabbitMQ's message_stats object (counts since the last reset); undefined while nothing happened, as RabbitMQ omits it then. */
export function messageStats(key: object, c: MessageCounters, fields: readonly string[], window: Window | undefined): Record<string, unknown> | undefined {
  const v = sinceReset(key, counterValues(c));
  if (v.publish! + v.deliver_get! + v.ack! + v.get_empty! + v.confirm! + v.return_unroutable! + v.drop_unroutable! === 0) return undefined;
  const out: Record<string, unknown> = {};
  for (const f of [...fields].sort()) {
    out[f] = v[f];
    out[`${f}_details`] = details(key, f, window);
  }
  return out;
}

/** Plain values with `_details` beside each (queue lengths, octet counts). */
export function withDetails(key: object, values: Values, window: Window | undefined): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(values)) {
    out[k] = v;
    out[`${k}_details`] = details(key, k, window);
  }
  return out;
}

const utilisation = new WeakMap<object, { at: number; blocked: number; value: number | undefined }>();

/**
 * RabbitMQ's consumer_utilisation: the share of the last sampling interval in which the queue could hand messages
 * to its consumers at once (1 when they keep up). Undefined without consumers.
 */
export function consumerUtilisation(key: object, consumers: number, blockedMs: (now: number) => number, now = Date.now()): number | undefined {
  if (consumers === 0) return undefined;
  const s = utilisation.get(key);
  if (!s) {
    utilisation.set(key, { at: now, blocked: blockedMs(now), value: 1 });
    return 1;
  }
  if (now - s.at >= SAMPLE_MS) {
    const blocked = blockedMs(now);
    s.value = Math.max(0, Math.min(1, 1 - (blocked - s.blocked) / (now - s.at)));
    s.at = now;
    s.blocked = blocked;
  }
  return s.value;
}
