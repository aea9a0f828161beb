// Hostile requests, hand-written and generated: every one must get a 4xx (never
// a 5xx) with a clear error, leave the account's data exactly as it was, and
// leave the server answering the next normal request. Where hostile-looking
// input is in fact valid (SQL in a title, emoji in a name) an "allowed twin"
// checks that it is stored verbatim and harmlessly.
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import { connect } from 'node:net';
import { crc32 } from 'node:zlib';
import fc from 'fast-check';
import { parse } from 'graphql';
import { SignJWT } from 'jose';
import { pino } from 'pino';
import { isWellFormedSecret } from '../../src/auth/api-keys.ts';
import { createHerald } from '../../src/yoga.ts';
import { Channels } from '../support/documents.ts';
import { test as base, describe, expect, type TestAccount, TestKey } from '../support/fixtures.ts';
import { dataOf, redact, TEST_JWT_SECRET, TestHerald, testConfig } from '../support/herald.ts';

// ---------------------------------------------------------------------------
// The server for this file. Failed authentications are rate limited per source
// address; every request here that is meant to fail authentication comes from
// its own X-Forwarded-For address (trusted only in this file's server), so
// that it is judged on its own and never locks out the normal requests, nor,
// on PostgreSQL where the counters are shared, other test files.
// ---------------------------------------------------------------------------

const test = base.extend<{ $file: { herald: TestHerald } }>({
  herald: [
    // biome-ignore lint/correctness/noEmptyPattern: vitest reads the fixture's dependencies from this pattern.
    async ({}, use) => {
      const herald = await TestHerald.start({ trustProxy: ['loopback'] });
      await use(herald);
      await herald.close();
    },
    { scope: 'file' },
  ],
});

const GRAPHQL_RESPONSE = 'application/graphql-response+json';
const MiB = 1_048_576;

/** A source address of its own, for one request meant to fail authentication. */
const freshAddress = () => `2001:db8::${randomUUID().slice(0, 4)}:${randomUUID().slice(0, 4)}`;

// ---------------------------------------------------------------------------
// Requests and answers
// ---------------------------------------------------------------------------

interface GraphQLErrorJson {
  message?: unknown;
  extensions?: { code?: unknown; [key: string]: unknown };
}

interface Answer {
  status: number;
  headers: Headers;
  text: string;
  json: { data?: unknown; errors?: GraphQLErrorJson[] } | undefined;
  /** The request, for failure messages (no secrets). */
  request: string;
}

/** Where requests go: this file's server, or another Yoga over the same database. */
type Fetcher = Pick<TestHerald, 'fetch'>;

interface Req {
  method?: string;
  path?: string;
  headers?: Record<string, string>;
  body?: BodyInit | null;
  duplex?: 'half';
}

function shorten(text: string, max = 600): string {
  return text.length > max ? `${text.slice(0, max)}… (${text.length} characters)` : text;
}

function describeRequest(req: Req): string {
  const headers = Object.entries(req.headers ?? {})
    .map(([name, value]) => `${name}: ${name.toLowerCase() === 'authorization' ? `${shorten(value, 40)} (${value.length})` : value}`)
    .join('; ');
  const body = typeof req.body === 'string' ? shorten(req.body) : req.body == null ? '' : `<${req.body.constructor.name}>`;
  return redact(`${req.method ?? 'GET'} ${req.path ?? '/graphql'} [${headers}] ${JSON.stringify(body)}`);
}

async function http(herald: Fetcher, req: Req): Promise<Answer> {
  const response = await herald.fetch({ method: 'POST', ...req } as RequestInit & { path?: string });
  const text = await response.text();
  let json: Answer['json'];
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: response.status, headers: response.headers, text, json, request: describeRequest({ method: 'POST', ...req }) };
}

interface GqlOptions {
  variables?: unknown;
  token?: string;
  headers?: Record<string, string>;
  operationName?: string;
}

/** A GraphQL request as a spec-compliant client sends it (4xx for request errors). */
function gql(herald: Fetcher, query: string, { variables, token, headers, operationName }: GqlOptions = {}): Promise<Answer> {
  return http(herald, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      accept: GRAPHQL_RESPONSE,
      ...(token === undefined ? {} : { authorization: `Bearer ${token}` }),
      ...headers,
    },
    body: JSON.stringify({ query, variables, operationName }),
  });
}

const where = (answer: Answer) => `${answer.request}\n→ ${answer.status} ${redact(shorten(answer.text, 1500))}`;

// ---------------------------------------------------------------------------
// The world each case runs in: an account with two channels, a recipient and
// two keys (ALL, and CHANNELS on marketing).
// ---------------------------------------------------------------------------

type Role = 'anonymous' | 'member' | 'all' | 'scoped';

interface World {
  herald: TestHerald;
  account: TestAccount;
  all: TestKey;
  scoped: TestKey;
  /** The bearer token of the case's role (undefined: anonymous). */
  token: string | undefined;
}

const SEED = `mutation Seed {
  marketing: createChannel(input: { slug: "marketing", name: "Marketing" }) { id }
  billing: createChannel(input: { slug: "billing", name: "Billing" }) { id }
  recipient: createRecipient(input: { externalId: "r-1", channels: ["marketing"] }) { id }
  all: createApiKey(input: { name: "All sender", scope: { kind: ALL } }) { secret apiKey { id name } }
  scoped: createApiKey(input: { name: "Marketing sender", scope: { kind: CHANNELS, channels: ["marketing"] } }) { secret apiKey { id name } }
}`;

/** The world, in one request (five mutations run in order). */
async function seed(herald: TestHerald, account: TestAccount, role: Role): Promise<World> {
  type Created = { secret: string; apiKey: { id: string; name: string } };
  const seeded = dataOf(await herald.execute<{ all: Created; scoped: Created }, never>(SEED, {} as never, { token: account.token }));
  const key = ({ secret, apiKey }: Created) => new TestKey(herald, apiKey.id, apiKey.name, secret);
  const all = key(seeded.all);
  const scoped = key(seeded.scoped);
  const token = { anonymous: undefined, member: account.token, all: all.secret, scoped: scoped.secret }[role];
  return { herald, account, all, scoped, token };
}

interface Refusal {
  /** Expected status(es); any 4xx when absent. NOT_FOUND is 200 by the spec. */
  status?: number | number[];
  /** Expected extensions.code of an error (execution errors). */
  code?: string;
  /** Expected message pattern. */
  message?: RegExp;
  /** HEAD, or refused by Node's HTTP parser: a status and no body. */
  bodyless?: boolean;
}

interface Hostile {
  as?: Role;
  request: (w: World) => Promise<Answer>;
  refusal?: Refusal;
}

/** One hostile request: refused with a 4xx and a clear error, nothing changed, the server still serving. */
async function refused(herald: TestHerald, account: TestAccount, hostile: Hostile): Promise<void> {
  const w = await seed(herald, account, hostile.as ?? 'member');
  const refusal = hostile.refusal ?? {};
  const before = await account.snapshot();
  const answer = await hostile.request(w);
  const context = where(answer);
  if (refusal.status === undefined) {
    expect(answer.status, `a 4xx: ${context}`).toBeGreaterThanOrEqual(400);
    expect(answer.status, `a 4xx: ${context}`).toBeLessThan(500);
  } else {
    expect([refusal.status].flat(), `status: ${context}`).toContain(answer.status);
  }
  if (!refusal.bodyless) {
    const errors = answer.json?.errors;
    expect(Array.isArray(errors) && errors.length > 0, `a GraphQL error in the body: ${context}`).toBe(true);
    const [first] = errors as GraphQLErrorJson[];
    expect(typeof first.message === 'string' && /\S/.test(first.message), `an error message: ${context}`).toBe(true);
    if (refusal.code)
      expect(
        (errors as GraphQLErrorJson[]).map((e) => e.extensions?.code),
        `code: ${context}`,
      ).toContain(refusal.code);
    if (refusal.message) expect(first.message, context).toMatch(refusal.message);
  }
  // The server still answers a normal request, and nothing changed.
  dataOf(await account.run(Channels));
  expect(await account.snapshot(), `nothing changed after: ${answer.request}`).toEqual(before);
}

