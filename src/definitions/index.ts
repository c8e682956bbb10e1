// Definitions' public surface: RabbitMQ's definitions JSON exported and imported (boot and HTTP), the JSON forms of
// field tables, users, limits and parameters it shares with the management API, and its one error type.
export { DefinitionsError } from './errors.js';
export { exportDefinitions, exportVhostDefinitions, PRODUCT_NAME } from './export.js';
export { importDefinitions, NO_CONNECTION, type ImportResult } from './import.js';
export { jsonToTable, jsonToValue, tableToJson } from './field-json.js';
export { limitsJson, parseLimits } from './limits-json.js';
export { allParameters, type ParameterRow } from './parameters.js';
export { parseTags, passwordHashOf, userFromJson, userJson } from './user-json.js';
