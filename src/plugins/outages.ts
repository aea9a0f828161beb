// What clients and operators see of a database that cannot serve: 503
// SERVICE_UNAVAILABLE with Retry-After (never a masked 500), wherever the
// failure surfaced (a resolver, authentication in the context factory, a
// plugin); one log line when an outage starts and one when it ends, with the
// count of refused requests, rather than a stack trace per request; metrics.
import { GraphQLError } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import { Counter, Gauge, type Registry } from 'prom-client';
import { classifyDatabaseFailure, type OutageTracker } from '../db/outage.ts';
import { ServiceUnavailableError } from '../errors.ts';
import type { Logger } from '../logger.ts';
import type { RateLimiter } from '../rate-limits/limiter.ts';
import { RedisRateLimiter } from '../rate-limits/redis.ts';
import { stateOf } from '../request-state.ts';

/**
 * The 503 for an error that means the database could not serve (see
 * src/db/outage.ts), at the error's place in the result; null for any other
 * error. Used by Yoga's maskError, which every error goes through.
 */
export function unavailableError(error: unknown, outages: OutageTracker): ServiceUnavailableError | null {
  const failure = classifyDatabaseFailure(error);
  if (!failure) return null;
  // A client that left sees nothing; its request is not the database's failure.
  const reason = 'reason' in failure ? failure.reason : 'slow';
  if ('reason' in failure) outages.failed(reason, error);
  const unavailable = new ServiceUnavailableError(reason);
  if (error instanceof GraphQLError) Object.assign(unavailable, { path: error.path, locations: error.locations });
  return unavailable;
}

type YogaLogger = Record<'debug' | 'info' | 'warn' | 'error', (...args: unknown[]) => void>;

/** Yoga's logger without the errors already answered 503: an outage is logged once, by the tracker's subscriber. */
export function withoutUnavailable(logger: YogaLogger): YogaLogger {
  return {
    ...logger,
    error: (...args) => {
      if (args[0] instanceof Error && classifyDatabaseFailure(args[0])) return;
      logger.error(...args);
    },
  };
}

export interface OutageReporting {
  outages: OutageTracker;
  limiter: RateLimiter;
  logger: Logger;
  registry: Registry;
}

const seconds = (ms: number) => Math.round(ms / 100) / 10;

export function useOutages({ outages, limiter, logger, registry }: OutageReporting): Plugin {
  const unsubscribe = outages.subscribe({
    started: (reason, error) =>
      logger.error(
        { reason, cause: error instanceof Error ? error.message.trim().split('\n').pop() : String(error) },
        `the database cannot serve (${reason}): requests get 503 SERVICE_UNAVAILABLE until it answers`,
      ),
    ended: ({ durationMs, refused, reasons }) =>
      logger.warn(
        { durationMs, refused, reasons },
        `the database answers again after ${seconds(durationMs)} s; ${refused} requests were refused`,
      ),
  });
  new Gauge({
    name: 'herald_database_available',
    help: '1 while the database serves requests, 0 during an outage (from its first failure to its first success after)',
    registers: [registry],
    collect() {
      this.set(outages.available ? 1 : 0);
    },
  });
  new Gauge({
    name: 'herald_database_outages',
    help: 'Database outages since this process started',
    registers: [registry],
    collect() {
      this.set(outages.outages);
    },
  });
  const refused = new Counter({
    name: 'herald_requests_unavailable_total',
    help: 'Requests answered 503 SERVICE_UNAVAILABLE, by reason: unreachable, saturated, slow (the database), overloaded (too many in flight)',
    labelNames: ['reason'],
    registers: [registry],
  });
  if (limiter instanceof RedisRateLimiter) {
    new Gauge({
      name: 'herald_rate_limits_shared',
      help: '1 while per-key rate limits are shared through Redis, 0 while this instance falls back to its own memory',
      registers: [registry],
      collect() {
        this.set(limiter.shared ? 1 : 0);
      },
    });
    new Gauge({
      name: 'herald_rate_limit_failovers',
      help: 'Times this instance fell back to its own memory because Redis did not answer',
      registers: [registry],
      collect() {
        this.set(limiter.failovers);
      },
    });
  }
  return {
    onResultProcess({ request, result }) {
      if (Array.isArray(result) || !result || typeof result !== 'object' || !('errors' in result)) return;
      for (const error of (result as { errors?: unknown[] }).errors ?? []) {
        if (error instanceof ServiceUnavailableError) stateOf(request).unavailable ??= error.reason;
      }
    },
    onResponse({ request, response }) {
      const state = stateOf(request);
      if (response.status !== 503 || !state.unavailable) return;
      refused.inc({ reason: state.unavailable });
      // Herald answered at the deadline: the database did not even take a cancel.
      if (state.timedOut) outages.failed('slow', new Error("a request's work did not stop at its deadline"));
      outages.refused(state.unavailable);
    },
    onDispose: unsubscribe,
  };
}
