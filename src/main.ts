import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { ablated } from './ablation.ts';
import { type Config, ConfigError, loadConfig } from './config.ts';
import { logSupervision, superviseEmbedded } from './db/embedded-supervisor.ts';
import { MigrationStateError, migrate, openDatabase } from './db/index.ts';
import { createLogger } from './logger.ts';
import { InFlightRequests } from './plugins/in-flight.ts';
import type { Lifecycle } from './plugins/readiness.ts';
import { createHeraldServer } from './server.ts';
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
  if (ablated.size > 0) {
    logger.warn({ ablated: [...ablated] }, 'HERALD_ABLATE is set: running without these features, for the bench only');
  }
  const db = await openDatabase(config.database, {
    requestTimeoutMs: config.requestTimeoutMs,
    embedded: { onStep: (step) => logger.info(step) },
  });
  // Restarted when it dies (503 meanwhile); exit 1 if it cannot be (its temporary files go first).
  const giveUp = () => void Promise.race([db.close().catch(() => {}), sleep(5_000)]).finally(() => process.exit(1));
  if (db.embedded) superviseEmbedded(db.embedded, logSupervision(logger, giveUp));
  try {
    const applied = await migrate(db, (pending) => logger.info({ migrations: pending }, `migrating: ${pending.length} to apply`));
    if (applied.length) logger.info({ migrations: applied }, 'applied migrations');
  } catch (error) {
    await db.close().catch(() => {});
    if (error instanceof MigrationStateError) fail(error.message);
    throw error;
  }

  const lifecycle: Lifecycle = { draining: false };
  const inFlight = new InFlightRequests(config.requestTimeoutMs, config.maxRequestsInFlight);
  const herald = await createHerald({ config, db, logger, lifecycle, inFlight });
  const { server, endStreams } = createHeraldServer(herald);
  server.on('error', (error) => fail(error.message));
  server.listen(config.port, config.host, () => {
    const { port } = server.address() as AddressInfo;
    const where = config.database.kind === 'postgres' ? 'PostgreSQL' : `embedded database ${config.database.dataDir ?? '(in memory)'}`;
    const base = `http://${!config.host || config.host === '0.0.0.0' || config.host === '::' ? 'localhost' : config.host}:${port}`;
    logger.info(
      { port },
      `Herald on ${base}/ (the API Keys page), GraphQL ${base}/graphql, health ${base}/health and ${base}/ready (${where})`,
    );
  });

  // See src/shutdown.ts: open streams end, requests in flight are answered, usage written or reported lost, exit 0 or 1.
  const shutdown = (signal: string) =>
    drain(signal, { server, herald, db, lifecycle, inFlight, logger, timeoutMs: config.shutdownTimeoutMs, endStreams });
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
}

main().catch((error) => fail(error instanceof Error ? error.message : String(error)));
