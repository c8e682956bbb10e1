// `warren ctl` permission commands: set/clear_permissions and set/clear_topic_permissions.
import { seg } from '../management-client.js';
import { CliError } from '../settings.js';
import { info, noVhost, vhostOf, type Command } from './command.js';
import { userExists } from './users.js';

export const PERMISSION_COMMANDS: Record<string, Command> = {
  set_permissions: {
    usage: 'set_permissions [-p VHOST] USER CONFIGURE WRITE READ',
    args: 4,
    run: async (api, [user, configure, write, read], o, io) => {
      const v = vhostOf(api, o);
      info(o, io, `Setting permissions for user "${user!}" in vhost "${v}" ...`);
      if (!(await userExists(api, user!))) throw new CliError(`user '${user!}' does not exist`);
      await api.expectOk('PUT', `/api/permissions/${seg(v)}/${seg(user!)}`, { configure, write, read }, { notFound: noVhost(v) });
    },
  },
  clear_permissions: {
    usage: 'clear_permissions [-p VHOST] USER',
    args: 1,
    run: async (api, [user], o, io) => {
      const v = vhostOf(api, o);
      info(o, io, `Clearing permissions for user "${user!}" in vhost "${v}" ...`);
      await api.expectOk('DELETE', `/api/permissions/${seg(v)}/${seg(user!)}`, undefined, { notFound: `user '${user!}' has no permissions in vhost '${v}'` });
    },
  },
  set_topic_permissions: {
    usage: 'set_topic_permissions [-p VHOST] USER EXCHANGE WRITE READ',
    args: 4,
    run: async (api, [user, exchange, write, read], o, io) => {
      const v = vhostOf(api, o);
      info(o, io, `Setting topic permissions on "${exchange!}" for user "${user!}" in vhost "${v}" ...`);
      if (!(await userExists(api, user!))) throw new CliError(`user '${user!}' does not exist`);
      await api.expectOk('PUT', `/api/topic-permissions/${seg(v)}/${seg(user!)}`, { exchange, write, read });
    },
  },
  clear_topic_permissions: {
    usage: 'clear_topic_permissions [-p VHOST] USER',
    args: 1,
    run: async (api, [user], o, io) => {
      const v = vhostOf(api, o);
      info(o, io, `Clearing topic permissions for user "${user!}" in vhost "${v}" ...`);
      await api.expectOk('DELETE', `/api/topic-permissions/${seg(v)}/${seg(user!)}`, undefined, { notFound: `user '${user!}' has no topic permissions in vhost '${v}'` });
    },
  },
};
