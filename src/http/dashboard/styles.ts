// The dashboard's stylesheet (served at /dashboard/style.css): light and dark themes, cards, tables, forms and charts.
export const DASHBOARD_CSS = String.raw`:root {
  --bg: #f4f5f7;
  --panel: #ffffff;
  --text: #1d2330;
  --muted: #5f6b7a;
  --border: #dde1e7;
  --stripe: #f8f9fb;
  --accent: #0f766e;
  --accent-text: #ffffff;
  --top: #17212b;
  --top-text: #e8edf2;
  --danger: #b42318;
  --ok: #067647;
  --warn: #a15c07;
  --s0: #0f766e;
  --s1: #d97706;
  --s2: #6d28d9;
  --s3: #2563eb;
  --radius: 8px;
  font-family: system-ui, -apple-system, 'Segoe UI', Roboto, 'Helvetica Neue', Arial, sans-serif;
  font-size: 14px;
  color: var(--text);
  background: var(--bg);
}

@media (prefers-color-scheme: dark) {
  :root {
    --bg: #0f141a;
    --panel: #171e26;
    --text: #e3e8ee;
    --muted: #97a3b2;
    --border: #2a3440;
    --stripe: #1b232c;
    --accent: #2dd4bf;
    --accent-text: #06201d;
    --top: #0a0e13;
    --danger: #f97066;
    --ok: #47cd89;
    --warn: #fdb022;
    --s0: #2dd4bf;
    --s1: #fbbf24;
    --s2: #a78bfa;
    --s3: #60a5fa;
  }
}

* { box-sizing: border-box; }
[hidden] { display: none !important; }
.sr-only { position: absolute; width: 1px; height: 1px; padding: 0; margin: -1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; border: 0; }
body { margin: 0; min-height: 100vh; }
a { color: var(--accent); }
code, pre, .mono { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 0.92em; }
h1 { font-size: 1.45rem; margin: 0; word-break: break-all; }
h2 { font-size: 0.8rem; text-transform: uppercase; letter-spacing: 0.06em; color: var(--muted); margin: 0 0 0.75rem; }
h3 { font-size: 0.95rem; margin: 0 0 0.5rem; }

/* ---- header */
.top {
  display: flex; flex-wrap: wrap; align-items: center; gap: 0.5rem 1rem;
  padding: 0.6rem 1.25rem; background: var(--top); color: var(--top-text);
}
.brand { display: flex; align-items: center; gap: 0.5rem; font-weight: 700; font-size: 1.1rem; color: inherit; text-decoration: none; }
.logo { width: 1.1rem; height: 1.1rem; border-radius: 50% 50% 4px 4px; background: linear-gradient(160deg, #2dd4bf, #0f766e); }
.version { color: #97a3b2; font-size: 0.85rem; }
#tabs { display: flex; gap: 0.25rem; flex-wrap: wrap; }
#tabs a { color: var(--top-text); text-decoration: none; padding: 0.35rem 0.7rem; border-radius: 999px; opacity: 0.8; }
#tabs a:hover { opacity: 1; background: rgba(255, 255, 255, 0.08); }
#tabs a[aria-current='page'] { opacity: 1; background: rgba(45, 212, 191, 0.18); color: #5eead4; font-weight: 600; }
.session { margin-left: auto; display: flex; flex-wrap: wrap; align-items: center; gap: 0.5rem 0.75rem; font-size: 0.85rem; }
.user::before { content: ''; display: inline-block; width: 0.5rem; height: 0.5rem; border-radius: 50%; background: #47cd89; margin-right: 0.4rem; vertical-align: middle; }
.session label { display: flex; align-items: center; gap: 0.35rem; color: #97a3b2; }
.session select { background: #222d38; color: var(--top-text); border-color: #33414f; }
.updated { color: #97a3b2; font-variant-numeric: tabular-nums; }
.top .ghost { color: var(--top-text); border-color: #33414f; }

/* ---- layout */
main { padding: 1.25rem; max-width: 1500px; margin: 0 auto; }
.page-head { display: flex; flex-wrap: wrap; align-items: center; gap: 0.75rem 1rem; margin: 0.25rem 0 1rem; }
.page-head h1 { margin-right: auto; }
.crumbs { color: var(--muted); font-size: 0.85rem; }
.subnav { display: flex; gap: 0.25rem; flex-wrap: wrap; margin-bottom: 0.75rem; }
.subnav a { text-decoration: none; color: var(--muted); padding: 0.3rem 0.7rem; border-radius: 6px; border: 1px solid var(--border); background: var(--panel); }
.subnav a[aria-current='page'] { color: var(--accent); border-color: var(--accent); font-weight: 600; }
.row-actions { display: flex; gap: 0.35rem; justify-content: flex-end; }
.toolbar { display: flex; align-items: center; gap: 0.5rem; flex-wrap: wrap; }
.cards { display: grid; gap: 1rem; margin-bottom: 1rem; }
.cards.two { grid-template-columns: repeat(auto-fit, minmax(min(100%, 460px), 1fr)); }
.card { background: var(--panel); border: 1px solid var(--border); border-radius: var(--radius); padding: 1rem 1.1rem; margin-bottom: 1rem; min-width: 0; }
.cards > .card { margin-bottom: 0; }
.card.flush { padding: 0; overflow: hidden; }
details.card > summary { cursor: pointer; font-weight: 600; }
details.card[open] > summary { margin-bottom: 0.75rem; }
.scroll { overflow-x: auto; }

/* ---- banner and statuses */
.banner { margin: 0; padding: 0.6rem 1.25rem; }
.banner.error { background: #fef3f2; color: #912018; border-bottom: 1px solid #fecdca; }
main .banner { border-radius: var(--radius); border: 1px solid #fecdca; margin-bottom: 1rem; }
.status { margin: 0; min-height: 1.2em; color: var(--muted); }
.status.ok { color: var(--ok); }
.status.warn { color: var(--warn); }
.status.error { color: var(--danger); }
.hint { color: var(--muted); font-size: 0.85rem; margin: 0; }

/* ---- stats */
dl { margin: 0; }
.stats { display: grid; grid-template-columns: repeat(auto-fill, minmax(110px, 1fr)); gap: 0.5rem; margin-bottom: 0.75rem; }
.stats > div { background: var(--stripe); border: 1px solid var(--border); border-radius: 6px; padding: 0.5rem 0.65rem; }
.stats dt { color: var(--muted); font-size: 0.78rem; }
.stats dd { margin: 0.1rem 0 0; font-size: 1.35rem; font-weight: 600; font-variant-numeric: tabular-nums; }
.kv > div { display: grid; grid-template-columns: minmax(7rem, 11rem) 1fr; gap: 0.75rem; padding: 0.3rem 0; border-bottom: 1px solid var(--border); }
.kv > div:last-child { border-bottom: 0; }
.kv dt { color: var(--muted); }
.kv dd { margin: 0; min-width: 0; overflow-wrap: anywhere; }

/* ---- tables */
table.grid { width: 100%; border-collapse: collapse; font-variant-numeric: tabular-nums; }
.grid th, .grid td { text-align: left; padding: 0.45rem 0.75rem; border-bottom: 1px solid var(--border); vertical-align: top; }
.grid th { font-size: 0.75rem; text-transform: uppercase; letter-spacing: 0.04em; color: var(--muted); font-weight: 600; background: var(--stripe); white-space: nowrap; }
.grid tbody tr:hover { background: var(--stripe); }
.grid tbody tr:last-child td { border-bottom: 0; }
.grid td[data-col='name'] { overflow-wrap: break-word; min-width: 9rem; }
.grid .num { text-align: right; white-space: nowrap; }
.grid tr.empty td { color: var(--muted); text-align: center; padding: 1.25rem; }
.card:not(.flush) .grid th { background: transparent; }
.badge { display: inline-block; font-size: 0.72rem; font-weight: 600; padding: 0.05rem 0.35rem; border-radius: 4px; background: var(--stripe); border: 1px solid var(--border); color: var(--muted); text-decoration: none; }
.features { display: inline-flex; gap: 0.25rem; flex-wrap: wrap; }

/* ---- forms */
input, select, textarea, button { font: inherit; color: inherit; }
input[type='text'], input[type='password'], input[type='search'], input[type='number'], input:not([type]), select, textarea {
  background: var(--panel); border: 1px solid var(--border); border-radius: 6px; padding: 0.4rem 0.55rem; min-width: 0;
}
textarea { width: 100%; resize: vertical; font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 0.9em; }
input:focus-visible, select:focus-visible, textarea:focus-visible, button:focus-visible, a:focus-visible { outline: 2px solid var(--accent); outline-offset: 1px; }
.form { display: flex; flex-direction: column; gap: 0.7rem; }
.field { display: flex; flex-direction: column; gap: 0.25rem; flex: 1; min-width: 0; }
.field > label { font-weight: 600; font-size: 0.85rem; }
.field input, .field select { width: 100%; }
.row { display: flex; gap: 0.75rem; flex-wrap: wrap; }
.row > .field { min-width: 8rem; }
.row.checks { gap: 1.25rem; }
.check { display: inline-flex; align-items: center; gap: 0.35rem; }
.actions { display: flex; align-items: center; gap: 0.75rem; flex-wrap: wrap; }
.filter { width: 16rem; max-width: 100%; }
button { cursor: pointer; border-radius: 6px; border: 1px solid var(--border); background: var(--panel); padding: 0.4rem 0.85rem; font-weight: 600; }
button:hover { border-color: var(--muted); }
button:disabled { opacity: 0.6; cursor: progress; }
button.primary { background: var(--accent); border-color: var(--accent); color: var(--accent-text); }
button.danger { color: var(--danger); border-color: currentColor; background: transparent; }
button.danger.armed { background: var(--danger); border-color: var(--danger); color: #fff; }
button.ghost { background: transparent; }
button.small { padding: 0.15rem 0.55rem; font-size: 0.8rem; }

/* ---- fetched messages */
.messages { display: flex; flex-direction: column; gap: 0.75rem; }
.message { border: 1px solid var(--border); border-radius: 6px; padding: 0.75rem; background: var(--stripe); }
.message pre { margin: 0.25rem 0 0; white-space: pre-wrap; overflow-wrap: anywhere; max-height: 20rem; overflow: auto; }
.payload { background: var(--panel); border: 1px solid var(--border); border-radius: 4px; padding: 0.5rem; }

/* ---- traced messages (the Trace page) */
.trace-vhost .field { max-width: 22rem; }
.grid td[data-col='message'] { min-width: 16rem; max-width: 40rem; }
.grid td[data-col='message'] summary { cursor: pointer; overflow-wrap: anywhere; }
.grid td[data-col='message'] pre { margin: 0; white-space: pre-wrap; overflow-wrap: anywhere; max-height: 16rem; overflow: auto; }

/* ---- charts */
.chart-box { margin: 0; }
.chart-box figcaption { font-size: 0.8rem; color: var(--muted); margin-bottom: 0.25rem; }
.chart { width: 100%; height: auto; display: block; }
.chart .grid { stroke: var(--border); stroke-width: 1; }
.chart .axis { stroke: var(--muted); stroke-width: 1; }
.chart .tick { fill: var(--muted); font-size: 11px; }
.chart .line { fill: none; stroke-width: 2; stroke-linejoin: round; stroke-linecap: round; }
.chart .s0 { stroke: var(--s0); }
.chart .s1 { stroke: var(--s1); }
.chart .s2 { stroke: var(--s2); }
.chart .s3 { stroke: var(--s3); }
.legend { list-style: none; display: flex; flex-wrap: wrap; gap: 0.35rem 1.25rem; padding: 0; margin: 0.4rem 0 0; font-size: 0.85rem; color: var(--muted); }
.legend strong { color: var(--text); font-variant-numeric: tabular-nums; }
.swatch { display: inline-block; width: 0.8rem; height: 0.3rem; border-radius: 2px; margin-right: 0.35rem; vertical-align: middle; }
.swatch.s0 { background: var(--s0); }
.swatch.s1 { background: var(--s1); }
.swatch.s2 { background: var(--s2); }
.swatch.s3 { background: var(--s3); }

/* ---- login */
.login { display: flex; justify-content: center; padding-top: 8vh; }
.login form { width: min(100%, 380px); display: flex; flex-direction: column; gap: 0.8rem; padding: 1.5rem; }
.login input { width: 100%; }
.login .actions button { width: 100%; padding: 0.55rem; }
`;
