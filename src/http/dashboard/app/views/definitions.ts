// The Definitions admin page: download the broker's (or one virtual host's) definitions, upload a file to import.
import { api } from '../api.js';
import { enc, h } from '../dom.js';
import { state, type Refresh } from '../state.js';
import { card, field, form, onSubmit, pageHeader, status } from '../widgets.js';
import { adminNav } from './admin-nav.js';

const ALL = '';

/** RabbitMQ's download name: rabbit_<host>_<yyyy-mm-dd>.json (with the virtual host's name when only one). */
function fileName(vhost: string): string {
  const date = new Date().toISOString().slice(0, 10);
  const host = location.hostname.replace(/[^\w.-]/g, '_') || 'localhost';
  return 'rabbit_' + host + (vhost === ALL ? '' : '_' + vhost.replace(/[^\w.-]/g, '_')) + '_' + date + '.json';
}

/** Saves text as a file through a temporary object URL (the API needs the Authorization header, a plain link has none). */
function saveFile(name: string, text: string): void {
  const url = URL.createObjectURL(new Blob([text], { type: 'application/json' }));
  const a = h('a', { href: url, download: name, hidden: true });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

function vhostSelect(): HTMLSelectElement {
  return h('select', {}, h('option', { value: ALL }, 'All virtual hosts'));
}

function fillVhosts(el: HTMLSelectElement): void {
  const current = el.value;
  const wanted = [ALL, ...state.vhosts];
  if ([...el.options].map((o) => o.value).join('\n') === wanted.join('\n')) return;
  el.replaceChildren(h('option', { value: ALL }, 'All virtual hosts'), ...state.vhosts.map((v) => h('option', { value: v }, v)));
  el.value = wanted.includes(current) ? current : ALL;
}

export function mountDefinitions(root: HTMLElement): Refresh {
  const exportVhost = vhostSelect();
  const exportOut = status();
  const exportForm = form(
    h('p', { class: 'hint' }, 'Users, virtual hosts, permissions, limits, exchanges, queues and bindings as JSON, in the format RabbitMQ imports.'),
    field('Export', exportVhost),
    h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'primary' }, 'Download definitions'), exportOut),
  );
  onSubmit(exportForm, exportOut, 'Export failed', async () => {
    const vhost = exportVhost.value;
    const defs = await api<unknown>('GET', '/definitions' + (vhost === ALL ? '' : '/' + enc(vhost)));
    const name = fileName(vhost);
    saveFile(name, JSON.stringify(defs, null, 2) + '\n');
    return 'Downloaded ' + name + '.';
  });

  const file = h('input', { type: 'file', accept: 'application/json,.json' });
  const importVhost = vhostSelect();
  const importOut = status();
  const importForm = form(
    field('Definitions file', file),
    field('Import into', importVhost, 'A file of one virtual host (exported from it) can go into another.'),
    h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'primary' }, 'Upload definitions'), importOut),
  );
  onSubmit(importForm, importOut, 'Import failed', async () => {
    const chosen = file.files?.[0];
    if (!chosen) throw new Error('choose a file first');
    let body: unknown;
    try {
      body = JSON.parse(await chosen.text());
    } catch {
      throw new Error(chosen.name + ' is not JSON');
    }
    const vhost = importVhost.value;
    await api('POST', '/definitions' + (vhost === ALL ? '' : '/' + enc(vhost)), body);
    file.value = '';
    return 'Imported ' + chosen.name + '.';
  });

  root.append(adminNav('definitions'), pageHeader('Definitions'), h('div', { class: 'cards two' }, card('Export definitions', exportForm), card('Import definitions', importForm)));
  return async () => {
    fillVhosts(exportVhost);
    fillVhosts(importVhost);
  };
}
