// Herald on a socket: the HTTP server (Yoga: GraphQL, SSE streams, the page,
// probes) and, on the same port and path, GraphQL over WebSocket.
import { createServer, type Server } from 'node:http';
import { attachWebSockets } from './transports/websocket.ts';
import type { Herald } from './yoga.ts';

export interface HeraldServer {
  server: Server;
  /** Ends every open inbox stream, SSE and WebSocket (before a shutdown waits for requests to finish). */
  endStreams(): Promise<void>;
}

export function createHeraldServer(herald: Herald): HeraldServer {
  const server = createServer(herald);
  const websockets = attachWebSockets(server, herald);
  return {
    server,
    async endStreams() {
      herald.connections.topology.hub.close();
      await websockets.close();
    },
  };
}
