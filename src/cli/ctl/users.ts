// `warren ctl` user commands: add_user, delete_user, change_password, set_user_tags.
import type { ManagementClient } from '../management-client.js';
import { seg } from '../management-client.js';
import { CliError } from '../settings.js';
import { info, type Command } from './command.js';

export async function userExists(api: ManagementClient, user: string): Promise<boolean> {
  return (await userRecord(api, user)) !== undefined;
}

/** The user as GET /api/users/{name} shows it (its password hash and tags), or undefined when there is none. */
export async function userRecord(api: ManagementClient, user: string): Promise<{ password_hash: string; hashing_algorithm: string; tags: string[] } | undefined> {
  const r = await api.request('GET', `/api/users/${seg(user)}`);
  if (r.status === 200) return r.json as { password_hash: string; hashing_algorithm: string; tags: string[] };
  if (r.status === 404) return undefined;
  throw new CliError(`GET /api/users/${user}: ${r.status} ${r.text}`);
}

export const USER_COMMANDS: Record<string, Command> = {
  add_user: {
    usage: 'add_user USER PASSWORD',
    args: 2,
    run: async (api, [user, password], o, io) => {
      info(o, io, `Adding user "${user!}" ...`);
      if (await userExists(api, user!)) throw new CliError(`user '${user!}' already exists`);
      await api.expectOk('PUT', `/api/users/${seg(user!)}`, { password: password!, tags: '' });
    },
  },
  delete_user: {
    usage: 'delete_user USER',
    args: 1,
    run: async (api, [user], o, io) => {
      info(o, io, `Deleting user "${user!}" ...`);
      await api.expectOk('DELETE', `/api/users/${seg(user!)}`, undefined, { notFound: `user '${user!}' does not exist` });
    },
  },
  change_password: {
    usage: 'change_password USER PASSWORD',
    args: 2,
    run: async (api, [user, password], o, io) => {
      info(o, io, `Changing password for user "${user!}" ...`);
      const current = await userRecord(api, user!);
      if (!current) throw new CliError(`user '${user!}' does not exist`);
      // The API's PUT replaces the whole user (RabbitMQ 3.10 requires the tags): the tags go along unchanged.
      await api.expectOk('PUT', `/api/users/${seg(user!)}`, { password: password!, tags: current.tags.join(',') });
    },
  },
  set_user_tags: {
    usage: 'set_user_tags USER [TAG ...]',
    args: [1, Infinity],
    run: async (api, [user, ...tags], o, io) => {
      info(o, io, `Setting tags for user "${user!}" to [${tags.join(', ')}] ...`);
      const current = await userRecord(api, user!);
      if (!current) throw new CliError(`user '${user!}' does not exist`);
      // A PUT without credentials clears the password (as RabbitMQ's does): the current hash goes along unchanged.
      const credentials = { password_hash: current.password_hash, hashing_algorithm: current.hashing_algorithm };
      await api.expectOk('PUT', `/api/users/${seg(user!)}`, { ...credentials, tags: tags.join(',') });
    },
  },
};
