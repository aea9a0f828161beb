import type { CreateRecipientInput } from '../generated/graphql.ts';
import { Channels, CreateChannel, CreateRecipient } from '../support/documents.ts';
import { describe, expect, test } from '../support/fixtures.ts';
import { dataOf, errorOf } from '../support/herald.ts';

describe('createChannel', () => {
  test('creates a channel; channels lists them sorted by slug', async ({ account }) => {
    const created = dataOf(await account.run(CreateChannel, { input: { slug: ' test-devices ', name: ' Test devices ' } })).createChannel;
    expect(created).toMatchObject({ slug: 'test-devices', name: 'Test devices' });
    await account.channel('marketing');
    expect(dataOf(await account.run(Channels)).channels.map((c) => c.slug)).toEqual(['marketing', 'test-devices']);
  });

  test.for([
    ['a slug of 64 characters', 'a'.repeat(64), 'N', true],
    ['a slug of 65 characters', 'a'.repeat(65), 'N', false],
    ['an uppercase slug', 'Marketing', 'N', false],
    ['a slug with a space inside', 'new users', 'N', false],
    ['a slug with an underscore', 'new_users', 'N', false],
    ['an empty slug', '  ', 'N', false],
    ['a name of 100 characters', 'ok', 'n'.repeat(100), true],
    ['a name of 101 characters', 'ok', 'n'.repeat(101), false],
    ['a blank name', 'ok', '  ', false],
    ['a name with a line break', 'ok', 'two\nlines', false],
  ] as const)('%s', async ([, slug, name, accepted], { account }) => {
    const before = await account.snapshot();
    const result = await account.run(CreateChannel, { input: { slug, name } });
    if (accepted) dataOf(result);
    else {
      expect(errorOf(result)).toMatchObject({ code: 'BAD_USER_INPUT', status: 400 });
      expect(await account.snapshot()).toEqual(before);
    }
  });

  test('a duplicate slug in the same account: BAD_USER_INPUT; the same slug in another account is fine', async ({ account, other }) => {
    await account.channel('marketing', 'First');
    const before = await account.snapshot();
    const error = errorOf(await account.run(CreateChannel, { input: { slug: 'marketing', name: 'Second' } }));
    expect(error).toMatchObject({ code: 'BAD_USER_INPUT' });
    expect(error.message).toContain('marketing');
    expect(await account.snapshot()).toEqual(before);
    await other.channel('marketing');
  });
});

describe('channels as seen by keys', () => {
  test('a member and an ALL key see every channel; a CHANNELS key only its own', async ({ account }) => {
    await account.channels('billing', 'marketing', 'vip');
    const all = await account.key({ kind: 'ALL' });
    const scoped = await account.key({ kind: 'CHANNELS', channels: ['vip', 'marketing'] });
    const slugs = async (caller: { run: typeof account.run }) => dataOf(await caller.run(Channels)).channels.map((c) => c.slug);
    expect(await slugs(account)).toEqual(['billing', 'marketing', 'vip']);
    expect(await slugs(all)).toEqual(['billing', 'marketing', 'vip']);
    expect(await slugs(scoped)).toEqual(['marketing', 'vip']);
  });
});

describe('createRecipient', () => {
  test('a member subscribes a recipient to any channels, or none', async ({ account }) => {
    await account.channels('marketing', 'billing');
    const r1 = dataOf(
      await account.run(CreateRecipient, { input: { externalId: ' user-1 ', channels: ['marketing', 'billing', 'marketing'] } }),
    );
    expect(r1.createRecipient).toMatchObject({ externalId: 'user-1', channels: [{ slug: 'billing' }, { slug: 'marketing' }] });
    const r2 = dataOf(await account.run(CreateRecipient, { input: { externalId: 'user-2', channels: [] } }));
    expect(r2.createRecipient.channels).toEqual([]);
  });

  test.for([
    ['an externalId of 256 characters', { externalId: 'x'.repeat(256), channels: [] }, true],
    ['an externalId of 257 characters', { externalId: 'x'.repeat(257), channels: [] }, false],
    ['a blank externalId', { externalId: ' ', channels: [] }, false],
    ['an externalId with a control character', { externalId: 'a\u001Bb', channels: [] }, false],
    ['an unknown channel', { externalId: 'u', channels: ['marketing', 'ghost'] }, false],
    ['a malformed channel slug', { externalId: 'u', channels: ['Not A Slug'] }, false],
  ] satisfies [string, CreateRecipientInput, boolean][])('%s', async ([, input, accepted], { account }) => {
    await account.channel('marketing');
    const before = await account.snapshot();
    const result = await account.run(CreateRecipient, { input });
    if (accepted) dataOf(result);
    else {
      expect(errorOf(result)).toMatchObject({ code: 'BAD_USER_INPUT', status: 400 });
      expect(await account.snapshot()).toEqual(before);
    }
  });

  test('a duplicate externalId: BAD_USER_INPUT, nothing written', async ({ account }) => {
    await account.recipient('same', []);
    const before = await account.snapshot();
    expect(errorOf(await account.run(CreateRecipient, { input: { externalId: 'same', channels: [] } })).code).toBe('BAD_USER_INPUT');
    expect(await account.snapshot()).toEqual(before);
  });

  test('an ALL key may create recipients in any channel or none', async ({ account }) => {
    await account.channels('marketing', 'billing');
    const key = await account.key({ kind: 'ALL' });
    dataOf(await key.run(CreateRecipient, { input: { externalId: 'a', channels: ['billing'] } }));
    dataOf(await key.run(CreateRecipient, { input: { externalId: 'b', channels: [] } }));
  });

  test('a CHANNELS key: allowed within its channels; refused outside them or with none (403), nothing written', async ({ account }) => {
    await account.channels('marketing', 'billing');
    const key = await account.key({ kind: 'CHANNELS', channels: ['marketing'] }, 'Signup hook');
    const allowed = dataOf(await key.run(CreateRecipient, { input: { externalId: 'in-scope', channels: ['marketing'] } }));
    expect(allowed.createRecipient.channels).toEqual([{ slug: 'marketing' }]);

    const before = await account.snapshot();
    const outside = errorOf(await key.run(CreateRecipient, { input: { externalId: 'x', channels: ['marketing', 'billing'] } }));
    expect(outside).toEqual({
      code: 'FORBIDDEN',
      status: 403,
      message: 'API key "Signup hook" may not subscribe recipients to channels: billing',
    });
    const none = errorOf(await key.run(CreateRecipient, { input: { externalId: 'y', channels: [] } }));
    expect(none).toMatchObject({ code: 'FORBIDDEN', status: 403 });
    expect(none.message).toContain('at least one of its channels');
    expect(await account.snapshot()).toEqual(before);
  });
});
