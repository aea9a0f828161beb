import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import {
  canReachRecipient,
  canSeeMessage,
  checkChannelFilter,
  checkEnrolment,
  checkImport,
  checkRecipientAccess,
  type KeyScope,
  resolveTarget,
} from '../../src/scoping/rules.ts';

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

describe('checkRecipientAccess (a key naming an existing recipient)', () => {
  const BOTH: KeyScope = { kind: 'CHANNELS', channels: ['marketing', 'billing'] };
  test.for([
    ['ALL key reaches any recipient', ALL, [], {}, { ok: true }],
    ['CHANNELS key reaches a recipient in its channel', MARKETING, ['marketing', 'vip'], {}, { ok: true }],
    [
      'CHANNELS key does not reach a recipient in none of its channels',
      MARKETING,
      ['vip'],
      {},
      { ok: false, reason: 'RECIPIENT_OUTSIDE_SCOPE' },
    ],
    ['CHANNELS key does not reach a recipient in no channel', MARKETING, [], {}, { ok: false, reason: 'RECIPIENT_OUTSIDE_SCOPE' }],
    ['allKeysOnly: an ALL key may', ALL, ['vip'], { allKeysOnly: true }, { ok: true }],
    [
      'allKeysOnly: a CHANNELS key may not, even for its own recipient',
      MARKETING,
      ['marketing'],
      { allKeysOnly: true },
      { ok: false, reason: 'ALL_KEYS_ONLY' },
    ],
    ['ALL key replaces the channels with the given ones', ALL, ['vip'], { channels: ['marketing'] }, { ok: true, channels: ['marketing'] }],
    [
      'CHANNELS key replaces only its own channels: the others stay',
      BOTH,
      ['marketing', 'vip'],
      { channels: ['billing'] },
      { ok: true, channels: ['vip', 'billing'] },
    ],
    ['CHANNELS key may remove its own channels', MARKETING, ['marketing', 'vip'], { channels: [] }, { ok: true, channels: ['vip'] }],
    [
      'CHANNELS key may not name a channel outside its scope',
      MARKETING,
      ['marketing'],
      { channels: ['marketing', 'vip'] },
      { ok: false, reason: 'OUTSIDE_SCOPE', slugs: ['vip'] },
    ],
  ] as const)('%s', ([, scope, recipientChannels, options, expected]) => {
    expect(checkRecipientAccess(scope, recipientChannels, options)).toEqual(expected);
  });

  test('whatever a CHANNELS key asks, the recipient’s channels outside its scope never change', () => {
    const slug = fc.constantFrom<string>('marketing', 'billing', 'vip', 'ops', 'news');
    fc.assert(
      fc.property(fc.uniqueArray(slug, { minLength: 1 }), fc.uniqueArray(slug), fc.uniqueArray(slug), (own, before, given) => {
        const scope: KeyScope = { kind: 'CHANNELS', channels: own };
        const decision = checkRecipientAccess(scope, before, { channels: given });
        if (!canReachRecipient(scope, before)) {
          expect(decision).toEqual({ ok: false, reason: 'RECIPIENT_OUTSIDE_SCOPE' });
        } else if (given.some((s) => !own.includes(s))) {
          expect(decision).toMatchObject({ ok: false, reason: 'OUTSIDE_SCOPE' });
        } else {
          if (!decision.ok || !decision.channels) throw new Error('allowed without channels');
          const outside = (list: readonly string[]) => list.filter((s) => !own.includes(s)).sort();
          expect(outside(decision.channels)).toEqual(outside(before));
          expect(decision.channels.filter((s) => own.includes(s)).sort()).toEqual([...given].sort());
        }
      }),
    );
  });
});

describe('checkChannelFilter (a read narrowed to channels)', () => {
  test.for([
    ['ALL key, any channel', ALL, ['billing'], { ok: true }],
    ['ALL key, no channel', ALL, [], { ok: true }],
    ['CHANNELS key, no channel', MARKETING, [], { ok: true }],
    ['CHANNELS key, its channel (padded)', MARKETING, [' marketing '], { ok: true }],
    ['CHANNELS key, a channel outside', MARKETING, ['billing'], { ok: false, reason: 'OUTSIDE_SCOPE', slugs: ['billing'] }],
  ] as const)('%s', ([, scope, slugs, expected]) => {
    expect(checkChannelFilter(scope, slugs)).toEqual(expected);
  });
});

describe('checkImport (upsertRecipients with a key)', () => {
  const row = (channels: string[], existing: string[] | null = null) => ({ channels, existing });
  test.for([
    ['ALL key, anything', ALL, [row([]), row(['billing'], ['vip'])], { ok: true, within: null }],
    [
      'CHANNELS key, new recipients in its channels and ones it reaches',
      MARKETING,
      [row(['marketing']), row(['test-devices'], ['billing', 'marketing']), row([], ['marketing'])],
      { ok: true, within: ['marketing', 'test-devices'] },
    ],
    [
      'CHANNELS key, a new recipient with no channel',
      MARKETING,
      [row(['marketing']), row([])],
      { ok: false, index: 1, reason: 'NO_CHANNEL' },
    ],
    [
      'CHANNELS key, a new recipient outside',
      MARKETING,
      [row(['marketing', 'billing'])],
      { ok: false, index: 0, reason: 'OUTSIDE_SCOPE', slugs: ['billing'] },
    ],
    [
      'CHANNELS key, an existing recipient it cannot reach',
      MARKETING,
      [row(['marketing']), row(['marketing']), row(['marketing'], ['billing'])],
      { ok: false, index: 2, reason: 'RECIPIENT_OUTSIDE_SCOPE' },
    ],
    [
      'CHANNELS key, an existing recipient given a channel outside',
      MARKETING,
      [row(['billing'], ['marketing'])],
      { ok: false, index: 0, reason: 'OUTSIDE_SCOPE', slugs: ['billing'] },
    ],
    [
      'the first refused row is named',
      MARKETING,
      [row(['marketing']), row(['vip']), row([])],
      { ok: false, index: 1, reason: 'OUTSIDE_SCOPE', slugs: ['vip'] },
    ],
  ] as const)('%s', ([, scope, rows, expected]) => {
    expect(checkImport(scope, rows)).toEqual(expected);
  });
});
