// Deadlines on database work. A request's work has a scope (set by
// src/plugins/in-flight.ts) that stops when the client goes away or the
// request's deadline passes. The pool below honours it: a wait for a connection
// ends then, a running statement is cancelled on the server (a CancelRequest,
// as psql's Ctrl-C), and no statement of the scope starts afterwards (but
// ROLLBACK). The connections' own statement_timeout, lock_timeout and the
// pool's connectionTimeoutMillis bound the work that runs outside any request
// (see ./adapters.ts).
//
// How work finds its scope:
// - Statements of ./sql.ts are given it (`scope`), as the request's services
//   and authentication pass it along.
// - Prisma's calls reach the pool from deep inside Prisma, where nothing can be
//   passed: they run `withinScope`, an AsyncLocalStorage store (the request's
//   client enters it for every operation, ./request-client.ts). On Node 20 an
//   AsyncLocalStorage that has been entered hooks every promise the process
//   makes, anyone's (0.28 ms of CPU a send, measured): so it is entered only
//   around Prisma's work, and switched off again whenever none runs.
import { AsyncLocalStorage } from 'node:async_hooks';
import { connect } from 'node:net';
import pg from 'pg';
import { classifyDatabaseFailure, DatabaseUnavailableError, type OutageTracker, RequestAbandonedError } from './outage.ts';

/** What database work knows of the request it serves. */
export interface WorkScope {
  /** When the request's time is up, on this process's clock (ms since the epoch). */
  readonly deadline: number;
  /** Why its work must stop, once it must: RequestAbandonedError (the client went) or DatabaseUnavailableError (the deadline passed). */
  readonly stopped: Error | undefined;
  /** Calls `fn` when the scope stops (check `stopped` first: not if it has already); returns what forgets it. */
  onStop(fn: () => void): () => void;
}

/**
 * A scope its owner stops. Not an AbortSignal: one costs every request an
 * EventTarget, and every connection checkout two listeners on it (0.05 to
 * 0.09 ms of CPU per send, measured); this is a field and a small set.
 */
export class Scope implements WorkScope {
  stopped: Error | undefined;
  private watchers: Set<() => void> | undefined;

  constructor(public deadline: number) {}

  onStop(fn: () => void): () => void {
    this.watchers ??= new Set();
    this.watchers.add(fn);
    return () => this.watchers?.delete(fn);
  }

  /** Stops the scope (the first reason stays): its work ends, as each watcher sees to. */
  stop(reason: Error): void {
    if (this.stopped) return;
    this.stopped = reason;
    const watchers = this.watchers;
    this.watchers = undefined;
    for (const fn of watchers ?? []) fn();
  }
}

const scopes = new AsyncLocalStorage<WorkScope>();
/** Calls of withinScope still running: the store is switched off when none is. */
let entered = 0;

const leave = () => {
  entered -= 1;
  // Off: getStore() answers undefined and promises are no longer hooked, until the next withinScope.
  if (entered === 0) scopes.disable();
};

/** The scope of the Prisma work running now (see above), if any. */
export const currentScope = (): WorkScope | undefined => scopes.getStore();

/**
 * Runs fn with the database work it starts bound to `scope` (none: fn as it
 * is). For work whose statements cannot be given the scope: Prisma's.
 */
export function withinScope<T>(scope: WorkScope | undefined, fn: () => T): T {
  if (!scope) return fn();
  entered += 1;
  try {
    return scopes.run(scope, () => {
      const result = fn();
      // Prisma's promises start their work when asked for their outcome: asked here, within the store.
      if (typeof (result as PromiseLike<unknown> | null)?.then !== 'function') {
        leave();
        return result;
      }
      return (result as PromiseLike<unknown>).then(
        (value) => {
          leave();
          return value;
        },
        (error: unknown) => {
          leave();
          throw error;
        },
      ) as T;
    });
  } catch (error) {
    leave();
    throw error;
  }
}

export const deadlinePassed = () => new DatabaseUnavailableError('slow', "the request's deadline passed before its database work finished");

/** A scope that stops at `deadline` (work outside a request: the usage flush at shutdown). Call done() after. */
export function scopeUntil(deadline: number): WorkScope & { done(): void } {
  const scope = new Scope(deadline);
  const timer = setTimeout(() => scope.stop(deadlinePassed()), Math.max(0, deadline - Date.now()));
  return Object.assign(scope, { done: () => clearTimeout(timer) });
}

