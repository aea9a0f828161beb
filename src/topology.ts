// Single process or fleet, decided once, here. The embedded database has one
// process: failed authentications, key lookups and rate limits live in its
// memory. PostgreSQL may serve a fleet: they live in the database or Redis, so
// that every instance agrees (keys and address blocks also in memory, for a
// lease that writes wait out: src/data/leased-cache.ts). Either way this
// builds the stores, the bus and the inbox hub, and owns their start and stop
// (and the background timers).
import { setTimeout as sleep } from 'node:timers/promises';
import { isAblated } from './ablation.ts';
import type { FailureStores } from './auth/authenticate.ts';
import { databaseFailureStore, memoryFailureStore } from './auth/failures.ts';
import { RecipientTokens } from './auth/recipient-tokens.ts';
import type { Config } from './config.ts';
import { ApiKeyStore, type AuthKey } from './data/api-keys.ts';
import { LeasedCache } from './data/leased-cache.ts';
import { purgeExpiredIdempotencyKeys } from './data/messages.ts';
import { type LostUsage, UsageCounter } from './data/usage.ts';
import type { Database } from './db/index.ts';
import { classifyDatabaseFailure } from './db/outage.ts';
import type { Logger } from './logger.ts';
import { unavailableError } from './plugins/outages.ts';
import { MemoryRateLimiter, type RateLimiter } from './rate-limits/limiter.ts';
import { PostgresRateLimiter } from './rate-limits/postgres.ts';
import { RedisRateLimiter } from './rate-limits/redis.ts';
import type { Bus } from './realtime/bus.ts';
import { InboxHub } from './realtime/hub.ts';
import { PostgresBus } from './realtime/postgres-bus.ts';
import { RedisBus } from './realtime/redis-bus.ts';
import { WebhookWorker } from './webhooks/worker.ts';

export interface Topology {
  kind: 'single' | 'fleet';
  failures: FailureStores;
  keys: ApiKeyStore;
  limiter: RateLimiter;
  usage: UsageCounter;
  bus: Bus;
  hub: InboxHub;
  tokens: RecipientTokens;
  /** This instance's webhook deliveries (src/webhooks/worker.ts); null with WEBHOOK_CONCURRENCY=0. */
  webhooks: WebhookWorker | null;
  /**
   * Stops the timers, stops taking webhook jobs (those in flight finish or are interrupted, to be tried again), ends the open streams, closes the bus and the stores,
   * and writes the usage counted since the last write, retrying until
   * `deadline` (epoch ms): returns what could not be written.
   */
  close(deadline?: number): Promise<LostUsage[]>;
}

export interface TopologyOptions {
  config: Config;
  db: Database;
  logger: Logger;
  /** How often counted key usage is written (tests shorten it). */
  usageFlushMs?: number;
}

const PURGE_EVERY_MS = 10 * 60_000;

/** Logs a recurring failure at most once a minute; a database outage is the outage tracker's to log (once, when requests meet it). */
function throttled(logger: Logger, message: string): (error: unknown) => void {
  let last = 0;
  return (error) => {
    if (classifyDatabaseFailure(error)) return;
    const now = Date.now();
    if (now - last < 60_000) return;
    last = now;
    logger.error({ err: error }, message);
  };
}

function createRateLimiter(config: Config, db: Database, logger: Logger, single: boolean): RateLimiter {
  if (single) return new MemoryRateLimiter();
  // Redis when REDIS_URL is set (the cheaper: see the README), or else the database.
  if (!config.redisUrl) return new PostgresRateLimiter(db.sql);
  return new RedisRateLimiter(
    config.redisUrl,
    (error) =>
      logger.error(
        { cause: error instanceof Error ? error.message : String(error) },
        'Redis does not answer: rate limits fall back to this instance alone until it does',
      ),
    (downForMs) => logger.info({ downForMs }, 'Redis answers again: rate limits are shared by the fleet again'),
    { commandTimeoutMs: config.redisCommandTimeoutMs },
  );
}

