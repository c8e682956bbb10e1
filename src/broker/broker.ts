// The broker's domain root: virtual hosts and users, with no knowledge of sockets.
import { reportToConsole, type InternalErrorReporter } from './internal-errors.js';
import { checkPasswordHash, type PasswordHash } from './password-hash.js';
import { LimitTable } from './limits.js';
import type { MessagePersistence } from './persistence.js';
import { PermissionTable } from './permissions.js';
import { ParameterTable } from './policies/index.js';
import { PolicyApplier } from './policy-application.js';
import type { BrokerRuntime } from './runtime.js';
import { realClock, type Clock } from './clock.js';
import type { TraceListener } from './tracer.js';
import { newBrokerTotals, type BrokerTotals } from './stats.js';
import { VirtualHost, type ChangeListener } from './vhost.js';

export interface User {
  readonly name: string;
  /** Plaintext password (the configured default user). */
  readonly password?: string;
  /** RabbitMQ's salted hash (users imported from definitions); checked instead of `password` when set. */
  readonly passwordHash?: PasswordHash;
  readonly tags: readonly string[];
}

export interface BrokerOptions {
  defaultUser: string;
  defaultPass: string;
  defaultVhost: string;
  /** Where errors raised outside any connection go (the broker's logger); the console when not given. */
  reportInternalError?: InternalErrorReporter | undefined;
  /** The clock of the broker's timers; the real one unless a test gives a ManualClock. */
  clock?: Clock | undefined;
}

export interface VhostMetadata {
  readonly description: string;
  readonly tags: readonly string[];
}

export class Broker implements BrokerRuntime {
  readonly vhosts = new Map<string, VirtualHost>();
  readonly users = new Map<string, User>();
  /** Who may do what where. */
  readonly permissions = new PermissionTable(this);
  /** Per-vhost and per-user limits. */
  readonly limits = new LimitTable(this);
  /** Policies, operator policies, runtime and global parameters (kept in the definitions log). */
  readonly parameters = new ParameterTable();
  /** Descriptions and tags given to vhosts (management API); forgotten with the vhost, kept across restarts. */
  readonly vhostMetadata = new WeakMap<VirtualHost, VhostMetadata>();
  /** This broker's message totals (rabbitmq_global_*). */
  readonly totals: BrokerTotals = newBrokerTotals();
  readonly reportInternalError: InternalErrorReporter;
  readonly clock: Clock;
  /** In-process listeners of every traced publish and delivery (vhosts with tracing on). */
  readonly traceListeners = new Set<TraceListener>();
  private connectionIds = 0;
  private readonly persistence: MessagePersistence | undefined;
  private readonly listeners: ChangeListener[] = [];

  constructor(opts: BrokerOptions, persistence?: MessagePersistence) {
    this.persistence = persistence;
    // Policies are resolved when they or the objects change, never per message: a new queue or exchange gets the
    // policy in force at once, and a policy change re-applies to every object of its vhost.
    const policies = new PolicyApplier(this.parameters, (err, where) => this.reportInternalError(err, where));
    this.listeners.push((vhost, change) => {
      if (change.op === 'queue.declare') {
        const q = vhost.queues.get(change.name);
        if (q) policies.queue(q);
      } else if (change.op === 'exchange.declare') {
        const x = vhost.exchanges.get(change.name);
        if (x) policies.exchange(x);
      }
    });
    this.parameters.onPoliciesChange((name) => {
      const v = this.vhosts.get(name);
      if (v) policies.vhost(v);
    });
    this.reportInternalError = opts.reportInternalError ?? reportToConsole;
    this.clock = opts.clock ?? realClock;
    this.addVhost(opts.defaultVhost);
    this.users.set(opts.defaultUser, { name: opts.defaultUser, password: opts.defaultPass, tags: ['administrator'] });
  }

  addVhost(name: string): VirtualHost {
    let v = this.vhosts.get(name);
    if (!v) {
      v = new VirtualHost(name, this, this.persistence);
      v.maxQueues = this.limits.ofVhost(name).get('max-queues') ?? -1;
      for (const l of this.listeners) v.onChange(l);
      this.vhosts.set(name, v);
    }
    return v;
  }

  /** Listens to definition changes in every vhost, present and future (the definitions log). */
  onChange(listener: ChangeListener): void {
    this.listeners.push(listener);
    for (const v of this.vhosts.values()) v.onChange(listener);
  }

  /**
   * Users, vhosts, permissions or limits changed (through the management API or a definitions import): the access
   * store saves them. Set once at boot.
   */
  onAccessChange(listener: () => void): void {
    this.accessListener = listener;
  }

  accessChanged(): void {
    this.accessListener?.();
  }
  private accessListener: (() => void) | undefined;

  /** The user when the password matches, else undefined. */
  authenticate(username: string, password: string): User | undefined {
    const u = this.users.get(username);
    if (!u) return undefined;
    if (u.passwordHash !== undefined) return checkPasswordHash(u.passwordHash, password) ? u : undefined;
    return u.password === password ? u : undefined;
  }

  nextConnectionId(): number {
    return ++this.connectionIds;
  }
}
