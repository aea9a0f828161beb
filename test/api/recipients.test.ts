// recipients and recipient(externalId): what each caller sees, in what order, a page at a time.
import type { RecipientsQueryVariables } from '../generated/graphql.ts';
import { CreateRecipient, RecipientByExternalId, Recipients } from '../support/documents.ts';
import { describe, expect, type TestAccount, type TestKey, test } from '../support/fixtures.ts';
import { dataOf, errorOf } from '../support/herald.ts';

type Caller = Pick<TestAccount | TestKey, 'run'>;

async function page(caller: Caller, variables: RecipientsQueryVariables = {}) {
  return dataOf(await caller.run(Recipients, variables)).recipients;
}

/** Every externalId the caller sees under the filters, page after page; and the pages' count. */
async function walk(caller: Caller, variables: Omit<RecipientsQueryVariables, 'after'>): Promise<{ ids: string[]; pages: number }> {
  const ids: string[] = [];
  let after: string | null | undefined;
  let pages = 0;
  for (;;) {
    const { edges, pageInfo, totalCount } = await page(caller, { ...variables, after });
    pages += 1;
    expect(pageInfo.hasPreviousPage).toBe(after != null);
    expect(pageInfo.endCursor).toBe(edges.at(-1)?.cursor ?? null);
    ids.push(...edges.map((e) => e.node.externalId));
    expect(totalCount).toBeGreaterThanOrEqual(ids.length);
    if (!pageInfo.hasNextPage) return { ids, pages };
    after = pageInfo.endCursor;
  }
}

/** Byte order, as the test databases (C collation) sort externalIds. */
const byteOrder = (ids: string[]) => [...ids].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));

