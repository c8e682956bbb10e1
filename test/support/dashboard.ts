// The web dashboard in a real headless browser for tests: Debian's chromium driven by playwright-core, one page per
// test file, page errors collected, screenshots written to the test output dir (test-output/dashboard, or
// $WARREN_TEST_OUTPUT/dashboard). `make test` installs chromium; without it the files are skipped, unless
// WARREN_REQUIRE_CHROMIUM=1 (then they fail). WARREN_CHROMIUM=PATH picks another binary.
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type Locator, type Page } from 'playwright-core';
import { afterAll, beforeAll, expect } from 'vitest';

export const CHROMIUM = process.env.WARREN_CHROMIUM ?? '/usr/bin/chromium';
export const HAVE_CHROMIUM = existsSync(CHROMIUM);
export const REQUIRE_CHROMIUM = process.env.WARREN_REQUIRE_CHROMIUM === '1';
export const MISSING = `${CHROMIUM} is missing (apt-get install chromium, or run make test, which installs it)`;
/** Whether a dashboard test file runs (describe.skipIf(!RUN_BROWSER)). */
export const RUN_BROWSER = HAVE_CHROMIUM || REQUIRE_CHROMIUM;

const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** Where screenshots go. */
export const OUTPUT_DIR = join(process.env.WARREN_TEST_OUTPUT ?? join(import.meta.dirname, '..', '..', 'test-output'), 'dashboard');

/** Waits until a locator's trimmed text equals `expected` (the page polls the API every second or two). */
export async function textBecomes(locator: Locator, expected: string, timeout = 10_000): Promise<void> {
  await expect.poll(async () => ((await locator.count()) > 0 ? (await locator.first().textContent())?.trim() : undefined), { timeout, interval: 100 }).toBe(expected);
}

export interface BrowserFixture {
  readonly page: Page;
  /** Page errors and console errors so far (a test ends with expect(errors).toEqual([])). */
  readonly errors: string[];
}

/** Launches chromium with one 1440×1000 page before the file's tests and closes it after. */
export function useBrowser(): BrowserFixture {
  let browser: Browser | undefined;
  const fixture = { page: undefined as unknown as Page, errors: [] as string[] };
  beforeAll(async () => {
    if (!HAVE_CHROMIUM) throw new Error(`WARREN_REQUIRE_CHROMIUM=1 but ${MISSING}`);
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
    const page = await browser.newPage({ viewport: { width: 1440, height: 1000 }, acceptDownloads: true });
    page.setDefaultTimeout(10_000);
    page.on('pageerror', (e) => fixture.errors.push(`pageerror: ${e.message}`));
    // Chrome logs every non-2xx fetch as "Failed to load resource"; some tests cause one on purpose.
    page.on('console', (m) => {
      if (m.type() === 'error' && !m.text().startsWith('Failed to load resource')) fixture.errors.push(`console: ${m.text()}`);
    });
    fixture.page = page;
  });
  afterAll(async () => {
    await browser?.close();
  });
  return fixture;
}

/** Opens the dashboard at `base` and signs in. */
export async function logIn(page: Page, base: string, user = 'guest', password = 'guest'): Promise<void> {
  await page.goto(base);
  await page.getByLabel('Username').fill(user);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Log in' }).click();
  // A locator wait rather than expect.poll, so that it also works in beforeAll.
  await page.locator('#whoami').filter({ hasText: new RegExp(`^${user.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`) }).waitFor();
}

/** Saves a full-page screenshot as OUTPUT_DIR/<name>.png and returns its path. */
export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(OUTPUT_DIR, { recursive: true });
  const path = join(OUTPUT_DIR, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  return path;
}
