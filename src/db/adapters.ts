// Driver adapters, with the fixes Prisma 7.10.0's adapters need for migrations
// (see ../shared/notes/prisma-offline.md). Each fix is a thin wrapper.
import { PrismaPg } from '@prisma/adapter-pg';
import type { SqlDriverAdapter, SqlMigrationAwareDriverAdapterFactory } from '@prisma/driver-adapter-utils';
import pg from 'pg';
import { parse as parseConnectionString } from 'pg-connection-string';
import { DeadlinePool } from './deadline.ts';
import type { OutageTracker } from './outage.ts';

const CHAR_OID = 18;
const TEXT_OID = 25;

type QueryResultLike = { fields?: { dataTypeID: number }[] };

function charAsText<T>(result: T): T {
  for (const r of Array.isArray(result) ? result : [result]) {
    for (const field of (r as QueryResultLike)?.fields ?? []) {
      if (field.dataTypeID === CHAR_OID) field.dataTypeID = TEXT_OID;
    }
  }
  return result;
}

/** The engine's catalog queries return Postgres's internal "char" type, which adapter-pg cannot read. */
class CharAsTextClient extends pg.Client {
  // biome-ignore lint/suspicious/noExplicitAny: pg's query has many overloads; this only rewrites the result.
  override query(...args: any[]): any {
    // biome-ignore lint/suspicious/noExplicitAny: see above.
    const result = (super.query as any)(...args);
    return result && typeof result.then === 'function' ? result.then(charAsText) : result;
  }
}

function poolConfig(url: string): pg.PoolConfig {
  // Parsed fields rather than a connectionString, which would override `database`
  // on the shadow database and make it the main one.
  const { database, host, port, user, password, ssl, options } = parseConnectionString(url);
  return {
    database: database ?? undefined,
    host: host ?? undefined,
    port: port ? Number(port) : undefined,
    user,
    password,
    ssl: ssl as pg.PoolConfig['ssl'],
    options,
  };
}

/** The application's connections: Prisma's adapter and the hot path's statements (./sql.ts) share them. */
export function postgresPool(
  url: string,
  { max = 10, timeoutMs, outages }: { max?: number; timeoutMs: number; outages?: OutageTracker },
): DeadlinePool {
  const config = poolConfig(url);
  // No statement or lock wait outlasts a request's deadline, even outside a request (./deadline.ts).
  // Which statements keep a plan and which are planned for their values: ./sql.ts.
  const settings = [`statement_timeout=${timeoutMs}`, `lock_timeout=${timeoutMs}`];
  const options = [config.options, ...settings.map((setting) => `-c ${setting}`)].filter(Boolean).join(' ');
  const pool = new DeadlinePool({ ...config, options, max, connectionTimeoutMillis: timeoutMs, outages });
  // An idle connection the server closed (a restart, the embedded database stopping) is replaced, not fatal.
  pool.on('error', () => {});
  return pool;
}

/**
 * adapter-pg runs a migration script split at every ";", which cuts a function
 * body in pieces: the script goes whole instead (the simple query protocol
 * runs several statements, in one implicit transaction).
 */
function wholeScripts<T extends SqlDriverAdapter>(adapter: T): T {
  const inner = adapter as unknown as { client: pg.Pool; onError(error: unknown): never };
  adapter.executeScript = async (script: string) => {
    try {
      await inner.client.query(script);
    } catch (error) {
      inner.onError(error);
    }
  };
  return adapter;
}

/** The adapter the schema engine migrates PostgreSQL through. */
export function postgresMigrationAdapter(url: string): SqlMigrationAwareDriverAdapterFactory {
  const config = { ...poolConfig(url), max: 2, Client: CharAsTextClient };
  const factory = new PrismaPg(config);
  return {
    provider: factory.provider,
    adapterName: factory.adapterName,
    connect: async () => wholeScripts(await factory.connect()),
    async connectToShadowDb(): Promise<SqlDriverAdapter> {
      const name = `herald_shadow_${crypto.randomUUID().replaceAll('-', '')}`;
      const admin = new pg.Client(poolConfig(url));
      // The engine frees itself without disposing of its shadow: when the server
      // goes away first (the embedded database stopping), that is not a crash.
      admin.on('error', () => {});
      await admin.connect();
      await admin.query(`CREATE DATABASE "${name}"`);
      const shadow = wholeScripts(await new PrismaPg({ ...config, database: name }).connect());
      const dispose = shadow.dispose.bind(shadow);
      // Close the shadow's pool before dropping it; the stock adapter drops first and leaks.
      shadow.dispose = async () => {
        await dispose();
        const pool = shadow.underlyingDriver();
        if (!pool.ending) await pool.end();
        await admin.query(`DROP DATABASE IF EXISTS "${name}"`);
        await admin.end();
      };
      return shadow;
    },
  };
}

/** Every SQL statement that reaches the driver, with its text: for query-count tests and debugging. */
export type QueryObserver = (sql: string) => void;

function observeQueryable<T extends { queryRaw(q: { sql: string }): Promise<unknown>; executeRaw(q: { sql: string }): Promise<number> }>(
  queryable: T,
  observe: QueryObserver,
): T {
  const queryRaw = queryable.queryRaw.bind(queryable);
  const executeRaw = queryable.executeRaw.bind(queryable);
  queryable.queryRaw = (q) => {
    observe(q.sql);
    return queryRaw(q);
  };
  queryable.executeRaw = (q) => {
    observe(q.sql);
    return executeRaw(q);
  };
  return queryable;
}

export function observeQueries(
  factory: SqlMigrationAwareDriverAdapterFactory,
  observe: QueryObserver,
): SqlMigrationAwareDriverAdapterFactory {
  const wrap = (adapter: SqlDriverAdapter): SqlDriverAdapter => {
    const startTransaction = adapter.startTransaction.bind(adapter);
    adapter.startTransaction = async (isolationLevel) => observeQueryable(await startTransaction(isolationLevel), observe);
    return observeQueryable(adapter, observe);
  };
  return {
    provider: factory.provider,
    adapterName: factory.adapterName,
    connect: async () => wrap(await factory.connect()),
    connectToShadowDb: () => factory.connectToShadowDb(),
  };
}
