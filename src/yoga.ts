import { useDisableIntrospection } from '@graphql-yoga/plugin-disable-introspection';
import { GraphQLError } from 'graphql';
import { createYoga, maskError, type Plugin } from 'graphql-yoga';
import { createAdmission } from './auth/admit.ts';
import { type Authenticate, createAuthenticator } from './auth/authenticate.ts';
import { createMemberTokenVerifier } from './auth/jwt.ts';
import { createMemberAuthenticator } from './auth/members.ts';
import { createRecipientAuthenticator } from './auth/recipients.ts';
import { createKeyVerifier } from './auth/verify-key.ts';
import { type ClientAddress, clientAddressResolver } from './client-address.ts';
import type { Config } from './config.ts';
import { type Context, createContextFactory } from './context.ts';
import type { Shared } from './data/index.ts';
import type { Database } from './db/index.ts';
import { WALKTHROUGH } from './graphiql.ts';
import { createLogger, type Logger, yogaLogger } from './logger.ts';
import { useDashboard } from './plugins/dashboard.ts';
import { useIdempotency } from './plugins/idempotency.ts';
import { useKeyUsage } from './plugins/key-usage.ts';
import { useLimits } from './plugins/limits.ts';
import { createMetrics } from './plugins/metrics.ts';
import { useRateLimitHeaders } from './plugins/rate-limit-headers.ts';
import { type Lifecycle, useReadiness } from './plugins/readiness.ts';
import { MAX_BODY_BYTES, useRequestBody } from './plugins/request-body.ts';
import { useRequestLog } from './plugins/request-log.ts';
import { schema } from './schema/index.ts';
import { createTopology, type Topology } from './topology.ts';

export interface HeraldOptions {
  config: Config;
  db: Database;
  logger?: Logger;
  lifecycle?: Lifecycle;
  /** How often counted key usage is written (tests shorten it). */
  usageFlushMs?: number;
}

/** What the WebSocket transport needs beside Yoga: who a connection is, and this instance's streams. */
export interface Connections {
  authenticate: Authenticate;
  clientAddress: ClientAddress;
  topology: Topology;
  config: Config;
  logger: Logger;
}

/**
 * The Herald server as a fetch handler: no listening here (src/server.ts does),
 * so tests call yoga.fetch. /graphql, /health (liveness), /ready, /metrics.
 */
export async function createHerald({
  config,
  db,
  logger = createLogger(config.logLevel),
  lifecycle = { draining: false },
  usageFlushMs,
}: HeraldOptions) {
  const topology = await createTopology({ config, db, logger, usageFlushMs });
  const memberAuthenticator = createMemberAuthenticator(db.prisma, await createMemberTokenVerifier(config));
  const recipientAuthenticator = createRecipientAuthenticator(db.sql, topology.tokens);
  const authenticate = createAuthenticator(
    createKeyVerifier(topology.keys),
    memberAuthenticator,
    recipientAuthenticator,
    topology.failures,
  );
  const admit = createAdmission(topology.limiter, config.keyRateLimitPerMinute);
  const metrics = createMetrics(topology.hub);
  const clientAddress = clientAddressResolver(config.trustProxy);
  const shared: Shared = {
    sql: db.sql,
    keys: topology.keys,
    usage: topology.usage,
    bus: topology.bus,
    hub: topology.hub,
    tokens: topology.tokens,
    onSent: (recipients) => metrics.sendRecipients.inc(recipients),
  };
  const connections: Connections = { authenticate, clientAddress, topology, config, logger };
  const yoga = createYoga<object, Context>({
    schema,
    context: createContextFactory({ db: db.prisma, shared, authenticate, admit, clientAddress }),
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
      // The dashboard's page and assets (/, /assets/*): before the GraphQL request checks.
      useDashboard(config),
      useRequestBody(MAX_BODY_BYTES),
      useIdempotency(),
      ...useLimits(config.limits),
      useRequestLog(logger),
      useReadiness(db, lifecycle),
      useKeyUsage(topology.usage),
      useRateLimitHeaders(),
      metrics.plugin,
      useTopology(topology),
      ...(config.introspection ? [] : [useDisableIntrospection()]),
    ],
  });
  return Object.assign(yoga, { connections });
}

export type Herald = Awaited<ReturnType<typeof createHerald>>;

/** The topology stops with the server: streams end, the bus closes, the usage counted since the last write is written. */
function useTopology(topology: Topology): Plugin {
  return { onDispose: () => topology.close() };
}
