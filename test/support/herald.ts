// An in-process Herald for tests: no socket, requests through yoga.fetch.
import { randomUUID } from 'node:crypto';
import { Writable } from 'node:stream';
import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { type DocumentNode, type GraphQLFormattedError, print } from 'graphql';
import { pino } from 'pino';
import { inject } from 'vitest';
import { signMemberToken } from '../../src/auth/jwt.ts';
import { type Config, DEFAULT_LIMITS, SVIX_RETRY_DELAYS_MS } from '../../src/config.ts';
import { type Database, openDatabase } from '../../src/db/index.ts';
import { createHeraldServer, type HeraldServer } from '../../src/server.ts';
import { createHerald, type Herald } from '../../src/yoga.ts';

/** Where in-process test requests come from unless a test says otherwise. */
export const LOOPBACK = '127.0.0.1';

export const TEST_JWT_SECRET = 'test-secret-that-is-long-enough-for-hs256!';

export function testConfig(overrides: Partial<Config> = {}): Config {
  return {
    production: false,
    port: 0,
    host: undefined,
    database: { kind: 'embedded', dataDir: null },
    jwt: { kind: 'secret', secret: TEST_JWT_SECRET },
    graphiql: true,
    introspection: true,
    logLevel: 'info',
    shutdownTimeoutMs: 10_000,
    limits: { ...DEFAULT_LIMITS, fieldSuggestions: true },
    // Requests through yoga.fetch share one source address: only the rate-limit test sets a real limit.
    authFailures: { limit: 1_000_000, windowSeconds: 60 },
    authCacheMs: 250,
    trustProxy: [],
    // Tests make many requests with one key: only the rate-limit tests set a real limit.
    keyRateLimitPerMinute: 100_000,
    redisUrl: null,
    streams: { perRecipient: 10, perInstance: 20_000 },
    wsMaxPayloadBytes: 65_536,
    redisCommandTimeoutMs: 1_000,
    requestTimeoutMs: 10_000,
    maxRequestsInFlight: 500,
    // The tests' receivers listen on loopback; the SSRF tests turn the rules back on. No worker: the
    // test files share one database, and a file's worker would take the jobs another file's test awaits
    // (with its own settings): the files that deliver run one.
    webhooks: { concurrency: 0, timeoutMs: 15_000, retryDelaysMs: SVIX_RETRY_DELAYS_MS, allowPrivateNetworks: true, lockTimeoutMs: 60_000 },
    ...overrides,
  };
}

export interface Result<R> {
  status: number;
  headers: Headers;
  data: R | null | undefined;
  errors: GraphQLFormattedError[] | undefined;
  /** The response body as sent (unredacted: for assertions, never for messages). */
  text: string;
  /** The query and the response, for failure messages (secrets redacted). */
  describe(): string;
}

export interface RequestOptions {
  /** Bearer token: a member JWT or an API key secret. */
  token?: string;
  headers?: Record<string, string>;
  /** The connection's address (loopback by default). */
  from?: string;
}

export class TestHerald {
  private listening: { server: HeraldServer; base: string } | null = null;

  private constructor(
    readonly db: Database,
    readonly yoga: Herald,
    /** Every line the server logged. */
    readonly logText: string[],
    /** Every SQL statement the server sent, in order. */
    readonly statements: string[],
  ) {}

  /**
   * `usageFlushMs`: how often counted key usage is written. By default not
   * during a test file (only when it closes), so that no timer's statement
   * lands among those a test counts; the usage tests set a short one.
   */
  static async start(overrides: Partial<Config> = {}, { usageFlushMs = 3_600_000 }: { usageFlushMs?: number } = {}): Promise<TestHerald> {
    const provided = inject('database');
    const statements: string[] = [];
    const onQuery = (sql: string) => statements.push(sql);
    // Embedded: the run's cluster, opened as the embedded database (its key cache, in-process limits).
    const db =
      provided.kind === 'postgres'
        ? await openDatabase({ kind: 'postgres', url: provided.url }, { poolSize: 5, onQuery })
        : await openDatabase({ kind: 'embedded', dataDir: null }, { embeddedUrl: provided.url, poolSize: 5, onQuery });
    const logText: string[] = [];
    const sink = new Writable({
      write(chunk, _encoding, done) {
        logText.push(chunk.toString());
        done();
      },
    });
    const logger = pino({ level: 'info' }, sink);
    const yoga = await createHerald({ config: testConfig(overrides), db, logger, usageFlushMs });
    // The webhook worker starts in the background: tests that time a delivery start with it running.
    await yoga.connections.topology.webhooks?.started;
    return new TestHerald(db, yoga, logText, statements);
  }

