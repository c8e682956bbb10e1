// The broker's domain root: virtual hosts and users, with no knowledge of sockets.
import { VirtualHost } from './vhost.js';

export interface User {
  readonly name: string;
  readonly password: string;
  readonly tags: readonly string[];
}

export interface BrokerOptions {
  defaultUser: string;
  defaultPass: string;
  defaultVhost: string;
}

export class Broker {
  readonly vhosts = new Map<string, VirtualHost>();
  readonly users = new Map<string, User>();
  private connectionIds = 0;

  constructor(opts: BrokerOptions) {
    this.addVhost(opts.defaultVhost);
    this.users.set(opts.defaultUser, { name: opts.defaultUser, password: opts.defaultPass, tags: ['administrator'] });
  }

  addVhost(name: string): VirtualHost {
    let v = this.vhosts.get(name);
    if (!v) this.vhosts.set(name, (v = new VirtualHost(name)));
    return v;
  }

  /** The user when the password matches, else undefined. */
  authenticate(username: string, password: string): User | undefined {
    const u = this.users.get(username);
    return u && u.password === password ? u : undefined;
  }

  nextConnectionId(): number {
    return ++this.connectionIds;
  }
}
