// Hostile data and lists: message data that is oversized, too deep or not an
// object; duplicates of what must be unique (and races creating them); lists
// of thousands of channels where a handful is expected.
import { Channels } from '../support/documents.ts';
import type { TestAccount } from '../support/fixtures.ts';
import { dataOf, type TestHerald } from '../support/herald.ts';
import {
  accepted,
  describe,
  expect,
  gql,
  type Hostile,
  jsonPost,
  message,
  Q,
  refused,
  seed,
  sendAs,
  sendMessage,
  test,
  where,
} from '../support/hostile.ts';

// ---------------------------------------------------------------------------
// Data objects
// ---------------------------------------------------------------------------

const nested = (levels: number): unknown => JSON.parse(`${'{"a":'.repeat(levels)}1${'}'.repeat(levels)}`);

const dataCases: [string, Hostile][] = [
  ['data over 16 KB in one string', { as: 'all', request: (w) => sendMessage(w, w.all, { data: { blob: 'x'.repeat(17_000) } }) }],
  [
    'data over 16 KB in 2,000 keys',
    {
      as: 'all',
      request: (w) => sendMessage(w, w.all, { data: Object.fromEntries(Array.from({ length: 2000 }, (_, i) => [`k${i}`, i])) }),
    },
  ],
  [
    'data of 5,462 "€" (under 16 K characters, over 16 KB)',
    { as: 'all', request: (w) => sendMessage(w, w.all, { data: { euro: '€'.repeat(5462) } }) },
  ],
  ['data 17 levels deep', { as: 'all', request: (w) => sendMessage(w, w.all, { data: nested(17) }) }],
  ['data 1,000 levels deep', { as: 'all', request: (w) => sendMessage(w, w.all, { data: nested(1000) }) }],
  [
    'data 100,000 levels deep',
    {
      as: 'all',
      // Built as text: JSON.stringify itself overflows the stack at this depth.
      request: (w) =>
        jsonPost(
          w,
          `{"query":${JSON.stringify(Q.send)},"variables":{"input":{"message":{"title":"T","body":"B","data":${'{"a":'.repeat(100_000)}1${'}'.repeat(100_000)}}}}}`,
          { authorization: `Bearer ${w.all.secret}` },
        ),
    },
  ],
  [
    'data 17 levels deep through arrays',
    { as: 'all', request: (w) => sendMessage(w, w.all, { data: { a: JSON.parse(`${'['.repeat(16)}1${']'.repeat(16)}`) } }) },
  ],
  [
    'data 17 levels deep as an inline literal',
    {
      as: 'all',
      request: (w) =>
        gql(
          w.herald,
          `mutation { send(input: { message: { title: "T", body: "B", data: ${'{ a: '.repeat(17)}1${' }'.repeat(17)} } }) { message { id } } }`,
          {
            token: w.token,
          },
        ),
    },
  ],
];
const dataWrongTypes: [string, unknown][] = [
  ['an array', [1, 2, 3]],
  ['an array of objects', [{ a: 1 }]],
  ['a string', 'string'],
  ['a JSON string of an object', '{"a":1}'],
  ['a number', 42],
  ['a boolean', true],
];
for (const [name, data] of dataWrongTypes) {
  dataCases.push([
    `data ${name}: the JSONObject scalar refuses it`,
    { as: 'all', request: (w) => sendMessage(w, w.all, { data }), refusal: { status: 400 } },
  ]);
}
dataCases.push([
  'data a string literal in the document',
  {
    as: 'all',
    request: (w) =>
      gql(w.herald, 'mutation { send(input: { message: { title: "T", body: "B", data: "x" } }) { message { id } } }', { token: w.token }),
    refusal: { status: 400 },
  },
]);
dataCases.push([
  'data a list literal in the document',
  {
    as: 'all',
    request: (w) =>
      gql(w.herald, 'mutation { send(input: { message: { title: "T", body: "B", data: [1] } }) { message { id } } }', { token: w.token }),
    refusal: { status: 400 },
  },
]);

