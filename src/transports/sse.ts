// GraphQL over SSE at /graphql, the graphql-sse protocol's distinct connections
// mode (Yoga's default): a POST (or GET) with Accept: text/event-stream opens
// one stream for one subscription; each result is `event: next`, the end
// `event: complete`; a comment line every 12 s keeps it alive. Served here, on
// Node's own response, rather than through Yoga's Fetch adapter: an idle stream
// then holds about a third of the memory (the bench's 10,000-stream row), and
// an event reaches the socket without a chain of web streams. The operation
// still runs through Yoga's envelop (./subscriptions.ts): the same plugins,
// access rules and error masking as every other request.
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { type ExecutionResult, GraphQLError, getOperationAST } from 'graphql';
import { isAsyncIterable } from 'graphql-yoga';
import type { Caller } from '../auth/caller.ts';
import { scopeUntil, type WorkScope } from '../db/deadline.ts';
import { unavailableError } from '../plugins/outages.ts';
import { MAX_BODY_BYTES } from '../plugins/request-body.ts';
import { describeCaller } from '../plugins/request-log.ts';
import type { Herald } from '../yoga.ts';
import { formatError, maskResult, type OperationParams, openStream, prepareSubscription, stringifyResult } from './subscriptions.ts';

/** A heartbeat at most every 15 s (graphql-sse's and Yoga's interval). */
export const HEARTBEAT_MS = 12_000;
const INCOMING_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** Whether the request is one this transport serves: a stream asked for at /graphql. */
export function isStreamRequest(req: IncomingMessage): boolean {
  return (
    (req.method === 'POST' || req.method === 'GET') &&
    (req.url === '/graphql' || req.url?.startsWith('/graphql?') === true) &&
    req.headers.accept?.includes('text/event-stream') === true
  );
}

class RequestError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

async function readParams(req: IncomingMessage): Promise<OperationParams> {
  if (req.method === 'GET') {
    const search = new URL(req.url ?? '/', 'http://herald.invalid').searchParams;
    const json = (name: string) => {
      const value = search.get(name);
      if (value === null) return undefined;
      try {
        return JSON.parse(value);
      } catch {
        throw new RequestError(400, `${name} is not valid JSON.`);
      }
    };
    return { query: search.get('query') ?? undefined, operationName: search.get('operationName'), variables: json('variables') };
  }
  if (!/^application\/json\s*(;|$)/i.test(req.headers['content-type'] ?? '')) {
    throw new RequestError(415, 'Content-Type must be application/json.');
  }
  if (Number(req.headers['content-length'] ?? 0) > MAX_BODY_BYTES)
    throw new RequestError(413, `The request body is over ${MAX_BODY_BYTES} bytes.`);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) throw new RequestError(413, `The request body is over ${MAX_BODY_BYTES} bytes.`);
    chunks.push(chunk);
  }
  try {
    const body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    if (body === null || typeof body !== 'object' || Array.isArray(body)) throw new Error('not an object');
    return body as OperationParams;
  } catch {
    throw new RequestError(400, 'The request body is not a JSON object.');
  }
}

/** The HTTP status and headers of a refusal, from its errors (as Yoga answers them). */
function responseOf(errors: readonly GraphQLError[]): { status: number; headers: Record<string, string> } {
  let status = 0;
  const headers: Record<string, string> = {};
  for (const error of errors) {
    const http = error.extensions?.http as { status?: number; headers?: Record<string, string> } | undefined;
    if (http?.headers) Object.assign(headers, http.headers);
    if (http?.status && http.status > status) status = http.status;
  }
  return { status: status || 400, headers };
}

export interface SseTransport {
  /** Serves a request that isStreamRequest() accepted. */
  handle(req: IncomingMessage, res: ServerResponse): void;
  /** Ends every open stream (`event: complete`): the server stops. */
  close(): void;
}

