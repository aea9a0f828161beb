// Failed authentications, counted per source address and per key prefix in
// fixed windows. Past the limit, the caller gets 429 until the window ends.
import { type WorkScope, withinScope } from '../db/deadline.ts';
import type { PrismaClient } from '../db/index.ts';
import { Prisma } from '../generated/prisma/client.ts';

/** `work`: the request's scope, which bounds a store's database work (src/db/deadline.ts). */
export interface FailureStore {
  /** Seconds until these buckets are allowed again (0: not blocked). */
  blockedFor(buckets: string[], work?: WorkScope): Promise<number>;
  /** Counts one failure in each bucket; returns seconds blocked after it (0: still under the limit). */
  fail(buckets: string[], work?: WorkScope): Promise<number>;
  /**
   * The database store only: blockedFor as a SQL expression (the end of the
   * block as a timestamp, or null), to ride along the key lookup's statement.
   * Read its value with `blockedSeconds`.
   */
  blockedUntilSql?(buckets: string[]): Prisma.Sql;
}

/** Seconds until the end a `blockedUntilSql` expression returned (0: not blocked). */
export function blockedSeconds(blockedUntil: unknown, now = Date.now()): number {
  return blockedUntil instanceof Date || typeof blockedUntil === 'string' ? secondsUntil(new Date(blockedUntil), now) : 0;
}

export interface FailureLimit {
  limit: number;
  windowSeconds: number;
}

function secondsUntil(end: Date | number, now: number): number {
  return Math.max(1, Math.ceil((Number(end) - now) / 1000));
}

/** One process only: right for the embedded database, which one process owns. */
export function memoryFailureStore({ limit, windowSeconds }: FailureLimit): FailureStore {
  const windows = new Map<string, { count: number; end: number }>();
  const live = (bucket: string, now: number) => {
    const window = windows.get(bucket);
    return window && window.end > now ? window : undefined;
  };
  const blocked = (buckets: string[], now: number) =>
    Math.max(0, ...buckets.map((b) => live(b, now)).map((w) => (w && w.count >= limit ? secondsUntil(w.end, now) : 0)));
  return {
    async blockedFor(buckets) {
      return blocked(buckets, Date.now());
    },
    async fail(buckets) {
      const now = Date.now();
      if (windows.size > 100_000) for (const [b, w] of windows) if (w.end <= now) windows.delete(b);
      for (const bucket of buckets) {
        const window = live(bucket, now);
        if (window) window.count += 1;
        else windows.set(bucket, { count: 1, end: now + windowSeconds * 1000 });
      }
      return blocked(buckets, now);
    },
  };
}

/** Shared through the database: the limit holds across every instance of a fleet. */
export function databaseFailureStore(db: PrismaClient, { limit, windowSeconds }: FailureLimit): FailureStore {
  const blockedUntilSql = (buckets: string[]) => Prisma.sql`(
    SELECT max("windowEnd") FROM "AuthFailure"
    WHERE bucket = ANY(${buckets}) AND "windowEnd" > now() AND count >= ${limit})`;
  return {
    blockedUntilSql,
    // Prisma's work, within the request's scope.
    async blockedFor(buckets, work) {
      const [{ until }] = await withinScope(
        work,
        () => db.$queryRaw<{ until: Date | null }[]>`SELECT ${blockedUntilSql(buckets)} AS until`,
      );
      return blockedSeconds(until);
    },
    async fail(buckets, work) {
      const rows = await withinScope(
        work,
        () => db.$queryRaw<{ count: number; windowEnd: Date }[]>`
        INSERT INTO "AuthFailure" (bucket, "windowEnd", count)
        SELECT b, now() + make_interval(secs => ${windowSeconds}), 1 FROM unnest(${buckets}::text[]) AS b
        ON CONFLICT (bucket) DO UPDATE SET
          count = CASE WHEN "AuthFailure"."windowEnd" <= now() THEN 1 ELSE "AuthFailure".count + 1 END,
          "windowEnd" = CASE WHEN "AuthFailure"."windowEnd" <= now() THEN EXCLUDED."windowEnd" ELSE "AuthFailure"."windowEnd" END
        RETURNING count, "windowEnd"`,
      );
      const now = Date.now();
      return Math.max(0, ...rows.filter((r) => r.count >= limit).map((r) => secondsUntil(r.windowEnd, now)));
    },
  };
}
