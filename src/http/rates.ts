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

function allZero(v: Values): boolean {
  for (const k in v) if (v[k] !== 0) return false;
  return true;
}

function sameValues(a: Values, b: Values): boolean {
  let n = 0;
  for (const k in b) {
    if (a[k] !== b[k]) return false;
    n += 1;
  }
  return n === Object.keys(a).length;
}

/** A run of samples SAMPLE_MS apart with the same values: the ones at `from`, `from + SAMPLE_MS`, … (`n` of them). */
interface Run {
  from: number;
  n: number;
  readonly values: Values;
}

/**
 * The last `capacity` samples of one object, as runs of equal values: an idle object's samples are all alike, so
 * 10,000 idle connections keep one run each (held in the History itself) rather than 13 timestamps and values apiece.
 */
class History {
  /** The newest run's first sample time, its length and values. */
  private from: number;
  private n = 1;
  private values: Values;
  /** The runs before it, oldest first (undefined while there is one run). */
  private older: Run[] | undefined;
  private count = 1;

  constructor(private readonly capacity: number, t: number, v: Values) {
    this.from = t;
    this.values = v;
  }

  add(t: number, v: Values): void {
    const lastAt = this.from + (this.n - 1) * SAMPLE_MS;
    if (t === lastAt + SAMPLE_MS && sameValues(this.values, v)) {
      this.n += 1;
      this.count += 1;
    } else if (t === lastAt && this.n === 1) {
      // The same instant sampled again: its values replace the last sample's.
      this.values = v;
    } else {
      if (t === lastAt) {
        this.n -= 1;
        this.count -= 1;
      }
      (this.older ??= []).push({ from: this.from, n: this.n, values: this.values });
      this.from = t;
      this.n = 1;
      this.values = v;
      this.count += 1;
    }
    this.trim();
  }

  private trim(): void {
    while (this.count > this.capacity) {
      const oldest = this.older?.[0];
      this.count -= 1;
      if (oldest === undefined) {
        this.from += SAMPLE_MS;
        this.n -= 1;
        continue;
      }
      oldest.from += SAMPLE_MS;
      oldest.n -= 1;
      if (oldest.n === 0) this.older!.shift();
    }
  }

  /** Change per second of `key` over the last interval (0 before two samples). */
  rate(key: string): number {
    if (this.n >= 2) return 0;
    const prev = this.older?.[this.older.length - 1];
    if (prev === undefined) return 0;
    const dt = (this.from - (prev.from + (prev.n - 1) * SAMPLE_MS)) / 1000;
    return dt > 0 ? ((this.values[key] ?? 0) - (prev.values[key] ?? 0)) / dt : 0;
  }

  /** The value at or before `t` (0 before the first sample: counters and lengths start at 0). */
  valueAt(key: string, t: number): number {
    if (this.from <= t) return this.values[key] ?? 0;
    const older = this.older ?? [];
    for (let i = older.length - 1; i >= 0; i--) if (older[i]!.from <= t) return older[i]!.values[key] ?? 0;
    return 0;
  }

  latest(): number {
    return this.from + (this.n - 1) * SAMPLE_MS;
  }

  /** The first sample of the newest run once a later one repeated its values (nothing changed since), else undefined. */
  steadySince(): number | undefined {
    return this.n >= 2 ? this.from : undefined;
  }
}

/** Each object's samples, or the time of its last sample while they have all been 0. */
const histories = new WeakMap<object, History | number>();

/** The values of a sample whose every value is 0. */
const NO_VALUES: Values = {};

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

/**
 * RabbitMQ's idle_since, from the samples: when an object's values (counters and lengths) last stopped changing, once
 * a sample interval went by without a change; `createdAt` for one that never had any (all 0 since its first sample).
 * RabbitMQ's is the moment its process hibernated, about a second after the last activity; this one is the first
 * sample after it, so it shows 5 to 10 s after the last activity.
 */
export function idleSince(key: object, createdAt: number): number | undefined {
  const h = histories.get(key);
  if (h === undefined) return undefined;
  return h instanceof History ? h.steadySince() : createdAt;
}

/** A time as RabbitMQ's management API writes idle_since: ISO 8601 with milliseconds and +00:00. */
export const isoTime = (t: number) => new Date(t).toISOString().replace('Z', '+00:00');

/** Records one sample of an object; `long` objects (vhosts, the node) keep 10 minutes, others a minute. */
export function record(key: object, t: number, values: Values, long = false): void {
  const h = histories.get(key);
  if (h instanceof History) h.add(t, values);
  // While an object's values have all been 0 (an idle channel's), only its last sample's time is kept: every sample reads 0.
  else if (allZero(values)) histories.set(key, t);
  else {
    const first = h === undefined ? new History(long ? 121 : 13, t, values) : new History(long ? 121 : 13, h, NO_VALUES);
    if (h !== undefined) first.add(t, values);
    histories.set(key, first);
  }
}

const round = (n: number) => Math.round(n * 100) / 100;

/** `{rate}`, plus `samples` (newest first), `avg` and `avg_rate` when the request asked for a window. */
export function details(key: object, field: string, window: Window | undefined): Record<string, unknown> {
  const kept = histories.get(key);
  const h = kept instanceof History ? kept : undefined;
  const rate = h ? round(h.rate(field)) : 0;
  if (!window) return { rate };
  const latest = h?.latest() ?? (typeof kept === 'number' ? kept : Math.floor(Date.now() / SAMPLE_MS) * SAMPLE_MS);
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
