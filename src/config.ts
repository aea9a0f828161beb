import { resolve } from 'node:path';
import proxyaddr from 'proxy-addr';

/** Where the data lives: the embedded database (a directory, or memory) or PostgreSQL. */
export type DatabaseTarget = { kind: 'embedded'; dataDir: string | null } | { kind: 'postgres'; url: string };

export type JwtConfig =
  | { kind: 'secret'; secret: string | null }
  | { kind: 'jwks'; jwksUrl: URL; issuer: string | undefined; audience: string | undefined };

export interface Config {
  production: boolean;
  port: number;
  host: string | undefined;
  database: DatabaseTarget;
  jwt: JwtConfig;
  graphiql: boolean;
  introspection: boolean;
  logLevel: 'debug' | 'info' | 'warn' | 'error' | 'silent';
  /** How long SIGTERM/SIGINT waits for in-flight requests before giving up. */
  shutdownTimeoutMs: number;
  /** GraphQL limits (src/plugins/limits.ts): every real client stays well inside them. */
  limits: { depth: number; aliases: number; directives: number; tokens: number; cost: number; fieldSuggestions: boolean };
  /** Failed authentications allowed per source address and per key prefix in one window. */
  authFailures: { limit: number; windowSeconds: number };
  /**
   * On PostgreSQL: how long an instance answers from memory for a key (and an
   * address's block) it read; a write of a key, or a failure that blocks,
   * waits as long after it commits (src/data/leased-cache.ts). 0: every
   * request reads them. The embedded database caches them without a lease.
   */
  authCacheMs: number;
  /**
   * The proxies whose X-Forwarded-For is believed (addresses, CIDR blocks, or
   * proxy-addr's names: loopback, linklocal, uniquelocal); empty: none, the
   * client's address is the connection's.
   */
  trustProxy: string[];
  /** Requests a minute for a key without its own rateLimitPerMinute. */
  keyRateLimitPerMinute: number;
  /** Redis for the per-key rate limits and the inbox events of a fleet; null: the database carries them. */
  redisUrl: string | null;
  /** Open inbox streams (SSE and WebSocket) one recipient may hold, and one instance may hold. */
  streams: { perRecipient: number; perInstance: number };
  /** The largest WebSocket message a client may send, in bytes. */
  wsMaxPayloadBytes: number;
  /** The longest a Redis command may take before the request is answered from memory. */
  redisCommandTimeoutMs: number;
  /** A request's deadline: its waits for a connection, a lock and a statement all end by then (503). */
  requestTimeoutMs: number;
  /** Requests in flight beyond which new ones get 503 at once (event streams not counted). */
  maxRequestsInFlight: number;
  webhooks: WebhookConfig;
}

/** Outbound webhooks (src/webhooks/). */
export interface WebhookConfig {
  /**
   * Deliveries one instance makes at once (WEBHOOK_CONCURRENCY); its queue pool holds this many connections
   * plus 3. 0: this instance delivers none (the fleet's other instances do).
   */
  concurrency: number;
  /** A delivery's whole request: connecting, sending and reading the answer (WEBHOOK_TIMEOUT_MS). */
  timeoutMs: number;
  /** The waits before each retry after the first try (WEBHOOK_RETRY_SCHEDULE_MS): Svix's schedule by default. */
  retryDelaysMs: number[];
  /** Lifts the SSRF rules: private addresses, and http in production (WEBHOOK_ALLOW_PRIVATE_NETWORKS). */
  allowPrivateNetworks: boolean;
  /**
   * A job locked longer than this is taken from the instance that holds it (one killed mid-flight)
   * and run again (WEBHOOK_LOCK_TIMEOUT_MS); it must exceed the timeout.
   */
  lockTimeoutMs: number;
}

/** Svix's schedule: after the first try, 5 s, 5 min, 30 min, 2 h, 5 h, 10 h and 10 h. */
export const SVIX_RETRY_DELAYS_MS = [5_000, 300_000, 1_800_000, 7_200_000, 18_000_000, 36_000_000, 36_000_000];

