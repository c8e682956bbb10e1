// The AMQP 0-9-1 client's public surface (used by `warren perf`, `warren ping` and shovels; depends on protocol only).
export * from './connection.js';
export * from './channel.js';
export * from './errors.js';
export * from './uri.js';
