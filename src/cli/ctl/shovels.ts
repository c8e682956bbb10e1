// `warren ctl` shovel commands (rabbitmq_shovel's shovel_status, delete_shovel, restart_shovel) on the management API.
import type { ManagementClient } from '../management-client.js';
import { seg } from '../management-client.js';
import { CliError } from '../settings.js';
import { info, renderValue, vhostOf, type Command, type Row } from './command.js';

/** The node name rabbitmqctl's shovel commands print (the API's overview). */
async function nodeName(api: ManagementClient): Promise<string> {
  const o = (await api.get('/api/overview')) as Row | undefined;
  return typeof o?.node === 'string' ? o.node : 'warren@localhost';
}

const shovelMissing = (node: string, v: string) => new CliError(`Shovel with the given name was not found on the target node '${node}' and / or virtual host '${v}'`, 69);

/** rabbitmq_shovel's rabbitmqctl commands, on GET /api/shovels and the shovel parameters. */
export const SHOVEL_COMMANDS: Record<string, Command> = {
  shovel_status: {
    usage: 'shovel_status   (destination last_changed name source state termination_reason type vhost)',
    args: 0,
    run: async (api, [], o, io) => {
      const node = await nodeName(api);
      info(o, io, `Shovel status on node ${node}`);
      const rows = (await api.get('/api/shovels')) as Row[];
      if (o.tableHeaders) io.out('destination\tlast_changed\tname\tsource\tstate\ttermination_reason\ttype\tvhost');
      for (const r of Array.isArray(rows) ? rows : []) {
        const changed = typeof r.timestamp === 'string' ? r.timestamp.replace(/ (\d):/, ' 0$1:') : '';
        io.out([r.dest_uri ?? '', changed, r.name, r.src_uri ?? '', r.state, r.reason ?? '', r.type, r.vhost].map((x) => renderValue(x)).join('\t'));
      }
    },
  },
  delete_shovel: {
    usage: 'delete_shovel [-p VHOST] NAME',
    args: 1,
    run: async (api, [name], o, io) => {
      const v = vhostOf(api, o);
      info(o, io, `Deleting shovel ${name!} in vhost ${v}`);
      const r = await api.request('DELETE', `/api/parameters/shovel/${seg(v)}/${seg(name!)}`);
      if (r.status === 404) throw shovelMissing(await nodeName(api), v);
      if (r.status >= 300) throw new CliError(`DELETE /api/parameters/shovel: ${r.status} ${r.text}`);
    },
  },
  restart_shovel: {
    usage: 'restart_shovel [-p VHOST] NAME',
    args: 1,
    run: async (api, [name], o, io) => {
      const v = vhostOf(api, o);
      const node = await nodeName(api);
      info(o, io, `Restarting dynamic Shovel ${name!} in virtual host ${v} on node ${node}`);
      const r = await api.request('DELETE', `/api/shovels/vhost/${seg(v)}/${seg(name!)}/restart`);
      if (r.status === 404) throw shovelMissing(node, v);
      if (r.status >= 300) throw new CliError(`DELETE /api/shovels/vhost/…/restart: ${r.status} ${r.text}`);
    },
  },
};
