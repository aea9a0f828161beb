// A recipient's inbox as its token reads it: every message sent to it, newest
// first, paged by cursor, filtered by state, with counts over the whole inbox;
// marks that change only the recipient's own items; what a message's sender
// sees of it (deliveryStats).
import { Inbox, MarkInbox, MessageById } from '../support/documents.ts';
import { describe, expect, type TestAccount, type TestKey, test } from '../support/fixtures.ts';
import { dataOf, errorOf } from '../support/herald.ts';

/** Sends `n` messages titled `${prefix} 0` … with the key (to its whole scope); their ids, oldest first. */
async function sendMany(key: TestKey, n: number, prefix = 'm'): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < n; i += 1) ids.push(dataOf(await key.send(undefined, `${prefix} ${i}`, `body ${i}`)).send.message.id);
  return ids;
}

async function setUp(account: TestAccount) {
  await account.channels('news', 'billing');
  await account.recipient('ada', ['news']);
  await account.recipient('bob', ['news', 'billing']);
  const news = await account.key({ kind: 'CHANNELS', channels: ['news'] });
  const all = await account.key({ kind: 'ALL' });
  return { news, all, ada: await account.inboxOf('ada'), bob: await account.inboxOf('bob') };
}

describe('inbox', () => {
  test('every message sent to the recipient, newest first, with its channels; paged by cursor', async ({ account }) => {
    const { news, all, ada } = await setUp(account);
    const sent = [...(await sendMany(news, 3, 'news')), ...(await sendMany(all, 2, 'all'))];
    const first = dataOf(await ada.run(Inbox, { first: 2 })).inbox;
    expect(first.totalCount).toBe(5);
    expect(first.edges.map((e) => e.node.id)).toEqual([sent[4], sent[3]]);
    expect(first.edges[0].node).toMatchObject({ title: 'all 1', body: 'body 1', channels: [], seenAt: null, readAt: null });
    expect(first.pageInfo).toMatchObject({ hasNextPage: true, hasPreviousPage: false });
    const second = dataOf(await ada.run(Inbox, { first: 2, after: first.pageInfo.endCursor })).inbox;
    expect(second.edges.map((e) => e.node.id)).toEqual([sent[2], sent[1]]);
    expect(second.edges[0].node.channels).toEqual(['news']);
    const last = dataOf(await ada.run(Inbox, { first: 2, after: second.pageInfo.endCursor })).inbox;
    expect(last.edges.map((e) => e.node.id)).toEqual([sent[0]]);
    expect(last.pageInfo).toMatchObject({ hasNextPage: false, hasPreviousPage: true });
  });

  test('page sizes 0 to 100; another list’s cursor is refused', async ({ account }) => {
    const { ada } = await setUp(account);
    dataOf(await ada.run(Inbox, { first: 0 }));
    dataOf(await ada.run(Inbox, { first: 100 }));
    expect(errorOf(await ada.run(Inbox, { first: 101 }))).toMatchObject({ code: 'BAD_USER_INPUT', message: 'first must be 0 to 100.' });
    const foreign = Buffer.from('message:5').toString('base64url');
    expect(errorOf(await ada.run(Inbox, { after: foreign }))).toMatchObject({ code: 'BAD_USER_INPUT' });
  });

  test('a recipient sees only its own items, whoever else got the same message', async ({ account, other }) => {
    const { news, all, ada, bob } = await setUp(account);
    await account.herald.execute(MarkInbox, { input: { all: true, action: 'READ' } }, { token: bob.token });
    await sendMany(all, 1);
    const billing = await account.key({ kind: 'CHANNELS', channels: ['billing'] });
    const onlyBob = await sendMany(billing, 1, 'billing');
    await sendMany(news, 1);
    expect(dataOf(await ada.run(Inbox)).inbox.edges.map((e) => e.node.id)).not.toContain(onlyBob[0]);
    expect(dataOf(await bob.run(Inbox)).inbox.edges.map((e) => e.node.id)).toContain(onlyBob[0]);
    // Another account's recipient with the same externalId sees nothing of ours.
    await other.recipient('ada', []);
    const theirs = await other.inboxOf('ada');
    expect(dataOf(await theirs.run(Inbox)).inbox.totalCount).toBe(0);
  });

  test('filters: ALL (not archived), UNREAD, UNSEEN, ARCHIVED; counts over the whole inbox', async ({ account }) => {
    const { all, ada } = await setUp(account);
    const [a, b, c, d] = await sendMany(all, 4);
    dataOf(await ada.run(MarkInbox, { input: { ids: [a], action: 'SEEN' } }));
    dataOf(await ada.run(MarkInbox, { input: { ids: [b], action: 'READ' } }));
    dataOf(await ada.run(MarkInbox, { input: { ids: [c], action: 'ARCHIVED' } }));
    const view = async (filter: 'ALL' | 'UNREAD' | 'UNSEEN' | 'ARCHIVED') => {
      const { inbox } = dataOf(await ada.run(Inbox, { filter }));
      return { ids: inbox.edges.map((e) => e.node.id), total: inbox.totalCount, unread: inbox.unreadCount, unseen: inbox.unseenCount };
    };
    expect(await view('ALL')).toEqual({ ids: [d, b, a], total: 3, unread: 2, unseen: 1 });
    expect(await view('UNREAD')).toEqual({ ids: [d, a], total: 2, unread: 2, unseen: 1 });
    expect(await view('UNSEEN')).toEqual({ ids: [d], total: 1, unread: 2, unseen: 1 });
    expect(await view('ARCHIVED')).toEqual({ ids: [c], total: 1, unread: 2, unseen: 1 });
  });
});

