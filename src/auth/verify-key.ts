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
    const key = await keys.findBySecretHash(hash);
    if (!key) return { valid: false, code: 'NOT_FOUND' };
    const now = clock();
    const decision = checkSecret(key, key.presented, new Date(now));
    if (!decision.ok) return { valid: false, code: decision.reason };
    await keys.markUsed(key, now);
    return { valid: true, caller: { kind: 'key', accountId: key.accountId, key: { id: key.id, name: key.name, scope: key.scope } } };
  };
}
