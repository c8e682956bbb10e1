// Warren's programmatic entry: startBroker() runs a real broker in-process (port 0 picks a free port).
import { mkdirSync } from 'node:fs';
import pino, { type Logger } from 'pino';
import { Broker } from './broker/index.js';
import { AmqpServer, DEFAULT_SERVER_OPTIONS, type ServerOptions } from './server/index.js';

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
  mkdirSync(opts.dataDir ?? './data', { recursive: true });
  const broker = new Broker({ defaultUser: options.defaultUser, defaultPass: options.defaultPass, defaultVhost: options.defaultVhost });
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
    close: () => (closing ??= server.close()),
  };
}

export { Broker } from './broker/index.js';
export type { ServerOptions } from './server/index.js';
