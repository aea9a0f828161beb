// Per-key usage by UTC day. Requests and refusals are counted in memory on the
// hot path and added to ApiKeyUsage every few seconds (and when the server
// stops, retrying until the shutdown's deadline), so a request never waits for
// a usage write. Messages and recipients are exact: they are read from the
// messages themselves.
import { setTimeout as sleep } from 'node:timers/promises';
import { databaseDeadline, scopeUntil, withinScope } from '../db/deadline.ts';
import type { PrismaClient } from '../db/index.ts';
import { DatabaseUnavailableError } from '../db/outage.ts';

export interface UsageDay {
  day: Date;
  requests: number;
  messages: number;
  recipients: number;
  refused: number;
}

export const USAGE_MAX_DAYS = 90;

/** Counts a shutdown could not write: what it says it lost. */
export interface LostUsage {
  key: string;
  /** UTC day, YYYY-MM-DD. */
  day: string;
  requests: number;
  refused: number;
}

/** How long close() keeps trying when no shutdown deadline is given. */
const CLOSE_TIMEOUT_MS = 3_000;
/** How long one write may take, from the moment it is sent to the moment the database runs it. */
const FLUSH_BUDGET_MS = 2_000;

const utcDay = (ms: number) => new Date(ms).toISOString().slice(0, 10);

export class UsageCounter {
  /** `${keyId} ${day}` → counts not yet written. */
  private pending = new Map<string, { requests: number; refused: number }>();
  /** The batch being written: still this instance's to report until its statement returns. */
  private writing = new Map<string, { requests: number; refused: number }>();
  private readonly timer: NodeJS.Timeout;
  private flushing: Promise<void> = Promise.resolve();

  constructor(
    private readonly db: PrismaClient,
    private readonly onError: (error: unknown) => void,
    intervalMs = 5_000,
    private readonly clock: () => number = Date.now,
  ) {
    this.timer = setInterval(() => void this.flush(), intervalMs);
    this.timer.unref();
  }

  /** A request the key authenticated. */
  request(keyId: string): void {
    this.bucket(keyId).requests += 1;
  }

  /** A request the key authenticated that was then refused (scope, input, limits). */
  refused(keyId: string): void {
    this.bucket(keyId).refused += 1;
  }

  private bucket(keyId: string) {
    const id = `${keyId} ${utcDay(this.clock())}`;
    let counts = this.pending.get(id);
    if (!counts) {
      counts = { requests: 0, refused: 0 };
      this.pending.set(id, counts);
    }
    return counts;
  }

  /**
   * Writes what is pending in one statement; on failure the counts stay for
   * the next flush. A flush has a deadline (FLUSH_BUDGET_MS, or `by`), which
   * the statement checks itself on the database's clock: one that reaches a
   * frozen database and runs when it resumes, after Herald counted it as not
   * written, writes nothing (see src/db/deadline.ts). So a count is never
   * written twice, and what close() reports lost was not written.
   */
  flush(by?: number): Promise<void> {
    this.flushing = this.flushing.then(async () => {
      if (this.pending.size === 0) return;
      const batch = this.pending;
      this.pending = new Map();
      this.writing = batch;
      const deadline = Math.min(Date.now() + FLUSH_BUDGET_MS, by ?? Number.POSITIVE_INFINITY);
      const scope = scopeUntil(deadline);
      try {
        // A frozen database does not even take a cancel: the deadline answers for it.
        const late = sleep(Math.max(0, deadline - Date.now()) + 250, undefined, { ref: false }).then(() => {
          throw new DatabaseUnavailableError('slow', 'the database did not take the usage counts before their deadline');
        });
        await Promise.race([withinScope(scope, () => this.write(batch)), late]);
        this.writing = new Map();
      } catch (error) {
        this.writing = new Map();
        for (const [id, counts] of batch) {
          const now = this.pending.get(id);
          if (now) {
            now.requests += counts.requests;
            now.refused += counts.refused;
          } else this.pending.set(id, counts);
        }
        this.onError(error);
      } finally {
        scope.done();
      }
    });
    return this.flushing;
  }

  private async write(batch: Map<string, { requests: number; refused: number }>): Promise<void> {
    const rows = [...batch].map(([id, counts]) => ({ id: id.split(' '), counts }));
    const deadline = databaseDeadline();
    // Keys of a deleted account are dropped by the join rather than failing the batch.
    const [{ inTime }] = await this.db.$queryRaw<{ inTime: boolean }[]>`
      WITH timely AS (SELECT clock_timestamp() < coalesce(to_timestamp(${deadline}::float8 / 1000), 'infinity') AS ok),
      written AS (
        INSERT INTO "ApiKeyUsage" ("apiKeyId", day, requests, refused)
        SELECT k.id, u.day, u.requests, u.refused
        FROM unnest(${rows.map((r) => r.id[0])}::uuid[], ${rows.map((r) => r.id[1])}::date[],
                    ${rows.map((r) => r.counts.requests)}::int[], ${rows.map((r) => r.counts.refused)}::int[])
             AS u(key, day, requests, refused)
        JOIN "ApiKey" k ON k.id = u.key
        WHERE (SELECT ok FROM timely)
        ON CONFLICT ("apiKeyId", day) DO UPDATE SET
          requests = "ApiKeyUsage".requests + EXCLUDED.requests,
          refused = "ApiKeyUsage".refused + EXCLUDED.refused
        RETURNING 1
      )
      SELECT (SELECT ok FROM timely) AS "inTime", (SELECT count(*) FROM written) AS written`;
    if (!inTime) throw new DatabaseUnavailableError('slow', 'the usage counts reached the database after their deadline');
  }