export const DEFAULT_DATA_DIR = 'data/herald';

/**
 * The GraphQL limits when no GRAPHQL_MAX_* variable is set. The cost is measured
 * by the model of src/schema/builder.ts: the dashboard's largest document (a page
 * of 100 messages with their channels) costs 3,301, a third of the limit.
 */
export const DEFAULT_LIMITS = { depth: 10, aliases: 20, directives: 20, tokens: 2000, cost: 10_000 } as const;

/** A bad setting: the message is one line that names the variable. */
export class ConfigError extends Error {
  constructor(variable: string, problem: string) {
    super(`${variable}: ${problem}`);
    this.name = 'ConfigError';
  }
}

export function parseDatabaseUrl(value: string | undefined, variable = 'DATABASE_URL'): DatabaseTarget {
  const raw = value?.trim();
  if (!raw) return { kind: 'embedded', dataDir: resolve(DEFAULT_DATA_DIR) };
  if (raw === 'memory:' || raw === 'memory://') return { kind: 'embedded', dataDir: null };
  if (raw.startsWith('file:')) {
    const dir = raw.slice('file:'.length).replace(/^\/\/(?=\/)/, '');
    if (!dir) throw new ConfigError(variable, 'file: needs a directory, e.g. file:./data/herald');
    return { kind: 'embedded', dataDir: resolve(dir) };
  }
  if (/^postgres(ql)?:\/\//.test(raw)) {
    try {
      const url = new URL(raw);
      if (!url.hostname && !url.searchParams.get('host')) throw new Error('no host');
    } catch {
      throw new ConfigError(variable, 'is not a valid postgres:// URL');
    }
    return { kind: 'postgres', url: raw };
  }
  throw new ConfigError(variable, 'must be unset, file:<dir>, memory: or a postgres:// URL');
}

function parseBoolean(env: NodeJS.ProcessEnv, variable: string, fallback: boolean): boolean {
  const raw = env[variable]?.trim().toLowerCase();
  if (raw === undefined || raw === '') return fallback;
  if (['1', 'true', 'yes', 'on'].includes(raw)) return true;
  if (['0', 'false', 'no', 'off'].includes(raw)) return false;
  throw new ConfigError(variable, 'must be true or false');
}

function parsePort(raw: string | undefined): number {
  if (raw === undefined || raw.trim() === '') return 4000;
  const port = Number(raw);
  if (!/^\d+$/.test(raw.trim()) || port > 65535) throw new ConfigError('PORT', 'must be a whole number from 0 to 65535');
  return port;
}

function parseCount(env: NodeJS.ProcessEnv, variable: string, fallback: number, max = 1_000_000): number {
  const raw = env[variable]?.trim();
  if (raw === undefined || raw === '') return fallback;
  if (!/^\d+$/.test(raw) || Number(raw) < 1 || Number(raw) > max)
    throw new ConfigError(variable, `must be a whole number from 1 to ${max}`);
  return Number(raw);
}

function parseDuration(env: NodeJS.ProcessEnv, variable: string, fallback: number): number {
  const raw = env[variable]?.trim();
  if (raw === undefined || raw === '') return fallback;
  if (!/^\d+$/.test(raw) || Number(raw) > 3_600_000) throw new ConfigError(variable, 'must be a number of milliseconds up to 3600000');
  return Number(raw);
}

function parseMilliseconds(env: NodeJS.ProcessEnv, variable: string, fallback: number, min: number, max: number): number {
  const raw = env[variable]?.trim();
  if (raw === undefined || raw === '') return fallback;
  if (!/^\d+$/.test(raw) || Number(raw) < min || Number(raw) > max)
    throw new ConfigError(variable, `must be a number of milliseconds from ${min} to ${max}`);
  return Number(raw);
}

