// Warren's programmatic entry: startBroker() runs a real broker in-process (port 0 picks a free port).
import { mkdirSync } from 'node:fs';
import pino, { type Logger } from 'pino';
import { Broker } from './broker/index.js';
import { AmqpServer, DEFAULT_SERVER_OPTIONS, type ServerOptions } from './server/index.js';
import { FileStore } from './store/index.js';

export interface StartOptions extends Partial<ServerOptions> {
  /** Where durable state lives (created if missing). Default `./data`. */
  dataDir?: string;
  /** pino level; default 'info' (use 'silent' in tests). Ignored when `logger` is given. */
  logLevel?: string;
  logger?: Logger;
}

export interface RunningBroker {
  /** The port actually listened on. */
  readonly port: number;
  /** `amqp://guest:guest@localhost:PORT` with the default user. */
  readonly url: string;
  readonly broker: Broker;
  readonly server: AmqpServer;
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
  const store = new FileStore(dataDir, (err) => logger.error({ err }, 'message store write or sync failed; publishers get nacks'));
  const broker = new Broker({ defaultUser: options.defaultUser, defaultPass: options.defaultPass, defaultVhost: options.defaultVhost }, store);
  recover(broker, store, logger);
  const server = new AmqpServer(broker, options, logger);
  const port = await server.listen();
  const vhostPart = options.defaultVhost === '/' ? '' : `/${encodeURIComponent(options.defaultVhost)}`;
  const url = `amqp://${encodeURIComponent(options.defaultUser)}:${encodeURIComponent(options.defaultPass)}@localhost:${port}${vhostPart}`;
  let closing: Promise<void> | undefined;
  return {
    port,
    url,
    broker,
    server,
    close: () => (closing ??= server.close().then(() => store.close())),
  };
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