describe('oversized and mistyped data', () => {
  test.for(dataCases)('%s', async ([, hostile], { herald, account }) => {
    await refused(herald, account, { refusal: { status: 400, code: 'BAD_USER_INPUT' }, ...hostile });
  });

  // PostgreSQL's jsonb cannot hold U+0000 nor a lone surrogate: a clear refusal
  // (or a faithful store) is fine, a 5xx or an altered value is not.
  test.for([
    ['a NUL in a string value', { note: 'a\u0000b' }],
    ['a NUL in a key', { 'a\u0000b': 1 }],
    ['a lone surrogate in a value', { note: 'x\uDC00y' }],
    ['an escape sequence that looks like a NUL', { note: '\\u0000' }],
  ] as const)('data with %s: BAD_USER_INPUT or stored verbatim, never a 5xx', async ([, data], { herald, account }) => {
    const w = await seed(herald, account, 'all');
    const before = await account.snapshot();
    const answer = await sendMessage(w, w.all, { data });
    expect(answer.status, where(answer)).toBeLessThan(500);
    const errors = answer.json?.errors;
    if (errors) {
      expect(errors[0].extensions?.code, where(answer)).toBe('BAD_USER_INPUT');
      expect(await account.snapshot()).toEqual(before);
    } else {
      const id = (accepted(answer) as { send: { message: { id: string } } }).send.message.id;
      expect((await herald.db.prisma.message.findUniqueOrThrow({ where: { id } })).data, where(answer)).toEqual(data);
    }
    dataOf(await account.run(Channels));
  });

  test('allowed twin: a "__proto__" key is stored as data and pollutes nothing', async ({ herald, account }) => {
    const w = await seed(herald, account, 'all');
    const body = `{"query":${JSON.stringify(Q.send)},"variables":{"input":{"message":{"title":"T","body":"B","data":{"__proto__":{"polluted":true},"constructor":{"prototype":{"polluted":true}}}}}}}`;
    const answer = await jsonPost(w, body, { authorization: `Bearer ${w.all.secret}` });
    const { send } = accepted(answer) as { send: { message: { id: string; data: Record<string, unknown> } } };
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.hasOwn(send.message.data, '__proto__')).toBe(true);
    expect(dataOf(await account.run(Channels)).channels).toHaveLength(2);
  });
});

// ---------------------------------------------------------------------------
// Duplicates and races
// ---------------------------------------------------------------------------

