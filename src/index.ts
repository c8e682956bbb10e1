// Warren's programmatic entry: startBroker() runs a real broker in-process (port 0 picks a free port).
import { mkdirSync } from 'node:fs';
import pino, { type Logger } from 'pino';
import { Broker, type PagingWindow } from './broker/index.js';
import { startManagement, startMetrics, type HttpListener } from './http/index.js';
import { AmqpServer, DEFAULT_SERVER_OPTIONS, type ServerOptions } from './server/index.js';
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
}

export interface RunningBroker {
  /** The port actually listened on. */
  readonly port: number;
  /** `amqp://guest:guest@localhost:PORT` with the default user. */
  readonly url: string;
  readonly broker: Broker;
  readonly server: AmqpServer;
  /** The management API's port, when it runs. */
  readonly managementPort: number | undefined;
  /** The Prometheus endpoint's port, when it runs. */
  readonly prometheusPort: number | undefined;
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
  const dataDir = opts.dataDir ?? './data';
  mkdirSync(dataDir, { recursive: true });
  const store = new FileStore(
    dataDir,
    (err) => logger.error({ err }, 'message store write or sync failed; publishers get nacks'),
    (msg, ctx) => logger.warn(ctx, msg),
    opts.pagingWindow,
  );
  const broker = new Broker({ defaultUser: options.defaultUser, defaultPass: options.defaultPass, defaultVhost: options.defaultVhost }, store);
  recover(broker, store, logger);
  const server = new AmqpServer(broker, options, logger);
  const port = await server.listen();
  const vhostPart = options.defaultVhost === '/' ? '' : `/${encodeURIComponent(options.defaultVhost)}`;
  const url = `amqp://${encodeURIComponent(options.defaultUser)}:${encodeURIComponent(options.defaultPass)}@localhost:${port}${vhostPart}`;
  const listeners: HttpListener[] = [];
  const stop = async () => {
    await Promise.all(listeners.map((l) => l.close()));
    await server.close();
    store.close();
  };
  let metrics: HttpListener | undefined;
  let management: HttpListener | undefined;
  try {
    const deps = { broker, server, port };
    const host = options.host;
    const prometheusPort = opts.prometheusPort;
    const managementPort = opts.managementPort;
    if (enabled(prometheusPort)) {
      metrics = await listenOrExplain('Prometheus metrics', '--prometheus-port', prometheusPort, () => startMetrics(deps, { port: prometheusPort, host }));
      listeners.push(metrics);
    }
    if (enabled(managementPort)) {
      const listen = { port: managementPort, host, prometheusPort: metrics?.port };
      management = await listenOrExplain('management API', '--management-port', managementPort, () => startManagement(deps, listen));
      listeners.push(management);
    }
  } catch (e) {
    await stop();
    throw e;
  }
  let closing: Promise<void> | undefined;
  return {
    port,
    url,
    broker,
    server,
    managementPort: management?.port,
    prometheusPort: metrics?.port,
    close: () => (closing ??= stop()),
  };
}

function enabled(port: number | undefined): port is number {
  return port !== undefined && port >= 0;
}

/** Starts an HTTP listener; a port in use becomes a one-line error naming the port and the flag that changes it. */
async function listenOrExplain(what: string, flag: string, port: number, start: () => Promise<HttpListener>): Promise<HttpListener> {
  try {
    return await start();
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EADDRINUSE') throw new Error(`${what}: port ${port} is already in use (change it with ${flag})`);
    throw e;
  }
}

/** Replays the definitions log (which reopens durable queues with their messages), compacts it, and logs what came back. */
function recover(broker: Broker, store: FileStore, logger: Logger): void {
  const started = Date.now();
  const changes = store.definitions.replay(broker);
  store.definitions.compact(broker);
  broker.onChange((vhost, change) => store.definitions.append(vhost, change));
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

export { Broker } from './broker/index.js';
export type { ServerOptions } from './server/index.js';
