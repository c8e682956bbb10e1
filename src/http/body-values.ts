// Request body fields as RabbitMQ's management plugin reads them: booleans and integers also as strings ("true", "1"),
// which rabbitmqadmin sends; anything else is 400 with RabbitMQ's reason (["not_boolean", v], ["not_integer", v]).
import { badRequest } from './http-kit.js';

/** `true`/`false` or `"true"`/`"false"` (rabbit_mgmt_util:parse_bool); `fallback` when absent. */
export function boolField(body: Record<string, unknown>, key: string, fallback: boolean): boolean {
  const v = body[key];
  if (v === undefined) return fallback;
  if (v === true || v === 'true') return true;
  if (v === false || v === 'false') return false;
  throw badRequest(['not_boolean', v]);
}

/** An integer, a number (truncated toward zero) or a string of decimal digits (rabbit_mgmt_util:parse_int). */
export function intValue(v: unknown): number {
  if (typeof v === 'number' && Number.isFinite(v)) return Math.trunc(v);
  if (typeof v === 'string' && /^[-+]?\d+$/.test(v)) return Number(v);
  throw badRequest(['not_integer', v]);
}

/** `intValue` of a field, or undefined when absent. */
export function intField(body: Record<string, unknown>, key: string): number | undefined {
  const v = body[key];
  return v === undefined ? undefined : intValue(v);
}
