// Definitions import in RabbitMQ's JSON format, through each vhost's own declare and bind methods (validated first, so a
// bad file changes nothing); used at boot (--load-definitions) and by POST /api/definitions.
import { isExchangeType } from '../broker/exchanges/index.js';
import {
  isUserLimit,
  isVhostLimit,
  parsePolicy,
  parseQueueArguments,
  PolicyError,
  type Broker,
  type JsonValue,
  type Policy,
  type PolicyKind,
  type RuntimeParameter,
  type UserLimit,
  type VhostLimit,
} from '../broker/index.js';
import { AmqpError, type FieldTable } from '../protocol/index.js';
import { DefinitionsError } from './errors.js';
import { jsonToTable } from './field-json.js';
import { parseLimits } from './limits-json.js';
import { userFromJson } from './user-json.js';

type Json = Record<string, unknown>;

/** Connection id of objects no connection declares (exclusive queues always belong to a real connection; ids start at 1). */
export const NO_CONNECTION = 0;

/** Exchanges every vhost has from its creation (so bindings may name them in a vhost the same file creates). */
const PREDECLARED = new Set(['amq.direct', 'amq.fanout', 'amq.topic', 'amq.headers', 'amq.match']);

interface QueueDef {
  name: string;
  vhost: string;
  durable: boolean;
  autoDelete: boolean;
  arguments: FieldTable;
}

interface ExchangeDef {
  name: string;
  vhost: string;
  type: string;
  durable: boolean;
  autoDelete: boolean;
  internal: boolean;
  arguments: FieldTable;
}

interface BindingDef {
  vhost: string;
  source: string;
  destination: string;
  destinationType: 'queue' | 'exchange';
  routingKey: string;
  arguments: FieldTable;
}

/** What an import did not apply (policies, parameters, …), for the log. */
export interface ImportResult {
  warnings: string[];
}

function list(defs: Json, key: string): Json[] {
  const v = defs[key];
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v) || !v.every((x) => typeof x === 'object' && x !== null && !Array.isArray(x))) {
    throw new DefinitionsError(`definitions: '${key}' must be a list of objects`);
  }
  return v as Json[];
}

function str(o: Json, key: string, what: string, fallback?: string): string {
  const v = o[key];
  if (v === undefined && fallback !== undefined) return fallback;
  if (typeof v !== 'string') throw new DefinitionsError(`definitions: ${what} needs a string '${key}'`);
  return v;
}

function flag(o: Json, key: string, what: string): boolean {
  const v = o[key];
  if (v === undefined) return false;
  if (typeof v !== 'boolean') throw new DefinitionsError(`definitions: ${what}: '${key}' must be true or false`);
  return v;
}

function args(o: Json, what: string): FieldTable {
  try {
    return jsonToTable(o.arguments ?? {});
  } catch (e) {
    throw new DefinitionsError(`definitions: ${what}: ${e instanceof Error ? e.message : String(e)}`);
  }
}

/**
 * Imports definitions. With `vhost`, the file is one vhost's (objects carry no vhost key, no users or vhosts).
 * Existing queues and exchanges are kept as they are (as RabbitMQ does); `amq.*` exchanges are skipped.
 */
