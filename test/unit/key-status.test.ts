import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { checkSecret, type KeyLifecycle, keyStatus, previousSecretActiveUntil } from '../../src/auth/key-status.ts';

const NOW = new Date('2026-11-29T12:00:00.000Z');
const at = (seconds: number) => new Date(NOW.getTime() + seconds * 1000);
const key = (fields: Partial<KeyLifecycle> = {}): KeyLifecycle => ({
  revokedAt: null,
  expiresAt: null,
  previousSecretExpiresAt: null,
  ...fields,
});

describe('checkSecret: which presented secret authenticates now', () => {
  test.for([
    ['a plain key, its secret', key(), 'current', { ok: true }],
    ['a key expiring later, its secret', key({ expiresAt: at(1) }), 'current', { ok: true }],
    ['a key expiring this instant', key({ expiresAt: at(0) }), 'current', { ok: false, reason: 'EXPIRED' }],
    ['an expired key', key({ expiresAt: at(-1) }), 'current', { ok: false, reason: 'EXPIRED' }],
    ['a revoked key', key({ revokedAt: at(-60) }), 'current', { ok: false, reason: 'REVOKED' }],
    [
      'a revoked key that has also expired: revoked wins',
      key({ revokedAt: at(-60), expiresAt: at(-1) }),
      'current',
      { ok: false, reason: 'REVOKED' },
    ],
    ['a rolled key, the previous secret within its grace', key({ previousSecretExpiresAt: at(1) }), 'previous', { ok: true }],
    ['a rolled key, the new secret within the grace', key({ previousSecretExpiresAt: at(1) }), 'current', { ok: true }],
    [
      'a rolled key, the previous secret at the grace end',
      key({ previousSecretExpiresAt: at(0) }),
      'previous',
      { ok: false, reason: 'PREVIOUS_SECRET_ENDED' },
    ],
    [
      'a rolled key, the previous secret after its grace',
      key({ previousSecretExpiresAt: at(-1) }),
      'previous',
      { ok: false, reason: 'PREVIOUS_SECRET_ENDED' },
    ],
    ['a rolled key, the new secret after the grace', key({ previousSecretExpiresAt: at(-1) }), 'current', { ok: true }],
    ['a previous secret with no grace recorded', key(), 'previous', { ok: false, reason: 'PREVIOUS_SECRET_ENDED' }],
    [
      'the previous secret of an expired key, within its grace',
      key({ expiresAt: at(-1), previousSecretExpiresAt: at(60) }),
      'previous',
      { ok: false, reason: 'EXPIRED' },
    ],
    [
      'the previous secret of a revoked key, within its grace',
      key({ revokedAt: at(-1), previousSecretExpiresAt: at(60) }),
      'previous',
      { ok: false, reason: 'REVOKED' },
    ],
  ] as const)('%s', ([, state, presented, decision]) => {
    expect(checkSecret(state, presented, NOW)).toEqual(decision);
  });
});

describe('keyStatus and previousSecretActiveUntil: what the API reports', () => {
  test.for([
    [key(), 'ACTIVE'],
    [key({ expiresAt: at(30) }), 'ACTIVE'],
    [key({ expiresAt: at(-30) }), 'EXPIRED'],
    [key({ revokedAt: at(-30) }), 'REVOKED'],
    [key({ revokedAt: at(-30), expiresAt: at(-60) }), 'REVOKED'],
  ] as const)('%o → %s', ([state, status]) => {
    expect(keyStatus(state, NOW)).toBe(status);
  });

  test('the previous secret is reported until its grace ends, then null', () => {
    expect(previousSecretActiveUntil(key({ previousSecretExpiresAt: at(5) }), NOW)).toEqual(at(5));
    expect(previousSecretActiveUntil(key({ previousSecretExpiresAt: at(-5) }), NOW)).toBeNull();
    expect(previousSecretActiveUntil(key(), NOW)).toBeNull();
  });

  test('generated states: a secret authenticates exactly when the key is ACTIVE (and, for the previous secret, its grace runs)', () => {
    const moment = fc.option(fc.integer({ min: -100, max: 100 }).map(at), { nil: null });
    fc.assert(
      fc.property(
        moment,
        moment,
        moment,
        fc.constantFrom('current' as const, 'previous' as const),
        (revokedAt, expiresAt, grace, presented) => {
          const state = key({ revokedAt, expiresAt, previousSecretExpiresAt: grace });
          const active = keyStatus(state, NOW) === 'ACTIVE';
          const graceRuns = previousSecretActiveUntil(state, NOW) !== null;
          expect(checkSecret(state, presented, NOW).ok).toBe(active && (presented === 'current' || graceRuns));
        },
      ),
    );
  });
});
