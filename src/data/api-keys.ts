// The one place that writes API keys. Every write runs in a transaction with its
// audit event and drops the key from the authentication cache before it starts
// and after it commits, then waits until no instance of a fleet can still hold
// what it read before (./leased-cache.ts): the next request with the key, on any
// instance, reads what was written.
import DataLoader from 'dataloader';
import { generateSecret, sameHash } from '../auth/api-keys.ts';
import { type AllowList, compileAllowList } from '../auth/ip-allowlist.ts';
import { type KeyLifecycle, keyStatus, type PresentedSecret } from '../auth/key-status.ts';
import type { WorkScope } from '../db/deadline.ts';
import type { PrismaClient } from '../db/index.ts';
import type { Sql } from '../db/sql.ts';
import { BadUserInputError, NotFoundError } from '../errors.ts';
import { type ApiKey, Prisma } from '../generated/prisma/client.ts';
import type { KeyScope } from '../scoping/rules.ts';
import { idFilter, isUuid } from '../validation.ts';
import { type Actor, type AuditEntry, audited, changedFields, createdFields } from './audit.ts';
import { accountOf, actorOf, type RequestScope } from './index.ts';
import type { LeasedCache } from './leased-cache.ts';
import { type UsageDay, usageOf } from './usage.ts';

/** A key as authentication reads it: who it is, its scope, its lifecycle, and which secret was presented. */
export interface AuthKey extends KeyLifecycle {
  id: string;
  accountId: string;
  name: string;
  scope: KeyScope;
  /** The channels of a channel-scoped key (none for ALL): a send within them needs no lookup of its own. */
  channels: { id: string; slug: string }[];
  presented: PresentedSecret;
  /** Epoch ms, or null before its first use. */
  lastUsedAt: number | null;
  /** Null: the server's default. */
  rateLimitPerMinute: number | null;
  /** Where the key may be used from (empty: anywhere), parsed once. */
  allowList: AllowList;
}

/** A scope as stored: ALL, or CHANNELS with the account's channels (ids to store, slugs for the audit trail). */
export type ScopeData = { kind: 'ALL' } | { kind: 'CHANNELS'; channels: { id: string; slug: string }[] };

/** The settings of a key besides its name and scope. */
export interface KeySettings {
  expiresAt: Date | null;
  rateLimitPerMinute: number | null;
  /** Canonical CIDR blocks (src/auth/ip-allowlist.ts). */
  allowedIps: string[];
}

/** Absent (undefined): unchanged; null: cleared. */
export interface KeyChanges extends Partial<KeySettings> {
  name?: string;
  scope?: ScopeData;
}

/** plugin-prisma's selection for the returned row (what the query asks of it). */
type Selection = { select?: Prisma.ApiKeySelect; include?: Prisma.ApiKeyInclude } | object;

/** lastUsedAt is accurate to a minute: a key writes it at most once a minute. */
const LAST_USED_PRECISION_MS = 60_000;

const scopeForAudit = (scope: ScopeData) => ({
  kind: scope.kind,
  channels: scope.kind === 'ALL' ? [] : scope.channels.map((c) => c.slug).sort(),
});
const iso = (date: Date | null | undefined) => date?.toISOString() ?? null;

/** A key row as authentication reads it, with its channels, in one statement. */
interface AuthRow {
  id: string | null;
  accountId: string;
  name: string;
  scopeKind: 'ALL' | 'CHANNELS';
  secretHash: string;
  previousSecretHash: string | null;
  revokedAt: Date | null;
  expiresAt: Date | null;
  previousSecretExpiresAt: Date | null;
  lastUsedAt: Date | null;
  rateLimitPerMinute: number | null;
  allowedIps: string[];
  channels: { id: string; slug: string }[];
  alongside: unknown;
}

export class ApiKeyStore {
  constructor(
    /** The hot path's statements (src/db/sql.ts): authentication reads keys through it. */
    private readonly sql: Sql,
    /** Keys by secret hash; none: every request reads its key. */
    private readonly cache?: LeasedCache<AuthKey>,
  ) {}

