// The npm package as users get it: `npm pack`, installed offline into an empty project with amqplib; the README's
// "In your tests" examples run there as printed (vitest, jest, mocha), and `npx warren` stopped through npx leaves no broker.
import { execFile, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const ROOT = join(import.meta.dirname, '..', '..');
const lock = JSON.parse(readFileSync(join(ROOT, 'package-lock.json'), 'utf8')) as { packages: Record<string, { version: string }> };
const version = (name: string): string => lock.packages[`node_modules/${name}`]!.version;

let dir: string;
let tarball: string;
let packOutput: string;
let installOutput: string;

/** The README's `<!-- example NAME: FILE -->` code blocks: what the docs tell users to write, by example name. */
function readmeExamples(name: string): Array<{ file: string; code: string }> {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const re = /<!-- example ([\w-]+): ([\w.-]+) -->\n```\w*\n([\s\S]*?)```/g;
  return [...readme.matchAll(re)].filter((m) => m[1] === name).map((m) => ({ file: m[2]!, code: m[3]! }));
}

/** npm install from the npm cache only; when the cache lacks a package's metadata, once more preferring it (and saying so). */
async function installOffline(cwd: string, specs: string[]): Promise<string> {
  const args = ['install', '--no-audit', '--no-fund', '--no-save', ...specs];
  try {
    const r = await run('npm', ['--offline', ...args], { cwd });
    return r.stdout + r.stderr;
  } catch (e) {
    const err = e as { stderr?: string };
    if (!err.stderr?.includes('ENOTCACHED')) throw e;
    console.warn(`npm cache lacks metadata for ${specs.join(' ')}; installing with --prefer-offline once`);
    const r = await run('npm', ['--prefer-offline', ...args], { cwd });
    return r.stdout + r.stderr;
  }
}

/** Whether the process runs (an exited one its new parent has not reaped yet counts as gone). */
function running(pid: number): boolean {
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

function env(): NodeJS.ProcessEnv {
  const e: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('VITEST') && !k.startsWith('WARREN_') && k !== 'AMQP_URL' && k !== 'NODE_OPTIONS' && !k.includes('COLOR')) e[k] = v;
  return { ...e, NO_COLOR: '1' };
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'warren-package-'));
  const packed = await run('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', dir], { cwd: ROOT });
  packOutput = packed.stdout;
  tarball = join(dir, (JSON.parse(packed.stdout) as Array<{ filename: string }>)[0]!.filename);
  const project = join(dir, 'project');
  mkdirSync(project);
  writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'app', version: '1.0.0', private: true, type: 'module' }));
  installOutput = await installOffline(project, [tarball, `amqplib@${version('amqplib')}`, `vitest@${version('vitest')}`]);
}, 180_000);

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('the npm package', () => {
  it('ships what runs, a LICENSE, exports with types, engines, and no install script', () => {
    const files = (JSON.parse(packOutput) as Array<{ files: Array<{ path: string }> }>)[0]!.files.map((f) => f.path);
    expect(files).toContain('LICENSE');
    expect(files).toContain('bin/warren');
    expect(files).toContain('dist/bundle/main.js');
    expect(files).toContain('dist/src/index.d.ts');
    expect(files).toContain('dist/src/testing/index.d.ts');
    expect(files.filter((f) => f.startsWith('spec/') || f.startsWith('test/') || f.startsWith('src/') || /^dist\/src\/.*\.map$/.test(f))).toEqual([]);
    const pkg = JSON.parse(readFileSync(join(dir, 'project', 'node_modules', 'warren', 'package.json'), 'utf8')) as Record<string, any>;
    expect(pkg.license).toBe('MIT');
    expect(pkg.engines.node).toBe('>=20');
    expect(pkg.scripts.prepare).toBeUndefined();
    expect(pkg.exports['.'].types).toBe('./dist/src/index.d.ts');
    expect(pkg.exports['./testing'].types).toBe('./dist/src/testing/index.d.ts');
    expect(readFileSync(join(dir, 'project', 'node_modules', 'warren', 'LICENSE'), 'utf8')).toMatch(/^MIT License/);
  });

  it('installs without a warning about warren', () => {
    expect(installOutput).not.toMatch(/warren/i);
  });

  it("runs the README's vitest example as printed", async () => {
    const project = join(dir, 'project');
    const examples = readmeExamples('vitest');
    expect(examples.map((e) => e.file)).toEqual(['vitest.config.ts', 'orders.test.ts']);
    for (const e of examples) writeFileSync(join(project, e.file), e.code);
    const r = await run('npx', ['vitest', 'run', '--reporter=verbose'], { cwd: project, env: env() });
    expect(r.stdout).toMatch(/Tests\s+2 passed/);
  }, 120_000);

  it("runs the README's jest example as printed", async () => {
    const project = join(dir, 'jest-project');
    mkdirSync(project);
    writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'app', version: '1.0.0', private: true, type: 'module' }));
    await installOffline(project, [tarball, `amqplib@${version('amqplib')}`, 'jest@30']);
    const examples = readmeExamples('jest');
    expect(examples.map((e) => e.file)).toEqual(['jest.config.mjs', 'work-queue.test.mjs']);
    for (const e of examples) writeFileSync(join(project, e.file), e.code);
    const r = await run('npx', ['jest'], { cwd: project, env: { ...env(), NODE_OPTIONS: '--experimental-vm-modules' } });
    expect(r.stderr).toMatch(/Tests:\s+1 passed, 1 total/);
  }, 180_000);

  it("runs the README's mocha example as printed, with --require warren/testing/mocha", async () => {
    const project = join(dir, 'mocha-project');
    mkdirSync(project);
    writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'app', version: '1.0.0', private: true, type: 'module' }));
    await installOffline(project, [tarball, `amqplib@${version('amqplib')}`, 'mocha@11']);
    const examples = readmeExamples('mocha');
    expect(examples.map((e) => e.file)).toEqual(['rpc.spec.mjs']);
    for (const e of examples) writeFileSync(join(project, e.file), e.code);
    const r = await run('npx', ['mocha', '--require', 'warren/testing/mocha', 'rpc.spec.mjs'], { cwd: project, env: env() });
    expect(r.stdout).toMatch(/1 passing/);
  }, 120_000);

  // SIGTERM to npx alone: npm forwards it to its `sh -c`, which dies and leaves the broker re-parented (the orphan guard
  // stops it). SIGINT as a terminal's Ctrl-C sends it, to the whole process group (sent to npx alone, npm hands it to sh,
  // which keeps waiting for the broker: nothing stops, and nothing is orphaned either).
  for (const [signal, toGroup] of [['SIGTERM', false], ['SIGINT', true]] as const) {
    it(`npx warren stopped with ${signal} (sent to ${toGroup ? 'its process group' : 'npx'}) exits and leaves no broker behind`, async () => {
      const project = join(dir, 'project');
      const child = spawn('npx', ['warren', '--port', '0', '--management-port', 'off', '--prometheus-port', 'off', '--data-dir', join(dir, `data-${signal}`)], {
        cwd: project,
        env: env(),
        stdio: ['ignore', 'pipe', 'pipe'],
        detached: toGroup,
      });
      const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
      let out = '';
      const brokerPid = await new Promise<number>((resolve, reject) => {
        child.stdout.on('data', (d: Buffer) => {
          out += d.toString();
          const line = out.split('\n').find((l) => l.includes('Server startup complete'));
          if (line) resolve((JSON.parse(line) as { pid: number }).pid);
        });
        child.on('exit', () => reject(new Error(`npx warren exited first: ${out}`)));
      });
      expect(brokerPid).not.toBe(child.pid);
      if (toGroup) process.kill(-child.pid!, signal);
      else child.kill(signal);
      const deadline = Date.now() + 10_000;
      let alive = true;
      while (alive && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 100));
        alive = running(brokerPid);
      }
      if (alive) process.kill(brokerPid, 'SIGKILL');
      expect(alive, out).toBe(false);
      await exited;
    }, 30_000);
  }
});
