// Hostile text in every string input: control characters in free text,
// characters that are not a slug in slug fields, SQL and script fragments (refused
// in slugs, ids and cursors; stored verbatim and harmlessly in free text: the
// allowed twins), and unicode that is not a control character (allowed twins).
import fc from 'fast-check';
import { Channels } from '../support/documents.ts';
import type { TestAccount } from '../support/fixtures.ts';
import { dataOf, type TestHerald } from '../support/herald.ts';
import {
  type Answer,
  accepted,
  describe,
  expect,
  gql,
  type Hostile,
  message,
  Q,
  type Refusal,
  type Role,
  refused,
  seed,
  sendAs,
  sendMessage,
  test,
  type World,
  where,
} from '../support/hostile.ts';

// ---------------------------------------------------------------------------
// Every string input, and how a request puts a value into it
// ---------------------------------------------------------------------------

type Field =
  | 'channel.name'
  | 'channel.slug'
  | 'recipient.externalId'
  | 'recipient.channels[]'
  | 'apiKey.name'
  | 'apiKey.scope.channels[]'
  | 'updateApiKey.name'
  | 'updateApiKey.scope.channels[]'
  | 'message.title'
  | 'message.body'
  | 'send target.channels[] (ALL key)'
  | 'send target.channels[] (CHANNELS key)'
  | 'updateChannel.name'
  | 'updateRecipient.channels[]'
  | 'upsertRecipients.externalId'
  | 'upsertRecipients.channels[]'
  | 'recipients channel (ALL key)'
  | 'recipients channel (CHANNELS key)';

/** A request putting `value` into `field`; and the role it needs. */
const fieldRequests: Record<Field, { as: Role; request: (w: World, value: string) => Promise<Answer> }> = {
  'channel.name': {
    as: 'member',
    request: (w, value) => gql(w.herald, Q.createChannel, { token: w.token, variables: { input: { slug: 'fresh', name: value } } }),
  },
  'channel.slug': {
    as: 'member',
    request: (w, value) => gql(w.herald, Q.createChannel, { token: w.token, variables: { input: { slug: value, name: 'N' } } }),
  },
  'recipient.externalId': {
    as: 'member',
    request: (w, value) =>
      gql(w.herald, Q.createRecipient, { token: w.token, variables: { input: { externalId: value, channels: ['marketing'] } } }),
  },
  'recipient.channels[]': {
    as: 'member',
    request: (w, value) =>
      gql(w.herald, Q.createRecipient, { token: w.token, variables: { input: { externalId: 'fresh', channels: [value] } } }),
  },
  'apiKey.name': {
    as: 'member',
    request: (w, value) => gql(w.herald, Q.createApiKey, { token: w.token, variables: { input: { name: value, scope: { kind: 'ALL' } } } }),
  },
  'apiKey.scope.channels[]': {
    as: 'member',
    request: (w, value) =>
      gql(w.herald, Q.createApiKey, {
        token: w.token,
        variables: { input: { name: 'K', scope: { kind: 'CHANNELS', channels: [value] } } },
      }),
  },
  'updateApiKey.name': {
    as: 'member',
    request: (w, value) => gql(w.herald, Q.updateApiKey, { token: w.token, variables: { input: { id: w.scoped.id, name: value } } }),
  },
  'updateApiKey.scope.channels[]': {
    as: 'member',
    request: (w, value) =>
      gql(w.herald, Q.updateApiKey, {
        token: w.token,
        variables: { input: { id: w.scoped.id, scope: { kind: 'CHANNELS', channels: ['marketing', value] } } },
      }),
  },
  'message.title': { as: 'all', request: (w, value) => sendMessage(w, w.all, { title: value }) },
  'message.body': { as: 'all', request: (w, value) => sendMessage(w, w.all, { body: value }) },
  'send target.channels[] (ALL key)': {
    as: 'all',
    request: (w, value) => sendAs(w, w.all, { target: { channels: ['marketing', value] }, message: message() }),
  },
  'send target.channels[] (CHANNELS key)': {
    as: 'scoped',
    request: (w, value) => sendAs(w, w.scoped, { target: { channels: ['marketing', value] }, message: message() }),
  },
  'updateChannel.name': {
    as: 'member',
    request: (w, value) => gql(w.herald, Q.updateChannel, { token: w.token, variables: { input: { id: w.ids.marketing, name: value } } }),
  },
  'updateRecipient.channels[]': {
    as: 'member',
    request: (w, value) =>
      gql(w.herald, Q.updateRecipient, { token: w.token, variables: { input: { id: w.ids.recipient, channels: ['billing', value] } } }),
  },
  'upsertRecipients.externalId': {
    as: 'member',
    request: (w, value) =>
      gql(w.herald, Q.upsertRecipients, {
        token: w.token,
        variables: {
          input: {
            recipients: [
              { externalId: 'first', channels: [] },
              { externalId: value, channels: ['marketing'] },
            ],
          },
        },
      }),
  },
  'upsertRecipients.channels[]': {
    as: 'member',
    request: (w, value) =>
      gql(w.herald, Q.upsertRecipients, {
        token: w.token,
        variables: {
          input: {
            recipients: [
              { externalId: 'r-1', channels: [] },
              { externalId: 'fresh', channels: ['billing', value] },
            ],
          },
        },
      }),
  },
  'recipients channel (ALL key)': {
    as: 'all',
    request: (w, value) => gql(w.herald, Q.recipients, { token: w.token, variables: { channel: value } }),
  },
  'recipients channel (CHANNELS key)': {
    as: 'scoped',
    request: (w, value) => gql(w.herald, Q.recipients, { token: w.token, variables: { channel: value } }),
  },
};