describe('markInbox', () => {
  test('each action sets or clears its state; updated counts only the items that changed', async ({ account }) => {
    const { all, ada } = await setUp(account);
    const [a, b] = await sendMany(all, 2);
    const item = async (id: string) => dataOf(await ada.run(Inbox, { first: 10 })).inbox.edges.find((e) => e.node.id === id)?.node;

    expect(dataOf(await ada.run(MarkInbox, { input: { ids: [a], action: 'SEEN' } })).markInbox).toEqual({
      updated: 1,
      unreadCount: 2,
      unseenCount: 1,
    });
    expect(dataOf(await ada.run(MarkInbox, { input: { ids: [a], action: 'SEEN' } })).markInbox.updated).toBe(0);
    // READ sets seenAt too, when it was not set.
    expect(dataOf(await ada.run(MarkInbox, { input: { ids: [a, b], action: 'READ' } })).markInbox).toEqual({
      updated: 2,
      unreadCount: 0,
      unseenCount: 0,
    });
    const read = await item(b);
    expect(read?.readAt).not.toBeNull();
    expect(read?.seenAt).not.toBeNull();
    expect(dataOf(await ada.run(MarkInbox, { input: { ids: [b], action: 'UNREAD' } })).markInbox).toMatchObject({
      updated: 1,
      unreadCount: 1,
    });
    expect((await item(b))?.readAt).toBeNull();
    expect((await item(b))?.seenAt).not.toBeNull();
    expect(dataOf(await ada.run(MarkInbox, { input: { ids: [b], action: 'ARCHIVED' } })).markInbox).toMatchObject({
      updated: 1,
      unreadCount: 0,
    });
    expect(await item(b)).toBeUndefined();
    expect(dataOf(await ada.run(MarkInbox, { input: { ids: [b], action: 'UNARCHIVED' } })).markInbox).toMatchObject({
      updated: 1,
      unreadCount: 1,
    });
    expect((await item(b))?.archivedAt).toBeNull();
  });

  test('all: true marks every item', async ({ account }) => {
    const { all, ada, bob } = await setUp(account);
    await sendMany(all, 3);
    expect(dataOf(await ada.run(MarkInbox, { input: { all: true, action: 'READ' } })).markInbox).toEqual({
      updated: 3,
      unreadCount: 0,
      unseenCount: 0,
    });
    // Bob's inbox is his own.
    expect(dataOf(await bob.run(Inbox)).inbox.unreadCount).toBe(3);
  });

  test('an id that is not the recipient’s own: NOT_FOUND, and nothing changes (its own ids in the call included)', async ({ account }) => {
    const { all, ada, bob } = await setUp(account);
    const [a] = await sendMany(all, 1);
    const billing = await account.key({ kind: 'CHANNELS', channels: ['billing'] });
    const [onlyBob] = await sendMany(billing, 1);
    const before = await account.snapshot();
    for (const ids of [[a, onlyBob], ['not-an-id'], [crypto.randomUUID()]]) {
      expect(errorOf(await ada.run(MarkInbox, { input: { ids, action: 'READ' } }))).toMatchObject({ code: 'NOT_FOUND', status: 200 });
    }
    expect(await account.snapshot()).toEqual(before);
    // The allowed twin: bob marks his own.
    expect(dataOf(await bob.run(MarkInbox, { input: { ids: [onlyBob], action: 'READ' } })).markInbox.updated).toBe(1);
  });

  test('exactly one of ids and all: true; 1 to 1,000 ids', async ({ account }) => {
    const { all, ada } = await setUp(account);
    const [a] = await sendMany(all, 1);
    const before = await account.snapshot();
    for (const input of [
      { action: 'READ' as const },
      { ids: [a], all: true, action: 'READ' as const },
      { ids: [], action: 'READ' as const },
      { all: false, action: 'READ' as const },
      { ids: Array.from({ length: 1_001 }, () => a), action: 'READ' as const },
    ]) {
      expect(errorOf(await ada.run(MarkInbox, { input })).code).toBe('BAD_USER_INPUT');
    }
    expect(await account.snapshot()).toEqual(before);
    expect(
      dataOf(await ada.run(MarkInbox, { input: { ids: Array.from({ length: 1_000 }, () => a), action: 'READ' } })).markInbox.updated,
    ).toBe(1);
  });
});

