// upsertRecipients: many recipients by externalId, all or nothing, in a few statements.
import type { RecipientInput } from '../generated/graphql.ts';
import { AuditEvents, Recipients, UpsertRecipients } from '../support/documents.ts';
import { test as base, describe, expect, type TestAccount, type TestKey } from '../support/fixtures.ts';
import { dataOf, errorOf, TestHerald } from '../support/herald.ts';

/**
 * Imports of 10,000 rows take a second or two, and many more on a machine
 * busy with other suites: this file's server gives a request a minute
 * (REQUEST_TIMEOUT_MS), so that a slow machine is not a 503.
 */
const test = base.extend<{ $file: { herald: TestHerald } }>({
  herald: [
    // biome-ignore lint/correctness/noEmptyPattern: vitest reads the fixture's dependencies from this pattern.
    async ({}, use) => {
      const herald = await TestHerald.start({ requestTimeoutMs: 60_000 });
      await use(herald);
      await herald.close();
    },
    { scope: 'file' },
  ],
});

const upsert = (caller: Pick<TestAccount | TestKey, 'run'>, recipients: RecipientInput[]) =>
  caller.run(UpsertRecipients, { input: { recipients } });

/** Every recipient of the account, as a member sees it: externalId → its channels. */
async function everyone(account: TestAccount): Promise<Record<string, string[]>> {
  const seen: Record<string, string[]> = {};
  let after: string | null | undefined;
  for (;;) {
    const { edges, pageInfo } = dataOf(await account.run(Recipients, { first: 100, after })).recipients;
    for (const { node } of edges) seen[node.externalId] = node.channels.map((c) => c.slug);
    if (!pageInfo.hasNextPage) return seen;
    after = pageInfo.endCursor;
  }
}

const rows = (n: number, channels: string[], prefix = 'user') =>
  Array.from({ length: n }, (_, i) => ({ externalId: `${prefix}-${String(i).padStart(5, '0')}`, channels }));

describe('upsertRecipients', () => {
  test('creates the new, sets the channels of the existing; one audit event with the counts', async ({ account }) => {
    await account.channels('news', 'billing', 'vip');
    await account.recipient('bob', ['billing', 'vip']);
    await account.recipient('cy', ['news']);
    const result = dataOf(
      await upsert(account, [
        { externalId: ' ada ', channels: ['news', 'news'] },
        { externalId: 'bob', channels: ['news'] },
        { externalId: 'cy', channels: [] },
        { externalId: 'dee', channels: [] },
      ]),
    ).upsertRecipients;
    expect(result).toEqual({ created: 2, updated: 2 });
    expect(await everyone(account)).toEqual({ ada: ['news'], bob: ['news'], cy: [], dee: [] });
    const { edges } = dataOf(await account.run(AuditEvents, { first: 10 })).auditEvents;
    expect(edges[0].node).toMatchObject({ action: 'RECIPIENTS_IMPORTED', changes: { created: 2, updated: 2 } });
    expect(edges[1].node.action).toBe('RECIPIENT_CREATED');
    // The same rows again: all updated, nothing changes.
    expect(dataOf(await upsert(account, [{ externalId: 'bob', channels: ['news'] }])).upsertRecipients).toEqual({ created: 0, updated: 1 });
    expect((await everyone(account)).bob).toEqual(['news']);
  });

  test.for([
    ['an unknown slug', { externalId: 'x', channels: ['news', 'vip'] }, 'channels', 'recipients[2].channels: unknown channel slug "vip"'],
    ['a malformed slug', { externalId: 'x', channels: ['Not A Slug'] }, 'channels', 'recipients[2].channels must be'],
    ['a blank externalId', { externalId: '  ', channels: [] }, 'externalId', 'recipients[2].externalId must be 1 to 256'],
    ['an externalId of 257 characters', { externalId: 'x'.repeat(257), channels: [] }, 'externalId', 'recipients[2].externalId must be'],
    ['an externalId with a control character', { externalId: 'a\u0000b', channels: [] }, 'externalId', 'recipients[2].externalId must'],
    [
      'an externalId given twice (once padded)',
      { externalId: ' ada', channels: [] },
      'externalId',
      'recipients[2].externalId: "ada" is also at recipients[0]; an externalId may appear once.',
    ],
  ] satisfies [string, RecipientInput, string, string][])(
    'a bad row refuses the whole call naming its index: %s',
    async ([, bad, field, message], { account }) => {
      await account.channels('news');
      await account.recipient('bob', ['news']);
      const before = await account.snapshot();
      const result = await upsert(account, [{ externalId: 'ada', channels: ['news'] }, { externalId: 'bob', channels: [] }, bad]);
      expect(errorOf(result)).toMatchObject({ code: 'BAD_USER_INPUT', status: 400 });
      expect(errorOf(result).message).toContain(message);
      expect(result.errors?.[0].extensions?.field).toBe(`recipients[2].${field}`);
      expect(await account.snapshot()).toEqual(before);
    },
  );

  test('no rows, or more than 10,000: BAD_USER_INPUT', async ({ account }) => {
    const before = await account.snapshot();
    for (const recipients of [[], rows(10_001, [])]) {
      const error = errorOf(await upsert(account, recipients));
      expect(error).toMatchObject({ code: 'BAD_USER_INPUT', status: 400 });
      expect(error.message).toContain('1 to 10,000');
    }
    expect(await account.snapshot()).toEqual(before);
  });

  // Two imports of 10,000 rows and one of 5,010: minutes, not seconds, on a busy machine.
  test('10,000 rows at once; all or nothing when the last one is bad; the same statements for 10 rows as for 10,000', {
    timeout: 180_000,
  }, async ({ account, herald }) => {
    await account.channels('news', 'billing');
    const many = rows(10_000, ['news', 'billing']);
    const bad = [...many.slice(0, 9_999), { externalId: 'last', channels: ['news', 'vip'] }];
    const before = await account.snapshot();
    const refused = await upsert(account, bad);
    expect(errorOf(refused)).toMatchObject({
      code: 'BAD_USER_INPUT',
      status: 400,
      message: 'recipients[9999].channels: unknown channel slug "vip"',
    });
    expect(await account.snapshot()).toEqual(before);

    const created = await herald.countStatements(async () =>
      expect(dataOf(await upsert(account, many)).upsertRecipients).toEqual({ created: 10_000, updated: 0 }),
    );
    expect(dataOf(await account.run(Recipients, { first: 1, channel: 'billing' })).recipients.totalCount).toBe(10_000);
    // Half of them leave billing, and ten more come: still a handful of statements.
    const changed = [...many.slice(0, 5_000).map((r) => ({ ...r, channels: ['news'] })), ...rows(10, ['billing'], 'new')];
    const updated = await herald.countStatements(async () =>
      expect(dataOf(await upsert(account, changed)).upsertRecipients).toEqual({ created: 10, updated: 5_000 }),
    );
    const small = await herald.countStatements(async () => dataOf(await upsert(account, rows(10, ['news'], 'small'))));
    // The same statements whatever the number of rows; a large import then refreshes the planner's statistics.
    const analyzes = (run: { statements: string[] }) => run.statements.filter((sql) => sql.startsWith('ANALYZE')).length;
    expect([analyzes(created), analyzes(updated), analyzes(small)]).toEqual([1, 1, 0]);
    expect(created.count - 1).toBe(small.count);
    expect(updated.count - 1).toBe(small.count);
    expect(small.count).toBeLessThanOrEqual(8);
    expect(dataOf(await account.run(Recipients, { first: 1, channel: 'billing' })).recipients.totalCount).toBe(5_010);
    expect(dataOf(await account.run(Recipients, { first: 1, channel: 'news' })).recipients.totalCount).toBe(10_010);
  });
});