/** An allowed twin: the request succeeds (200, no errors); returns its data. */
function accepted(answer: Answer): Record<string, unknown> {
  expect(answer.status, where(answer)).toBe(200);
  expect(answer.json?.errors, where(answer)).toBeUndefined();
  return answer.json?.data as Record<string, unknown>;
}

// ---------------------------------------------------------------------------
// Documents
// ---------------------------------------------------------------------------

const Q = {
  createChannel: 'mutation CreateChannel($input: CreateChannelInput!) { createChannel(input: $input) { id slug name } }',
  createRecipient:
    'mutation CreateRecipient($input: CreateRecipientInput!) { createRecipient(input: $input) { id externalId channels { slug } } }',
  createApiKey:
    'mutation CreateApiKey($input: CreateApiKeyInput!) { createApiKey(input: $input) { apiKey { id name scope { kind channels { slug } } } } }',
  updateApiKey:
    'mutation UpdateApiKey($input: UpdateApiKeyInput!) { updateApiKey(input: $input) { id name scope { kind channels { slug } } } }',
  send: 'mutation Send($input: SendInput!) { send(input: $input) { message { id title body data allRecipients recipientCount channels { slug } } } }',
  channels: 'query Channels { channels { id slug name } }',
  messages: 'query Messages($first: Int, $after: String) { messages(first: $first, after: $after) { totalCount edges { node { id } } } }',
  apiKey: 'query ApiKey($id: ID!) { apiKey(id: $id) { id name } }',
};

const createChannelBody = (slug: string) =>
  JSON.stringify({ query: `mutation { createChannel(input: { slug: "${slug}", name: "Evil" }) { id } }` });

const sendAs = (w: Pick<World, 'herald'>, key: TestKey, input: unknown) =>
  gql(w.herald, Q.send, { token: key.secret, variables: { input } });
const message = (overrides: Record<string, unknown> = {}) => ({ title: 'T', body: 'B', ...overrides });
/** A send of a message (no target) with these fields. */
const sendMessage = (w: Pick<World, 'herald'>, key: TestKey, overrides: Record<string, unknown> = {}) =>
  sendAs(w, key, { message: message(overrides) });

// ---------------------------------------------------------------------------
// 1. HTTP: malformed bodies, content types, methods, sizes
// ---------------------------------------------------------------------------

const jsonPost = (w: World, body: BodyInit, headers: Record<string, string> = {}): Promise<Answer> =>
  http(w.herald, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: GRAPHQL_RESPONSE, authorization: `Bearer ${w.account.token}`, ...headers },
    body,
  });

const isInvalidJson = (text: string) => {
  try {
    JSON.parse(text);
    return false;
  } catch {
    return true;
  }
};

const VALID_MUTATION_BODY = createChannelBody('mutilated');

/** Generated: random short strings that are not JSON. */
const generatedNotJson = [
  ...new Set(fc.sample(fc.string({ minLength: 1, maxLength: 30, unit: 'binary-ascii' }), { numRuns: 300, seed: 1 })),
]
  .filter(isInvalidJson)
  .slice(0, 15);

/** Generated: a valid mutation body, cut, with a character deleted or inserted, until it is no longer JSON. */
const generatedMutilated = [
  ...new Set(
    fc
      .sample(
        fc.record({
          at: fc.nat({ max: VALID_MUTATION_BODY.length - 1 }),
          how: fc.constantFrom('cut', 'delete', 'insert'),
          insert: fc.constantFrom('{', '}', '[', ']', '"', ',', ':', '\\', "'", '\u0000'),
        }),
        { numRuns: 400, seed: 2 },
      )
      .map(({ at, how, insert }) =>
        how === 'cut'
          ? VALID_MUTATION_BODY.slice(0, at)
          : how === 'delete'
            ? VALID_MUTATION_BODY.slice(0, at) + VALID_MUTATION_BODY.slice(at + 1)
            : VALID_MUTATION_BODY.slice(0, at) + insert + VALID_MUTATION_BODY.slice(at),
      ),
  ),
]
  .filter(isInvalidJson)
  .slice(0, 15);

const deeplyNestedArray = `${'['.repeat(100_000)}${']'.repeat(100_000)}`;

const bodies: [string, string | Uint8Array<ArrayBuffer>][] = [
  ['an empty body', ''],
  ['a lone brace', '{'],
  ['an unterminated object', '{"query": '],
  ['a mutation missing its closing brace', VALID_MUTATION_BODY.slice(0, -1)],
  ['single-quoted JSON', `{'query': '{ channels { id } }'}`],
  ['a trailing comma', '{"query":"{ channels { id } }",}'],
  ['a byte-order mark before the JSON', `\uFEFF${createChannelBody('bom')}`],
  ['a NUL byte', '\u0000'],
  ['invalid UTF-8 bytes', new Uint8Array([0x7b, 0x22, 0xff, 0xfe, 0xc3, 0x28, 0x22, 0x7d])],
  ['JSON null', 'null'],
  ['JSON true', 'true'],
  ['a JSON number', '42'],
  ['a JSON string', '"mutation { createChannel(input: {slug: \\"s\\", name: \\"s\\"}) { id } }"'],
  ['an empty array (batching)', '[]'],
  ['a batch of mutations', `[${createChannelBody('batch-1')},${createChannelBody('batch-2')}]`],
  ['100,000 nested arrays', deeplyNestedArray],
  ['an object without a query', '{}'],
  ['query null', '{"query":null}'],
  ['query empty', '{"query":""}'],
  ['query a number', '{"query":42}'],
  ['query an AST object', '{"query":{"kind":"Document","definitions":[]}}'],
  ['query an array', `{"query":["mutation { createChannel(input: {slug: \\"arr\\", name: \\"x\\"}) { id } }"]}`],
  ['variables a string', '{"query":"{ channels { id } }","variables":"{}"}'],
  ['variables an array', '{"query":"{ channels { id } }","variables":[1]}'],
  ['extensions a string', '{"query":"{ channels { id } }","extensions":"x"}'],
  ['operationName a number', '{"query":"{ channels { id } }","operationName":5}'],
  ['a __proto__ parameter', '{"query":"{ channels { id } }","__proto__":{"admin":true}}'],
  ['an unknown top-level parameter', '{"query":"{ channels { id } }","mutation":"createChannel"}'],
  ...generatedNotJson.map((text): [string, string] => [`generated non-JSON ${JSON.stringify(text)}`, text]),
  ...generatedMutilated.map((text): [string, string] => [`generated mutilated mutation ${JSON.stringify(shorten(text, 80))}`, text]),
];

describe('1. malformed bodies: 400 with a message', () => {
  test.for(bodies)('%s', async ([, body], { herald, account }) => {
    await refused(herald, account, { request: (w) => jsonPost(w, body), refusal: { status: 400 } });
  });
});

const multipart = (parts: string) => `${parts}--boundary--\r\n`;

