import type { Plugin } from 'graphql-yoga';
import { rateLimitHeaders } from '../auth/admit.ts';
import { stateOf } from '../request-state.ts';

/** RateLimit-Limit, -Remaining and -Reset on every response to a key (a 429 carries them in its error). */
export function useRateLimitHeaders(): Plugin {
  return {
    onResponse({ request, response }) {
      const { rateLimit } = stateOf(request);
      if (!rateLimit) return;
      for (const [name, value] of Object.entries(rateLimitHeaders(rateLimit))) response.headers.set(name, value);
    },
  };
}