describe('duplicates', () => {
  const duplicates: [string, Hostile][] = [
    [
      'createChannel with an existing slug',
      { request: (w) => gql(w.herald, Q.createChannel, { token: w.token, variables: { input: { slug: 'marketing', name: 'Again' } } }) },
    ],
    [
      'createChannel with an existing slug, padded',
      {
        request: (w) => gql(w.herald, Q.createChannel, { token: w.token, variables: { input: { slug: '  marketing\t', name: 'Again' } } }),
      },
    ],
    [
      'createRecipient with an existing externalId',
      { request: (w) => gql(w.herald, Q.createRecipient, { token: w.token, variables: { input: { externalId: 'r-1', channels: [] } } }) },
    ],
    [
      'createRecipient with an existing externalId, padded',
      { request: (w) => gql(w.herald, Q.createRecipient, { token: w.token, variables: { input: { externalId: ' r-1 ', channels: [] } } }) },
    ],
    [
      'createRecipient with an existing externalId, by a key',
      {
        as: 'scoped',
        request: (w) =>
          gql(w.herald, Q.createRecipient, { token: w.token, variables: { input: { externalId: 'r-1', channels: ['marketing'] } } }),
      },
    ],
  ];
  test.for(duplicates)('%s: BAD_USER_INPUT', async ([, hostile], { herald, account }) => {
    await refused(herald, account, { refusal: { status: 400, code: 'BAD_USER_INPUT' }, ...hostile });
  });

  test('10 concurrent createChannel with one slug: one channel, nine BAD_USER_INPUT, no 5xx', async ({ herald, account }) => {
    const answers = await Promise.all(
      Array.from({ length: 10 }, () =>
        gql(herald, Q.createChannel, { token: account.token, variables: { input: { slug: 'race', name: 'R' } } }),
      ),
    );
    const context = answers.map(where).join('\n');
    expect(
      answers.filter((a) => a.status === 200 && !a.json?.errors),
      context,
    ).toHaveLength(1);
    expect(
      answers.filter((a) => a.status === 400 && a.json?.errors?.[0].extensions?.code === 'BAD_USER_INPUT'),
      context,
    ).toHaveLength(9);
    expect(dataOf(await account.run(Channels)).channels.map((c) => c.slug)).toEqual(['race']);
  });

  test('10 concurrent createRecipient with one externalId: one recipient, nine BAD_USER_INPUT, no 5xx', async ({ herald, account }) => {
    const answers = await Promise.all(
      Array.from({ length: 10 }, () =>
        gql(herald, Q.createRecipient, { token: account.token, variables: { input: { externalId: 'twin', channels: [] } } }),
      ),
    );
    const context = answers.map(where).join('\n');
    expect(
      answers.filter((a) => a.status === 200 && !a.json?.errors),
      context,
    ).toHaveLength(1);
    expect(
      answers.filter((a) => a.status === 400),
      context,
    ).toHaveLength(9);
  });

  test('10 concurrent upsertRecipients of overlapping rows, and edits and a deletion among them: no 5xx, no deadlock', async ({
    herald,
    account,
  }) => {
    await account.channels('a', 'b');
    const rows = (from: number, channels: string[]) =>
      Array.from({ length: 200 }, (_, i) => ({ externalId: `r-${String(from + i).padStart(4, '0')}`, channels }));
    const first = await gql(herald, Q.upsertRecipients, { token: account.token, variables: { input: { recipients: rows(0, ['a']) } } });
    accepted(first);
    const ids = (await herald.db.prisma.recipient.findMany({ where: { account: { slug: account.slug } }, take: 5 })).map((r) => r.id);
    const answers = await Promise.all([
      ...Array.from({ length: 10 }, (_, i) =>
        gql(herald, Q.upsertRecipients, {
          token: account.token,
          variables: { input: { recipients: rows(i * 20, i % 2 ? ['a'] : ['b', 'a']) } },
        }),
      ),
      ...ids
        .slice(0, 4)
        .map((id) => gql(herald, Q.updateRecipient, { token: account.token, variables: { input: { id, channels: ['b'] } } })),
      gql(herald, 'mutation ($id: ID!) { deleteRecipient(id: $id) { id } }', { token: account.token, variables: { id: ids[4] } }),
    ]);
    for (const answer of answers) accepted(answer);
    // Every recipient ended in the channels one of the writes gave it.
    const memberships = await herald.db.prisma.recipient.findMany({
      where: { account: { slug: account.slug } },
      select: { channels: { select: { channel: { select: { slug: true } } } } },
    });
    for (const { channels } of memberships) {
      expect([['a'], ['a', 'b'], ['b']]).toContainEqual(channels.map((c) => c.channel.slug).sort());
    }
  });

  test('allowed twin: the same slug in another account', async ({ herald, account, other }) => {
    await account.channel('shared');
    const answer = await gql(herald, Q.createChannel, { token: other.token, variables: { input: { slug: 'shared', name: 'Mine' } } });
    expect(accepted(answer)).toMatchObject({ createChannel: { slug: 'shared', name: 'Mine' } });
  });
});

// ---------------------------------------------------------------------------
// Huge lists
// ---------------------------------------------------------------------------

const unknownSlugs = (n: number, prefix = 'nope') => Array.from({ length: n }, (_, i) => `${prefix}-${i}`);

