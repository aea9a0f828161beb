import { useDisableIntrospection } from '@graphql-yoga/plugin-disable-introspection';
import { GraphQLError } from 'graphql';
import { createYoga, maskError } from 'graphql-yoga';
import { createAuthenticator } from './auth/authenticate.ts';
import { databaseFailureStore, memoryFailureStore } from './auth/failures.ts';
import { createMemberTokenVerifier } from './auth/jwt.ts';
import { createMemberAuthenticator } from './auth/members.ts';
import { createKeyVerifier } from './auth/verify-key.ts';
import type { Config } from './config.ts';
import { type Context, createContextFactory } from './context.ts';
import { ApiKeyStore } from './data/api-keys.ts';
import { KeyCache } from './data/key-cache.ts';
import { UsageCounter } from './data/usage.ts';
import type { Database } from './db/index.ts';
import { WALKTHROUGH } from './graphiql.ts';
import { createLogger, type Logger, yogaLogger } from './logger.ts';
import { useKeyUsage } from './plugins/key-usage.ts';
import { useLimits } from './plugins/limits.ts';
import { createMetrics } from './plugins/metrics.ts';
import { type Lifecycle, useReadiness } from './plugins/readiness.ts';
import { MAX_BODY_BYTES, useRequestBody } from './plugins/request-body.ts';
import { useRequestLog } from './plugins/request-log.ts';
import { schema } from './schema/index.ts';

export interface HeraldOptions {
  config: Config;
  db: Database;
  logger?: Logger;
  lifecycle?: Lifecycle;
  /** How often counted key usage is written (tests shorten it). */
  usageFlushMs?: number;
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
}: HeraldOptions) {
  // PostgreSQL may serve a fleet: failures are counted in it and keys are read
  // on every request. The embedded database has one process: memory is enough.
  const embedded = db.target.kind === 'embedded';
  const local = memoryFailureStore(config.authFailures);
  const failures = { local, shared: embedded ? local : databaseFailureStore(db.prisma, config.authFailures) };
  const keys = new ApiKeyStore(db.prisma, embedded ? new KeyCache() : undefined);
  const memberAuthenticator = createMemberAuthenticator(db.prisma, await createMemberTokenVerifier(config));
  const authenticate = createAuthenticator(createKeyVerifier(keys), memberAuthenticator, failures);
  const usage = new UsageCounter(db.prisma, (error) => logger.error({ err: error }, 'writing key usage failed'), usageFlushMs);
  const metrics = createMetrics();
  return createYoga<object, Context>({
    schema,
    context: createContextFactory({ db: db.prisma, authenticate, metrics, trustProxy: config.trustProxy, keys }),
    graphqlEndpoint: '/graphql',
    healthCheckEndpoint: '/health',
    graphiql: config.graphiql ? { title: 'Herald', defaultQuery: WALKTHROUGH } : false,
    // GraphiQL served from this package rather than a CDN: it works offline and
    // behind firewalls. Loaded only when enabled: the bundle is large.
    renderGraphiQL: config.graphiql ? (await import('@graphql-yoga/render-graphiql')).renderGraphiQL : undefined,
    landingPage: false,
    // One operation per request: batching would multiply every limit above.
    batching: false,
    logging: yogaLogger(logger),
    // Yoga logs the original; the client gets "Unexpected error." with HTTP 500.
    maskedErrors: {
      maskError(error, message, isDev) {
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
      useRequestBody(MAX_BODY_BYTES),
      ...useLimits(config.limits),
      useRequestLog(logger),
      useReadiness(db, lifecycle),
      useKeyUsage(usage),
      metrics.plugin,
      ...(config.introspection ? [] : [useDisableIntrospection()]),
    ],
  });
}

export type Herald = Awaited<ReturnType<typeof createHerald>>;
