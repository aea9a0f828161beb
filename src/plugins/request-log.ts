import { getOperationAST } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import type { Caller } from '../auth/caller.ts';
import type { Context } from '../context.ts';
import type { Logger } from '../logger.ts';
import { stateOf } from '../request-state.ts';

interface RequestState {
  id: string;
  start: number;
  operation?: string;
  caller?: string;
  errors?: string[];
}

/** Who called, for logs: an id and a kind, never a secret or a token. */
export function describeCaller(caller: Caller): string {
  if (caller.kind === 'key') return `key:${caller.key.id}`;
  if (caller.kind === 'member') return `member:${caller.memberId}`;
  return 'anonymous';
}

/**
 * One JSON line per request: request id (an incoming x-request-id when it is
 * sane, echoed back), operation, caller, status, error codes and duration.
 */
export function useRequestLog(logger: Logger): Plugin<Context> {
  const requests = new WeakMap<Request, RequestState>();
  return {
    onRequest({ request }) {
      requests.set(request, { id: stateOf(request).id, start: performance.now() });
    },
    onExecute({ args }) {
      const context = args.contextValue as Context & { request?: Request };
      const state = context.request && requests.get(context.request);
      if (!state) return;
      state.operation = args.operationName ?? getOperationAST(args.document)?.name?.value ?? 'anonymous';
      state.caller = describeCaller(context.caller);
      return {
        onExecuteDone({ result }) {
          const errors = 'errors' in result ? result.errors : undefined;
          if (errors?.length) state.errors = errors.map((e) => String(e.extensions?.code ?? 'INTERNAL_SERVER_ERROR'));
        },
      };
    },
    // A request refused before execution (authentication, a malformed document):
    // its error codes come from the result Yoga sends.
    onResultProcess({ request, result }) {
      const state = requests.get(request);
      if (!state || state.errors || Array.isArray(result) || !result || typeof result !== 'object' || !('errors' in result)) return;
      const errors = (result as { errors?: readonly { extensions?: Record<string, unknown> }[] }).errors;
      if (errors?.length) state.errors = errors.map((e) => String(e.extensions?.code ?? 'INTERNAL_SERVER_ERROR'));
    },
    onResponse({ request, response }) {
      const state = requests.get(request);
      if (!state) return;
      response.headers.set('x-request-id', state.id);
      const url = new URL(request.url);
      if (url.pathname !== '/graphql') return;
      logger.info(
        {
          requestId: state.id,
          method: request.method,
          operation: state.operation,
          // none: refused before a caller was known (authentication, a malformed request).
          caller: state.caller ?? 'none',
          status: response.status,
          errors: state.errors,
          durationMs: Math.round((performance.now() - state.start) * 10) / 10,
        },
        'request',
      );
    },
  };
}