const transport: [string, Hostile][] = [
  [
    'text/plain with a valid mutation: 415',
    { request: (w) => jsonPost(w, createChannelBody('plain'), { 'content-type': 'text/plain' }), refusal: { status: 415 } },
  ],
  [
    'text/plain;charset=utf-8 (a CORS-simple type) with a valid mutation: 415',
    { request: (w) => jsonPost(w, createChannelBody('plain2'), { 'content-type': 'text/plain;charset=utf-8' }), refusal: { status: 415 } },
  ],
  [
    'application/xml: 415',
    {
      request: (w) => jsonPost(w, '<query>mutation { createChannel }</query>', { 'content-type': 'application/xml' }),
      refusal: { status: 415 },
    },
  ],
  [
    'no content type with a valid mutation: 415',
    {
      request: (w) =>
        http(w.herald, {
          method: 'POST',
          headers: { accept: GRAPHQL_RESPONSE, authorization: `Bearer ${w.account.token}` },
          body: new TextEncoder().encode(createChannelBody('untyped')),
        }),
      refusal: { status: 415 },
    },
  ],
  [
    'an unknown content type with a valid mutation: 415',
    { request: (w) => jsonPost(w, createChannelBody('weird'), { 'content-type': 'application/x-herald' }), refusal: { status: 415 } },
  ],
  [
    'multipart/form-data without any field: 415 (multipart is off)',
    {
      request: (w) => jsonPost(w, multipart(''), { 'content-type': 'multipart/form-data; boundary=boundary' }),
      refusal: { status: 415 },
    },
  ],
  [
    'multipart/form-data with an unrelated field: 415 (multipart is off)',
    {
      request: (w) =>
        jsonPost(w, multipart('--boundary\r\nContent-Disposition: form-data; name="file"\r\n\r\nhello\r\n'), {
          'content-type': 'multipart/form-data; boundary=boundary',
        }),
      refusal: { status: 415 },
    },
  ],
  [
    'multipart/form-data with an "operations" field that is not JSON: 415 (multipart is off)',
    {
      request: (w) =>
        jsonPost(w, multipart('--boundary\r\nContent-Disposition: form-data; name="operations"\r\n\r\n{"query": \r\n'), {
          'content-type': 'multipart/form-data; boundary=boundary',
        }),
      refusal: { status: 415 },
    },
  ],
  [
    'multipart/form-data without a boundary: 415 (multipart is off)',
    { request: (w) => jsonPost(w, createChannelBody('noboundary'), { 'content-type': 'multipart/form-data' }), refusal: { status: 415 } },
  ],
  [
    'application/graphql (Herald takes JSON only): 415',
    { request: (w) => jsonPost(w, 'mutation { createChannel(', { 'content-type': 'application/graphql' }), refusal: { status: 415 } },
  ],
  [
    'GET with a mutation: 405',
    {
      request: (w) =>
        http(w.herald, {
          method: 'GET',
          path: `/graphql?query=${encodeURIComponent('mutation { createChannel(input: {slug: "via-get", name: "x"}) { id } }')}`,
          headers: { accept: GRAPHQL_RESPONSE, authorization: `Bearer ${w.account.token}` },
        }),
      refusal: { status: 405 },
    },
  ],
  [
    'GET selecting the mutation of a two-operation document by operationName: 405',
    {
      request: (w) =>
        http(w.herald, {
          method: 'GET',
          path: `/graphql?operationName=M&query=${encodeURIComponent('query Q { channels { id } } mutation M { createChannel(input: {slug: "via-get2", name: "x"}) { id } }')}`,
          headers: { accept: GRAPHQL_RESPONSE, authorization: `Bearer ${w.account.token}` },
        }),
      refusal: { status: 405 },
    },
  ],
  [
    'GET without a query: 400',
    {
      request: (w) => http(w.herald, { method: 'GET', headers: { accept: GRAPHQL_RESPONSE, authorization: `Bearer ${w.account.token}` } }),
      refusal: { status: 400 },
    },
  ],
  [
    'HEAD: 405',
    {
      request: (w) => http(w.herald, { method: 'HEAD', headers: { accept: GRAPHQL_RESPONSE, authorization: `Bearer ${w.account.token}` } }),
      refusal: { status: 405, bodyless: true },
    },
  ],
  ...(['PUT', 'DELETE', 'PATCH'] as const).map((method): [string, Hostile] => [
    `${method} with a valid mutation: 405`,
    {
      request: (w) =>
        http(w.herald, {
          method,
          headers: { 'content-type': 'application/json', accept: GRAPHQL_RESPONSE, authorization: `Bearer ${w.account.token}` },
          body: createChannelBody(`via-${method.toLowerCase()}`),
        }),
      refusal: { status: 405 },
    },
  ]),
];

describe('1. content types and methods', () => {
  test.for(transport)('%s', async ([, hostile], { herald, account }) => {
    await refused(herald, account, hostile);
  });
});

/** A JSON body of exactly `size` bytes: a send whose title is padded. */
function paddedSend(size: number, char = 't'): string {
  const shell = JSON.stringify({ query: Q.send, variables: { input: { message: { title: '', body: 'B' } } } });
  const room = size - Buffer.byteLength(shell);
  return JSON.stringify({
    query: Q.send,
    variables: { input: { message: { title: char.repeat(room / Buffer.byteLength(char)), body: 'B' } } },
  });
}

const huge = 1_000_000;
const sizes: [string, Hostile][] = [
  [
    'a title of 1,000,000 characters (under 1 MiB): BAD_USER_INPUT',
    { as: 'all', request: (w) => sendMessage(w, w.all, { title: 't'.repeat(huge) }), refusal: { status: 400, code: 'BAD_USER_INPUT' } },
  ],
  [
    'a title of 330,000 "€" (990,000 bytes): BAD_USER_INPUT',
    {
      as: 'all',
      request: (w) => sendMessage(w, w.all, { title: '€'.repeat(330_000) }),
      refusal: { status: 400, code: 'BAD_USER_INPUT' },
    },
  ],
  [
    'a body of 1,000,000 characters: BAD_USER_INPUT',
    { as: 'all', request: (w) => sendMessage(w, w.all, { body: 'b'.repeat(huge) }), refusal: { status: 400, code: 'BAD_USER_INPUT' } },
  ],
  [
    'a channel name of 1,000,000 characters: BAD_USER_INPUT',
    {
      request: (w) => gql(w.herald, Q.createChannel, { token: w.token, variables: { input: { slug: 'big', name: 'n'.repeat(huge) } } }),
      refusal: { status: 400, code: 'BAD_USER_INPUT' },
    },
  ],
  [
    'a slug of 1,000,000 characters: BAD_USER_INPUT',
    {
      request: (w) => gql(w.herald, Q.createChannel, { token: w.token, variables: { input: { slug: 's'.repeat(huge), name: 'N' } } }),
      refusal: { status: 400, code: 'BAD_USER_INPUT' },
    },
  ],
  [
    'an externalId of 1,000,000 characters: BAD_USER_INPUT',
    {
      request: (w) =>
        gql(w.herald, Q.createRecipient, { token: w.token, variables: { input: { externalId: 'e'.repeat(huge), channels: [] } } }),
      refusal: { status: 400, code: 'BAD_USER_INPUT' },
    },
  ],
  [
    'a key name of 1,000,000 characters: BAD_USER_INPUT',
    {
      request: (w) =>
        gql(w.herald, Q.createApiKey, { token: w.token, variables: { input: { name: 'k'.repeat(huge), scope: { kind: 'ALL' } } } }),
      refusal: { status: 400, code: 'BAD_USER_INPUT' },
    },
  ],
  [
    'a send body of exactly 1 MiB (the limit): parsed, BAD_USER_INPUT for the title',
    {
      as: 'all',
      request: (w) => jsonPost(w, paddedSend(MiB), { authorization: `Bearer ${w.all.secret}` }),
      refusal: { status: 400, code: 'BAD_USER_INPUT' },
    },
  ],
  [
    'a send body of 1 MiB + 1 byte: 413',
    { as: 'all', request: (w) => jsonPost(w, paddedSend(MiB + 1), { authorization: `Bearer ${w.all.secret}` }), refusal: { status: 413 } },
  ],
  [
    'a send body of 1.5 MiB of "€": 413',
    {
      as: 'all',
      request: (w) => jsonPost(w, paddedSend(Math.floor(1.5 * MiB), '€'), { authorization: `Bearer ${w.all.secret}` }),
      refusal: { status: 413 },
    },
  ],
  [
    'a 2 MiB mutation streamed without Content-Length: 413',
    {
      request: (w) => {
        const body = new TextEncoder().encode(
          JSON.stringify({ query: `mutation { createChannel(input: {slug: "streamed", name: "${'n'.repeat(2 * MiB)}"}) { id } }` }),
        );
        const stream = new ReadableStream({
          start(controller) {
            for (let i = 0; i < body.length; i += 65_536) controller.enqueue(body.slice(i, i + 65_536));
            controller.close();
          },
        });
        return http(w.herald, {
          method: 'POST',
          headers: { 'content-type': 'application/json', accept: GRAPHQL_RESPONSE, authorization: `Bearer ${w.account.token}` },
          body: stream,
          duplex: 'half',
        });
      },
      refusal: { status: 413 },
    },
  ],
];

