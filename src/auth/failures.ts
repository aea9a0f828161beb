// Failed authentications, counted per source address and per key prefix in
// fixed windows. Past the limit, the caller gets 429 until the window ends.
import type { LeasedCache } from '../data/leased-cache.ts';
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
   * The database store only: blockedFor without a statement of its own. Either
   * the answer from this instance's memory, or a SQL expression to ride along
   * the key lookup's statement and a function that reads its value.
   */
  blockedAlongside?(buckets: string[]): { seconds: number } | { sql: Prisma.Sql; read(value: unknown): number };
}

/** The end a block expression returned, in epoch ms (0: not blocked). */
function endOf(blockedUntil: unknown): number {
  return blockedUntil instanceof Date || typeof blockedUntil === 'string' ? new Date(blockedUntil).getTime() : 0;
}

/** Seconds until the end a block expression returned (0: not blocked). */
function blockedSeconds(blockedUntil: unknown, now = Date.now()): number {
  const end = endOf(blockedUntil);
  return end ? secondsUntil(end, now) : 0;
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

/**
 * Shared through the database: the limit holds across every instance of a fleet.
 * `known` (none: every request reads): the end of each bucket's block in epoch
 * ms (0: not blocked) as this instance last read it, served under a lease. A
 * failure that blocks a bucket answers only once that lease has run out
 * everywhere (src/data/leased-cache.ts): from its 429 on, every instance
 * refuses the address.
 */
export function databaseFailureStore(db: PrismaClient, { limit, windowSeconds }: FailureLimit, known?: LeasedCache<number>): FailureStore {
  const blockedUntilSql = (buckets: string[]) => Prisma.sql`(
    SELECT max("windowEnd") FROM "AuthFailure"
    WHERE bucket = ANY(${buckets}) AND "windowEnd" > now() AND count >= ${limit})`;
  return {
    blockedAlongside(buckets) {
      const ends = known ? buckets.map((bucket) => known.get(bucket)) : [];
      if (known && ends.every((end) => end !== undefined)) {
        const now = Date.now();
        const end = Math.max(...(ends as number[]));
        return { seconds: end > now ? secondsUntil(end, now) : 0 };
      }
      const lease = known?.begin();
      return {
        sql: blockedUntilSql(buckets),
        read(value) {
          if (lease) for (const bucket of buckets) known?.set(bucket, endOf(value), lease);
          return blockedSeconds(value);
        },
      };
    },
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
      const blocked = Math.max(0, ...rows.filter((r) => r.count >= limit).map((r) => secondsUntil(r.windowEnd, now)));
      if (known && blocked > 0) {
        known.drop((_end, bucket) => buckets.includes(bucket));
        await known.settled();
      }
      return blocked;
    },
  };
}
