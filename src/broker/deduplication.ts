// Message deduplication (x-message-deduplication on exchanges and queues): an lru-cache of the ids seen (the x-deduplication-header header, or the header x-deduplication-header names).
import { LRUCache } from 'lru-cache';
import { preconditionFailed, FIELD_TYPE_NAMES, type FieldTable, type FieldValue } from '../protocol/index.js';
import { PROP_FLAG, type Message } from './message.js';

const DEFAULT_CACHE_SIZE = 1000;
/** The header a message's id is read from unless the x-deduplication-header argument names another. */
const DEFAULT_HEADER = 'x-deduplication-header';
const INTEGER_TYPES = new Set(['b', 'B', 's', 'u', 'I', 'i', 'l']);

function nonNegativeInt(key: string, v: FieldValue, resource: string): number {
  if (!INTEGER_TYPES.has(v.type)) throw preconditionFailed(`invalid arg '${key}' for ${resource}: "expected integer, got ${FIELD_TYPE_NAMES[v.type]}"`);
  const n = Number(v.value);
  if (n < 0) throw preconditionFailed(`invalid arg '${key}' for ${resource}: {value_negative,${n}}`);
  return n;
}

/** The id a message is deduplicated by: its `header` header, if any. */
function dedupKey(message: Message, header: string): string | undefined {
  if (!message.hasFlag(PROP_FLAG.headers)) return undefined;
  const v = message.properties.headers?.get(header);
  if (v === undefined || v.type === 'V') return undefined;
  return v.type === 'x' ? v.value.toString('hex') : String(v.value);
}

/** x-message-deduplication's settings: how many ids are remembered, for how long (ms; undefined: no limit), read from which header. */
export interface DeduplicationSettings {
  cacheSize: number;
  cacheTtl: number | undefined;
  header: string;
}

/** Reads x-message-deduplication, x-cache-size, x-cache-ttl and x-deduplication-header; undefined when deduplication is off. */
export function deduplicationSettings(args: FieldTable, resource: string): DeduplicationSettings | undefined {
  const on = args.get('x-message-deduplication');
  if (on?.type !== 't' || !on.value) return undefined;
  const size = args.get('x-cache-size');
  const ttl = args.get('x-cache-ttl');
  const header = args.get('x-deduplication-header');
  if (header !== undefined && header.type !== 'S') {
    throw preconditionFailed(`invalid arg 'x-deduplication-header' for ${resource}: "expected longstr, got ${FIELD_TYPE_NAMES[header.type]}"`);
  }
  return {
    cacheSize: size === undefined ? DEFAULT_CACHE_SIZE : nonNegativeInt('x-cache-size', size, resource),
    cacheTtl: ttl === undefined ? undefined : nonNegativeInt('x-cache-ttl', ttl, resource) || undefined,
    header: header?.value ?? DEFAULT_HEADER,
  };
}

/** Whether two settings make the same deduplicator (a re-applied policy that changes neither keeps the cache). */
export function sameDeduplication(a: DeduplicationSettings | undefined, b: DeduplicationSettings | undefined): boolean {
  return a === b || (a !== undefined && b !== undefined && a.cacheSize === b.cacheSize && a.cacheTtl === b.cacheTtl && a.header === b.header);
}

export class Deduplicator {
  private readonly seen: LRUCache<string, true>;
  private readonly ttl: number | undefined;
  private readonly header: string;

  constructor(size: number, ttl: number | undefined, header = DEFAULT_HEADER) {
    this.ttl = ttl;
    this.header = header;
    this.seen = new LRUCache<string, true>({ max: Math.max(1, size), ...(ttl !== undefined ? { ttl, ttlAutopurge: false } : {}) });
  }

  /** A deduplicator for these settings; undefined when deduplication is off. */
  static of(settings: DeduplicationSettings | undefined): Deduplicator | undefined {
    return settings === undefined ? undefined : new Deduplicator(settings.cacheSize, settings.cacheTtl, settings.header);
  }

  /** Reads the deduplication arguments; undefined when deduplication is off. */
  static fromArguments(args: FieldTable, resource: string): Deduplicator | undefined {
    return Deduplicator.of(deduplicationSettings(args, resource));
  }

  /** True when the message's id was seen (within the cache's size and age); otherwise records it. */
  isDuplicate(message: Message): boolean {
    const key = dedupKey(message, this.header);
    if (key === undefined) return false;
    if (this.seen.has(key)) return true;
    // A per-message x-cache-ttl header overrides the cache's own age limit.
    const own = message.properties.headers?.get('x-cache-ttl');
    const ttl = own && INTEGER_TYPES.has(own.type) ? Number(own.value) : this.ttl;
    this.seen.set(key, true, ttl !== undefined ? { ttl } : {});
    return false;
  }
}
