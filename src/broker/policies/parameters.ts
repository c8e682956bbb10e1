// Runtime parameters (per vhost and component, policies among them) and global parameters: one broker's table, with change listeners.
import { effectiveDefinition } from './effective.js';
import type { JsonObject, JsonValue } from './json.js';
import type { PolicyTarget } from './keys.js';
import { matchPolicy } from './match.js';
import { parsePolicy, type Policy, type PolicyKind } from './policy.js';

/** The policies in force on one queue or exchange, and their merged definition. */
export interface AppliedPolicy {
  readonly policy: Policy | undefined;
  readonly operatorPolicy: Policy | undefined;
  readonly definition: Readonly<JsonObject>;
}

export const NO_POLICY: AppliedPolicy = Object.freeze({ policy: undefined, operatorPolicy: undefined, definition: Object.freeze({}) });

/** A runtime parameter as RabbitMQ's API shows it. Policies are parameters of components `policy` and `operator_policy`. */
export interface RuntimeParameter {
  readonly vhost: string;
  readonly component: string;
  readonly name: string;
  readonly value: JsonValue;
}

/** A change to the table, as the definitions log records it. */
export type ParameterChange =
  | { op: 'parameter.set'; parameter: RuntimeParameter }
  | { op: 'parameter.clear'; vhost: string; component: string; name: string }
  | { op: 'global.set'; name: string; value: JsonValue }
  | { op: 'global.clear'; name: string };

export type ParameterListener = (change: ParameterChange) => void;
/** Policies of a vhost changed: its queues and exchanges are re-resolved. */
export type PolicyListener = (vhost: string) => void;

export const POLICY_COMPONENTS: readonly PolicyKind[] = ['policy', 'operator_policy'];

function isPolicyComponent(c: string): c is PolicyKind {
  return c === 'policy' || c === 'operator_policy';
}

/** A policy's parameter value, RabbitMQ's shape. */
export function policyValue(p: Policy): JsonValue {
  return { pattern: p.pattern, definition: p.definition, priority: p.priority, 'apply-to': p.applyTo };
}

const key = (vhost: string, component: string, name: string) => `${vhost}\0${component}\0${name}`;

export class ParameterTable {
  private readonly policies: Record<PolicyKind, Map<string, Map<string, Policy>>> = { policy: new Map(), operator_policy: new Map() };
  /** Parameters of other components, by vhost, component and name. */
  private readonly params = new Map<string, RuntimeParameter>();
  private readonly globals = new Map<string, JsonValue>();
  private readonly listeners: ParameterListener[] = [];
  private readonly policyListeners: PolicyListener[] = [];
  /** Resolutions by vhost, then `target\0name`; a vhost's are dropped when its policies change. */
  private readonly resolved = new Map<string, Map<string, AppliedPolicy>>();

  onChange(l: ParameterListener): void {
    this.listeners.push(l);
  }

  onPoliciesChange(l: PolicyListener): void {
    this.policyListeners.push(l);
  }

  private emit(change: ParameterChange): void {
    for (const l of this.listeners) l(change);
  }

  private policiesChanged(vhost: string): void {
    this.resolved.delete(vhost);
    for (const l of this.policyListeners) l(vhost);
  }

  // ---- policies

  /**
   * The user and operator policy that apply to a queue (target: its type) or exchange, and their merged definition.
   * Resolved once per object and kept until the vhost's policies change: never per message.
   */
  applied(vhost: string, name: string, target: PolicyTarget): AppliedPolicy {
    let cache = this.resolved.get(vhost);
    const k = `${target}\0${name}`;
    const hit = cache?.get(k);
    if (hit) return hit;
    const policy = matchPolicy(this.policiesOf('policy', vhost).values(), name, target);
    // Operator policies concern queues only (RabbitMQ accepts apply-to exchanges and ignores it).
    const operatorPolicy = target === 'exchange' ? undefined : matchPolicy(this.policiesOf('operator_policy', vhost).values(), name, target);
    const result = policy === undefined && operatorPolicy === undefined ? NO_POLICY : { policy, operatorPolicy, definition: effectiveDefinition(policy, operatorPolicy) };
    if (!cache) this.resolved.set(vhost, (cache = new Map()));
    if (cache.size > 100_000) cache.clear();
    cache.set(k, result);
    return result;
  }

  /** A vhost's policies of one kind, by name. */
  policiesOf(kind: PolicyKind, vhost: string): ReadonlyMap<string, Policy> {
    return this.policies[kind].get(vhost) ?? EMPTY;
  }

  /** Every policy of one kind, by vhost then name. */
  allPolicies(kind: PolicyKind): Policy[] {
    return [...this.policies[kind].keys()].sort().flatMap((v) => sortedByName(this.policiesOf(kind, v)));
  }

  getPolicy(kind: PolicyKind, vhost: string, name: string): Policy | undefined {
    return this.policies[kind].get(vhost)?.get(name);
  }

