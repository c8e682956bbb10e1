// The dashboard's Trace page in headless chromium: switch tracing on for a vhost, publish and consume with amqplib,
// see the publish and the delivery appear live (exchange, routing keys, queue, properties, headers, body), switch it
// off; leaving the page or closing the browser tab removes the broker's watch. Screenshot under test-output/dashboard.
import amqp from 'amqplib';
import type { Page } from 'playwright-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { useBroker } from '../support/broker.js';
import { MISSING, RUN_BROWSER, logIn, screenshot, textBecomes, useBrowser } from '../support/dashboard.js';
import { apiClient, eventually, type Api } from '../support/http.js';

if (!RUN_BROWSER) console.warn(`dashboard trace browser test skipped: ${MISSING}`);

describe.skipIf(!RUN_BROWSER)(RUN_BROWSER ? 'dashboard trace page in headless chromium' : `dashboard trace page (skipped: ${MISSING})`, () => {
  const broker = useBroker({ managementPort: 0 });
  const browser = useBrowser();
  let page: Page;
  let api: Api;
  const base = () => `http://localhost:${broker.current.managementPort}`;
  const watchers = () => broker.current.broker.traceListeners.size;
  const tracingOf = async (vhost: string) => ((await api.get('/api/vhosts/' + encodeURIComponent(vhost))).json as { tracing: boolean }).tracing;
  const noWatchers = () => eventually(async () => (watchers() === 0 ? true : undefined));

  beforeAll(async () => {
    page = browser.page;
    api = apiClient(base());
    await api.put('/api/vhosts/orders');
    await api.put('/api/permissions/orders/guest', { configure: '.*', write: '.*', read: '.*' });
    await logIn(page, base());
  });

  it('switches tracing on, shows publishes and deliveries of the chosen vhost live, switches it off', async () => {
    expect.hasAssertions();
    await page.getByRole('navigation', { name: 'Sections' }).getByRole('link', { name: 'Trace' }).click();
    await page.getByRole('heading', { name: 'Trace', exact: true }).waitFor();
    const firehose = page.getByRole('region', { name: 'Firehose' });
    await firehose.getByLabel('Virtual host').selectOption('orders');
    await textBecomes(firehose.getByRole('status').filter({ hasText: 'Watching' }), 'Watching orders: tracing is off, nothing is traced.');
    expect(watchers()).toBe(1);
    await textBecomes(firehose.locator('[data-stat="tracing"]'), 'off');

    await firehose.getByRole('button', { name: 'Start tracing' }).click();
    await textBecomes(page.getByRole('status').filter({ hasText: 'Tracing started' }), 'Tracing started in orders.');
    expect(await tracingOf('orders')).toBe(true);
    expect(await tracingOf('/')).toBe(false);
    await textBecomes(firehose.locator('[data-stat="tracing"]'), 'on');
    await textBecomes(firehose.getByRole('status').filter({ hasText: 'Watching' }), 'Watching orders.');

    const conn = await amqp.connect(broker.current.url + '/orders');
    const other = await amqp.connect(broker.current.url);
    try {
      const ch = await conn.createConfirmChannel();
      await ch.assertExchange('orders.events', 'topic', { durable: false });
      await ch.assertQueue('orders.created', { durable: false });
      await ch.bindQueue('orders.created', 'orders.events', 'order.*');
      ch.publish('orders.events', 'order.created', Buffer.from('{"id":42}'), { contentType: 'application/json', headers: { source: 'shop' }, CC: ['audit'] });
      await ch.waitForConfirms();
      // Another vhost's traffic does not show (it is not traced, and not this stream's).
      const och = await other.createChannel();
      await och.assertQueue('elsewhere', { durable: false });
      och.sendToQueue('elsewhere', Buffer.from('not shown'));

      const table = page.getByRole('table', { name: 'Traced messages' });
      const publishRow = table.locator('tr[data-seq="1"]');
      await textBecomes(publishRow.locator('td[data-col="type"]'), 'publish');
      await textBecomes(publishRow.locator('td[data-col="exchange"]'), 'orders.events');
      await textBecomes(publishRow.locator('td[data-col="routing-keys"]'), 'order.created, audit');
      await textBecomes(publishRow.locator('td[data-col="queue"]'), 'orders.created');
      await textBecomes(publishRow.locator('td[data-col="user"]'), 'guest');

      await ch.consume('orders.created', (m) => m && ch.ack(m));
      const deliverRow = table.locator('tr[data-seq="2"]');
      await textBecomes(deliverRow.locator('td[data-col="type"]'), 'deliver');
      await textBecomes(deliverRow.locator('td[data-col="queue"]'), 'orders.created');
      await deliverRow.locator('summary').click();
      await textBecomes(deliverRow.locator('pre[data-field="body"]'), '{"id":42}');
      const properties = JSON.parse((await deliverRow.locator('pre[data-field="properties"]').textContent()) ?? '');
      expect(properties).toEqual({ content_type: 'application/json', headers: { source: 'shop', CC: ['audit'] } });
      const headers = JSON.parse((await deliverRow.locator('pre[data-field="headers"]').textContent()) ?? '');
      expect(headers).toEqual({
        exchange_name: 'orders.events',
        routing_keys: ['order.created', 'audit'],
        node: 'warren@localhost',
        vhost: 'orders',
        connection: expect.stringMatching(/^127\.0\.0\.1:\d+ -> 127\.0\.0\.1:\d+$/),
        channel: 1,
        user: 'guest',
        redelivered: 0,
      });
      await textBecomes(firehose.locator('[data-stat="trace-counts"]'), '2 traced messages received · 0 dropped by the broker (this browser read too slowly)');
      expect(await table.locator('tbody tr').count()).toBe(2);
      await screenshot(page, 'trace');

      await firehose.getByRole('button', { name: 'Stop tracing' }).click();
      await textBecomes(page.getByRole('status').filter({ hasText: 'Tracing stopped' }), 'Tracing stopped in orders.');
      expect(await tracingOf('orders')).toBe(false);
      ch.publish('orders.events', 'order.created', Buffer.from('untraced'));
      await ch.waitForConfirms();
      await new Promise((r) => setTimeout(r, 300));
      expect(await table.locator('tbody tr').count()).toBe(2);
    } finally {
      await conn.close();
      await other.close();
    }
    expect(browser.errors).toEqual([]);
  });

  it('leaving the page, and closing the tab, end the broker-side watch', async () => {
    expect.hasAssertions();
    expect(watchers()).toBe(1);
    await page.getByRole('navigation', { name: 'Sections' }).getByRole('link', { name: 'Queues' }).click();
    await page.getByRole('heading', { name: 'Queues', exact: true }).waitFor();
    await noWatchers();

    // A second tab on the Trace page, then closed: its watch goes with it.
    const tab = await page.context().browser()!.newPage();
    await logIn(tab, base());
    await tab.getByRole('navigation', { name: 'Sections' }).getByRole('link', { name: 'Trace' }).click();
    await tab.getByRole('region', { name: 'Firehose' }).getByRole('status').filter({ hasText: 'Watching' }).waitFor();
    expect(watchers()).toBe(1);
    await tab.close();
    await noWatchers();
    await tab.context().close();
    expect(watchers()).toBe(0);
    expect(browser.errors).toEqual([]);
  });
});
