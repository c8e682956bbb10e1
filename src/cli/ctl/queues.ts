// `warren ctl` commands on queues and connections: purge_queue, delete_queue, close_connection.
import { seg } from '../management-client.js';
import { CliError } from '../settings.js';
import { info, vhostOf, type Command } from './command.js';

export const QUEUE_COMMANDS: Record<string, Command> = {
  purge_queue: {
    usage: 'purge_queue [-p VHOST] QUEUE',
    args: 1,
    run: async (api, [queue], o, io) => {
      const v = vhostOf(api, o);
      info(o, io, `Purging queue '${queue!}' in vhost '${v}' ...`);
      await api.expectOk('DELETE', `/api/queues/${seg(v)}/${seg(queue!)}/contents`, undefined, { notFound: `queue '${queue!}' in vhost '${v}' does not exist` });
    },
  },
  delete_queue: {
    usage: 'delete_queue [-p VHOST] QUEUE [--if-empty|-e] [--if-unused|-u]',
    args: 1,
    run: async (api, [queue], o, io) => {
      const v = vhostOf(api, o);
      const path = `/api/queues/${seg(v)}/${seg(queue!)}`;
      const before = await api.request('GET', path);
      if (before.status === 404) throw new CliError(`queue '${queue!}' in vhost '${v}' does not exist`);
      info(o, io, `Deleting queue '${queue!}' on vhost '${v}' ...`);
      const query = [o.ifEmpty ? 'if-empty=true' : '', o.ifUnused ? 'if-unused=true' : ''].filter(Boolean).join('&');
      await api.expectOk('DELETE', query === '' ? path : `${path}?${query}`, undefined, { notFound: `queue '${queue!}' in vhost '${v}' does not exist` });
      const messages = (before.json as { messages?: number } | undefined)?.messages;
      if (typeof messages === 'number') info(o, io, `Queue was successfully deleted with ${messages} message${messages === 1 ? '' : 's'}`);
    },
  },
  close_connection: {
    usage: 'close_connection CONNECTION [REASON]   (CONNECTION as `list_connections name` prints it)',
    args: [1, 2],
    run: async (api, [name, reason], o, io) => {
      const why = reason ?? 'Closed via warren ctl';
      info(o, io, `Closing connection ${name!}, reason: ${why}...`);
      await api.expectOk('DELETE', `/api/connections/${seg(name!)}`, undefined, { notFound: `no connection named '${name!}'`, headers: { 'x-reason': why } });
    },
  },
};