  /** Adds or replaces a validated policy; true when it is new. */
  setPolicy(kind: PolicyKind, p: Policy): boolean {
    let m = this.policies[kind].get(p.vhost);
    if (!m) this.policies[kind].set(p.vhost, (m = new Map()));
    const isNew = !m.has(p.name);
    m.set(p.name, p);
    this.emit({ op: 'parameter.set', parameter: { vhost: p.vhost, component: kind, name: p.name, value: policyValue(p) } });
    this.policiesChanged(p.vhost);
    return isNew;
  }

  /** Removes a policy; false when there was none. */
  clearPolicy(kind: PolicyKind, vhost: string, name: string): boolean {
    const m = this.policies[kind].get(vhost);
    if (!m?.delete(name)) return false;
    if (m.size === 0) this.policies[kind].delete(vhost);
    this.emit({ op: 'parameter.clear', vhost, component: kind, name });
    this.policiesChanged(vhost);
    return true;
  }

  // ---- other runtime parameters

  /** Parameters of components other than policies (vhost-limits live in the limit table), by vhost, component, name. */
  parameters(): RuntimeParameter[] {
    return [...this.params.values()].sort((a, b) => cmp(a.vhost, b.vhost) || cmp(a.component, b.component) || cmp(a.name, b.name));
  }

  getParameter(vhost: string, component: string, name: string): RuntimeParameter | undefined {
    return this.params.get(key(vhost, component, name));
  }

  /** Adds or replaces a parameter; true when it is new. Policy components go through setPolicy. */
  setParameter(p: RuntimeParameter): boolean {
    const k = key(p.vhost, p.component, p.name);
    const isNew = !this.params.has(k);
    this.params.set(k, p);
    this.emit({ op: 'parameter.set', parameter: p });
    return isNew;
  }

  clearParameter(vhost: string, component: string, name: string): boolean {
    if (!this.params.delete(key(vhost, component, name))) return false;
    this.emit({ op: 'parameter.clear', vhost, component, name });
    return true;
  }

  // ---- global parameters

  /** Global parameters by name, sorted. */
  globalParameters(): Array<[string, JsonValue]> {
    return [...this.globals].sort(([a], [b]) => cmp(a, b));
  }

  getGlobal(name: string): JsonValue | undefined {
    return this.globals.get(name);
  }

  /** The cluster name: the `cluster_name` global parameter when set, else `nodeName` (as RabbitMQ). */
  clusterName(nodeName: string): string {
    const v = this.globals.get('cluster_name');
    return v === undefined ? nodeName : typeof v === 'string' ? v : JSON.stringify(v);
  }

  /** true when it is new. */
  setGlobal(name: string, value: JsonValue): boolean {
    const isNew = !this.globals.has(name);
    this.globals.set(name, value);
    this.emit({ op: 'global.set', name, value });
    return isNew;
  }

  clearGlobal(name: string): boolean {
    if (!this.globals.delete(name)) return false;
    this.emit({ op: 'global.clear', name });
    return true;
  }

  // ---- lifecycle

  /** A vhost went: its policies and parameters go with it (as RabbitMQ). */
  vhostDeleted(vhost: string): void {
    for (const kind of POLICY_COMPONENTS) for (const name of [...this.policiesOf(kind, vhost).keys()]) this.clearPolicy(kind, vhost, name);
    for (const p of [...this.params.values()]) if (p.vhost === vhost) this.clearParameter(p.vhost, p.component, p.name);
  }

  /**
   * Applies a recorded change (boot replay of the definitions log). A policy is checked again; one the current rules
   * refuse is reported through `warn` and left out.
   */
  replay(change: ParameterChange, warn: (msg: string) => void): void {
    switch (change.op) {
      case 'parameter.set': {
        const p = change.parameter;
        if (!isPolicyComponent(p.component)) {
          this.setParameter(p);
          return;
        }
        try {
          this.setPolicy(p.component, parsePolicy(p.vhost, p.name, p.component, (p.value ?? {}) as Record<string, unknown>));
        } catch (e) {
          warn(`${p.component} '${p.name}' in vhost '${p.vhost}' not restored: ${(e as Error).message}`);
        }
        return;
      }
      case 'parameter.clear':
        if (isPolicyComponent(change.component)) this.clearPolicy(change.component, change.vhost, change.name);
        else this.clearParameter(change.vhost, change.component, change.name);
        return;
      case 'global.set':
        this.setGlobal(change.name, change.value);
        return;
      case 'global.clear':
        this.clearGlobal(change.name);
        return;
    }
  }

  /** The changes that recreate the table as it is (definitions log compaction). */
  snapshot(): ParameterChange[] {
    const out: ParameterChange[] = [];
    for (const [name, value] of this.globalParameters()) out.push({ op: 'global.set', name, value });
    for (const kind of POLICY_COMPONENTS) {
      for (const p of this.allPolicies(kind)) out.push({ op: 'parameter.set', parameter: { vhost: p.vhost, component: kind, name: p.name, value: policyValue(p) } });
    }
    for (const p of this.parameters()) out.push({ op: 'parameter.set', parameter: p });
    return out;
  }
}

const EMPTY: ReadonlyMap<string, Policy> = new Map();

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function sortedByName(m: ReadonlyMap<string, Policy>): Policy[] {
  return [...m.values()].sort((a, b) => cmp(a.name, b.name));
}
