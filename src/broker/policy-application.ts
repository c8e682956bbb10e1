// Policies applied to a vhost's queues and exchanges: each object's effective arguments recomputed when policies or the object change.
import { describe, exchangeSettings, type Exchange } from './exchange.js';
import type { InternalErrorReporter } from './internal-errors.js';
import { effectiveArguments, NO_POLICY, type AppliedPolicy, type ParameterTable, type PolicyTarget } from './policies/index.js';
import { parseQueueArguments } from './queue-arguments.js';
import { CLASSIC, queueTypeNamed } from './queue-types/index.js';
import type { Queue } from './queue.js';
import type { VirtualHost } from './vhost.js';

/** What a queue's type is to policy matching (its type says; keys.ts decides what applies to it). */
export function policyTargetOf(q: Queue): PolicyTarget {
  return (queueTypeNamed(q.settings.type) ?? CLASSIC).policyTarget;
}

/** The same policies in force (a policy changed is a new object): nothing to re-apply. */
function same(a: AppliedPolicy, b: AppliedPolicy): boolean {
  return a.policy === b.policy && a.operatorPolicy === b.operatorPolicy;
}

/**
 * Resolves policies for queues and exchanges and hands each its recomputed settings. An object remembers the policies
 * it was last given: when a change elsewhere in the vhost resolves it to the same ones, nothing is re-applied.
 */
export class PolicyApplier {
  private readonly last = new WeakMap<Queue | Exchange, AppliedPolicy>();

  constructor(
    private readonly table: ParameterTable,
    private readonly report: InternalErrorReporter,
  ) {}

  queue(q: Queue): void {
    const target = policyTargetOf(q);
    const applied = this.table.applied(q.vhost, q.name, target);
    if (same(this.last.get(q) ?? NO_POLICY, applied)) return;
    this.last.set(q, applied);
    const args = effectiveArguments(q.arguments, applied.definition, target);
    const resource = describe('queue', q.name, q.vhost);
    let next;
    try {
      next = parseQueueArguments(args, resource);
    } catch {
      // A combination the queue's own parser refuses (validated policies should never give one): its arguments alone.
      next = parseQueueArguments(q.arguments, resource);
    }
    q.applySettings(next);
  }

  exchange(x: Exchange): void {
    const applied = this.table.applied(x.vhost, x.name, 'exchange');
    if (same(this.last.get(x) ?? NO_POLICY, applied)) return;
    this.last.set(x, applied);
    const resource = describe('exchange', x.name, x.vhost);
    let next;
    try {
      next = exchangeSettings(effectiveArguments(x.arguments, applied.definition, 'exchange'), resource);
    } catch {
      // As for queues: a combination refused (validated policies should never give one) leaves the arguments alone.
      next = exchangeSettings(x.arguments, resource);
    }
    x.applySettings(next);
  }

  /** The vhost's policies changed: every queue and exchange is re-resolved at once (one failing leaves the others be). */
  vhost(v: VirtualHost): void {
    for (const q of v.queues.values()) this.guarded(() => this.queue(q), `applying policies to queue '${q.name}' in vhost '${v.name}'`);
    for (const x of v.exchanges.values()) this.guarded(() => this.exchange(x), `applying policies to exchange '${x.name}' in vhost '${v.name}'`);
  }

  private guarded(fn: () => void, where: string): void {
    try {
      fn();
    } catch (e) {
      this.report(e, where);
    }
  }
}
