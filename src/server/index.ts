// The server layer's public surface.
export * from './server.js';
export * from './options.js';
export * from './connection.js';
export * from './introspection.js';
export { advertisedIdentity, RABBITMQ_COMPAT_VERSION, type AdvertisedIdentity } from './server-properties.js';
export { connectionName, hostOf } from './connection-name.js';
