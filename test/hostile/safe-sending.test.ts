// Hostile input to the safe-sending settings: the Idempotency-Key header
// (empty, too long, huge, control characters, non-ASCII, repeated, among many
// other headers), allowedIps blocks that are not an address or CIDR block (or
// too many of them), and rateLimitPerMinute out of its range or not a 32-bit
// Int. Each is refused with a 4xx and a clear error naming what is wrong, and
// changes nothing; the allowed twins are accepted as sent (or canonical).
import { print } from 'graphql';
import type { CreateApiKeyInput, SendInput, UpdateApiKeyInput } from '../generated/graphql.ts';
import { Channels, CreateApiKey, Send, UpdateApiKey } from '../support/documents.ts';
import type { TestAccount } from '../support/fixtures.ts';
import { dataOf, type TestHerald } from '../support/herald.ts';
import {
  type Answer,
  accepted,
  describe,
  expect,
  GRAPHQL_RESPONSE,
  gql,
  type Hostile,
  http,
  type Refusal,
  rawHttp,
  refused,
  seed,
  test,
  typed,
  type World,
  where,
} from '../support/hostile.ts';

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

// ---------------------------------------------------------------------------
// Idempotency-Key on a send with an API key
// ---------------------------------------------------------------------------

const SEND_INPUT: SendInput = { message: { title: 'Once', body: 'B' } };
const SEND_BODY = JSON.stringify({ query: print(Send), variables: { input: SEND_INPUT } });

const IDEMPOTENCY_REFUSAL: Refusal = {
  status: 400,
  code: 'BAD_USER_INPUT',
  field: 'Idempotency-Key',
  message: /^Idempotency-Key must be 1 to 255 printable ASCII characters\.$/,
};

/** The send, by the world's ALL key, with this Idempotency-Key. */
const sendWithKey = (w: World, idempotencyKey: string) =>
  typed(w.herald, Send, { input: SEND_INPUT }, { token: w.all.secret, headers: { 'idempotency-key': idempotencyKey } });

/** The send, by the world's ALL key, with these headers besides (a header may come more than once). */
const sendWithHeaders = (w: World, headers: [string, string][]) =>
  http(w.herald, {
    headers: [['content-type', 'application/json'], ['accept', GRAPHQL_RESPONSE], ['authorization', `Bearer ${w.all.secret}`], ...headers],
    body: SEND_BODY,
  });

/** The send over a socket, through Node's HTTP parser, with these headers besides. */
const rawSend = (w: World, headers: [string, string][]) =>
  rawHttp(w.herald, [['Accept', GRAPHQL_RESPONSE], ['Authorization', `Bearer ${w.all.secret}`], ...headers], SEND_BODY);

const repeated = (n: number, value: (i: number) => string): [string, string][] =>
  Array.from({ length: n }, (_, i) => ['idempotency-key', value(i)]);
const junk = (n: number): [string, string][] => Array.from({ length: n }, (_, i) => [`x-junk-${i}`, `junk ${i}`]);

/** Every printable ASCII character, the space inside (a header value's outer spaces are not part of it). */
const PRINTABLE = Array.from({ length: 95 }, (_, i) => String.fromCharCode(0x20 + i)).join('');
const ALL_PRINTABLE = `${PRINTABLE.slice(1, 48)}${PRINTABLE[0]}${PRINTABLE.slice(48)}`;

