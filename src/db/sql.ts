// Hand-written statements of the hot path, sent through pg itself: Prisma's raw
// queries cost ~0.3 ms of CPU each in serialising arguments and results, as much
// as the rest of key verification. Statements are composed with Prisma.sql (the
// same values, never concatenated) and prepared once per connection.
import type pg from 'pg';
import type { Prisma } from '../generated/prisma/client.ts';
import type { QueryObserver } from './adapters.ts';

/** Runs a statement; `prepare`: under a name derived from its text, parsed and planned once per connection. */
export type Sql = <T extends pg.QueryResultRow>(statement: Prisma.Sql, options?: { prepare?: boolean }) => Promise<T[]>;

/** The PostgreSQL error of a broken unique constraint. */
export const isUniqueViolation = (error: unknown) => (error as { code?: unknown } | null)?.code === '23505';

export function createSql(pool: pg.Pool, onQuery?: QueryObserver): Sql {
  // One name per distinct text: a statement's variants are a handful of fixed texts.
  const names = new Map<string, string>();
  return async (statement, { prepare = false } = {}) => {
    const text = statement.text;
    onQuery?.(text);
    let name: string | undefined;
    if (prepare) {
      name = names.get(text);
      if (!name) {
        name = `herald_${names.size + 1}`;
        names.set(text, name);
      }
    }
    const result = await pool.query({ name, text, values: statement.values as unknown[] });
    return result.rows;
  };
}
