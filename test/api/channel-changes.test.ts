// Channel.recipientCount, updateChannel and deleteChannel (members only, each refusal beside its allowed twin).
import {
  AuditEvents,
  ChannelsWithCounts,
  DeleteChannel,
  Inbox,
  MessageById,
  Messages,
  RecipientByExternalId,
  RevokeApiKey,
  UpdateChannel,
} from '../support/documents.ts';
import { describe, expect, type TestAccount, type TestKey, test } from '../support/fixtures.ts';
import { dataOf, errorOf } from '../support/herald.ts';

async function lastEvent(account: TestAccount) {
  return dataOf(await account.run(AuditEvents, { first: 1 })).auditEvents.edges[0]?.node;
}

describe('Channel.recipientCount', () => {
  test('recipients subscribed now, for every caller that sees the channel', async ({ account }) => {
    await account.channels('news', 'billing', 'empty');
    await account.recipient('ada', ['news']);
    await account.recipient('bob', ['news', 'billing']);
    const counts = async (caller: Pick<TestAccount | TestKey, 'run'>) =>
      Object.fromEntries(dataOf(await caller.run(ChannelsWithCounts)).channels.map((c) => [c.slug, c.recipientCount]));
    expect(await counts(account)).toEqual({ billing: 1, empty: 0, news: 2 });
    const key = await account.key({ kind: 'CHANNELS', channels: ['news'] });
    expect(await counts(key)).toEqual({ news: 2 });
  });
});

describe('updateChannel', () => {
  test('renames a channel; its slug stays; the trail has the name before and after', async ({ account }) => {
    const id = await account.channel('news', 'News');
    await account.recipient('ada', ['news']);
    const renamed = dataOf(await account.run(UpdateChannel, { input: { id, name: '  Company news ' } })).updateChannel;
    expect(renamed).toEqual({ id, slug: 'news', name: 'Company news', recipientCount: 1 });
    expect(await lastEvent(account)).toMatchObject({
      action: 'CHANNEL_UPDATED',
      changes: { slug: { before: 'news', after: 'news' }, name: { before: 'News', after: 'Company news' } },
    });
  });

  test('refused twins: a key (403), an unknown or another account’s id (NOT_FOUND), a bad name (400); nothing changes', async ({
    account,
    other,
  }) => {
    const id = await account.channel('news', 'News');
    const theirs = await other.channel('news', 'Theirs');
    const key = await account.key({ kind: 'ALL' });
    const before = await account.snapshot();
    const theirsBefore = await other.snapshot();
    expect(errorOf(await key.run(UpdateChannel, { input: { id, name: 'By key' } }))).toMatchObject({ code: 'FORBIDDEN', status: 403 });
    for (const unknown of [theirs, '00000000-0000-4000-8000-000000000000', 'not-an-id']) {
      expect(errorOf(await account.run(UpdateChannel, { input: { id: unknown, name: 'Stolen' } }))).toMatchObject({
        code: 'NOT_FOUND',
        status: 200,
      });
    }
    for (const name of ['  ', 'n'.repeat(101), 'two\nlines']) {
      expect(errorOf(await account.run(UpdateChannel, { input: { id, name } }))).toMatchObject({ code: 'BAD_USER_INPUT', status: 400 });
    }
    expect(await account.snapshot()).toEqual(before);
    expect(await other.snapshot()).toEqual(theirsBefore);
    // The allowed twin.
    expect(dataOf(await account.run(UpdateChannel, { input: { id, name: 'n'.repeat(100) } })).updateChannel.name).toHaveLength(100);
  });
});

