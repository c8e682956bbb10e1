// `warren ctl` vhost and user limits: list_*_limits, set_*_limits, clear_*_limits (rabbitmqctl's JSON forms).
import { seg } from '../management-client.js';
import { CliError } from '../settings.js';
import { info, noVhost, renderValue, vhostOf, type Command, type Row } from './command.js';
import { userExists } from './users.js';

/** Limits as rabbitmqctl prints them: one JSON object, keys in order, no spaces (`{}` when none are set). */
function limitsLine(value: unknown): string {
  const entries = value !== null && typeof value === 'object' ? Object.entries(value as Row) : [];
  return JSON.stringify(Object.fromEntries(entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))));
}

/** One row per vhost or user of /api/vhost-limits or /api/user-limits, as `{vhost|user, value}`. */
function limitRows(json: unknown, key: 'vhost' | 'user'): Map<string, unknown> {
  const out = new Map<string, unknown>();
  if (Array.isArray(json)) for (const r of json as Row[]) if (typeof r[key] === 'string') out.set(r[key], r.value);
  return out;
}

/** rabbitmqctl's limits argument: a JSON object of limit names and integers. */
function limitsArg(text: string): Record<string, unknown> {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    throw new CliError(`limits must be a JSON object, like '{"max-connections": 10}'; got ${text}`, 64);
  }
  if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new CliError(`limits must be a JSON object, like '{"max-connections": 10}'; got ${text}`, 64);
  return v as Record<string, unknown>;
}

export const LIMIT_COMMANDS: Record<string, Command> = {
  list_vhost_limits: {
    usage: 'list_vhost_limits [-p VHOST] [--global]   (one vhost\'s limits as JSON; --global: a vhost<TAB>limits row per vhost)',
    args: 0,
    run: async (api, [], o, io) => {
      if (o.global) {
        info(o, io, 'Listing limits for all vhosts ...');
        const limits = limitRows(await api.get('/api/vhost-limits'), 'vhost');
        const vhosts = await api.get('/api/vhosts');
        if (o.tableHeaders) io.out('vhost\tlimits');
        for (const v of Array.isArray(vhosts) ? (vhosts as Row[]) : []) io.out(`${renderValue(v.name)}\t${limitsLine(limits.get(String(v.name)))}`);
        return;
      }
      const v = vhostOf(api, o);
      info(o, io, `Listing limits for vhost "${v}" ...`);
      io.out(limitsLine(limitRows(await api.get(`/api/vhost-limits/${seg(v)}`, noVhost(v)), 'vhost').get(v)));
    },
  },
  list_user_limits: {
    usage: 'list_user_limits [--user USER] [--global]   (one user\'s limits as JSON; --global: a user<TAB>limits row per user with limits)',
    args: 0,
    run: async (api, [], o, io) => {
      if (o.global) {
        info(o, io, 'Listing limits for all users ...');
        if (o.tableHeaders) io.out('user\tlimits');
        for (const [user, value] of limitRows(await api.get('/api/user-limits'), 'user')) io.out(`${renderValue(user)}\t${limitsLine(value)}`);
        return;
      }
      const user = o.user ?? api.target.username;
      info(o, io, `Listing limits for user "${user}" ...`);
      io.out(limitsLine(limitRows(await api.get(`/api/user-limits/${seg(user)}`, `user '${user}' does not exist`), 'user').get(user)));
    },
  },
  set_vhost_limits: {
    usage: `set_vhost_limits [-p VHOST] '{"max-connections": N, "max-queues": N}'`,
    args: 1,
    run: async (api, [definition], o, io) => {
      const v = vhostOf(api, o);
      info(o, io, `Applying limits for vhost "${v}": ${definition!} ...`);
      const limits = limitsArg(definition!);
      for (const [name, value] of Object.entries(limits)) {
        await api.expectOk('PUT', `/api/vhost-limits/${seg(v)}/${seg(name)}`, { value }, { notFound: noVhost(v) });
      }
      // As rabbitmqctl, the definition replaces the vhost's limits: those it leaves out are cleared.
      for (const name of ['max-connections', 'max-queues']) {
        if (!(name in limits)) await api.expectOk('DELETE', `/api/vhost-limits/${seg(v)}/${name}`, undefined, { notFound: noVhost(v) });
      }
    },
  },
  clear_vhost_limits: {
    usage: 'clear_vhost_limits [-p VHOST]',
    args: 0,
    run: async (api, [], o, io) => {
      const v = vhostOf(api, o);
      info(o, io, `Clearing vhost "${v}" limits ...`);
      for (const name of ['max-connections', 'max-queues']) await api.expectOk('DELETE', `/api/vhost-limits/${seg(v)}/${name}`, undefined, { notFound: noVhost(v) });
    },
  },
  set_user_limits: {
    usage: `set_user_limits USER '{"max-connections": N, "max-channels": N}'`,
    args: 2,
    run: async (api, [user, definition], o, io) => {
      info(o, io, `Setting user limits to "${definition!}" for user "${user!}" ...`);
      if (!(await userExists(api, user!))) throw new CliError(`user '${user!}' does not exist`);
      for (const [name, value] of Object.entries(limitsArg(definition!))) {
        await api.expectOk('PUT', `/api/user-limits/${seg(user!)}/${seg(name)}`, { value });
      }
    },
  },
  clear_user_limits: {
    usage: 'clear_user_limits USER max-connections|max-channels|all',
    args: 2,
    run: async (api, [user, limit], o, io) => {
      info(o, io, `Clearing "${limit!}" limit for user "${user!}" ...`);
      if (limit !== 'all' && limit !== 'max-connections' && limit !== 'max-channels') throw new CliError(`unknown limit '${limit!}'; expected max-connections, max-channels or all`, 64);
      for (const name of limit === 'all' ? ['max-connections', 'max-channels'] : [limit]) {
        await api.expectOk('DELETE', `/api/user-limits/${seg(user!)}/${name}`, undefined, { notFound: `user '${user!}' does not exist` });
      }
    },
  },
};