export function importDefinitions(broker: Broker, defs: Json, vhost?: string): ImportResult {
  const warnings: string[] = [];
  const perms = broker.permissions;
  const vhostOf = (o: Json, what: string) => (vhost !== undefined ? vhost : str(o, 'vhost', what));

  // ---- parse and validate everything before changing anything
  const userLimits = new Map<string, Array<[UserLimit, number]>>();
  const users = vhost !== undefined ? [] : list(defs, 'users').map((u) => {
    const name = str(u, 'name', 'a user');
    if (u.limits !== undefined) userLimits.set(name, parseLimits(u.limits, `user '${name}'`, isUserLimit) as Array<[UserLimit, number]>);
    return userFromJson(name, u, broker.users.get(name));
  });
  const vhostNames = vhost !== undefined ? [] : list(defs, 'vhosts').map((v) => str(v, 'name', 'a vhost'));
  const knownVhosts = new Set([...broker.vhosts.keys(), ...vhostNames]);
  const knownUsers = new Set([...broker.users.keys(), ...users.map((u) => u.name)]);
  const checkVhost = (name: string) => {
    if (!knownVhosts.has(name)) throw new DefinitionsError(`definitions: vhost '${name}' does not exist`);
    return name;
  };
  if (vhost !== undefined) checkVhost(vhost);

  const permissions = vhost !== undefined ? [] : list(defs, 'permissions').map((p) => {
    const user = str(p, 'user', 'a permission');
    if (!knownUsers.has(user)) throw new DefinitionsError(`definitions: permission for unknown user '${user}'`);
    return {
      user,
      vhost: checkVhost(str(p, 'vhost', 'a permission')),
      configure: str(p, 'configure', 'a permission'),
      write: str(p, 'write', 'a permission'),
      read: str(p, 'read', 'a permission'),
    };
  });
  const topicPermissions = vhost !== undefined ? [] : list(defs, 'topic_permissions').map((t) => ({
    user: str(t, 'user', 'a topic permission'),
    vhost: checkVhost(str(t, 'vhost', 'a topic permission')),
    exchange: str(t, 'exchange', 'a topic permission'),
    write: str(t, 'write', 'a topic permission'),
    read: str(t, 'read', 'a topic permission'),
  }));

  // Vhost limits travel as runtime parameters of component 'vhost-limits'.
  const vhostLimits = new Map<string, Array<[VhostLimit, number]>>();
  const isVhostLimits = (p: Json) => p.component === 'vhost-limits';
  for (const p of list(defs, 'parameters').filter(isVhostLimits)) {
    const name = checkVhost(vhostOf(p, 'a vhost-limits parameter'));
    vhostLimits.set(name, parseLimits(p.value, `limits of vhost '${name}'`, isVhostLimit) as Array<[VhostLimit, number]>);
  }

  // Policies (and operator policies, which travel as parameters) are checked as the API checks them: one error fails the
  // whole import, naming the policy. Other components are kept as they are (Warren acts on none of them yet).
  const policies: Array<[PolicyKind, Policy]> = [];
  const policyOf = (kind: PolicyKind, vhostName: string, name: string, fields: Json) => {
    try {
      policies.push([kind, parsePolicy(vhostName, name, kind, fields)]);
    } catch (e) {
      const why = e instanceof PolicyError ? e.reason : (e as Error).message;
      throw new DefinitionsError(`definitions: ${kind === 'policy' ? 'policy' : 'operator policy'} '${name}' in vhost '${vhostName}': ${why}`);
    }
  };
  for (const p of list(defs, 'policies')) {
    const name = str(p, 'name', 'a policy');
    policyOf('policy', checkVhost(vhostOf(p, `policy '${name}'`)), name, p);
  }
  const otherParameters: RuntimeParameter[] = [];
  for (const p of list(defs, 'parameters').filter((x) => !isVhostLimits(x))) {
    const component = str(p, 'component', 'a parameter');
    const name = str(p, 'name', `a ${component} parameter`);
    const vhostName = checkVhost(vhostOf(p, `${component} parameter '${name}'`));
    if (component === 'policy' || component === 'operator_policy') {
      const value = p.value;
      policyOf(component, vhostName, name, typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Json) : {});
    } else {
      otherParameters.push({ vhost: vhostName, component, name, value: (p.value ?? null) as JsonValue });
    }
  }
  // This broker keeps its own cluster id (RabbitMQ's import would copy another cluster's).
  const globals = vhost !== undefined ? [] : list(defs, 'global_parameters').flatMap((g) => {
    const name = str(g, 'name', 'a global parameter');
    return name === 'internal_cluster_id' ? [] : [[name, (g.value ?? null) as JsonValue] as const];
  });

  const queues: QueueDef[] = list(defs, 'queues').map((q) => {
    const name = str(q, 'name', 'a queue');
    const what = `queue '${name}'`;
    const def: QueueDef = {
      name,
      vhost: checkVhost(vhostOf(q, what)),
      durable: flag(q, 'durable', what),
      autoDelete: flag(q, 'auto_delete', what),
      arguments: args(q, what),
    };
    // Newer RabbitMQ exports carry the type beside the arguments.
    if (typeof q.type === 'string' && q.type !== 'classic' && !def.arguments.has('x-queue-type')) def.arguments.set('x-queue-type', { type: 'S', value: q.type });
    if (name === '') throw new DefinitionsError('definitions: a queue needs a name');
    asDefinitionsError(() => parseQueueArguments(def.arguments, `queue '${name}' in vhost '${def.vhost}'`));
    return def;
  });
  checkQueueLimits(broker, queues, vhost !== undefined);
  const exchanges: ExchangeDef[] = [];
  for (const x of list(defs, 'exchanges')) {
    const name = str(x, 'name', 'an exchange');
    const what = `exchange '${name}'`;
    const def: ExchangeDef = {
      name,
      vhost: checkVhost(vhostOf(x, what)),
      type: str(x, 'type', what),
      durable: flag(x, 'durable', what),
      autoDelete: flag(x, 'auto_delete', what),
      internal: flag(x, 'internal', what),
      arguments: args(x, what),
    };
    if (name === '' || name.startsWith('amq.')) {
      warnings.push(`definitions: skipped exchange '${name}' in vhost '${def.vhost}': names starting with 'amq.' are reserved`);
      continue;
    }
    if (!isExchangeType(def.type)) throw new DefinitionsError(`definitions: unknown exchange type '${def.type}' for ${what}`);
    exchanges.push(def);
  }
  const bindings: BindingDef[] = [];
  for (const b of list(defs, 'bindings')) {
    const what = 'a binding';
    const kind = str(b, 'destination_type', what);
    if (kind !== 'queue' && kind !== 'exchange') throw new DefinitionsError(`definitions: binding destination_type must be 'queue' or 'exchange', not '${kind}'`);
    const def: BindingDef = {
      vhost: checkVhost(vhostOf(b, what)),
      source: str(b, 'source', what),
      destination: str(b, 'destination', what),
      destinationType: kind,
      routingKey: str(b, 'routing_key', what, ''),
      arguments: args(b, what),
    };
    if (def.source === '') {
      warnings.push(`definitions: skipped a binding from the default exchange to '${def.destination}' (it is implicit)`);
      continue;
    }
    const hasExchange = (name: string) =>
      PREDECLARED.has(name) || broker.vhosts.get(def.vhost)?.exchanges.has(name) || exchanges.some((x) => x.vhost === def.vhost && x.name === name);
    const hasQueue = (name: string) => broker.vhosts.get(def.vhost)?.queues.has(name) || queues.some((q) => q.vhost === def.vhost && q.name === name);
    if (!hasExchange(def.source)) throw new DefinitionsError(`definitions: binding source: no exchange '${def.source}' in vhost '${def.vhost}'`);
    if (kind === 'queue' ? !hasQueue(def.destination) : !hasExchange(def.destination)) {
      throw new DefinitionsError(`definitions: binding destination: no ${kind} '${def.destination}' in vhost '${def.vhost}'`);
    }
    bindings.push(def);
  }

  // ---- apply, in RabbitMQ's order; whatever was applied is saved even if a later step fails
  try {
    applyDefinitions();
  } finally {
    broker.accessChanged();
  }
  return { warnings };

  function applyDefinitions(): void {
    for (const u of users) {
      // A new user has exactly the permissions the file gives it; an existing one keeps its own.
      if (!broker.users.has(u.name)) perms.userCreated(u.name);
      broker.users.set(u.name, u);
      // A user's `limits` are merged into the ones it has, as RabbitMQ 3.10 does (a limit the file leaves out is kept).
      for (const [name, value] of [...(userLimits.get(u.name) ?? [])].reverse()) broker.limits.setUser(u.name, name, value);
    }
    for (const name of vhostNames) broker.addVhost(name);
    for (const [name, value] of globals) broker.parameters.setGlobal(name, value);
    for (const [kind, p] of policies) broker.parameters.setPolicy(kind, p);
    for (const p of otherParameters) broker.parameters.setParameter(p);
    for (const p of permissions) perms.set(p);
    for (const t of topicPermissions) if (broker.users.has(t.user)) perms.setTopic(t);
    for (const q of queues) {
      const v = broker.vhosts.get(q.vhost)!;
      if (v.queues.has(q.name)) continue;
      asDefinitionsError(() => v.declareQueue({ name: q.name, passive: false, durable: q.durable, exclusive: false, autoDelete: q.autoDelete, arguments: q.arguments, connectionId: NO_CONNECTION }));
    }
    for (const x of exchanges) {
      const v = broker.vhosts.get(x.vhost)!;
      if (v.exchanges.has(x.name)) continue;
      asDefinitionsError(() => v.declareExchange({ ...x, passive: false }));
    }
    for (const b of bindings) {
      const v = broker.vhosts.get(b.vhost)!;
      asDefinitionsError(() => {
        if (b.destinationType === 'queue') v.bindQueue(b.destination, b.source, b.routingKey, b.arguments, NO_CONNECTION);
        else v.bindExchange(b.destination, b.source, b.routingKey, b.arguments, false);
      });
    }
    // Vhost limits last, so that max-queues does not refuse the file's own queues.
    for (const [name, limits] of vhostLimits) {
      for (const [limit] of broker.limits.ofVhost(name)) broker.limits.clearVhost(name, limit);
      for (const [limit, value] of [...limits].reverse()) broker.limits.setVhost(name, limit, value);
    }
  }
}

