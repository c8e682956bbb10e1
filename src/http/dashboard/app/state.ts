// The dashboard's session state: credentials, the signed-in user, virtual hosts, preferences and chart history.
import type { Overview, Whoami } from './types.js';

export const AUTH_KEY = 'warren.auth';
const PREFS_KEY = 'warren.prefs';
/** How much history the charts show, in milliseconds. */
export const WINDOW_MS = 120000;

export interface Prefs {
  /** The virtual host the lists are narrowed to; '' for all. */
  vhost: string;
  /** Poll interval in milliseconds; 0 pauses. */
  interval: number;
}

/** One overview sample for the charts: depths, their change per second and message rates. */
export interface Sample {
  t: number;
  [series: string]: number | undefined;
}

/** A view's poll function, called on every tick while the view is shown. */
export type Refresh = () => Promise<void>;

export const state: {
  auth: string | null;
  user: Whoami | null;
  vhosts: string[];
  overview: Overview | null;
  prefs: Prefs;
  refresh: Refresh | null;
  /** Run when the current view is left (a view that holds a stream open closes it here). */
  leave: (() => void) | null;
  timer: number;
  seq: number;
  history: Sample[];
} = {
  auth: sessionStorage.getItem(AUTH_KEY),
  user: null,
  vhosts: [],
  overview: null,
  prefs: loadPrefs(),
  refresh: null,
  leave: null,
  timer: 0,
  seq: 0,
  history: [],
};

function loadPrefs(): Prefs {
  const defaults: Prefs = { vhost: '', interval: 2000 };
  try {
    const saved: unknown = JSON.parse(sessionStorage.getItem(PREFS_KEY) ?? '{}');
    if (saved && typeof saved === 'object') {
      const p = saved as Partial<Record<keyof Prefs, unknown>>;
      if (typeof p.vhost === 'string') defaults.vhost = p.vhost;
      if (typeof p.interval === 'number') defaults.interval = p.interval;
    }
  } catch {
    // Defaults.
  }
  return defaults;
}

export const savePrefs = (): void => sessionStorage.setItem(PREFS_KEY, JSON.stringify(state.prefs));

let refreshHandler: () => void = () => {};

/** Polls now (after an action changed something); the session module installs the poller. */
export const refreshNow = (): void => refreshHandler();
export const onRefresh = (handler: () => void): void => {
  refreshHandler = handler;
};

/** Whether the signed-in user may use the Admin pages and switch tracing (RabbitMQ's administrator tag). */
export function isAdministrator(): boolean {
  const tags = state.user?.tags ?? [];
  return (typeof tags === 'string' ? tags.split(',') : tags).map((t) => t.trim()).includes('administrator');
}

/** Registers what to do when the current view is left (navigation or logout). */
export const onLeave = (leave: () => void): void => {
  state.leave = leave;
};

/** Runs and forgets the current view's leave hook. */
export function leaveView(): void {
  const leave = state.leave;
  state.leave = null;
  leave?.();
}

export const vhostScope = (): string => (state.prefs.vhost ? '/' + encodeURIComponent(state.prefs.vhost) : '');

/** The virtual host new objects go to by default: the filtered one, else '/', else the first. */
export const defaultVhost = (): string => state.prefs.vhost || (state.vhosts.includes('/') ? '/' : (state.vhosts[0] ?? '/'));
