// The per-key limit shared by a fleet that has no Redis: one row per key holding
// its TAT, moved by a single conditional upsert on the database's clock, so
// concurrent requests through any instance are counted one after the other.
import type { WorkScope } from '../db/deadline.ts';
import type { Sql } from '../db/sql.ts';
import { Prisma } from '../generated/prisma/client.ts';
import { PERIOD_MS, type RateDecision } from './gcra.ts';
import type { RateLimiter } from './limiter.ts';

export class PostgresRateLimiter implements RateLimiter {
  private readonly sweeper: NodeJS.Timeout;

  /** `sql`: the hot path's statements (src/db/sql.ts); the upsert is prepared, its plan kept. */
  constructor(private readonly sql: Sql) {
    // A row whose TAT has passed says nothing a missing row does not: keys used once stay no longer.
    this.sweeper = setInterval(() => void this.sweep().catch(() => {}), 10 * 60_000);
    this.sweeper.unref();
  }

  async sweep(): Promise<number> {
    const [{ deleted }] = await this.sql<{ deleted: number }>(Prisma.sql`
      WITH gone AS (DELETE FROM "KeyRateLimit" WHERE tat < extract(epoch FROM clock_timestamp()) * 1000 RETURNING 1)
      SELECT count(*)::int AS deleted FROM gone`);
    return deleted;
  }

  async take(keyId: string, limit: number, work?: WorkScope): Promise<RateDecision> {
    const interval = PERIOD_MS / limit;
    // The same arithmetic as gcra() in ./gcra.ts: the row moves only when the request is allowed.
    const [{ now, taken, stored }] = await this.sql<{ now: number; taken: number | null; stored: number | null }>(
      Prisma.sql`
      WITH clock AS (SELECT (extract(epoch FROM clock_timestamp()) * 1000)::float8 AS now),
      taken AS (
        INSERT INTO "KeyRateLimit" ("apiKeyId", tat) SELECT ${keyId}::uuid, now + ${interval}::float8 FROM clock
        ON CONFLICT ("apiKeyId") DO UPDATE SET tat = greatest("KeyRateLimit".tat, (SELECT now FROM clock)) + ${interval}::float8
        WHERE greatest("KeyRateLimit".tat, (SELECT now FROM clock)) + ${interval}::float8 - (SELECT now FROM clock) <= ${PERIOD_MS}::float8
        RETURNING tat
      )
      SELECT (SELECT now FROM clock) AS now, (SELECT tat FROM taken) AS taken,
             (SELECT tat FROM "KeyRateLimit" WHERE "apiKeyId" = ${keyId}::uuid) AS stored`,
      { prepare: true, scope: work },
    );
    if (taken !== null) {
      return {
        allowed: true,
        limit,
        remaining: Math.max(0, Math.floor((PERIOD_MS - (taken - now)) / interval + 1e-9)),
        resetMs: taken - now,
        retryAfterMs: 0,
        tat: taken,
      };
    }
    const start = Math.max(stored ?? now, now);
    return { allowed: false, limit, remaining: 0, resetMs: start - now, retryAfterMs: start + interval - now - PERIOD_MS, tat: start };
  }

  async close(): Promise<void> {
    clearInterval(this.sweeper);
  }
}