describe('1. huge strings and bodies', () => {
  test.for(sizes)('%s', async ([, hostile], { herald, account }) => {
    await refused(herald, account, hostile);
  });
});

// ---------------------------------------------------------------------------
// 2. GraphQL documents: parse and validation errors, operation names, bombs
// ---------------------------------------------------------------------------

const asMember =
  (query: string, options: Omit<GqlOptions, 'token'> = {}) =>
  (w: World) =>
    gql(w.herald, query, { token: w.token, ...options });

const documents: [string, Hostile][] = [
  ['an unclosed selection', { request: asMember('{ channels { id }'), refusal: { status: 400, code: 'GRAPHQL_PARSE_FAILED' } }],
  ['an unclosed mutation', { request: asMember('mutation { createChannel('), refusal: { status: 400, code: 'GRAPHQL_PARSE_FAILED' } }],
  ['extra closing braces', { request: asMember('{ channels { id } } }}}'), refusal: { status: 400, code: 'GRAPHQL_PARSE_FAILED' } }],
  ['an unterminated string', { request: asMember('{ apiKey(id: "abc) { id } }'), refusal: { status: 400, code: 'GRAPHQL_PARSE_FAILED' } }],
  ['a NUL character in the document', { request: asMember('{ channels\u0000 { id } }'), refusal: { status: 400 } }],
  ['only a comment', { request: asMember('# nothing here'), refusal: { status: 400 } }],
  ['an unknown root field', { request: asMember('{ secrets }'), refusal: { status: 400, code: 'GRAPHQL_VALIDATION_FAILED' } }],
  [
    'asking an API key list for its secret',
    { request: asMember('{ apiKeys { id secret } }'), refusal: { status: 400, code: 'GRAPHQL_VALIDATION_FAILED' } },
  ],
  [
    'an unknown mutation',
    { request: asMember('mutation { deleteAccount { id } }'), refusal: { status: 400, code: 'GRAPHQL_VALIDATION_FAILED' } },
  ],
  [
    'a subscription (the schema has none)',
    { request: asMember('subscription { messages { id } }'), refusal: { status: 400, code: 'GRAPHQL_VALIDATION_FAILED' } },
  ],
  [
    'an unknown argument',
    { request: asMember('{ channels(first: 1) { id } }'), refusal: { status: 400, code: 'GRAPHQL_VALIDATION_FAILED' } },
  ],
  [
    'an unknown directive',
    { request: asMember('{ channels @admin { id } }'), refusal: { status: 400, code: 'GRAPHQL_VALIDATION_FAILED' } },
  ],
  [
    'a missing required argument',
    { request: asMember('mutation { send { message { id } } }'), refusal: { status: 400, code: 'GRAPHQL_VALIDATION_FAILED' } },
  ],
  [
    'a fragment on an impossible type',
    {
      request: asMember('{ channels { id ... on ApiKey { prefix } } }'),
      refusal: { status: 400, code: 'GRAPHQL_VALIDATION_FAILED' },
    },
  ],
  [
    'a fragment on an unknown type',
    { request: asMember('{ ...F } fragment F on Secret { id }'), refusal: { status: 400, code: 'GRAPHQL_VALIDATION_FAILED' } },
  ],
  ['an unknown fragment', { request: asMember('{ ...Missing }'), refusal: { status: 400, code: 'GRAPHQL_VALIDATION_FAILED' } }],
  [
    'a fragment cycle A → B → A',
    {
      request: asMember('query { ...A } fragment A on Query { channels { id } ...B } fragment B on Query { ...A }'),
      refusal: { status: 400, code: 'GRAPHQL_VALIDATION_FAILED' },
    },
  ],
  [
    'a fragment spreading itself',
    { request: asMember('query { ...A } fragment A on Query { ...A }'), refusal: { status: 400, code: 'GRAPHQL_VALIDATION_FAILED' } },
  ],
  [
    'a leaf with a selection',
    { request: asMember('{ channels { slug { length } } }'), refusal: { status: 400, code: 'GRAPHQL_VALIDATION_FAILED' } },
  ],
  ['an object without a selection', { request: asMember('{ channels }'), refusal: { status: 400, code: 'GRAPHQL_VALIDATION_FAILED' } }],
  ['an unknown operation name', { request: asMember('query A { channels { id } }', { operationName: 'B' }), refusal: { status: 400 } }],
  [
    'an operation name naming a fragment',
    { request: asMember('query A { ...F } fragment F on Query { channels { id } }', { operationName: 'F' }), refusal: { status: 400 } },
  ],
  [
    'two operations without operationName',
    {
      request: asMember('query A { channels { id } } mutation B { createChannel(input: {slug: "two-ops", name: "x"}) { id } }'),
      refusal: { status: 400 },
    },
  ],
  [
    'two operations with the same name',
    {
      request: asMember('query A { channels { id } } query A { apiKeys { id } }', { operationName: 'A' }),
      refusal: { status: 400, code: 'GRAPHQL_VALIDATION_FAILED' },
    },
  ],
  [
    'an anonymous operation beside a named one',
    {
      request: asMember('{ channels { id } } mutation M { createChannel(input: {slug: "anon", name: "x"}) { id } }', {
        operationName: 'M',
      }),
      refusal: { status: 400, code: 'GRAPHQL_VALIDATION_FAILED' },
    },
  ],
  [
    'conflicting fields under one response name',
    {
      request: asMember('{ channels { id: slug id } }'),
      refusal: { status: 400, code: 'GRAPHQL_VALIDATION_FAILED' },
    },
  ],
];

describe('2. documents that do not parse or validate: 400 with a message', () => {
  test.for(documents)('%s', async ([, hostile], { herald, account }) => {
    await refused(herald, account, hostile);
  });
});

const BASE_DOCUMENT = 'mutation { createChannel(input: { slug: "generated", name: "G" }) { id slug name } }';
const unparseable = (text: string) => {
  try {
    parse(text);
    return false;
  } catch {
    return true;
  }
};
/** Generated: the base mutation with one character deleted or inserted, keeping only what no longer parses. */
const generatedBrokenDocuments = [
  ...new Set(
    fc
      .sample(
        fc.record({
          at: fc.nat({ max: BASE_DOCUMENT.length - 1 }),
          insert: fc.option(fc.constantFrom('{', '}', '(', ')', '[', ']', ':', '$', '@', '!', '"', '#', '=', '|', '&', '.', '\\'), {
            nil: undefined,
          }),
        }),
        { numRuns: 400, seed: 3 },
      )
      .map(({ at, insert }) =>
        insert === undefined
          ? BASE_DOCUMENT.slice(0, at) + BASE_DOCUMENT.slice(at + 1)
          : BASE_DOCUMENT.slice(0, at) + insert + BASE_DOCUMENT.slice(at),
      ),
  ),
]
  .filter(unparseable)
  .slice(0, 20);

const KNOWN_ROOT_FIELDS = new Set(['apiKey', 'apiKeys', 'channels', 'messages', '__typename', '__schema', '__type']);
/** Generated: root fields that do not exist. */
const generatedUnknownFields = [...new Set(fc.sample(fc.stringMatching(/^[a-z][A-Za-z0-9_]{2,14}$/), { numRuns: 40, seed: 4 }))]
  .filter((name) => !KNOWN_ROOT_FIELDS.has(name))
  .slice(0, 10);

