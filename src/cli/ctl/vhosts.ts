// `warren ctl` vhost commands: add_vhost, delete_vhost, trace_on, trace_off.
import type { ManagementClient } from '../management-client.js';
import { seg } from '../management-client.js';
import type { Output } from '../diagnostics.js';
import { info, noVhost, vhostOf, type CtlOptions, type Command } from './command.js';

export const VHOST_COMMANDS: Record<string, Command> = {
  add_vhost: {
    usage: 'add_vhost VHOST',
    args: 1,
    run: async (api, [vhost], o, io) => {
      info(o, io, `Adding vhost "${vhost!}" ...`);
      await api.expectOk('PUT', `/api/vhosts/${seg(vhost!)}`, {});
    },
  },
  trace_on: {
    usage: 'trace_on [-p VHOST]',
    args: 0,
    run: async (api, _args, o, io) => setTracing(api, vhostOf(api, o), true, o, io),
  },
  trace_off: {
    usage: 'trace_off [-p VHOST]',
    args: 0,
    run: async (api, _args, o, io) => setTracing(api, vhostOf(api, o), false, o, io),
  },
  delete_vhost: {
    usage: 'delete_vhost VHOST',
    args: 1,
    run: async (api, [vhost], o, io) => {
      info(o, io, `Deleting vhost "${vhost!}" ...`);
      await api.expectOk('DELETE', `/api/vhosts/${seg(vhost!)}`, undefined, { notFound: noVhost(vhost!) });
    },
  },
};

/** rabbitmqctl trace_on/trace_off: the vhost's `tracing` through the API; as rabbitmqctl, a missing vhost is no error. */
async function setTracing(api: ManagementClient, vhost: string, on: boolean, o: CtlOptions, io: Output): Promise<void> {
  info(o, io, `${on ? 'Starting' : 'Stopping'} tracing for vhost "${vhost}" ...`);
  const exists = (await api.request('GET', `/api/vhosts/${seg(vhost)}`)).status === 200;
  if (exists) await api.expectOk('PUT', `/api/vhosts/${seg(vhost)}`, { tracing: on });
  io.out(`Trace ${on ? 'enabled' : 'disabled'} for vhost ${vhost}`);
}
