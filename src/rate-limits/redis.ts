// The per-key limit shared by a fleet: the GCRA of ./gcra.ts as a Redis script,
// on Redis's clock, so every instance counts against one TAT per key.
// If Redis cannot answer, the instance fails open to its own memory: requests
// still get a limit, enforced per instance (see the README). With hysteresis:
// Redis is declared down after several failures in a row (a command that times
// out once under load is answered from memory and changes nothing), requests
// then skip it (no wait), and a ping every second brings it back once it answers.
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

export interface RedisLimiterOptions {
  /** How long a command may take: long enough that a busy event loop does not fire it (REDIS_COMMAND_TIMEOUT_MS). */
  commandTimeoutMs: number;
  /** Failures in a row that declare Redis down. */
  failuresToFailOver: number;
  /** How often a Redis declared down is pinged. */
  probeEveryMs: number;
}

export const DEFAULT_REDIS_OPTIONS: RedisLimiterOptions = { commandTimeoutMs: 1_000, failuresToFailOver: 3, probeEveryMs: 1_000 };

export class RedisRateLimiter implements RateLimiter {
  private readonly redis: GcraRedis;
  private readonly fallback = new MemoryRateLimiter();
  private readonly options: RedisLimiterOptions;
  private failuresInARow = 0;
  private downSince: number | null = null;
  private probe: NodeJS.Timeout | null = null;
  private closed = false;
  /** How many times this instance fell back to its own memory. */
  failovers = 0;
  /** Until the first connection is made or given up on (1 s), requests wait for it rather than fail over. */
  private connecting: Promise<unknown> | null;

  constructor(
    url: string,
    /** Redis declared down: limits are this instance's alone from now on. */
    private readonly onOutage: (error: unknown) => void,
    /** Redis answers again: limits are the fleet's again. */
    private readonly onRecovery: (downForMs: number) => void,
    options: Partial<RedisLimiterOptions> = {},
  ) {
    this.options = { ...DEFAULT_REDIS_OPTIONS, ...options };
    this.redis = new Redis(url, {
      // Fail at once rather than queue a request behind a reconnect.
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      commandTimeout: this.options.commandTimeoutMs,
      connectTimeout: 1_000,
      retryStrategy: (attempt) => Math.min(attempt * 200, 2_000),
      // The requests of one event-loop turn share one write (and one wake-up of Redis).
      enableAutoPipelining: true,
    }) as GcraRedis;
    this.redis.on('error', () => {}); // each failed command reports itself through take()
    this.redis.defineCommand('gcra', { numberOfKeys: 1, lua: GCRA });
    const ready = new Promise((resolve) => this.redis.once('ready', resolve));
    this.connecting = Promise.race([ready, setTimeout(1_000, undefined, { ref: false })]).finally(() => {
      this.connecting = null;
    });
  }

  /** Whether limits are shared through Redis right now (false: this instance's memory). */
  get shared(): boolean {
    return this.downSince === null;
  }

  async take(keyId: string, limit: number): Promise<RateDecision> {
    if (this.connecting) await this.connecting;
    if (!this.shared) return this.fallback.take(keyId, limit);
    try {
      const [allowed, remaining, resetMs, retryAfterMs] = await this.redis.gcra(`herald:rate:${keyId}`, limit);
      this.failuresInARow = 0;
      return { allowed: allowed === 1, limit, remaining, resetMs, retryAfterMs, tat: 0 };
    } catch (error) {
      this.failuresInARow += 1;
      if (this.failuresInARow >= this.options.failuresToFailOver) this.failOver(error);
      return this.fallback.take(keyId, limit);
    }
  }

  private failOver(error: unknown): void {
    if (!this.shared || this.closed) return;
    this.downSince = Date.now();
    this.failovers += 1;
    this.onOutage(error);
    this.schedulePing();
  }

  private schedulePing(): void {
    this.probe = globalThis.setTimeout(async () => {
      if (this.closed) return;
      try {
        await this.redis.ping();
        const downForMs = Date.now() - (this.downSince ?? Date.now());
        this.downSince = null;
        this.failuresInARow = 0;
        this.onRecovery(downForMs);
      } catch {
        this.schedulePing();
      }
    }, this.options.probeEveryMs);
    this.probe.unref();
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.probe) clearTimeout(this.probe);
    this.redis.disconnect();
  }
}
