// Every expected failure is one of these: a GraphQLError with a fixed
// extensions.code and HTTP status. Anything else is masked by Yoga.
import { GraphQLError } from 'graphql';

abstract class HeraldError extends GraphQLError {
  constructor(message: string, code: string, status: number | undefined, headers?: Record<string, string>) {
    super(message, {
      extensions: { code, ...(status === undefined ? {} : { http: { status, ...(headers ? { headers } : {}) } }) },
    });
  }
}

/** No credentials, a malformed or unknown key, an invalid or expired token. */
export class UnauthenticatedError extends HeraldError {
  constructor(message = 'Authentication required: send Authorization: Bearer <API key or member token>.') {
    super(message, 'UNAUTHENTICATED', 401, { 'WWW-Authenticate': 'Bearer' });
  }
}

/** Authenticated, but not allowed: a scope violation or the wrong kind of caller. */
export class ForbiddenError extends HeraldError {
  constructor(message: string) {
    super(message, 'FORBIDDEN', 403);
  }
}

/** Input that breaks a rule of the domain. */
export class BadUserInputError extends HeraldError {
  constructor(
    message: string,
    readonly field?: string,
  ) {
    super(message, 'BAD_USER_INPUT', 400);
    if (field) this.extensions.field = field;
  }
}

/** An id that does not exist in the caller's account (another account's ids included). */
export class NotFoundError extends HeraldError {
  constructor(what: string, id: string) {
    super(`${what} ${JSON.stringify(id)} was not found.`, 'NOT_FOUND', undefined);
  }
}

/** Too many failed authentications from this source or for this key prefix, or a key over its rate limit. */
export class RateLimitedError extends HeraldError {
  constructor(
    retryAfterSeconds: number,
    message = `Too many failed authentications: try again in ${retryAfterSeconds} s.`,
    headers: Record<string, string> = {},
  ) {
    super(message, 'RATE_LIMITED', 429, { ...headers, 'Retry-After': String(retryAfterSeconds) });
  }
}

/** An Idempotency-Key already used, within its 24 hours, for a request with another body. */
export class IdempotencyKeyReusedError extends HeraldError {
  constructor() {
    super(
      'This Idempotency-Key was used for a different request in the last 24 hours: use a new key for a new request.',
      'IDEMPOTENCY_KEY_REUSED',
      422,
    );
  }
}

/** An Idempotency-Key whose first request is still running. */
export class IdempotencyKeyInUseError extends HeraldError {
  constructor(retryAfterSeconds = 1) {
    super('A request with this Idempotency-Key is still running: retry when it has finished.', 'IDEMPOTENCY_KEY_IN_USE', 409, {
      'Retry-After': String(retryAfterSeconds),
    });
  }
}

/** Why a dependency cannot serve: down, out of connections, or too slow for the request's deadline; or Herald itself too busy. */
export type UnavailableReason = 'unreachable' | 'saturated' | 'slow' | 'overloaded';

const UNAVAILABLE_MESSAGES: Record<UnavailableReason, string> = {
  unreachable: 'The database is unreachable: try again shortly.',
  saturated: 'The database has no connection free for this request: try again shortly.',
  slow: "The database did not answer within the request's deadline: try again shortly.",
  overloaded: 'This server has too many requests in flight: try again shortly.',
};

/**
 * The database (or another dependency a request needs) is unreachable,
 * saturated or too slow for the request's deadline, or this instance has too
 * many requests in flight: try again after Retry-After. `reason` stays on the
 * server (logs, metrics); the client gets the message.
 */
export class ServiceUnavailableError extends HeraldError {
  constructor(
    readonly reason: UnavailableReason,
    message = UNAVAILABLE_MESSAGES[reason],
    retryAfterSeconds = reason === 'unreachable' || reason === 'slow' ? 2 : 1,
  ) {
    super(message, 'SERVICE_UNAVAILABLE', 503, { 'Retry-After': String(retryAfterSeconds) });
  }
}
