import { getOperationAST } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import type { Caller } from '../auth/caller.ts';
import type { Context } from '../context.ts';
import type { Logger } from '../logger.ts';
import { pathOf, stateOf } from '../request-state.ts';

/** What the hooks learn of a request before its response. */
interface Facts {
  start: number;
  /** The operation's name ('anonymous' without one) and type, once it was executed or subscribed to. */
  operation?: string;
  operationType?: string;
  caller?: string;
  /** The errors' codes, and where they arose: in execution (or a subscription), or before it. */
  errors?: string[];
  errorPhase?: 'execute' | 'subscribe' | 'request';
  /** From the start of execution to its result (not for subscriptions, whose streams outlive the response). */
  executionMs?: number;
}

/** What one GraphQL request was, once its response is written: the log line's fields and the metrics' labels. */
export interface RequestRecord extends Omit<Facts, 'start'> {
  id: string;
  method: string;
  /** The URL's path, without its query. */
  path: string;
  status: number;
  durationMs: number;
}

/** Who called, for logs: an id and a kind, never a secret or a token. */
export function describeCaller(caller: Caller): string {
  if (caller.kind === 'key') return `key:${caller.key.id}`;
  if (caller.kind === 'member') return `member:${caller.memberId}`;
  return 'anonymous';
}

const codesOf = (errors: readonly { extensions?: Record<string, unknown> }[]) =>
  errors.map((e) => String(e.extensions?.code ?? 'INTERNAL_SERVER_ERROR'));

/**
 * What each GraphQL request was (request id, operation, caller, status, error
 * codes, durations), learnt once and handed, when its response is written, to
 * each sink: the log line below and the Prometheus metrics (./metrics.ts).
 * Every response carries its x-request-id (an incoming one when it is sane).
 */
export function useRequestRecord(sinks: ((record: RequestRecord) => void)[]): Plugin<Context> {
  const requests = new WeakMap<Request, Facts>();
  const learn = (context: Context & { request?: Request }, document: Parameters<typeof getOperationAST>[0], name?: string | null) => {
    const facts = context.request && requests.get(context.request);
    if (!facts) return undefined;
    const operation = getOperationAST(document, name);
    facts.operation = name ?? operation?.name?.value ?? 'anonymous';
    facts.operationType = operation?.operation ?? 'unknown';
    facts.caller = describeCaller(context.caller);
    return facts;
  };
  return {
    onRequest({ request }) {
      requests.set(request, { start: performance.now() });
    },
    onExecute({ args }) {
      const facts = learn(args.contextValue, args.document, args.operationName);
      if (!facts) return;
      const started = performance.now();
      return {
        onExecuteDone({ result }) {
          facts.executionMs = performance.now() - started;
          const errors = 'errors' in result ? result.errors : undefined;
          if (errors?.length) {
            facts.errors = codesOf(errors);
            facts.errorPhase = 'execute';
          }
        },
      };
    },
    onSubscribe({ args }) {
      learn(args.contextValue, args.document, args.operationName);
    },
    // A request refused before execution (authentication, a malformed document),
    // or a subscription refused as it opened: its error codes come from the result Yoga sends.
    onResultProcess({ request, result }) {
      const facts = requests.get(request);
      if (!facts || facts.errors || Array.isArray(result) || !result || typeof result !== 'object' || !('errors' in result)) return;
      const errors = (result as { errors?: readonly { extensions?: Record<string, unknown> }[] }).errors;
      if (!errors?.length) return;
      facts.errors = codesOf(errors);
      facts.errorPhase = facts.operationType === 'subscription' ? 'subscribe' : 'request';
    },
    onResponse({ request, response }) {
      const facts = requests.get(request);
      if (!facts) return;
      const id = stateOf(request).id;
      response.headers.set('x-request-id', id);
      const path = pathOf(request.url);
      if (path !== '/graphql') return;
      const { start, ...learnt } = facts;
      const record: RequestRecord = {
        ...learnt,
        id,
        method: request.method,
        path,
        status: response.status,
        durationMs: performance.now() - start,
      };
      for (const sink of sinks) sink(record);
    },
  };
}

/** One JSON line per GraphQL request. */
export function logRequests(logger: Logger): (record: RequestRecord) => void {
  return (record) =>
    logger.info(
      {
        requestId: record.id,
        method: record.method,
        operation: record.operation,
        // none: refused before a caller was known (authentication, a malformed request).
        caller: record.caller ?? 'none',
        status: record.status,
        errors: record.errors,
        durationMs: Math.round(record.durationMs * 10) / 10,
      },
      'request',
    );
}
