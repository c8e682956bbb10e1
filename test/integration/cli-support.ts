// Helpers for the warren command tests: real processes through bin/warren, temporary data dirs, a clean environment.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const BIN = join(import.meta.dirname, '..', '..', 'bin', 'warren');

const dirs: string[] = [];
const children: ChildProcess[] = [];

/** A temporary directory removed by cleanup(). */
export function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'warren-cli-'));
  dirs.push(dir);
  return dir;
}

/** Kills the brokers started and removes the directories made (for afterEach / afterAll). */
export function cleanup(): void {
  for (const c of children.splice(0)) c.kill('SIGKILL');
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
}

/** The test's environment without any WARREN_* or RABBITMQ_* settings, plus `extra`. */
export function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('WARREN_') && !k.startsWith('RABBITMQ_')) env[k] = v;
  return { ...env, ...extra };
}

export interface StartedWarren {
  child: ChildProcess;
  port: number;
  managementPort: number | undefined;
  prometheusPort: number | undefined;
  /** The startup line's fields. */
  line: Record<string, unknown>;
  output(): string;
  /** `http://localhost:PORT` of the management API. */
  managementUrl: string;
}

export interface StartOptions {
  /** Environment on top of the cleaned one (no WARREN_* or RABBITMQ_* of the test's own). */
  env?: Record<string, string>;
  /** Without the default `--port 0 --management-port 0 --prometheus-port 0` (the test picks the ports). */
  bare?: boolean;
  /** This data dir (to restart a broker on the same files) instead of a fresh temporary one. */
  dataDir?: string;
}

/**
 * Starts `bin/warren` with a temporary data dir; unless `bare`, with `--port 0 --management-port 0 --prometheus-port 0`.
 * Resolves once it logs "Server startup complete"; rejects with its output if it exits first. cleanup() kills it.
 */
export function startWarren(args: string[] = [], opts: StartOptions = {}): Promise<StartedWarren> {
  const dataDir = opts.dataDir ?? join(tempDir(), 'data');
  const ports = opts.bare ? [] : ['--port', '0', '--management-port', '0', '--prometheus-port', '0'];
  const child = spawn(process.execPath, [BIN, ...ports, '--data-dir', dataDir, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: cleanEnv(opts.env) });
  children.push(child);
  let out = '';
  return new Promise((resolve, reject) => {
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const text = out.split('\n').find((l) => l.includes('Server startup complete'));
      if (!text) return;
      const line = JSON.parse(text) as Record<string, unknown>;
      const managementPort = line.managementPort as number | undefined;
      resolve({
        child,
        line,
        port: line.port as number,
        managementPort,
        prometheusPort: line.prometheusPort as number | undefined,
        output: () => out,
        managementUrl: `http://localhost:${managementPort}`,
      });
    });
    child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
    child.on('exit', (code) => reject(new Error(`warren exited with ${code}: ${out}`)));
  });
}

/** Resolves with a child's exit code once it has exited (at once if it already has). */
export function exitCode(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve) => child.once('exit', (code) => resolve(code)));
}

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `bin/warren ARGS` to completion (a client command, or a broker expected to fail at startup). */
export function runWarren(args: string[], env: Record<string, string> = {}, stdin?: string): Promise<RunResult> {
  const child = spawn(process.execPath, [BIN, ...args], { stdio: ['pipe', 'pipe', 'pipe'], env: cleanEnv(env) });
  children.push(child);
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  child.stdin.end(stdin ?? '');
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
}

/** A port nothing listens on (found by listening on 0 and closing again). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.on('error', reject);
    s.listen(0, () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

/** Parses tab-separated ctl output into its header and rows. */
export function table(stdout: string): { header: string[]; rows: string[][] } {
  const lines = stdout.split('\n').filter((l) => l !== '');
  return { header: (lines[0] ?? '').split('\t'), rows: lines.slice(1).map((l) => l.split('\t')) };
}