describe('2. generated documents', () => {
  test.for(generatedBrokenDocuments.map((doc) => [doc]))('does not parse: %s', async ([doc], { herald, account }) => {
    await refused(herald, account, { request: asMember(doc), refusal: { status: 400, code: 'GRAPHQL_PARSE_FAILED' } });
  });

  test.for(generatedUnknownFields.map((name) => [name]))('unknown root field %s', async ([name], { herald, account }) => {
    await refused(herald, account, {
      request: asMember(`{ ${name} }`),
      refusal: { status: 400, code: 'GRAPHQL_VALIDATION_FAILED' },
    });
  });
});

const nestedOfType = (levels: number) => `${'ofType { '.repeat(levels)}name${' }'.repeat(levels)}`;
/** `levels` fragments, each spreading the next inside ofType, under `open … close`. */
const fragmentChain = (levels: number, open: string, close: string) => {
  const fragments = Array.from({ length: levels }, (_, i) =>
    i === levels - 1 ? `fragment F${i} on __Type { name }` : `fragment F${i} on __Type { name ofType { ...F${i + 1} } }`,
  );
  return `{ ${open} ...F0 ${close} } ${fragments.join(' ')}`;
};

const bombs: [string, Hostile][] = [
  ['1,000 aliases of channels', { request: asMember(`{ ${Array.from({ length: 1000 }, (_, i) => `a${i}: channels { id }`).join(' ')} }`) }],
  ['100 aliases of channels', { request: asMember(`{ ${Array.from({ length: 100 }, (_, i) => `a${i}: channels { id }`).join(' ')} }`) }],
  [
    '50 aliases of messages(first: 100) with their channels',
    {
      request: asMember(
        `{ ${Array.from({ length: 50 }, (_, i) => `m${i}: messages(first: 100) { edges { node { id channels { slug } } } }`).join(' ')} }`,
      ),
    },
  ],
  [
    '100 aliased createChannel mutations',
    {
      request: asMember(
        `mutation { ${Array.from({ length: 100 }, (_, i) => `c${i}: createChannel(input: {slug: "bomb-${i}", name: "x"}) { id }`).join(' ')} }`,
      ),
    },
  ],
  ['@include(if: true) ×500', { request: asMember(`{ channels { id ${'@include(if: true) '.repeat(500)}} }`) }],
  ['@include(if: true) ×50', { request: asMember(`{ channels { id ${'@include(if: true) '.repeat(50)}} }`) }],
  ['@skip(if: false) on 60 fields', { request: asMember(`{ channels { ${'id @skip(if: false) '.repeat(60)}} }`) }],
  ['a field repeated 1,500 times', { request: asMember(`{ channels { ${'id '.repeat(1500)}} }`) }],
  ['channels selected 1,000 times without aliases', { request: asMember(`{ ${'channels { id } '.repeat(1000)}}`) }],
  ['__type ofType nested 60 levels', { request: asMember(`{ __type(name: "Query") { ${nestedOfType(60)} } }`) }],
  ['__type ofType nested 300 levels', { request: asMember(`{ __type(name: "Query") { ${nestedOfType(300)} } }`) }],
  ['__schema queryType ofType nested 60 levels', { request: asMember(`{ __schema { queryType { ${nestedOfType(60)} } } }`) }],
  ['__schema types ofType nested 200 levels', { request: asMember(`{ __schema { types { ${nestedOfType(200)} } } }`) }],
  ['a chain of 60 fragments under __type', { request: asMember(fragmentChain(60, '__type(name: "Query") {', '}')) }],
  ['a chain of 150 fragments under __schema types', { request: asMember(fragmentChain(150, '__schema { types {', '} }')) }],
  [
    '__schema fields → type → fields … (introspection fan-out)',
    {
      request: asMember(
        `{ __schema { types { fields { type { fields { type { fields { type { fields { type { fields { name } } } } } } } } } } } }`,
      ),
    },
  ],
  ['400 nested inline fragments', { request: asMember(`{ ${'... on Query { '.repeat(400)}channels { id }${' }'.repeat(400)} }`) }],
];

describe('2. query bombs: refused before execution with a message', () => {
  test.for(bombs)('%s', async ([, hostile], { herald, account }) => {
    await refused(herald, account, { ...hostile, refusal: { ...hostile.refusal } });
  });
});

// ---------------------------------------------------------------------------
// 3. Variables of the wrong types
// ---------------------------------------------------------------------------

const variableCases: [string, Hostile][] = [
  ['a string for Int', { request: asMember(Q.messages, { variables: { first: 'ten' } }), refusal: { status: 400 } }],
  ['a numeric string for Int', { request: asMember(Q.messages, { variables: { first: '10' } }), refusal: { status: 400 } }],
  ['a float for Int', { request: asMember(Q.messages, { variables: { first: 1.5 } }), refusal: { status: 400 } }],
  ['2^31 for Int', { request: asMember(Q.messages, { variables: { first: 2 ** 31 } }), refusal: { status: 400 } }],
  ['an Int literal over 32 bits', { request: asMember('{ messages(first: 99999999999) { totalCount } }'), refusal: { status: 400 } }],
  [
    'first of -1: BAD_USER_INPUT',
    { request: asMember(Q.messages, { variables: { first: -1 } }), refusal: { status: 400, code: 'BAD_USER_INPUT' } },
  ],
  [
    'first of 101: BAD_USER_INPUT',
    { request: asMember(Q.messages, { variables: { first: 101 } }), refusal: { status: 400, code: 'BAD_USER_INPUT' } },
  ],
  ['an object for a String', { request: asMember(Q.messages, { variables: { after: { $gt: '' } } }), refusal: { status: 400 } }],
  ['null for a non-null input', { request: asMember(Q.createChannel, { variables: { input: null } }), refusal: { status: 400 } }],
  ['a missing required variable', { request: asMember(Q.createChannel, { variables: {} }), refusal: { status: 400 } }],
  ['no variables at all', { request: asMember(Q.createChannel), refusal: { status: 400 } }],
  ['a list for an input object', { request: asMember(Q.createChannel, { variables: { input: [] } }), refusal: { status: 400 } }],
  [
    'an object for a list (recipient channels)',
    {
      request: asMember(Q.createRecipient, { variables: { input: { externalId: 'x', channels: { marketing: true } } } }),
      refusal: { status: 400 },
    },
  ],
  [
    'a number for a String (slug)',
    { request: asMember(Q.createChannel, { variables: { input: { slug: 5, name: 'x' } } }), refusal: { status: 400 } },
  ],
  [
    'null for a non-null field (name)',
    { request: asMember(Q.createChannel, { variables: { input: { slug: 'n', name: null } } }), refusal: { status: 400 } },
  ],
  [
    'a missing input field (name)',
    { request: asMember(Q.createChannel, { variables: { input: { slug: 'n' } } }), refusal: { status: 400 } },
  ],
  [
    'an unknown input field',
    {
      request: asMember(Q.createChannel, {
        variables: { input: { slug: 'n', name: 'x', accountId: '00000000-0000-0000-0000-000000000000' } },
      }),
      refusal: { status: 400 },
    },
  ],
  [
    'a boolean for an enum',
    {
      request: asMember(Q.createApiKey, { variables: { input: { name: 'k', scope: { kind: true } } } }),
      refusal: { status: 400 },
    },
  ],
  [
    'an unknown enum value',
    {
      request: asMember(Q.createApiKey, { variables: { input: { name: 'k', scope: { kind: 'ROOT' } } } }),
      refusal: { status: 400 },
    },
  ],
  [
    'a lowercase enum value',
    {
      request: asMember(Q.createApiKey, { variables: { input: { name: 'k', scope: { kind: 'all' } } } }),
      refusal: { status: 400 },
    },
  ],
  [
    'null inside a list of non-null strings',
    {
      request: asMember(Q.createRecipient, { variables: { input: { externalId: 'x', channels: ['marketing', null] } } }),
      refusal: { status: 400 },
    },
  ],
  ['an object for an ID', { request: asMember(Q.apiKey, { variables: { id: { id: 1 } } }), refusal: { status: 400 } }],
  [
    'an undeclared variable',
    {
      request: asMember('{ messages(first: $n) { totalCount } }', { variables: { n: 1 } }),
      refusal: { status: 400, code: 'GRAPHQL_VALIDATION_FAILED' },
    },
  ],
  [
    'a declared variable that is never used',
    {
      request: asMember('query ($n: Int) { channels { id } }', { variables: { n: 1 } }),
      refusal: { status: 400, code: 'GRAPHQL_VALIDATION_FAILED' },
    },
  ],
  [
    'a variable of the wrong declared type',
    {
      request: asMember('query ($n: String) { messages(first: $n) { totalCount } }', { variables: { n: '1' } }),
      refusal: { status: 400, code: 'GRAPHQL_VALIDATION_FAILED' },
    },
  ],
  [
    'a variable declared with an unknown type',
    {
      request: asMember('query ($n: Long) { messages(first: $n) { totalCount } }', { variables: { n: 1 } }),
      refusal: { status: 400, code: 'GRAPHQL_VALIDATION_FAILED' },
    },
  ],
  [
    'a variable declared as an output type',
    {
      request: asMember('mutation ($c: Channel) { createChannel(input: $c) { id } }', { variables: { c: { slug: 'out', name: 'x' } } }),
      refusal: { status: 400, code: 'GRAPHQL_VALIDATION_FAILED' },
    },
  ],
];

