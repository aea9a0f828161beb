// Readiness's own look at the database: a connection of its own (never a pool
// connection, which a slow database keeps busy), a short deadline of its own,
// and one check at a time however many probes ask, so /ready answers within
// a second whatever the database does.
import pg from 'pg';
import type { DeadlinePool } from './deadline.ts';
import { localMigrationNames } from './migrations.ts';
import { classifyDatabaseFailure, type OutageTracker } from './outage.ts';

export type Readiness =
  | { ready: true }
  | { ready: false; status: 'migrations pending'; pending: string[] }
  | { ready: false; status: 'unavailable'; reason: 'unreachable' | 'saturated' | 'slow'; detail: string };

/** Well under the 1 s a probe may take, with room for a busy event loop. */
const PROBE_TIMEOUT_MS = 600;
/** A success this recent is the answer: a load balancer's probes cost the database one check (a failure is checked again). */
const FRESH_MS = 250;
/** Requests that have waited this long for a pool connection: the pool is exhausted. */
const SATURATED_AFTER_MS = 1_000;

const unavailable = (reason: 'unreachable' | 'saturated' | 'slow', detail: string): Readiness => ({
  ready: false,
  status: 'unavailable',
  reason,
  detail,
});

export class DatabaseProbe {
  private client: pg.Client | null = null;
  private running: Promise<Readiness> | null = null;
  private last: { at: number; result: Readiness } | null = null;
  /** Migrations only ever get applied: once none is pending, a probe is `SELECT 1`. */
  private migrated = false;

  constructor(
    private readonly url: string,
    private readonly pool: DeadlinePool,
    private readonly outages: OutageTracker,
    private readonly timeoutMs = PROBE_TIMEOUT_MS,
  ) {}

  check(): Promise<Readiness> {
    if (this.last && performance.now() - this.last.at < FRESH_MS) return Promise.resolve(this.last.result);
    this.running ??= this.probe()
      .then((result) => {
        this.last = result.ready ? { at: performance.now(), result } : null;
        return result;
      })
      .finally(() => {
        this.running = null;
      });
    return this.running;
  }

  /** The database's own answer first (a frozen one is `slow`), then whether requests get connections. */
  private async probe(): Promise<Readiness> {
    const attempt = this.query();
    attempt.catch(() => {});
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<null>((resolve) => {
      timer = setTimeout(resolve, this.timeoutMs, null);
    });
    let result: Readiness | null;
    try {
      result = await Promise.race([attempt, timeout]);
    } catch (error) {
      this.discard();
      const failure = classifyDatabaseFailure(error);
      return unavailable(failure && 'reason' in failure ? failure.reason : 'unreachable', (error as Error).message);
    } finally {
      clearTimeout(timer);
    }
    if (!result) {
      this.discard();
      return unavailable('slow', `the database did not answer within ${this.timeoutMs} ms`);
    }
    const waited = this.pool.oldestWaitMs();
    if (result.ready && waited > SATURATED_AFTER_MS) {
      return unavailable('saturated', `requests have waited ${Math.round(waited)} ms for one of the ${this.pool.options.max} connections`);
    }
    return result;
  }

  private async query(): Promise<Readiness> {
    if (this.client) {
      try {
        return await this.ask(this.client);
      } catch (error) {
        // The connection of an earlier probe may be gone (a restart): one more try, on a new one.
        if (!classifyDatabaseFailure(error)) throw error;
        this.discard();
      }
    }
    const client = new pg.Client({
      connectionString: this.url,
      // The probe's own deadline decides (`slow`): the connection's gives up a little after it.
      connectionTimeoutMillis: this.timeoutMs + 200,
      options: `-c statement_timeout=${this.timeoutMs}`,
    });
    client.on('error', () => {});
    this.client = client;
    await client.connect();
    return this.ask(client);
  }

  private async ask(client: pg.Client): Promise<Readiness> {
    if (!this.migrated) {
      const applied = await client
        .query<{ name: string }>(
          'SELECT migration_name AS name FROM _prisma_migrations WHERE finished_at IS NOT NULL AND rolled_back_at IS NULL',
        )
        .then(
          ({ rows }) => new Set(rows.map((r) => r.name)),
          (error: { code?: string }) => {
            if (error.code === '42P01') return new Set<string>(); // no migration table yet
            throw error;
          },
        );
      const pending = (await localMigrationNames()).filter((name) => !applied.has(name));
      if (pending.length > 0) return { ready: false, status: 'migrations pending', pending };
      this.migrated = true;
    } else {
      await client.query('SELECT 1');
    }
    this.outages.succeeded();
    return { ready: true };
  }

  /** A connection that failed or hangs (a frozen server) is dropped; the next probe makes another. */
  private discard(): void {
    const client = this.client as (pg.Client & { connection?: { stream?: { destroy(): void } } }) | null;
    this.client = null;
    client?.connection?.stream?.destroy();
    client?.end().catch(() => {});
  }

  async close(): Promise<void> {
    await this.running?.catch(() => {});
    this.discard();
  }
}
