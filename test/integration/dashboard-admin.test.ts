// The dashboard's Admin pages in headless chromium: users (add, tags, password, delete), virtual hosts (add, limits,
// delete), permissions and topic permissions (set, revoke), exchanges and bindings (declare, bind, unbind, delete),
// definitions (download, upload). Each change is checked through the API or a real AMQP client, and each page is
// saved as a screenshot under test-output/dashboard (see test/support/dashboard.ts).
import { readFileSync } from 'node:fs';
import amqp from 'amqplib';
import type { Page } from 'playwright-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { useBroker } from '../support/broker.js';
import { MISSING, RUN_BROWSER, logIn, screenshot, textBecomes, useBrowser } from '../support/dashboard.js';
import { apiClient, type Api } from '../support/http.js';

if (!RUN_BROWSER) console.warn(`dashboard admin browser test skipped: ${MISSING}`);

describe.skipIf(!RUN_BROWSER)(RUN_BROWSER ? 'dashboard admin pages in headless chromium' : `dashboard admin pages (skipped: ${MISSING})`, () => {
  const broker = useBroker({ managementPort: 0 });
  const browser = useBrowser();
  let page: Page;
  let api: Api;
  const base = () => `http://localhost:${broker.current.managementPort}`;
  const amqpUrl = (user: string, pass: string, vhost: string) => `amqp://${user}:${pass}@localhost:${broker.current.port}/${encodeURIComponent(vhost)}`;
  const region = (name: string) => page.getByRole('region', { name });
  const status = (text: string) => page.getByRole('status').filter({ hasText: text });
  const rowOf = (table: string, cell: string) => page.getByRole('table', { name: table, exact: true }).getByRole('row').filter({ has: page.getByRole('cell', { name: cell, exact: true }) });
  const whoami = (user: string, pass: string) => apiClient(base(), user, pass).get('/api/whoami');

  beforeAll(async () => {
    page = browser.page;
    api = apiClient(base());
    await logIn(page, base());
  });

  it('shows the Admin tab to administrators, with a sub-navigation that has room for more pages', async () => {
    expect.hasAssertions();
    await page.getByRole('navigation', { name: 'Sections' }).getByRole('link', { name: 'Admin' }).click();
    await page.getByRole('heading', { name: 'Users' }).waitFor();
    const admin = page.getByRole('navigation', { name: 'Admin' });
    expect(await admin.getByRole('link').allTextContents()).toEqual(['Users', 'Virtual hosts', 'Permissions', 'Policies', 'Shovels', 'Definitions']);
    expect(await page.getByRole('navigation', { name: 'Sections' }).getByRole('link', { name: 'Admin' }).getAttribute('aria-current')).toBe('page');
    expect(await admin.getByRole('link', { name: 'Users' }).getAttribute('aria-current')).toBe('page');
  });

  it('adds a user, sets its tags and its password separately, and deletes it', async () => {
    expect.hasAssertions();
    await page.goto(base() + '/#/users');
    await rowOf('Users', 'guest').waitFor();
    const add = region('Add a user');
    await add.getByLabel('Username').fill('ops');
    await add.getByLabel('Password').fill('first-secret');
    await add.getByLabel('Tags').fill('monitoring');
    await add.getByRole('button', { name: 'Add user' }).click();
    await textBecomes(status('added'), 'User ops added.');
    await textBecomes(rowOf('Users', 'ops').locator('td[data-col="tags"]'), 'monitoring');
    expect((await api.get('/api/users/ops')).json.tags).toEqual(['monitoring']);
    expect((await whoami('ops', 'first-secret')).status).toBe(200);

    // Tags alone: the password still works.
    const change = region('Change a user');
    await change.getByLabel('User', { exact: true }).selectOption('ops');
    await change.getByLabel('New tags').fill('administrator, monitoring');
    await change.getByRole('button', { name: 'Set tags' }).click();
    await textBecomes(status('Tags of'), 'Tags of ops set.');
    await textBecomes(rowOf('Users', 'ops').locator('td[data-col="tags"]'), 'administrator, monitoring');
    expect((await api.get('/api/users/ops')).json.tags).toEqual(['administrator', 'monitoring']);
    expect((await whoami('ops', 'first-secret')).status).toBe(200);

    // Password alone: the tags stay.
    await change.getByLabel('New password').fill('second-secret');
    await change.getByRole('button', { name: 'Set password' }).click();
    await textBecomes(status('Password of'), 'Password of ops changed.');
    expect((await whoami('ops', 'first-secret')).status).toBe(401);
    const after = await whoami('ops', 'second-secret');
    expect(after.status).toBe(200);
    expect(after.json.tags).toEqual(['administrator', 'monitoring']);
    await screenshot(page, 'admin-users');

    const row = rowOf('Users', 'ops');
    await row.getByRole('button', { name: 'Delete' }).click();
    await row.getByRole('button', { name: 'Confirm delete' }).click();
    await textBecomes(status('deleted'), 'User ops deleted.');
    await expect.poll(() => rowOf('Users', 'ops').count()).toBe(0);
    expect((await api.get('/api/users/ops')).status).toBe(404);
    expect(browser.errors).toEqual([]);
  });

  it('adds a virtual host, sets and clears its limits, and deletes it', async () => {
    expect.hasAssertions();
    await page.getByRole('navigation', { name: 'Admin' }).getByRole('link', { name: 'Virtual hosts' }).click();
    const add = region('Add a virtual host');
    await add.getByLabel('Virtual host name').fill('staging');
    await add.getByLabel('Description').fill('pre-production');
    await add.getByRole('button', { name: 'Add virtual host' }).click();
    await textBecomes(status('added'), 'Virtual host staging added.');
    await textBecomes(rowOf('Virtual hosts', 'staging').locator('td[data-col="description"]'), 'pre-production');
    expect((await api.get('/api/vhosts/staging')).json.description).toBe('pre-production');

    const limits = region('Limits');
    await limits.getByLabel('Virtual host').selectOption('staging');
    await limits.getByLabel('Max connections').fill('5');
    await limits.getByLabel('Max queues').fill('10');
    await limits.getByRole('button', { name: 'Set limits' }).click();
    await textBecomes(status('Limits of'), 'Limits of staging set.');
    expect((await api.get('/api/vhost-limits/staging')).json).toEqual([{ vhost: 'staging', value: { 'max-connections': 5, 'max-queues': 10 } }]);
    await textBecomes(rowOf('Virtual hosts', 'staging').locator('td[data-col="max-queues"]'), '10');
    await screenshot(page, 'admin-vhosts');

    // An empty field removes that limit; the broker enforces what is left (one connection allowed, a second refused).
    await limits.getByLabel('Max connections').fill('1');
    await limits.getByLabel('Max queues').fill('');
    await limits.getByRole('button', { name: 'Set limits' }).click();
    await expect.poll(async () => (await api.get('/api/vhost-limits/staging')).json).toEqual([{ vhost: 'staging', value: { 'max-connections': 1 } }]);
    await api.put('/api/permissions/staging/guest', { configure: '.*', write: '.*', read: '.*' });
    const first = await amqp.connect(amqpUrl('guest', 'guest', 'staging'));
    try {
      await expect(amqp.connect(amqpUrl('guest', 'guest', 'staging'))).rejects.toThrow();
    } finally {
      await first.close();
    }

    const row = rowOf('Virtual hosts', 'staging');
    await row.getByRole('button', { name: 'Delete' }).click();
    await row.getByRole('button', { name: 'Confirm delete' }).click();
    await textBecomes(status('deleted'), 'Virtual host staging deleted.');
    await expect.poll(() => rowOf('Virtual hosts', 'staging').count()).toBe(0);
    expect((await api.get('/api/vhosts/staging')).status).toBe(404);
    expect(browser.errors).toEqual([]);
  });

  it('sets and revokes permissions and topic permissions, which the broker then enforces', async () => {
    expect.hasAssertions();
    expect((await api.put('/api/vhosts/apps')).status).toBe(201);
    expect((await api.put('/api/users/app', { password: 'app-secret', tags: '' })).status).toBe(201);
    await page.getByRole('navigation', { name: 'Admin' }).getByRole('link', { name: 'Permissions' }).click();

    const set = region('Set a permission');
    await set.getByLabel('User', { exact: true }).selectOption('app');
    await set.getByLabel('Virtual host').selectOption('apps');
    await set.getByLabel('Configure regexp').fill('^app\\.');
    await set.getByRole('button', { name: 'Set permission' }).click();
    await textBecomes(status('Permission of'), 'Permission of app in apps set.');
    expect((await api.get('/api/permissions/apps/app')).json).toMatchObject({ configure: '^app\\.', write: '.*', read: '.*' });

    const topic = region('Set a topic permission');
    await topic.getByLabel('User', { exact: true }).selectOption('app');
    await topic.getByLabel('Virtual host').selectOption('apps');
    await topic.getByLabel('Write regexp').fill('^orders\\.');
    await topic.getByRole('button', { name: 'Set topic permission' }).click();
    await textBecomes(status('Topic permission of'), 'Topic permission of app on amq.topic set.');
    expect((await api.get('/api/topic-permissions/apps/app')).json).toEqual([{ user: 'app', vhost: 'apps', exchange: 'amq.topic', write: '^orders\\.', read: '.*' }]);
    await textBecomes(page.getByRole('table', { name: 'Topic permissions' }).getByRole('row').filter({ hasText: 'app' }).locator('td[data-col="write"]'), '^orders\\.');
    await screenshot(page, 'admin-permissions');

    // The broker applies them: app may declare app.* only, and publish to amq.topic with orders.* keys only.
    const conn = await amqp.connect(amqpUrl('app', 'app-secret', 'apps'));
    try {
      const ch = await conn.createChannel();
      await ch.assertQueue('app.inbox');
      ch.publish('amq.topic', 'orders.new', Buffer.from('ok'));
      const refused = new Promise<Error>((resolve) => ch.once('error', resolve));
      ch.publish('amq.topic', 'payments.new', Buffer.from('no'));
      expect(String(await refused)).toMatch(/ACCESS_REFUSED/);
      const ch2 = await conn.createChannel();
      ch2.on('error', () => {});
      await expect(ch2.assertQueue('other')).rejects.toThrow(/ACCESS_REFUSED/);
    } finally {
      await conn.close().catch(() => {});
    }

    const permRow = page.getByRole('table', { name: 'Permissions', exact: true }).getByRole('row').filter({ has: page.getByRole('cell', { name: 'app', exact: true }) });
    await permRow.getByRole('button', { name: 'Revoke' }).click();
    await permRow.getByRole('button', { name: 'Confirm revoke' }).click();
    await textBecomes(status('revoked'), 'Permission of app in apps revoked.');
    expect((await api.get('/api/permissions/apps/app')).status).toBe(404);
    const topicRow = page.getByRole('table', { name: 'Topic permissions' }).getByRole('row').filter({ has: page.getByRole('cell', { name: 'app', exact: true }) });
    await topicRow.getByRole('button', { name: 'Revoke' }).click();
    await topicRow.getByRole('button', { name: 'Confirm revoke' }).click();
    await textBecomes(status('Topic permissions of'), 'Topic permissions of app in apps revoked.');
    expect((await api.get('/api/topic-permissions/apps/app')).status).toBe(404);
    await expect(amqp.connect(amqpUrl('app', 'app-secret', 'apps'))).rejects.toThrow();
    expect(browser.errors).toEqual([]);
  });

  it('declares an exchange, binds a queue to it, unbinds it, and deletes the exchange', async () => {
    expect.hasAssertions();
    const conn = await amqp.connect(broker.current.url);
    try {
      const ch = await conn.createChannel();
      await ch.assertQueue('admin.audit', { durable: false });
      await page.getByRole('navigation', { name: 'Sections' }).getByRole('link', { name: 'Exchanges' }).click();
      await page.getByText('Add an exchange').click();
      await page.getByLabel('Exchange name').fill('admin.events');
      await page.getByLabel('Type', { exact: true }).selectOption('topic');
      await page.getByRole('button', { name: 'Add exchange' }).click();
      await textBecomes(status('declared'), 'Exchange admin.events declared.');
      expect((await api.get('/api/exchanges/%2F/admin.events')).json).toMatchObject({ type: 'topic', durable: true, auto_delete: false, internal: false });

      await page.getByRole('table', { name: 'Exchanges' }).getByRole('link', { name: 'admin.events' }).click();
      await page.getByRole('heading', { name: 'admin.events' }).waitFor();
      const bind = region('Add a binding from this exchange');
      await bind.getByLabel('Destination', { exact: true }).fill('admin.audit');
      await bind.getByLabel('Binding key').fill('audit.#');
      await bind.getByRole('button', { name: 'Bind' }).click();
      await textBecomes(status('Bound'), 'Bound queue admin.audit.');
      const row = page.getByRole('table', { name: 'Bindings from this exchange' }).getByRole('row').filter({ hasText: 'admin.audit' });
      await textBecomes(row.locator('td[data-col="key"]'), 'audit.#');
      // The binding routes.
      ch.publish('admin.events', 'audit.login', Buffer.from('x'));
      await expect.poll(async () => (await ch.checkQueue('admin.audit')).messageCount).toBe(1);
      await screenshot(page, 'admin-exchange');

      await row.getByRole('button', { name: 'Unbind' }).click();
      await row.getByRole('button', { name: 'Confirm unbind' }).click();
      await textBecomes(status('Unbound'), 'Unbound admin.audit from admin.events.');
      expect((await api.get('/api/exchanges/%2F/admin.events/bindings/source')).json).toEqual([]);

      await page.getByRole('button', { name: 'Delete exchange' }).click();
      await page.getByRole('button', { name: 'Confirm delete' }).click();
      await page.waitForURL(/#\/exchanges$/);
      expect((await api.get('/api/exchanges/%2F/admin.events')).status).toBe(404);
    } finally {
      await conn.close().catch(() => {});
    }
    expect(browser.errors).toEqual([]);
  });

  it('unbinds from the Bindings page', async () => {
    expect.hasAssertions();
    await api.put('/api/exchanges/%2F/admin.fanout', { type: 'fanout' });
    await api.put('/api/queues/%2F/admin.copy', {});
    await api.post('/api/bindings/%2F/e/admin.fanout/q/admin.copy', { routing_key: 'copy' });
    await page.getByRole('navigation', { name: 'Sections' }).getByRole('link', { name: 'Bindings' }).click();
    const row = page.getByRole('table', { name: 'Bindings' }).getByRole('row').filter({ hasText: 'admin.copy' });
    await textBecomes(row.locator('td[data-col="key"]'), 'copy');
    await row.getByRole('button', { name: 'Unbind' }).click();
    await row.getByRole('button', { name: 'Confirm unbind' }).click();
    await textBecomes(status('Unbound'), 'Unbound admin.copy from admin.fanout.');
    expect((await api.get('/api/exchanges/%2F/admin.fanout/bindings/source')).json).toEqual([]);
    expect(browser.errors).toEqual([]);
  });

  it('downloads the definitions and imports an uploaded file', async () => {
    expect.hasAssertions();
    await page.getByRole('navigation', { name: 'Sections' }).getByRole('link', { name: 'Admin' }).click();
    await page.getByRole('navigation', { name: 'Admin' }).getByRole('link', { name: 'Definitions' }).click();
    const [download] = await Promise.all([page.waitForEvent('download'), region('Export definitions').getByRole('button', { name: 'Download definitions' }).click()]);
    expect(download.suggestedFilename()).toMatch(/^rabbit_localhost_\d{4}-\d\d-\d\d\.json$/);
    const exported = JSON.parse(readFileSync((await download.path())!, 'utf8')) as { users: { name: string }[]; vhosts: { name: string }[]; exchanges: { name: string }[] };
    expect(exported).toEqual((await api.get('/api/definitions')).json);
    expect(exported.users.map((u) => u.name)).toContain('guest');
    expect(exported.vhosts.map((v) => v.name)).toContain('/');
    expect(exported.exchanges.map((x) => x.name)).toContain('admin.fanout');

    const defs = {
      vhosts: [{ name: 'imported' }],
      permissions: [{ user: 'guest', vhost: 'imported', configure: '.*', write: '.*', read: '.*' }],
      queues: [{ name: 'imported.jobs', vhost: 'imported', durable: true, auto_delete: false, arguments: { 'x-max-length': 10 } }],
    };
    await page.getByLabel('Definitions file').setInputFiles({ name: 'staging.json', mimeType: 'application/json', buffer: Buffer.from(JSON.stringify(defs)) });
    await region('Import definitions').getByRole('button', { name: 'Upload definitions' }).click();
    await textBecomes(status('Imported'), 'Imported staging.json.');
    const conn = await amqp.connect(amqpUrl('guest', 'guest', 'imported'));
    try {
      const ch = await conn.createChannel();
      expect((await ch.checkQueue('imported.jobs')).messageCount).toBe(0);
    } finally {
      await conn.close();
    }
    expect((await api.get('/api/queues/imported/imported.jobs')).json.arguments).toEqual({ 'x-max-length': 10 });

    // A file that is not JSON is refused with a clear line, and changes nothing.
    await page.getByLabel('Definitions file').setInputFiles({ name: 'notes.txt', mimeType: 'text/plain', buffer: Buffer.from('not json') });
    await region('Import definitions').getByRole('button', { name: 'Upload definitions' }).click();
    await textBecomes(status('Import failed'), 'Import failed: notes.txt is not JSON');
    await screenshot(page, 'admin-definitions');
    expect(browser.errors).toEqual([]);
  });

  it('hides the Admin tab from a user without the administrator tag', async () => {
    expect.hasAssertions();
    await api.put('/api/users/watcher', { password: 'watch-secret', tags: 'monitoring' });
    await page.getByRole('button', { name: 'Log out' }).click();
    await logIn(page, base(), 'watcher', 'watch-secret');
    await page.getByRole('navigation', { name: 'Sections' }).getByRole('link', { name: 'Queues' }).waitFor();
    expect(await page.getByRole('navigation', { name: 'Sections' }).getByRole('link', { name: 'Admin' }).count()).toBe(0);
    await page.getByRole('button', { name: 'Log out' }).click();
    await logIn(page, base());
    await page.getByRole('navigation', { name: 'Sections' }).getByRole('link', { name: 'Admin' }).waitFor();
  });
});
