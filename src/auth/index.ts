import type { PrismaClient } from '../db/index.ts';
import { RateLimitedError, UnauthenticatedError } from '../errors.ts';
import type { KeyScope } from '../scoping/rules.ts';
import { displayPrefix, hashSecret, isWellFormedSecret, looksLikeApiKey, sameHash } from './api-keys.ts';
import type { VerifyMemberToken } from './jwt.ts';
import type { KeyCache } from './key-cache.ts';
import type { FailureStore } from './rate-limit.ts';

export interface ApiKeyCaller {
  kind: 'key';
  accountId: string;
  key: { id: string; name: string; scope: KeyScope };
}

export interface MemberCaller {
  kind: 'member';
  accountId: string;
  memberId: string;
}

export type Caller = { kind: 'anonymous' } | MemberCaller | ApiKeyCaller;

/** lastUsedAt is accurate to a minute: a key writes it at most once a minute. */
const LAST_USED_PRECISION_MS = 60_000;

/** `source`: the client's address, for rate limiting failed attempts. */
export type Authenticate = (request: Request, source: string) => Promise<Caller>;

// Same answer for malformed, unknown and wrong keys: nothing to learn from it.
const invalidKey = () => new UnauthenticatedError('The API key is invalid.');

/** The token of `Authorization: Bearer <token>`, or null for any other shape. */
function bearerToken(header: string): string | null {
  return /^Bearer\s+(\S+)\s*$/i.exec(header)?.[1] ?? null;
}

export interface FailureStores {
  /** Failures that cost a lookup: shared by a fleet (the database on PostgreSQL). */
  shared: FailureStore;
  /** Malformed keys, refused without any database work: counted in this process. */
  local: FailureStore;
}

export function createAuthenticator(
  db: PrismaClient,
  verifyMemberToken: VerifyMemberToken,
  failures: FailureStores,
  keyCache?: KeyCache,
): Authenticate {
  /** lastUsedAt is accurate to a minute: written at most once a minute, before the response. */
  async function touch(keyId: string, lastUsedAt: number | null, now: number): Promise<boolean> {
    if (lastUsedAt !== null && now - lastUsedAt < LAST_USED_PRECISION_MS) return false;
    // Raw SQL: Prisma's @updatedAt would bump updatedAt, which means "edited", not "used".
    await db.$executeRaw`
      UPDATE "ApiKey" SET "lastUsedAt" = ${new Date(now)}
      WHERE id = ${keyId}::uuid AND ("lastUsedAt" IS NULL OR "lastUsedAt" < ${new Date(now - LAST_USED_PRECISION_MS)})`;
    return true;
  }

  /** `secret` is well formed (checked before any database work). */
  async function apiKeyCaller(secret: string): Promise<ApiKeyCaller> {
    const hash = hashSecret(secret);
    const cached = keyCache?.get(hash);
    if (cached) {
      const now = Date.now();
      if (await touch(cached.caller.key.id, cached.lastUsedAt, now)) cached.lastUsedAt = now;
      return cached.caller;
    }
    const startedAt = keyCache?.begin() ?? 0;
    const key = await db.apiKey.findUnique({
      where: { secretHash: hash },
      select: {
        id: true,
        accountId: true,
        name: true,
        scopeKind: true,
        secretHash: true,
        lastUsedAt: true,
        channels: { select: { slug: true } },
      },
    });
    if (!key || !sameHash(key.secretHash, hash)) throw invalidKey();
    const now = Date.now();
    const lastUsedAt = (await touch(key.id, key.lastUsedAt?.getTime() ?? null, now)) ? now : (key.lastUsedAt?.getTime() ?? null);
    const scope: KeyScope = key.scopeKind === 'ALL' ? { kind: 'ALL' } : { kind: 'CHANNELS', channels: key.channels.map((c) => c.slug) };
    const caller: ApiKeyCaller = { kind: 'key', accountId: key.accountId, key: { id: key.id, name: key.name, scope } };
    keyCache?.set(hash, { caller, lastUsedAt }, startedAt);
    return caller;
  }

  async function memberCaller(token: string): Promise<MemberCaller> {
    const { subject, accountSlug } = await verifyMemberToken(token);
    const found = await db.member.findFirst({
      where: { subject, account: { slug: accountSlug } },
      select: { id: true, accountId: true },
    });
    if (found) return { kind: 'member', accountId: found.accountId, memberId: found.id };
    // First request of a member (and maybe of the account): provision both, race-safe.
    const account = await db.account.upsert({
      where: { slug: accountSlug },
      create: { slug: accountSlug },
      update: {},
      select: { id: true },
    });
    const member = await db.member.upsert({
      where: { accountId_subject: { accountId: account.id, subject } },
      create: { accountId: account.id, subject },
      update: {},
      select: { id: true },
    });
    return { kind: 'member', accountId: account.id, memberId: member.id };
  }

  return async (request, source) => {
    const header = request.headers.get('authorization');
    if (header === null) return { kind: 'anonymous' };
    const token = bearerToken(header);
    const isKey = token !== null && looksLikeApiKey(token);
    const buckets = [`ip:${source}`, ...(isKey ? [`key:${displayPrefix(token)}`] : [])];
    if (token === null || (isKey && !isWellFormedSecret(token))) {
      const blocked = await failures.local.fail(buckets);
      if (blocked > 0) throw new RateLimitedError(blocked);
      throw token === null ? new UnauthenticatedError('The Authorization header must be: Bearer <API key or member token>.') : invalidKey();
    }
    // Checked alongside verification, not before it: a blocked caller learns
    // nothing from the outcome, and an allowed one waits for one round trip.
    // A blocked address is refused outright (stolen credentials cannot be
    // tested); a blocked key prefix refuses only wrong keys, or anyone who saw
    // a prefix could lock the real key out.
    const [blocked, outcome] = await Promise.all([
      failures.shared.blockedFor([`ip:${source}`]),
      (isKey ? apiKeyCaller(token) : memberCaller(token)).then(
        (caller) => ({ caller }),
        (error: unknown) => ({ error }),
      ),
    ]);
    if (blocked > 0) throw new RateLimitedError(blocked);
    if ('caller' in outcome) return outcome.caller;
    if (!(outcome.error instanceof UnauthenticatedError)) throw outcome.error;
    const after = await failures.shared.fail(buckets);
    throw after > 0 ? new RateLimitedError(after) : outcome.error;
  };
}
