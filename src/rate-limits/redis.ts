// The per-key limit shared by a fleet: the GCRA of ./gcra.ts as a Redis script,
// on Redis's clock, so every instance counts against one TAT per key.
// If Redis cannot answer, the instance fails open to its own memory: requests
// still get a limit, enforced per instance, and the outage is logged.
import { setTimeout } from 'node:timers/promises';
import { Redis } from 'ioredis';
import type { RateDecision } from './gcra.ts';
import { MemoryRateLimiter, type RateLimiter } from './limiter.ts';

// The arithmetic of gcra() in ./gcra.ts, line for line (test/api/rate-limits.test.ts runs both through one table).
const GCRA = `
local period = 60000
local limit = tonumber(ARGV[1])
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
local interval = period / limit
local tat = tonumber(redis.call('GET', KEYS[1]) or now)
local start = math.max(tat, now)
local next = start + interval
if next - now > period then
  return {0, 0, math.ceil(start - now), math.ceil(next - now - period)}
end
redis.call('SET', KEYS[1], string.format('%.3f', next), 'PX', math.ceil(next - now))
return {1, math.floor((period - (next - now)) / interval + 1e-9), math.ceil(next - now), 0}
`;

type GcraRedis = Redis & { gcra(key: string, limit: number): Promise<[number, number, number, number]> };

export class RedisRateLimiter implements RateLimiter {
  private readonly redis: GcraRedis;
  private readonly fallback = new MemoryRateLimiter();
  private failing = false;
  /** Until the first connection is made or given up on (1 s), requests wait for it rather than fail over. */
  private connecting: Promise<unknown> | null;

  constructor(
    url: string,
    private readonly onOutage: (error: unknown) => void,
    private readonly onRecovery: () => void,
  ) {
    this.redis = new Redis(url, {
      // Fail at once rather than queue a request behind a reconnect.
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      commandTimeout: 250,
      connectTimeout: 1_000,
      retryStrategy: (attempt) => Math.min(attempt * 200, 2_000),
    }) as GcraRedis;
    this.redis.on('error', () => {}); // each failed command reports itself through take()
    this.redis.defineCommand('gcra', { numberOfKeys: 1, lua: GCRA });
    const ready = new Promise((resolve) => this.redis.once('ready', resolve));
    this.connecting = Promise.race([ready, setTimeout(1_000, undefined, { ref: false })]).finally(() => {
      this.connecting = null;
    });
  }

  async take(keyId: string, limit: number): Promise<RateDecision> {
    if (this.connecting) await this.connecting;
    try {
      const [allowed, remaining, resetMs, retryAfterMs] = await this.redis.gcra(`herald:rate:${keyId}`, limit);
      if (this.failing) {
        this.failing = false;
        this.onRecovery();
      }
      return { allowed: allowed === 1, limit, remaining, resetMs, retryAfterMs, tat: 0 };
    } catch (error) {
      if (!this.failing) {
        this.failing = true;
        this.onOutage(error);
      }
      return this.fallback.take(keyId, limit);
    }
  }

  async close(): Promise<void> {
    this.redis.disconnect();
  }
}
