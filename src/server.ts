// Herald on a socket: the HTTP server (Yoga: GraphQL, the page, probes), and on
// the same port and path the inbox streams: SSE (requests that accept
// text/event-stream) and WebSocket (graphql-ws).
import { createServer, type Server } from 'node:http';
import { createSseTransport, isStreamRequest } from './transports/sse.ts';
import { attachWebSockets } from './transports/websocket.ts';
import type { Herald } from './yoga.ts';

export interface HeraldServer {
  server: Server;
  /** Ends every open inbox stream, SSE and WebSocket (before a shutdown waits for requests to finish). */
  endStreams(): Promise<void>;
}

/** `heartbeatMs`: how often an idle stream gets a heartbeat (12 s; tests shorten it). */
export function createHeraldServer(herald: Herald, options: { heartbeatMs?: number } = {}): HeraldServer {
  const sse = createSseTransport(herald, options);
  const server = createServer((req, res) => {
    if (isStreamRequest(req)) sse.handle(req, res);
    else herald(req, res);
  });
  const websockets = attachWebSockets(server, herald, options);
  return {
    server,
    async endStreams() {
      sse.close();
      herald.connections.topology.hub.close();
      await websockets.close();
    },
  };
}
