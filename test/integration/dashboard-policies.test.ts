// The dashboard's Policies page in headless chromium: add a user policy and an operator policy through the form, see
// them listed, edit one, see a queue's and an exchange's pages show the policy in force and the merged definition,
// delete them. Each change is checked through the API; screenshots under test-output/dashboard.
import amqp from 'amqplib';
import type { Page } from 'playwright-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { useBroker } from '../support/broker.js';
import { MISSING, RUN_BROWSER, logIn, screenshot, textBecomes, useBrowser } from '../support/dashboard.js';
import { apiClient, type Api } from '../support/http.js';

if (!RUN_BROWSER) console.warn(`dashboard policies browser test skipped: ${MISSING}`);

describe.skipIf(!RUN_BROWSER)(RUN_BROWSER ? 'dashboard policies page in headless chromium' : `dashboard policies page (skipped: ${MISSING})`, () => {
  const broker = useBroker({ managementPort: 0 });
  const browser = useBrowser();
  let page: Page;
  let api: Api;
  const base = () => `http://localhost:${broker.current.managementPort}`;
  const region = (name: string) => page.getByRole('region', { name });
  const status = (text: string) => page.getByRole('status').filter({ hasText: text });
  const rowOf = (table: string, cell: string) => page.getByRole('table', { name: table, exact: true }).getByRole('row').filter({ has: page.getByRole('cell', { name: cell, exact: true }) });

  beforeAll(async () => {
    page = browser.page;
    api = apiClient(base());
    await logIn(page, base());
  });

  it('adds, lists, edits and deletes policies and operator policies; queue and exchange pages show the policy in force', async () => {
    expect.hasAssertions();
    const conn = await amqp.connect(broker.current.url);
    try {
      const ch = await conn.createChannel();
      await ch.assertQueue('orders.new', { durable: false });
      await ch.assertExchange('orders.events', 'topic', { durable: false });

      await page.goto(base() + '/#/policies');
      await page.getByRole('heading', { name: 'Policies', exact: true }).first().waitFor();
      const form = region('Add or edit a policy');
      await form.getByLabel('Name').fill('orders-cap');
      await form.getByLabel('Pattern').fill('^orders\\.');
      await form.getByLabel('Priority').fill('3');
      await form.getByLabel('Definition').fill('{"max-length": 100, "message-ttl": 60000}');
      await form.getByRole('button', { name: 'Save policy' }).click();
      await textBecomes(status('saved'), 'Policy orders-cap saved.');
      expect((await api.get('/api/policies/%2F/orders-cap')).json).toEqual({
        vhost: '/',
        name: 'orders-cap',
        pattern: '^orders\\.',
        'apply-to': 'all',
        definition: { 'max-length': 100, 'message-ttl': 60000 },
        priority: 3,
      });
      await textBecomes(rowOf('Policies', 'orders-cap').locator('td[data-col="definition"]'), '{"max-length":100,"message-ttl":60000}');

      // A refused definition shows the broker's reason and stores nothing.
      await form.getByLabel('Name').fill('bad');
      await form.getByLabel('Definition').fill('{"max-length": -1}');
      await form.getByRole('button', { name: 'Save policy' }).click();
      await textBecomes(status('Could not save'), 'Could not save the policy: -1 is not a valid maximum length');
      expect((await api.get('/api/policies/%2F/bad')).status).toBe(404);

      // An operator policy through the same form.
      await form.getByLabel('Kind').selectOption('operator-policies');
      await form.getByLabel('Name').fill('cap-all');
      await form.getByLabel('Pattern').fill('.*');
      await form.getByLabel('Apply to').selectOption('queues');
      await form.getByLabel('Priority').fill('0');
      await form.getByLabel('Definition').fill('{"max-length": 10}');
      await form.getByRole('button', { name: 'Save policy' }).click();
      await textBecomes(status('saved'), 'Operator policy cap-all saved.');
      expect((await api.get('/api/operator-policies/%2F/cap-all')).json.definition).toEqual({ 'max-length': 10 });
      await rowOf('Operator policies', 'cap-all').waitFor();
      await screenshot(page, 'admin-policies');

      // Edit: the row's Edit button fills the form.
      await rowOf('Policies', 'orders-cap').getByRole('button', { name: 'Edit' }).click();
      expect(await form.getByLabel('Kind').inputValue()).toBe('policies');
      expect(await form.getByLabel('Pattern').inputValue()).toBe('^orders\\.');
      await form.getByLabel('Definition').fill('{"max-length": 50, "alternate-exchange": "unrouted"}');
      await form.getByRole('button', { name: 'Save policy' }).click();
      await textBecomes(status('saved'), 'Policy orders-cap saved.');
      expect((await api.get('/api/policies/%2F/orders-cap')).json.definition).toEqual({ 'alternate-exchange': 'unrouted', 'max-length': 50 });

      // The queue's page shows both policies and the merged definition (the operator's lower max-length).
      await page.goto(base() + '/#/queues/%2F/orders.new');
      await textBecomes(page.locator('[data-stat="policy"]'), 'orders-cap');
      await textBecomes(page.locator('[data-stat="operator-policy"]'), 'cap-all');
      await textBecomes(page.locator('[data-stat="effective-policy"]'), '{"alternate-exchange":"unrouted","max-length":10}');
      await screenshot(page, 'queue-policy');
      await page.goto(base() + '/#/exchanges/%2F/orders.events');
      await textBecomes(page.locator('[data-stat="policy"]'), 'orders-cap');

      // Delete both.
      await page.goto(base() + '/#/policies');
      for (const [table, name, text] of [['Policies', 'orders-cap', 'Policy orders-cap deleted.'], ['Operator policies', 'cap-all', 'Operator policy cap-all deleted.']] as const) {
        const row = rowOf(table, name);
        await row.getByRole('button', { name: 'Delete' }).click();
        await row.getByRole('button', { name: 'Confirm delete' }).click();
        await textBecomes(status('deleted'), text);
        await expect.poll(() => rowOf(table, name).count()).toBe(0);
      }
      expect((await api.get('/api/policies')).json).toEqual([]);
      expect((await api.get('/api/operator-policies')).json).toEqual([]);
      await page.goto(base() + '/#/queues/%2F/orders.new');
      await textBecomes(page.locator('[data-stat="policy"]'), 'none');
      expect(browser.errors).toEqual([]);
    } finally {
      await conn.close();
    }
  });
});
