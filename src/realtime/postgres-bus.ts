// The bus over PostgreSQL LISTEN/NOTIFY, for a fleet without Redis and for the
// embedded database: a connection of its own listens (and comes back when the
// server does); events are sent with pg_notify on the pool's connections.
// NOTIFY payloads are at most 8,000 bytes: bus messages name rows, never carry them.
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import type { Sql } from '../db/sql.ts';
import { Prisma } from '../generated/prisma/client.ts';
import { BUS_CHANNEL, type Bus, type BusEvent, decodeBusEvent, outageReporter } from './bus.ts';

export class PostgresBus implements Bus {
  private listener: pg.Client | null = null;
  private closed = false;
  /** Consecutive failed connections: the pause before the next grows with it. */
  private failures = 0;
  private readonly reporter: ReturnType<typeof outageReporter>;

  constructor(
    private readonly url: string,
    private readonly sql: Sql,
    onOutage: (error: unknown) => void,
    onRecovery: () => void,
  ) {
    this.reporter = outageReporter(onOutage, onRecovery);
  }

  publish(event: BusEvent): void {
    this.sql(Prisma.sql`SELECT pg_notify(${BUS_CHANNEL}, ${JSON.stringify(event)})`, { prepare: true }).then(
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
      if (error) this.reporter.failed(error);
      client.end().catch(() => {});
      this.failures += 1;
      void sleep(Math.min(100 * 2 ** this.failures, 2_000)).then(() => this.listen(handler));
    };
    client.on('error', reconnect);
    client.on('end', () => reconnect(new Error('the bus connection ended')));
    client.on('notification', (message) => {
      if (message.channel !== BUS_CHANNEL || !message.payload) return;
      const event = decodeBusEvent(message.payload);
      if (event) handler(event);
    });
    try {
      await client.connect();
      await client.query(`LISTEN ${BUS_CHANNEL}`);
      this.listener = client;
      this.failures = 0;
      this.reporter.succeeded();
    } catch (error) {
      reconnect(error);
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.listener?.end().catch(() => {});
  }
}
