// API-key verification: a typed result, never a throw, so the caller decides
// what a refusal costs (the same 401 for every reason, counted as a failure).
import type { ApiKeyStore } from '../data/api-keys.ts';
import { hashSecret } from './api-keys.ts';
import type { ApiKeyCaller } from './caller.ts';
import { checkSecret } from './key-status.ts';

export type KeyVerification =
  | { valid: true; caller: ApiKeyCaller }
  | { valid: false; code: 'NOT_FOUND' | 'REVOKED' | 'EXPIRED' | 'PREVIOUS_SECRET_ENDED' };

export type VerifyKey = (secret: string) => Promise<KeyVerification>;

/** `secret` is well formed (its checksum was checked before any database work). */
export function createKeyVerifier(keys: ApiKeyStore, clock: () => number = Date.now): VerifyKey {
  return async (secret) => {
    const hash = hashSecret(secret);
    let found = await keys.findBySecretHash(hash);
    let now = clock();
    let decision = found && checkSecret(found.key, found.key.presented, new Date(now));
    if (found?.cached && !decision?.ok) {
      found = await keys.findBySecretHash(hash, { fresh: true });
      now = clock();
      decision = found && checkSecret(found.key, found.key.presented, new Date(now));
    }
    if (!found || !decision) return { valid: false, code: 'NOT_FOUND' };
    if (!decision.ok) return { valid: false, code: decision.reason };
    const { key } = found;
    await keys.markUsed(key, now);
    const { id, name, scope, rateLimitPerMinute, allowList } = key;
    return { valid: true, caller: { kind: 'key', accountId: key.accountId, key: { id, name, scope, rateLimitPerMinute, allowList } } };
  };
}
