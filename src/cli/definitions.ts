// `warren export-definitions [FILE|-]` and `warren import-definitions FILE|-`: RabbitMQ's definitions JSON,
// through a running broker's management API (GET and POST /api/definitions), like rabbitmqadmin.
import { readFileSync, writeFileSync } from 'node:fs';
import type { Output } from './diagnostics.js';
import { ManagementClient, seg } from './management-client.js';
import { CliError, type ClientTarget } from './settings.js';

/** Writes the broker's definitions (or one vhost's, with `vhost`) to FILE, or to stdout for `-` or no file. */
export async function exportDefinitionsCommand(target: ClientTarget, file: string | undefined, vhost: string | undefined, quiet: boolean, io: Output): Promise<void> {
  const api = new ManagementClient(target);
  const path = vhost === undefined ? '/api/definitions' : `/api/definitions/${seg(vhost)}`;
  const defs = await api.get(path, vhost === undefined ? undefined : `vhost '${vhost}' does not exist`);
  const text = JSON.stringify(defs, null, 2) + '\n';
  if (file === undefined || file === '-') {
    io.out(text.trimEnd());
    return;
  }
  try {
    writeFileSync(file, text);
  } catch (e) {
    throw new CliError(`cannot write ${file}: ${(e as Error).message}`);
  }
  if (!quiet) io.out(`Exported definitions${vhost === undefined ? '' : ` of vhost '${vhost}'`} from ${target.managementUrl} to ${file}`);
}

/** Imports FILE (or stdin for `-`) into the broker (or into one vhost, with `vhost`). */
export async function importDefinitionsCommand(target: ClientTarget, file: string, vhost: string | undefined, quiet: boolean, io: Output): Promise<void> {
  let text: string;
  try {
    text = readFileSync(file === '-' ? 0 : file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new CliError(`cannot read ${file}: ${code === 'ENOENT' ? 'no such file' : (e as Error).message}`);
  }
  let defs: unknown;
  try {
    defs = JSON.parse(text);
  } catch (e) {
    throw new CliError(`${file}: not valid JSON (${(e as Error).message})`);
  }
  if (defs === null || typeof defs !== 'object' || Array.isArray(defs)) throw new CliError(`${file}: expected a JSON object of definitions`);
  const api = new ManagementClient(target);
  const path = vhost === undefined ? '/api/definitions' : `/api/definitions/${seg(vhost)}`;
  const reply = await api.request('POST', path, text);
  if (reply.status === 404 && vhost !== undefined) throw new CliError(`vhost '${vhost}' does not exist`);
  if (reply.status < 200 || reply.status >= 300) {
    const body = reply.json as { reason?: unknown } | undefined;
    const reason = typeof body?.reason === 'string' ? body.reason : reply.text.trim();
    throw new CliError(`import of ${file} refused (${reply.status}): ${reason}`);
  }
  if (!quiet) io.out(`Imported definitions from ${file === '-' ? 'stdin' : file} into ${target.managementUrl}${vhost === undefined ? '' : ` (vhost '${vhost}')`}`);
}
