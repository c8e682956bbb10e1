// `warren` with no command: resolves the settings (flags, environment, config file, defaults), starts the broker,
// logs where everything listens, and stops on SIGINT/SIGTERM or when its parent process is gone (orphan-guard.ts).
import pino from 'pino';
import { startBroker } from '../index.js';
import { WARREN_VERSION } from '../shared/version.js';
import { stopWhenOrphaned } from './orphan-guard.js';
import { resolveSettings, type Env, type Flags } from './settings.js';

export async function serve(flags: Flags, env: Env): Promise<void> {
  const { options, warnings, notices, configFile } = resolveSettings(flags, env);
  const level = options.logLevel;
  // pino-pretty only for a terminal: loading it costs ~20 ms of a ~0.3 s start.
  const logger = process.stdout.isTTY ? pino({ level }, (await import('pino-pretty')).default({ colorize: true, sync: true })) : pino({ level });
  for (const w of warnings) logger.warn(w);
  for (const n of notices) logger.info(n);

  const running = await startBroker({ ...options, logger });
  logger.info(
    {
      port: running.port,
      ...(running.tlsPort !== undefined ? { tlsPort: running.tlsPort } : {}),
      managementPort: running.managementPort,
      ...(running.managementTlsPort !== undefined ? { managementTlsPort: running.managementTlsPort } : {}),
      prometheusPort: running.prometheusPort,
      dataDir: options.dataDir,
      ...(configFile !== undefined ? { config: configFile } : {}),
      version: WARREN_VERSION,
    },
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
  stopWhenOrphaned((why) => stop(why));
}