  /**
   * The key one of whose secrets hashes to `hash` (the current or the previous
   * one), or null. `fresh`: skip the cache (before refusing a cached key, so a
   * refusal always costs the one read an unknown key costs, and rests on the
   * database rather than on memory).
   */
  async findBySecretHash(
    hash: string,
    { fresh = false, alongside, work }: { fresh?: boolean; alongside?: Prisma.Sql; work?: WorkScope } = {},
  ): Promise<{ key: AuthKey | null; cached: boolean; alongside: unknown }> {
    const cached = fresh || alongside ? undefined : this.cache?.get(hash);
    if (cached) return { key: cached, cached: true, alongside: undefined };
    const lease = this.cache?.begin();
    // One statement: the key, its channels and, when asked, another check of the
    // request (the failed-authentication block), so that a request costs one round trip.
    const [row] = await this.sql<AuthRow>(
      Prisma.sql`
      SELECT k.id, k."accountId", k.name, k."scopeKind"::text AS "scopeKind", k."secretHash", k."previousSecretHash",
             k."revokedAt", k."expiresAt", k."previousSecretExpiresAt", k."lastUsedAt", k."rateLimitPerMinute", k."allowedIps",
             coalesce((SELECT json_agg(json_build_object('id', c.id, 'slug', c.slug) ORDER BY c.slug)
                       FROM "ApiKeyChannel" kc JOIN "Channel" c ON c.id = kc."channelId" WHERE kc."apiKeyId" = k.id), '[]'::json) AS channels,
             ${alongside ?? Prisma.sql`NULL`} AS alongside
      FROM (SELECT 1) AS one
      LEFT JOIN "ApiKey" k ON k."secretHash" = ${hash} OR k."previousSecretHash" = ${hash}
      LIMIT 1`,
      { prepare: true, scope: work },
    );
    // Found by a unique index; compared again in constant time, which also tells which secret it was.
    const presented =
      row?.id && sameHash(row.secretHash, hash)
        ? 'current'
        : row?.id && row.previousSecretHash && sameHash(row.previousSecretHash, hash)
          ? 'previous'
          : null;
    if (!row?.id || !presented) return { key: null, cached: false, alongside: row?.alongside };
    const key: AuthKey = {
      id: row.id,
      accountId: row.accountId,
      name: row.name,
      scope: row.scopeKind === 'ALL' ? { kind: 'ALL' } : { kind: 'CHANNELS', channels: row.channels.map((c) => c.slug) },
      channels: row.scopeKind === 'ALL' ? [] : row.channels,
      presented,
      revokedAt: row.revokedAt,
      expiresAt: row.expiresAt,
      previousSecretExpiresAt: row.previousSecretExpiresAt,
      lastUsedAt: row.lastUsedAt?.getTime() ?? null,
      rateLimitPerMinute: row.rateLimitPerMinute,
      allowList: compileAllowList(row.allowedIps),
    };
    if (lease) this.cache?.set(hash, key, lease);
    return { key, cached: false, alongside: row.alongside };
  }

  /** Records that the key authenticated a request: at most once a minute, before the response. */
  async markUsed(key: AuthKey, now: number, work?: WorkScope): Promise<void> {
    if (key.lastUsedAt !== null && now - key.lastUsedAt < LAST_USED_PRECISION_MS) return;
    // Raw SQL: Prisma's @updatedAt would bump updatedAt, which means "edited", not "used".
    await this.sql(
      Prisma.sql`
      UPDATE "ApiKey" SET "lastUsedAt" = ${new Date(now)}
      WHERE id = ${key.id}::uuid AND ("lastUsedAt" IS NULL OR "lastUsedAt" < ${new Date(now - LAST_USED_PRECISION_MS)})`,
      { prepare: true, scope: work },
    );
    key.lastUsedAt = now;
  }

  /** A new key and its secret, which nothing stores. */
  async create(
    db: PrismaClient,
    actor: Actor & { memberId: string },
    input: { name: string; scope: ScopeData } & KeySettings,
    selection: Selection = {},
  ): Promise<{ apiKey: ApiKey; secret: string }> {
    const { secret, hash, prefix } = generateSecret();
    const apiKey = await audited(db, actor, async (tx) => {
      const created = (await tx.apiKey.create({
        ...selection,
        data: {
          accountId: actor.accountId,
          name: input.name,
          scopeKind: input.scope.kind,
          secretHash: hash,
          prefix,
          expiresAt: input.expiresAt,
          rateLimitPerMinute: input.rateLimitPerMinute,
          allowedIps: input.allowedIps,
          createdById: actor.memberId,
          channels: { create: input.scope.kind === 'ALL' ? [] : input.scope.channels.map(({ id }) => ({ channelId: id })) },
        },
      })) as ApiKey;
      const changes = createdFields({
        name: input.name,
        scope: scopeForAudit(input.scope),
        prefix,
        expiresAt: iso(input.expiresAt),
        rateLimitPerMinute: input.rateLimitPerMinute,
        allowedIps: input.allowedIps,
      });
      return { result: created, event: { action: 'API_KEY_CREATED', apiKeyId: created.id, changes } };
    });
    return { apiKey, secret };
  }

