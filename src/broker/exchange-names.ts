// The default exchange's other name: '' is 'amq.default' wherever a name must not be empty (permissions, URLs).

/** RabbitMQ's name for the default exchange in permission checks, their error texts and management URLs. */
export const DEFAULT_EXCHANGE_ALIAS = 'amq.default';

/** The name a permission is checked against: 'amq.default' for the default exchange ''. */
export function exchangeResource(name: string): string {
  return name === '' ? DEFAULT_EXCHANGE_ALIAS : name;
}

/** The exchange a management URL names: 'amq.default' is the default exchange ''. */
export function exchangeFromResource(name: string): string {
  return name === DEFAULT_EXCHANGE_ALIAS ? '' : name;
}
