#!/usr/bin/env node
// The client compatibility matrix: runs one scenario program per real AMQP client library against a broker
// and prints, per client, its language, the version tested and how many scenarios passed.
//
//   node conformance/clients/run-matrix.mjs [--update-readme] [--only amqplib,pika]
//
// Without AMQP_URL it starts a Warren (bin/warren, from dist/: build first) on free ports with a fresh data
// directory; with AMQP_URL=amqp://user:pass@host:port it runs against that broker (RabbitMQ, say).
// --update-readme rewrites the table between <!-- client-matrix:start --> and <!-- client-matrix:end --> in
// README.md. Exits 1 if any client that can run here fails a scenario; a client that cannot run here (its
// packages are missing: conformance/clients/install.sh installs them) is listed with the reason instead.
//
// Each scenario program takes the URL as its only argument and prints one JSON line per scenario:
// {"scenario": name, "ok": true | false | null, "detail": text, "note"?: text}. ok null means the client
// cannot express that scenario at all (it counts neither as passed nor as failed); a note is a client quirk
// worth showing in the README.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '..', '..');
const args = process.argv.slice(2);
const updateReadme = args.includes('--update-readme');
const onlyArg = args.find((a, i) => a.startsWith('--only=') || args[i - 1] === '--only');
const only = onlyArg ? (onlyArg.startsWith('--only=') ? onlyArg.slice(7) : onlyArg).split(',') : null;
const CLIENT_TIMEOUT_MS = 120_000;

export const SCENARIOS = [
  ['connect', 'log in with the URL\'s credentials, negotiate the heartbeat the client asks for'],
  ['topology', 'declare an exchange and a queue, bind, route through the binding, server-named queue, unbind, delete'],
  ['publish_consume_ack', '10 persistent messages with properties consumed in order with manual acks (prefetch 5), queue left empty'],
  ['confirm_mandatory_return', 'publisher confirms: a routed message is confirmed; an unroutable mandatory one comes back as basic.return 312 NO_ROUTE and is confirmed'],
  ['topic_routing', 'topic exchange with `*.orange.*`, `*.*.rabbit` and `lazy.#` bindings, 9 routing keys'],
  ['nack_requeue', 'a message nacked with requeue comes back with redelivered set and is then acked'],
  ['large_message', 'a 1 MiB body arrives byte for byte (split into frames both ways)'],
  ['rpc_reply_to', 'three calls answered on the caller\'s exclusive reply queue, matched by correlation_id'],
  ['rpc_direct_reply_to', 'a call answered through `amq.rabbitmq.reply-to`'],
  ['dead_letter', 'a rejected message goes to the queue\'s x-dead-letter-exchange with an x-death header (reason rejected, count 1)'],
  ['clean_close', 'channel.close and connection.close both answered with close-ok'],
];

// ---- the clients -------------------------------------------------------------------------------------

