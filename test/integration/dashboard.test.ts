// The web dashboard in a real headless browser (Debian's chromium driven by playwright-core): log in, see a queue
// declared over AMQP, publish to it from the page, watch its depth change, get the message back, purge and delete.
// Browser, skipping and screenshots (test-output/dashboard/queue.png) as test/support/dashboard.ts describes.
import amqp from 'amqplib';
import type { Page } from 'playwright-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { useBroker } from '../support/broker.js';
import { HAVE_CHROMIUM, MISSING, RUN_BROWSER, screenshot, textBecomes, useBrowser } from '../support/dashboard.js';

if (!RUN_BROWSER) console.warn(`dashboard browser test skipped: ${MISSING}`);

describe.skipIf(!RUN_BROWSER)(HAVE_CHROMIUM ? 'web dashboard in headless chromium' : `web dashboard (skipped: ${MISSING})`, () => {
  const broker = useBroker({ managementPort: 0 });
  const browser = useBrowser();
  const pageErrors = browser.errors;
  const base = () => `http://localhost:${broker.current.managementPort}`;
  let page: Page;
  beforeAll(() => {
    page = browser.page;
  });

  it('serves the page and its assets without credentials, with a content security policy', async () => {
    const html = await fetch(`${base()}/`);
    expect(html.status).toBe(200);
    expect(html.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(html.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect(await html.text()).toContain('<script type="module" src="dashboard/app.js"></script>');
    const js = await fetch(`${base()}/dashboard/app.js`);
    expect(js.status).toBe(200);
    expect(js.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    const css = await fetch(`${base()}/dashboard/style.css`);
    expect(css.headers.get('content-type')).toBe('text/css; charset=utf-8');
    // The API keeps its own answers: 401 without credentials, 404 for unknown paths.
    expect((await fetch(`${base()}/api/overview`)).status).toBe(401);
    expect((await fetch(`${base()}/dashboard/missing.js`)).status).toBe(404);
  });

  it('logs in, shows a declared queue, publishes to it, sees the depth change, gets, purges and deletes it', async () => {
    const queue = 'dashboard.orders';
    const payload = 'hello from the dashboard <b>not bold</b>';
    const conn = await amqp.connect(broker.current.url, { clientProperties: { connection_name: 'dashboard-test' } });
    try {
      const ch = await conn.createChannel();
      await ch.assertQueue(queue, { durable: false });

      await page.goto(base());
      // A wrong password is refused with the API's reason and no browser prompt.
      await page.getByLabel('Username').fill('guest');
      await page.getByLabel('Password').fill('wrong');
      await page.getByRole('button', { name: 'Log in' }).click();
      await textBecomes(page.locator('#login-error'), 'Login failed: wrong username or password.');
      await page.getByLabel('Password').fill('guest');
      await page.getByRole('button', { name: 'Log in' }).click();
      await textBecomes(page.locator('#whoami'), 'guest');
      await textBecomes(page.locator('[data-stat="queues"]'), '1');

      // The queue declared over AMQP is listed, empty.
      await page.getByRole('navigation', { name: 'Sections' }).getByRole('link', { name: 'Queues' }).click();
      const row = page.getByRole('table', { name: 'Queues' }).getByRole('row').filter({ has: page.getByRole('link', { name: queue, exact: true }) });
      await textBecomes(row.locator('td[data-col="ready"]'), '0');

      // Publish through the default exchange with the queue's name as routing key.
      await page.getByRole('navigation', { name: 'Sections' }).getByRole('link', { name: 'Exchanges' }).click();
      await page.getByRole('link', { name: '(AMQP default)' }).click();
      await page.getByRole('heading', { name: '(AMQP default)' }).waitFor();
      await page.getByLabel('Routing key').fill(queue);
      await page.getByLabel('Payload', { exact: true }).fill(payload);
      await page.getByRole('button', { name: 'Publish message' }).click();
      await textBecomes(page.getByRole('status').filter({ hasText: 'published' }), 'Message published.');
      expect((await ch.checkQueue(queue)).messageCount).toBe(1);

      // The queues view shows the new depth.
      await page.getByRole('navigation', { name: 'Sections' }).getByRole('link', { name: 'Queues' }).click();
      await textBecomes(row.locator('td[data-col="ready"]'), '1');
      await textBecomes(row.locator('td[data-col="total"]'), '1');

      // Peek at it from the queue's page: the payload shows as text (not HTML), and the message stays queued.
      await row.getByRole('link', { name: queue, exact: true }).click();
      await page.getByRole('heading', { name: queue }).waitFor();
      await textBecomes(page.locator('[data-stat="ready"]'), '1');
      await page.getByRole('button', { name: 'Get messages' }).click();
      const message = page.getByRole('article', { name: 'Message 1' });
      await textBecomes(message.locator('pre.payload'), payload);
      expect(await message.locator('b').count()).toBe(0);
      await textBecomes(page.getByRole('status').filter({ hasText: 'Fetched' }), 'Fetched 1 message, then requeued.');
      expect((await ch.checkQueue(queue)).messageCount).toBe(1);

      await screenshot(page, 'queue');

      // Purge (a second click confirms), then delete.
      await page.getByRole('button', { name: 'Purge messages' }).click();
      await page.getByRole('button', { name: 'Confirm purge' }).click();
      await textBecomes(page.locator('[data-stat="ready"]'), '0');
      expect((await ch.checkQueue(queue)).messageCount).toBe(0);
      await page.getByRole('button', { name: 'Delete queue' }).click();
      await page.getByRole('button', { name: 'Confirm delete' }).click();
      await page.waitForURL(/#\/queues$/);
      await page.getByRole('table', { name: 'Queues' }).getByText('No queues yet.').waitFor();
      const check = await conn.createChannel();
      check.on('error', () => {});
      await expect(check.checkQueue(queue)).rejects.toThrow(/NOT_FOUND/);
    } finally {
      await conn.close().catch(() => {});
    }
    expect(pageErrors).toEqual([]);
  });

  it('shows a stream\'s segments and offsets, and each consumer\'s offset and lag', async () => {
    const stream = 'dashboard.events';
    const conn = await amqp.connect(broker.current.url);
    try {
      const pub = await conn.createConfirmChannel();
      await pub.assertQueue(stream, { durable: true, arguments: { 'x-queue-type': 'stream' } });
      for (let i = 0; i < 3; i++) pub.sendToQueue(stream, Buffer.from(`e${i}`));
      await pub.waitForConfirms();
      const reader = await conn.createChannel();
      await reader.prefetch(1);
      const first = new Promise<void>((resolve) => void reader.consume(stream, () => resolve(), { arguments: { 'x-stream-offset': 'first' } }));
      await first;

      await page.goto(`${base()}/#/queues/${encodeURIComponent('/')}/${encodeURIComponent(stream)}`);
      await page.getByRole('heading', { name: stream }).waitFor();
      const details = page.locator('dl.kv');
      await expect.poll(async () => details.textContent(), { timeout: 10_000 }).toContain('stream');
      await expect.poll(async () => details.textContent(), { timeout: 10_000 }).toContain('0 – 3');
      const row = page.getByRole('table', { name: 'Consumers' }).getByRole('row').nth(1);
      await textBecomes(row.locator('td[data-col="offset"]'), '0');
      await textBecomes(row.locator('td[data-col="lag"]'), '2');
      await textBecomes(page.locator('[data-stat="total"]'), '3');
    } finally {
      await conn.close().catch(() => {});
    }
    expect(pageErrors).toEqual([]);
  });

  it('lists connections, channels, exchanges and bindings, live', async () => {
    const conn = await amqp.connect(broker.current.url, { clientProperties: { connection_name: 'dashboard-live' } });
    try {
      const ch = await conn.createChannel();
      await ch.assertExchange('dashboard.events', 'topic', { durable: false });
      await ch.assertQueue('dashboard.audit', { durable: false });
      await ch.bindQueue('dashboard.audit', 'dashboard.events', 'order.#');
      await ch.consume('dashboard.audit', () => {}, { noAck: false });

      const nav = page.getByRole('navigation', { name: 'Sections' });
      await nav.getByRole('link', { name: 'Connections' }).click();
      await page.getByRole('table', { name: 'Connections' }).getByText('dashboard-live').waitFor();

      await nav.getByRole('link', { name: 'Channels' }).click();
      const channel = page.getByRole('table', { name: 'Channels' }).getByRole('row').filter({ hasText: '(1)' });
      await textBecomes(channel.locator('td[data-col="consumers"]'), '1');

      await nav.getByRole('link', { name: 'Exchanges' }).click();
      await page.getByRole('table', { name: 'Exchanges' }).getByRole('link', { name: 'dashboard.events' }).waitFor();

      await nav.getByRole('link', { name: 'Bindings' }).click();
      const binding = page.getByRole('table', { name: 'Bindings' }).getByRole('row').filter({ hasText: 'dashboard.audit' });
      await textBecomes(binding.locator('td[data-col="key"]'), 'order.#');

      await nav.getByRole('link', { name: 'Queues' }).click();
      const row = page.getByRole('table', { name: 'Queues' }).getByRole('row').filter({ has: page.getByRole('link', { name: 'dashboard.audit' }) });
      await textBecomes(row.locator('td[data-col="consumers"]'), '1');

      // Declaring a queue from the page; the name filter narrows the list.
      await page.getByText('Add a queue').click();
      await page.getByLabel('Queue name').fill('dashboard.made-here');
      await page.getByRole('button', { name: 'Add queue' }).click();
      await textBecomes(page.getByRole('status').filter({ hasText: 'declared' }), 'Queue dashboard.made-here declared.');
      expect((await ch.checkQueue('dashboard.made-here')).messageCount).toBe(0);
      await page.getByLabel('Filter queues').fill('made-here');
      await expect.poll(() => page.getByRole('table', { name: 'Queues' }).locator('tbody tr').count()).toBe(1);
      await page.getByRole('table', { name: 'Queues' }).getByRole('link', { name: 'dashboard.made-here' }).waitFor();

      // Closing the consumer's connection from the page updates the queue's consumer count.
      const closed = new Promise<void>((resolve) => conn.once('close', () => resolve()));
      conn.on('error', () => {});
      await nav.getByRole('link', { name: 'Connections' }).click();
      const connRow = page.getByRole('table', { name: 'Connections' }).getByRole('row').filter({ hasText: 'dashboard-live' });
      await connRow.getByRole('button', { name: 'Close' }).click();
      await connRow.getByRole('button', { name: 'Confirm close' }).click();
      await closed;
      await page.getByRole('table', { name: 'Connections' }).getByText('No connections.').waitFor();

      await nav.getByRole('link', { name: 'Overview' }).click();
      await textBecomes(page.locator('[data-stat="consumers"]'), '0');
      await page.getByRole('img', { name: /Queued messages/ }).waitFor();
    } finally {
      await conn.close().catch(() => {});
    }
    expect(pageErrors).toEqual([]);
  });
});
