// Every field that takes an id or a slug, tried with another account's: no leak, no change.
import { ApiKeyById, ApiKeys, Channels, CreateApiKey, CreateRecipient, Messages, Send, UpdateApiKey } from '../support/documents.ts';
import { describe, expect, test } from '../support/fixtures.ts';
import { dataOf, errorOf } from '../support/herald.ts';

describe('tenant isolation', () => {
  test('another account’s ids and slugs are unknown here, for members and for both kinds of key', async ({ account, other }) => {
    await other.channels('their-channel');
    await other.recipient('their-recipient', ['their-channel']);
    const theirKey = await other.key({ kind: 'CHANNELS', channels: ['their-channel'] });
    dataOf(await theirKey.send(undefined));
    await account.channels('ours');
    const allKey = await account.key({ kind: 'ALL' });
    const scopedKey = await account.key({ kind: 'CHANNELS', channels: ['ours'] });
    const theirs = await other.snapshot();
    const ours = await account.snapshot();

    // Lookups by id: null, never their key.
    expect(dataOf(await account.run(ApiKeyById, { id: theirKey.id })).apiKey).toBeNull();
    // Mutations by id: NOT_FOUND.
    expect(errorOf(await account.run(UpdateApiKey, { input: { id: theirKey.id, name: 'mine now' } })).code).toBe('NOT_FOUND');
    expect(errorOf(await account.run(UpdateApiKey, { input: { id: theirKey.id, scope: { kind: 'ALL' } } })).code).toBe('NOT_FOUND');
    // Slugs: their channel does not exist here.
    const scope = { kind: 'CHANNELS' as const, channels: ['their-channel'] };
    expect(errorOf(await account.run(CreateApiKey, { input: { name: 'k', scope } })).code).toBe('BAD_USER_INPUT');
    expect(errorOf(await account.run(CreateRecipient, { input: { externalId: 'r', channels: ['their-channel'] } })).code).toBe(
      'BAD_USER_INPUT',
    );
    expect(errorOf(await account.run(UpdateApiKey, { input: { id: allKey.id, scope } })).code).toBe('BAD_USER_INPUT');
    expect(
      errorOf(await allKey.run(Send, { input: { target: { channels: ['their-channel'] }, message: { title: 't', body: 'b' } } })).code,
    ).toBe('BAD_USER_INPUT');
    expect(errorOf(await allKey.run(CreateRecipient, { input: { externalId: 'r', channels: ['their-channel'] } })).code).toBe(
      'BAD_USER_INPUT',
    );
    expect(
      errorOf(await scopedKey.run(Send, { input: { target: { channels: ['their-channel'] }, message: { title: 't', body: 'b' } } })).code,
    ).toBe('FORBIDDEN');
    // Lists: nothing of theirs.
    for (const caller of [account, allKey, scopedKey]) {
      expect(dataOf(await caller.run(Channels)).channels.map((c) => c.slug)).not.toContain('their-channel');
      expect(dataOf(await caller.run(Messages, {})).messages.totalCount).toBe(0);
    }
    expect(dataOf(await account.run(ApiKeys)).apiKeys.map((k) => k.id)).not.toContain(theirKey.id);
    // An ALL send here reaches only our recipients (none).
    expect(dataOf(await allKey.send(undefined)).send.message.recipientCount).toBe(0);

    expect(await other.snapshot()).toEqual(theirs);
    const after = (await account.snapshot()) as { messages: unknown[] };
    expect(after.messages).toHaveLength(1);
    expect({ ...after, messages: null, deliveries: null }).toEqual({ ...(ours as object), messages: null, deliveries: null });
  });

  test('a token for another account slug is another tenant, even with the same subject', async ({ herald, account }) => {
    await account.channels('ours');
    const sameSubject = await herald.memberToken(`${account.slug}-x`, 'shared-subject');
    expect(dataOf(await herald.execute(Channels, undefined, { token: sameSubject })).channels).toEqual([]);
  });
});
