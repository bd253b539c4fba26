/**
 * The `anteroom` command. `anteroom serve [--config path] [--port n] [--admin-port n]` runs the
 * waiting room; logs are pino JSON lines on stdout (on a terminal, lines a person reads).
 * `anteroom keys …` manages the signing keys (keys-command.ts). `anteroom verify-draw <public url>
 * <event id> [request id]` checks a published draw (verify-draw-command.ts) and needs no configuration. Exit codes: 0 after a clean SIGTERM/SIGINT stop or a done command, 2 for
 * a bad command line or configuration, 1 when start-up or the command fails otherwise.
 */
import { parseArgs } from 'node:util';
import { SAMPLE_SITE } from '../config/development.ts';
import { ConfigError, loadConfig } from '../config/server-config.ts';
import { keyFingerprint } from '../http/admin-auth.ts';
import { startDemoCrowd } from './demo-crowd.ts';
import { keysCommand } from './keys-command.ts';
import { startServer } from './server.ts';
import { VERIFY_DRAW_USAGE, verifyDrawCommand } from './verify-draw-command.ts';

const USAGE = `Usage: anteroom serve [--config <path>] [--port <n>] [--admin-port <n>]
       anteroom keys list | rotate [oidc] | remove <kid> [--config <path>]
       ${VERIFY_DRAW_USAGE}

  --config <path>     configuration file (else $ANTEROOM_CONFIG, else ./anteroom.config.json)
  --port <n>          public listener port (overrides listen.port / PORT)
  --admin-port <n>    admin listener port (overrides listen.adminPort / ADMIN_PORT)
  -h, --help          show this help

Configuration reference: docs/configuration.md`;

function portFlag(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d{1,5}$/.test(value) || Number(value) > 65_535)
    throw new ConfigError(flag, 'must be a port number');
  return Number(value);
}

export async function main(argv: string[]): Promise<number | null> {
  let parsed: ReturnType<typeof parseCommandLine>;
  try {
    parsed = parseCommandLine(argv);
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n\n${USAGE}\n`);
    return 2;
  }
  if (parsed.values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const [command, ...rest] = parsed.positionals;
  if (command === 'verify-draw') return verifyDrawCommand(rest, (text) => process.stdout.write(text));
  if (command !== 'serve' && command !== 'keys') {
    process.stderr.write(`${command ? `unknown command: ${command}` : 'missing command'}\n\n${USAGE}\n`);
    return 2;
  }
  let config: ReturnType<typeof loadConfig>;
  try {
    config = loadConfig({
      configPath: parsed.values.config,
      port: portFlag(parsed.values.port, '--port'),
      adminPort: portFlag(parsed.values['admin-port'], '--admin-port'),
    });
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      return 2;
    }
    throw error;
  }
  if (command === 'keys') return keysCommand(config, rest, (text) => process.stdout.write(text));
  if (rest.length > 0) {
    process.stderr.write(`unexpected argument: ${rest[0]}\n\n${USAGE}\n`);
    return 2;
  }

  let server: Awaited<ReturnType<typeof startServer>>;
  try {
    server = await startServer(config);
  } catch (error) {
    // A store that cannot give the configured durability: the reason, not a stack trace.
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      return 2;
    }
    throw error;
  }
  const { logger } = server.deps;
  const sampleSite = config.sampleSite ? `${server.publicUrl}${SAMPLE_SITE.path}/` : null;
  logger.info(
    {
      public_url: server.publicUrl,
      listen: server.publicListenUrl,
      admin_url: server.adminUrl,
      store: config.store.type,
      events: config.events.map((event) => event.id),
      config_file: config.source,
      sample_site: sampleSite,
    },
    `Anteroom is running: waiting room at ${server.publicUrl}, admin API at ${server.adminUrl}${
      sampleSite ? `, sample site (signs in through the waiting room) at ${sampleSite}` : ''
    }`,
  );
  if (config.generatedAdminKey) {
    // Once, on the terminal: a log line travels to shippers and dashboards, a key must not.
    process.stderr.write(`Admin key, generated for this run (shown once): ${config.adminKeys[0]}\n`);
    logger.warn(
      { admin_keys: config.adminKeys.map(keyFingerprint) },
      'admin key generated for this run: shown once on standard error, never logged',
    );
  } else {
    logger.info({ admin_keys: config.adminKeys.map(keyFingerprint) }, 'admin keys configured');
  }
  if (config.adminSigV4Keys.length > 0) {
    logger.info(
      { admin_sigv4_keys: config.adminSigV4Keys.map((key) => key.accessKeyId) },
      'admin SigV4 key pairs configured',
    );
  }

  // `npm start`'s demo shows a queue: simulated visitors fill the demo event (never another).
  const crowd =
    config.demoCrowd && config.events[0]
      ? startDemoCrowd({
          room: server.deps.room,
          eventId: config.events[0].id,
          logger,
          nowMs: server.deps.nowMs,
        })
      : null;

  const stop = (signal: string) => {
    logger.info({ signal }, 'stop requested');
    Promise.resolve(crowd?.stop())
      .then(() => server.close())
      .then(
        () => process.exit(0),
        (error: unknown) => {
          logger.error({ err: error }, 'shutdown failed');
          process.exit(1);
        },
      );
  };
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));
  return null;
}

function parseCommandLine(argv: string[]) {
  return parseArgs({
    args: argv,
    allowPositionals: true,
    strict: true,
    options: {
      config: { type: 'string' },
      port: { type: 'string' },
      'admin-port': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
}
