// Warren's programmatic entry: startBroker() runs a real broker in-process (port 0 picks a free port).
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import pino, { type Logger } from 'pino';
import { Broker, ManualClock, realClock, restoreAccess, TraceWatch, type Clock, snapshotAccess, type AccessSnapshot, type InternalErrorReporter, type PagingWindow } from './broker/index.js';
import { importDefinitions } from './definitions/index.js';
import { startManagement, startMetrics, type HttpListener, type ManagementListener } from './http/index.js';
import { AmqpServer, DEFAULT_SERVER_OPTIONS, type ServerOptions } from './server/index.js';
import { ResourceStack } from './shared/resource-stack.js';
import { NODE_NAME } from './server/server-properties.js';
import { ShovelSupervisor } from './shovel/index.js';
import { serverTls, tlsWanted, type TlsSettings } from './shared/tls.js';
import { AccessFile } from './store/access-file.js';
import { FileStore } from './store/index.js';

export interface StartOptions extends Partial<ServerOptions> {
  /** Where durable state lives (created if missing). Default `./data`. */
  dataDir?: string;
  /** pino level; default 'info' (use 'silent' in tests). Ignored when `logger` is given. */
  logLevel?: string;
  /** Ready messages (and body bytes) a queue keeps in memory before paging the rest to disk. */
  pagingWindow?: PagingWindow;
  logger?: Logger;
  /** Management HTTP API port (0 picks a free one); undefined or -1 leaves it off. Off by default here; the CLI uses 15672. */
  managementPort?: number;
  /** Prometheus metrics port (0 picks a free one); undefined or -1 leaves it off. Off by default here; the CLI uses 15692. */
  prometheusPort?: number;
  /** Definitions file (RabbitMQ's JSON), or a directory of `.json` files, imported before listening (`load_definitions`). */
  loadDefinitions?: string;
  /** Tags of the default user (`default_user_tags.*`); default `administrator`. */
  defaultUserTags?: string[];
  /** `default_permissions.*`. Parsed and kept; not enforced yet (every user may use every vhost). */
  defaultPermissions?: { configure: string; write: string; read: string };
  /** `vm_memory_high_watermark.relative` (fraction of RAM) or `.absolute` (bytes), for memory alarms. Kept; not enforced yet. */
  memoryHighWatermark?: { relative: number } | { absolute: number };
  /** `disk_free_limit.absolute` (bytes) or `.relative` (fraction of RAM), for disk alarms. Kept; not enforced yet. */
  diskFreeLimit?: { absolute: number } | { relative: number };
  /**
   * The amqps listener (`listeners.ssl.default`, `ssl_options.*`): starts when a port or a certificate is given, on
   * 5671 unless `port` says otherwise (0 picks a free one, -1 turns it off). Certificate and key are required.
   */
  tls?: TlsSettings;
  /**
   * The management API over HTTPS (`management.ssl.*`): starts when given, on 15671 unless `port` says otherwise.
   * Without its own certificate it uses `tls`'s certificate, key and CA. Plain HTTP still runs on `managementPort`.
   */
  managementTls?: TlsSettings;
  /**
   * 'manual': broker time moves only through `clock.advance(ms)` (TTL, x-expires, delayed messages, consumer timeouts,
   * dead-letter times); heartbeats, handshake and close timeouts stay on real time. Default: the real clock.
   */
  clock?: 'real' | 'manual' | Clock;
}

/** The broker's time as a test sees it. */
export interface BrokerClock {
  /** The broker's current time (ms since the epoch). */
  now(): number;
  /** Moves a manual clock forward, firing every broker timer due by then in order; returns the new time. */
  advance(ms: number): number;
  /** True when the broker was started with `clock: 'manual'`. */
  readonly manual: boolean;
}

export type { TlsSettings } from './shared/tls.js';

export interface RunningBroker {
  /** The port actually listened on. */
  readonly port: number;
  /** `amqp://guest:guest@localhost:PORT` with the default user. */
  readonly url: string;
  readonly broker: Broker;
  readonly server: AmqpServer;
  /** The dynamic shovels (one per `shovel` runtime parameter). */
  readonly shovels: ShovelSupervisor;
  /** The amqps listener's port, when TLS is configured. */
  readonly tlsPort: number | undefined;
  /** The management API's port, when it runs. */
  readonly managementPort: number | undefined;
  /** The management API's HTTPS port, when it runs. */
  readonly managementTlsPort: number | undefined;
  /** The Prometheus endpoint's port, when it runs. */
  readonly prometheusPort: number | undefined;
  /** The broker's clock; `advance(ms)` works with `startBroker({ clock: 'manual' })`. */
  readonly clock: BrokerClock;
  /** The firehose in-process: on/off per vhost, waitFor(match) and record() for assertions in tests. */
  readonly trace: TraceWatch;
  /** Sends connection.close 320 to every client and stops listening. */
  close(): Promise<void>;
}

