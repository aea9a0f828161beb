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

/** Too many failed authentications from this source or for this key prefix. */
export class RateLimitedError extends HeraldError {
  constructor(retryAfterSeconds: number) {
    super(`Too many failed authentications: try again in ${retryAfterSeconds} s.`, 'RATE_LIMITED', 429, {
      'Retry-After': String(retryAfterSeconds),
    });
  }
}
