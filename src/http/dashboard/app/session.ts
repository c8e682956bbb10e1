// The dashboard's session: routing by location hash, the poll loop, the header, login and logout.
import { api, basicToken, errorText, statusOf } from './api.js';
import { $, h } from './dom.js';
import { forgetOldSamples, sampleQueue } from './rates.js';
import { SECTIONS, type Section } from './sections.js';
import { AUTH_KEY, isAdministrator, leaveView, state, WINDOW_MS } from './state.js';
import type { Overview } from './types.js';
import type { Route } from './views/view.js';

const OVERVIEW = SECTIONS['overview']!;

/** '#/queues/%2F/orders' → { section: 'queues', vhost: '/', name: 'orders' }. */
function parseRoute(): Route & { page: Section } {
  const parts = location.hash
    .replace(/^#\/?/, '')
    .split('/')
    .filter((p) => p !== '');
  let decoded: string[];
  try {
    decoded = parts.map(decodeURIComponent);
  } catch {
    decoded = [];
  }
  const name = decoded[0];
  const page = name !== undefined ? SECTIONS[name] : undefined;
  return page ? { section: name!, page, vhost: decoded[1], name: decoded[2] } : { section: 'overview', page: OVERVIEW, vhost: decoded[1], name: decoded[2] };
}

export function navigate(): void {
  const route = parseRoute();
  const section = route.page;
  for (const a of document.querySelectorAll<HTMLAnchorElement>('#tabs a')) {
    if (a.dataset['section'] === (section.tab ?? route.section)) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
  const root = $('#view');
  leaveView();
  root.replaceChildren();
  const { vhost, name } = route;
  if (section.detail && vhost !== undefined && name !== undefined) {
    state.refresh = section.detail(root, { vhost, name });
    document.title = name + ' · ' + section.title + ' · Warren';
  } else {
    state.refresh = section.list(root, route);
    document.title = section.title + ' · Warren';
  }
  void tick();
}

/** Fetches the overview (for the header and charts), then the current view's data; reschedules itself. */
export async function tick(): Promise<void> {
  clearTimeout(state.timer);
  const seq = ++state.seq;
  if (!state.auth) return;
  if (document.hidden) {
    state.timer = window.setTimeout(tick, state.prefs.interval || 2000);
    return;
  }
  try {
    await refreshOverview();
    if (seq !== state.seq) return;
    if (state.refresh) await state.refresh();
    if (seq !== state.seq) return;
    setBanner('');
    forgetOldSamples();
    $('#updated').textContent = new Date().toLocaleTimeString();
  } catch (err) {
    if (seq !== state.seq) return;
    if (statusOf(err) === 401) return logout('Signed out: ' + errorText(err));
    setBanner(statusOf(err) === 0 ? 'Cannot reach the broker; retrying…' : 'Error: ' + errorText(err));
  }
  if (seq === state.seq && state.prefs.interval > 0) state.timer = window.setTimeout(tick, state.prefs.interval);
}

async function refreshOverview(): Promise<void> {
  const [o, vhosts] = await Promise.all([api<Overview>('GET', '/overview'), api<{ name: string }[]>('GET', '/vhosts?columns=name')]);
  state.overview = o;
  const qt = o.queue_totals ?? {};
  const now = Date.now();
  state.history.push({ t: now, ready: qt.messages_ready, unacked: qt.messages_unacknowledged, ...sampleQueue('overview', qt.messages_ready, qt.messages_unacknowledged, o.message_stats) });
  while (state.history.length && now - state.history[0]!.t > WINDOW_MS + 5000) state.history.shift();
  $('#version').textContent = (o.product_version ? 'v' + o.product_version : '') + (o.node ? ' · ' + o.node : '');
  const names = vhosts.map((v) => v.name).sort();
  if (names.join('\n') !== state.vhosts.join('\n')) {
    state.vhosts = names;
    const sel = $<HTMLSelectElement>('#vhost-filter');
    sel.replaceChildren(h('option', { value: '' }, 'All'), ...names.map((n) => h('option', { value: n }, n)));
    if (state.prefs.vhost && !names.includes(state.prefs.vhost)) state.prefs.vhost = '';
    sel.value = state.prefs.vhost;
  }
}

function setBanner(text: string): void {
  const b = $('#banner');
  b.textContent = text;
  b.hidden = text === '';
}

export function showLogin(message?: string): void {
  $('#app').hidden = true;
  $('#session').hidden = true;
  $('#tabs').hidden = true;
  $('#login').hidden = false;
  $('#login-error').textContent = message ?? '';
  document.title = 'Sign in · Warren';
  $('#login-username').focus();
}

export async function enterApp(): Promise<void> {
  try {
    await refreshOverview();
  } catch {
    // The first tick reports it.
  }
  $('#login').hidden = true;
  $('#app').hidden = false;
  $('#session').hidden = false;
  $('#tabs').hidden = false;
  $('#admin-tab').hidden = !isAdministrator();
  $('#whoami').textContent = state.user?.name ?? '';
  $<HTMLSelectElement>('#refresh-interval').value = String(state.prefs.interval);
  navigate();
}

export function logout(message: string): void {
  clearTimeout(state.timer);
  state.seq++;
  state.auth = null;
  state.user = null;
  state.refresh = null;
  leaveView();
  sessionStorage.removeItem(AUTH_KEY);
  $('#view').replaceChildren();
  setBanner('');
  showLogin(message);
}

export async function login(username: string, password: string): Promise<void> {
  state.auth = basicToken(username, password);
  try {
    state.user = await api('GET', '/whoami');
  } catch (err) {
    state.auth = null;
    throw err;
  }
  sessionStorage.setItem(AUTH_KEY, state.auth);
  await enterApp();
}
