// `warren ctl`: rabbitmqctl's everyday commands (list_*, purge/delete queue, users, vhosts, permissions, limits, policies, parameters, shovels, close_connection),
// run against a running broker through its management HTTP API. Lists print tab-separated columns under a header line.
// This module dispatches a command name to its group's definition in ./ctl/ and prints the help.
import type { Output } from './diagnostics.js';
import { ManagementClient } from './management-client.js';
import { CliError, type ClientTarget } from './settings.js';
import { noVhost, renderValue, vhostOf, type Command, type CtlOptions, type Row } from './ctl/command.js';
import { LIMIT_COMMANDS } from './ctl/limits.js';
import { LISTS } from './ctl/lists.js';
import { PERMISSION_COMMANDS } from './ctl/permissions.js';
import { POLICY_COMMANDS } from './ctl/policies.js';
import { QUEUE_COMMANDS } from './ctl/queues.js';
import { SHOVEL_COMMANDS } from './ctl/shovels.js';
import { USER_COMMANDS } from './ctl/users.js';
import { VHOST_COMMANDS } from './ctl/vhosts.js';

export { renderValue, type CtlOptions } from './ctl/command.js';

const MUTATIONS: Record<string, Command> = {
  ...POLICY_COMMANDS,
  ...SHOVEL_COMMANDS,
  ...QUEUE_COMMANDS,
  ...USER_COMMANDS,
  ...PERMISSION_COMMANDS,
  ...LIMIT_COMMANDS,
  ...VHOST_COMMANDS,
};

export const CTL_COMMANDS = [...Object.keys(LISTS), ...Object.keys(MUTATIONS)];

export function ctlHelp(): string {
  const lists = Object.entries(LISTS).map(([name, spec]) => {
    const p = spec.scope === 'none' ? '' : '[-p VHOST] ';
    return `  ${name} ${p}[COLUMN ...]\n      default columns: ${spec.defaults.join(' ')}\n      columns: ${Object.keys(spec.columns).join(' ')}`;
  });
  const mutations = Object.values(MUTATIONS).map((c) => `  ${c.usage}`);
  return `Usage: warren ctl COMMAND [options] [arguments]

Runs rabbitmqctl's commands against a running broker through its management HTTP API.

Lists (tab-separated, the first line names the columns):
${lists.join('\n')}

Changes:
${mutations.join('\n')}
`;
}

/** Runs one ctl command; `args` are the positionals after the command name. */
export async function runCtl(command: string, args: string[], target: ClientTarget, o: CtlOptions, io: Output): Promise<void> {
  const api = new ManagementClient(target);
  const list = LISTS[command];
  if (list) {
    const columns = args.length > 0 ? args : [...list.defaults];
    const bad = columns.filter((c) => list.columns[c] === undefined);
    if (bad.length > 0) {
      throw new CliError(`${command}: unknown column${bad.length > 1 ? 's' : ''} ${bad.join(', ')}; known columns: ${Object.keys(list.columns).join(', ')}`, 64);
    }
    const vhost = list.scope === 'vhost' ? vhostOf(api, o) : list.scope === 'filter' ? o.vhost : undefined;
    if (list.scope === 'none' && o.vhost !== undefined) throw new CliError(`${command} lists every vhost; it takes no -p`, 64);
    const rows = await api.get(list.path(vhost), vhost !== undefined ? noVhost(vhost) : undefined);
    if (!Array.isArray(rows)) throw new CliError(`${command}: unexpected reply from ${list.path(vhost)}`);
    if (o.tableHeaders) io.out(columns.join('\t'));
    for (const row of rows as Row[]) io.out(columns.map((c) => renderValue(list.columns[c]!(row))).join('\t'));
    return;
  }
  const mutation = MUTATIONS[command];
  if (!mutation) throw new CliError(`unknown ctl command '${command}'; run \`warren ctl --help\` for the list`, 64);
  const [min, max] = typeof mutation.args === 'number' ? [mutation.args, mutation.args] : mutation.args;
  if (args.length < min || args.length > max) throw new CliError(`usage: warren ctl ${mutation.usage}`, 64);
  await mutation.run(api, args, o, io);
}
