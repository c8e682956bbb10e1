// User and vhost limits as definitions files and the API carry them: `{"max-queues": 10, …}`, read back with RabbitMQ's checks.
import type { Limits } from '../broker/index.js';
import { DefinitionsError } from './errors.js';

/** A limit set as JSON: `{"max-queues": 10, …}`, the latest change first. */
export function limitsJson(limits: Limits<string>): Record<string, number> {
  return Object.fromEntries(limits);
}

/** Checks that a definitions file's limits are RabbitMQ's names with integer values; returns them in order. */
export function parseLimits(v: unknown, what: string, known: (name: string) => boolean, prefix = 'definitions: '): Array<[string, number]> {
  // RabbitMQ exports a vhost whose limits were all cleared with `"value": []`.
  if (v === undefined || v === null || (Array.isArray(v) && v.length === 0)) return [];
  if (typeof v !== 'object' || Array.isArray(v)) throw new DefinitionsError(`${prefix}${what}: limits must be an object`);
  const out: Array<[string, number]> = [];
  for (const [name, value] of Object.entries(v as Record<string, unknown>)) {
    if (!known(name)) throw new DefinitionsError(`${prefix}${what}: unknown limit '${name}'`);
    if (typeof value !== 'number' || !Number.isInteger(value)) throw new DefinitionsError(`${prefix}${what}: ${name} should be a number`);
    out.push([name, value]);
  }
  return out;
}
