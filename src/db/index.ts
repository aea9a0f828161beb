import { PrismaPg } from '@prisma/adapter-pg';
import type { SqlMigrationAwareDriverAdapterFactory } from '@prisma/driver-adapter-utils';
import { runMigrations, Logger as WorkerLogger } from 'graphile-worker';
import pg from 'pg';
import type { DatabaseTarget } from '../config.ts';
import { PrismaClient } from '../generated/prisma/client.ts';
import { observeQueries, postgresMigrationAdapter, postgresPool, type QueryObserver } from './adapters.ts';
import { type EmbeddedCluster, type EmbeddedOptions, startEmbeddedPostgres } from './embedded-postgres.ts';
import { applyMigrations, localMigrationNames } from './migrations.ts';
import { OutageTracker } from './outage.ts';
import { DatabaseProbe } from './probe.ts';
import { createSql, type Sql } from './sql.ts';

export type { PrismaClient } from '../generated/prisma/client.ts';

export interface Database {
  target: DatabaseTarget;
  /** Where it is reached: the postgres:// URL, or the embedded cluster's socket. */
  url: string;
  prisma: PrismaClient;
  /** The hot path's hand-written statements, on Prisma's own connections (./sql.ts). */
  sql: Sql;
  /** The adapter the schema engine migrates through. */
  migrationAdapter: SqlMigrationAwareDriverAdapterFactory;
  /** The database's state as requests see it: outages start and end here (./outage.ts). */
  outages: OutageTracker;
  /** Readiness's own check, on its own connection (./probe.ts). */
  probe: DatabaseProbe;
  /** The embedded cluster this process runs, if it runs one (main.ts supervises it). */
  embedded: EmbeddedCluster | null;
  close(): Promise<void>;
}

/** The longest a request waits for a connection, a lock or a statement unless REQUEST_TIMEOUT_MS says otherwise. */
export const DEFAULT_REQUEST_TIMEOUT_MS = 10_000;

export class MigrationStateError extends Error {}

export interface OpenOptions {
  /** An embedded cluster that already runs, by its URL (the test suite shares one). */
  embeddedUrl?: string;
  poolSize?: number;
  /** Sees every SQL statement the application sends (not the migrations'). */
  onQuery?: QueryObserver;
  /** The longest any statement, lock wait or wait for a connection lasts (REQUEST_TIMEOUT_MS). */
  requestTimeoutMs?: number;
  /** How the embedded cluster starts (its steps, for the start-up messages). */
  embedded?: EmbeddedOptions;
}

export async function openDatabase(target: DatabaseTarget, options: OpenOptions = {}): Promise<Database> {
  const observed = <F extends SqlMigrationAwareDriverAdapterFactory>(factory: F) =>
    options.onQuery ? observeQueries(factory, options.onQuery) : factory;
  // Embedded: the cluster this process starts and owns (./embedded-postgres.ts), reached like any PostgreSQL.
  const cluster = target.kind === 'embedded' && !options.embeddedUrl ? await startEmbeddedPostgres(target.dataDir, options.embedded) : null;
  const url = target.kind === 'postgres' ? target.url : (options.embeddedUrl ?? (cluster?.url as string));
  // While an outage is on, readiness's probe asks every second: it ends even when no request comes.
  const outages: OutageTracker = new OutageTracker(Date.now, () => void probe.check());
  const timeoutMs = options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
  const pool = postgresPool(url, { max: options.poolSize, timeoutMs, outages });
  // A transaction has the request's deadline too: Prisma's own defaults (5 s to run, 2 s to start) would
  // cut a 10,000-row import on a busy machine short of a REQUEST_TIMEOUT_MS of a minute.
  const prisma = new PrismaClient({
    adapter: observed(new PrismaPg(pool)),
    transactionOptions: { timeout: timeoutMs, maxWait: timeoutMs },
  });
  const probe = new DatabaseProbe(url, pool, outages);
  return {
    target,
    url,
    prisma,
    sql: createSql(pool, options.onQuery),
    migrationAdapter: postgresMigrationAdapter(url),
    outages,
    probe,
    embedded: cluster,
    async close() {
      try {
        outages.close();
        await probe.close();
        await prisma.$disconnect();
        if (!pool.ending) await pool.end();
      } finally {
        await cluster?.stop();
      }
    },
  };
}

// Any fixed number: every Herald instance takes the same lock while it migrates.
const MIGRATION_LOCK = 4_835_201;

/**
 * Applies pending migrations (`onStart` hears of them first), then installs the webhook queue's schema. An advisory lock lets a fleet start at once: one instance migrates, the others wait and then find nothing to do.
 * Refuses a database that has migrations this code does not know (it is ahead).
 */
export async function migrate(db: Database, onStart?: (pending: string[]) => void): Promise<string[]> {
  const applied = await migrateSchema(db, onStart);
  // The webhook queue's own schema (graphile_worker), which send's statement writes to: installed or
  // brought up to date by graphile-worker itself (it copes with instances starting at once).
  await runMigrations({ connectionString: db.url, logger: new WorkerLogger(() => () => {}) });
  return applied;
}

async function migrateSchema(db: Database, onStart?: (pending: string[]) => void): Promise<string[]> {
  // Checked first and cheaply: the WASM engine costs ~110 MB it never gives back.
  const pending = await migrationState(db);
  if (pending.length === 0) return [];
  onStart?.(pending);
  const lock = new pg.Client({ connectionString: db.url });
  await lock.connect();
  try {
    await lock.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK]);
    // Again under the lock: another instance may have migrated meanwhile.
    await migrationState(db);
    return await applyMigrations(db.migrationAdapter);
  } finally {
    await lock.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK]).catch(() => {});
    await lock.end();
  }
}

/** Names of the migrations the database has applied (empty when it has none). */
async function appliedMigrationNames(db: Database): Promise<string[]> {
  const [{ exists }] = await db.prisma.$queryRaw<{ exists: boolean }[]>`
    SELECT to_regclass('_prisma_migrations') IS NOT NULL AS "exists"`;
  if (!exists) return [];
  const rows = await db.prisma.$queryRaw<{ migration_name: string }[]>`
    SELECT migration_name FROM _prisma_migrations WHERE finished_at IS NOT NULL AND rolled_back_at IS NULL`;
  return rows.map((r) => r.migration_name);
}

/** Migrations of this code that the database has not applied yet. */
export async function pendingMigrations(db: Database): Promise<string[]> {
  const applied = new Set(await appliedMigrationNames(db));
  return (await localMigrationNames()).filter((name) => !applied.has(name));
}

/** The pending migrations; refuses a database with migrations this code does not know (it is ahead). */
async function migrationState(db: Database): Promise<string[]> {
  const [local, applied] = await Promise.all([localMigrationNames(), appliedMigrationNames(db)]);
  const unknown = applied.filter((name) => !local.includes(name));
  if (unknown.length > 0) {
    throw new MigrationStateError(
      `The database has migrations this version of Herald does not know (${unknown.join(', ')}): it is ahead of the code. Deploy the newer version.`,
    );
  }
  return local.filter((name) => !applied.includes(name));
}
