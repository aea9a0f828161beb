// What an authenticated key must also pass before anything runs: the address
// it is used from, then its rate limit (a refused address spends no allowance).
import type { WorkScope } from '../db/deadline.ts';
import { ForbiddenError, RateLimitedError } from '../errors.ts';
import type { RateDecision } from '../rate-limits/gcra.ts';
import type { RateLimiter } from '../rate-limits/limiter.ts';
import type { ApiKeyCaller } from './caller.ts';
import { isAddressAllowed } from './ip-allowlist.ts';

const seconds = (ms: number) => Math.max(1, Math.ceil(ms / 1000));

/** The RateLimit-* headers of a decision (IETF draft "RateLimit header fields for HTTP"). */
export function rateLimitHeaders(decision: RateDecision): Record<string, string> {
  return {
    'RateLimit-Limit': String(decision.limit),
    'RateLimit-Remaining': String(decision.remaining),
    'RateLimit-Reset': String(Math.max(0, Math.ceil(decision.resetMs / 1000))),
  };
}

/** `work`: the request's scope, which bounds a limiter's database work. */
export type Admit = (caller: ApiKeyCaller, address: string, work?: WorkScope) => Promise<RateDecision>;

export function createAdmission(limiter: RateLimiter, defaultLimitPerMinute: number): Admit {
  return async ({ key }, address, work) => {
    if (!isAddressAllowed(key.allowList, address)) {
      throw new ForbiddenError(`API key "${key.name}" may not be used from ${address}.`);
    }
    const limit = key.rateLimitPerMinute ?? defaultLimitPerMinute;
    const decision = await limiter.take(key.id, limit, work);
    if (!decision.allowed) {
      const wait = seconds(decision.retryAfterMs);
      throw new RateLimitedError(
        wait,
        `API key "${key.name}" is over its rate limit of ${limit} requests a minute: try again in ${wait} s.`,
        rateLimitHeaders(decision),
      );
    }
    return decision;
  };
}