/** Generated: JSON values that are not a CreateChannelInput. */
const isCreateChannelInput = (v: unknown) =>
  v !== null &&
  typeof v === 'object' &&
  !Array.isArray(v) &&
  Object.keys(v).every((k) => k === 'slug' || k === 'name') &&
  typeof (v as { slug?: unknown }).slug === 'string' &&
  typeof (v as { name?: unknown }).name === 'string';
const generatedInputs = [
  ...new Map(
    fc
      .sample(
        fc.oneof(
          fc.jsonValue({ maxDepth: 2 }),
          fc.record({ slug: fc.jsonValue({ maxDepth: 1 }), name: fc.jsonValue({ maxDepth: 1 }) }),
          fc.record({ slug: fc.string(), name: fc.string(), extra: fc.jsonValue({ maxDepth: 1 }) }),
        ),
        { numRuns: 200, seed: 5 },
      )
      .map((v) => [JSON.stringify(v), v] as const),
  ).values(),
]
  .filter((v) => !isCreateChannelInput(v))
  .slice(0, 20);

/** Generated: JSON values that are not a 32-bit Int (nor null) for messages(first:). */
const generatedFirsts = [
  ...new Map(
    fc
      .sample(
        fc.oneof(
          fc.string({ maxLength: 8 }),
          fc.double({ noNaN: true }),
          fc.bigInt({ min: 2n ** 31n, max: 2n ** 60n }).map(Number),
          fc.array(fc.nat(), { maxLength: 3 }),
          fc.dictionary(fc.string({ maxLength: 4 }), fc.nat(), { maxKeys: 2 }),
          fc.boolean(),
        ),
        { numRuns: 200, seed: 6 },
      )
      .map((v) => [JSON.stringify(v), v] as const),
  ).values(),
]
  .filter((v) => {
    const sent = JSON.parse(JSON.stringify(v));
    return !(sent === null || (Number.isInteger(sent) && Math.abs(sent) < 2 ** 31));
  })
  .slice(0, 10);

describe('3. variables of the wrong types: 400 with a message', () => {
  test.for(variableCases)('%s', async ([, hostile], { herald, account }) => {
    await refused(herald, account, hostile);
  });

  test.for(generatedInputs.map((v) => [shorten(JSON.stringify(v), 100), v] as const))(
    'generated createChannel input %s',
    async ([, input], { herald, account }) => {
      await refused(herald, account, { request: asMember(Q.createChannel, { variables: { input } }), refusal: { status: 400 } });
    },
  );

  test.for(generatedFirsts.map((v) => [shorten(JSON.stringify(v), 100), v] as const))(
    'generated messages(first: %s)',
    async ([, first], { herald, account }) => {
      await refused(herald, account, { request: asMember(Q.messages, { variables: { first } }), refusal: { status: 400 } });
    },
  );

  test('allowed twin: an extra variable the document does not declare is ignored', async ({ herald, account }) => {
    const answer = await gql(herald, Q.channels, { token: account.token, variables: { admin: true, accountId: 'x' } });
    expect(accepted(answer)).toEqual({ channels: [] });
  });
});

// ---------------------------------------------------------------------------
// 4 and 5. Every string input: control characters, slug-breaking characters,
// SQL and script fragments
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
  | 'send target.channels[] (CHANNELS key)';

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
};

const TEXT_FIELDS: Field[] = ['channel.name', 'recipient.externalId', 'apiKey.name', 'updateApiKey.name', 'message.title', 'message.body'];
const SLUG_FIELDS: Field[] = [
  'channel.slug',
  'recipient.channels[]',
  'apiKey.scope.channels[]',
  'updateApiKey.scope.channels[]',
  'send target.channels[] (ALL key)',
  'send target.channels[] (CHANNELS key)',
];

/** The refusal a bad value in this field gets: FORBIDDEN for a CHANNELS key's target (outside its scope), else BAD_USER_INPUT. */
const refusalFor = (field: Field): Refusal =>
  field === 'send target.channels[] (CHANNELS key)' ? { status: 403, code: 'FORBIDDEN' } : { status: 400, code: 'BAD_USER_INPUT' };

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

