import { randomBytes } from 'node:crypto';
import pg from 'pg';

export interface TempDatabase {
  url: string;
  /**
   * Fresh planner statistics, as autovacuum keeps them on a database in use.
   * The seed leaves messages empty: plans PostgreSQL caches then (the foreign
   * keys' into Message among them) degrade as the rows fill it, and each row
   * would pay for the writes of the rows before it.
   */
  analyze(): Promise<void>;
  drop(): Promise<void>;
}

/** A database of its own for this run, on the server BENCH_DATABASE_URL points at. */
export async function createTempDatabase(adminUrl: string): Promise<TempDatabase> {
  const name = `herald_bench_${Date.now()}_${randomBytes(3).toString('hex')}`;
  const run = async (connectionString: string, sql: string) => {
    const client = new pg.Client({ connectionString });
    await client.connect();
    try {
      await client.query(sql);
    } finally {
      await client.end();
    }
  };
  const admin = (sql: string) => run(adminUrl, sql);
  await admin(`CREATE DATABASE "${name}"`);
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  let dropped = false;
  return {
    url: url.toString(),
    analyze: () => run(url.toString(), 'ANALYZE'),
    async drop() {
      if (dropped) return;
      dropped = true;
      await admin(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    },
  };
}
