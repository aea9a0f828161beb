import { useDisableIntrospection } from '@graphql-yoga/plugin-disable-introspection';
import { GraphQLError } from 'graphql';
import { createYoga, maskError } from 'graphql-yoga';
import { createAdmission } from './auth/admit.ts';
import { createAuthenticator } from './auth/authenticate.ts';
import { databaseFailureStore, memoryFailureStore } from './auth/failures.ts';
import { createMemberTokenVerifier } from './auth/jwt.ts';
import { createMemberAuthenticator } from './auth/members.ts';
import { createKeyVerifier } from './auth/verify-key.ts';
import { clientAddressResolver } from './client-address.ts';
import type { Config } from './config.ts';
import { type Context, createContextFactory } from './context.ts';
import { ApiKeyStore } from './data/api-keys.ts';
import { KeyCache } from './data/key-cache.ts';
import { purgeExpiredIdempotencyKeys } from './data/messages.ts';
import { UsageCounter } from './data/usage.ts';
import type { Database } from './db/index.ts';
import { WALKTHROUGH } from './graphiql.ts';
import { createLogger, type Logger, yogaLogger } from './logger.ts';
import { useDashboard } from './plugins/dashboard.ts';
import { useIdempotency } from './plugins/idempotency.ts';
import { InFlightRequests, useInFlight } from './plugins/in-flight.ts';
import { useKeyUsage } from './plugins/key-usage.ts';
import { useLimits } from './plugins/limits.ts';
import { createMetrics } from './plugins/metrics.ts';
import { unavailableError, useOutages, withoutUnavailable } from './plugins/outages.ts';
import { useRateLimitHeaders } from './plugins/rate-limit-headers.ts';
import { type Lifecycle, useReadiness } from './plugins/readiness.ts';
import { MAX_BODY_BYTES, useRequestBody } from './plugins/request-body.ts';
import { useRequestLog } from './plugins/request-log.ts';
import { MemoryRateLimiter, type RateLimiter } from './rate-limits/limiter.ts';
import { PostgresRateLimiter } from './rate-limits/postgres.ts';
import { RedisRateLimiter } from './rate-limits/redis.ts';
import { schema } from './schema/index.ts';

export interface HeraldOptions {
  config: Config;
  db: Database;
  logger?: Logger;
  lifecycle?: Lifecycle;
  /** How often counted key usage is written (tests shorten it). */
  usageFlushMs?: number;
  /** The requests in flight, with their deadlines (main.ts shortens them when it shuts down). */
  inFlight?: InFlightRequests;
}

/**
 * The Herald server as a fetch handler: no listening here (src/main.ts does),
 * so tests call yoga.fetch. /graphql, /health (liveness), /ready, /metrics.
 */
export async function createHerald({
  config,
  db,
  logger = createLogger(config.logLevel),
  lifecycle = { draining: false },
  usageFlushMs,
  inFlight = new InFlightRequests(config.requestTimeoutMs, config.maxRequestsInFlight),
}: HeraldOptions) {
  // PostgreSQL may serve a fleet: failures are counted in it and keys are read
  // on every request. The embedded database has one process: memory is enough.
  const embedded = db.target.kind === 'embedded';
  const local = memoryFailureStore(config.authFailures);
  const failures = { local, shared: embedded ? local : databaseFailureStore(db.prisma, config.authFailures) };
  const keys = new ApiKeyStore(db.prisma, db.sql, embedded ? new KeyCache() : undefined);
  const memberAuthenticator = createMemberAuthenticator(db.prisma, await createMemberTokenVerifier(config));
  const authenticate = createAuthenticator(createKeyVerifier(keys), memberAuthenticator, failures);
  const usage = new UsageCounter(
    db.prisma,
    (error) => {
      // A database outage is logged once, as such (src/plugins/outages.ts), not at every flush.
      if (!unavailableError(error, db.outages)) logger.error({ err: error }, 'writing key usage failed');
    },
    usageFlushMs,
  );
  const limiter = rateLimiter(config, db, logger);
  const admit = createAdmission(limiter, config.keyRateLimitPerMinute);
  const metrics = createMetrics();
  return createYoga<object, Context>({
    schema,
    context: createContextFactory({
      db: db.prisma,
      usage,
      sql: db.sql,
      authenticate,
      admit,
      clientAddress: clientAddressResolver(config.trustProxy),
      metrics,
      keys,
    }),
    graphqlEndpoint: '/graphql',
    healthCheckEndpoint: '/health',
    graphiql: config.graphiql ? { title: 'Herald', defaultQuery: WALKTHROUGH } : false,
    // GraphiQL served from this package rather than a CDN: it works offline and
    // behind firewalls. Loaded on the first page view, not at start-up: the
    // bundle is 9 MB, 150-300 ms of every start.
    renderGraphiQL: config.graphiql
      ? async (options) => (await import('@graphql-yoga/render-graphiql')).renderGraphiQL(options)
      : undefined,
    landingPage: false,
    // One operation per request: batching would multiply every limit above.
    batching: false,
    logging: withoutUnavailable(yogaLogger(logger)),
    // Yoga logs the original; the client gets "Unexpected error." with HTTP 500, or 503 with
    // Retry-After when the database could not serve (src/plugins/outages.ts).
    maskedErrors: {
      maskError(error, message, isDev) {
        const unavailable = unavailableError(error, db.outages);
        if (unavailable) return unavailable;
        const masked = maskError(error, message, isDev);
        if (!(masked instanceof GraphQLError) || masked === error) return masked;
        return new GraphQLError(masked.message, {
          nodes: masked.nodes,
          path: masked.path,
          extensions: { ...masked.extensions, http: { status: 500 } },
        });
      },
    },
    // Herald takes JSON (and GET for queries): no multipart uploads.
    multipart: false,
    plugins: [
      // Deadlines and the in-flight limit: first, so that everything after runs within them.
      useInFlight(inFlight),
      // The dashboard's page and assets (/, /assets/*): before the GraphQL request checks.
      useDashboard(config),
      useRequestBody(MAX_BODY_BYTES),
      useIdempotency(),
      ...useLimits(config.limits),
      useRequestLog(logger),
      useReadiness(db, lifecycle),
      useKeyUsage(usage, lifecycle),
      useRateLimitHeaders(),
      useHousekeeping(db, limiter, logger),
      metrics.plugin,
      useOutages({ outages: db.outages, limiter, logger, registry: metrics.registry }),
      ...(config.introspection ? [] : [useDisableIntrospection()]),
    ],
  });
}

export type Herald = Awaited<ReturnType<typeof createHerald>>;

/**
 * Per-key rate limits: in this process on the embedded database (one process
 * owns it); on PostgreSQL shared by the fleet, in Redis when REDIS_URL is set
 * (the cheaper, see the README) or else in the database.
 */
function rateLimiter(config: Config, db: Database, logger: Logger): RateLimiter {
  if (db.target.kind === 'embedded') return new MemoryRateLimiter();
  if (!config.redisUrl) return new PostgresRateLimiter(db.prisma);
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

const PURGE_EVERY_MS = 10 * 60_000;

/** Expired idempotency records go every 10 minutes (lookups ignore them anyway); the limiter closes with the server. */
function useHousekeeping(db: Database, limiter: RateLimiter, logger: Logger) {
  const purge = () =>
    purgeExpiredIdempotencyKeys(db.prisma).catch((error) => logger.warn({ err: error }, 'purging expired idempotency keys failed'));
  const timer = setInterval(purge, PURGE_EVERY_MS);
  timer.unref();
  return {
    onDispose: async () => {
      clearInterval(timer);
      await limiter.close();
    },
  };
}