export async function startBroker(opts: StartOptions = {}): Promise<RunningBroker> {
  const options: ServerOptions = { ...DEFAULT_SERVER_OPTIONS };
  for (const key of Object.keys(DEFAULT_SERVER_OPTIONS) as Array<keyof ServerOptions>) {
    const v = opts[key];
    if (v !== undefined) (options as unknown as Record<string, unknown>)[key] = v;
  }
  const logger = opts.logger ?? pino({ level: opts.logLevel ?? 'info' });
  const reportInternalError: InternalErrorReporter = (err, where) => logger.error({ err, where }, 'internal error (the broker keeps running)');
  const dataDir = opts.dataDir ?? './data';
  const store = new FileStore(
    dataDir,
    (err) => logger.error({ err }, 'message store write or sync failed; publishers get nacks'),
    (msg, ctx) => logger.warn(ctx, msg),
    opts.pagingWindow,
    reportInternalError,
  );
  const resources = new ResourceStack();
  resources.defer(() => store.close());
  const clock = opts.clock === 'manual' ? new ManualClock() : opts.clock === 'real' || opts.clock === undefined ? realClock : opts.clock;
  const broker = new Broker({ defaultUser: options.defaultUser, defaultPass: options.defaultPass, defaultVhost: options.defaultVhost, reportInternalError, clock }, store);
  await resources.open(() => recover(broker, store, new AccessFile(dataDir), options, logger));
  const defaultUser = broker.users.get(options.defaultUser);
  if (opts.defaultUserTags && defaultUser) broker.users.set(defaultUser.name, { ...defaultUser, tags: [...opts.defaultUserTags] });
  const definitions = opts.loadDefinitions;
  if (definitions !== undefined) await resources.open(() => loadDefinitionsAtBoot(broker, definitions, logger));
  // Certificates are read and checked before anything listens.
  const amqpTls = await resources.open(() => (tlsWanted(opts.tls) ? serverTls(opts.tls, 'TLS') : undefined));
  const managementTls = await resources.open(() =>
    opts.managementTls !== undefined && !(opts.managementTls.port !== undefined && opts.managementTls.port < 0)
      ? serverTls(opts.managementTls, 'management TLS', opts.tls)
      : undefined,
  );
  for (const w of [...(amqpTls?.warnings ?? []), ...(managementTls?.warnings ?? [])]) logger.warn(w);
  const server = new AmqpServer(broker, options, logger);
  resources.defer(() => server.close());
  const port = await resources.open(() => listening('AMQP', options.port, '--port', () => server.listen()));
  let tlsPort: number | undefined;
  if (amqpTls) {
    const wanted = opts.tls?.port ?? 5671;
    tlsPort = await resources.open(() => listening('AMQP over TLS', wanted, '--tls-port', () => server.listenTls(wanted, opts.tls?.host ?? options.host, amqpTls)));
  }
  const vhostPart = options.defaultVhost === '/' ? '' : `/${encodeURIComponent(options.defaultVhost)}`;
  const url = `amqp://${encodeURIComponent(options.defaultUser)}:${encodeURIComponent(options.defaultPass)}@localhost:${port}${vhostPart}`;
  // Shovels reach this broker (URIs with an empty host) over loopback to its own AMQP port.
  const shovels = new ShovelSupervisor(broker, { port, username: options.defaultUser, password: options.defaultPass, node: NODE_NAME }, logger.child({ component: 'shovel' }));
  shovels.start();
  resources.defer(() => shovels.close());
  const deps = { broker, server, port, shovels };
  const host = options.host;
  const prometheusPort = opts.prometheusPort;
  const managementPort = opts.managementPort;
  let metrics: HttpListener | undefined;
  if (enabled(prometheusPort)) {
    const m = await resources.open(() => listening('Prometheus metrics', prometheusPort, '--prometheus-port', () => startMetrics(deps, { port: prometheusPort, host })));
    resources.defer(() => m.close());
    metrics = m;
  }
  let management: ManagementListener | undefined;
  const httpsPort = managementTls ? (opts.managementTls?.port ?? 15671) : undefined;
  if (enabled(managementPort) || managementTls) {
    const listen = {
      port: enabled(managementPort) ? managementPort : undefined,
      host,
      prometheusPort: metrics?.port,
      amqpTlsPort: tlsPort,
      https: managementTls && httpsPort !== undefined ? { port: httpsPort, host: opts.managementTls?.host ?? host, tls: managementTls.options } : undefined,
    };
    // Two ports, one error: the port the error names tells which listener it was.
    const which = (e: unknown) => ((e as { port?: number }).port === httpsPort && httpsPort !== managementPort ? 'https' : 'http');
    const m = await resources.open(() =>
      startManagement(deps, listen).catch((e: unknown) => {
        if (which(e) === 'https' && httpsPort !== undefined) throw explainInUse(e, 'management API over HTTPS', httpsPort, '--management-tls-port');
        throw explainInUse(e, 'management API', managementPort, '--management-port');
      }),
    );
    resources.defer(() => m.close());
    management = m;
  }
  let closing: Promise<void> | undefined;
  return {
    port,
    url,
    broker,
    server,
    shovels,
    tlsPort,
    managementPort: management?.port,
    managementTlsPort: management?.httpsPort,
    prometheusPort: metrics?.port,
    clock: brokerClock(clock),
    trace: new TraceWatch(broker, NODE_NAME),
    close: () => (closing ??= resources.close()),
  };
}

