// Queue declaration arguments (x-message-ttl, x-max-length, x-dead-letter-*, …) validated with RabbitMQ's texts.
import { preconditionFailed, FIELD_TYPE_NAMES, type FieldTable, type FieldValue } from '../protocol/index.js';
import { erlangTerm } from './erlang-format.js';

export type Overflow = 'drop-head' | 'reject-publish' | 'reject-publish-dlx';
export type QueueType = 'classic' | 'quorum';

/** The parsed, validated arguments a queue acts on. */
export interface QueueSettings {
  type: QueueType;
  messageTtl: number | undefined;
  expires: number | undefined;
  maxLength: number | undefined;
  maxLengthBytes: number | undefined;
  overflow: Overflow;
  deadLetterExchange: string | undefined;
  deadLetterRoutingKey: string | undefined;
  maxPriority: number | undefined;
  singleActiveConsumer: boolean;
  deliveryLimit: number | undefined;
  consumerTimeout: number | undefined;
}

/** RabbitMQ 4.x's default delivery limit for quorum queues. */
export const QUORUM_DEFAULT_DELIVERY_LIMIT = 20;
const MAX_PRIORITY = 255;
const INTEGER_TYPES = new Set(['b', 'B', 's', 'u', 'I', 'i', 'l']);

class ArgError {
  constructor(readonly term: string) {}
}

function int(v: FieldValue): number {
  if (!INTEGER_TYPES.has(v.type)) throw new ArgError(`{unacceptable_type,${FIELD_TYPE_NAMES[v.type]}}`);
  return Number(v.value);
}

function nonNegative(v: FieldValue): number {
  const n = int(v);
  if (n < 0) throw new ArgError(`{value_negative,${n}}`);
  return n;
}

function longstr(v: FieldValue): string {
  if (v.type !== 'S') throw new ArgError(`{unacceptable_type,${FIELD_TYPE_NAMES[v.type]}}`);
  return v.value;
}

function bool(v: FieldValue): boolean {
  if (v.type !== 't') throw new ArgError(`{unacceptable_type,${FIELD_TYPE_NAMES[v.type]}}`);
  return v.value;
}

/** Validates and parses; an invalid value is 406 `invalid arg 'x-…' for queue 'q' in vhost '/': {…}`. */
export function parseQueueArguments(args: FieldTable, resource: string): QueueSettings {
  const s: QueueSettings = {
    type: 'classic',
    messageTtl: undefined,
    expires: undefined,
    maxLength: undefined,
    maxLengthBytes: undefined,
    overflow: 'drop-head',
    deadLetterExchange: undefined,
    deadLetterRoutingKey: undefined,
    maxPriority: undefined,
    singleActiveConsumer: false,
    deliveryLimit: undefined,
    consumerTimeout: undefined,
  };
  let key = '';
  try {
    for (const [k, v] of args) {
      key = k;
      switch (k) {
        case 'x-message-ttl':
          s.messageTtl = nonNegative(v);
          break;
        case 'x-expires': {
          const n = int(v);
          if (n === 0) throw new ArgError(`{value_zero,0}`);
          if (n < 0) throw new ArgError(`{value_negative,${n}}`);
          s.expires = n;
          break;
        }
        case 'x-max-length':
          s.maxLength = nonNegative(v);
          break;
        case 'x-max-length-bytes':
          s.maxLengthBytes = nonNegative(v);
          break;
        case 'x-overflow': {
          const o = longstr(v);
          if (o !== 'drop-head' && o !== 'reject-publish' && o !== 'reject-publish-dlx') {
            throw new ArgError(`{invalid_overflow,${erlangTerm(v)}}`);
          }
          s.overflow = o;
          break;
        }
        case 'x-dead-letter-exchange':
          s.deadLetterExchange = longstr(v);
          break;
        case 'x-dead-letter-routing-key':
          s.deadLetterRoutingKey = longstr(v);
          break;
        case 'x-max-priority': {
          const n = nonNegative(v);
          if (n > MAX_PRIORITY) throw new ArgError(`{max_value_exceeded,${n}}`);
          s.maxPriority = n;
          break;
        }
        case 'x-single-active-consumer':
          s.singleActiveConsumer = bool(v);
          break;
        case 'x-delivery-limit':
          s.deliveryLimit = nonNegative(v);
          break;
        case 'x-consumer-timeout':
          s.consumerTimeout = nonNegative(v);
          break;
        case 'x-queue-type': {
          const t = longstr(v);
          if (t === 'stream') {
            throw preconditionFailed(`invalid arg 'x-queue-type' for ${resource}: stream queues are not supported by Warren`);
          }
          if (t !== 'classic' && t !== 'quorum') throw new ArgError(`{invalid_queue_type,${erlangTerm(v)}}`);
          s.type = t;
          break;
        }
      }
    }
    if (s.deadLetterRoutingKey !== undefined && s.deadLetterExchange === undefined) {
      key = 'x-dead-letter-routing-key';
      throw new ArgError('routing_key_but_no_dlx_defined');
    }
  } catch (e) {
    if (e instanceof ArgError) throw preconditionFailed(`invalid arg '${key}' for ${resource}: ${e.term}`);
    throw e;
  }
  if (s.type === 'quorum' && s.deliveryLimit === undefined) s.deliveryLimit = QUORUM_DEFAULT_DELIVERY_LIMIT;
  return s;
}

/** Parses a message's `expiration` property as RabbitMQ does; throws 406 `invalid expiration '…': …`. */
export function parseExpiration(expiration: string): number {
  const m = /^\s*([+-]?\d+)(.*)$/s.exec(expiration);
  if (!m) throw preconditionFailed(`invalid expiration '${expiration}': no_integer`);
  if (m[2] !== '') throw preconditionFailed(`invalid expiration '${expiration}': {leftover_string,"${m[2]}"}`);
  const n = Number(m[1]);
  if (n < 0) throw preconditionFailed(`invalid expiration '${expiration}': {value_negative,${n}}`);
  return n;
}
