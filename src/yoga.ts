import { useDisableIntrospection } from '@graphql-yoga/plugin-disable-introspection';
import { GraphQLError } from 'graphql';
import { createYoga, maskError, type Plugin } from 'graphql-yoga';
import { isAblated } from './ablation.ts';
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
import { InFlightRequests, useInFlight } from './plugins/in-flight.ts';
import { useKeyUsage } from './plugins/key-usage.ts';
import { useLimits } from './plugins/limits.ts';
import { createMetrics } from './plugins/metrics.ts';
import { unavailableError, useOutages, withoutUnavailable } from './plugins/outages.ts';
import { useRateLimitHeaders } from './plugins/rate-limit-headers.ts';
import { type Lifecycle, useReadiness } from './plugins/readiness.ts';
import { MAX_BODY_BYTES, useRequestBody } from './plugins/request-body.ts';
import { logRequests, useRequestRecord } from './plugins/request-log.ts';
import { DOCUMENT_ID_PARAM, useTrustedDocuments } from './plugins/trusted-documents.ts';
import { schema } from './schema/index.ts';
import { createTopology, type Topology } from './topology.ts';

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

/** What the stream transports need beside Yoga: who a connection is, this instance's streams, and what counts as an outage. */
export interface Connections {
  authenticate: Authenticate;
  clientAddress: ClientAddress;
  topology: Topology;
  config: Config;
  logger: Logger;
  outages: Database['outages'];
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
  inFlight = new InFlightRequests(config.requestTimeoutMs, config.maxRequestsInFlight),
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
    webhookPolicy: { allowPrivateNetworks: config.webhooks.allowPrivateNetworks, production: config.production },
    onSent: (recipients) => metrics.sendRecipients.inc(recipients),
  };
  const connections: Connections = { authenticate, clientAddress, topology, config, logger, outages: db.outages };
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
    // The body limit is useRequestBody's (1 MiB, with or without a Content-Length). Yoga's own
    // (25 MB by default) would pipe every request's body through a web TransformStream as well:
    // about 0.07 ms of CPU per request, for a limit that can never be reached first.
    maxRequestBodySize: false,
    // A first-party client may name a trusted document by its hash instead of sending it.
    extraParamNames: [DOCUMENT_ID_PARAM],
    // `unless`: the bench's ablation table runs without one feature at a time (src/ablation.ts).
    plugins: [
      // Deadlines and the in-flight limit: first, so that everything after runs within them.
      ...unless('deadlines', () => [useInFlight(inFlight)]),
      // The dashboard's page and assets (/, /assets/*): before the GraphQL request checks.
      useDashboard(config),
      ...unless('body-limit', () => [useRequestBody(MAX_BODY_BYTES)]),
      ...unless('idempotency', () => [useIdempotency()]),
      useTrustedDocuments(),
      ...useLimits(config.limits, { armor: !isAblated('armor'), cost: !isAblated('cost-limit') }),
      // What each request was, for its log line and its metrics (each can be ablated alone).
      useRequestRecord([...unless('request-log', () => [logRequests(logger)]), ...unless('metrics', () => [metrics.observe])]),
      ...unless('readiness', () => [useReadiness(db, lifecycle)]),
      ...unless('usage', () => [useKeyUsage(topology.usage)]),
      useRateLimitHeaders(),
      ...unless('metrics', () => [metrics.plugin]),
      useOutages({ outages: db.outages, limiter: topology.limiter, logger, registry: metrics.registry }),
      useTopology(topology, lifecycle),
      ...(config.introspection ? [] : [useDisableIntrospection()]),
    ],
  });
  return Object.assign(yoga, { connections });
}

/** The plugins of a feature, unless the bench's ablation runs without it. */
const unless = <P>(feature: Parameters<typeof isAblated>[0], plugins: () => P[]): P[] => (isAblated(feature) ? [] : plugins());

export type Herald = Awaited<ReturnType<typeof createHerald>>;

/**
 * The topology stops with the server: streams end, the bus closes, and the
 * usage counted since the last write is written, retrying until the drain's
 * deadline; what could not be is main.ts's to report (src/shutdown.ts).
 */
function useTopology(topology: Topology, lifecycle: Lifecycle): Plugin {
  return {
    async onDispose() {
      const lost = await topology.close(lifecycle.drainDeadline);
      if (lost.length > 0) lifecycle.lost = [...(lifecycle.lost ?? []), ...lost];
    },
  };
}
