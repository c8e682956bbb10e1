#!/usr/bin/env node
// Runs client libraries' own test suites (amqplib's broker tests, pika's acceptance tests, amqp091-go's integration
// tests) against RabbitMQ and against Warren on the same machine, and fails when Warren's results differ from
// RabbitMQ's.
//
//   AMQPLIB_SRC=DIR PIKA_SRC=DIR AMQP091GO_SRC=DIR node conformance/clients/upstream-suites.mjs [--only amqplib,pika,amqp091-go]
//   (UPSTREAM_LOGS=DIR keeps each run's output there)
//
// By default it needs no network: amqplib's and pika's test files are vendored, unchanged, under
// test/fixtures/upstream/ (README there names the upstream commits) and run against the library the project already
// installs: amqplib from node_modules (copied, with the vendored test/ beside its lib/), pika from Debian's
// python3-pika with Debian's pytest (/usr/bin/python3); amqp091-go's tests come with Debian's package. `make
// upstream-suites` installs those packages. A *_SRC names a checkout of the library's repository instead (or a bare
// git directory, whose HEAD is used), library and tests both. A suite whose source is missing is listed as not run.
// amqplib's and pika's suites hard-code amqp://localhost:5672 (amqp091-go's is given that), so:
// - RabbitMQ is the one on localhost:5672 (`make rabbitmq`); without it nothing can be compared and the run fails.
// - Warren runs on port 5672 of a private network namespace (`unshare -rn`, loopback only) with the suite, started
//   from bin/warren (build first) with --server-product RabbitMQ --server-version 3.10.8, the override these suites
//   need (amqplib's connect test asserts product "RabbitMQ"; amqp091-go's skips checks otherwise, and goleak fails).
// Exits 1 when a suite that ran passes a test on RabbitMQ that fails on Warren, or the other way round.
import amqp from 'amqplib';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '..', '..');
const fixtures = join(root, 'test', 'fixtures', 'upstream');
// Debian's python, where python3-pika and python3-pytest are (PATH's python3 may be another one).
const PYTHON = process.env.UPSTREAM_PYTHON ?? '/usr/bin/python3';
const argv = process.argv.slice(2);
const onlyArg = argv.find((a, i) => a.startsWith('--only=') || argv[i - 1] === '--only');
const only = onlyArg ? (onlyArg.startsWith('--only=') ? onlyArg.slice(7) : onlyArg).split(',') : null;
const SUITE_TIMEOUT_MS = 15 * 60_000;
const MAX_OUTPUT = 256 * 1024 * 1024;

/** A suite: where its source comes from, and its runs ([label, command, arguments]) in that source's directory. */
const SUITES = [
  {
    name: 'amqplib',
    env: 'AMQPLIB_SRC',
    // The installed amqplib, with the vendored tests beside its lib/ so their relative requires resolve.
    vendored: () => {
      const lib = join(root, 'node_modules', 'amqplib');
      if (!existsSync(join(lib, 'package.json'))) return { reason: `${lib} is missing: run \`npm ci\`` };
      const version = JSON.parse(readFileSync(join(lib, 'package.json'), 'utf8')).version;
      return { copy: [lib, join(fixtures, 'amqplib')], from: `amqplib ${version} from node_modules, tests from test/fixtures/upstream/amqplib` };
    },
    // The files that talk to a broker (the others are codec tests, and need the claire dev dependency), one run each:
    // the files share describe names.
    // Named in issue 15: each failed on Warren before (a basic.ack after channel.close; product "Warren").
    watch: ['channel_api: confirms > works when channel is closed', 'connect: Connect > Connect API > serverProperties'],
    // node 20 applies --test-timeout to each file as a whole too: on the loaded, shared RabbitMQ channel_api's process
    // sometimes stays up after all its tests passed (connections to 5672 still open), so a file gets 30 s, then a retry.
    runs: ['channel_api', 'callback_api', 'connect'].map((f) => [f, process.execPath, ['--test', '--test-timeout=30000', '--test-reporter=tap', `test/${f}.test.js`]]),
    parse: parseTap,
  },
  {
    name: 'pika',
    env: 'PIKA_SRC',
    // Debian's pika (or PIKA_SRC's checkout, first on pyproject's pythonpath) and Debian's pytest; the select, asyncio
    // and blocking adapters (twisted's file needs twisted).
    vendored: () => {
      const probe = spawnSync(PYTHON, ['-c', 'import pika, pytest; print(pika.__version__)'], { encoding: 'utf8' });
      if (probe.status !== 0) return { reason: `${PYTHON} cannot import pika and pytest (Debian's python3-pika, python3-pytest): ${(probe.stderr || '').trim().split('\n').pop()}` };
      return { copy: [join(fixtures, 'pika')], from: `pika ${probe.stdout.trim()} from Debian, tests from test/fixtures/upstream/pika` };
    },
    // The files are nose-style names; enforce_one_basicget_test is a mock-only test (no broker), twisted's needs twisted.
    runs: [['acceptance', PYTHON, ['-m', 'pytest', '-q', '-p', 'no:cacheprovider', '-o', 'python_files=*_test.py *_tests.py', '-rA', 'tests/acceptance',
      '--ignore=tests/acceptance/twisted_adapter_tests.py', '--ignore=tests/acceptance/enforce_one_basicget_test.py']]],
    parse: parsePytest,
  },
  {
    name: 'amqp091-go',
    env: 'AMQP091GO_SRC',
    // Debian's golang-github-rabbitmq-amqp091-go-dev (the client matrix installs it) ships the tests; else a clone.
    installed: '/usr/share/gocode/src/github.com/rabbitmq/amqp091-go',
    // Its integration tests (build tag integration) with goleak's check after them, offline in GOPATH mode against
    // Debian's go.uber.org/goleak. It reads AMQP_URL (set to localhost:5672 for both brokers).
    runs: [['integration', 'go', ['test', '-count=1', '-tags', 'integration', '-v', '-timeout', '600s', '.']]],
    env_: { GO111MODULE: 'off', GOPATH: '/usr/share/gocode', AMQP_URL: 'amqp://guest:guest@localhost:5672/' },
    // Named in issue 15: with product "Warren" it skips RabbitMQ-only checks, leaks their connections, and goleak fails.
    watch: ['integration: (package)'],
    parse: parseGoTest,
  },
];

