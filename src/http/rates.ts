// Message rates for the API and dashboard, sampled lazily from the broker's counters (no timers, nothing on the hot path).
import type { MessageCounters } from '../broker/index.js';

/** Shortest interval between two samples of one object; rates describe the last completed interval. */
const SAMPLE_MS = 5_000;

interface Sample {
  at: number;
  counts: MessageCounters;
  rates: Record<keyof MessageCounters, number>;
}

const samples = new WeakMap<object, Sample>();
const ZERO: Record<keyof MessageCounters, number> = { published: 0, delivered: 0, redelivered: 0, acked: 0 };

/** Per-second rates of `counters` (owned by `key`) over the last completed sampling interval. */
export function ratesOf(key: object, counters: MessageCounters, now = Date.now()): Record<keyof MessageCounters, number> {
  const s = samples.get(key);
  if (!s) {
    samples.set(key, { at: now, counts: { ...counters }, rates: ZERO });
    return ZERO;
  }
  if (now - s.at >= SAMPLE_MS) {
    const dt = (now - s.at) / 1000;
    s.rates = {
      published: (counters.published - s.counts.published) / dt,
      delivered: (counters.delivered - s.counts.delivered) / dt,
      redelivered: (counters.redelivered - s.counts.redelivered) / dt,
      acked: (counters.acked - s.counts.acked) / dt,
    };
    s.at = now;
    s.counts = { ...counters };
  }
  return s.rates;
}

/** RabbitMQ's message_stats object (counts with rate details); undefined while nothing happened, as RabbitMQ omits it. */
export function messageStats(key: object, c: MessageCounters): Record<string, unknown> | undefined {
  const r = ratesOf(key, c);
  if (c.published + c.delivered + c.acked === 0) return undefined;
  const round = (n: number) => Math.round(n * 10) / 10;
  return {
    ack: c.acked,
    ack_details: { rate: round(r.acked) },
    deliver_get: c.delivered,
    deliver_get_details: { rate: round(r.delivered) },
    publish: c.published,
    publish_details: { rate: round(r.published) },
    redeliver: c.redelivered,
    redeliver_details: { rate: round(r.redelivered) },
  };
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