describe('recipients: ordered by externalId, a page at a time', () => {
  test('pages follow each other with no gap or repeat; totalCount counts them all', async ({ account }) => {
    await account.channels('news');
    const ids = ['user-10', 'user-2', 'user-1', 'Zed', 'alpha', 'user-3', 'ümlaut', 'user-20'];
    for (const id of ids) await account.recipient(id, ['news']);
    const { ids: seen, pages } = await walk(account, { first: 3 });
    expect(seen).toEqual(byteOrder(ids));
    expect(pages).toBe(3);
    const first = await page(account, { first: 3 });
    expect(first.totalCount).toBe(8);
    expect(first.edges[0].node.channels).toEqual([{ slug: 'news' }]);
  });

  test('20 a page by default; 1 and 100 are the bounds', async ({ account }) => {
    for (let i = 0; i < 25; i += 1) await account.recipient(`r-${String(i).padStart(2, '0')}`, []);
    expect((await page(account)).edges).toHaveLength(20);
    expect((await page(account, { first: 1 })).edges).toHaveLength(1);
    expect((await page(account, { first: 100 })).edges).toHaveLength(25);
    for (const first of [0, -1, 101]) {
      expect(errorOf(await account.run(Recipients, { first }))).toMatchObject({ code: 'BAD_USER_INPUT', status: 400 });
    }
  });

  test('a cursor keeps its place when recipients are added before it; a cursor of another list is refused', async ({ account }) => {
    for (const id of ['b', 'd', 'f']) await account.recipient(id, []);
    const first = await page(account, { first: 2 });
    expect(first.edges.map((e) => e.node.externalId)).toEqual(['b', 'd']);
    await account.recipient('a', []);
    await account.recipient('e', []);
    const next = await page(account, { first: 2, after: first.pageInfo.endCursor });
    expect(next.edges.map((e) => e.node.externalId)).toEqual(['e', 'f']);
    expect(next.pageInfo).toMatchObject({ hasNextPage: false, hasPreviousPage: true });
    for (const after of [
      'garbage',
      Buffer.from('message:12').toString('base64url'),
      Buffer.from('recipient:').toString('base64url'),
      Buffer.from('recipient:a\u0000b').toString('base64url'),
      Buffer.from([...Buffer.from('recipient:'), 0xff, 0xfe]).toString('base64url'),
    ]) {
      expect(errorOf(await account.run(Recipients, { after }))).toMatchObject({ code: 'BAD_USER_INPUT', status: 400 });
    }
  });

  test('search is a literal prefix: %, _ and \\ match only themselves', async ({ account }) => {
    const ids = ['100%-off', '100-percent', '1000', 'a_b', 'axb', 'a\\b', 'a\\\\b', '%x', 'x%'];
    for (const id of ids) await account.recipient(id, []);
    const search = async (prefix: string) => (await walk(account, { search: prefix, first: 100 })).ids;
    expect(await search('100')).toEqual(byteOrder(['100%-off', '100-percent', '1000']));
    expect(await search('100%')).toEqual(['100%-off']);
    expect(await search('%')).toEqual(['%x']);
    expect(await search('a_')).toEqual(['a_b']);
    expect(await search('a\\')).toEqual(byteOrder(['a\\b', 'a\\\\b']));
    expect(await search('a\\\\')).toEqual(['a\\\\b']);
    expect(await search('nobody')).toEqual([]);
    expect((await page(account, { search: '100' })).totalCount).toBe(3);
    // Not trimmed: a prefix is taken as it is.
    expect(await search(' 100')).toEqual([]);
    expect(await search('')).toHaveLength(ids.length);
    for (const bad of ['a\u0000', 'x'.repeat(257)]) {
      expect(errorOf(await account.run(Recipients, { search: bad }))).toMatchObject({ code: 'BAD_USER_INPUT', status: 400 });
    }
  });

  test('channel narrows to one channel, with search and paging; an unknown slug is BAD_USER_INPUT', async ({ account }) => {
    await account.channels('news', 'billing');
    await account.recipient('ada', ['news']);
    await account.recipient('bob', ['news', 'billing']);
    await account.recipient('cy', ['billing']);
    await account.recipient('dee', []);
    expect((await walk(account, { channel: 'news', first: 1 })).ids).toEqual(['ada', 'bob']);
    expect((await walk(account, { channel: 'billing' })).ids).toEqual(['bob', 'cy']);
    expect((await walk(account, { channel: 'billing', search: 'c' })).ids).toEqual(['cy']);
    expect((await page(account, { channel: 'billing' })).totalCount).toBe(2);
    // Every channel of a listed recipient, not only the one filtered on.
    expect((await page(account, { channel: 'billing' })).edges[0].node.channels).toEqual([{ slug: 'billing' }, { slug: 'news' }]);
    for (const channel of ['ghost', 'Not A Slug']) {
      const error = errorOf(await account.run(Recipients, { channel }));
      expect(error).toMatchObject({ code: 'BAD_USER_INPUT', status: 400 });
    }
  });

  test('totalCount asked through an alias or a fragment: the same count', async ({ account, herald }) => {
    for (const id of ['a', 'b', 'c']) await account.recipient(id, []);
    const query = `query { recipients(first: 1) { n: totalCount ...more } }
      fragment more on RecipientConnection { ... on RecipientConnection { totalCount } edges { node { externalId } } }`;
    const result = await herald.execute<{ recipients: { n: number; totalCount: number } }, never>(query, undefined, {
      token: account.token,
    });
    expect(dataOf(result).recipients).toMatchObject({ n: 3, totalCount: 3 });
  });

  test('recipient tokens get 403; no credentials 401', async ({ account, herald }) => {
    expect(errorOf(await herald.execute(Recipients, {})).code).toBe('UNAUTHENTICATED');
    expect(errorOf(await herald.execute(RecipientByExternalId, { externalId: 'x' })).code).toBe('UNAUTHENTICATED');
    await account.recipient('ada', []);
    const { token } = await account.inboxOf('ada');
    expect(errorOf(await herald.execute(Recipients, {}, { token }))).toMatchObject({ code: 'FORBIDDEN', status: 403 });
    expect(errorOf(await herald.execute(RecipientByExternalId, { externalId: 'ada' }, { token }))).toMatchObject({
      code: 'FORBIDDEN',
      status: 403,
    });
  });
});

