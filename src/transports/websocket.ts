// GraphQL over WebSocket (the graphql-ws protocol, on the ws package) at
// /graphql, beside SSE on the same path. A connection is authenticated once,
// when it opens, from connectionParams.authorization, and serves one recipient's
// inbox streams: subscriptions only (queries and mutations go over HTTP). It
// closes when its token expires (4401) or its recipient is deleted (4401), and
// keeps alive with ping frames every 12 s.

import { randomUUID } from 'node:crypto';
import type { Server } from 'node:http';
import { GraphQLError } from 'graphql';
import { CloseCode } from 'graphql-ws';
import { useServer } from 'graphql-ws/use/ws';
import { WebSocketServer } from 'ws';
import type { Caller } from '../auth/caller.ts';
import type { ConnectionContext } from '../context.ts';
import { unavailableError } from '../plugins/outages.ts';
import type { Herald } from '../yoga.ts';
import { maskResult, openStream, prepareSubscription } from './subscriptions.ts';

/** graphql-ws's default (ws ping frames); a heartbeat at most every 15 s. */
const HEARTBEAT_MS = 12_000;
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

export function attachWebSockets(server: Server, herald: Herald, { heartbeatMs = HEARTBEAT_MS } = {}): { close(): Promise<void> } {
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
        let caller: Caller;
        try {
          caller = await authenticate(authorization, clientAddress(request.headers['x-forwarded-for'] as string | undefined, request));
        } catch (error) {
          // An outage: try again later (1013), logged once for all requests (src/plugins/outages.ts).
          const refusal = error instanceof GraphQLError ? error : unavailableError(error, herald.connections.outages);
          if (!refusal) throw error;
          socket.close(closeCodeOf(refusal), reason(refusal.message));
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
        const unwatch = topology.hub.watch(caller.accountId, caller.recipientId, () =>
          socket.close(CLOSE.unauthenticated, 'The recipient was deleted.'),
        );
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
        // onConnect accepted the connection only once it had set its caller.
        const { caller, requestId } = ctx.extra as Required<Extra>;
        const prepared = await prepareSubscription(herald, { caller, requestId }, payload, ctx.connectionParams);
        if (!('args' in prepared)) return prepared;
        return prepared.args;
      },
      onNext: (_ctx, _id, _payload, _args, result) => maskResult(result, logger),
      subscribe: (args) => openStream(args),
    },
    wss,
    heartbeatMs,
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