function createBus(config: Config, db: Database, logger: Logger, single: boolean): Bus {
  if (!single && config.redisUrl) {
    return new RedisBus(
      config.redisUrl,
      (error) =>
        logger.error({ err: error }, 'Redis is unreachable: inbox events no longer reach other instances (streams resume with after)'),
      () => logger.info('Redis answers again: inbox events reach every instance again'),
    );
  }
  // A database outage is logged once, by the outage tracker (src/plugins/outages.ts), for everything it stops.
  let logged = false;
  return new PostgresBus(
    db.url,
    db.sql,
    (error) => {
      if (classifyDatabaseFailure(error)) return;
      logged = true;
      logger.error({ err: error }, 'the database cannot carry inbox events: open streams miss them until it can (they resume with after)');
    },
    () => {
      if (logged) logger.info('inbox events flow again');
      logged = false;
    },
    single,
  );
}

/** Builds everything and starts listening to the bus: resolves once the instance can serve streams. */
export async function createTopology({ config, db, logger, usageFlushMs }: TopologyOptions): Promise<Topology> {
  const single = db.target.kind === 'embedded';
  const local = memoryFailureStore(config.authFailures);
  // Keys and address blocks in memory: for good on the embedded database, under a lease on PostgreSQL
  // (none with AUTH_CACHE_MS=0: every request reads them).
  const remember = !isAblated('key-cache');
  const leased = <V>() => (remember && config.authCacheMs > 0 ? LeasedCache.forFleet<V>(config.authCacheMs) : undefined);
  const failures = { local, shared: single ? local : databaseFailureStore(db.prisma, config.authFailures, leased<number>()) };
  const keys = new ApiKeyStore(db.sql, single ? (remember ? LeasedCache.forProcess<AuthKey>() : undefined) : leased<AuthKey>());
  const usage = new UsageCounter(
    db.prisma,
    (error) => {
      // A database outage is logged once, as such (src/plugins/outages.ts), not at every flush.
      if (!unavailableError(error, db.outages)) logger.error({ err: error }, 'writing key usage failed');
    },
    usageFlushMs,
  );
  const limiter = createRateLimiter(config, db, logger, single);
  const bus = createBus(config, db, logger, single);
  const hub = new InboxHub(db.sql, bus, config.streams, throttled(logger, 'delivering inbox events failed'));
  const tokens = new RecipientTokens(db.prisma);
  await bus.start(hub.handle);
  hub.start();
  // Every instance delivers webhooks (starting in the background: an unreachable database does not keep
  // the instance from serving its 503s); a shutdown gives deliveries in flight a part of its time, then interrupts them.
  const webhooks =
    config.webhooks.concurrency > 0
      ? new WebhookWorker({
          url: db.url,
          config: config.webhooks,
          production: config.production,
          logger,
          abortAfterMs: Math.min(5_000, Math.floor(config.shutdownTimeoutMs / 2)),
        })
      : null;

  // Expired idempotency records go every 10 minutes (lookups ignore them anyway).
  const purge = setInterval(
    () =>
      void purgeExpiredIdempotencyKeys(db.prisma).catch((error) => logger.warn({ err: error }, 'purging expired idempotency keys failed')),
    PURGE_EVERY_MS,
  );
  purge.unref();

  return {
    kind: single ? 'single' : 'fleet',
    failures,
    keys,
    limiter,
    usage,
    bus,
    hub,
    tokens,
    webhooks,
    async close(deadline) {
      clearInterval(purge);
      const stopping = webhooks?.stop();
      hub.close();
      // The bus and the limiter close alongside the last usage write, and never hold the exit up (a
      // frozen database would never answer their goodbye); what the usage cannot write by the deadline is reported.
      const closing = Promise.allSettled([bus.close(), limiter.close()]);
      const lost = await usage.close(deadline);
      const left = (deadline ?? Date.now() + 500) - Date.now();
      await Promise.race([closing, sleep(Math.max(0, Math.min(left, 500)), undefined, { ref: false })]);
      // Deliveries in flight get until the deadline; one cut short is tried again (this job's lock is released).
      const until = (deadline ?? Date.now() + 6_000) - 100;
      await Promise.race([stopping, sleep(Math.max(0, until - Date.now()), undefined, { ref: false })]);
      return lost;
    },
  };
}
