// The dashboard's single HTML page (served at /): header, login form and the view container the client fills in.
export const DASHBOARD_HTML = String.raw`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
<title>Warren</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="dashboard/style.css">
<script type="module" src="dashboard/app.js"></script>
</head>
<body>
<header class="top">
  <a class="brand" href="#/"><span class="logo" aria-hidden="true"></span>Warren</a>
  <span id="version" class="version"></span>
  <nav id="tabs" aria-label="Sections" hidden>
    <a href="#/" data-section="overview">Overview</a>
    <a href="#/connections" data-section="connections">Connections</a>
    <a href="#/channels" data-section="channels">Channels</a>
    <a href="#/exchanges" data-section="exchanges">Exchanges</a>
    <a href="#/queues" data-section="queues">Queues</a>
    <a href="#/bindings" data-section="bindings">Bindings</a>
    <a href="#/trace" data-section="trace">Trace</a>
    <a href="#/users" data-section="admin" id="admin-tab" hidden>Admin</a>
  </nav>
  <div id="session" class="session" hidden>
    <label>Virtual host <select id="vhost-filter"><option value="">All</option></select></label>
    <label>Refresh <select id="refresh-interval">
      <option value="1000">1 s</option>
      <option value="2000">2 s</option>
      <option value="5000">5 s</option>
      <option value="10000">10 s</option>
      <option value="0">paused</option>
    </select></label>
    <button type="button" id="refresh-now" class="ghost" aria-label="Refresh now" title="Refresh now">↻</button>
    <span class="updated" title="Last update"><span class="sr-only">Last updated at </span><span id="updated"></span></span>
    <span class="user"><span class="sr-only">Signed in as </span><strong id="whoami"></strong></span>
    <button type="button" id="logout" class="ghost">Log out</button>
  </div>
</header>
<p id="banner" class="banner error" role="alert" hidden></p>
<main>
  <section id="login" class="login" hidden>
    <form id="login-form" class="card" novalidate>
      <h1>Sign in to Warren</h1>
      <p class="hint">Use a broker user with the management or administrator tag.</p>
      <div class="field"><label for="login-username">Username</label><input id="login-username" name="username" autocomplete="username" spellcheck="false" required></div>
      <div class="field"><label for="login-password">Password</label><input id="login-password" name="password" type="password" autocomplete="current-password"></div>
      <div class="actions"><button type="submit" class="primary">Log in</button></div>
      <p id="login-error" class="status error" role="alert"></p>
    </form>
  </section>
  <div id="app" hidden><div id="view"></div></div>
  <noscript><p class="banner error">The dashboard needs JavaScript; the management API is at /api.</p></noscript>
</main>
</body>
</html>
`;