describe('Idempotency-Key abuse: 400 BAD_USER_INPUT naming the header, nothing sent', () => {
  const values: [string, string][] = [
    ['empty', ''],
    ['256 characters', 'k'.repeat(256)],
    ['100 KB', 'k'.repeat(100_000)],
    ['a SOH (\\u0001) inside', 'key\u0001one'],
    ['a DEL (\\u007f) inside', 'key\u007Fone'],
    ['an ESC sequence', '\u001B[2Jkey'],
    ['a tab inside', 'key\tone'],
    ['a C1 control (\\u009b) inside', 'key\u009Bone'],
    ['non-ASCII (Latin-1)', 'clé'],
    ['non-ASCII (the UTF-8 bytes of a Cyrillic key)', Buffer.from('ключ-1').toString('latin1')],
  ];
  test.for(values)('%s', async ([, value], { herald, account }) => {
    await refused(herald, account, { as: 'all', request: (w) => sendWithKey(w, value), refusal: IDEMPOTENCY_REFUSAL });
  });

  test('the header 300 times (joined with ", " into one value)', async ({ herald, account }) => {
    await refused(herald, account, {
      as: 'all',
      request: (w) =>
        sendWithHeaders(
          w,
          repeated(300, (i) => `retry-${i}`),
        ),
      refusal: IDEMPOTENCY_REFUSAL,
    });
  });

  test('the same key 300 times', async ({ herald, account }) => {
    await refused(herald, account, {
      as: 'all',
      request: (w) =>
        sendWithHeaders(
          w,
          repeated(300, () => 'one-and-the-same'),
        ),
      refusal: IDEMPOTENCY_REFUSAL,
    });
  });

  test('over a socket: the header 300 times (Node joins them)', async ({ herald, account }) => {
    await refused(herald, account, {
      as: 'all',
      request: (w) =>
        rawSend(
          w,
          repeated(300, (i) => `retry-${i}`),
        ),
      refusal: IDEMPOTENCY_REFUSAL,
    });
  });
});

describe('Idempotency-Key abuse over a socket: refused by Node’s HTTP parser before Herald, nothing sent', () => {
  test.for([
    ['a SOH (\\u0001) inside: 400', 'key\u0001one', 400],
    ['a DEL (\\u007f) inside: 400', 'key\u007Fone', 400],
    ['a NUL inside: 400', 'key\u0000one', 400],
    ['100 KB (over the 16 KB of headers Node takes): 431', 'k'.repeat(100_000), 431],
  ] as const)('%s', async ([, value, status], { herald, account }) => {
    await refused(herald, account, {
      as: 'all',
      request: (w) => rawSend(w, [['Idempotency-Key', value]]),
      refusal: { status, bodyless: true },
    });
  });
});

describe('allowed twins: a well-formed Idempotency-Key, among any other headers, sends once and replays', () => {
  /** Sent once, replayed on a retry with the same key, remembered under exactly this key. */
  async function sendsOnceUnder(herald: TestHerald, account: TestAccount, w: World, first: Answer, idempotencyKey: string) {
    const data = accepted(first);
    const again = await sendWithKey(w, idempotencyKey);
    expect(accepted(again), where(again)).toEqual(data);
    expect(again.headers.get('idempotency-replayed'), where(again)).toBe('true');
    expect(await herald.db.prisma.message.count({ where: { account: { slug: account.slug } } })).toBe(1);
    const records = await herald.db.prisma.idempotencyKey.findMany({ where: { apiKeyId: w.all.id }, select: { key: true } });
    expect(records).toEqual([{ key: idempotencyKey }]);
  }

  test.for([
    ['255 characters (the limit)', 'k'.repeat(255)],
    ['all 95 printable ASCII characters', ALL_PRINTABLE],
    ['a SQL fragment (printable ASCII)', `'; DROP TABLE "IdempotencyKey"; --`],
  ])('%s', async ([, value], { herald, account }) => {
    const w = await seed(herald, account, 'all');
    await sendsOnceUnder(herald, account, w, await sendWithKey(w, value), value);
  });

  test('500 unrelated headers beside the key: the send answers normally', async ({ herald, account }) => {
    const w = await seed(herald, account, 'all');
    await sendsOnceUnder(herald, account, w, await sendWithHeaders(w, [...junk(500), ['idempotency-key', 'among-junk']]), 'among-junk');
  });

  test('over a socket, 500 unrelated headers beside the key: the send answers normally', async ({ herald, account }) => {
    const w = await seed(herald, account, 'all');
    await sendsOnceUnder(herald, account, w, await rawSend(w, [...junk(500), ['Idempotency-Key', 'raw-among-junk']]), 'raw-among-junk');
  });

  test('500 unrelated headers and no key: the send answers normally, nothing remembered', async ({ herald, account }) => {
    const w = await seed(herald, account, 'all');
    accepted(await sendWithHeaders(w, junk(500)));
    expect(await herald.db.prisma.idempotencyKey.count({ where: { apiKeyId: w.all.id } })).toBe(0);
  });
});