/** go test -v: each test's --- PASS / FAIL / SKIP, and the package's own verdict (goleak's check runs after them). */
function parseGoTest(out) {
  const results = new Map();
  for (const line of out.split('\n')) {
    const r = /^\s*--- (PASS|FAIL|SKIP): (\S+)/.exec(line);
    if (r) results.set(r[2], r[1] === 'PASS' ? 'passed' : r[1] === 'SKIP' ? 'skipped' : 'failed');
    else if (/^ok\s/.test(line)) results.set('(package)', 'passed');
    else if (/^FAIL\s/.test(line)) results.set('(package)', 'failed');
  }
  return results;
}

/** node --test's TAP: every leaf test's path (suite > test) with ok or not ok. */
function parseTap(out) {
  const results = new Map();
  const stack = [];
  for (const line of out.split('\n')) {
    const sub = /^(\s*)# Subtest: (.*)$/.exec(line);
    if (sub) {
      const depth = sub[1].length / 4;
      stack.length = depth;
      stack[depth] = sub[2];
      continue;
    }
    const r = /^(\s*)(not ok|ok) \d+ - (.*?)(\s+#.*)?$/.exec(line);
    if (!r) continue;
    const depth = r[1].length / 4;
    const path = [...stack.slice(0, depth), r[3]].join(' > ');
    // A suite's own line comes after its tests: keep only leaves (no recorded test below this path).
    if ([...results.keys()].some((k) => k.startsWith(`${path} > `))) continue;
    results.set(path, r[2] === 'ok' ? (/# SKIP/.test(line) ? 'skipped' : 'passed') : 'failed');
  }
  return results;
}

/** pytest -rA's short summary: PASSED / FAILED / ERROR / SKIPPED lines (after its header: tests' logs have ERROR lines too). */
function parsePytest(out) {
  const results = new Map();
  const summary = out.lastIndexOf('short test summary info');
  for (const line of (summary < 0 ? '' : out.slice(summary)).split('\n')) {
    const r = /^(PASSED|FAILED|ERROR|SKIPPED|XFAIL|XPASS) (?:\[\d+\] )?(\S+)/.exec(line);
    if (!r) continue;
    results.set(r[2], r[1] === 'PASSED' || r[1] === 'XPASS' ? 'passed' : r[1] === 'SKIPPED' || r[1] === 'XFAIL' ? 'skipped' : 'failed');
  }
  return results;
}

/** A working directory holding the suite's source: a copy of a checkout or bare repository, or of the vendored tests. */
function source(suite, work) {
  const dir = join(work, suite.name);
  const given = process.env[suite.env] ?? (suite.installed && existsSync(suite.installed) ? suite.installed : undefined);
  if (!given) {
    if (!suite.vendored) return { reason: `no ${suite.env}, and ${suite.installed} is missing (Debian's golang-github-rabbitmq-amqp091-go-dev)` };
    const v = suite.vendored();
    if (!v.copy) return v;
    mkdirSync(dir, { recursive: true });
    for (const from of v.copy) {
      const cp = spawnSync('cp', ['-a', `${from}/.`, dir], { stdio: 'pipe' });
      if (cp.status !== 0) return { reason: `cannot copy ${from}: ${cp.stderr.toString().trim()}` };
    }
    return { dir, from: v.from };
  }
  if (!existsSync(given) || !statSync(given).isDirectory()) return { reason: `${given} is not a directory` };
  mkdirSync(dir, { recursive: true });
  const isGit = (existsSync(join(given, 'HEAD')) && existsSync(join(given, 'objects'))) || existsSync(join(given, '.git'));
  if (!isGit) {
    spawnSync('cp', ['-a', `${given}/.`, dir]);
    return { dir, from: given };
  }
  const archive = spawnSync('sh', ['-c', 'git -C "$1" archive HEAD | tar -x -C "$2"', 'sh', given, dir], { stdio: 'pipe' });
  if (archive.status !== 0) return { reason: `cannot read ${given}: ${archive.stderr.toString().trim()}` };
  return { dir, from: `${given} at ${gitHead(given)}` };
}

function gitHead(dir) {
  const r = spawnSync('git', ['-C', dir, 'log', '-1', '--format=%h %cs'], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : 'unknown commit';
}

/** Runs `cmd args` in `cwd`, inside a private network namespace next to a Warren on its port 5672 when `warren`. */
function run(suite, cmd, args, cwd, warren) {
  const env = { ...process.env, ...(suite.env_ ?? {}) };
  let file = cmd;
  let all = args;
  if (warren) {
    const data = mkdtempSync(join(tmpdir(), `warren-upstream-${suite.name}-`));
    const script = [
      'ip link set lo up || exit 97',
      `"$0" "$1" --port 5672 --data-dir "$2" --management-port off --prometheus-port off --log-level warn --server-product RabbitMQ --server-version 3.10.8 > "$2/warren.log" 2>&1 & w=$!`,
      'up=0; for i in $(seq 300); do (echo > /dev/tcp/127.0.0.1/5672) 2>/dev/null && { up=1; break; }; sleep 0.1; done',
      '[ $up = 1 ] || { cat "$2/warren.log" >&2; kill $w; exit 98; }',
      'shift 2; "$@"; rc=$?; kill $w; wait $w 2>/dev/null; exit $rc',
    ].join('\n');
    file = 'unshare';
    all = ['-rn', 'bash', '-c', script, process.execPath, join(root, 'bin', 'warren'), data, cmd, ...args];
    const r = spawnSync(file, all, { cwd, env, encoding: 'utf8', timeout: SUITE_TIMEOUT_MS, maxBuffer: MAX_OUTPUT });
    if (r.status === 98) console.log(`  Warren did not start in its network namespace:\n${r.stderr}`);
    rmSync(data, { recursive: true, force: true });
    return r;
  }
  return spawnSync(file, all, { cwd, env, encoding: 'utf8', timeout: SUITE_TIMEOUT_MS, maxBuffer: MAX_OUTPUT });
}

/** The product on localhost:5672, from connection.start (RabbitMQ must be the one there). */
async function productOn5672() {
  try {
    const conn = await amqp.connect('amqp://guest:guest@localhost:5672');
    const product = conn.connection.serverProperties.product;
    await conn.close();
    return product;
  } catch {
    return undefined;
  }
}

/** One run of `cmd args` on RabbitMQ and one on Warren: their results, whether either was cut short, their output. */
function runPair(suite, label, cmd, args, dir, attempt) {
  const pair = { a: new Map(), b: new Map(), failed: false, outs: {} };
  for (const [broker, warren, into] of [['rabbitmq', false, pair.a], ['warren', true, pair.b]]) {
    const r = run(suite, cmd, args, dir, warren);
    if (r.status === 97) throw new Error('cannot bring up loopback in the network namespace');
    // A run cut short (timeout, too much output) has lost results: say so instead of comparing what is left.
    if (r.error) {
      console.log(`  FAIL ${suite.name} ${label} on ${broker}: ${r.error.message}`);
      pair.failed = true;
    }
    const out = `${r.stdout}\n${r.stderr}`;
    pair.outs[broker] = out;
    if (process.env.UPSTREAM_LOGS) {
      mkdirSync(process.env.UPSTREAM_LOGS, { recursive: true });
      writeFileSync(join(process.env.UPSTREAM_LOGS, `${suite.name}-${label}-${broker}${attempt > 1 ? `-${attempt}` : ''}.log`), out);
    }
    const results = suite.parse(out);
    if (results.size === 0) {
      console.log(`  FAIL ${suite.name} ${label}: no results from the ${broker} run:\n${out.split('\n').slice(-15).join('\n')}`);
      pair.failed = true;
    }
    for (const [name, result] of results) into.set(name, result);
  }
  return pair;
}

/** The tests whose result differs between two runs' results. */
function differing(a, b) {
  return [...new Set([...a.keys(), ...b.keys()])].filter((k) => (a.get(k) ?? 'missing') !== (b.get(k) ?? 'missing')).map((k) => `${k}: RabbitMQ ${a.get(k) ?? 'missing'}, Warren ${b.get(k) ?? 'missing'}`);
}

const counts = (m) => {
  const c = { passed: 0, failed: 0, skipped: 0 };
  for (const v of m.values()) c[v] += 1;
  return `${c.passed} passed, ${c.failed} failed, ${c.skipped} skipped`;
};

async function main() {
  if (!existsSync(join(root, 'dist', 'src', 'index.js'))) {
    console.error('upstream-suites: dist/ is missing: run `npm run build` first');
    process.exit(2);
  }
  const product = await productOn5672();
  if (product !== 'RabbitMQ') {
    console.error(`upstream-suites: no RabbitMQ on localhost:5672 (${product ? `found ${product}` : 'nothing listening'}); run \`make rabbitmq\``);
    process.exit(2);
  }
  const ns = spawnSync('unshare', ['-rn', 'true']);
  if (ns.status !== 0) {
    // A failure, not "not run": CI has user namespaces, and a run that silently skips every suite would prove nothing.
    const why = (ns.error?.message ?? ns.stderr?.toString() ?? '').trim().split('\n').pop();
    console.error(`upstream-suites: cannot make a network namespace for Warren on port 5672 (\`unshare -rn true\`: ${why || `exit ${ns.status}`}); it needs util-linux's unshare and user namespaces (sysctl user.max_user_namespaces > 0, and kernel.unprivileged_userns_clone=1 where that exists)`);
    process.exit(2);
  }
  const work = mkdtempSync(join(tmpdir(), 'warren-upstream-'));
  let differences = 0;
  try {
    for (const suite of SUITES) {
      if (only && !only.includes(suite.name)) continue;
      const src = source(suite, work);
      if (!src.dir) {
        console.log(`${suite.name}: not run: ${src.reason}`);
        continue;
      }
      const a = new Map();
      const b = new Map();
      let failedRun = false;
      for (const [label, cmd, args] of suite.runs) {
        let pair = runPair(suite, label, cmd, args, src.dir, 1);
        // The RabbitMQ here is shared (other people's tests load it): a run whose results differ is run again on both
        // brokers once, and the second pair is the one compared; the first one's differences are still listed.
        const first = differing(pair.a, pair.b);
        if (first.length > 0 || pair.failed) {
          console.log(`  RETRY ${suite.name} ${label}: ${first.length} difference(s) on the first run (${first.slice(0, 5).join('; ')}${first.length > 5 ? '; …' : ''}), running it again on both brokers`);
          for (const [broker, out] of Object.entries(pair.outs)) {
            const bad = out.split('\n').filter((l) => /^\s*not ok |^(FAILED|ERROR) |^\s*--- FAIL|Error:|timed out/.test(l)).slice(0, 8);
            if (bad.length > 0) console.log(`    first ${broker} run:\n${bad.map((l) => `      ${l.trim().slice(0, 200)}`).join('\n')}`);
          }
          pair = runPair(suite, label, cmd, args, src.dir, 2);
        }
        if (pair.failed) failedRun = true;
        for (const [name, result] of pair.a) a.set(`${label}: ${name}`, result);
        for (const [name, result] of pair.b) b.set(`${label}: ${name}`, result);
      }
      console.log(`${suite.name} (${src.from}): RabbitMQ ${counts(a)}; Warren ${counts(b)}`);
      if (failedRun) differences += 1;
      for (const name of suite.watch ?? []) console.log(`  ${name}: RabbitMQ ${a.get(name) ?? 'not in this version'}, Warren ${b.get(name) ?? 'not in this version'}`);
      for (const d of differing(a, b)) {
        differences += 1;
        console.log(`  DIFF ${d}`);
      }
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  console.log(differences === 0 ? 'upstream suites: Warren as RabbitMQ' : `upstream suites: ${differences} difference(s)`);
  process.exit(differences === 0 ? 0 : 1);
}

await main();
