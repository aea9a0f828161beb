// A TCP proxy in front of PostgreSQL that can answer, instead, as a server that
// is starting up does (FATAL 57P03 "the database system is starting up"): the
// one outage a real server shows too briefly to test.

import { once } from 'node:events';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { freePort } from '../../support/ports.ts';

/** An ErrorResponse message: severity FATAL, SQLSTATE 57P03. */
function startingUp(): Buffer {
  const fields = Buffer.from('SFATAL\0VFATAL\0C57P03\0Mthe database system is starting up\0\0');
  const header = Buffer.alloc(5);
  header.write('E', 0);
  header.writeInt32BE(fields.length + 4, 1);
  return Buffer.concat([header, fields]);
}

export class PostgresProxy {
  private mode: 'forward' | 'starting' = 'forward';
  private readonly sockets = new Set<Socket>();

  private constructor(
    private readonly server: Server,
    readonly port: number,
  ) {}

  static async start(target: number): Promise<PostgresProxy> {
    const port = await freePort();
    const server = createServer();
    const proxy = new PostgresProxy(server, port);
    server.on('connection', (client) => proxy.accept(client, target));
    server.listen(port, '127.0.0.1');
    await once(server, 'listening');
    return proxy;
  }

  private accept(client: Socket, target: number) {
    this.sockets.add(client);
    client.on('close', () => this.sockets.delete(client));
    client.on('error', () => {});
    if (this.mode === 'starting') {
      client.once('data', () => client.end(startingUp()));
      return;
    }
    const upstream = connect(target, '127.0.0.1');
    this.sockets.add(upstream);
    upstream.on('close', () => {
      this.sockets.delete(upstream);
      client.destroy();
    });
    upstream.on('error', () => {});
    client.on('close', () => upstream.destroy());
    client.pipe(upstream).pipe(client);
  }

  /** As after a restart: every connection goes, new ones are told the server is starting up. */
  startingUp(): void {
    this.mode = 'starting';
    for (const socket of this.sockets) socket.destroy();
  }

  forward(): void {
    this.mode = 'forward';
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    this.server.close();
  }
}
