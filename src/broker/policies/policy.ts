// A policy or operator policy: its fields, and the checks a new one passes with RabbitMQ 3.10's reasons.
import { checkDefinition } from './keys.js';
import { erlangJson, isJsonObject, type JsonObject } from './json.js';
import { compilePolicyPattern, PatternError } from './pattern.js';

export const APPLY_TO = ['all', 'queues', 'exchanges', 'classic_queues', 'quorum_queues', 'streams'] as const;
export type ApplyTo = (typeof APPLY_TO)[number];

/** User policies (component `policy`) and operator policies (`operator_policy`), RabbitMQ's runtime-parameter components. */
export type PolicyKind = 'policy' | 'operator_policy';

export interface Policy {
  readonly vhost: string;
  readonly name: string;
  readonly pattern: string;
  readonly applyTo: ApplyTo;
  /** Any number (RabbitMQ keeps a float as given). */
  readonly priority: number;
  readonly definition: Readonly<JsonObject>;
  /** The compiled pattern, matched unanchored. */
  readonly regex: RegExp;
}

/** A policy RabbitMQ refuses: `reason` is the text after "Validation failed" (RabbitMQ's wording). */
export class PolicyError extends Error {
  constructor(readonly reason: string) {
    super(reason);
  }
}

/** A required field is absent (RabbitMQ's `[{key_missing,pattern}]`). */
export class PolicyFieldMissing extends Error {
  constructor(readonly key: string) {
    super(`[{key_missing,${key}}]`);
  }
}

/**
 * Builds a policy from its JSON fields (`pattern`, `definition`, optional `priority` and `apply-to`), checked in
 * RabbitMQ's order: the fields required, then priority, pattern, apply-to and the definition.
 */
export function parsePolicy(vhost: string, name: string, kind: PolicyKind, fields: Readonly<Record<string, unknown>>): Policy {
  for (const key of ['pattern', 'definition']) if (!(key in fields)) throw new PolicyFieldMissing(key);
  const priority = fields.priority === undefined ? 0 : fields.priority;
  if (typeof priority !== 'number') throw new PolicyError(`priority should be a number, actually was ${erlangJson(priority)}`);
  const pattern = fields.pattern;
  if (typeof pattern !== 'string') throw new PolicyError(`pattern should be a binary but was ${erlangJson(pattern)}`);
  let regex: RegExp;
  try {
    regex = compilePolicyPattern(pattern);
  } catch (e) {
    if (e instanceof PatternError) throw new PolicyError(`pattern should be regular expression but is invalid: ${e.message}`);
    throw e;
  }
  const applyTo = fields['apply-to'] === undefined ? 'all' : fields['apply-to'];
  if (typeof applyTo !== 'string' || !(APPLY_TO as readonly string[]).includes(applyTo)) {
    throw new PolicyError(`apply-to '${typeof applyTo === 'string' ? applyTo : JSON.stringify(applyTo)}' unrecognised; should be 'queues', 'exchanges' or 'all'`);
  }
  const definition = fields.definition;
  if (!isJsonObject(definition)) throw new PolicyError(`definition must be a dictionary: ${erlangJson(definition)}`);
  if (Object.keys(definition).length === 0) throw new PolicyError('no policy provided');
  const error = checkDefinition(definition, kind === 'operator_policy');
  if (error !== undefined) throw new PolicyError(error);
  return { vhost, name, pattern, applyTo: applyTo as ApplyTo, priority, definition: { ...definition }, regex };
}

/** A policy as the management API and definitions files show it. */
export function policyJson(p: Policy): Record<string, unknown> {
  return { vhost: p.vhost, name: p.name, pattern: p.pattern, 'apply-to': p.applyTo, definition: p.definition, priority: p.priority };
}