// ---------------------------------------------------------------------------
// allowedIps on createApiKey and updateApiKey
// ---------------------------------------------------------------------------

/** createApiKey by the world's member, with these settings. */
const createKey = (w: World, settings: Partial<CreateApiKeyInput>) =>
  typed(w.herald, CreateApiKey, { input: { name: 'Hostile', scope: { kind: 'ALL' }, ...settings } }, { token: w.token });

/** updateApiKey of the world's CHANNELS key by its member, with these settings. */
const updateKey = (w: World, settings: Omit<UpdateApiKeyInput, 'id'>) =>
  typed(w.herald, UpdateApiKey, { input: { id: w.scoped.id, ...settings } }, { token: w.token });

const MUTATIONS = [
  ['createApiKey', createKey],
  ['updateApiKey', updateKey],
] as const;

const BAD_BLOCKS: [string, string][] = [
  ['a prefix over 32 bits', '10.0.0.0/33'],
  ['a prefix over 128 bits', '::/129'],
  ['a mapped IPv4 block over 128 bits', '::ffff:10.0.0.0/129'],
  ['an octet over 255', '300.1.1.1'],
  ['a negative prefix', '10.0.0.1/-1'],
  ['a signed prefix', '10.0.0.0/+8'],
  ['not an address', 'not-an-ip'],
  ['empty', ''],
  ['blank', '   '],
  ['a slash alone', '/'],
  ['no prefix after the slash', '10.0.0.0/'],
  ['two prefixes', '1.2.3.4/8/8'],
  ['a prefix with letters after it', '10.0.0.1/32abc'],
  ['three colons', ':::'],
  ['10,000 characters', `10.0.0.0/${'8'.repeat(9_991)}`],
  ['a NUL after the block', '10.0.0.0/8\u0000'],
  ['a SOH inside', '10.0.0\u0001.0/8'],
  ['a line feed before the prefix', '10.0.0.0\n/8'],
  ['an ANSI escape before the block', '\u001B[31m10.0.0.0/8'],
  ['a DEL after the block', '10.0.0.0/8\u007F'],
  ['fullwidth digits', '\uFF11\uFF10.0.0.1'],
  ['a SQL fragment after the block', "10.0.0.0/8' OR 1=1"],
  ['a SQL statement after the block', '10.0.0.0/8; DROP TABLE "ApiKey"; --'],
  ['a SQL fragment alone', `'; DELETE FROM "ApiKey"; --`],
  ['a script', '<script>alert(1)</script>'],
];

/** The refusal of a bad block: BAD_USER_INPUT naming it (its first 64 characters, as JSON). */
const blockRefusal = (block: string): Refusal => ({
  status: 400,
  code: 'BAD_USER_INPUT',
  field: 'allowedIps',
  message: new RegExp(`^allowedIps: ${escapeRegExp(JSON.stringify(block.slice(0, 64)))} is not an IPv4 or IPv6 address or CIDR block`),
});

const countRefusal = (n: number): Refusal => ({
  status: 400,
  code: 'BAD_USER_INPUT',
  field: 'allowedIps',
  message: new RegExp(`^allowedIps may hold at most 100 blocks \\(it has ${n}\\)\\.$`),
});

const blocks = (n: number) => Array.from({ length: n }, (_, i) => `10.${i % 256}.${Math.floor(i / 256)}.0/24`);

