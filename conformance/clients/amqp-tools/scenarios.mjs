// Client matrix scenarios for rabbitmq-c's command-line tools (Debian's amqp-tools): amqp-declare-queue,
// amqp-publish, amqp-consume, amqp-get, amqp-delete-queue. This Node program only drives them, the way a
// shell script would. Usage: node scenarios.mjs AMQP_URL
// Prints one JSON line per scenario: {"scenario", "ok", "detail"}; "ok": null marks what the tools cannot do.
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const url = process.argv[2];
const P = `cm.tools.${process.pid}`;
const HEARTBEAT = '7';
const work = mkdtempSync(join(tmpdir(), 'cm-tools-'));
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function check(cond, what) {
  if (!cond) throw new Error(what);
}

/** Starts a tool; returns {proc, done: Promise<{code, stdout, stderr}>}. */
function start(tool, args, { input, heartbeat = HEARTBEAT, timeoutMs = 15000 } = {}) {
  const proc = spawn(tool, ['--url', url, '--heartbeat', heartbeat, ...args], { stdio: [input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'] });
  const out = [], err = [];
  proc.stdout.on('data', (d) => out.push(d));
  proc.stderr.on('data', (d) => err.push(d));
  const timer = setTimeout(() => proc.kill('SIGKILL'), timeoutMs);
  const done = new Promise((resolve, reject) => {
    proc.on('error', reject);
    proc.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code: signal ? `killed (${signal})` : code, stdout: Buffer.concat(out), stderr: Buffer.concat(err).toString() });
    });
  });
  if (input !== undefined) {
    proc.stdin.on('error', () => {}); // a tool that exits early closes its stdin: its exit code tells
    proc.stdin.end(input);
  }
  return { proc, done, stdout: () => Buffer.concat(out).toString(), stderr: () => Buffer.concat(err).toString() };
}

async function run(tool, args, opts) {
  return start(tool, args, opts).done;
}

/** Runs a tool that has to succeed; returns its stdout as text. */
async function ok(tool, args, opts) {
  const r = await run(tool, args, opts);
  check(r.code === 0, `${tool} ${args.join(' ')} exited ${r.code}: ${r.stderr.trim()}`);
  return r.stdout.toString();
}

const publish = (args, body) => ok('amqp-publish', body === undefined ? args : [...args, '-b', body]);