function brokerClock(clock: Clock): BrokerClock {
  return {
    now: () => clock.now(),
    advance: (ms) => {
      if (!(clock instanceof ManualClock)) throw new Error("clock.advance: the broker runs on the real clock; start it with startBroker({ clock: 'manual' })");
      return clock.advance(ms);
    },
    manual: clock instanceof ManualClock,
  };
}

function enabled(port: number | undefined): port is number {
  return port !== undefined && port >= 0;
}

/** Starts a listener; a port in use becomes a one-line error naming the port and the flag that changes it. */
async function listening<T>(what: string, port: number | undefined, flag: string, start: () => Promise<T>): Promise<T> {
  try {
    return await start();
  } catch (e) {
    throw explainInUse(e, what, port, flag);
  }
}

/** The one port-in-use message; any other error passes unchanged. */
function explainInUse(e: unknown, what: string, port: number | undefined, flag: string): unknown {
  if ((e as NodeJS.ErrnoException).code === 'EADDRINUSE') return new Error(`${what}: port ${port} is already in use (change it with ${flag})`);
  return e;
}

/**
 * Brings back vhosts, users, permissions and limits, then replays the definitions log (which reopens durable queues
 * with their messages), compacts it, and logs what came back. Later changes are saved as they happen.
 */
function recover(broker: Broker, store: FileStore, access: AccessFile, options: ServerOptions, logger: Logger): void {
  const started = Date.now();
  const snapshot = access.load();
  if (snapshot) restoreAccess(broker, snapshot, options.defaultUser);
  const changes = store.replay(broker);
  if (snapshot) dropDeletedVhosts(broker, snapshot, options.defaultVhost);
  for (const vhost of new Set([...broker.parameters.allPolicies('policy'), ...broker.parameters.allPolicies('operator_policy'), ...broker.parameters.parameters()].map((p) => p.vhost))) {
    if (!broker.vhosts.has(vhost)) broker.parameters.vhostDeleted(vhost);
  }
  // RabbitMQ gives every cluster an id at its first boot and exports it among the global parameters.
  if (broker.parameters.getGlobal('internal_cluster_id') === undefined) {
    broker.parameters.setGlobal('internal_cluster_id', `rabbitmq-cluster-id-${randomBytes(16).toString('base64url')}`);
  }
  store.definitions.compact(broker);
  broker.onChange((vhost, change) => store.definitions.append(vhost, change));
  broker.parameters.onChange((change) => store.definitions.appendParameter(change));
  broker.onAccessChange(() => access.save(snapshotAccess(broker)));
  let queues = 0;
  let messages = 0;
  let bytes = 0;
  for (const v of broker.vhosts.values()) {
    for (const q of v.queues.values()) {
      queues += 1;
      messages += q.messageCount;
      bytes += q.messageBytes;
    }
  }
  if (changes > 0) logger.info({ queues, messages, bytes, ms: Date.now() - started }, 'recovered definitions and messages');
}

/** A vhost deleted through the API comes back from the log's records of its queues' deletion: it goes again. */
function dropDeletedVhosts(broker: Broker, snapshot: AccessSnapshot, defaultVhost: string): void {
  const kept = new Set(snapshot.vhosts);
  for (const v of [...broker.vhosts.values()]) {
    if (kept.has(v.name) || v.name === defaultVhost || v.queues.size > 0) continue;
    if ([...v.exchanges.keys()].every((x) => x === '' || x.startsWith('amq.'))) broker.vhosts.delete(v.name);
  }
}

/** Imports a definitions file, or every `.json` file of a directory in name order, as RabbitMQ's `load_definitions` does. */
function loadDefinitionsAtBoot(broker: Broker, path: string, logger: Logger): void {
  const fail = (file: string, why: string) => new Error(`load_definitions: ${file}: ${why}`);
  let files: string[];
  try {
    files = statSync(path).isDirectory() ? readdirSync(path).filter((f) => f.endsWith('.json')).sort().map((f) => join(path, f)) : [path];
  } catch (e) {
    throw fail(path, (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file or directory' : (e as Error).message);
  }
  for (const file of files) {
    let defs: unknown;
    try {
      defs = JSON.parse(readFileSync(file, 'utf8'));
    } catch (e) {
      throw fail(file, e instanceof SyntaxError ? `not valid JSON (${e.message})` : (e as Error).message);
    }
    if (defs === null || typeof defs !== 'object' || Array.isArray(defs)) throw fail(file, 'expected a JSON object of definitions');
    try {
      const { warnings } = importDefinitions(broker, defs as Record<string, unknown>);
      for (const w of warnings) logger.warn({ file }, w);
    } catch (e) {
      throw fail(file, e instanceof Error ? e.message : String(e));
    }
    logger.info({ file }, 'imported definitions (load_definitions)');
  }
}

export { Broker, ManualClock, TRACE_EXCHANGE, type Clock, type TraceEvent, type TraceMatch, type TraceOrigin, type TraceRecorder } from './broker/index.js';
export type { ServerOptions } from './server/index.js';