  /** Name, scope and expiry. A revoked key cannot be edited. */
  update(db: PrismaClient, actor: Actor, id: string, changes: KeyChanges, selection: Selection = {}): Promise<ApiKey> {
    return this.change(db, actor, id, async (tx, before) => {
      if (before.revokedAt) throw new BadUserInputError('The API key is revoked: it can no longer be edited.', 'id');
      const scope = changes.scope;
      const updated = (await tx.apiKey.update({
        ...selection,
        where: { id: before.id },
        data: {
          name: changes.name,
          scopeKind: scope?.kind,
          channels: scope
            ? { deleteMany: {}, create: scope.kind === 'ALL' ? [] : scope.channels.map(({ id }) => ({ channelId: id })) }
            : undefined,
          expiresAt: changes.expiresAt,
          rateLimitPerMinute: changes.rateLimitPerMinute,
          allowedIps: changes.allowedIps,
        },
      })) as ApiKey;
      const was = {
        name: before.name,
        scope: before.scope,
        expiresAt: iso(before.expiresAt),
        rateLimitPerMinute: before.rateLimitPerMinute,
        allowedIps: before.allowedIps,
      };
      const is = {
        name: changes.name ?? before.name,
        scope: scope ? scopeForAudit(scope) : before.scope,
        expiresAt: changes.expiresAt === undefined ? iso(before.expiresAt) : iso(changes.expiresAt),
        rateLimitPerMinute: changes.rateLimitPerMinute === undefined ? before.rateLimitPerMinute : changes.rateLimitPerMinute,
        allowedIps: changes.allowedIps ?? before.allowedIps,
      };
      return { result: updated, event: { action: 'API_KEY_UPDATED', apiKeyId: before.id, changes: changedFields(was, is) } };
    });
  }

  /**
   * A new secret for the same key. The previous secret works until the grace
   * period ends; one that an earlier roll kept ends at once.
   */
  roll(
    db: PrismaClient,
    actor: Actor,
    id: string,
    graceSeconds: number,
    now: Date,
    selection: Selection = {},
  ): Promise<{ apiKey: ApiKey; secret: string }> {
    return this.change(db, actor, id, async (tx, before) => {
      const status = keyStatus(before, now);
      if (status !== 'ACTIVE') throw new BadUserInputError(`The API key is ${status.toLowerCase()}: it cannot be rolled.`, 'id');
      const { secret, hash, prefix } = generateSecret();
      const graceEnds = graceSeconds > 0 ? new Date(now.getTime() + graceSeconds * 1000) : null;
      const apiKey = (await tx.apiKey.update({
        ...selection,
        where: { id: before.id },
        data: {
          secretHash: hash,
          prefix,
          previousSecretHash: graceEnds ? before.secretHash : null,
          previousSecretExpiresAt: graceEnds,
        },
      })) as ApiKey;
      const changes = changedFields(
        { prefix: before.prefix, previousSecretExpiresAt: null },
        { prefix, previousSecretExpiresAt: iso(graceEnds) },
      );
      return { result: { apiKey, secret }, event: { action: 'API_KEY_ROLLED', apiKeyId: before.id, changes } };
    });
  }

  /** For good: the key stays listed, with its history, and authenticates nothing again. */
  revoke(db: PrismaClient, actor: Actor, id: string, now: Date, selection: Selection = {}): Promise<ApiKey> {
    return this.change(db, actor, id, async (tx, before) => {
      if (before.revokedAt) throw new BadUserInputError('The API key is already revoked.', 'id');
      const revoked = (await tx.apiKey.update({
        ...selection,
        where: { id: before.id },
        data: { revokedAt: now, previousSecretHash: null, previousSecretExpiresAt: null },
      })) as ApiKey;
      const changes = changedFields({ revokedAt: null }, { revokedAt: iso(now) });
      return { result: revoked, event: { action: 'API_KEY_REVOKED', apiKeyId: before.id, changes } };
    });
  }

