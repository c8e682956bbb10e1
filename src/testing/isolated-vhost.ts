// isolatedVhost(): a vhost and a user of its own for one test file, so that files run in parallel against one broker.
import { randomBytes } from 'node:crypto';
import { Management, amqpUrlFrom, enc, managementUrlFrom } from './management.js';
import { purge, reset } from './vhost-reset.js';

export interface IsolatedVhostOptions {
  /** Default: AMQP_URL, as the global setup exports it (its host and port are kept, user and vhost replaced). */
  amqpUrl?: string;
  /** Default: WARREN_MANAGEMENT_URL. An administrator's credentials in it create the vhost and user. */
  managementUrl?: string;
  /** Name prefix; a random suffix follows. Default 'test'. */
  prefix?: string;
}

export interface IsolatedVhost {
  readonly vhost: string;
  readonly username: string;
  readonly password: string;
  /** `amqp://user:pass@host:port/vhost`: connect here. */
  readonly url: string;
  /** Empties every queue of the vhost. */
  purge(): Promise<void>;
  /** Deletes the vhost's queues and exchanges (not amq.*). */
  reset(): Promise<void>;
  /** Deletes the vhost (with everything in it) and the user. */
  delete(): Promise<void>;
}

export async function isolatedVhost(opts: IsolatedVhostOptions = {}): Promise<IsolatedVhost> {
  const managementUrl = managementUrlFrom(opts.managementUrl);
  const amqp = new URL(amqpUrlFrom(opts.amqpUrl));
  const api = new Management(managementUrl);
  const suffix = randomBytes(6).toString('hex');
  const vhost = `${opts.prefix ?? 'test'}-${suffix}`;
  const username = vhost;
  const password = randomBytes(12).toString('base64url');
  await api.call('PUT', `/api/vhosts/${enc(vhost)}`, {});
  await api.call('PUT', `/api/users/${enc(username)}`, { password, tags: '' });
  await api.call('PUT', `/api/permissions/${enc(vhost)}/${enc(username)}`, { configure: '.*', write: '.*', read: '.*' });
  amqp.username = enc(username);
  amqp.password = enc(password);
  amqp.pathname = `/${enc(vhost)}`;
  const url = amqp.toString();
  let deleted: Promise<void> | undefined;
  return {
    vhost,
    username,
    password,
    url,
    purge: () => purge({ vhost, managementUrl }),
    reset: () => reset({ vhost, managementUrl }),
    delete: () =>
      (deleted ??= (async () => {
        await api.call('DELETE', `/api/vhosts/${enc(vhost)}`, undefined, true);
        await api.call('DELETE', `/api/users/${enc(username)}`, undefined, true);
      })()),
  };
}