  /** The external ids of the recipients a message was delivered to, in the database (any order). */
  async deliveredTo(messageId: string): Promise<string[]> {
    const rows = await this.db.prisma.$queryRaw<{ externalId: string }[]>`
      SELECT r."externalId" FROM "Delivery" d JOIN "Recipient" r ON r.id = d."recipientId" WHERE d."messageId" = ${messageId}::uuid`;
    return rows.map((r) => r.externalId);
  }

  /** The SQL statements that running fn sent (fn runs alone: tests in a file run one at a time). */
  async countStatements(fn: () => Promise<unknown>): Promise<{ count: number; statements: string[] }> {
    const start = this.statements.length;
    await fn();
    const statements = this.statements.slice(start);
    return { count: statements.length, statements };
  }

  get dbKind(): 'embedded' | 'postgres' {
    return this.db.target.kind;
  }

  /** The server on a loopback port (SSE and WebSocket streams need a socket): its base URL. */
  async listen(options: { heartbeatMs?: number } = {}): Promise<string> {
    if (this.listening) return this.listening.base;
    const server = createHeraldServer(this.yoga, options);
    await new Promise<void>((resolve) => server.server.listen(0, '127.0.0.1', resolve));
    const { port } = server.server.address() as { port: number };
    this.listening = { server, base: `http://127.0.0.1:${port}` };
    return this.listening.base;
  }

  async close(): Promise<void> {
    if (this.listening) {
      const { server } = this.listening;
      await server.endStreams();
      server.server.closeAllConnections();
      await new Promise((resolve) => server.server.close(resolve));
    }
    await this.yoga.dispose();
    await this.db.close();
  }

  /** A raw HTTP request to /graphql. */
  /** A raw HTTP request to /graphql, as if over a connection from `from` (loopback by default). */
  async fetch({ from = LOOPBACK, ...init }: RequestInit & { path?: string; from?: string }): Promise<Response> {
    return await this.yoga.fetch(`http://herald.test${init.path ?? '/graphql'}`, init, { req: { socket: { remoteAddress: from } } });
  }

  async execute<R, V>(
    document: TypedDocumentNode<R, V> | DocumentNode | string,
    variables?: V,
    options: RequestOptions = {},
  ): Promise<Result<R>> {
    const query = typeof document === 'string' ? document : print(document);
    const headers: Record<string, string> = { 'content-type': 'application/json', accept: 'application/json', ...options.headers };
    if (options.token) headers.authorization = `Bearer ${options.token}`;
    const response = await this.fetch({ method: 'POST', headers, body: JSON.stringify({ query, variables }), from: options.from });
    const text = await response.text();
    let body: { data?: R | null; errors?: GraphQLFormattedError[] };
    try {
      body = JSON.parse(text);
    } catch {
      body = { errors: [{ message: `non-JSON response: ${text.slice(0, 200)}` }] };
    }
    return {
      status: response.status,
      headers: response.headers,
      data: body.data,
      errors: body.errors,
      text,
      describe: () => `${query}\nvariables: ${redact(JSON.stringify(variables ?? {}))}\n→ ${response.status} ${redact(text)}`,
    };
  }

  async memberToken(accountSlug: string, subject = `member-${randomUUID()}`, expiresIn: string | number = '1h'): Promise<string> {
    return signMemberToken(new TextEncoder().encode(TEST_JWT_SECRET), { subject, accountSlug }, expiresIn);
  }

