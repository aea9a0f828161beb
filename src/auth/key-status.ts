// Whether a key authenticates, from its fields and the clock: one pure function
// that authentication calls and that the API reports as ApiKey.status.

export type KeyStatus = 'ACTIVE' | 'EXPIRED' | 'REVOKED';

export interface KeyLifecycle {
  revokedAt: Date | null;
  expiresAt: Date | null;
  previousSecretExpiresAt: Date | null;
}

/** Which of the key's secrets a request presented. */
export type PresentedSecret = 'current' | 'previous';

export type SecretDecision = { ok: true } | { ok: false; reason: 'REVOKED' | 'EXPIRED' | 'PREVIOUS_SECRET_ENDED' };

/** Revoked wins over expired: a revoked key stays revoked whatever its expiry says. */
export function keyStatus(key: Pick<KeyLifecycle, 'revokedAt' | 'expiresAt'>, now: Date): KeyStatus {
  if (key.revokedAt !== null) return 'REVOKED';
  if (key.expiresAt !== null && key.expiresAt.getTime() <= now.getTime()) return 'EXPIRED';
  return 'ACTIVE';
}

/** Until when the previous secret still works; null when it no longer does (or there is none). */
export function previousSecretActiveUntil(key: KeyLifecycle, now: Date): Date | null {
  const until = key.previousSecretExpiresAt;
  return until !== null && until.getTime() > now.getTime() ? until : null;
}

/** Whether a request that presented this secret of the key is authenticated now. */
export function checkSecret(key: KeyLifecycle, presented: PresentedSecret, now: Date): SecretDecision {
  const status = keyStatus(key, now);
  if (status !== 'ACTIVE') return { ok: false, reason: status };
  if (presented === 'previous' && previousSecretActiveUntil(key, now) === null) return { ok: false, reason: 'PREVIOUS_SECRET_ENDED' };
  return { ok: true };
}