describe('huge lists', () => {
  const lists: [string, Hostile][] = [
    [
      'an ALL key targeting 5,000 unknown slugs: BAD_USER_INPUT',
      {
        as: 'all',
        request: (w) => sendAs(w, w.all, { target: { channels: unknownSlugs(5000) }, message: message() }),
        refusal: { status: 400, code: 'BAD_USER_INPUT' },
      },
    ],
    [
      'a CHANNELS key targeting 5,000 unknown slugs: FORBIDDEN',
      {
        as: 'scoped',
        request: (w) => sendAs(w, w.scoped, { target: { channels: unknownSlugs(5000) }, message: message() }),
        refusal: { status: 403, code: 'FORBIDDEN' },
      },
    ],
    [
      'an ALL key targeting 70,000 distinct unknown slugs (over PostgreSQL’s 65,535 parameters): BAD_USER_INPUT',
      {
        as: 'all',
        request: (w) => sendAs(w, w.all, { target: { channels: unknownSlugs(70_000, 'c') }, message: message() }),
        refusal: { status: 400, code: 'BAD_USER_INPUT' },
      },
    ],
    [
      'an ALL key targeting 100,000 empty strings: BAD_USER_INPUT',
      {
        as: 'all',
        request: (w) => sendAs(w, w.all, { target: { channels: Array(100_000).fill('') }, message: message() }),
        refusal: { status: 400, code: 'BAD_USER_INPUT' },
      },
    ],
    [
      'a CHANNELS key targeting its channel and 5,000 others: FORBIDDEN',
      {
        as: 'scoped',
        request: (w) => sendAs(w, w.scoped, { target: { channels: ['marketing', ...unknownSlugs(5000)] }, message: message() }),
        refusal: { status: 403, code: 'FORBIDDEN' },
      },
    ],
    [
      'createRecipient with 5,000 unknown channels: BAD_USER_INPUT',
      {
        request: (w) =>
          gql(w.herald, Q.createRecipient, { token: w.token, variables: { input: { externalId: 'many', channels: unknownSlugs(5000) } } }),
        refusal: { status: 400, code: 'BAD_USER_INPUT' },
      },
    ],
    [
      'createApiKey with 5,000 unknown channels: BAD_USER_INPUT',
      {
        request: (w) =>
          gql(w.herald, Q.createApiKey, {
            token: w.token,
            variables: { input: { name: 'many', scope: { kind: 'CHANNELS', channels: unknownSlugs(5000) } } },
          }),
        refusal: { status: 400, code: 'BAD_USER_INPUT' },
      },
    ],
    [
      'updateApiKey with 70,000 unknown channels: BAD_USER_INPUT',
      {
        request: (w) =>
          gql(w.herald, Q.updateApiKey, {
            token: w.token,
            variables: { input: { id: w.scoped.id, scope: { kind: 'CHANNELS', channels: unknownSlugs(70_000, 'u') } } },
          }),
        refusal: { status: 400, code: 'BAD_USER_INPUT' },
      },
    ],
    [
      'an ALL scope with 5,000 channels: BAD_USER_INPUT',
      {
        request: (w) =>
          gql(w.herald, Q.createApiKey, {
            token: w.token,
            variables: { input: { name: 'all-with', scope: { kind: 'ALL', channels: unknownSlugs(5000) } } },
          }),
        refusal: { status: 400, code: 'BAD_USER_INPUT' },
      },
    ],
  ];
  test.for(lists)('%s', async ([, hostile], { herald, account }) => {
    await refused(herald, account, hostile);
  });

  /** 300 channels, inserted directly (a member would need 300 requests). */
  async function manyChannels(herald: TestHerald, account: TestAccount, n: number): Promise<string[]> {
    const { id: accountId } = await herald.db.prisma.account.findUniqueOrThrow({ where: { slug: account.slug } });
    const slugs = unknownSlugs(n, 'ch');
    await herald.db.prisma.channel.createMany({ data: slugs.map((slug) => ({ accountId, slug, name: slug })) });
    return slugs;
  }

  test('300 channels: a CHANNELS key on all of them sends to all; one more slug is FORBIDDEN naming it alone', async ({
    herald,
    account,
  }) => {
    const slugs = await manyChannels(herald, account, 300);
    await account.recipient('everywhere', slugs);
    const key = await account.key({ kind: 'CHANNELS', channels: slugs }, 'Wide');
    const sent = accepted(await sendAs({ herald }, key, { target: { channels: slugs }, message: message() }));
    expect((sent.send as { message: { recipientCount: number; channels: unknown[] } }).message).toMatchObject({ recipientCount: 1 });
    expect((sent.send as { message: { channels: unknown[] } }).message.channels).toHaveLength(300);
    await refused(herald, account, {
      request: (w) => sendAs(w, key, { target: { channels: [...slugs, 'outsider'] }, message: message() }),
      refusal: { status: 403, code: 'FORBIDDEN', message: /may not target channels: outsider$/ },
    });
  });

  test('300 channels: an ALL key targeting them and one unknown slug is BAD_USER_INPUT naming it', async ({ herald, account }) => {
    const slugs = await manyChannels(herald, account, 300);
    await refused(herald, account, {
      as: 'all',
      request: (w) => sendAs(w, w.all, { target: { channels: [...slugs, 'unknown-one'] }, message: message() }),
      refusal: { status: 400, code: 'BAD_USER_INPUT', message: /unknown-one/ },
    });
  });

  test('allowed twin: 5,000 copies of one slug are one channel', async ({ herald, account }) => {
    const w = await seed(herald, account, 'scoped');
    const sent = accepted(await sendAs(w, w.scoped, { target: { channels: Array(5000).fill('marketing') }, message: message() }));
    expect((sent.send as { message: unknown }).message).toMatchObject({ recipientCount: 1, channels: [{ slug: 'marketing' }] });
  });
});