function parseJwt(env: NodeJS.ProcessEnv, production: boolean): JwtConfig {
  const jwks = env.AUTH_JWKS_URL?.trim();
  if (jwks) {
    let jwksUrl: URL;
    try {
      jwksUrl = new URL(jwks);
    } catch {
      throw new ConfigError('AUTH_JWKS_URL', 'is not a valid URL');
    }
    return { kind: 'jwks', jwksUrl, issuer: env.AUTH_ISSUER?.trim() || undefined, audience: env.AUTH_AUDIENCE?.trim() || undefined };
  }
  const secret = env.AUTH_JWT_SECRET ?? null;
  if (secret !== null && secret.length < 32) {
    throw new ConfigError('AUTH_JWT_SECRET', 'must be at least 32 characters');
  }
  if (secret === null && production) {
    throw new ConfigError('AUTH_JWT_SECRET', 'is required when NODE_ENV=production (or set AUTH_JWKS_URL)');
  }
  return { kind: 'secret', secret };
}

/** The highest per-minute rate a key may be given (and the server default may be set to). */
export const MAX_RATE_LIMIT_PER_MINUTE = 100_000;

function parseTrustProxy(raw: string | undefined): string[] {
  const value = raw?.trim() ?? '';
  if (['', 'false', '0', 'no', 'off'].includes(value.toLowerCase())) return [];
  if (['true', '1', 'yes', 'on'].includes(value.toLowerCase())) {
    throw new ConfigError('TRUST_PROXY', 'name the proxies whose X-Forwarded-For to believe, e.g. loopback or 10.0.0.0/8,10.1.2.3');
  }
  const entries = value
    .split(',')
    .map((entry) => entry.trim())
    .filter(Boolean);
  try {
    proxyaddr.compile(entries);
  } catch (error) {
    throw new ConfigError('TRUST_PROXY', `${(error as Error).message} (addresses, CIDR blocks, loopback, linklocal or uniquelocal)`);
  }
  return entries;
}

function parseRedisUrl(raw: string | undefined): string | null {
  const value = raw?.trim();
  if (!value) return null;
  if (!/^rediss?:\/\/[^\s]+$/.test(value)) throw new ConfigError('REDIS_URL', 'must be a redis:// or rediss:// URL');
  return value;
}

function parseRetrySchedule(raw: string | undefined): number[] {
  const value = raw?.trim();
  if (!value) return SVIX_RETRY_DELAYS_MS;
  const delays = value.split(',').map((part) => part.trim());
  if (delays.length > 20 || delays.some((d) => !/^\d{1,9}$/.test(d))) {
    throw new ConfigError('WEBHOOK_RETRY_SCHEDULE_MS', 'must be up to 20 comma-separated numbers of milliseconds, e.g. 5000,300000');
  }
  return delays.map(Number);
}

function parseConcurrency(raw: string | undefined): number {
  const value = raw?.trim();
  if (!value) return 16;
  if (!/^\d+$/.test(value) || Number(value) > 200) throw new ConfigError('WEBHOOK_CONCURRENCY', 'must be a whole number from 0 to 200');
  return Number(value);
}

function parseWebhooks(env: NodeJS.ProcessEnv): WebhookConfig {
  const timeoutMs = parseMilliseconds(env, 'WEBHOOK_TIMEOUT_MS', 15_000, 100, 60_000);
  const lockTimeoutMs = parseMilliseconds(env, 'WEBHOOK_LOCK_TIMEOUT_MS', 60_000, 1_000, 14_400_000);
  if (lockTimeoutMs <= timeoutMs + 1_000) {
    throw new ConfigError('WEBHOOK_LOCK_TIMEOUT_MS', `must exceed WEBHOOK_TIMEOUT_MS (${timeoutMs}) by more than 1000`);
  }
  return {
    concurrency: parseConcurrency(env.WEBHOOK_CONCURRENCY),
    timeoutMs,
    retryDelaysMs: parseRetrySchedule(env.WEBHOOK_RETRY_SCHEDULE_MS),
    allowPrivateNetworks: parseBoolean(env, 'WEBHOOK_ALLOW_PRIVATE_NETWORKS', false),
    lockTimeoutMs,
  };
}

