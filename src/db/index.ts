import { mkdir } from 'node:fs/promises';
import { PGlite } from '@electric-sql/pglite';
import type { SqlMigrationAwareDriverAdapterFactory } from '@prisma/driver-adapter-utils';
import pg from 'pg';
import type { DatabaseTarget } from '../config.ts';
import { PrismaClient } from '../generated/prisma/client.ts';
import { embeddedAdapter, observeQueries, postgresAdapter, postgresMigrationAdapter, type QueryObserver } from './adapters.ts';
import { applyMigrations, localMigrationNames } from './migrations.ts';

export type { PrismaClient } from '../generated/prisma/client.ts';

export interface Database {
  target: DatabaseTarget;
  prisma: PrismaClient;
  /** The adapter the schema engine migrates through. */
  migrationAdapter: SqlMigrationAwareDriverAdapterFactory;
  close(): Promise<void>;
}

export class MigrationStateError extends Error {}

export interface OpenOptions {
  /** An existing PGlite instance (tests load one from a dump). */
  pglite?: PGlite;
  poolSize?: number;
  /** Sees every SQL statement the application sends (not the migrations'). */
  onQuery?: QueryObserver;
}

export async function openDatabase(target: DatabaseTarget, options: OpenOptions = {}): Promise<Database> {
  const observed = <F extends SqlMigrationAwareDriverAdapterFactory>(factory: F) =>
    options.onQuery ? observeQueries(factory, options.onQuery) : factory;
  if (target.kind === 'postgres') {
    const prisma = new PrismaClient({ adapter: observed(postgresAdapter(target.url, options.poolSize)) });
    return {
      target,
      prisma,
      migrationAdapter: postgresMigrationAdapter(target.url),
      close: () => prisma.$disconnect(),
    };
  }
  let pglite = options.pglite;
  if (!pglite) {
    if (target.dataDir) await mkdir(target.dataDir, { recursive: true });
    pglite = await PGlite.create(target.dataDir ?? 'memory://');
  }
  const adapter = embeddedAdapter(pglite);
  const prisma = new PrismaClient({ adapter: observed(adapter) });
  const instance = pglite;
  return {
    target,
    prisma,
    migrationAdapter: adapter,
    async close() {
      await prisma.$disconnect();
      if (!instance.closed) await instance.close();
    },
  };
}

// Any fixed number: every Herald instance takes the same lock while it migrates.
const MIGRATION_LOCK = 4_835_201;

/**
 * Applies pending migrations. On PostgreSQL an advisory lock lets a fleet start
 * at once: one instance migrates, the others wait and then find nothing to do.
 * Refuses a database that has migrations this code does not know (it is ahead).
 */
export async function migrate(db: Database): Promise<string[]> {
  // Checked first and cheaply: the WASM engine costs ~110 MB it never gives back.
  if ((await migrationState(db)).length === 0) return [];
  if (db.target.kind !== 'postgres') return applyMigrations(db.migrationAdapter);
  const lock = new pg.Client({ connectionString: db.target.url });
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