const TEXT_FIELDS: Field[] = [
  'channel.name',
  'recipient.externalId',
  'apiKey.name',
  'updateApiKey.name',
  'message.title',
  'message.body',
  'updateChannel.name',
  'upsertRecipients.externalId',
];
const SLUG_FIELDS: Field[] = [
  'channel.slug',
  'recipient.channels[]',
  'apiKey.scope.channels[]',
  'updateApiKey.scope.channels[]',
  'send target.channels[] (ALL key)',
  'send target.channels[] (CHANNELS key)',
  'updateRecipient.channels[]',
  'upsertRecipients.channels[]',
  'recipients channel (ALL key)',
  'recipients channel (CHANNELS key)',
];

/** The refusal a bad value in this field gets: FORBIDDEN for a CHANNELS key's slugs (outside its scope), else BAD_USER_INPUT. */
const refusalFor = (field: Field): Refusal =>
  field.endsWith('(CHANNELS key)') ? { status: 403, code: 'FORBIDDEN' } : { status: 400, code: 'BAD_USER_INPUT' };

function hostileValue(field: Field, value: string): Hostile {
  const { as, request } = fieldRequests[field];
  return { as, request: (w) => request(w, value), refusal: refusalFor(field) };
}

// Category Cc. A message body may hold line breaks and tabs; NEL, VT and FF
// are line breaks to some readers, so they are left out of the body cases.
const CC_EVERYWHERE = ['\u0000', '\u0001', '\u0007', '\u0008', '\u001B', '\u001F', '\u007F', '\u0080', '\u009B', '\u009F'];
const CC_OUTSIDE_BODY = ['\t', '\n', '\r', '\u000B', '\u000C', '\u0085'];

const handControl: [string, Field, string][] = [];
for (const field of [...TEXT_FIELDS, 'channel.slug' as const]) {
  for (const [name, char] of [
    ['NUL', '\u0000'],
    ['BEL', '\u0007'],
    ['ESC', '\u001B'],
  ] as const) {
    handControl.push([`${field}: ${name} inside`, field, `ab${char}cd`]);
  }
}
handControl.push(['message.title: an ANSI escape sequence', 'message.title', 'Hello \u001B[2J\u001B[31mred']);
handControl.push(['channel.name: a trailing NUL (not whitespace: not trimmed away)', 'channel.name', 'name\u0000']);
handControl.push(['apiKey.name: a newline inside', 'apiKey.name', 'line\nbreak']);
handControl.push(['message.title: a tab inside', 'message.title', 'tab\there']);
handControl.push(['recipient.externalId: a carriage return inside', 'recipient.externalId', 'a\rb']);

/** Generated: a control character somewhere inside printable text, in any text field. */
const generatedControl = fc
  .sample(
    fc
      .record({
        field: fc.constantFrom(...TEXT_FIELDS),
        before: fc.string({ minLength: 1, maxLength: 8, unit: 'grapheme-ascii' }).filter((s) => /\S$/.test(s)),
        after: fc.string({ minLength: 1, maxLength: 8, unit: 'grapheme-ascii' }).filter((s) => /^\S/.test(s)),
        char: fc.constantFrom(...CC_EVERYWHERE, ...CC_OUTSIDE_BODY),
      })
      .filter(({ field, char }) => field !== 'message.body' || CC_EVERYWHERE.includes(char)),
    { numRuns: 40, seed: 7 },
  )
  .map(({ field, before, after, char }): [string, Field, string] => [
    `${field}: ${JSON.stringify(before + char + after)}`,
    field,
    before + char + after,
  ]);