/**
 * RabbitMQ's import check of max-queues (rabbit_definitions:validate_limits): the file's queues that do not exist yet,
 * counted per vhost, must fit under the vhost's current limit, else nothing is imported (RabbitMQ has added the file's
 * users and vhosts by then). The file's own vhost-limits do not count; they are applied after its queues. The reply is
 * RabbitMQ's: for a whole
 * file `["vhost_limit_exceeded", <the text as an Erlang string: a list of byte values>]`, for one vhost's the text.
 */
function checkQueueLimits(broker: Broker, queues: readonly QueueDef[], oneVhost: boolean): void {
  const adding = new Map<string, number>();
  for (const q of queues) if (!broker.vhosts.get(q.vhost)?.queues.has(q.name)) adding.set(q.vhost, (adding.get(q.vhost) ?? 0) + 1);
  for (const [vhost, count] of adding) {
    const limit = broker.limits.ofVhost(vhost).get('max-queues');
    if (limit === undefined || limit < 0) continue;
    // With a limit of 0, RabbitMQ reports 0 queues defined, whatever the vhost has.
    const current = limit === 0 ? 0 : (broker.vhosts.get(vhost)?.queues.size ?? 0);
    if (limit > 0 && count + current <= limit) continue;
    const text = `Adding ${count} queue(s) to virtual host "${vhost}" would exceed the limit of ${limit} queue(s).\n\nThis virtual host currently has ${current} queue(s) defined.\n\nImport aborted!`;
    throw new DefinitionsError(oneVhost ? text : ['vhost_limit_exceeded', [...Buffer.from(text, 'utf8')]]);
  }
}

function asDefinitionsError<T>(fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (e instanceof AmqpError) throw new DefinitionsError(e.detail);
    throw e;
  }
}