/** The error work of an aborted scope fails with. */
const failureOf = (scope: WorkScope): Error =>
  scope.stopped && classifyDatabaseFailure(scope.stopped) ? scope.stopped : new RequestAbandonedError();

/**
 * This process's estimate of the database server's clock, measured on every
 * new connection, so that a statement can check a deadline itself on the
 * server's own clock (`clock_timestamp() < deadline`): a statement that reaches
 * the server late (a frozen server, a long queue) then does nothing.
 */
export const databaseClock = { offsetMs: 0, roundTripMs: Number.POSITIVE_INFINITY, measuredAt: 0 };

function measureClock(sentAt: number, receivedAt: number, serverNow: number): void {
  const roundTripMs = receivedAt - sentAt;
  // The sample with the shortest round trip is the most precise; an old one is replaced anyway.
  if (roundTripMs > databaseClock.roundTripMs && receivedAt - databaseClock.measuredAt < 60_000) return;
  Object.assign(databaseClock, { offsetMs: serverNow - (sentAt + receivedAt) / 2, roundTripMs, measuredAt: receivedAt });
}

/** The current scope's deadline on the database's clock (ms since the epoch), or null outside a request. */
export function databaseDeadline(scope = currentScope()): number | null {
  return scope ? scope.deadline + databaseClock.offsetMs : null;
}

/** A CancelRequest for the statement the connection runs, on a connection of its own (no authentication). */
function cancelOnServer(client: pg.Client): void {
  const { host, port, processID, secretKey } = client as unknown as { host: string; port: number; processID: number; secretKey: number };
  if (!processID) return;
  const socket = host?.startsWith('/') ? connect(`${host}/.s.PGSQL.${port}`) : connect(port, host);
  const packet = Buffer.alloc(16);
  packet.writeInt32BE(16, 0);
  packet.writeInt32BE(80877102, 4);
  packet.writeInt32BE(processID, 8);
  packet.writeInt32BE(secretKey, 12);
  socket.on('error', () => {});
  // A frozen server reads it when it resumes, or never: not worth holding a socket for.
  socket.setTimeout(5_000, () => socket.destroy());
  socket.end(packet);
}

const ENDS_TRANSACTION = /^\s*ROLLBACK\b/i;

type Callback = (error: Error | undefined, result?: unknown) => void;

/** A pg client that knows the scope it serves while checked out, and reports to the outage tracker. */
class ScopedClient extends pg.Client {
  scope: WorkScope | null = null;
  running = 0;
  outages: OutageTracker | null = null;

  // biome-ignore lint/suspicious/noExplicitAny: pg's query has many overloads; this only wraps its outcome.
  override query(...args: any[]): any {
    if (typeof args[0]?.submit === 'function') return (super.query as (...a: unknown[]) => unknown)(...args);
    const callback: Callback | undefined = typeof args[args.length - 1] === 'function' ? args.pop() : undefined;
    const scope = this.scope;
    let outcome: Promise<unknown>;
    if (scope?.stopped && !ENDS_TRANSACTION.test(typeof args[0] === 'string' ? args[0] : (args[0]?.text ?? ''))) {
      outcome = Promise.reject(failureOf(scope));
    } else {
      this.running += 1;
      outcome = (super.query as (...a: unknown[]) => Promise<unknown>)(...args).then(
        (result) => {
          this.running -= 1;
          this.outages?.succeeded();
          return result;
        },
        (error) => {
          this.running -= 1;
          // Cancelled at the deadline or for a client that left: say so rather than "canceling statement due to user request".
          const failure = scope?.stopped ? failureOf(scope) : error;
          report(this.outages, failure);
          throw failure;
        },
      );
    }
    if (!callback) return outcome;
    outcome.then(
      (result) => callback(undefined, result),
      (error) => callback(error),
    );
    return undefined;
  }
}

function report(outages: OutageTracker | null, error: unknown): void {
  const failure = classifyDatabaseFailure(error);
  if (outages && failure && 'reason' in failure) outages.failed(failure.reason, error);
}

export interface DeadlinePoolOptions extends pg.PoolConfig {
  outages?: OutageTracker;
}

type PoolCallback = (error: Error | undefined, client?: pg.PoolClient, release?: (error?: Error | boolean) => void) => void;

