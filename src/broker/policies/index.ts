// Policies, operator policies and runtime parameters: the model, RabbitMQ's validation, matching and precedence.
export * from './json.js';
export * from './keys.js';
export * from './pattern.js';
export * from './policy.js';
export * from './match.js';
export * from './effective.js';
export * from './parameters.js';
