// Dynamic shovels (RabbitMQ's shovel plugin): parameter validation, the engine, and the supervisor the broker runs.
export * from './config.js';
export * from './shovel.js';
export * from './supervisor.js';