describe('4. control characters in every text field: BAD_USER_INPUT', () => {
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

describe('4. slug fields refuse what is not [a-z0-9-]{1,64}', () => {
  test.for(SLUG_FIELDS.flatMap((field) => BAD_SLUGS.map(([name, slug]) => [`${field}: ${name}`, field, slug] as const)))(
    '%s',
    async ([, field, slug], { herald, account }) => {
      await refused(herald, account, hostileValue(field, slug));
    },
  );
});

describe('5. SQL and script fragments in slug fields: refused', () => {
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

describe('5. allowed twins: SQL and script fragments in free text are stored verbatim', () => {
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

describe('5. SQL and script fragments in ids and cursors', () => {
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

describe('4. allowed twins: unicode that is not a control character is stored verbatim', () => {
  const allowed: [string, Field, string][] = [
    ['channel.name: emoji', 'channel.name', '\u{1F680} Launch \u{1F469}\u200D\u{1F469}\u200D\u{1F467}'],
    ['apiKey.name: emoji', 'apiKey.name', 'Sender \u{1F4E8}'],
    ['updateApiKey.name: emoji', 'updateApiKey.name', '\u{1F525} renamed'],
    ['message.title: emoji', 'message.title', 'Sale \u{1F389}\u{1F389}'],
    ['recipient.externalId: emoji', 'recipient.externalId', 'user-\u{1F47B}'],
    ['channel.name: a right-to-left override (Cf, not Cc)', 'channel.name', 'abc\u202Edef'],
    ['message.title: a right-to-left override (Cf, not Cc)', 'message.title', 'invoice\u202Efdp.exe'],
    ['recipient.externalId: a zero-width space (Cf)', 'recipient.externalId', 'user\u200Bid'],
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

// ---------------------------------------------------------------------------
// 6. data objects
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

describe('6. oversized and mistyped data', () => {
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
// 7. Duplicates and races
// ---------------------------------------------------------------------------

describe('7. duplicates', () => {
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

  test('allowed twin: the same slug in another account', async ({ herald, account, other }) => {
    await account.channel('shared');
    const answer = await gql(herald, Q.createChannel, { token: other.token, variables: { input: { slug: 'shared', name: 'Mine' } } });
    expect(accepted(answer)).toMatchObject({ createChannel: { slug: 'shared', name: 'Mine' } });
  });
});

// ---------------------------------------------------------------------------
// 8. Huge lists
// ---------------------------------------------------------------------------

const unknownSlugs = (n: number, prefix = 'nope') => Array.from({ length: n }, (_, i) => `${prefix}-${i}`);

describe('8. huge lists', () => {
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

// ---------------------------------------------------------------------------
// 9. Authentication abuse
// ---------------------------------------------------------------------------

const secret = new TextEncoder().encode(TEST_JWT_SECRET);
const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

async function signed(
  claims: Record<string, unknown>,
  { key = secret, alg = 'HS256', subject = `attacker-${randomUUID()}`, expires = '1h' as string | number } = {},
): Promise<string> {
  const jwt = new SignJWT(claims).setProtectedHeader({ alg, typ: 'JWT' }).setIssuedAt().setExpirationTime(expires);
  if (subject !== '') jwt.setSubject(subject);
  return jwt.sign(key);
}

/** A mutation that would change the account if the token were taken: refused with 401, nothing changes. */
function withAuthorization(
  header: (w: World) => Promise<string> | string,
  refusal: Refusal = { status: 401, code: 'UNAUTHENTICATED' },
): Hostile {
  return {
    request: async (w) =>
      gql(w.herald, 'mutation { createChannel(input: { slug: "pwned", name: "Pwned" }) { id } }', {
        headers: { authorization: await header(w), 'x-forwarded-for': freshAddress() },
      }),
    refusal,
  };
}

const bearer = (token: (w: World) => Promise<string> | string) => async (w: World) => `Bearer ${await token(w)}`;

const flip = (text: string, at: number) => text.slice(0, at) + (text[at] === 'A' ? 'B' : 'A') + text.slice(at + 1);

const authCases: [string, Hostile][] = [
  ['Basic credentials', withAuthorization(() => `Basic ${Buffer.from('admin:admin').toString('base64')}`)],
  ['"Bearer" alone', withAuthorization(() => 'Bearer')],
  ['two tokens', withAuthorization((w) => `Bearer ${w.account.token} ${w.account.token}`)],
  ['two Bearer credentials', withAuthorization((w) => `Bearer ${w.account.token}, Bearer ${w.account.token}`)],
  ['a Token scheme', withAuthorization((w) => `Token ${w.account.token}`)],
  ['Bearer null', withAuthorization(() => 'Bearer null')],
  ['Bearer undefined', withAuthorization(() => 'Bearer undefined')],
  ['Bearer [object Object]', withAuthorization(() => 'Bearer [object Object]')],
  ['a 10 KB token', withAuthorization(() => `Bearer ${'a'.repeat(10_000)}`)],
  ['a 10 KB hrld_ token', withAuthorization(() => `Bearer hrld_${'A'.repeat(10_000)}`)],
  ['a 100 KB token', withAuthorization(() => `Bearer ${'x.'.repeat(50_000)}`)],
  ['a 10 KB token of dots (a JWT with empty parts)', withAuthorization(() => `Bearer ${'.'.repeat(10_000)}`)],
  ['hrld_ and a SQL fragment', withAuthorization(() => `Bearer hrld_'OR'1'='1`)],
  [
    'a JWT with alg none for the account',
    withAuthorization(bearer((w) => `${b64({ alg: 'none', typ: 'JWT' })}.${b64({ sub: 'root', account: w.account.slug })}.`)),
  ],
  [
    'a JWT with alg "None" for the account',
    withAuthorization(bearer((w) => `${b64({ alg: 'None' })}.${b64({ sub: 'root', account: w.account.slug })}.`)),
  ],
  [
    'a JWT with alg none and a leftover signature',
    withAuthorization(
      bearer(async (w) => {
        const [, , signature] = (await signed({ account: w.account.slug })).split('.');
        return `${b64({ alg: 'none' })}.${b64({ sub: 'root', account: w.account.slug })}.${signature}`;
      }),
    ),
  ],
  [
    'a JWT signed with another secret',
    withAuthorization(bearer((w) => signed({ account: w.account.slug }, { key: new TextEncoder().encode('x'.repeat(48)) }))),
  ],
  [
    'a JWT signed with an empty-ish secret',
    withAuthorization(bearer((w) => signed({ account: w.account.slug }, { key: new Uint8Array(32) }))),
  ],
  [
    'a JWT whose signature is stripped',
    withAuthorization(bearer(async (w) => `${(await signed({ account: w.account.slug })).split('.').slice(0, 2).join('.')}.`)),
  ],
  [
    'a JWT with a flipped signature character',
    withAuthorization(
      bearer(async (w) => {
        const token = await signed({ account: w.account.slug });
        return flip(token, token.length - 5);
      }),
    ),
  ],
  [
    'a JWT whose payload is swapped for another account',
    withAuthorization(
      bearer(async (w) => {
        const [header, , signature] = (await signed({ account: 'some-other-account' })).split('.');
        return `${header}.${b64({ sub: 'root', account: w.account.slug, exp: Math.floor(Date.now() / 1000) + 3600 })}.${signature}`;
      }),
    ),
  ],
  [
    'a JWT signed HS512 with the right secret (only HS256 is accepted)',
    withAuthorization(bearer((w) => signed({ account: w.account.slug }, { alg: 'HS512' }))),
  ],
  [
    'an expired JWT',
    withAuthorization(bearer((w) => signed({ account: w.account.slug }, { expires: Math.floor(Date.now() / 1000) - 120 }))),
  ],
  [
    'a JWT not valid before tomorrow',
    withAuthorization(
      bearer((w) =>
        new SignJWT({ account: w.account.slug, nbf: Math.floor(Date.now() / 1000) + 86_400 })
          .setProtectedHeader({ alg: 'HS256' })
          .setSubject('early')
          .setExpirationTime('2d')
          .sign(secret),
      ),
    ),
  ],
  [
    'a JWT with a 10,000-character subject',
    withAuthorization(bearer((w) => signed({ account: w.account.slug }, { subject: 's'.repeat(10_000) }))),
  ],
  ['a JWT without a subject', withAuthorization(bearer((w) => signed({ account: w.account.slug }, { subject: '' })))],
  ['a JWT whose account claim is SQL', withAuthorization(bearer(() => signed({ account: `'; DROP TABLE "ApiKey"; --` })))],
  ['a JWT whose account claim is a list', withAuthorization(bearer((w) => signed({ account: [w.account.slug] })))],
  ['a JWT whose account claim has 65 characters', withAuthorization(bearer(() => signed({ account: 'a'.repeat(65) })))],
  ['a JWT whose account claim is uppercase', withAuthorization(bearer((w) => signed({ account: w.account.slug.toUpperCase() })))],
  [
    'a JWT with a header that is not JSON',
    withAuthorization(
      bearer((w) => `${Buffer.from('{alg:HS256').toString('base64url')}.${b64({ sub: 'x', account: w.account.slug })}.sig`),
    ),
  ],
  ['a JWT with four parts', withAuthorization(bearer(async (w) => `${await signed({ account: w.account.slug })}.extra`))],
  ['a real key secret with a changed character', withAuthorization(bearer((w) => flip(w.all.secret, 20)))],
  ['a real key secret with a character appended', withAuthorization(bearer((w) => `${w.all.secret}A`))],
  ['a real key secret, lowercased', withAuthorization(bearer((w) => w.all.secret.toLowerCase()))],
  ['a real key secret with its prefix uppercased', withAuthorization(bearer((w) => w.all.secret.replace('hrld_', 'HRLD_')))],
  ['a real key secret cut in half', withAuthorization(bearer((w) => w.all.secret.slice(0, 22)))],
  ['a real member token followed by a line feed and more', withAuthorization((w) => `Bearer ${w.account.token}\nX-Admin: 1`)],
  [
    'a real member token followed by CRLF and a header',
    withAuthorization((w) => `Bearer ${w.account.token}\r\nX-Forwarded-For: 127.0.0.1`),
  ],
  ['a real key secret with a line feed inside', withAuthorization((w) => `Bearer ${w.all.secret.slice(0, 20)}\n${w.all.secret.slice(20)}`)],
  [
    'a real member token with a NUL inside',
    withAuthorization((w) => `Bearer ${w.account.token.slice(0, 30)}\u0000${w.account.token.slice(30)}`),
  ],
];

/** Generated: hrld_ + 38 random base62 characters (well formed, almost never a valid checksum) and other random tokens. */
const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz'.split('');
const generatedKeys = fc.sample(
  fc.array(fc.constantFrom(...BASE62), { minLength: 38, maxLength: 38 }).map((cs) => `hrld_${cs.join('')}`),
  {
    numRuns: 10,
    seed: 8,
  },
);
const headerSafe = (value: string) => {
  try {
    new Headers({ authorization: value });
    return true;
  } catch {
    return false;
  }
};
const generatedTokens = [
  ...new Set(fc.sample(fc.string({ minLength: 1, maxLength: 120, unit: 'binary-ascii' }), { numRuns: 100, seed: 9 })),
]
  .map((token) => `Bearer ${token}`)
  .filter((header) => headerSafe(header) && header.trim() !== 'Bearer')
  .slice(0, 20);

describe('9. authentication abuse: 401 UNAUTHENTICATED, nothing provisioned or changed', () => {
  test.for(authCases)('%s', async ([, hostile], { herald, account }) => {
    await refused(herald, account, hostile);
  });

  test.for(generatedKeys.map((key) => [`${key.slice(0, 11)}…`, key]))('generated key %s', async ([, key], { herald, account }) => {
    await refused(
      herald,
      account,
      withAuthorization(() => `Bearer ${key}`),
    );
  });

  test.for(generatedTokens.map((header) => [JSON.stringify(shorten(header, 60)), header]))(
    'generated Authorization %s',
    async ([, header], { herald, account }) => {
      await refused(
        herald,
        account,
        withAuthorization(() => header),
      );
    },
  );

  test('an alg-none JWT never provisions the account it names', async ({ herald }) => {
    const slug = `ghost-${randomUUID().slice(0, 8)}`;
    const token = `${b64({ alg: 'none' })}.${b64({ sub: 'root', account: slug })}.`;
    const answer = await gql(herald, Q.channels, { token, headers: { 'x-forwarded-for': freshAddress() } });
    expect(answer.status, where(answer)).toBe(401);
    expect(await herald.db.prisma.account.findUnique({ where: { slug } })).toBeNull();
  });
});

/** Bytes on a socket: for what fetch will not send (line breaks in a header). */
async function rawHttp(herald: TestHerald, authorization: string): Promise<Answer> {
  const server = createServer(herald.yoga);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  const body = createChannelBody('raw');
  const request = `POST /graphql HTTP/1.1\r\nHost: herald.test\r\nContent-Type: application/json\r\nConnection: close\r\nAuthorization: ${authorization}\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;
  try {
    const text = await new Promise<string>((resolve, reject) => {
      const socket = connect(port, '127.0.0.1');
      let out = '';
      socket.on('data', (chunk) => {
        out += chunk.toString();
      });
      socket.on('end', () => resolve(out));
      socket.on('error', reject);
      socket.setTimeout(5000, () => socket.destroy(new Error(`no answer: ${out}`)));
      socket.write(request);
    });
    const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1] ?? 0);
    return { status, headers: new Headers(), text, json: undefined, request: JSON.stringify(request.slice(0, 200)) };
  } finally {
    await new Promise((resolve) => server.close(resolve));
  }
}

describe('9. line breaks in the Authorization header (raw HTTP): 400 from the HTTP parser', () => {
  test.for([
    ['a line feed', 'Bearer abc\ndef'],
    ['a carriage return', 'Bearer abc\rdef'],
    ['an obsolete line folding', 'Bearer abc\r\n def'],
    ['a NUL', 'Bearer abc\u0000def'],
  ])('%s', async ([, authorization], { herald, account }) => {
    await refused(herald, account, {
      request: (w) => rawHttp(w.herald, authorization.replace('abc', w.account.token)),
      refusal: { status: 400, bodyless: true },
    });
  });
});

// ---------------------------------------------------------------------------
// 10. The failed-authentication limit must not be a lever against others
// ---------------------------------------------------------------------------

describe('10. floods of bad credentials', () => {
  /**
   * The tests' servers allow a million failures; these use the production
   * default (20 per address and per key prefix a minute), over the same database.
   */
  async function limited(herald: TestHerald): Promise<Fetcher> {
    const yoga = await createHerald({
      config: testConfig({ trustProxy: ['loopback'], authFailures: { limit: 20, windowSeconds: 60 } }),
      db: herald.db,
      logger: pino({ level: 'silent' }),
    });
    return {
      fetch: ({ path, ...init }) =>
        Promise.resolve(yoga.fetch(`http://herald.test${path ?? '/graphql'}`, init, { req: { socket: { remoteAddress: '127.0.0.1' } } })),
    };
  }

  test('30 bad tokens from one address: never a 5xx, then 429 RATE_LIMITED; another address is unaffected', async ({ herald, account }) => {
    const server = await limited(herald);
    const attacker = freshAddress();
    const answers: Answer[] = [];
    for (let i = 0; i < 30; i += 1) {
      answers.push(await gql(server, Q.channels, { token: `forged.${i}.token`, headers: { 'x-forwarded-for': attacker } }));
    }
    for (const answer of answers) expect([401, 429], where(answer)).toContain(answer.status);
    const last = answers[answers.length - 1];
    expect(last.status, where(last)).toBe(429);
    expect(last.json?.errors?.[0].extensions?.code, where(last)).toBe('RATE_LIMITED');
    expect(Number(last.headers.get('retry-after')), where(last)).toBeGreaterThan(0);
    const legit = await gql(server, Q.channels, { token: account.token, headers: { 'x-forwarded-for': freshAddress() } });
    expect(accepted(legit)).toEqual({ channels: [] });
  });

  const randomBase62 = (n: number) => Array.from({ length: n }, () => BASE62[Math.floor(Math.random() * 62)]).join('');

  /** A secret with a valid checksum (CRC-32 is public, not a secret) that starts with this display prefix. */
  function forgeWellFormed(prefix: string): string {
    const body = `${prefix.slice('hrld_'.length)}${randomBase62(32)}`.slice(0, 32);
    let n = crc32(body);
    let checksum = '';
    for (let i = 0; i < 6; i += 1) {
      checksum = BASE62[n % 62] + checksum;
      n = Math.floor(n / 62);
    }
    return `hrld_${body}${checksum}`;
  }

  test.for([
    ['malformed (bad checksum)', (prefix: string) => `${prefix}${randomBase62(32)}`, false],
    ['well formed (valid checksum)', forgeWellFormed, true],
  ] as const)(
    '30 forged secrets, %s, sharing a real key’s public prefix do not lock the real key out',
    async ([, forge, wellFormed], { herald, account }) => {
      const server = await limited(herald);
      const real = await account.key({ kind: 'ALL' }, 'Victim');
      const prefix = real.secret.slice(0, 11); // what apiKeys { prefix } shows on every dashboard
      for (let i = 0; i < 30; i += 1) {
        const forged = forge(prefix);
        expect(isWellFormedSecret(forged)).toBe(wellFormed);
        const answer = await gql(server, Q.channels, { token: forged, headers: { 'x-forwarded-for': freshAddress() } });
        expect([401, 429], where(answer)).toContain(answer.status);
      }
      const legit = await gql(server, Q.channels, { token: real.secret, headers: { 'x-forwarded-for': freshAddress() } });
      expect(accepted(legit)).toEqual({ channels: [] });
    },
  );
});
