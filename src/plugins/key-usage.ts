import type { Plugin } from 'graphql-yoga';
import type { UsageCounter } from '../data/usage.ts';
import { stateOf } from '../request-state.ts';

/**
 * Per key: the requests it authenticated and those then refused (an error in
 * the result, or a refusal by address or rate limit), counted when the response
 * is written and added to the database in batches.
 */
export function useKeyUsage(usage: UsageCounter): Plugin {
  return {
    onExecute({ args }) {
      // A WebSocket subscription has no request of its own: keys never open one (inbox streams are recipients').
      const request = (args.contextValue as { request?: Request }).request;
      if (!request) return;
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
  };
}
