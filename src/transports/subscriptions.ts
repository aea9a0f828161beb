// What both stream transports (SSE: ./sse.ts, WebSocket: ./websocket.ts) share:
// a connection authenticated once, when it opens, and each subscription
// prepared through Yoga's own envelop (its parser and validation caches, the
// GraphQL Armor limits, the context factory) with the caller that connection
// established. The stream itself is graphql-js's subscribe on the same schema,
// so the schema's access middleware decides before it opens; each event's
// errors are masked as Yoga masks them. Envelop's subscribe would wrap every
// stream in a chain of iterators (one per plugin that watches results): about
// 10 KB an idle stream holds for nothing, at 10,000 streams 100 MB.
import { type DocumentNode, type ExecutionResult, GraphQLError, getOperationAST, type subscribe } from 'graphql';
import { type CompiledQuery, compileQuery, isCompiledQuery } from 'graphql-jit';
import { maskError } from 'graphql-yoga';
import type { ConnectionContext } from '../context.ts';
import type { Logger } from '../logger.ts';
import type { Herald } from '../yoga.ts';

export type Enveloped = ReturnType<Herald['getEnveloped']>;

/** A GraphQL-over-HTTP request's parameters (a POST body, or a GET's query string). */
export interface OperationParams {
  query?: unknown;
  variables?: unknown;
  operationName?: unknown;
  extensions?: unknown;
}

/** An error as a client gets it: Herald's internal extensions (its HTTP status and headers) left out. */
export function formatError(error: GraphQLError): Record<string, unknown> {
  const { http: _http, unexpected: _unexpected, ...extensions } = error.extensions ?? {};
  return { ...error.toJSON(), extensions };
}

/** A result as JSON, its errors formatted for clients. */
export function stringifyResult(result: { data?: unknown; errors?: readonly GraphQLError[] }): string {
  return JSON.stringify(result.errors?.length ? { ...result, errors: result.errors.map(formatError) } : result);
}

/** A prepared subscription: openStream(args) opens it. */
export interface Prepared {
  enveloped: Enveloped;
  args: Parameters<typeof subscribe>[0];
}

/**
 * Documents compiled by graphql-jit, by the DocumentNode Yoga's parser cache
 * hands out for a query text: every event of every stream of one document runs
 * the compiled code (a send to 10,000 inboxes executes it 10,000 times).
 */
const compiled = new WeakMap<DocumentNode, Map<string, CompiledQuery | ExecutionResult>>();

function compiledFor(args: Prepared['args']): CompiledQuery | ExecutionResult {
  let byOperation = compiled.get(args.document);
  if (!byOperation) {
    byOperation = new Map();
    compiled.set(args.document, byOperation);
  }
  const name = args.operationName ?? '';
  let query = byOperation.get(name);
  if (!query) {
    query = compileQuery(args.schema, args.document, args.operationName ?? undefined);
    byOperation.set(name, query);
  }
  return query;
}

/** Opens the stream: the field's subscribe (and its access rule) runs now. */
export async function openStream(args: Prepared['args']): Promise<AsyncIterableIterator<ExecutionResult> | ExecutionResult> {
  const query = compiledFor(args);
  if (!isCompiledQuery(query) || !query.subscribe) return query as ExecutionResult;
  return query.subscribe(args.rootValue, args.contextValue, args.variableValues);
}

/** What a client may see of an event's errors: an unexpected one is masked (and logged), as Yoga masks them. */
export function maskResult<R extends ExecutionResult>(result: R, logger: Logger): R {
  if (!result.errors?.length) return result;
  const errors = result.errors.map((error) => {
    const masked = maskError(error, 'Unexpected error.', false) as GraphQLError;
    if (masked !== error) logger.error({ err: error.originalError ?? error }, error.message);
    return masked;
  });
  return { ...result, errors };
}

const refusal = (message: string) => new GraphQLError(message, { extensions: { code: 'BAD_REQUEST', http: { status: 400 } } });

/**
 * Parses and validates the operation (Yoga's parse and validate: its caches and
 * the GraphQL Armor limits), refuses anything but a subscription, and builds
 * its context for the connection's caller. Errors are returned, not thrown.
 */
export async function prepareSubscription(
  herald: Herald,
  connection: ConnectionContext['extra'],
  params: OperationParams,
  connectionParams?: Record<string, unknown>,
): Promise<Prepared | readonly GraphQLError[]> {
  const { query, variables, operationName } = params;
  if (typeof query !== 'string') return [refusal('The request has no query.')];
  if (variables != null && (typeof variables !== 'object' || Array.isArray(variables))) return [refusal('variables must be an object.')];
  if (operationName != null && typeof operationName !== 'string') return [refusal('operationName must be a string.')];
  const enveloped = herald.getEnveloped({ connectionParams, extra: connection, params });
  let document: ReturnType<Enveloped['parse']>;
  try {
    document = enveloped.parse(query);
  } catch (error) {
    if (error instanceof GraphQLError) return [error];
    throw error;
  }
  const errors = enveloped.validate(enveloped.schema, document);
  if (errors.length > 0) return errors;
  if (getOperationAST(document, operationName)?.operation !== 'subscription') {
    return [refusal('Streams serve subscriptions only: send queries and mutations as application/json (POST /graphql).')];
  }
  return {
    enveloped,
    args: {
      schema: enveloped.schema,
      document,
      contextValue: await enveloped.contextFactory(),
      variableValues: (variables as Record<string, unknown> | null | undefined) ?? undefined,
      operationName: operationName ?? undefined,
    },
  };
}