  /**
   * Everything an account owns, as rows: a rejected request must leave it equal.
   * lastUsedAt, usage counts and rate-limit state are left out: authenticating a
   * key sets them, by design, even when the request is then refused (usage
   * counts the refusal; the rate limit counts every request it lets through).
   */
  async snapshot(accountSlug: string): Promise<unknown> {
    const [row] = await this.db.prisma.$queryRaw<{ snapshot: unknown }[]>`
      SELECT json_build_object(
        'account', (SELECT row_to_json(a) FROM "Account" a WHERE a.slug = ${accountSlug}),
        'members', (SELECT json_agg(m ORDER BY m.id) FROM "Member" m JOIN "Account" a ON a.id = m."accountId" WHERE a.slug = ${accountSlug}),
        'channels', (SELECT json_agg(c ORDER BY c.id) FROM "Channel" c JOIN "Account" a ON a.id = c."accountId" WHERE a.slug = ${accountSlug}),
        'recipients', (SELECT json_agg(r ORDER BY r.id) FROM "Recipient" r JOIN "Account" a ON a.id = r."accountId" WHERE a.slug = ${accountSlug}),
        'subscriptions', (SELECT json_agg(rc ORDER BY rc."channelId", rc."recipientId") FROM "RecipientChannel" rc JOIN "Channel" c ON c.id = rc."channelId" JOIN "Account" a ON a.id = c."accountId" WHERE a.slug = ${accountSlug}),
        'apiKeys', (SELECT json_agg(json_build_object('id', k.id, 'name', k.name, 'scopeKind', k."scopeKind", 'secretHash', k."secretHash", 'prefix', k.prefix, 'previousSecretHash', k."previousSecretHash", 'previousSecretExpiresAt', k."previousSecretExpiresAt", 'expiresAt', k."expiresAt", 'revokedAt', k."revokedAt", 'rateLimitPerMinute', k."rateLimitPerMinute", 'allowedIps', k."allowedIps", 'createdById', k."createdById", 'updatedAt', k."updatedAt") ORDER BY k.id) FROM "ApiKey" k JOIN "Account" a ON a.id = k."accountId" WHERE a.slug = ${accountSlug}),
        'auditEvents', (SELECT json_agg(e ORDER BY e.seq) FROM "AuditEvent" e JOIN "Account" a ON a.id = e."accountId" WHERE a.slug = ${accountSlug}),
        'idempotencyKeys', (SELECT json_agg(i ORDER BY i."apiKeyId", i.key) FROM "IdempotencyKey" i JOIN "ApiKey" k ON k.id = i."apiKeyId" JOIN "Account" a ON a.id = k."accountId" WHERE a.slug = ${accountSlug}),
        'keyChannels', (SELECT json_agg(kc ORDER BY kc."apiKeyId", kc."channelId") FROM "ApiKeyChannel" kc JOIN "Channel" c ON c.id = kc."channelId" JOIN "Account" a ON a.id = c."accountId" WHERE a.slug = ${accountSlug}),
        'messages', (SELECT json_agg(msg ORDER BY msg.id) FROM "Message" msg JOIN "Account" a ON a.id = msg."accountId" WHERE a.slug = ${accountSlug}),
        'messageChannels', (SELECT json_agg(mc ORDER BY mc."channelId", mc."messageId") FROM "MessageChannel" mc JOIN "Channel" c ON c.id = mc."channelId" JOIN "Account" a ON a.id = c."accountId" WHERE a.slug = ${accountSlug}),
        'deliveries', (SELECT json_agg(d ORDER BY d."messageId", d."recipientId") FROM "Delivery" d JOIN "Message" msg ON msg.id = d."messageId" JOIN "Account" a ON a.id = msg."accountId" WHERE a.slug = ${accountSlug})
      ) AS snapshot`;
    return row.snapshot;
  }
}

/** Test output never shows a key secret. */
export function redact(text: string): string {
  return text.replace(/hrld_[0-9A-Za-z]{6,}/g, 'hrld_[redacted]');
}

/** The data of a result that must have succeeded; otherwise fails with the query and the response. */
export function dataOf<R>(result: Result<R>): R {
  if (result.errors?.length || result.data == null) {
    throw new Error(`expected data, got errors:\n${result.describe()}`);
  }
  return result.data;
}

/** The one error of a result that must have failed, with its code and the HTTP status. */
export function errorOf(result: Result<unknown>): { code: unknown; message: string; status: number } {
  if (result.errors?.length !== 1) {
    throw new Error(`expected exactly one error:\n${result.describe()}`);
  }
  const [error] = result.errors;
  return { code: error.extensions?.code, message: error.message, status: result.status };
}