/** A key's edit waits the lease out within its own request: it must fit in the request's deadline with room to spare. */
function parseAuthCache(env: NodeJS.ProcessEnv, requestTimeoutMs: number): number {
  const leaseMs = parseMilliseconds(env, 'AUTH_CACHE_MS', Math.min(250, Math.floor(requestTimeoutMs / 4)), 0, 5_000);
  if (leaseMs * 2 > requestTimeoutMs) {
    throw new ConfigError(
      'AUTH_CACHE_MS',
      `must be at most half of REQUEST_TIMEOUT_MS (${requestTimeoutMs}): a key's edit waits it out within its request`,
    );
  }
  return leaseMs;
}

const LOG_LEVELS = ['debug', 'info', 'warn', 'error', 'silent'] as const;

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const production = env.NODE_ENV === 'production';
  const logLevel = (env.LOG_LEVEL?.trim().toLowerCase() || 'info') as Config['logLevel'];
  if (!LOG_LEVELS.includes(logLevel)) throw new ConfigError('LOG_LEVEL', `must be one of ${LOG_LEVELS.join(', ')}`);
  const requestTimeoutMs = parseMilliseconds(env, 'REQUEST_TIMEOUT_MS', 10_000, 100, 600_000);
  return {
    production,
    port: parsePort(env.PORT),
    host: env.HOST?.trim() || undefined,
    database: parseDatabaseUrl(env.DATABASE_URL),
    jwt: parseJwt(env, production),
    graphiql: parseBoolean(env, 'GRAPHIQL', !production),
    introspection: parseBoolean(env, 'INTROSPECTION', !production),
    logLevel,
    shutdownTimeoutMs: parseDuration(env, 'SHUTDOWN_TIMEOUT_MS', 10_000),
    limits: {
      depth: parseCount(env, 'GRAPHQL_MAX_DEPTH', DEFAULT_LIMITS.depth),
      aliases: parseCount(env, 'GRAPHQL_MAX_ALIASES', DEFAULT_LIMITS.aliases),
      directives: parseCount(env, 'GRAPHQL_MAX_DIRECTIVES', DEFAULT_LIMITS.directives),
      tokens: parseCount(env, 'GRAPHQL_MAX_TOKENS', DEFAULT_LIMITS.tokens),
      cost: parseCount(env, 'GRAPHQL_MAX_COST', DEFAULT_LIMITS.cost),
      fieldSuggestions: parseBoolean(env, 'FIELD_SUGGESTIONS', !production),
    },
    authFailures: {
      limit: parseCount(env, 'AUTH_FAILURE_LIMIT', 20),
      windowSeconds: parseCount(env, 'AUTH_FAILURE_WINDOW_SECONDS', 60, 86_400),
    },
    authCacheMs: parseAuthCache(env, requestTimeoutMs),
    trustProxy: parseTrustProxy(env.TRUST_PROXY),
    keyRateLimitPerMinute: parseCount(env, 'KEY_RATE_LIMIT_PER_MINUTE', 1_000, MAX_RATE_LIMIT_PER_MINUTE),
    redisUrl: parseRedisUrl(env.REDIS_URL),
    streams: {
      perRecipient: parseCount(env, 'INBOX_STREAMS_PER_RECIPIENT', 10, 1_000),
      perInstance: parseCount(env, 'INBOX_STREAMS_PER_INSTANCE', 20_000),
    },
    wsMaxPayloadBytes: parseCount(env, 'WS_MAX_PAYLOAD_BYTES', 65_536, 1_048_576),
    redisCommandTimeoutMs: parseMilliseconds(env, 'REDIS_COMMAND_TIMEOUT_MS', 1_000, 10, 60_000),
    requestTimeoutMs,
    maxRequestsInFlight: parseCount(env, 'MAX_REQUESTS_IN_FLIGHT', 500),
    webhooks: parseWebhooks(env),
  };
}
