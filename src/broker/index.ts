// The broker layer's public surface.
export * from './broker.js';
export * from './vhost.js';
export * from './queue.js';
export * from './exchange.js';
export * from './message.js';
export type { Binding, Destination } from './exchanges/index.js';
export * from './queue-arguments.js';
export * from './dead-letter.js';
export * from './persistence.js';
export * from './stats.js';
export * from './permissions.js';
export * from './limits.js';
export * from './access-state.js';
export * from './internal-errors.js';
export * from './runtime.js';
export * from './policies/index.js';
export * from './exchange-names.js';
export * from './publish-as-user.js';
