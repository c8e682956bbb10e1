// The dashboard's Shovels page in headless chromium: add a shovel through the form (it moves a queue's messages), see
// it running, see a refused value's reason, restart and delete it. Each change is checked through the API and AMQP.
import amqp from 'amqplib';
import type { Page } from 'playwright-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { useBroker } from '../support/broker.js';
import { MISSING, RUN_BROWSER, logIn, screenshot, textBecomes, useBrowser } from '../support/dashboard.js';
import { apiClient, eventually, type Api } from '../support/http.js';

if (!RUN_BROWSER) console.warn(`dashboard shovels browser test skipped: ${MISSING}`);

describe.skipIf(!RUN_BROWSER)(RUN_BROWSER ? 'dashboard shovels page in headless chromium' : `dashboard shovels page (skipped: ${MISSING})`, () => {
  const broker = useBroker({ managementPort: 0 });
  const browser = useBrowser();
  let page: Page;
  let api: Api;
  const base = () => `http://localhost:${broker.current.managementPort}`;
  const region = (name: string) => page.getByRole('region', { name });
  const status = (text: string) => page.getByRole('status').filter({ hasText: text });
  const rowOf = (cell: string) => page.getByRole('table', { name: 'Shovels', exact: true }).getByRole('row').filter({ has: page.getByRole('cell', { name: cell, exact: true }) });

  beforeAll(async () => {
    page = browser.page;
    api = apiClient(base());
    await logIn(page, base());
  });

  it('adds a shovel that moves messages, shows it running, shows a refused value, restarts and deletes it', async () => {
    expect.hasAssertions();
    const conn = await amqp.connect(broker.current.url);
    try {
      const ch = await conn.createConfirmChannel();
      await ch.assertQueue('dash-src', { durable: true });
      for (let i = 0; i < 50; i++) ch.sendToQueue('dash-src', Buffer.from(String(i)));
      await ch.waitForConfirms();

      await page.goto(base() + '/#/shovels');
      await page.getByRole('heading', { name: 'Shovels', exact: true }).first().waitFor();
      const form = region('Add a shovel');
      await form.getByLabel('Name').fill('dash-move');
      await form.getByLabel('Source queue').fill('dash-src');
      await form.getByLabel('Destination URI').fill('amqp://');
      await form.getByLabel('Destination queue').fill('dash-dst');
      await form.getByRole('button', { name: 'Add shovel' }).click();
      await textBecomes(status('added'), 'Shovel dash-move added.');
      expect((await api.get('/api/parameters/shovel/%2F/dash-move')).json.value).toEqual({ 'src-uri': 'amqp://', 'src-queue': 'dash-src', 'dest-uri': 'amqp://', 'dest-queue': 'dash-dst', 'ack-mode': 'on-confirm' });
      await textBecomes(rowOf('dash-move').locator('td[data-col="state"]'), 'running');
      await eventually(async () => ((await ch.checkQueue('dash-dst')).messageCount === 50 ? true : undefined));
      await screenshot(page, 'admin-shovels');

      // A refused value shows RabbitMQ's reason and stores nothing.
      await form.getByLabel('Name').fill('bad');
      await form.getByLabel('Destination URI').fill('foo://x');
      await form.getByRole('button', { name: 'Add shovel' }).click();
      await textBecomes(status('Could not add'), 'Could not add the shovel: "foo://x" not a valid URI: not an amqp:// or amqps:// URI');
      expect((await api.get('/api/parameters/shovel/%2F/bad')).status).toBe(404);

      await rowOf('dash-move').getByRole('button', { name: 'Restart' }).click();
      await textBecomes(status('restarted'), 'Shovel dash-move restarted.');
      const row = rowOf('dash-move');
      await row.getByRole('button', { name: 'Delete' }).click();
      await row.getByRole('button', { name: 'Confirm delete' }).click();
      await textBecomes(status('deleted'), 'Shovel dash-move deleted.');
      expect((await api.get('/api/shovels')).json).toEqual([]);
      await page.getByRole('cell', { name: 'No shovels.' }).waitFor();
    } finally {
      await conn.close();
    }
  }, 30_000);
});
