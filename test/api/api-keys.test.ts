import type { ScopeInput, UpdateApiKeyInput } from '../generated/graphql.ts';
import { ApiKeyById, ApiKeys, Channels, CreateApiKey, CreateChannel, UpdateApiKey } from '../support/documents.ts';
import { describe, expect, test } from '../support/fixtures.ts';
import { dataOf, errorOf } from '../support/herald.ts';

describe('createApiKey', () => {
  test('returns the secret once; no later response contains it', async ({ account, herald }) => {
    await account.channels('marketing');
    const result = await account.run(CreateApiKey, {
      input: { name: 'Marketing sender', scope: { kind: 'CHANNELS', channels: ['marketing'] } },
    });
    const { secret, apiKey } = dataOf(result).createApiKey;
    expect(apiKey).toMatchObject({
      name: 'Marketing sender',
      scope: { kind: 'CHANNELS', channels: [{ slug: 'marketing' }] },
      lastUsedAt: null,
    });
    expect(secret.startsWith(apiKey.prefix)).toBe(true);

    const later = [
      await account.run(ApiKeys),
      await account.run(ApiKeyById, { id: apiKey.id }),
      await herald.execute(Channels, undefined, { token: secret }),
      await herald.execute('{ __schema { types { name fields { name } } } }', undefined, { token: secret }),
    ];
    for (const response of later) expect(JSON.stringify(response.data)).not.toContain(secret);
    const stored = await herald.db.prisma.apiKey.findUniqueOrThrow({ where: { id: apiKey.id } });
    expect(JSON.stringify(stored)).not.toContain(secret);
    expect(herald.logText.join('\n')).not.toContain(secret);
  });

  test.for([
    ['a name of 100 characters', 'n'.repeat(100), true],
    ['a name of 101 characters', 'n'.repeat(101), false],
    ['a name of 100 characters padded with spaces', `  ${'n'.repeat(100)}  `, true],
    ['a blank name', '   ', false],
    ['an empty name', '', false],
    ['a name with a control character', 'Bad\u0007name', false],
    ['a name in another script', 'Отправитель 📣', true],
  ] as const)('%s', async ([, name, accepted], { account }) => {
    const before = await account.snapshot();
    const result = await account.run(CreateApiKey, { input: { name, scope: { kind: 'ALL' } } });
    if (accepted) {
      expect(dataOf(result).createApiKey.apiKey.name).toBe(name.trim());
    } else {
      expect(errorOf(result)).toMatchObject({ code: 'BAD_USER_INPUT', status: 400 });
      expect(await account.snapshot()).toEqual(before);
    }
  });

  test.for([
    ['ALL with channels', { kind: 'ALL', channels: ['marketing'] }, 'scope.channels must be left out'],
    ['ALL with an empty channel list', { kind: 'ALL', channels: [] }, 'scope.channels must be left out'],
    ['CHANNELS without channels', { kind: 'CHANNELS' }, 'at least one channel'],
    ['CHANNELS with an empty list', { kind: 'CHANNELS', channels: [] }, 'at least one channel'],
    ['CHANNELS with an unknown slug', { kind: 'CHANNELS', channels: ['marketing', 'ghost'] }, 'ghost'],
    ['CHANNELS with a malformed slug', { kind: 'CHANNELS', channels: ['Marketing!'] }, 'lowercase'],
  ] satisfies [string, ScopeInput, string][])('%s: BAD_USER_INPUT, nothing written', async ([, scope, message], { account }) => {
    await account.channels('marketing');
    const before = await account.snapshot();
    const error = errorOf(await account.run(CreateApiKey, { input: { name: 'K', scope } }));
    expect(error.code).toBe('BAD_USER_INPUT');
    expect(error.message).toContain(message);
    expect(await account.snapshot()).toEqual(before);
  });

  test('an API key cannot create keys or channels: 403, nothing written', async ({ account }) => {
    const key = await account.key({ kind: 'ALL' });
    const before = await account.snapshot();
    expect(errorOf(await key.run(CreateApiKey, { input: { name: 'Escalate', scope: { kind: 'ALL' } } }))).toMatchObject({
      code: 'FORBIDDEN',
      status: 403,
    });
    expect(errorOf(await key.run(CreateChannel, { input: { slug: 'x', name: 'x' } }))).toMatchObject({ code: 'FORBIDDEN', status: 403 });
    expect(errorOf(await key.run(UpdateApiKey, { input: { id: key.id, scope: { kind: 'ALL' } } }))).toMatchObject({
      code: 'FORBIDDEN',
      status: 403,
    });
    expect(errorOf(await key.run(ApiKeys))).toMatchObject({ code: 'FORBIDDEN', status: 403 });
    expect(await account.snapshot()).toEqual(before);
  });
});

