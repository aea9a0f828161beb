// The three places a key's rate-limit state can live answer alike: the GCRA of
// src/rate-limits/gcra.ts in memory, as a Redis script, and as a PostgreSQL upsert.
import { randomUUID } from 'node:crypto';
import { MemoryRateLimiter, type RateLimiter } from '../../src/rate-limits/limiter.ts';
import { PostgresRateLimiter } from '../../src/rate-limits/postgres.ts';
import { RedisRateLimiter } from '../../src/rate-limits/redis.ts';
import { describe, expect, test } from '../support/fixtures.ts';

// Redis runs on 127.0.0.1:6379 in CI (.ci/run sets TEST_REDIS_URL); without it these cases are reported as skipped.
const REDIS_URL = process.env.TEST_REDIS_URL;

/** Six requests at once against a limit of 4: which pass, what remains, how long to wait. */
async function burst(limiter: RateLimiter) {
  const key = randomUUID();
  const decisions = [];
  for (let i = 0; i < 6; i += 1) decisions.push(await limiter.take(key, 4));
  return decisions.map(({ allowed, remaining, retryAfterMs, resetMs }) => ({
    allowed,
    remaining,
    // Whole seconds: the stores' clocks move on between requests.
    retryAfter: Math.ceil(retryAfterMs / 1000),
    reset: Math.ceil(resetMs / 1000),
  }));
}

const EXPECTED = [
  { allowed: true, remaining: 3, retryAfter: 0, reset: 15 },
  { allowed: true, remaining: 2, retryAfter: 0, reset: 30 },
  { allowed: true, remaining: 1, retryAfter: 0, reset: 45 },
  { allowed: true, remaining: 0, retryAfter: 0, reset: 60 },
  { allowed: false, remaining: 0, retryAfter: 15, reset: 60 },
  { allowed: false, remaining: 0, retryAfter: 15, reset: 60 },
];

describe('rate-limit stores', () => {
  test('memory', async () => {
    expect(await burst(new MemoryRateLimiter())).toEqual(EXPECTED);
  });

  test('PostgreSQL (and the embedded database): one conditional upsert per request', async ({ herald }) => {
    expect(await burst(new PostgresRateLimiter(herald.db.sql))).toEqual(EXPECTED);
  });

  test('PostgreSQL under concurrency: exactly the limit passes', async ({ herald }) => {
    const limiter = new PostgresRateLimiter(herald.db.sql);
    const key = randomUUID();
    const decisions = await Promise.all(Array.from({ length: 20 }, () => limiter.take(key, 7)));
    expect(decisions.filter((d) => d.allowed)).toHaveLength(7);
  });

  test.skipIf(!REDIS_URL)('Redis (TEST_REDIS_URL): the same answers from the script, exactly the limit under concurrency', async () => {
    const outages: unknown[] = [];
    const limiter = new RedisRateLimiter(
      REDIS_URL as string,
      (error) => outages.push(error),
      () => {},
    );
    try {
      expect(await burst(limiter)).toEqual(EXPECTED);
      const key = randomUUID();
      const decisions = await Promise.all(Array.from({ length: 20 }, () => limiter.take(key, 7)));
      expect(decisions.filter((d) => d.allowed)).toHaveLength(7);
      expect(outages).toEqual([]);
    } finally {
      await limiter.close();
    }
  });

  test('Redis unreachable: fails open to the instance’s own memory, still limiting, and says so once', async () => {
    const outages: unknown[] = [];
    const limiter = new RedisRateLimiter(
      'redis://127.0.0.1:1',
      (error) => outages.push(error),
      () => {},
    );
    try {
      const started = performance.now();
      expect(await burst(limiter)).toEqual(EXPECTED);
      // Commands fail at once rather than wait for a reconnect.
      expect(performance.now() - started).toBeLessThan(2_000);
      expect(outages).toHaveLength(1);
    } finally {
      await limiter.close();
    }
  });
});