async function until(pred, what, ms = 5000) {
  const end = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

/**
 * Starts amqp-consume bound to amq.topic with a server-named queue, and waits until its binding is live:
 * it publishes a probe (routed only to this consumer) every 500 ms until the consumer's command prints it.
 * The consumer stops after `count` messages besides the probe.
 */
async function topicConsumer(keys, probeKey, count) {
  const c = start('amqp-consume', ['-e', 'amq.topic', '-r', keys.join(','), '-c', String(count + 1), '--', 'sh', '-c', 'cat; echo']);
  await until(() => c.stderr().includes('Server provided queue name'), 'amqp-consume to declare its queue');
  for (let i = 0; !c.stdout().includes('probe'); i++) {
    check(i < 20, 'the probe never reached amqp-consume');
    await publish(['-e', 'amq.topic', '-r', probeKey], 'probe');
    await sleep(i === 0 ? 50 : 500);
  }
  return c;
}

const scenarios = {
  async connect() {
    const good = await run('amqp-declare-queue', ['-q', `${P}.never`]);
    check(good.code === 0, `with the right credentials: exit ${good.code} ${good.stderr}`);
    await ok('amqp-delete-queue', ['-q', `${P}.never`]);
    const bad = new URL(url);
    bad.password = 'certainly-wrong';
    const denied = await new Promise((resolve) => {
      const p = spawn('amqp-declare-queue', ['--url', bad.toString(), '-q', `${P}.denied`]);
      let err = '';
      p.stderr.on('data', (d) => { err += d; });
      p.on('close', (code) => resolve({ code, err }));
    });
    check(denied.code !== 0 && denied.err.includes('403') && denied.err.includes('ACCESS_REFUSED'), `wrong password: exit ${denied.code} ${denied.err}`);
    // Heartbeat 1 s: an idle amqp-consume must outlive several heartbeat intervals, which needs heartbeats both ways.
    const q = `${P}.hb`;
    await ok('amqp-declare-queue', ['-q', q]);
    const c = start('amqp-consume', ['-q', q, '-c', '1', '--', 'cat'], { heartbeat: '1' });
    await sleep(4500);
    await publish(['-r', q], 'still here');
    const r = await c.done;
    await ok('amqp-delete-queue', ['-q', q]);
    check(r.code === 0 && r.stdout.toString() === 'still here', `idle consumer with heartbeat 1: exit ${r.code} ${r.stderr} ${r.stdout}`);
    return 'logged in (wrong password refused with 403 ACCESS_REFUSED); heartbeat 1 s kept an idle consumer alive for 4.5 s';
  },

  async topology() {
    const q = `${P}.topo`;
    const name = (await ok('amqp-declare-queue', ['-d', '-q', q])).trim();
    check(name === q, `declared ${name}`);
    const anon = (await ok('amqp-declare-queue', ['-q', ''])).trim();
    check(anon.startsWith('amq.gen-'), `server-named queue ${anon}`);
    await publish(['-r', q], 'x');
    const deleted = (await ok('amqp-delete-queue', ['-q', q])).trim();
    check(deleted === '1', `queue.delete-ok message count ${deleted}`);
    await ok('amqp-delete-queue', ['-q', anon]);
    return 'durable queue, server-named queue, delete (bindings: see topic_routing)';
  },

  async publish_consume_ack() {
    const q = `${P}.work`;
    await ok('amqp-declare-queue', ['-d', '-q', q]);
    for (let i = 0; i < 10; i++) await publish(['-r', q, '-p', '-C', 'text/plain'], `m${i}`);
    const out = await ok('amqp-consume', ['-q', q, '-c', '10', '-p', '5', '--', 'sh', '-c', 'cat; echo']);
    const want = Array.from({ length: 10 }, (_, i) => `m${i}`).join('\n') + '\n';
    check(out === want, `consumed ${JSON.stringify(out)}`);
    const empty = await run('amqp-get', ['-q', q]);
    check(empty.code === 2, `amqp-get after the acks: exit ${empty.code} ${empty.stdout}`);
    await ok('amqp-delete-queue', ['-q', q]);
    return '10 persistent messages consumed in order, each acked after its command succeeded, queue empty';
  },

  confirm_mandatory_return: () => null,

  async topic_routing() {
    const k = (s) => `${P.replace(/\./g, '_')}.${s}`;
    const a = await topicConsumer([k('*.orange.*')], k('probe.orange.a'), 3);
    const b = await topicConsumer([k('*.*.rabbit'), k('lazy.#')], k('lazy.probe'), 5);
    for (const key of ['quick.orange.rabbit', 'lazy.orange.elephant', 'quick.orange.fox', 'lazy.brown.fox', 'lazy',
      'quick.brown.fox', 'orange', 'quick.orange.new.rabbit', 'lazy.orange.new.rabbit']) {
      await publish(['-e', 'amq.topic', '-r', k(key)], key);
    }
    const [ra, rb] = await Promise.all([a.done, b.done]);
    check(ra.code === 0 && rb.code === 0, `amqp-consume exited ${ra.code} ${ra.stderr} / ${rb.code} ${rb.stderr}`);
    const got = (r) => r.stdout.toString().split('\n').filter((l) => l && l !== 'probe');
    const wantA = ['quick.orange.rabbit', 'lazy.orange.elephant', 'quick.orange.fox'];
    const wantB = ['quick.orange.rabbit', 'lazy.orange.elephant', 'lazy.brown.fox', 'lazy', 'lazy.orange.new.rabbit'];
    check(JSON.stringify(got(ra)) === JSON.stringify(wantA) && JSON.stringify(got(rb)) === JSON.stringify(wantB),
      `got ${JSON.stringify(got(ra))} and ${JSON.stringify(got(rb))}`);
    return 'amqp-consume bound server-named queues to amq.topic: *.orange.* got 3, *.*.rabbit + lazy.# got 5';
  },

  async nack_requeue() {
    const q = `${P}.nack`;
    await ok('amqp-declare-queue', ['-q', q]);
    await publish(['-r', q], 'again');
    await ok('amqp-consume', ['-q', q, '-c', '1', '--', 'sh', '-c', 'cat >/dev/null; exit 1']);
    const back = await run('amqp-get', ['-q', q]);
    check(back.code === 0 && back.stdout.toString() === 'again', `after the failed command: exit ${back.code} ${back.stdout}`);
    const empty = await run('amqp-get', ['-q', q]);
    check(empty.code === 2, `second amqp-get: exit ${empty.code}`);
    await ok('amqp-delete-queue', ['-q', q]);
    return 'a message whose command failed was left unacked and requeued at close, then fetched again';
  },

  async large_message() {
    const q = `${P}.large`;
    await ok('amqp-declare-queue', ['-q', q]);
    const body = Buffer.alloc(1024 * 1024);
    for (let i = 0; i < body.length; i++) body[i] = (i * 31 + 7) & 0xff;
    const file = join(work, 'large.bin');
    writeFileSync(file, body);
    await ok('amqp-publish', ['-r', q], { input: readFileSync(file) });
    const r = await run('amqp-get', ['-q', q]);
    await ok('amqp-delete-queue', ['-q', q]);
    const sha = (b) => createHash('sha256').update(b).digest('hex');
    check(r.code === 0 && r.stdout.equals(body), `amqp-get exit ${r.code}, ${r.stdout.length} bytes, sha256 ${sha(r.stdout)}`);
    return `1048576 bytes from stdin to stdout, sha256 ${sha(r.stdout).slice(0, 12)}...`;
  },

  rpc_reply_to: () => null,
  rpc_direct_reply_to: () => null,
  dead_letter: () => null,

  async clean_close() {
    // Every tool ends with channel.close and connection.close and fails (non-zero, message on stderr)
    // unless both are answered with close-ok.
    const q = `${P}.close`;
    for (const [tool, args] of [['amqp-declare-queue', ['-q', q]], ['amqp-publish', ['-r', q, '-b', 'x']],
      ['amqp-get', ['-q', q]], ['amqp-delete-queue', ['-q', q]]]) {
      const r = await run(tool, args);
      check(r.code === 0 && r.stderr === '', `${tool}: exit ${r.code} ${r.stderr}`);
    }
    return 'amqp-declare-queue, amqp-publish, amqp-get, amqp-delete-queue each got channel.close-ok and connection.close-ok';
  },
};

// Client quirks shown in the README's notes column.
const notes = {
  nack_requeue: 'nack_requeue: amqp-consume cannot nack; a message whose command fails stays unacked and is requeued when the tool closes',
  topology: 'topology: no exchange declarations; bindings only through amqp-consume --exchange (to amq.topic here)',
};

const unsupported = {
  confirm_mandatory_return: 'amqp-publish has no publisher confirms and no mandatory flag',
  rpc_reply_to: 'amqp-publish sets reply_to, but amqp-consume hands its command only the body, so no server can answer',
  rpc_direct_reply_to: 'needs a consumer and a publisher on one channel; each tool is its own connection',
  dead_letter: 'amqp-declare-queue cannot pass queue arguments such as x-dead-letter-exchange',
};

for (const [name, fn] of Object.entries(scenarios)) {
  let line;
  if (unsupported[name]) {
    line = { scenario: name, ok: null, detail: `not supported by the tools: ${unsupported[name]}` };
  } else {
    try {
      const detail = await Promise.race([fn(), sleep(30000).then(() => { throw new Error('timed out after 30 s'); })]);
      line = { scenario: name, ok: true, detail, ...(notes[name] ? { note: notes[name] } : {}) };
    } catch (e) {
      line = { scenario: name, ok: false, detail: String(e?.message ?? e) };
    }
  }
  console.log(JSON.stringify(line));
}
rmSync(work, { recursive: true, force: true });
process.exit(0);