describe('allowedIps abuse: 400 BAD_USER_INPUT naming the block, nothing written', () => {
  test.for(MUTATIONS.flatMap(([mutation]) => BAD_BLOCKS.map(([name, block]) => [`${mutation}: ${name}`, mutation, block] as const)))(
    '%s',
    async ([, mutation, block], { herald, account }) => {
      const run = MUTATIONS.find(([name]) => name === mutation)![1];
      // The bad block comes after a good one: the whole list is refused.
      await refused(herald, account, { request: (w) => run(w, { allowedIps: ['203.0.113.0/24', block] }), refusal: blockRefusal(block) });
    },
  );

  test.for(
    MUTATIONS.flatMap(([mutation]) => [101, 10_000].map((n) => [`${mutation}: ${n.toLocaleString('en-US')} blocks`, mutation, n] as const)),
  )('%s: refused naming the count', async ([, mutation, n], { herald, account }) => {
    const run = MUTATIONS.find(([name]) => name === mutation)![1];
    await refused(herald, account, { request: (w) => run(w, { allowedIps: blocks(n) }), refusal: countRefusal(n) });
  });

  test('updateApiKey renaming the key with one bad block: refused whole, the name unchanged', async ({ herald, account }) => {
    await refused(herald, account, {
      request: (w) => updateKey(w, { name: 'Renamed', allowedIps: ['10.0.0.0/8', '10.0.0.0/33'] }),
      refusal: blockRefusal('10.0.0.0/33'),
    });
  });

  const coercion: [string, Hostile][] = [
    ['a null block', { request: (w) => createKey(w, { allowedIps: ['10.0.0.0/8', null as unknown as string] }), refusal: { status: 400 } }],
    [
      'a number for a block',
      { request: (w) => createKey(w, { allowedIps: [167_772_160 as unknown as string] }), refusal: { status: 400 } },
    ],
    [
      'an object for a block',
      { request: (w) => createKey(w, { allowedIps: [{ $ne: '' } as unknown as string] }), refusal: { status: 400 } },
    ],
    [
      'one bad string for the list (coerced to a list of one)',
      { request: (w) => updateKey(w, { allowedIps: '300.1.1.1' as unknown as string[] }), refusal: blockRefusal('300.1.1.1') },
    ],
  ];
  test.for(coercion)('%s', async ([, hostile], { herald, account }) => {
    await refused(herald, account, hostile);
  });
});

// Forms of IPv4 other than four decimal octets: ipaddr.js reads them as
// inet_aton does (leading zero: octal; 0x: hex; fewer parts: the last fills the
// rest), other parsers differently (PostgreSQL's cidr reads "10.1" as
// 10.1.0.0/16), and a reader as decimal: the block stored is not the one meant.
const AMBIGUOUS_IPV4: [string, string][] = [
  ['a zero-padded octet (octal to ipaddr.js: 8.0.0.1)', '010.0.0.1'],
  ['a zero-padded block (octal to ipaddr.js: 192.168.8.0/24)', '192.168.010.0/24'],
  ['a hexadecimal octet', '0x0a.0.0.1'],
  ['two parts', '10.1'],
  ['one 32-bit number', '167772161'],
  ['a zero-padded IPv4 inside IPv6', '::ffff:010.0.0.1'],
  ['an IPv6 zone', 'fe80::1%eth0'],
];

describe('allowedIps: an address written other than plainly (IPv4 as four decimal octets, IPv6 without a zone) is refused, not reinterpreted', () => {
  for (const [mutation] of MUTATIONS) {
    for (const [name, block] of AMBIGUOUS_IPV4) {
      test(`${mutation}: ${name}, ${JSON.stringify(block)}`, async ({ herald, account }) => {
        const run = MUTATIONS.find(([m]) => m === mutation)![1];
        await refused(herald, account, { request: (w) => run(w, { allowedIps: [block] }), refusal: blockRefusal(block) });
      });
    }
  }
});