describe('control characters in every text field: BAD_USER_INPUT', () => {
  test.for([...handControl, ...generatedControl])('%s', async ([, field, value], { herald, account }) => {
    await refused(herald, account, hostileValue(field, value));
  });
});

const BAD_SLUGS: [string, string][] = [
  ['a zero-width space', 'mark\u200Beting'],
  ['a zero-width joiner', 'mark\u200Deting'],
  ['a right-to-left override', 'gnitek\u202Eram'],
  ['uppercase', 'Marketing'],
  ['a Cyrillic homoglyph', 'm\u0430rketing'],
  ['a space inside', 'mark eting'],
  ['an emoji', 'rocket-\u{1F680}'],
  ['a NUL', 'marketing\u0000'],
  ['65 characters', 'a'.repeat(65)],
  ['a path', '../billing'],
  ['blank', '   '],
];

const SQL_AND_SCRIPT = [
  `'; DROP TABLE "ApiKey"; --`,
  '<script>alert(1)</script>',
  `\${7*7}`,
  '{{7*7}}',
  `" OR ""="`,
  `1; SELECT pg_sleep(10) --`,
  `$$; DELETE FROM "Message"; $$`,
  `%' OR '1'='1`,
];

describe('slug fields refuse what is not [a-z0-9-]{1,64}', () => {
  test.for(SLUG_FIELDS.flatMap((field) => BAD_SLUGS.map(([name, slug]) => [`${field}: ${name}`, field, slug] as const)))(
    '%s',
    async ([, field, slug], { herald, account }) => {
      await refused(herald, account, hostileValue(field, slug));
    },
  );
});

describe('SQL and script fragments in slug fields: refused', () => {
  test.for(SLUG_FIELDS.flatMap((field) => SQL_AND_SCRIPT.map((payload) => [`${field}: ${payload}`, field, payload] as const)))(
    '%s',
    async ([, field, payload], { herald, account }) => {
      await refused(herald, account, hostileValue(field, payload));
    },
  );
});

/** What an accepted request stored in this field, read back from the database. */
async function storedValue(w: World, field: Field, data: Record<string, unknown>): Promise<string> {
  const prisma = w.herald.db.prisma;
  switch (field) {
    case 'channel.name': {
      const { id } = data.createChannel as { id: string };
      return (await prisma.channel.findUniqueOrThrow({ where: { id } })).name;
    }
    case 'recipient.externalId': {
      const { id } = data.createRecipient as { id: string };
      return (await prisma.recipient.findUniqueOrThrow({ where: { id } })).externalId;
    }
    case 'apiKey.name': {
      const { id } = (data.createApiKey as { apiKey: { id: string } }).apiKey;
      return (await prisma.apiKey.findUniqueOrThrow({ where: { id } })).name;
    }
    case 'updateApiKey.name':
      return (await prisma.apiKey.findUniqueOrThrow({ where: { id: w.scoped.id } })).name;
    case 'updateChannel.name':
      return (await prisma.channel.findUniqueOrThrow({ where: { id: w.ids.marketing } })).name;
    case 'upsertRecipients.externalId': {
      expect(data.upsertRecipients).toEqual({ created: 2, updated: 0 });
      const rows = await prisma.recipient.findMany({
        where: { account: { slug: w.account.slug }, externalId: { notIn: ['r-1', 'first'] } },
      });
      expect(rows).toHaveLength(1);
      return rows[0].externalId;
    }
    case 'message.title':
    case 'message.body': {
      const { id } = (data.send as { message: { id: string } }).message;
      const row = await prisma.message.findUniqueOrThrow({ where: { id } });
      return field === 'message.title' ? row.title : row.body;
    }
    default:
      throw new Error(`no stored value for ${field}`);
  }
}

