import { createServer } from 'node:http';
import { type Config, ConfigError, loadConfig } from './config.ts';
import { MigrationStateError, migrate, openDatabase } from './db/index.ts';
import { createLogger } from './logger.ts';
import { InFlightRequests } from './plugins/in-flight.ts';
import type { Lifecycle } from './plugins/readiness.ts';
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

  // Stop accepting, let in-flight requests finish (a send is one statement: it
  // completes or never happened), close the database, exit 0. Past the timeout,
  // exit 1: something did not finish. The deadline is armed first, so that it
  // holds whatever happens after it (logging included).
  const shutdown = (signal: string) => {
    if (lifecycle.draining) return;
    lifecycle.draining = true;
    const deadline = setTimeout(() => {
      logger.error('shutdown timed out with requests in flight');
      process.exit(1);
    }, config.shutdownTimeoutMs);
    logger.info({ signal, timeoutMs: config.shutdownTimeoutMs }, 'shutting down');
    const idle = setInterval(() => server.closeIdleConnections(), 50);
    server.close(async () => {
      clearInterval(idle);
      await herald.dispose(); // writes the key usage counted since the last flush
      await db.close();
      clearTimeout(deadline);
      logger.info('stopped');
      process.exit(0);
    });
    server.closeIdleConnections();
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
}

main().catch((error) => fail(error instanceof Error ? error.message : String(error)));
