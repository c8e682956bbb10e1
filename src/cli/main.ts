// The warren command: parses flags and the config file, starts the broker, logs, and stops on SIGINT/SIGTERM.
import { parseArgs } from 'node:util';
import pino from 'pino';
import pretty from 'pino-pretty';
import { startBroker, type StartOptions } from '../index.js';
import { WARREN_VERSION } from '../server/server-properties.js';
import { readConfigFile } from './config-file.js';

const HELP = `Usage: warren [options]

Warren ${WARREN_VERSION}: an AMQP 0-9-1 message broker, wire-compatible with RabbitMQ.

Options:
  --port PORT          AMQP port (default 5672; 0 picks a free port)
  --host HOST          listen address (default: every IPv4 and IPv6 address)
  --data-dir DIR       where durable state lives (default ./data)
  --config FILE        config file in rabbitmq.conf format
  --log-level LEVEL    trace, debug, info, warn, error, silent (default info)
  --management-port PORT
                       management HTTP API port (default 15672; 0 picks a free port; off turns it off)
  --prometheus-port PORT
                       Prometheus metrics port (default 15692; 0 picks a free port; off turns it off)
  --help               show this help
  --version            show the version
`;

export async function main(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      port: { type: 'string' },
      host: { type: 'string' },
      'data-dir': { type: 'string' },
      config: { type: 'string' },
      'log-level': { type: 'string' },
      'management-port': { type: 'string' },
      'prometheus-port': { type: 'string' },
      help: { type: 'boolean' },
      version: { type: 'boolean' },
    },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(HELP);
    return;
  }
  if (values.version) {
    process.stdout.write(`${WARREN_VERSION}\n`);
    return;
  }

  const fromFile = values.config ? readConfigFile(values.config) : { options: {}, warnings: [] };
  const opts: StartOptions = { dataDir: './data', managementPort: 15672, prometheusPort: 15692, ...fromFile.options };
  if (values.port !== undefined) {
    if (!/^\d+$/.test(values.port) || Number(values.port) > 65535) throw new Error(`--port: not a port number: ${values.port}`);
    opts.port = Number(values.port);
  }
  for (const [flag, key] of [['management-port', 'managementPort'], ['prometheus-port', 'prometheusPort']] as const) {
    const v = values[flag];
    if (v === undefined) continue;
    if (v === 'off' || v === '-1') opts[key] = -1;
    else if (!/^\d+$/.test(v) || Number(v) > 65535) throw new Error(`--${flag}: not a port number (or off): ${v}`);
    else opts[key] = Number(v);
  }
  if (values.host !== undefined) opts.host = values.host;
  if (values['data-dir'] !== undefined) opts.dataDir = values['data-dir'];
  const level = values['log-level'] ?? opts.logLevel ?? 'info';

  const logger = process.stdout.isTTY
    ? pino({ level }, pretty({ colorize: true, sync: true }))
    : pino({ level });
  for (const w of fromFile.warnings) logger.warn(w);

  const running = await startBroker({ ...opts, logger });
  logger.info(
    { port: running.port, managementPort: running.managementPort, prometheusPort: running.prometheusPort, dataDir: opts.dataDir, version: WARREN_VERSION },
    'Server startup complete',
  );

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    running.close().then(
      () => {
        logger.info('stopped');
        process.exit(0);
      },
      (err: unknown) => {
        logger.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}

main(process.argv.slice(2)).catch((err: unknown) => {
  process.stderr.write(`warren: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