describe('apiKeys', () => {
  test('newest first, with scope channels sorted', async ({ account }) => {
    await account.channels('b-chan', 'a-chan');
    const names = ['first', 'second', 'third', 'fourth'];
    for (const name of names) await account.key({ kind: 'CHANNELS', channels: ['b-chan', 'a-chan'] }, name);
    const { apiKeys } = dataOf(await account.run(ApiKeys));
    expect(apiKeys.map((k) => k.name)).toEqual([...names].reverse());
    expect(apiKeys[0].scope.channels.map((c) => c.slug)).toEqual(['a-chan', 'b-chan']);
  });

  test('lastUsedAt: null until first use, then set before the response of that first use', async ({ account }) => {
    const key = await account.key({ kind: 'ALL' });
    expect(dataOf(await account.run(ApiKeyById, { id: key.id })).apiKey?.lastUsedAt).toBeNull();
    const before = Date.now();
    dataOf(await key.run(Channels));
    const lastUsedAt = dataOf(await account.run(ApiKeyById, { id: key.id })).apiKey?.lastUsedAt;
    expect(lastUsedAt).not.toBeNull();
    expect(Math.abs(Date.parse(lastUsedAt as string) - before)).toBeLessThan(60_000);
  });

  test('apiKey(id) is null for an unknown id, a malformed id and another account’s key', async ({ account, other }) => {
    const theirs = await other.key({ kind: 'ALL' });
    for (const id of ['00000000-0000-4000-8000-000000000000', 'not-a-uuid', theirs.id]) {
      const result = await account.run(ApiKeyById, { id });
      expect(result.errors).toBeUndefined();
      expect(dataOf(result).apiKey).toBeNull();
    }
  });
});

describe('updateApiKey', () => {
  test('edits name, scope kind and scope channels; updatedAt moves, the secret does not change', async ({ account }) => {
    await account.channels('marketing', 'billing');
    const key = await account.key({ kind: 'ALL' }, 'Before');
    const created = dataOf(await account.run(ApiKeyById, { id: key.id })).apiKey!;
    const { updateApiKey } = dataOf(
      await account.run(UpdateApiKey, {
        input: { id: key.id, name: ' After ', scope: { kind: 'CHANNELS', channels: ['billing', 'marketing'] } },
      }),
    );
    expect(updateApiKey).toMatchObject({
      name: 'After',
      prefix: created.prefix,
      scope: { kind: 'CHANNELS', channels: [{ slug: 'billing' }, { slug: 'marketing' }] },
    });
    const narrowed = dataOf(
      await account.run(UpdateApiKey, { input: { id: key.id, scope: { kind: 'CHANNELS', channels: ['marketing'] } } }),
    );
    expect(narrowed.updateApiKey).toMatchObject({ name: 'After', scope: { channels: [{ slug: 'marketing' }] } });
    const widened = dataOf(await account.run(UpdateApiKey, { input: { id: key.id, scope: { kind: 'ALL' } } }));
    expect(widened.updateApiKey.scope).toEqual({ kind: 'ALL', channels: [] });
    // The same secret still works.
    expect(dataOf(await key.run(Channels)).channels).toHaveLength(2);
  });

  test.for([
    ['a blank name', { name: ' ' }],
    ['a name of 101 characters', { name: 'x'.repeat(101) }],
    ['ALL with channels', { scope: { kind: 'ALL', channels: ['marketing'] } }],
    ['CHANNELS without channels', { scope: { kind: 'CHANNELS' } }],
    ['an unknown slug', { scope: { kind: 'CHANNELS', channels: ['nope'] } }],
    ['a valid name with an invalid scope', { name: 'Fine', scope: { kind: 'CHANNELS', channels: [] } }],
  ] satisfies [string, Omit<UpdateApiKeyInput, 'id'>][])('%s: BAD_USER_INPUT, the key unchanged', async ([, change], { account }) => {
    await account.channels('marketing');
    const key = await account.key({ kind: 'CHANNELS', channels: ['marketing'] }, 'Kept');
    const before = await account.snapshot();
    expect(errorOf(await account.run(UpdateApiKey, { input: { id: key.id, ...change } })).code).toBe('BAD_USER_INPUT');
    expect(await account.snapshot()).toEqual(before);
  });

  test('NOT_FOUND for an unknown id, a malformed id and another account’s key; theirs unchanged', async ({ account, other }) => {
    const theirs = await other.key({ kind: 'ALL' }, 'Theirs');
    const theirBefore = await other.snapshot();
    for (const id of ['00000000-0000-4000-8000-000000000000', 'nope', theirs.id]) {
      const error = errorOf(await account.run(UpdateApiKey, { input: { id, name: 'Hijacked' } }));
      expect(error).toMatchObject({ code: 'NOT_FOUND', status: 200 });
    }
    expect(await other.snapshot()).toEqual(theirBefore);
  });
});
