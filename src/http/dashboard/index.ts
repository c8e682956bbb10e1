// The web dashboard: one HTML page, one browser ES module and one stylesheet, served as text by the management port.
// The page itself carries no data and needs no credentials; everything it shows comes from the authenticated API.
// The module is app/*.ts bundled by esbuild into dist/dashboard/app.js (npm run build), read once from there.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Reply } from '../http-kit.js';
import { DASHBOARD_HTML } from './page.js';
import { DASHBOARD_CSS } from './styles.js';

/** Same-origin scripts, styles and API calls only; no framing (the page has destructive buttons). */
const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'content-security-policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
};

/** Where the bundle is, relative to the package root. */
export const DASHBOARD_BUNDLE = join('dist', 'dashboard', 'app.js');

/** The package root: the nearest folder above this module with a package.json (from src/, dist/src/ or dist/bundle/). */
function packageRoot(): string | undefined {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    const up = dirname(dir);
    if (up === dir) return undefined;
    dir = up;
  }
}

let script: string | undefined;

/** The bundled module's text, read on first request (a missing bundle gives a one-line script that says so). */
function appScript(): string {
  if (script !== undefined) return script;
  const root = packageRoot();
  const file = root === undefined ? undefined : join(root, DASHBOARD_BUNDLE);
  try {
    if (file === undefined) throw new Error('no package root');
    script = readFileSync(file, 'utf8');
  } catch {
    // Not cached: a build while the broker runs fixes it without a restart.
    return `document.body.textContent = ${JSON.stringify(`The dashboard is not built (${DASHBOARD_BUNDLE} is missing): run npm run build. The management API is at /api.`)};\n`;
  }
  return script;
}

type Asset = { text: () => string; contentType: string };

const HTML: Asset = { text: () => DASHBOARD_HTML, contentType: 'text/html; charset=utf-8' };

const ASSETS: ReadonlyMap<string, Asset> = new Map([
  ['/', HTML],
  ['/index.html', HTML],
  ['/dashboard/app.js', { text: appScript, contentType: 'text/javascript; charset=utf-8' }],
  ['/dashboard/style.css', { text: () => DASHBOARD_CSS, contentType: 'text/css; charset=utf-8' }],
]);

/** The reply for a GET or HEAD of one of the dashboard's paths; undefined for every other request (the API's). */
export function dashboardReply(method: string, pathname: string): Reply | undefined {
  if (method !== 'GET' && method !== 'HEAD') return undefined;
  const asset = ASSETS.get(pathname);
  if (!asset) return undefined;
  return { status: 200, text: asset.text(), contentType: asset.contentType, headers: { ...SECURITY_HEADERS } };
}
