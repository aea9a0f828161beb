// API-key verification: a typed result, never a throw, so the caller decides
// what a refusal costs (the same 401 for every reason, counted as a failure).
import type { ApiKeyStore } from '../data/api-keys.ts';
import type { WorkScope } from '../db/deadline.ts';
import type { Prisma } from '../generated/prisma/client.ts';
import { hashSecret } from './api-keys.ts';
import type { ApiKeyCaller } from './caller.ts';
import { checkSecret } from './key-status.ts';

export type KeyVerification =
  | { valid: true; caller: ApiKeyCaller }
  | { valid: false; code: 'NOT_FOUND' | 'REVOKED' | 'EXPIRED' | 'PREVIOUS_SECRET_ENDED' };

/**
 * `alongside`: another check of the request, as a SQL expression evaluated in
 * the key's own statement (one round trip); its value comes back as `alongside`.
 * `work`: the request's scope, which bounds the statements.
 */
export type VerifyKey = (secret: string, alongside?: Prisma.Sql, work?: WorkScope) => Promise<KeyVerification & { alongside?: unknown }>;

/** `secret` is well formed (its checksum was checked before any database work). */
export function createKeyVerifier(keys: ApiKeyStore, clock: () => number = Date.now): VerifyKey {
  return async (secret, alongside, work) => {
    const hash = hashSecret(secret);
    let found = await keys.findBySecretHash(hash, { alongside, work });
    let now = clock();
    let decision = found.key && checkSecret(found.key, found.key.presented, new Date(now));
    if (found.cached && !decision?.ok) {
      found = await keys.findBySecretHash(hash, { fresh: true, work });
      now = clock();
      decision = found.key && checkSecret(found.key, found.key.presented, new Date(now));
    }
    const checked = { alongside: found.alongside };
    if (!found.key || !decision) return { valid: false, code: 'NOT_FOUND', ...checked };
    if (!decision.ok) return { valid: false, code: decision.reason, ...checked };
    const { key } = found;
    await keys.markUsed(key, now, work);
    const { id, name, scope, channels, rateLimitPerMinute, allowList } = key;
    return {
      valid: true,
      caller: { kind: 'key', accountId: key.accountId, key: { id, name, scope, channels, rateLimitPerMinute, allowList } },
      ...checked,
    };
  };
}
