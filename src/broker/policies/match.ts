// Which policy applies to a queue or exchange: the highest priority among those that match, ties broken by name.
import { isApplicable, type PolicyTarget } from './keys.js';
import type { ApplyTo, Policy } from './policy.js';

function appliesTo(applyTo: ApplyTo, target: PolicyTarget): boolean {
  switch (applyTo) {
    case 'all':
      return true;
    case 'exchanges':
      return target === 'exchange';
    case 'queues':
      return target !== 'exchange';
    case 'classic_queues':
      return target === 'classic';
    case 'quorum_queues':
      return target === 'quorum';
    case 'streams':
      return target === 'stream';
  }
}

/** Whether `p` matches an object: its apply-to covers the kind, its definition suits the queue type, its pattern finds the name. */
export function policyMatches(p: Policy, name: string, target: PolicyTarget): boolean {
  return appliesTo(p.applyTo, target) && isApplicable(p.definition, target) && p.regex.test(name);
}

/**
 * True when `a` wins over `b`: the higher priority, and between equal priorities the name that sorts first
 * (UTF-16 code unit order). RabbitMQ leaves ties to its table's order; Warren makes them deterministic.
 */
export function outranks(a: Policy, b: Policy): boolean {
  if (a.priority !== b.priority) return a.priority > b.priority;
  return a.name < b.name;
}

/** The policy that applies to the object, or undefined. */
export function matchPolicy(policies: Iterable<Policy>, name: string, target: PolicyTarget): Policy | undefined {
  let best: Policy | undefined;
  for (const p of policies) {
    if (policyMatches(p, name, target) && (best === undefined || outranks(p, best))) best = p;
  }
  return best;
}