describe('deleteChannel', () => {
  test('refused while keys that are not revoked (expired ones included) are scoped to it, naming them; allowed once revoked', async ({
    account,
    herald,
  }) => {
    const [marketing, billing] = await account.channels('marketing', 'billing');
    const sender = await account.key({ kind: 'CHANNELS', channels: ['billing'] }, 'Billing sender');
    const ops = await account.key({ kind: 'CHANNELS', channels: ['marketing', 'billing'] }, 'Ops');
    const other = await account.key({ kind: 'CHANNELS', channels: ['marketing'] }, 'Marketing only');
    await herald.db.prisma.apiKey.update({ where: { id: ops.id }, data: { expiresAt: new Date(Date.now() - 1000) } });
    const before = await account.snapshot();
    expect(errorOf(await account.run(DeleteChannel, { id: billing }))).toEqual({
      code: 'BAD_USER_INPUT',
      status: 400,
      message: 'Channel "billing" is in the scope of API keys "Billing sender", "Ops": edit or revoke them first.',
    });
    expect(await account.snapshot()).toEqual(before);

    dataOf(await account.run(RevokeApiKey, { id: sender.id }));
    expect(errorOf(await account.run(DeleteChannel, { id: billing })).message).toBe(
      'Channel "billing" is in the scope of API key "Ops": edit or revoke it first.',
    );
    dataOf(await account.run(RevokeApiKey, { id: ops.id }));
    expect(dataOf(await account.run(DeleteChannel, { id: billing })).deleteChannel).toEqual({ id: billing });
    expect(dataOf(await account.run(ChannelsWithCounts)).channels.map((c) => c.id)).toEqual([marketing]);
    expect(await lastEvent(account)).toMatchObject({
      action: 'CHANNEL_DELETED',
      changes: { slug: { before: 'billing', after: null }, name: { before: 'billing', after: null } },
    });
    // The key scoped to another channel was never in the way.
    expect(other.id).toBeTruthy();
  });

  test('removes the memberships, keeps the recipients; past messages keep their history, and a key’s view does not grow', async ({
    account,
    herald,
  }) => {
    const [, billing] = await account.channels('marketing', 'billing');
    await account.recipient('ada', ['marketing']);
    await account.recipient('bob', ['marketing', 'billing']);
    await account.recipient('cy', ['billing']);
    const all = await account.key({ kind: 'ALL' });
    const marketingKey = await account.key({ kind: 'CHANNELS', channels: ['marketing'] });
    const both = dataOf(await all.send(['marketing', 'billing'], 'to marketing and billing')).send.message;
    const marketingOnly = dataOf(await all.send(['marketing'], 'to marketing')).send.message;
    const seenByKey = async () => dataOf(await marketingKey.run(Messages, { first: 100 })).messages;
    expect((await seenByKey()).edges.map((e) => e.node.title)).toEqual(['to marketing']);
    const { token } = await account.inboxOf('bob');

    dataOf(await account.run(DeleteChannel, { id: billing }));

    // The recipients stay, without the channel.
    const bob = dataOf(await account.run(RecipientByExternalId, { externalId: 'bob' })).recipient;
    expect(bob?.channels).toEqual([{ slug: 'marketing' }]);
    expect(dataOf(await account.run(RecipientByExternalId, { externalId: 'cy' })).recipient?.channels).toEqual([]);
    // The key scoped to marketing still sees only what went to marketing alone: in the list, its count and by id.
    const after = await seenByKey();
    expect(after.edges.map((e) => e.node.title)).toEqual(['to marketing']);
    expect(after.totalCount).toBe(1);
    expect(dataOf(await marketingKey.run(MessageById, { id: both.id })).message).toBeNull();
    expect(dataOf(await marketingKey.run(MessageById, { id: marketingOnly.id })).message?.title).toBe('to marketing');
    // The message is still there, with its recipient count and the slugs it went to.
    expect(dataOf(await account.run(MessageById, { id: both.id })).message).toMatchObject({
      recipientCount: 3,
      deliveryStats: { recipients: 3 },
    });
    const stored = await herald.db.prisma.message.findUniqueOrThrow({ where: { id: both.id } });
    expect(stored.channelSlugs).toEqual(['billing', 'marketing']);
    const inbox = dataOf(await herald.execute(Inbox, { first: 10 }, { token })).inbox;
    expect(inbox.edges.map((e) => e.node.channels)).toEqual([['marketing'], ['billing', 'marketing']]);
    // A new channel with the old slug is a new channel: nobody in it.
    await account.channel('billing');
    expect(dataOf(await account.run(ChannelsWithCounts)).channels.find((c) => c.slug === 'billing')?.recipientCount).toBe(0);
  });

  test('refused twins: a key (403), an unknown or another account’s id (NOT_FOUND); nothing changes', async ({ account, other }) => {
    const id = await account.channel('news');
    const theirs = await other.channel('news');
    const key = await account.key({ kind: 'ALL' });
    const before = await account.snapshot();
    const theirsBefore = await other.snapshot();
    expect(errorOf(await key.run(DeleteChannel, { id }))).toMatchObject({ code: 'FORBIDDEN', status: 403 });
    for (const unknown of [theirs, '00000000-0000-4000-8000-000000000000', 'not-an-id']) {
      expect(errorOf(await account.run(DeleteChannel, { id: unknown }))).toMatchObject({ code: 'NOT_FOUND', status: 200 });
    }
    expect(await account.snapshot()).toEqual(before);
    expect(await other.snapshot()).toEqual(theirsBefore);
    expect(dataOf(await account.run(DeleteChannel, { id })).deleteChannel.id).toBe(id);
    expect(errorOf(await account.run(DeleteChannel, { id })).code).toBe('NOT_FOUND');
  });
});