/** A command's stdout (and stderr), or null when it cannot run or fails. */
const sh = (cmd, argv) => {
  const r = spawnSync(cmd, argv, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  return r.status === 0 ? `${r.stdout}${r.stderr}`.trim() : null;
};
const which = (cmd) => sh('sh', ['-c', `command -v ${cmd}`]);
const debVersion = (pkg) => {
  const s = sh('dpkg-query', ['-W', '-f', '${Status} ${Version}', pkg]);
  return s && s.startsWith('install ok installed ') ? s.slice('install ok installed '.length) : null;
};
// "2:1.19~1" -> "1.19"; "1.22~dfsg-1" -> "1.22"; "0.11.0-1+deb12u3" -> "0.11.0"
const upstream = (v) => v.replace(/^\d+:/, '').replace(/-[^-]*$/, '').replace(/[~+](dfsg|ds|repack).*$/, '');
const firstMatch = (text, re) => (text ? (text.match(re) ?? [])[1] ?? null : null);

const file = (...p) => join(here, ...p);
let buildDir = null; // a temporary directory for the Go binary and the Java classes

const CLIENTS = [
  {
    id: 'amqplib', name: 'amqplib', language: () => `JavaScript (Node.js ${process.versions.node})`,
    version() {
      const pkg = join(root, 'node_modules', 'amqplib', 'package.json');
      if (!existsSync(pkg)) return { missing: 'npm package amqplib is not installed (npm ci)' };
      const v = JSON.parse(readFileSync(pkg, 'utf8')).version;
      return { version: `${v} (npm \`amqplib\`)` };
    },
    command: (url) => [process.execPath, [file('amqplib', 'scenarios.mjs'), url]],
  },
  {
    id: 'pika', name: 'pika', language: () => `Python ${pythonVersion()}`, debs: ['python3-pika'], bins: ['/usr/bin/python3'],
    command: (url) => ['/usr/bin/python3', [file('pika', 'scenarios.py'), url]],
  },
  {
    id: 'aio-pika', name: 'aio-pika', language: () => `Python ${pythonVersion()}, asyncio`, debs: ['python3-aio-pika', 'python3-aiormq'], bins: ['/usr/bin/python3'],
    command: (url) => ['/usr/bin/python3', [file('aio-pika', 'scenarios.py'), url]],
  },
  {
    id: 'kombu', name: 'kombu', language: () => `Python ${pythonVersion()}`, debs: ['python3-kombu', 'python3-amqp'], bins: ['/usr/bin/python3'],
    command: (url) => ['/usr/bin/python3', [file('kombu', 'scenarios.py'), url]],
  },
  {
    id: 'amqp091-go', name: 'amqp091-go', language: () => `Go ${firstMatch(sh('go', ['version']), /go(\d+\.\d+(\.\d+)?)/) ?? '?'}`,
    debs: ['golang-github-rabbitmq-amqp091-go-dev', 'golang-go'], bins: ['go'],
    // Debian ships the library as source under /usr/share/gocode: GOPATH mode builds it offline.
    build() {
      const out = join(buildDir, 'amqp091-go-scenarios');
      const env = { ...process.env, GO111MODULE: 'off', GOPATH: '/usr/share/gocode', GOFLAGS: '', GOPROXY: 'off' };
      env.GOCACHE ??= join(homedir(), '.cache', 'go-build');
      execFileSync('go', ['build', '-o', out, 'main.go'], { cwd: file('amqp091-go'), env, stdio: ['ignore', 'pipe', 'pipe'] });
      return out;
    },
    command: (url, built) => [built, [url]],
  },
  {
    id: 'java', name: 'RabbitMQ Java client', language: () => `Java ${firstMatch(sh('java', ['-version']), /version "([^"]+)"/) ?? '?'}`,
    debs: ['librabbitmq-client-java', 'default-jdk-headless'], bins: ['javac', 'java'],
    build() {
      const out = join(buildDir, 'java');
      mkdirSync(out, { recursive: true });
      execFileSync('javac', ['-d', out, '-cp', '/usr/share/java/amqp-client.jar', 'Scenarios.java'], { cwd: file('java'), stdio: ['ignore', 'pipe', 'pipe'] });
      return out;
    },
    command: (url, built) => ['java', ['-cp', [built, '/usr/share/java/amqp-client.jar', '/usr/share/java/slf4j-api.jar', '/usr/share/java/slf4j-nop.jar'].join(':'), 'Scenarios', url]],
  },
  {
    id: 'php-amqplib', name: 'php-amqplib', language: () => `PHP ${sh('php', ['-r', 'echo PHP_VERSION;']) ?? '?'}`,
    debs: ['php-amqplib', 'php-cli'], bins: ['php'],
    command: (url) => ['php', [file('php-amqplib', 'scenarios.php'), url]],
  },
  {
    id: 'anyevent-rabbitmq', name: 'AnyEvent::RabbitMQ (Net::AMQP)', language: () => `Perl ${sh('perl', ['-e', 'printf "%vd", $^V']) ?? '?'}`,
    debs: ['libanyevent-rabbitmq-perl', 'libnet-amqp-perl'], bins: ['perl'],
    command: (url) => ['perl', [file('anyevent-rabbitmq', 'scenarios.pl'), url]],
  },
  {
    id: 'amqp-tools', name: 'amqp-tools (rabbitmq-c)', language: () => 'C, command line',
    debs: ['amqp-tools'], bins: ['amqp-publish', 'amqp-consume', 'amqp-get', 'amqp-declare-queue', 'amqp-delete-queue'],
    command: (url) => [process.execPath, [file('amqp-tools', 'scenarios.mjs'), url]],
  },
];

let pythonVersionCache;
function pythonVersion() {
  return (pythonVersionCache ??= firstMatch(sh('/usr/bin/python3', ['--version']), /Python (\d+\.\d+(\.\d+)?)/) ?? '?');
}

/** What the client needs and the version it would test: {version} or {missing: reason}. */
function probe(client) {
  if (client.version) return client.version();
  const versions = [];
  for (const pkg of client.debs) {
    const v = debVersion(pkg);
    if (!v) {
      const candidate = sh('apt-cache', ['policy', pkg]);
      const none = !candidate || /Candidate: \(none\)/.test(candidate);
      return { missing: none ? `Debian package \`${pkg}\` is not available here` : `Debian package \`${pkg}\` is not installed (conformance/clients/install.sh)` };
    }
    versions.push([pkg, v]);
  }
  for (const bin of client.bins ?? []) if (!which(bin)) return { missing: `\`${bin}\` not found` };
  const [pkg, v] = versions[0];
  return { version: `${upstream(v)} (Debian \`${pkg}\` ${v})` };
}

// ---- the broker --------------------------------------------------------------------------------------

async function startWarren() {
  const entry = join(root, 'dist', 'src', 'index.js');
  if (!existsSync(entry)) throw new Error('dist/ is missing: build Warren first (npx tsc -p tsconfig.json)');
  const dataDir = mkdtempSync(join(tmpdir(), 'warren-client-matrix-'));
  const proc = spawn(process.execPath, [join(root, 'bin', 'warren'), '--port', '0', '--management-port', '0', '--prometheus-port', '0',
    '--data-dir', dataDir, '--log-level', 'info'], { stdio: ['ignore', 'pipe', 'pipe'] });
  const problems = []; // warn and error lines, shown when something fails
  let buffered = '';
  const port = await new Promise((resolvePort, reject) => {
    const timer = setTimeout(() => reject(new Error('Warren did not log "Server startup complete" within 20 s')), 20_000);
    proc.on('exit', (code) => reject(new Error(`Warren exited with ${code} before starting`)));
    proc.stderr.on('data', (d) => problems.push(String(d).trim()));
    proc.stdout.on('data', (d) => {
      buffered += d;
      let nl;
      while ((nl = buffered.indexOf('\n')) >= 0) {
        const line = buffered.slice(0, nl);
        buffered = buffered.slice(nl + 1);
        let rec;
        try { rec = JSON.parse(line); } catch { continue; }
        if (rec.msg === 'Server startup complete' && rec.port) { clearTimeout(timer); resolvePort(rec.port); }
        else if (rec.level >= 40) problems.push(line);
      }
    });
  });
  return {
    url: `amqp://guest:guest@localhost:${port}`,
    problems,
    async stop() {
      const exited = new Promise((r) => proc.once('exit', r));
      proc.kill('SIGTERM');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
      if (proc.exitCode === null) proc.kill('SIGKILL');
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** The broker's product and version from connection.start, through amqplib. */
async function serverIdentity(url) {
  try {
    const { default: amqp } = await import('amqplib');
    const conn = await amqp.connect(url);
    const p = conn.connection.serverProperties ?? {};
    await conn.close();
    return `${p.product ?? 'unknown broker'} ${p.version ?? ''}`.trim();
  } catch (e) {
    return `unreachable broker (${e.message})`;
  }
}

// ---- running a client ---------------------------------------------------------------------------------

function runProgram(cmd, argv) {
  return new Promise((resolveRun) => {
    const proc = spawn(cmd, argv, { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    let out = '', err = '', timedOut = false;
    proc.stdout.on('data', (d) => { out += d; });
    proc.stderr.on('data', (d) => { err += d; });
    const timer = setTimeout(() => { timedOut = true; try { process.kill(-proc.pid, 'SIGKILL'); } catch { /* gone */ } }, CLIENT_TIMEOUT_MS);
    proc.on('error', (e) => { clearTimeout(timer); resolveRun({ code: null, out, err: `${err}${e.message}`, timedOut }); });
    proc.on('close', (code) => { clearTimeout(timer); resolveRun({ code, out, err, timedOut }); });
  });
}

async function runClient(client, url) {
  const started = Date.now();
  const row = { client, language: client.language(), ...probe(client), results: new Map(), notes: [], seconds: 0 };
  if (row.missing) return row;
  let built = null;
  if (client.build) {
    try {
      built = client.build();
    } catch (e) {
      row.buildError = `build failed: ${String(e.stderr ?? e.message).trim().split('\n').slice(-3).join(' ')}`;
      row.seconds = (Date.now() - started) / 1000;
      return row;
    }
  }
  const [cmd, argv] = client.command(url, built);
  const r = await runProgram(cmd, argv);
  for (const line of r.out.split('\n')) {
    let rec;
    try { rec = JSON.parse(line); } catch { continue; }
    if (rec && typeof rec.scenario === 'string') {
      row.results.set(rec.scenario, rec);
      if (rec.note) row.notes.push(rec.note);
    }
  }
  const why = r.timedOut ? `timed out after ${CLIENT_TIMEOUT_MS / 1000} s` : `exited with ${r.code}`;
  for (const [name] of SCENARIOS) {
    if (!row.results.has(name)) {
      row.results.set(name, { scenario: name, ok: false, detail: `no result: the program ${why}; stderr: ${r.err.trim().split('\n').slice(-3).join(' ') || '(empty)'}` });
    }
  }
  row.seconds = (Date.now() - started) / 1000;
  return row;
}

function tally(row) {
  const rs = [...row.results.values()].filter((r) => SCENARIOS.some(([n]) => n === r.scenario));
  const passed = rs.filter((r) => r.ok === true).length;
  const failed = rs.filter((r) => r.ok === false);
  const unsupported = rs.filter((r) => r.ok === null);
  return { passed, total: rs.length - unsupported.length, failed, unsupported };
}

// ---- the README table ---------------------------------------------------------------------------------

const cell = (s) => String(s).replace(/\|/g, '\\|').replace(/\n/g, ' ');

function readmeBlock(rows, broker) {
  const lines = [
    `Generated by \`make conformance-clients\` (\`node conformance/clients/run-matrix.mjs --update-readme\`), last run against ${broker}.`,
    'Each client runs a short program of ours (`conformance/clients/<client>/`) through the scenarios listed below;',
    '"n/a" marks a scenario the client has no way to express.',
    '',
    '| client | language | version tested | scenarios passed | notes |',
    '|---|---|---|---|---|',
  ];
  for (const row of rows) {
    let passed, notes = [];
    if (row.missing) {
      passed = 'not run';
      notes.push(`cannot run here: ${row.missing}`);
    } else if (row.buildError) {
      passed = 'build failed';
      notes.push(row.buildError);
    } else {
      const t = tally(row);
      passed = `${t.passed}/${t.total}`;
      if (t.failed.length) {
        const first = String(t.failed[0].detail).replace(/\s+/g, ' ');
        notes.push(`failed: ${t.failed.map((r) => r.scenario).join(', ')} (${t.failed[0].scenario}: ${first.length > 200 ? `${first.slice(0, 200)}...` : first})`);
      }
      if (t.unsupported.length) notes.push(`n/a: ${t.unsupported.map((r) => `${r.scenario} (${r.detail.replace(/^not supported by [^:]*: /, '')})`).join('; ')}`);
      notes.push(...row.notes);
    }
    lines.push(`| ${cell(row.client.name)} | ${cell(row.language)} | ${cell(row.version ?? '')} | ${passed} | ${cell(notes.join('. '))} |`);
  }
  lines.push('', 'Scenarios:', '');
  for (const [name, what] of SCENARIOS) lines.push(`- \`${name}\`: ${what}`);
  return lines.join('\n');
}

function writeReadme(block) {
  const readme = join(root, 'README.md');
  const text = readFileSync(readme, 'utf8');
  const start = '<!-- client-matrix:start -->', end = '<!-- client-matrix:end -->';
  const a = text.indexOf(start), b = text.indexOf(end);
  if (a < 0 || b < a) throw new Error(`README.md has no ${start} ... ${end} block`);
  writeFileSync(readme, `${text.slice(0, a + start.length)}\n${block}\n${text.slice(b)}`);
}

// ---- main --------------------------------------------------------------------------------------------

const pad = (s, n) => String(s).padEnd(n);

async function main() {
  let broker = null, url = process.env.AMQP_URL;
  if (!url) {
    broker = await startWarren();
    url = broker.url;
  }
  const identity = await serverIdentity(url);
  console.log(`client matrix against ${identity} at ${url.replace(/:[^:@/]*@/, ':***@')}`);
  buildDir = mkdtempSync(join(tmpdir(), 'client-matrix-build-'));
  const rows = [];
  const clients = only ? CLIENTS.filter((c) => only.includes(c.id)) : CLIENTS;
  const started = Date.now();
  try {
    for (const client of clients) {
      const row = await runClient(client, url);
      rows.push(row);
      let status;
      if (row.missing) status = `not run: ${row.missing}`;
      else if (row.buildError) status = row.buildError;
      else {
        const t = tally(row);
        status = `${t.passed}/${t.total}${t.unsupported.length ? ` (n/a: ${t.unsupported.map((r) => r.scenario).join(', ')})` : ''}`;
      }
      console.log(`${pad(client.name, 32)} ${pad(row.language, 28)} ${pad((row.version ?? '-').replace(/`/g, ''), 58)} ${status}  [${row.seconds.toFixed(1)} s]`);
      if (!row.missing && !row.buildError) {
        for (const r of tally(row).failed) console.log(`    FAIL ${r.scenario}: ${String(r.detail).replace(/\s+/g, ' ')}`);
      }
    }
  } finally {
    rmSync(buildDir, { recursive: true, force: true });
    if (broker) await broker.stop();
  }

  let passed = 0, failed = 0, skipped = 0;
  for (const row of rows) {
    if (row.missing) { skipped += SCENARIOS.length; continue; }
    if (row.buildError) { failed += SCENARIOS.length; continue; }
    const t = tally(row);
    passed += t.passed;
    failed += t.failed.length;
    skipped += t.unsupported.length;
  }
  if (failed && broker?.problems.length) {
    console.log('\nWarren logged:');
    for (const line of broker.problems.slice(-20)) console.log(`  ${line}`);
  }
  if (updateReadme) {
    writeReadme(readmeBlock(rows, identity));
    console.log('README.md: client matrix updated');
  }
  console.log(`\n${rows.length} clients in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  console.log(`scenarios: ${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
  process.exitCode = failed ? 1 : 0;
}

main().catch((e) => {
  console.error(e.stack ?? String(e));
  process.exitCode = 2;
});
