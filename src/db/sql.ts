// Hand-written statements of the hot path, sent through pg itself: Prisma's raw
// queries cost ~0.3 ms of CPU each in serialising arguments and results, as much
// as the rest of key verification. Statements are composed with Prisma.sql (the
// same values, never concatenated).
//
// Planning, per statement:
// - By default a statement is planned for its values every time (an unnamed
//   statement, as Prisma's are): where the best plan depends on them (send's
//   channels, small ones by index beside a huge one; a page's cursor), a plan
//   kept for other values could cost a scan of a whole table.
// - `prepare`: parsed once per connection, and PostgreSQL keeps one plan for
//   every value once it is no worse than the plans made for values. Only for
//   statements whose plan no value can change: those that find rows by a key
//   (the API key by its secret's hash, a row by its id), and send, whose
//   recipients are found by a function that plans its own query for each call.
//   Planning each time would cost more than running them (measured with
//   pg_stat_statements: the key statement 0.23 ms of planning against 0.04 ms
//   of execution, send 0.33 ms against 0.3).
import type pg from 'pg';
import type { Prisma } from '../generated/prisma/client.ts';
import type { QueryObserver } from './adapters.ts';
import type { DeadlinePool, WorkScope } from './deadline.ts';

/** A statement to run: Prisma.Sql, or a run of a statement composed once (`composed` below). */
export interface Statement {
  readonly text: string;
  readonly values: readonly unknown[];
}

export interface SqlOptions {
  /** Under a name derived from its text, with a plan kept for every value (see above). */
  prepare?: boolean;
  /** The request the statement serves: its wait and run end with it (./deadline.ts). */
  scope?: WorkScope;
}

/** Runs a statement. */
export type Sql = <T extends pg.QueryResultRow>(statement: Statement, options?: SqlOptions) => Promise<T[]>;

/** `sql` with every statement bound to `scope` (a request's services get it so). */
export const sqlWithin =
  (sql: Sql, scope: WorkScope | undefined): Sql =>
  (statement, options) =>
    sql(statement, { ...options, scope });

/** Stands for a value that each run of a composed statement supplies. */
class Slot {
  constructor(readonly name: string) {}
}

/**
 * A statement composed once, with Prisma.sql as any other, and run many times:
 * `compose` gets `slot(name)` to put where each run's value goes, and the
 * result gives a run's statement from its values. Its text is built once, so a
 * long statement run on every request (send's, 2.5 kB) is not put together,
 * joined, hashed and compared again each time.
 */
export function composed<V extends Record<string, unknown>>(
  compose: (slot: <K extends keyof V & string>(name: K) => V[K]) => Prisma.Sql,
): (values: V) => Statement {
  const statement = compose((name) => new Slot(name) as never);
  const { text } = statement;
  const sources = statement.values.map((value) => (value instanceof Slot ? value.name : { constant: value }));
  return (values) => ({ text, values: sources.map((source) => (typeof source === 'string' ? values[source] : source.constant)) });
}

/** The PostgreSQL error of a broken unique constraint. */
export const isUniqueViolation = (error: unknown) => (error as { code?: unknown } | null)?.code === '23505';

export function createSql(pool: DeadlinePool, onQuery?: QueryObserver): Sql {
  // One name per distinct text: a statement's variants are a handful of fixed texts.
  const names = new Map<string, string>();
  return async (statement, { prepare = false, scope } = {}) => {
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
    const result = await pool.queryWithin<never>(scope, { name, text, values: statement.values as unknown[] });
    return result.rows;
  };
}