/** An allowed twin: the value is valid text, stored exactly as sent; the tables are intact. */
async function storedVerbatim(herald: TestHerald, account: TestAccount, field: Field, value: string): Promise<void> {
  const { as, request } = fieldRequests[field];
  const w = await seed(herald, account, as);
  const answer = await request(w, value);
  const data = accepted(answer);
  expect(await storedValue(w, field, data), where(answer)).toBe(value);
  // The tables are all there and the account reads as before.
  const [row] = await herald.db.prisma.$queryRaw<{ keys: bigint; messages: bigint; channels: bigint }[]>`
    SELECT (SELECT count(*) FROM "ApiKey") AS keys, (SELECT count(*) FROM "Message") AS messages, (SELECT count(*) FROM "Channel") AS channels`;
  expect(Number(row.keys)).toBeGreaterThanOrEqual(2);
  expect(Number(row.channels)).toBeGreaterThanOrEqual(2);
  expect(dataOf(await account.run(Channels)).channels.map((c) => c.slug)).toEqual(
    field === 'channel.name' ? ['billing', 'fresh', 'marketing'] : ['billing', 'marketing'],
  );
}

describe('allowed twins: SQL and script fragments in free text are stored verbatim', () => {
  test.for(TEXT_FIELDS.flatMap((field) => SQL_AND_SCRIPT.map((payload) => [`${field}: ${payload}`, field, payload] as const)))(
    '%s',
    async ([, field, payload], { herald, account }) => {
      await storedVerbatim(herald, account, field, payload);
    },
  );

  test.for(SQL_AND_SCRIPT.map((payload) => [payload]))('message.data keys and values: %s', async ([payload], { herald, account }) => {
    const w = await seed(herald, account, 'all');
    const data = { [payload]: payload, nested: { list: [payload] } };
    const answer = await sendMessage(w, w.all, { data });
    const { send } = accepted(answer) as { send: { message: { id: string; data: unknown } } };
    expect(send.message.data).toEqual(data);
    expect((await herald.db.prisma.message.findUniqueOrThrow({ where: { id: send.message.id } })).data).toEqual(data);
  });

  test.for(SQL_AND_SCRIPT.map((payload) => [payload]))('apiKey(id: %j) is null', async ([payload], { herald, account }) => {
    expect(accepted(await gql(herald, Q.apiKey, { token: account.token, variables: { id: payload } }))).toEqual({ apiKey: null });
  });
});

describe('SQL and script fragments in ids and cursors', () => {
  test.for(SQL_AND_SCRIPT.map((payload) => [payload]))(
    'updateApiKey(id: %j): NOT_FOUND (200 by the spec)',
    async ([payload], { herald, account }) => {
      await refused(herald, account, {
        request: (w) => gql(w.herald, Q.updateApiKey, { token: w.token, variables: { input: { id: payload, name: 'renamed' } } }),
        refusal: { status: 200, code: 'NOT_FOUND' },
      });
    },
  );

  test.for(SQL_AND_SCRIPT.map((payload) => [payload]))('messages(after: %j): BAD_USER_INPUT', async ([payload], { herald, account }) => {
    await refused(herald, account, {
      request: (w) => gql(w.herald, Q.messages, { token: w.token, variables: { after: payload } }),
      refusal: { status: 400, code: 'BAD_USER_INPUT' },
    });
  });

  test.for(SQL_AND_SCRIPT.map((payload) => [payload]))('recipients(after: %j): BAD_USER_INPUT', async ([payload], { herald, account }) => {
    await refused(herald, account, {
      request: (w) => gql(w.herald, Q.recipients, { token: w.token, variables: { after: payload } }),
      refusal: { status: 400, code: 'BAD_USER_INPUT', field: 'after' },
    });
  });

  test.for(
    SQL_AND_SCRIPT.flatMap((payload) =>
      (['updateChannel', 'updateRecipient', 'deleteChannel', 'deleteRecipient'] as const).map(
        (field) => [`${field}(id: ${payload})`, field, payload] as const,
      ),
    ),
  )('%s: NOT_FOUND (200 by the spec)', async ([, field, payload], { herald, account }) => {
    const requests = {
      updateChannel: [Q.updateChannel, { input: { id: payload, name: 'renamed' } }],
      updateRecipient: [Q.updateRecipient, { input: { id: payload, channels: [] } }],
      deleteChannel: ['mutation ($id: ID!) { deleteChannel(id: $id) { id } }', { id: payload }],
      deleteRecipient: ['mutation ($id: ID!) { deleteRecipient(id: $id) { id } }', { id: payload }],
    } as const;
    const [query, variables] = requests[field];
    await refused(herald, account, {
      request: (w) => gql(w.herald, query, { token: w.token, variables }),
      refusal: { status: 200, code: 'NOT_FOUND' },
    });
  });

  test.for(SQL_AND_SCRIPT.map((payload) => [payload]))(
    'allowed twins: recipients(search: %j) finds nobody; recipient(externalId) is null',
    async ([payload], { herald, account }) => {
      const w = await seed(herald, account, 'member');
      expect(accepted(await gql(herald, Q.recipients, { token: w.token, variables: { search: payload } }))).toEqual({
        recipients: { totalCount: 0, edges: [] },
      });
      expect(accepted(await gql(herald, Q.recipient, { token: w.token, variables: { externalId: payload } }))).toEqual({ recipient: null });
    },
  );

  test.for([
    ['a cursor past the 64-bit range', Buffer.from('message:9999999999999999999').toString('base64url')],
    ['a cursor of a negative sequence', Buffer.from('message:-1').toString('base64url')],
    ['a cursor of another list', Buffer.from('apiKey:1').toString('base64url')],
    ['a cursor of 10,000 digits', Buffer.from(`message:${'9'.repeat(10_000)}`).toString('base64url')],
  ])('messages(after: %s): BAD_USER_INPUT', async ([, after], { herald, account }) => {
    await refused(herald, account, {
      request: (w) => gql(w.herald, Q.messages, { token: w.token, variables: { after } }),
      refusal: { status: 400, code: 'BAD_USER_INPUT' },
    });
  });
});