describe('what a key sees of recipients', () => {
  async function world(account: TestAccount) {
    await account.channels('marketing', 'billing', 'vip');
    await account.recipient('ada', ['marketing']);
    await account.recipient('bob', ['marketing', 'billing']);
    await account.recipient('cy', ['billing']);
    await account.recipient('dee', []);
    await account.recipient('eve', ['vip', 'billing']);
  }

  test('a member and an ALL key see every recipient with all its channels', async ({ account }) => {
    await world(account);
    const all = await account.key({ kind: 'ALL' });
    for (const caller of [account, all]) {
      const { edges, totalCount } = await page(caller, { first: 100 });
      expect(totalCount).toBe(5);
      expect(edges.map((e) => [e.node.externalId, e.node.channels.map((c) => c.slug)])).toEqual([
        ['ada', ['marketing']],
        ['bob', ['billing', 'marketing']],
        ['cy', ['billing']],
        ['dee', []],
        ['eve', ['billing', 'vip']],
      ]);
    }
  });

  test('a CHANNELS key sees the recipients in one of its channels, and of their channels only its own', async ({ account }) => {
    await world(account);
    const key = await account.key({ kind: 'CHANNELS', channels: ['marketing', 'vip'] }, 'Marketing sender');
    const { edges, totalCount } = await page(key, { first: 100 });
    expect(totalCount).toBe(3);
    expect(edges.map((e) => [e.node.externalId, e.node.channels.map((c) => c.slug)])).toEqual([
      ['ada', ['marketing']],
      ['bob', ['marketing']],
      ['eve', ['vip']],
    ]);
    expect((await walk(key, { first: 1 })).ids).toEqual(['ada', 'bob', 'eve']);
    expect((await walk(key, { channel: 'vip' })).ids).toEqual(['eve']);
    expect((await walk(key, { search: 'c' })).ids).toEqual([]);

    // recipient(externalId): the same view; null for one it cannot see, as for one that does not exist.
    const lookup = async (externalId: string) => dataOf(await key.run(RecipientByExternalId, { externalId })).recipient;
    expect(await lookup('bob')).toMatchObject({ externalId: 'bob', channels: [{ slug: 'marketing' }] });
    expect(await lookup(' bob ')).toMatchObject({ externalId: 'bob' });
    expect(await lookup('cy')).toBeNull();
    expect(await lookup('dee')).toBeNull();
    expect(await lookup('nobody')).toBeNull();
    const seenByMember = dataOf(await account.run(RecipientByExternalId, { externalId: 'cy' })).recipient;
    expect(seenByMember).toMatchObject({ externalId: 'cy', channels: [{ slug: 'billing' }] });

    // What it creates comes back as it sees it, too.
    const created = dataOf(await key.run(CreateRecipient, { input: { externalId: 'fay', channels: ['vip'] } })).createRecipient;
    expect(created.channels).toEqual([{ slug: 'vip' }]);
  });

  test('a CHANNELS key narrowing to a channel outside its scope: 403 naming it; inside: allowed', async ({ account }) => {
    await world(account);
    const key = await account.key({ kind: 'CHANNELS', channels: ['marketing'] }, 'Marketing sender');
    expect((await walk(key, { channel: 'marketing' })).ids).toEqual(['ada', 'bob']);
    for (const channel of ['billing', 'ghost']) {
      expect(errorOf(await key.run(Recipients, { channel }))).toEqual({
        code: 'FORBIDDEN',
        status: 403,
        message: `API key "Marketing sender" may not read channels: ${channel}`,
      });
    }
    // The ALL key's twin: an unknown slug is bad input, a known one is fine.
    const all = await account.key({ kind: 'ALL' });
    expect((await walk(all, { channel: 'billing' })).ids).toEqual(['bob', 'cy', 'eve']);
    expect(errorOf(await all.run(Recipients, { channel: 'ghost' })).code).toBe('BAD_USER_INPUT');
  });
});
