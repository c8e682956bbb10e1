// Per-second rates in the dashboard: the change of counters between two polls, else the broker's own X_details.rate.
import type { MessageStats } from './types.js';

interface Previous {
  t: number;
  values: Record<string, number | undefined>;
  rates: Record<string, number>;
}

/** The previous counters per object, to turn two samples into per-second rates. */
const previous = new Map<string, Previous>();

export const MESSAGE_RATES: readonly (readonly [string, string])[] = [
  ['publish', 'Incoming'],
  ['deliver_get', 'Deliver / get'],
  ['ack', 'Ack'],
];

/**
 * Per-second rates between this sample of an object's counters and the previous one (none for the first sample,
 * or when the previous one is too old to mean anything).
 */
export function ratesOf(key: string, values: Record<string, number | undefined>): Record<string, number> {
  const now = Date.now();
  const prev = previous.get(key);
  // A poll right after another (an action refreshes at once) keeps the rates of the last full interval.
  if (prev && now - prev.t < 500) return prev.rates;
  const rates: Record<string, number> = {};
  if (prev && now - prev.t <= 30000) {
    const dt = (now - prev.t) / 1000;
    for (const k of Object.keys(values)) {
      const a = prev.values[k];
      const b = values[k];
      if (typeof a === 'number' && typeof b === 'number') rates[k] = (b - a) / dt;
    }
  }
  previous.set(key, { t: now, values, rates });
  return rates;
}

/** Forgets the samples of objects not seen for a minute (deleted queues, closed connections). */
export function forgetOldSamples(): void {
  const now = Date.now();
  for (const [key, sample] of previous) if (now - sample.t > 60000) previous.delete(key);
}

/** Depth change and message rates of a queue or of the broker's totals. */
export interface QueueRates {
  dReady?: number | undefined;
  dUnacked?: number | undefined;
  [rate: string]: number | undefined;
}

/**
 * Message rates from message_stats: the change of its X counter between the last two polls when there are two (it
 * follows the poll interval), else the broker's own X_details.rate (which covers a longer sampling interval).
 */
function messageRates(stats: MessageStats | undefined, counterRates: Record<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k] of MESSAGE_RATES) {
    const details = stats?.[k + '_details'];
    const counted = counterRates[k];
    if (typeof counted === 'number') out[k] = Math.max(0, counted);
    else if (details && typeof details === 'object' && typeof details.rate === 'number') out[k] = details.rate;
  }
  return out;
}

/** Depth, depth change and message rates of a queue (or the whole broker's totals). */
export function sampleQueue(key: string, ready: number | undefined, unacked: number | undefined, stats: MessageStats | undefined): QueueRates {
  const counters: Record<string, number | undefined> = { ready, unacked };
  for (const [k] of MESSAGE_RATES) {
    const v = stats?.[k];
    if (typeof v === 'number') counters[k] = v;
  }
  const r = ratesOf(key, counters);
  return { dReady: r['ready'], dUnacked: r['unacked'], ...messageRates(stats, r) };
}