describe('what the sender sees: message(id) and deliveryStats', () => {
  test('recipients, seen and read follow the inbox; webhook counts are 0 without endpoints', async ({ account }) => {
    const { news, ada, bob } = await setUp(account);
    const [id] = await sendMany(news, 1);
    const stats = async () => dataOf(await account.run(MessageById, { id })).message?.deliveryStats;
    expect(await stats()).toEqual({ recipients: 2, seen: 0, read: 0, webhooksSucceeded: 0, webhooksPending: 0, webhooksFailed: 0 });
    dataOf(await ada.run(MarkInbox, { input: { ids: [id], action: 'SEEN' } }));
    dataOf(await bob.run(MarkInbox, { input: { ids: [id], action: 'READ' } }));
    expect(await stats()).toMatchObject({ recipients: 2, seen: 2, read: 1 });
    // The key that sent it sees it too.
    expect(dataOf(await news.run(MessageById, { id })).message?.deliveryStats.read).toBe(1);
  });

  test('message(id) is null for what the caller may not see: another account’s, a CHANNELS key’s out of scope, a malformed id', async ({
    account,
    other,
  }) => {
    const { all } = await setUp(account);
    const [id] = await sendMany(all, 1);
    const news = await account.key({ kind: 'CHANNELS', channels: ['news'] });
    expect(dataOf(await news.run(MessageById, { id })).message).toBeNull();
    expect(dataOf(await other.run(MessageById, { id })).message).toBeNull();
    expect(dataOf(await account.run(MessageById, { id: 'nope' })).message).toBeNull();
    expect(dataOf(await account.run(MessageById, { id })).message?.id).toBe(id);
  });
});
