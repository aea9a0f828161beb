// The SQL statements a request sends must not grow with the data: no N+1.
import { ApiKeys, ChannelsWithCounts, DashboardApiKeys, Messages, Recipients, Send } from '../support/documents.ts';
import { describe, expect, test } from '../support/fixtures.ts';
import { dataOf } from '../support/herald.ts';

describe('statements per request do not grow with the data', () => {
  test('apiKeys with scope channels: the same count for 3 keys and for 40', async ({ account, herald }) => {
    const slugs = Array.from({ length: 6 }, (_, i) => `c${i}`);
    await account.channels(...slugs);
    const listCost = async () => (await herald.countStatements(async () => dataOf(await account.run(ApiKeys)))).count;
    for (let i = 0; i < 3; i += 1) await account.key({ kind: 'CHANNELS', channels: slugs.slice(0, 1 + (i % 6)) });
    const few = await listCost();
    for (let i = 3; i < 40; i += 1) await account.key({ kind: 'CHANNELS', channels: slugs.slice(0, 1 + (i % 6)) });
    const many = await listCost();
    expect(dataOf(await account.run(ApiKeys)).apiKeys).toHaveLength(40);
    expect(many).toBe(few);
    // member, keys with their channels, and the failure-limit check on PostgreSQL
    expect(many).toBeLessThanOrEqual(3);
  });

  test('send: the same count for 2 recipients and for 60, for 1 target channel and for 5', async ({ account, herald }) => {
    const slugs = ['a', 'b', 'c', 'd', 'e'];
    await account.channels(...slugs);
    await account.recipients('first', 2, ['a']);
    const key = await account.key({ kind: 'ALL' });
    dataOf(await key.send(['a'])); // the key's first use also writes lastUsedAt
    // Without the key lookup, which memory spares a request on the embedded database always and on PostgreSQL while
    // its lease holds (so whether a request makes it depends on the time between them).
    const sendCost = async (target: string[]) => {
      const { statements } = await herald.countStatements(async () =>
        dataOf(await key.run(Send, { input: { target: { channels: target }, message: { title: 't', body: 'b' } } })),
      );
      return statements.filter((sql) => !sql.includes('k."secretHash"')).length;
    };
    const small = await sendCost(['a']);
    await account.recipients('more', 58, slugs);
    const large = await sendCost(slugs);
    expect(large).toBe(small);
    // the key's rate limit (PostgreSQL without Redis), channels, the send statement, the message
    expect(large).toBeLessThanOrEqual(5);
  });

  test('messages with their channels: the same count for 2 messages and for 30', async ({ account, herald }) => {
    await account.channels('a', 'b');
    const key = await account.key({ kind: 'ALL' });
    const listCost = async () => (await herald.countStatements(async () => dataOf(await account.run(Messages, { first: 100 })))).count;
    for (let i = 0; i < 2; i += 1) dataOf(await key.send(['a', 'b']));
    const few = await listCost();
    for (let i = 0; i < 28; i += 1) dataOf(await key.send(i % 2 ? ['a'] : ['b']));
    expect(await listCost()).toBe(few);
  });

  test('the API Keys page: every key with its status, creator and usage in a constant number of statements', async ({
    account,
    herald,
  }) => {
    const keys = [await account.key({ kind: 'ALL' }), await account.key({ kind: 'ALL' })];
    for (const key of keys) dataOf(await key.send(undefined));
    const cost = async () => (await herald.countStatements(async () => dataOf(await account.run(DashboardApiKeys)))).count;
    const few = await cost();
    for (let i = 0; i < 10; i += 1) dataOf(await (await account.key({ kind: 'ALL' })).send(undefined));
    const listed = dataOf(await account.run(DashboardApiKeys)).apiKeys;
    expect(listed).toHaveLength(12);
    expect(listed.every((k) => k.usage[0]?.messages === 1)).toBe(true);
    expect(await cost()).toBe(few);
  });

  test('channels with their recipientCount: one query for every channel, the same count for 2 channels and for 12', async ({
    account,
    herald,
  }) => {
    await account.channels('c0', 'c1');
    await account.recipients('r', 3, ['c0', 'c1']);
    const cost = async () => (await herald.countStatements(async () => dataOf(await account.run(ChannelsWithCounts)))).count;
    const few = await cost();
    for (let i = 2; i < 12; i += 1) await account.channel(`c${i}`);
    await account.recipients('s', 3, ['c5', 'c11']);
    const channels = dataOf(await account.run(ChannelsWithCounts)).channels;
    expect(channels).toHaveLength(12);
    expect(channels.find((c) => c.slug === 'c11')?.recipientCount).toBe(3);
    expect(channels.find((c) => c.slug === 'c0')?.recipientCount).toBe(3);
    expect(await cost()).toBe(few);
    // member, the channels, their counts (and the failure-limit check on PostgreSQL)
    expect(few).toBeLessThanOrEqual(4);
  });

  test('recipients with their channels: the same count for a page of 2 and of 40, for a member and a CHANNELS key', async ({
    account,
    herald,
  }) => {
    await account.channels('a', 'b');
    const key = await account.key({ kind: 'CHANNELS', channels: ['a'] });
    await account.recipients('first', 2, ['a', 'b']);
    dataOf(await key.run(Recipients, {})); // the key's first use also writes lastUsedAt
    const cost = async (caller: typeof account | typeof key) =>
      (await herald.countStatements(async () => dataOf(await caller.run(Recipients, { first: 100, channel: 'a' })))).count;
    const [memberFew, keyFew] = [await cost(account), await cost(key)];
    await account.recipients('more', 38, ['a', 'b']);
    expect(dataOf(await key.run(Recipients, { first: 100 })).recipients.totalCount).toBe(40);
    expect(await cost(account)).toBe(memberFew);
    expect(await cost(key)).toBe(keyFew);
  });
});
