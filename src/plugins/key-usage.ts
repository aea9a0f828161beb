import type { Plugin } from 'graphql-yoga';
import type { UsageCounter } from '../data/usage.ts';
import { stateOf } from '../request-state.ts';
import type { Lifecycle } from './readiness.ts';

/**
 * Per key: the requests it authenticated and those then refused (an error in
 * the result, or a refusal by address or rate limit), counted when the response
 * is written and added to the database in batches.
 */
export function useKeyUsage(usage: UsageCounter, lifecycle: Lifecycle): Plugin {
  return {
    onExecute({ args }) {
      const request = (args.contextValue as { request: Request }).request;
      return {
        onExecuteDone({ result }) {
          if ('errors' in result && result.errors?.length) stateOf(request).hadErrors = true;
        },
      };
    },
    onResponse({ request, response }) {
      const { keyId, hadErrors } = stateOf(request);
      if (!keyId) return;
      usage.request(keyId);
      if (hadErrors || response.status >= 400) usage.refused(keyId);
    },
    // Written when the server stops, retrying until the shutdown's deadline; what could not be is main.ts's to report.
    async onDispose() {
      const lost = await usage.close(lifecycle.drainDeadline);
      if (lost.length > 0) lifecycle.lost = [...(lifecycle.lost ?? []), ...lost];
    },
  };
}
