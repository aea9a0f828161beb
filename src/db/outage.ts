// When the database cannot serve: which failures mean that (whatever layer
// reports them: pg, the pool, Prisma, the request's deadline), and the state of
// an outage, so that it is logged when it starts and when it ends rather than
// once per refused request.
import type { UnavailableReason } from '../errors.ts';

type DatabaseReason = Exclude<UnavailableReason, 'overloaded'>;

/** Database work that stopped because it could not be served in time (raised by ./deadline.ts). */
export class DatabaseUnavailableError extends Error {
  constructor(
    readonly reason: DatabaseReason,
    message: string,
  ) {
    super(message);
    this.name = 'DatabaseUnavailableError';
  }
}

/** Database work stopped because the client that asked for it went away: nobody waits for the answer. */
export class RequestAbandonedError extends Error {
  constructor() {
    super('the client went away before its request finished');
    this.name = 'RequestAbandonedError';
  }
}

// SQLSTATEs: https://www.postgresql.org/docs/current/errcodes-appendix.html
const BY_SQLSTATE: Record<string, DatabaseReason> = {
  '57P01': 'unreachable', // admin_shutdown: the server is shutting down (or a backend was terminated)
  '57P02': 'unreachable', // crash_shutdown
  '57P03': 'unreachable', // cannot_connect_now: starting up, shutting down, in recovery
  '57P05': 'unreachable', // idle_session_timeout
  '53300': 'saturated', // too_many_connections
  '53400': 'saturated', // configuration_limit_exceeded
  '57014': 'slow', // query_canceled: statement_timeout, or our cancel at the deadline
  '55P03': 'slow', // lock_not_available: lock_timeout
};

const SOCKET_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ENOENT',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
]);

// Prisma's own codes (https://www.prisma.io/docs/orm/reference/error-reference).
const BY_PRISMA_CODE: Record<string, DatabaseReason> = {
  P1001: 'unreachable', // can't reach the database server
  P1002: 'slow', // reached, but timed out
  P1008: 'slow', // operations timed out
  P1017: 'unreachable', // the server closed the connection
  P2024: 'saturated', // timed out fetching a connection from the pool
  P2028: 'slow', // transaction API error: a transaction that timed out or was closed
};

// The driver adapter's kinds (@prisma/adapter-pg), in the error's meta.
const BY_ADAPTER_KIND: Record<string, DatabaseReason> = {
  DatabaseNotReachable: 'unreachable',
  ConnectionClosed: 'unreachable',
  SocketTimeout: 'slow',
  TooManyConnections: 'saturated',
};

// pg and pg-pool report these as plain Errors, by message.
const BY_MESSAGE: [RegExp, DatabaseReason][] = [
  [/^timeout exceeded when trying to connect/, 'saturated'],
  [/^Connection terminated due to connection timeout/, 'slow'],
  [/^Connection terminated/, 'unreachable'],
  [/not queryable|Client was closed|Cannot use a pool after calling end/, 'unreachable'],
];

type Failure = { reason: DatabaseReason } | { abandoned: true };

function classifyOne(error: unknown): Failure | null {
  if (error instanceof DatabaseUnavailableError) return { reason: error.reason };
  if (error instanceof RequestAbandonedError) return { abandoned: true };
  if (!error || typeof error !== 'object') return null;
  const { code, message, meta } = error as { code?: unknown; message?: unknown; meta?: { driverAdapterError?: { cause?: unknown } } };
  if (typeof code === 'string') {
    if (BY_SQLSTATE[code]) return { reason: BY_SQLSTATE[code] };
    if (code.startsWith('08')) return { reason: 'unreachable' }; // connection_exception
    if (BY_PRISMA_CODE[code]) return { reason: BY_PRISMA_CODE[code] };
    // ENOENT: a Unix socket that is not there (the embedded database restarting), not any missing file.
    if (SOCKET_CODES.has(code) && (code !== 'ENOENT' || /connect/.test(String(message)))) return { reason: 'unreachable' };
  }
  const cause = meta?.driverAdapterError?.cause as { kind?: string; code?: string } | undefined;
  if (cause?.kind && BY_ADAPTER_KIND[cause.kind]) return { reason: BY_ADAPTER_KIND[cause.kind] };
  if (cause?.kind === 'postgres' && typeof cause.code === 'string') return classifyOne({ code: cause.code });
  if (typeof message === 'string') for (const [pattern, reason] of BY_MESSAGE) if (pattern.test(message)) return { reason };
  return null;
}

