// A latency histogram in one fixed-size array: exact below 256 µs, then 128 buckets per power of two (under 1% error).

const SUB_BITS = 7;
const SUB = 1 << SUB_BITS;
/** Values at or above 2^32 µs (71 minutes) land in the last bucket. */
const MAX_VALUE = 0xffffffff;
const BUCKETS = (31 - SUB_BITS) * SUB + 2 * SUB;

/** The bucket a value (an integer number of microseconds) falls in. */
export function bucketOf(v: number): number {
  if (v < 2 * SUB) return v < 0 ? 0 : v;
  const e = 31 - Math.clz32(v); // floor(log2 v), at least SUB_BITS + 1
  return (e - SUB_BITS) * SUB + (v >>> (e - SUB_BITS));
}

/** The smallest value of a bucket. */
export function lowestOf(bucket: number): number {
  if (bucket < 2 * SUB) return bucket;
  const e = Math.floor(bucket / SUB) + SUB_BITS - 1;
  const sub = bucket - (e - SUB_BITS) * SUB;
  return sub * 2 ** (e - SUB_BITS);
}

/** The bucket's middle value (what a percentile reports). */
function middleOf(bucket: number): number {
  if (bucket < 2 * SUB) return bucket;
  const e = Math.floor(bucket / SUB) + SUB_BITS - 1;
  return lowestOf(bucket) + Math.floor(2 ** (e - SUB_BITS) / 2);
}

export class LatencyHistogram {
  private readonly counts = new Float64Array(BUCKETS);
  count = 0;
  min = Infinity;
  max = 0;

  /** Records one latency in microseconds (negative values count as 0). */
  record(us: number): void {
    const v = us <= 0 ? 0 : us >= MAX_VALUE ? MAX_VALUE : Math.floor(us);
    this.counts[bucketOf(v)]!++;
    this.count++;
    if (v < this.min) this.min = v;
    if (v > this.max) this.max = v;
  }

  /** The value at quantile q (0..1): exact below 256 µs, else within 1%; 0 when empty. */
  percentile(q: number): number {
    if (this.count === 0) return 0;
    const rank = Math.max(1, Math.ceil(q * this.count));
    let seen = 0;
    for (let i = 0; i < BUCKETS; i++) {
      seen += this.counts[i]!;
      if (seen >= rank) return Math.min(Math.max(middleOf(i), this.min), this.max);
    }
    return this.max;
  }

  /** min, median, 75th, 95th and 99th percentiles, as PerfTest prints them. */
  summary(): [number, number, number, number, number] {
    if (this.count === 0) return [0, 0, 0, 0, 0];
    return [this.min, this.percentile(0.5), this.percentile(0.75), this.percentile(0.95), this.percentile(0.99)];
  }

  /** Adds another histogram's counts into this one. */
  add(other: LatencyHistogram): void {
    for (let i = 0; i < BUCKETS; i++) this.counts[i]! += other.counts[i]!;
    this.count += other.count;
    if (other.min < this.min) this.min = other.min;
    if (other.max > this.max) this.max = other.max;
  }

  reset(): void {
    this.counts.fill(0);
    this.count = 0;
    this.min = Infinity;
    this.max = 0;
  }
}
