// The warren command: with no command it runs the broker; `ping`, `status`, `ctl`, `export-definitions`,
// `import-definitions` and `perf` talk to a running one. Errors are one line on stderr and a non-zero exit code.
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { WARREN_VERSION } from '../shared/version.js';
import { CTL_COMMANDS, ctlHelp, runCtl } from './ctl.js';
import { exportDefinitionsCommand, importDefinitionsCommand } from './definitions.js';
import { ping, status, type Output } from './diagnostics.js';
import { CliError, resolveClientTarget, SERVER_SETTINGS, type Flags } from './settings.js';

function serverHelp(): string {
  const flags = SERVER_SETTINGS.map((s) => {
    const left = `  --${s.flag} ${s.arg}`;
    const env = `[env ${s.env.join(', ')}]`;
    return left.length < 23 ? `${left.padEnd(23)}${s.help}\n${' '.repeat(23)}${env}` : `${left}\n${' '.repeat(23)}${s.help}\n${' '.repeat(23)}${env}`;
  });
  return `Usage: warren [options]
       warren COMMAND [options]

Warren ${WARREN_VERSION}: an AMQP 0-9-1 message broker, wire-compatible with RabbitMQ.

Options (flags win over environment variables, which win over the config file):
${flags.join('\n')}
  --help               show this help
  --version            show the version

Commands (against a running broker):
  ping                 AMQP handshake with the broker; exit 0 when it answers (--management: via the HTTP API)
  status               version, uptime, listeners, connections, queues, messages
  ctl COMMAND ...      rabbitmqctl's commands: list_queues, list_exchanges, ..., add_user, purge_queue, ...
                       (warren ctl --help lists them)
  export-definitions [FILE|-]
                       write the broker's definitions (RabbitMQ's JSON) to FILE or stdout
  import-definitions FILE|-
                       import a definitions file into the broker
  perf [flags]         load generator with RabbitMQ PerfTest's flags (-x, -y, -s, -c, -z, --uri, ...;
                       warren perf --help lists them)

Options of the commands:
  --port PORT, --host HOST   where the AMQP listener is (ping; default localhost:5672)
  --management-url URL       the management API (default http://localhost:15672)
  --username USER, --password PASSWORD
                             credentials (default: the broker's default user from the environment, else guest/guest)
  -p, --vhost VHOST          vhost to act on (ctl, definitions; default: the default vhost)
  -q, --quiet                print only results
  -t, --timeout SECONDS      give up after this long (default 10)
  --config FILE              read ports and default credentials from a rabbitmq.conf
`;
}

const SERVER_OPTIONS: NonNullable<ParseArgsConfig['options']> = {
  ...Object.fromEntries(SERVER_SETTINGS.map((s) => [s.flag, { type: 'string' as const }])),
  help: { type: 'boolean', short: 'h' },
  version: { type: 'boolean' },
};

const CLIENT_OPTIONS: NonNullable<ParseArgsConfig['options']> = {
  port: { type: 'string' },
  host: { type: 'string' },
  config: { type: 'string' },
  'management-url': { type: 'string' },
  'management-port': { type: 'string' },
  username: { type: 'string' },
  password: { type: 'string' },
  vhost: { type: 'string', short: 'p' },
  timeout: { type: 'string', short: 't' },
  quiet: { type: 'boolean', short: 'q' },
  help: { type: 'boolean', short: 'h' },
};

const COMMAND_OPTIONS: Record<string, NonNullable<ParseArgsConfig['options']>> = {
  ping: { ...CLIENT_OPTIONS, management: { type: 'boolean' } },
  status: CLIENT_OPTIONS,
  ctl: {
    ...CLIENT_OPTIONS,
    'no-table-headers': { type: 'boolean' },
    'if-empty': { type: 'boolean', short: 'e' },
    'if-unused': { type: 'boolean', short: 'u' },
    global: { type: 'boolean' },
    user: { type: 'string' },
    priority: { type: 'string' },
    'apply-to': { type: 'string' },
  },
  'export-definitions': CLIENT_OPTIONS,
  'import-definitions': CLIENT_OPTIONS,
};

const COMMAND_HELP: Record<string, string> = {
  ping: 'Usage: warren ping [--port PORT] [--host HOST] [-p VHOST] [--username USER --password PASSWORD] [--management [--management-url URL]] [-t SECONDS] [-q]\n',
  status: 'Usage: warren status [--management-url URL] [--username USER --password PASSWORD] [-t SECONDS]\n',
  'export-definitions': 'Usage: warren export-definitions [FILE|-] [-p VHOST] [--management-url URL] [--username USER --password PASSWORD]\n',
  'import-definitions': 'Usage: warren import-definitions FILE|- [-p VHOST] [--management-url URL] [--username USER --password PASSWORD]\n',
};

