// Every runtime parameter of a broker as RabbitMQ lists and exports them: vhost limits, policies and other components.
import { policyValue, type Broker, type JsonValue } from '../broker/index.js';
import { limitsJson } from './limits-json.js';

export type ParameterRow = {
  value: JsonValue;
  vhost: string;
  component: string;
  name: string;
};

/** Every runtime parameter of the broker as RabbitMQ lists them (vhost limits and policies included), by vhost. */
export function allParameters(broker: Broker): ParameterRow[] {
  const rows: ParameterRow[] = [];
  for (const [vhost, limits] of broker.limits.vhostsWithLimits()) rows.push({ value: limitsJson(limits), vhost, component: 'vhost-limits', name: 'limits' });
  for (const kind of ['policy', 'operator_policy'] as const) {
    for (const p of broker.parameters.allPolicies(kind)) rows.push({ value: policyValue(p), vhost: p.vhost, component: kind, name: p.name });
  }
  for (const p of broker.parameters.parameters()) rows.push({ value: p.value, vhost: p.vhost, component: p.component, name: p.name });
  return rows.sort((a, b) => (a.vhost < b.vhost ? -1 : a.vhost > b.vhost ? 1 : 0));
}