/** 100 distinct blocks, IPv4 and IPv6, written loosely; and each as it must come back. */
const WRITTEN_AND_CANONICAL: [string, string][] = [
  ['10.0.0.1', '10.0.0.1/32'],
  ['2001:db8::/32', '2001:db8::/32'],
  ['::ffff:10.0.0.0/104', '10.0.0.0/8'],
  [' 192.0.2.7/24 ', '192.0.2.0/24'],
  ['\t198.51.100.0/24\n', '198.51.100.0/24'],
  ['2001:DB8:1::1/48', '2001:db8:1::/48'],
  ['::1', '::1/128'],
  ['::ffff:203.0.113.9', '203.0.113.9/32'],
  ['0.0.0.0/8', '0.0.0.0/8'],
  ['fe80::/10', 'fe80::/10'],
  ...Array.from({ length: 45 }, (_, i): [string, string] => [`172.16.${i}.9/24`, `172.16.${i}.0/24`]),
  ...Array.from({ length: 45 }, (_, i): [string, string] => [
    `2001:0db8:${(0x1000 + i).toString(16)}:0::1/64`,
    `2001:db8:${(0x1000 + i).toString(16)}::/64`,
  ]),
];

describe('allowed twins: 100 valid blocks, IPv4 and IPv6, are taken and come back canonical', () => {
  const written = WRITTEN_AND_CANONICAL.map(([block]) => block);
  const canonical = WRITTEN_AND_CANONICAL.map(([, block]) => block);

  test('createApiKey: canonical in the answer and in the database; the key answers from inside and not from outside', async ({
    herald,
    account,
  }) => {
    expect(written).toHaveLength(100);
    expect(new Set(canonical).size).toBe(100);
    const w = await seed(herald, account, 'member');
    const created = dataOf(
      await herald.execute(CreateApiKey, { input: { name: 'Hundred', scope: { kind: 'ALL' }, allowedIps: written } }, { token: w.token }),
    );
    expect(created.createApiKey.apiKey.allowedIps).toEqual(canonical);
    const row = await herald.db.prisma.apiKey.findUniqueOrThrow({ where: { id: created.createApiKey.apiKey.id } });
    expect(row.allowedIps).toEqual(canonical);
    const secret = created.createApiKey.secret;
    dataOf(await herald.execute(Channels, undefined, { token: secret, from: '10.200.1.1' }));
    dataOf(await herald.execute(Channels, undefined, { token: secret, from: '2001:db8:1003::5' }));
    expect((await herald.execute(Channels, undefined, { token: secret, from: '100.64.0.1' })).status).toBe(403);
  });

  test('updateApiKey: canonical in the database', async ({ herald, account }) => {
    const w = await seed(herald, account, 'member');
    accepted(await updateKey(w, { allowedIps: written }));
    expect((await herald.db.prisma.apiKey.findUniqueOrThrow({ where: { id: w.scoped.id } })).allowedIps).toEqual(canonical);
  });
});

// ---------------------------------------------------------------------------
// rateLimitPerMinute on createApiKey and updateApiKey
// ---------------------------------------------------------------------------

const LIMIT_REFUSAL: Refusal = {
  status: 400,
  code: 'BAD_USER_INPUT',
  field: 'rateLimitPerMinute',
  message: /^rateLimitPerMinute must be 1 to 100,000\.$/,
};

const INT_MAX = 2 ** 31 - 1;

