import { createServer } from 'node:http';
import { ConfigError, loadConfig } from './config.ts';
import { migrate, openDatabase } from './db/index.ts';
import { createLogger } from './logger.ts';
import { createHerald } from './yoga.ts';

async function main() {
  let config: ReturnType<typeof loadConfig>;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(`Herald cannot start: ${error.message}`);
      process.exit(1);
    }
    throw error;
  }
  const logger = createLogger(config.logLevel);
  const db = await openDatabase(config.database);
  const applied = await migrate(db);
  if (applied.length) logger.info({ migrations: applied }, 'applied migrations');

  const herald = await createHerald({ config, db, logger });
  const server = createServer(herald);
  server.listen(config.port, config.host, () => {
    const where = config.database.kind === 'postgres' ? 'PostgreSQL' : `embedded database ${config.database.dataDir ?? '(in memory)'}`;
    logger.info(`Herald on http://localhost:${config.port}/graphql (${where})`);
  });

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    server.close(async () => {
      await db.close();
      process.exit(0);
    });
    server.closeIdleConnections();
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

main().catch((error) => {
  console.error(`Herald cannot start: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
