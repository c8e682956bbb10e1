// The HTTP layer's public surface: the management API, Prometheus metrics, and definitions export/import.
export {
  startManagement,
  managementRouter,
  type HttpListener,
  type HttpListenOptions,
  type ManagementListener,
  type ManagementListenOptions,
} from './management.js';
export { startMetrics, renderMetrics } from './metrics.js';
export { exportDefinitions, exportVhostDefinitions, importDefinitions, type ImportResult } from './definitions.js';
export type { ManagementDeps } from './deps.js';