describe('allowed twins: unicode that is not a control character is stored verbatim', () => {
  const allowed: [string, Field, string][] = [
    ['channel.name: emoji', 'channel.name', '\u{1F680} Launch \u{1F469}\u200D\u{1F469}\u200D\u{1F467}'],
    ['apiKey.name: emoji', 'apiKey.name', 'Sender \u{1F4E8}'],
    ['updateApiKey.name: emoji', 'updateApiKey.name', '\u{1F525} renamed'],
    ['message.title: emoji', 'message.title', 'Sale \u{1F389}\u{1F389}'],
    ['recipient.externalId: emoji', 'recipient.externalId', 'user-\u{1F47B}'],
    ['channel.name: a right-to-left override (Cf, not Cc)', 'channel.name', 'abc\u202Edef'],
    ['message.title: a right-to-left override (Cf, not Cc)', 'message.title', 'invoice\u202Efdp.exe'],
    ['recipient.externalId: a zero-width space (Cf)', 'recipient.externalId', 'user\u200Bid'],
    ['upsertRecipients.externalId: emoji and a zero-width joiner', 'upsertRecipients.externalId', 'user-\u{1F469}\u200D\u{1F469}'],
    ['updateChannel.name: emoji', 'updateChannel.name', 'Launch \u{1F680}'],
    ['apiKey.name: a soft hyphen (Cf)', 'apiKey.name', 'soft\u00ADhyphen'],
    ['message.body: line breaks and tabs', 'message.body', 'line 1\n\tline 2\r\nline 3'],
    ['message.title: combining marks', 'message.title', 'Z\u0351\u0356a\u0350l\u0358g\u0347o'],
    ['channel.name: CJK and Arabic', 'channel.name', '\u65B0\u95FB \u0627\u0644\u0623\u062E\u0628\u0627\u0631'],
  ];
  test.for(allowed)('%s', async ([, field, value], { herald, account }) => {
    await storedVerbatim(herald, account, field, value);
  });

  test('a name of 101 emoji: BAD_USER_INPUT (however characters are counted)', async ({ herald, account }) => {
    await refused(herald, account, hostileValue('channel.name', '\u{1F680}'.repeat(101)));
  });

  test.for([
    ['message.title', 'lone \uD800 surrogate'],
    ['channel.name', 'lone \uDC00 surrogate'],
    ['recipient.externalId', 'user-\uD83D'],
  ] as const)(
    '%s with a lone surrogate: refused (BAD_USER_INPUT) or stored verbatim, never altered',
    async ([field, value], { herald, account }) => {
      const { as, request } = fieldRequests[field];
      const w = await seed(herald, account, as);
      const before = await account.snapshot();
      const answer = await request(w, value);
      expect(answer.status, where(answer)).toBeLessThan(500);
      if (answer.json?.errors) {
        expect(answer.json.errors[0].extensions?.code, where(answer)).toBe('BAD_USER_INPUT');
        expect(await account.snapshot()).toEqual(before);
      } else {
        expect(await storedValue(w, field, answer.json?.data as Record<string, unknown>), where(answer)).toBe(value);
      }
    },
  );
});