/**
 * Whether `error` (or what it wraps: a GraphQLError's originalError, an
 * Error's cause) means the database could not serve, and why; or that the
 * client went away. null: any other failure.
 */
export function classifyDatabaseFailure(error: unknown): Failure | null {
  let current: unknown = error;
  for (let depth = 0; current && depth < 8; depth += 1) {
    const failure = classifyOne(current);
    if (failure) return failure;
    const next = current as { originalError?: unknown; cause?: unknown };
    current = next.originalError ?? next.cause;
  }
  return null;
}

export interface OutageEvents {
  /** The first failure of an outage. */
  started(reason: DatabaseReason, error: unknown): void;
  /** The first success after failures stopped: how long, and how many requests were refused meanwhile. */
  ended(outage: { durationMs: number; refused: number; reasons: Partial<Record<UnavailableReason, number>> }): void;
}

/** An outage ends at the first success after this long without a failure (a lock fails some statements while others pass). */
const QUIET_MS = 2_000;

/**
 * The database's state as requests see it: an outage starts with the first
 * failure that means the database cannot serve, and ends with the first
 * success after QUIET_MS without one.
 */
export class OutageTracker {
  private down: { since: number; lastFailure: number; refused: number; reasons: Partial<Record<UnavailableReason, number>> } | null = null;
  /** How many outages started since this process did. */
  outages = 0;
  private listeners: OutageEvents[] = [];

  private recheckTimer: NodeJS.Timeout | null = null;

  /**
   * `recheck`: asks the database again (readiness's probe, which reports its
   * success here), so that an outage ends even when no request comes.
   */
  constructor(
    private readonly clock: () => number = Date.now,
    private readonly recheck?: () => void,
    private readonly recheckEveryMs = 1_000,
  ) {}

  get available(): boolean {
    return this.down === null;
  }

  /** Logging and metrics subscribe here (src/plugins/outages.ts). Returns the unsubscribe. */
  subscribe(events: OutageEvents): () => void {
    this.listeners.push(events);
    return () => {
      this.listeners = this.listeners.filter((l) => l !== events);
    };
  }

  failed(reason: DatabaseReason, error: unknown): void {
    const now = this.clock();
    if (this.down) {
      this.down.lastFailure = now;
    } else {
      this.down = { since: now, lastFailure: now, refused: 0, reasons: {} };
      this.outages += 1;
      for (const l of this.listeners) l.started(reason, error);
      if (this.recheck) {
        const recheck = this.recheck;
        this.recheckTimer = setInterval(() => {
          if (this.down && this.clock() - this.down.lastFailure >= QUIET_MS) recheck();
        }, this.recheckEveryMs);
        this.recheckTimer.unref();
      }
    }
  }

  /** A request answered 503 during the outage, and why (its reasons are the end line's). */
  refused(reason: UnavailableReason): void {
    if (!this.down) return;
    this.down.refused += 1;
    this.down.reasons[reason] = (this.down.reasons[reason] ?? 0) + 1;
  }

  /** No more rechecks (the database is closing). */
  close(): void {
    if (this.recheckTimer) clearInterval(this.recheckTimer);
    this.recheckTimer = null;
  }

  /** Called for every statement that succeeds: cheap unless an outage is on. */
  succeeded(): void {
    if (!this.down) return;
    const now = this.clock();
    if (now - this.down.lastFailure < QUIET_MS) return;
    const { since, refused, reasons } = this.down;
    this.down = null;
    if (this.recheckTimer) clearInterval(this.recheckTimer);
    this.recheckTimer = null;
    for (const l of this.listeners) l.ended({ durationMs: now - since, refused, reasons });
  }
}