export function createSseTransport(herald: Herald, { heartbeatMs = HEARTBEAT_MS } = {}): SseTransport {
  const { authenticate, clientAddress, logger, config, outages } = herald.connections;
  const open = new Map<ServerResponse, () => void>();
  // One timer for every stream, rather than one each.
  const pinger = setInterval(() => {
    for (const res of open.keys()) res.write(':\n\n');
  }, heartbeatMs);
  pinger.unref();

  const log = (entry: {
    requestId: string;
    method?: string;
    operation?: string;
    caller: Caller | null;
    status: number;
    errors?: string[];
    started: number;
  }) =>
    logger.info(
      {
        requestId: entry.requestId,
        method: entry.method,
        operation: entry.operation,
        caller: entry.caller ? describeCaller(entry.caller) : 'none',
        status: entry.status,
        errors: entry.errors,
        stream: 'sse',
        durationMs: Math.round((performance.now() - entry.started) * 10) / 10,
      },
      'request',
    );

  /** A refusal before the stream opened: its errors as JSON, with their status and headers. */
  function refusal(res: ServerResponse, requestId: string, errors: readonly GraphQLError[], status?: number): number {
    const response = responseOf(errors);
    const code = status ?? response.status;
    res.writeHead(code, { 'content-type': 'application/json; charset=utf-8', 'x-request-id': requestId, ...response.headers });
    res.end(JSON.stringify({ errors: errors.map(formatError) }));
    return code;
  }

  async function serve(
    req: IncomingMessage,
    res: ServerResponse,
    requestId: string,
    started: number,
    opening: WorkScope & { done(): void },
  ): Promise<void> {
    let caller: Caller | null = null;
    let operation: string | undefined;
    const refuse = (errors: readonly GraphQLError[] | GraphQLError, status?: number) => {
      const list = Array.isArray(errors) ? errors : [errors as GraphQLError];
      const code = refusal(res, requestId, list, status);
      log({
        requestId,
        method: req.method,
        operation,
        caller,
        status: code,
        errors: list.map((e) => String(e.extensions?.code ?? 'BAD_REQUEST')),
        started,
      });
    };
    if (req.headers['x-graphql-event-stream-token'] !== undefined) {
      refuse(new GraphQLError('Single connection mode is not served: open one stream per subscription (distinct connections mode).'));
      return;
    }
    let params: OperationParams;
    try {
      params = await readParams(req);
    } catch (error) {
      if (!(error instanceof RequestError)) throw error;
      refuse(new GraphQLError(error.message), error.status);
      return;
    }
    const address = clientAddress(req.headers['x-forwarded-for'] as string | undefined, req);
    try {
      caller = await authenticate(req.headers.authorization, address, opening);
    } catch (error) {
      if (!(error instanceof GraphQLError)) throw error;
      refuse(error);
      return;
    }
    const prepared = await prepareSubscription(herald, { caller, requestId, work: opening }, params);
    if (!('args' in prepared)) {
      refuse(prepared);
      return;
    }
    operation = getOperationAST(prepared.args.document, prepared.args.operationName)?.name?.value ?? 'anonymous';
    // The access rules run here, in the field's subscribe: a refusal comes before the stream opens.
    const result = await openStream(prepared.args);
    if (!isAsyncIterable(result)) {
      refuse(maskResult(result, logger).errors ?? [new GraphQLError('The subscription did not start.')]);
      return;
    }
    const iterator = (result as AsyncIterable<ExecutionResult>)[Symbol.asyncIterator]();
    res.writeHead(200, {
      'content-type': 'text/event-stream',
      'cache-control': 'no-cache',
      connection: 'keep-alive',
      'x-request-id': requestId,
    });
    // A first comment: some clients wait for a byte before they consider the stream open.
    res.write(':\n\n');
    const stop = () => void iterator.return?.();
    open.set(res, stop);
    res.once('close', stop);
    opening.done();
    log({ requestId, method: req.method, operation, caller, status: 200, started });
    try {
      for (;;) {
        const { done, value } = await iterator.next();
        if (done) break;
        res.write(`event: next\ndata: ${stringifyResult(maskResult(value, logger))}\n\n`);
      }
      if (!res.destroyed) res.end('event: complete\ndata:\n\n');
    } finally {
      open.delete(res);
      res.off('close', stop);
    }
  }

  return {
    handle(req, res) {
      const incoming = req.headers['x-request-id'];
      const requestId = typeof incoming === 'string' && INCOMING_ID.test(incoming) ? incoming : randomUUID();
      const started = performance.now();
      // Opening a stream (reading the request, authentication) has the deadline of any request;
      // once open, the stream has none.
      const scope = scopeUntil(Date.now() + config.requestTimeoutMs);
      serve(req, res, requestId, started, scope)
        .catch((error: unknown) => {
          if (res.headersSent) {
            res.destroy();
            return;
          }
          // An outage is a 503 with Retry-After, logged once for all requests (src/plugins/outages.ts).
          const unavailable = unavailableError(error, outages);
          if (unavailable) {
            refusal(res, requestId, [unavailable]);
            return;
          }
          logger.error({ err: error, requestId }, 'an inbox stream failed');
          refusal(res, requestId, [new GraphQLError('Unexpected error.', { extensions: { code: 'INTERNAL_SERVER_ERROR' } })], 500);
        })
        .finally(scope.done);
    },
    close() {
      clearInterval(pinger);
      for (const stop of open.values()) stop();
    },
  };
}
