// Warren's dashboard, bundled by esbuild into /dashboard/app.js: a vanilla ES module over the management API of the
// same origin. The login form's credentials live in sessionStorage and go out as an HTTP Basic header; views poll.
import { api, errorText, statusOf } from './api.js';
import { $ } from './dom.js';
import { enterApp, login, logout, navigate, showLogin, tick } from './session.js';
import { AUTH_KEY, onRefresh, savePrefs, state } from './state.js';
import type { Whoami } from './types.js';

function start(): void {
  onRefresh(() => void tick());
  const form = $<HTMLFormElement>('#login-form');
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const button = $<HTMLButtonElement>('button[type=submit]', form);
    const password = $<HTMLInputElement>('#login-password');
    button.disabled = true;
    $('#login-error').textContent = '';
    try {
      await login($<HTMLInputElement>('#login-username').value, password.value);
      password.value = '';
    } catch (err) {
      const reason = errorText(err) === 'Login failed' ? 'wrong username or password.' : errorText(err);
      $('#login-error').textContent = statusOf(err) === 401 ? 'Login failed: ' + reason : 'Cannot sign in: ' + reason;
    } finally {
      button.disabled = false;
    }
  });
  $('#logout').addEventListener('click', () => logout('Signed out.'));
  const vhostFilter = $<HTMLSelectElement>('#vhost-filter');
  vhostFilter.addEventListener('change', () => {
    state.prefs.vhost = vhostFilter.value;
    savePrefs();
    navigate();
  });
  const interval = $<HTMLSelectElement>('#refresh-interval');
  interval.addEventListener('change', () => {
    state.prefs.interval = Number(interval.value);
    savePrefs();
    void tick();
  });
  $('#refresh-now').addEventListener('click', () => void tick());
  window.addEventListener('hashchange', () => {
    if (state.user) navigate();
  });
  document.addEventListener('visibilitychange', () => {
    if (!document.hidden && state.user) void tick();
  });
  if (!state.auth) return showLogin();
  api<Whoami>('GET', '/whoami').then(
    (user) => {
      state.user = user;
      void enterApp();
    },
    (err: unknown) => {
      state.auth = null;
      sessionStorage.removeItem(AUTH_KEY);
      showLogin(statusOf(err) === 401 ? '' : 'Cannot reach the broker: ' + errorText(err));
    },
  );
}

start();
