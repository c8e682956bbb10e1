// The HTTP layer's public surface: the management API and Prometheus metrics.
export {
  startManagement,
  managementRouter,
  type HttpListener,
  type HttpListenOptions,
  type ManagementListener,
  type ManagementListenOptions,
} from './management.js';
export { startMetrics, renderMetrics } from './metrics.js';
export type { ManagementDeps } from './deps.js';