  /**
   * Locks the key's row (concurrent changes of one key apply one after the
   * other, so each event's "before" is what the previous one left), then runs
   * `write` with the audit event it returns.
   */
  private async change<T>(
    db: PrismaClient,
    actor: Actor,
    id: string,
    write: (
      tx: Prisma.TransactionClient,
      before: KeyLifecycle & {
        id: string;
        name: string;
        prefix: string;
        secretHash: string;
        rateLimitPerMinute: number | null;
        allowedIps: string[];
        scope: ReturnType<typeof scopeForAudit>;
      },
    ) => Promise<{ result: T; event: AuditEntry }>,
  ): Promise<T> {
    if (!isUuid(id)) throw new NotFoundError('API key', id);
    const drop = () => this.cache?.drop((key) => key.id === id);
    drop();
    let result: T;
    try {
      result = await audited(db, actor, async (tx) => {
        // Raw SQL for FOR UPDATE; the account is in the filter, as the tenant client would put it.
        const locked = await tx.$queryRaw<{ id: string }[]>`
          SELECT id::text FROM "ApiKey" WHERE id = ${id}::uuid AND "accountId" = ${actor.accountId}::uuid FOR UPDATE`;
        if (locked.length === 0) throw new NotFoundError('API key', id);
        const row = await tx.apiKey.findUniqueOrThrow({
          where: { id },
          include: { channels: { select: { channel: { select: { slug: true } } }, orderBy: { channel: { slug: 'asc' } } } },
        });
        const scope = { kind: row.scopeKind, channels: row.channels.map((c) => c.channel.slug) };
        return write(tx, { ...row, scope });
      });
    } finally {
      drop();
    }
    // Committed: answered once no instance can still serve the key as it was.
    await this.cache?.settled();
    return result;
  }
}

/** A request's way to the account's keys: reads through the tenant client, every write through the store. */
export class ApiKeyService {
  /** Usage of listed keys, one query per distinct `days` however many keys a list shows. */
  private readonly usageLoader: DataLoader<{ keyId: string; days: number }, UsageDay[], string>;

  constructor(private readonly scope: RequestScope) {
    const { db, shared } = scope;
    this.usageLoader = new DataLoader(
      async (requests) => {
        const results = new Map<number, Map<string, UsageDay[]>>();
        for (const days of new Set(requests.map((r) => r.days))) {
          const ids = requests.filter((r) => r.days === days).map((r) => r.keyId);
          results.set(days, await usageOf(db, ids, days, shared.usage));
        }
        return requests.map(({ keyId, days }) => results.get(days)?.get(keyId) ?? []);
      },
      { cacheKeyFn: ({ keyId, days }) => `${keyId}:${days}` },
    );
  }

  private get store(): ApiKeyStore {
    return this.scope.shared.keys;
  }

  /** Every key of the account, newest first. */
  list(selection: Selection): Promise<ApiKey[]> {
    return this.scope.db.apiKey.findMany({
      ...selection,
      where: { accountId: accountOf(this.scope) },
      orderBy: { seq: 'desc' },
    }) as Promise<ApiKey[]>;
  }

  find(id: string, selection: Selection): Promise<ApiKey | null> {
    return this.scope.db.apiKey.findFirst({
      ...selection,
      where: { ...idFilter(id), accountId: accountOf(this.scope) },
    }) as Promise<ApiKey | null>;
  }

  usage(keyId: string, days: number): Promise<UsageDay[]> {
    return this.usageLoader.load({ keyId, days });
  }

  create(input: { name: string; scope: ScopeData } & KeySettings): Promise<{ apiKey: ApiKey; secret: string }> {
    const actor = actorOf(this.scope);
    if (!actor.memberId) throw new Error('createApiKey: members only');
    return this.store.create(this.scope.db, { ...actor, memberId: actor.memberId }, input);
  }

  update(id: string, changes: KeyChanges, selection: Selection): Promise<ApiKey> {
    return this.store.update(this.scope.db, actorOf(this.scope), id, changes, selection);
  }

  roll(id: string, graceSeconds: number): Promise<{ apiKey: ApiKey; secret: string }> {
    return this.store.roll(this.scope.db, actorOf(this.scope), id, graceSeconds, new Date());
  }

  revoke(id: string, selection: Selection): Promise<ApiKey> {
    return this.store.revoke(this.scope.db, actorOf(this.scope), id, new Date(), selection);
  }
}