  /**
   * What this instance counted for the key and has not written yet, by UTC day
   * (YYYY-MM-DD): a usage read adds it, so a key's own requests show at once
   * (other instances' show within their next write, 5 s).
   */
  unwritten(keyId: string): Map<string, { requests: number; refused: number }> {
    const days = new Map<string, { requests: number; refused: number }>();
    for (const source of [this.writing, this.pending]) {
      for (const [id, counts] of source) {
        const [key, day] = id.split(' ');
        if (key !== keyId) continue;
        const sum = days.get(day) ?? { requests: 0, refused: 0 };
        sum.requests += counts.requests;
        sum.refused += counts.refused;
        days.set(day, sum);
      }
    }
    return days;
  }

  /** Every count not written yet (being written included), by key and UTC day. */
  unwrittenAll(): LostUsage[] {
    const all = new Map<string, LostUsage>();
    for (const source of [this.writing, this.pending]) {
      for (const [id, counts] of source) {
        const [key, day] = id.split(' ');
        const entry = all.get(id) ?? { key, day, requests: 0, refused: 0 };
        entry.requests += counts.requests;
        entry.refused += counts.refused;
        all.set(id, entry);
      }
    }
    return [...all.values()];
  }

  /**
   * Stops the timer and writes what is left, retrying until `deadline` (ms
   * since the epoch): called when the server stops. Returns what it could not
   * write (empty: nothing lost).
   */
  async close(deadline = Date.now() + CLOSE_TIMEOUT_MS): Promise<LostUsage[]> {
    clearInterval(this.timer);
    for (let attempt = 0; ; attempt += 1) {
      // A flush already under way (the timer's) may outlast the deadline: the deadline wins.
      await Promise.race([this.flush(deadline), sleep(Math.max(0, deadline - Date.now()), undefined, { ref: false })]);
      if (this.pending.size === 0 && this.writing.size === 0) return [];
      // Backing off, and one last try just before the deadline.
      const left = deadline - Date.now() - 50;
      if (left <= 0) return this.unwrittenAll();
      await sleep(Math.min(100 * 2 ** attempt, 1_000, left));
    }
  }
}

/**
 * Usage of these keys over the last `days` UTC days (today included), days with
 * any use only, newest first. The key ids come from rows the caller could read.
 */
export async function usageOf(
  db: PrismaClient,
  keyIds: readonly string[],
  days: number,
  counter?: Pick<UsageCounter, 'unwritten'>,
): Promise<Map<string, UsageDay[]>> {
  const rows = await db.$queryRaw<{ key: string; day: Date; requests: number; refused: number; messages: number; recipients: number }[]>`
    WITH since AS (SELECT (now() AT TIME ZONE 'UTC')::date - ${days - 1}::int AS day)
    SELECT key::text, day, sum(requests)::int AS requests, sum(refused)::int AS refused,
           sum(messages)::int AS messages, sum(recipients)::int AS recipients
    FROM (
      SELECT "apiKeyId" AS key, day, requests, refused, 0 AS messages, 0 AS recipients
      FROM "ApiKeyUsage" WHERE "apiKeyId" = ANY(${keyIds}::uuid[]) AND day >= (SELECT day FROM since)
      UNION ALL
      SELECT "apiKeyId", ("createdAt" AT TIME ZONE 'UTC')::date, 0, 0, count(*), sum("recipientCount")
      FROM "Message" WHERE "apiKeyId" = ANY(${keyIds}::uuid[])
        AND "createdAt" >= ((SELECT day FROM since)::timestamp AT TIME ZONE 'UTC')
      GROUP BY 1, 2
    ) AS usage
    GROUP BY key, day
    ORDER BY key, day DESC`;
  const byKey = new Map<string, UsageDay[]>(keyIds.map((id) => [id, []]));
  for (const { key, ...day } of rows) byKey.get(key)?.push(day);
  if (!counter) return byKey;
  const first = utcDay(Date.now() - (days - 1) * 86_400_000);
  for (const [key, list] of byKey) {
    for (const [day, counts] of counter.unwritten(key)) {
      if (day < first) continue;
      let entry = list.find((d) => utcDay(d.day.getTime()) === day);
      if (!entry) {
        entry = { day: new Date(`${day}T00:00:00Z`), requests: 0, refused: 0, messages: 0, recipients: 0 };
        list.push(entry);
      }
      entry.requests += counts.requests;
      entry.refused += counts.refused;
    }
    list.sort((a, b) => b.day.getTime() - a.day.getTime());
  }
  return byKey;
}
