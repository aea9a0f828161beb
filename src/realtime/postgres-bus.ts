// The bus over PostgreSQL LISTEN/NOTIFY, for a fleet without Redis and for the
// embedded database: a connection of its own listens to the channels of the
// accounts this instance holds streams of (and comes back, listening to them
// again, when the server does); events are sent with pg_notify on the pool's
// connections.
// NOTIFY payloads are at most 8,000 bytes: bus messages name rows, never carry them.
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import type { Sql } from '../db/sql.ts';
import { Prisma } from '../generated/prisma/client.ts';
import { type Bus, type BusEvent, busChannel, decodeBusEvent, outageReporter, withinFollowWait } from './bus.ts';

/** A channel name as an SQL identifier (LISTEN takes no parameters). */
const identifier = (name: string) => `"${name.replaceAll('"', '""')}"`;

export class PostgresBus implements Bus {
  private listener: pg.Client | null = null;
  /** The channels followed: listened to now, and again after a reconnection. */
  private readonly channels = new Set<string>();
  private closed = false;
  /** Consecutive failed connections: the pause before the next grows with it. */
  private failures = 0;
  private readonly reporter: ReturnType<typeof outageReporter>;

  constructor(
    private readonly url: string,
    private readonly sql: Sql,
    onOutage: (error: unknown) => void,
    onRecovery: () => void,
    /**
     * The only instance on its database (the embedded one): the channels it
     * follows are all anyone follows, so an event of another account is not sent at all.
     */
    private readonly alone = false,
  ) {
    this.reporter = outageReporter(onOutage, onRecovery);
  }

  publish(event: BusEvent): void {
    if (this.alone && !this.channels.has(busChannel(event.accountId))) return;
    this.sql(Prisma.sql`SELECT pg_notify(${busChannel(event.accountId)}, ${JSON.stringify(event)})`, { prepare: true }).then(
      () => this.reporter.succeeded(),
      (error: unknown) => this.reporter.failed(error),
    );
  }

  async start(handler: (event: BusEvent) => void): Promise<void> {
    await this.listen(handler);
  }

  /** Connects and LISTENs; when the connection drops, does it again (after a pause that grows to 2 s) until closed. */
  private async listen(handler: (event: BusEvent) => void): Promise<void> {
    if (this.closed) return;
    const client = new pg.Client({ connectionString: this.url });
    let reconnecting = false;
    const reconnect = (error?: unknown) => {
      if (reconnecting || this.closed) return;
      reconnecting = true;
      if (this.listener === client) this.listener = null;
      if (error) this.reporter.failed(error);
      client.end().catch(() => {});
      this.failures += 1;
      void sleep(Math.min(100 * 2 ** this.failures, 2_000)).then(() => this.listen(handler));
    };
    client.on('error', reconnect);
    client.on('end', () => reconnect(new Error('the bus connection ended')));
    client.on('notification', (message) => {
      if (!message.payload) return;
      const event = decodeBusEvent(message.channel, message.payload);
      if (event) handler(event);
    });
    try {
      await client.connect();
      // Followed from now on through this connection (pg runs its queries in turn), and those followed so far:
      this.listener = client;
      const channels = [...this.channels];
      if (channels.length > 0) await client.query(channels.map((channel) => `LISTEN ${identifier(channel)};`).join(' '));
      this.failures = 0;
      this.reporter.succeeded();
    } catch (error) {
      reconnect(error);
    }
  }

  follow(accountId: string): Promise<void> {
    const channel = busChannel(accountId);
    this.channels.add(channel);
    // Without a connection now, the next one listens to it (listen() above).
    const listening = this.listener?.query(`LISTEN ${identifier(channel)}`);
    return listening ? withinFollowWait(listening) : Promise.resolve();
  }

  unfollow(accountId: string): void {
    const channel = busChannel(accountId);
    this.channels.delete(channel);
    this.listener?.query(`UNLISTEN ${identifier(channel)}`).catch(() => {});
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.listener?.end().catch(() => {});
  }
}