describe('upsertRecipients with keys', () => {
  test('a CHANNELS key creates recipients in its channels, and replaces only its own channels of those it reaches', async ({ account }) => {
    await account.channels('marketing', 'billing', 'vip');
    await account.recipient('bob', ['marketing', 'billing']);
    const key = await account.key({ kind: 'CHANNELS', channels: ['marketing', 'vip'] }, 'Importer');
    const result = dataOf(
      await upsert(key, [
        { externalId: 'ada', channels: ['marketing'] },
        { externalId: ' bob ', channels: ['vip'] },
      ]),
    ).upsertRecipients;
    expect(result).toEqual({ created: 1, updated: 1 });
    expect(await everyone(account)).toEqual({ ada: ['marketing'], bob: ['billing', 'vip'] });
    const all = await account.key({ kind: 'ALL' });
    expect(dataOf(await upsert(all, [{ externalId: 'bob', channels: [] }])).upsertRecipients).toEqual({ created: 0, updated: 1 });
    expect((await everyone(account)).bob).toEqual([]);
  });

  test('refused twins for a CHANNELS key: 403 naming the row, nothing written', async ({ account }) => {
    await account.channels('marketing', 'billing');
    await account.recipient('bob', ['marketing']);
    await account.recipient('cy', ['billing']);
    const key = await account.key({ kind: 'CHANNELS', channels: ['marketing'] }, 'Importer');
    const ok = { externalId: 'ada', channels: ['marketing'] };
    const before = await account.snapshot();
    for (const [bad, message] of [
      [
        { externalId: 'new', channels: ['marketing', 'billing'] },
        'recipients[1].channels: API key "Importer" may not subscribe recipients to channels: billing',
      ],
      [
        { externalId: 'new', channels: [] },
        'recipients[1].channels: API key "Importer" is channel scoped: a recipient it creates needs at least one of its channels.',
      ],
      [
        { externalId: 'bob', channels: ['billing'] },
        'recipients[1].channels: API key "Importer" may not subscribe recipients to channels: billing',
      ],
      [
        { externalId: 'cy', channels: ['marketing'] },
        `recipients[1].externalId: API key "Importer" may not reach recipient "cy": it is in none of the key's channels.`,
      ],
      // Padding names the same recipient: no way around the check.
      [{ externalId: '  cy\t', channels: ['marketing'] }, 'recipients[1].externalId: API key "Importer" may not reach recipient "cy"'],
    ] satisfies [RecipientInput, string][]) {
      const error = errorOf(await upsert(key, [ok, bad]));
      expect(error).toMatchObject({ code: 'FORBIDDEN', status: 403 });
      expect(error.message).toContain(message);
    }
    expect(await account.snapshot()).toEqual(before);
    // The allowed twin: the member may do what the key may not.
    expect(dataOf(await upsert(account, [ok, { externalId: 'cy', channels: ['marketing'] }])).upsertRecipients).toEqual({
      created: 1,
      updated: 1,
    });
  });
});
