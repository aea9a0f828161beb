import { Messages } from '../support/documents.ts';
import { describe, expect, test } from '../support/fixtures.ts';
import { dataOf, errorOf } from '../support/herald.ts';

describe('messages', () => {
  test('newest first; pages follow each other with no gap or repeat; totalCount counts all', async ({ account }) => {
    await account.channels('marketing');
    const key = await account.key({ kind: 'ALL' });
    for (let i = 0; i < 7; i += 1) dataOf(await key.send(['marketing'], `m${i}`));
    const seen: string[] = [];
    let after: string | null | undefined;
    let pages = 0;
    for (;;) {
      const { messages } = dataOf(await account.run(Messages, { first: 3, after }));
      expect(messages.totalCount).toBe(7);
      expect(messages.pageInfo.hasPreviousPage).toBe(after != null);
      seen.push(...messages.edges.map((e) => e.node.title));
      pages += 1;
      if (!messages.pageInfo.hasNextPage) break;
      after = messages.pageInfo.endCursor;
    }
    expect(pages).toBe(3);
    expect(seen).toEqual(['m6', 'm5', 'm4', 'm3', 'm2', 'm1', 'm0']);
  });

  test('a CHANNELS key sees only messages whose channels all lie within its scope', async ({ account }) => {
    await account.channels('marketing', 'billing', 'vip');
    const all = await account.key({ kind: 'ALL' });
    dataOf(await all.send(undefined, 'to everyone'));
    dataOf(await all.send(['marketing'], 'marketing only'));
    dataOf(await all.send(['marketing', 'billing'], 'marketing and billing'));
    dataOf(await all.send(['vip'], 'vip only'));
    const scoped = await account.key({ kind: 'CHANNELS', channels: ['marketing', 'vip'] });
    dataOf(await scoped.send(['vip'], 'sent by the scoped key'));

    const everything = ['sent by the scoped key', 'vip only', 'marketing and billing', 'marketing only', 'to everyone'];
    for (const caller of [account, all]) {
      const { messages } = dataOf(await caller.run(Messages, { first: 100 }));
      expect(messages.edges.map((e) => e.node.title)).toEqual(everything);
      expect(messages.totalCount).toBe(5);
    }
    const seenByScoped = dataOf(await scoped.run(Messages, { first: 100 })).messages;
    expect(seenByScoped.edges.map((e) => e.node.title)).toEqual(['sent by the scoped key', 'vip only', 'marketing only']);
    expect(seenByScoped.totalCount).toBe(3);
  });

  test('messages of another account are never listed', async ({ account, other }) => {
    await other.channels('marketing');
    dataOf(await (await other.key({ kind: 'ALL' })).send(undefined));
    const { messages } = dataOf(await account.run(Messages, {}));
    expect(messages).toMatchObject({ totalCount: 0, edges: [], pageInfo: { hasNextPage: false, endCursor: null } });
  });

  test.for([
    ['first below 0', { first: -1 }],
    ['first above 100', { first: 101 }],
    ['a cursor that is not one', { after: 'garbage' }],
    ['a cursor of another shape', { after: Buffer.from('apikey:12').toString('base64url') }],
  ] as const)('%s: BAD_USER_INPUT', async ([, variables], { account }) => {
    expect(errorOf(await account.run(Messages, variables))).toMatchObject({ code: 'BAD_USER_INPUT', status: 400 });
  });

  test('first: 0 gives the count and no edges', async ({ account }) => {
    const key = await account.key({ kind: 'ALL' });
    dataOf(await key.send(undefined));
    expect(dataOf(await account.run(Messages, { first: 0 })).messages).toMatchObject({
      totalCount: 1,
      edges: [],
      pageInfo: { hasNextPage: true },
    });
  });
});
