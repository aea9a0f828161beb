import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { canSeeMessage, checkEnrolment, type KeyScope, resolveTarget } from '../../src/scoping/rules.ts';

const ALL: KeyScope = { kind: 'ALL' };
const MARKETING: KeyScope = { kind: 'CHANNELS', channels: ['marketing', 'test-devices'] };

describe('resolveTarget: the table of SPEC.md', () => {
  test.for([
    ['ALL, absent → every recipient', ALL, undefined, { ok: true, target: { kind: 'ALL' } }],
    ['ALL, null → every recipient', ALL, null, { ok: true, target: { kind: 'ALL' } }],
    ['ALL, given → the given slugs', ALL, ['billing', 'vip'], { ok: true, target: { kind: 'CHANNELS', channels: ['billing', 'vip'] } }],
    [
      'CHANNELS, absent → the key channels',
      MARKETING,
      undefined,
      { ok: true, target: { kind: 'CHANNELS', channels: ['marketing', 'test-devices'] } },
    ],
    [
      'CHANNELS, subset → the given slugs',
      MARKETING,
      ['test-devices'],
      { ok: true, target: { kind: 'CHANNELS', channels: ['test-devices'] } },
    ],
    [
      'CHANNELS, equal set → the given slugs',
      MARKETING,
      ['test-devices', 'marketing'],
      { ok: true, target: { kind: 'CHANNELS', channels: ['test-devices', 'marketing'] } },
    ],
    [
      'CHANNELS, one outside → refused naming it',
      MARKETING,
      ['marketing', 'billing'],
      { ok: false, reason: 'OUTSIDE_SCOPE', slugs: ['billing'] },
    ],
    [
      'CHANNELS, all outside → refused naming all',
      MARKETING,
      ['billing', 'vip'],
      { ok: false, reason: 'OUTSIDE_SCOPE', slugs: ['billing', 'vip'] },
    ],
    [
      'CHANNELS, unknown slug → refused like any outside slug',
      MARKETING,
      ['does-not-exist'],
      { ok: false, reason: 'OUTSIDE_SCOPE', slugs: ['does-not-exist'] },
    ],
    ['ALL, empty list → targets no one', ALL, [], { ok: false, reason: 'EMPTY_TARGET' }],
    ['CHANNELS, empty list → targets no one', MARKETING, [], { ok: false, reason: 'EMPTY_TARGET' }],
    [
      'duplicates and padding collapse',
      MARKETING,
      [' marketing', 'marketing '],
      { ok: true, target: { kind: 'CHANNELS', channels: ['marketing'] } },
    ],
  ] as const)('%s', ([, scope, requested, expected]) => {
    expect(resolveTarget(scope, requested)).toEqual(expected);
  });
});

const slug = fc.stringMatching(/^[a-z0-9-]{1,8}$/);
const scopeArb: fc.Arbitrary<KeyScope> = fc.oneof(
  fc.constant<KeyScope>({ kind: 'ALL' }),
  fc.uniqueArray(slug, { minLength: 1, maxLength: 6 }).map((channels): KeyScope => ({ kind: 'CHANNELS', channels })),
);
const requestedArb = fc.option(fc.array(slug, { maxLength: 8 }), { nil: undefined });

describe('resolveTarget: generated cases', () => {
  test('an allowed target never reaches outside a CHANNELS key', () => {
    fc.assert(
      fc.property(scopeArb, requestedArb, (scope, requested) => {
        const decision = resolveTarget(scope, requested);
        if (decision.ok && scope.kind === 'CHANNELS') {
          expect(decision.target.kind).toBe('CHANNELS');
          if (decision.target.kind === 'CHANNELS') for (const s of decision.target.channels) expect(scope.channels).toContain(s);
        }
      }),
    );
  });

  test('refused exactly when a requested slug is outside a CHANNELS key, naming exactly those slugs', () => {
    fc.assert(
      fc.property(scopeArb, fc.array(slug, { minLength: 1, maxLength: 8 }), (scope, requested) => {
        const outside = scope.kind === 'ALL' ? [] : [...new Set(requested)].filter((s) => !scope.channels.includes(s));
        const decision = resolveTarget(scope, requested);
        if (outside.length > 0) expect(decision).toEqual({ ok: false, reason: 'OUTSIDE_SCOPE', slugs: outside });
        else expect(decision).toEqual({ ok: true, target: { kind: 'CHANNELS', channels: [...new Set(requested)] } });
      }),
    );
  });

  test('an ALL key is never refused for scope', () => {
    fc.assert(
      fc.property(requestedArb, (requested) => {
        const decision = resolveTarget(ALL, requested);
        expect(decision.ok || (!decision.ok && decision.reason === 'EMPTY_TARGET')).toBe(true);
      }),
    );
  });

  test('absent target = the whole scope; a message sent there is visible to the key', () => {
    fc.assert(
      fc.property(scopeArb, (scope) => {
        const decision = resolveTarget(scope, undefined);
        if (!decision.ok) throw new Error('absent target refused');
        const message =
          decision.target.kind === 'ALL'
            ? { allRecipients: true, channels: [] }
            : { allRecipients: false, channels: decision.target.channels };
        expect(canSeeMessage(scope, message)).toBe(true);
      }),
    );
  });
});

describe('checkEnrolment (createRecipient with a key)', () => {
  test.for([
    ['ALL key, no channels', ALL, [], { ok: true }],
    ['ALL key, any channels', ALL, ['billing'], { ok: true }],
    ['CHANNELS key, its channel', MARKETING, ['marketing'], { ok: true }],
    ['CHANNELS key, no channel', MARKETING, [], { ok: false, reason: 'NO_CHANNEL' }],
    ['CHANNELS key, a channel outside', MARKETING, ['marketing', 'vip'], { ok: false, reason: 'OUTSIDE_SCOPE', slugs: ['vip'] }],
  ] as const)('%s', ([, scope, channels, expected]) => {
    expect(checkEnrolment(scope, channels)).toEqual(expected);
  });
});

describe('canSeeMessage', () => {
  test.for([
    ['ALL key sees an all-recipients message', ALL, { allRecipients: true, channels: [] }, true],
    ['CHANNELS key does not see an all-recipients message', MARKETING, { allRecipients: true, channels: [] }, false],
    ['CHANNELS key sees a message within its channels', MARKETING, { allRecipients: false, channels: ['marketing'] }, true],
    [
      'CHANNELS key does not see a message that also went elsewhere',
      MARKETING,
      { allRecipients: false, channels: ['marketing', 'vip'] },
      false,
    ],
  ] as const)('%s', ([, scope, message, expected]) => {
    expect(canSeeMessage(scope, message)).toBe(expected);
  });
});
