// Users' management tags as the API checks them: who may use the management API, administrators, policymakers, monitors.
import type { User } from '../broker/index.js';

/** Tags that let a user into the management API (RabbitMQ's management, monitoring, policymaker, administrator). */
const MANAGEMENT_TAGS = new Set(['management', 'monitoring', 'policymaker', 'administrator']);

export function isManagementUser(u: User): boolean {
  return u.tags.some((t) => MANAGEMENT_TAGS.has(t));
}

export function isAdministrator(u: User): boolean {
  return u.tags.includes('administrator');
}

/** RabbitMQ's is_policymaker: policymaker or administrator. */
export function isPolicymaker(u: User): boolean {
  return u.tags.includes('policymaker') || isAdministrator(u);
}

/** RabbitMQ's is_monitor: monitoring or administrator (policymaker is not). */
export function isMonitor(u: User): boolean {
  return u.tags.includes('monitoring') || isAdministrator(u);
}