function parse(argv: string[], options: NonNullable<ParseArgsConfig['options']>, positionals: boolean): { values: Flags; positionals: string[] } {
  try {
    const r = parseArgs({ args: argv, options, strict: true, allowPositionals: positionals });
    return { values: r.values as Flags, positionals: r.positionals };
  } catch (e) {
    throw new CliError(e instanceof Error ? e.message.split('\n')[0]! : String(e), 64);
  }
}

const io: Output = {
  out: (line) => void process.stdout.write(line + '\n'),
  err: (line) => void process.stderr.write(line + '\n'),
};

/** Runs the command line; resolves with an exit code for commands that finish, or undefined while the broker runs. */
export async function main(argv: string[], env: NodeJS.ProcessEnv = process.env): Promise<number | undefined> {
  const command = argv[0];
  if (command === undefined || command.startsWith('-')) {
    const { values } = parse(argv, SERVER_OPTIONS, false);
    if (values.help) {
      process.stdout.write(serverHelp());
      return 0;
    }
    if (values.version) {
      process.stdout.write(`${WARREN_VERSION}\n`);
      return 0;
    }
    // Loaded only here, so the client commands (health checks run often) start without the broker and the logger.
    const { serve } = await import('./server.js');
    await serve(values, env);
    return undefined;
  }
  if (command === 'perf') {
    // PerfTest's flags (-h is its --uri); loaded only here, like the broker.
    const perf = await import('../perf/command.js');
    try {
      return await perf.perfCommand(argv.slice(1));
    } catch (e) {
      throw e instanceof perf.PerfUsageError ? new CliError(e.message, 64) : e;
    }
  }
  const options = COMMAND_OPTIONS[command];
  if (!options) throw new CliError(`unknown command '${command}' (commands: ping, status, ctl, export-definitions, import-definitions, perf; see warren --help)`, 64);
  const { values, positionals } = parse(argv.slice(1), options, true);
  const quiet = values.quiet === true;
  const vhost = typeof values.vhost === 'string' ? values.vhost : undefined;
  if (command === 'ctl') {
    const [sub, ...rest] = positionals;
    if (values.help || sub === 'help') {
      process.stdout.write(ctlHelp());
      return 0;
    }
    if (sub === undefined) {
      process.stderr.write(ctlHelp());
      return 64;
    }
    if (!CTL_COMMANDS.includes(sub)) throw new CliError(`unknown ctl command '${sub}'; run \`warren ctl --help\` for the list`, 64);
    const o = {
      vhost,
      quiet,
      tableHeaders: values['no-table-headers'] !== true,
      ifEmpty: values['if-empty'] === true,
      ifUnused: values['if-unused'] === true,
      global: values.global === true,
      user: typeof values.user === 'string' ? values.user : undefined,
      priority: typeof values.priority === 'string' ? values.priority : undefined,
      applyTo: typeof values['apply-to'] === 'string' ? values['apply-to'] : undefined,
    };
    await runCtl(sub, rest, resolveClientTarget(values, env), o, io);
    return 0;
  }
  if (values.help) {
    process.stdout.write(COMMAND_HELP[command] ?? '');
    return 0;
  }
  const target = resolveClientTarget(values, env);
  switch (command) {
    case 'ping':
      if (positionals.length > 0) throw new CliError(COMMAND_HELP.ping!.trim(), 64);
      await ping(vhost === undefined ? target : { ...target, vhost }, values.management === true, quiet, io);
      return 0;
    case 'status':
      if (positionals.length > 0) throw new CliError(COMMAND_HELP.status!.trim(), 64);
      await status(target, io);
      return 0;
    case 'export-definitions':
      if (positionals.length > 1) throw new CliError(COMMAND_HELP['export-definitions']!.trim(), 64);
      await exportDefinitionsCommand(target, positionals[0], vhost, quiet, io);
      return 0;
    default:
      if (positionals.length !== 1) throw new CliError(COMMAND_HELP['import-definitions']!.trim(), 64);
      await importDefinitionsCommand(target, positionals[0]!, vhost, quiet, io);
      return 0;
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    if (code !== undefined) process.exit(code);
  },
  (err: unknown) => {
    process.stderr.write(`warren: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(err instanceof CliError ? err.exitCode : 1);
  },
);
