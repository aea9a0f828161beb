import { createServer } from 'node:http';
import { type Config, ConfigError, loadConfig } from './config.ts';
import { MigrationStateError, migrate, openDatabase } from './db/index.ts';
import { createLogger } from './logger.ts';
import { InFlightRequests } from './plugins/in-flight.ts';
import type { Lifecycle } from './plugins/readiness.ts';
import { drain } from './shutdown.ts';
import { createHerald } from './yoga.ts';

function fail(message: string): never {
  console.error(`Herald cannot start: ${message}`);
  process.exit(1);
}

// A closed stdout or stderr (the reader of the pipe exited) loses the output; it
// must not crash the server with an unhandled 'error' (logs: see logger.ts).
process.stdout.on('error', () => {});
process.stderr.on('error', () => {});

async function main() {
  let config: Config;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) fail(error.message);
    throw error;
  }
  const logger = createLogger(config.logLevel);
  const db = await openDatabase(config.database, {
    requestTimeoutMs: config.requestTimeoutMs,
    // Every request would fail from here on: say why, and let the supervisor restart Herald.
    onEmbeddedExit: (log) => {
      logger.error({ log }, 'the embedded PostgreSQL stopped unexpectedly');
      process.exit(1);
    },
  });
  try {
    const applied = await migrate(db);
    if (applied.length) logger.info({ migrations: applied }, 'applied migrations');
  } catch (error) {
    await db.close().catch(() => {});
    if (error instanceof MigrationStateError) fail(error.message);
    throw error;
  }

  const lifecycle: Lifecycle = { draining: false };
  const inFlight = new InFlightRequests(config.requestTimeoutMs, config.maxRequestsInFlight);
  const herald = await createHerald({ config, db, logger, lifecycle, inFlight });
  const server = createServer(herald);
  server.on('error', (error) => fail(error.message));
  server.listen(config.port, config.host, () => {
    const where = config.database.kind === 'postgres' ? 'PostgreSQL' : `embedded database ${config.database.dataDir ?? '(in memory)'}`;
    logger.info({ port: config.port }, `Herald on http://localhost:${config.port}/graphql (${where})`);
  });

  // See src/shutdown.ts: requests in flight answered, usage written or reported lost, exit 0 or 1.
  const shutdown = (signal: string) =>
    drain(signal, { server, herald, db, lifecycle, inFlight, logger, timeoutMs: config.shutdownTimeoutMs });
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
}

main().catch((error) => fail(error instanceof Error ? error.message : String(error)));
