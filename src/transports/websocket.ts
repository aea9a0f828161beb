// GraphQL over WebSocket (the graphql-ws protocol, on the ws package) at
// /graphql, beside SSE on the same path. A connection is authenticated once,
// when it opens, from connectionParams.authorization, and serves one recipient's
// inbox streams: subscriptions only (queries and mutations go over HTTP). It
// closes when its token expires (4401) or its recipient is deleted (4401), and
// keeps alive with ping frames every 12 s.

import { randomUUID } from 'node:crypto';
import type { Server } from 'node:http';
import { GraphQLError, getOperationAST } from 'graphql';
import { CloseCode } from 'graphql-ws';
import { useServer } from 'graphql-ws/use/ws';
import { WebSocketServer } from 'ws';
import type { Caller } from '../auth/caller.ts';
import type { ConnectionContext } from '../context.ts';
import type { Herald } from '../yoga.ts';

/** graphql-ws's default; a heartbeat at most every 15 s. */
const KEEP_ALIVE_MS = 12_000;
const MAX_TIMER_MS = 2 ** 31 - 1;

/** WebSocket close codes for refusals (4xxx: the application's; 1013: try again later). */
const CLOSE = { unauthenticated: CloseCode.Unauthorized, forbidden: CloseCode.Forbidden, rateLimited: 4429, unavailable: 1013 } as const;

function closeCodeOf(error: unknown): number {
  const code = (error as GraphQLError | null)?.extensions?.code;
  if (code === 'UNAUTHENTICATED') return CLOSE.unauthenticated;
  if (code === 'RATE_LIMITED') return CLOSE.rateLimited;
  if (code === 'SERVICE_UNAVAILABLE') return CLOSE.unavailable;
  return CloseCode.InternalServerError;
}

/** A close reason is at most 123 bytes. */
const reason = (message: string) => Buffer.from(message).subarray(0, 123).toString();

type Extra = ConnectionContext['extra'] & { release?: () => void };
type Enveloped = ReturnType<Herald['getEnveloped']>;

export function attachWebSockets(server: Server, herald: Herald): { close(): Promise<void> } {
  const { authenticate, clientAddress, config, topology, logger } = herald.connections;
  const wss = new WebSocketServer({ server, path: '/graphql', maxPayload: config.wsMaxPayloadBytes });
  let connections = 0;

  const disposable = useServer<Record<string, unknown> | undefined, Extra>(
    {
      async onConnect(ctx) {
        const { socket, request } = ctx.extra;
        if (connections >= config.streams.perInstance) {
          socket.close(CLOSE.unavailable, 'This instance holds its limit of open connections: try again.');
          return false;
        }
        const authorization = ctx.connectionParams?.authorization;
        if (typeof authorization !== 'string') {
          socket.close(CLOSE.unauthenticated, 'Send connectionParams.authorization: Bearer <recipient token>.');
          return false;
        }
        const forwarded = request.headers['x-forwarded-for'];
        const headers = new Headers(typeof forwarded === 'string' ? { 'x-forwarded-for': forwarded } : {});
        let caller: Caller;
        try {
          caller = await authenticate(authorization, clientAddress(new Request('http://ws.invalid/', { headers }), request));
        } catch (error) {
          if (!(error instanceof GraphQLError)) throw error;
          socket.close(closeCodeOf(error), reason(error.message));
          return false;
        }
        if (caller.kind !== 'recipient') {
          socket.close(CLOSE.forbidden, 'WebSocket connections serve inbox streams: use a recipient token.');
          return false;
        }
        connections += 1;
        const expiry = setTimeout(
          () => socket.close(CLOSE.unauthenticated, 'The recipient token expired.'),
          Math.max(0, Math.min(caller.expiresAt.getTime() - Date.now(), MAX_TIMER_MS)),
        );
        const unwatch = topology.hub.watch(caller.recipientId, () => socket.close(CLOSE.unauthenticated, 'The recipient was deleted.'));
        let released = false;
        Object.assign(ctx.extra, {
          caller,
          requestId: randomUUID(),
          release: () => {
            if (released) return;
            released = true;
            connections -= 1;
            clearTimeout(expiry);
            unwatch();
          },
        });
        return true;
      },
      onClose(ctx) {
        ctx.extra.release?.();
      },
      async onSubscribe(ctx, _id, payload) {
        const enveloped = herald.getEnveloped({ connectionParams: ctx.connectionParams, extra: ctx.extra, params: payload });
        let document: ReturnType<typeof enveloped.parse>;
        try {
          document = enveloped.parse(payload.query);
        } catch (error) {
          if (error instanceof GraphQLError) return [error];
          throw error;
        }
        const errors = enveloped.validate(enveloped.schema, document);
        if (errors.length > 0) return errors;
        if (getOperationAST(document, payload.operationName)?.operation !== 'subscription') {
          return [
            new GraphQLError('WebSocket connections serve subscriptions only: send queries and mutations over HTTP (POST /graphql).'),
          ];
        }
        return {
          schema: enveloped.schema,
          document,
          contextValue: await enveloped.contextFactory(),
          variableValues: payload.variables,
          operationName: payload.operationName,
          rootValue: { execute: enveloped.execute, subscribe: enveloped.subscribe },
        };
      },
      // onSubscribe hands over Yoga's own execute and subscribe (its plugins run), by the root value.
      execute: (args) => (args.rootValue as Enveloped).execute(args),
      subscribe: (args) => (args.rootValue as Enveloped).subscribe(args),
    },
    wss,
    KEEP_ALIVE_MS,
  );

  wss.on('error', (error) => logger.error({ err: error }, 'the WebSocket server failed'));

  return {
    /** Closes every connection (1001, going away) and the server. */
    async close() {
      for (const client of wss.clients) client.close(1001, 'The server is shutting down.');
      await disposable.dispose();
    },
  };
}
