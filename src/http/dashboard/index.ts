// The web dashboard: one HTML page, one browser ES module and one stylesheet, served as text by the management port.
// The page itself carries no data and needs no credentials; everything it shows comes from the authenticated API.
import type { Reply } from '../http-kit.js';
import { DASHBOARD_JS } from './client.js';
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

const HTML = { text: DASHBOARD_HTML, contentType: 'text/html; charset=utf-8' };

const ASSETS: ReadonlyMap<string, { text: string; contentType: string }> = new Map([
  ['/', HTML],
  ['/index.html', HTML],
  ['/dashboard/app.js', { text: DASHBOARD_JS, contentType: 'text/javascript; charset=utf-8' }],
  ['/dashboard/style.css', { text: DASHBOARD_CSS, contentType: 'text/css; charset=utf-8' }],
]);

/** The reply for a GET or HEAD of one of the dashboard's paths; undefined for every other request (the API's). */
export function dashboardReply(method: string, pathname: string): Reply | undefined {
  if (method !== 'GET' && method !== 'HEAD') return undefined;
  const asset = ASSETS.get(pathname);
  if (!asset) return undefined;
  return { status: 200, text: asset.text, contentType: asset.contentType, headers: { ...SECURITY_HEADERS } };
}