/** pg's Pool, bound to the current scope (see above). Prisma's adapter and the hot path's statements share it. */
export class DeadlinePool extends pg.Pool {
  private readonly outages: OutageTracker | null;
  /** When each wait for a connection began (performance.now()). */
  private readonly waits = new Set<{ since: number }>();

  constructor({ outages, ...config }: DeadlinePoolOptions) {
    super({
      ...config,
      Client: ScopedClient,
      // The database's clock, on each new connection: one round trip, before its first statement.
      onConnect: async (client: pg.ClientBase) => {
        const sentAt = Date.now();
        const { rows } = await client.query<{ now: number }>('SELECT (extract(epoch FROM clock_timestamp()) * 1000)::float8 AS now');
        measureClock(sentAt, Date.now(), rows[0].now);
      },
    });
    this.outages = outages ?? null;
    this.on('connect', (client) => {
      (client as unknown as ScopedClient).outages = this.outages;
    });
  }

  /** How long the oldest wait for a connection has lasted, in ms (0: none waits). */
  oldestWaitMs(): number {
    let oldest = Number.POSITIVE_INFINITY;
    for (const wait of this.waits) oldest = Math.min(oldest, wait.since);
    return oldest === Number.POSITIVE_INFINITY ? 0 : performance.now() - oldest;
  }

  /** pg's Pool.query, with the wait for a connection and the statement bound to `scope` (none: unbounded but by the pool's own limits). */
  async queryWithin<R extends pg.QueryResultRow>(scope: WorkScope | undefined, config: pg.QueryConfig): Promise<pg.QueryResult<R>> {
    const client = await this.acquire(scope);
    // As pg's own Pool.query: the connection failing while it runs (the server killed) is this
    // statement's error (its promise rejects with it too), not an 'error' event nobody hears, which
    // would end the process; and a connection whose statement failed is not reused.
    let failed: Error | undefined;
    const onError = (error: Error) => {
      failed ??= error;
    };
    client.on('error', onError);
    try {
      return await client.query<R>(config);
    } catch (error) {
      failed ??= error as Error;
      throw error;
    } finally {
      client.off('error', onError);
      client.release(failed);
    }
  }

  override connect(): Promise<pg.PoolClient>;
  override connect(callback: PoolCallback): void;
  override connect(callback?: PoolCallback): Promise<pg.PoolClient> | undefined {
    const acquired = this.acquire(currentScope());
    if (!callback) return acquired;
    acquired.then(
      (client) => callback(undefined, client, client.release),
      (error) => callback(error, undefined, () => {}),
    );
    return undefined;
  }

  private acquire(scope: WorkScope | undefined): Promise<pg.PoolClient> {
    if (scope?.stopped) return Promise.reject(failureOf(scope));
    const wait = { since: performance.now() };
    this.waits.add(wait);
    return new Promise((resolve, reject) => {
      let gaveUp = false;
      const onAbort = () => {
        gaveUp = true;
        this.waits.delete(wait);
        const failure = failureOf(scope as WorkScope);
        // The whole deadline went by without a free connection.
        const error = failure instanceof DatabaseUnavailableError ? new DatabaseUnavailableError('saturated', failure.message) : failure;
        report(this.outages, error);
        reject(error);
      };
      const forget = scope?.onStop(onAbort);
      super.connect((error, client) => {
        forget?.();
        this.waits.delete(wait);
        if (error || !client) {
          report(this.outages, error);
          if (!gaveUp) reject(error);
          return;
        }
        if (gaveUp) client.release();
        else resolve(this.checkout(client, scope));
      });
    });
  }

  /** Binds the client to the scope until it is released; an abort meanwhile cancels what it runs. */
  private checkout(client: pg.PoolClient, scope: WorkScope | undefined): pg.PoolClient {
    if (!scope) return client;
    const scoped = client as unknown as pg.PoolClient & ScopedClient;
    scoped.scope = scope;
    let cancelled = false;
    const onAbort = () => {
      if (scoped.running === 0) return;
      cancelled = true;
      cancelOnServer(scoped);
    };
    const forget = scope.onStop(onAbort);
    const release = scoped.release;
    scoped.release = (error?: Error | boolean) => {
      forget();
      scoped.scope = null;
      // A cancel may still be on its way: the connection goes rather than serve another request.
      return release(error || (cancelled ? new Error('cancelled at its deadline') : undefined));
    };
    return scoped;
  }
}