describe('rateLimitPerMinute out of range: 400 BAD_USER_INPUT, nothing written', () => {
  test.for(
    MUTATIONS.flatMap(([mutation]) =>
      [
        ['0', 0],
        ['-1', -1],
        ['100,001', 100_001],
        ['2^31-1 (the largest GraphQL Int)', INT_MAX],
        ['-2^31 (the smallest GraphQL Int)', -(2 ** 31)],
      ].map(([name, limit]) => [`${mutation}: ${name}`, mutation, limit as number] as const),
    ),
  )('%s', async ([, mutation, limit], { herald, account }) => {
    const run = MUTATIONS.find(([name]) => name === mutation)![1];
    await refused(herald, account, { request: (w) => run(w, { rateLimitPerMinute: limit }), refusal: LIMIT_REFUSAL });
  });

  test('updateApiKey renaming the key with a limit of 0: refused whole, the name unchanged', async ({ herald, account }) => {
    await refused(herald, account, {
      request: (w) => updateKey(w, { name: 'Renamed', rateLimitPerMinute: 0 }),
      refusal: LIMIT_REFUSAL,
    });
  });
});

describe('rateLimitPerMinute that is not a 32-bit Int: 400 from GraphQL coercion, nothing written', () => {
  test.for(
    MUTATIONS.flatMap(([mutation]) =>
      (
        [
          ['2^31', 2 ** 31, /Int cannot represent non 32-bit signed integer value/],
          ['1e20', 1e20, /Int cannot represent non 32-bit signed integer value/],
          ['-2^31-1', -(2 ** 31) - 1, /Int cannot represent non 32-bit signed integer value/],
          ['1.5', 1.5, /Int cannot represent non-integer value/],
          ['"100" (a string)', '100', /Int cannot represent non-integer value/],
          ['true', true, /Int cannot represent non-integer value/],
        ] as const
      ).map(([name, limit, pattern]) => [`${mutation}: ${name} as a variable`, mutation, limit, pattern] as const),
    ),
  )('%s', async ([, mutation, limit, pattern], { herald, account }) => {
    const run = MUTATIONS.find(([name]) => name === mutation)![1];
    await refused(herald, account, {
      request: (w) => run(w, { rateLimitPerMinute: limit as unknown as number }),
      refusal: { status: 400, message: pattern },
    });
  });

  const literalDocuments = {
    createApiKey: (_w: World, literal: string) =>
      `mutation { createApiKey(input: { name: "Literal", scope: { kind: ALL }, rateLimitPerMinute: ${literal} }) { secret } }`,
    updateApiKey: (w: World, literal: string) =>
      `mutation { updateApiKey(input: { id: "${w.scoped.id}", rateLimitPerMinute: ${literal} }) { id } }`,
  };
  test.for(
    MUTATIONS.flatMap(([mutation]) =>
      (
        [
          ['2147483648', /Int cannot represent non 32-bit signed integer value/],
          ['1e20', /Int cannot represent non-integer value/],
        ] as const
      ).map(([literal, pattern]) => [`${mutation}: ${literal} as a literal in the document`, mutation, literal, pattern] as const),
    ),
  )('%s: GRAPHQL_VALIDATION_FAILED', async ([, mutation, literal, pattern], { herald, account }) => {
    await refused(herald, account, {
      request: (w) => gql(w.herald, literalDocuments[mutation](w, literal), { token: w.token }),
      refusal: { status: 400, code: 'GRAPHQL_VALIDATION_FAILED', message: pattern },
    });
  });
});

describe('allowed twins: rateLimitPerMinute of 1 and of 100,000 are stored as sent', () => {
  test.for(
    MUTATIONS.flatMap(([mutation]) =>
      [1, 100_000].map((limit) => [`${mutation}: ${limit.toLocaleString('en-US')}`, mutation, limit] as const),
    ),
  )('%s', async ([, mutation, limit], { herald, account }) => {
    const w = await seed(herald, account, 'member');
    const run = MUTATIONS.find(([name]) => name === mutation)![1];
    const data = accepted(await run(w, { rateLimitPerMinute: limit }));
    const id = mutation === 'createApiKey' ? (data.createApiKey as { apiKey: { id: string } }).apiKey.id : w.scoped.id;
    expect((await herald.db.prisma.apiKey.findUniqueOrThrow({ where: { id } })).rateLimitPerMinute).toBe(limit);
  });
});
