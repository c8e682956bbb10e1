// Definitions export in RabbitMQ's JSON format: users, vhosts, permissions, parameters, policies, queues, exchanges and
// bindings, of the whole broker or of one vhost.
import { policyJson, Queue, type Broker, type VirtualHost } from '../broker/index.js';
import { RABBITMQ_COMPAT_VERSION, WARREN_VERSION } from '../shared/version.js';
import { tableToJson } from './field-json.js';
import { limitsJson } from './limits-json.js';
import { allParameters } from './parameters.js';
import { userJson } from './user-json.js';

type Json = Record<string, unknown>;

/** The product name definitions files carry beside RabbitMQ's version keys. */
export const PRODUCT_NAME = 'Warren';

function header(): Json {
  return {
    rabbit_version: RABBITMQ_COMPAT_VERSION,
    rabbitmq_version: RABBITMQ_COMPAT_VERSION,
    product_name: PRODUCT_NAME,
    product_version: WARREN_VERSION,
  };
}

/** Queues a definitions file carries: all but exclusive ones (they belong to a connection), as RabbitMQ. */
function exportedQueues(v: VirtualHost): Queue[] {
  return [...v.queues.values()].filter((q) => !q.exclusive);
}

function queueDef(q: Queue, withVhost: boolean): Json {
  return { name: q.name, ...(withVhost ? { vhost: q.vhost } : {}), durable: q.durable, auto_delete: q.autoDelete, arguments: tableToJson(q.arguments) };
}

function exchangeDefs(v: VirtualHost, withVhost: boolean): Json[] {
  return [...v.exchanges.values()]
    .filter((x) => x.name !== '' && !x.name.startsWith('amq.'))
    .map((x) => ({
      name: x.name,
      ...(withVhost ? { vhost: x.vhost } : {}),
      type: x.type,
      durable: x.durable,
      auto_delete: x.autoDelete,
      internal: x.internal,
      arguments: tableToJson(x.arguments),
    }));
}

function bindingDefs(v: VirtualHost, withVhost: boolean): Json[] {
  const out: Json[] = [];
  for (const x of v.exchanges.values()) {
    for (const b of x.bindings) {
      const toQueue = b.destination instanceof Queue;
      if (toQueue && (b.destination as Queue).exclusive) continue;
      out.push({
        source: x.name,
        ...(withVhost ? { vhost: v.name } : {}),
        destination: b.destination.name,
        destination_type: toQueue ? 'queue' : 'exchange',
        routing_key: b.routingKey,
        arguments: tableToJson(b.arguments),
      });
    }
  }
  return out;
}

/** The whole broker's definitions, as GET /api/definitions returns them. */
export function exportDefinitions(broker: Broker): Json {
  const perms = broker.permissions;
  const vhosts = [...broker.vhosts.values()];
  return {
    ...header(),
    users: [...broker.users.values()].map((u) => userJson(u, limitsJson(broker.limits.ofUser(u.name)))),
    vhosts: vhosts.map((v) => ({ name: v.name })),
    permissions: perms.list().map((p) => ({ user: p.user, vhost: p.vhost, configure: p.configure, write: p.write, read: p.read })),
    topic_permissions: perms.listTopic().map((t) => ({ user: t.user, vhost: t.vhost, exchange: t.exchange, write: t.write, read: t.read })),
    parameters: allParameters(broker).filter((p) => p.component !== 'policy'),
    global_parameters: broker.parameters.globalParameters().map(([name, value]) => ({ name, value })),
    policies: broker.parameters.allPolicies('policy').map(policyJson),
    queues: vhosts.flatMap((v) => exportedQueues(v).map((q) => queueDef(q, true))),
    exchanges: vhosts.flatMap((v) => exchangeDefs(v, true)),
    bindings: vhosts.flatMap((v) => bindingDefs(v, true)),
  };
}

/** One vhost's definitions, as GET /api/definitions/{vhost} returns them (objects without a vhost key, but for parameters). */
export function exportVhostDefinitions(broker: Broker, v: VirtualHost): Json {
  return {
    ...header(),
    parameters: allParameters(broker).filter((p) => p.component !== 'policy' && p.vhost === v.name),
    policies: broker.parameters.allPolicies('policy').filter((p) => p.vhost === v.name).map(policyJson),
    queues: exportedQueues(v).map((q) => queueDef(q, false)),
    exchanges: exchangeDefs(v, false),
    bindings: bindingDefs(v, false),
  };
}
