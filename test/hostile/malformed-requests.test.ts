// Hostile HTTP requests: bodies that are not a GraphQL request (malformed JSON,
// wrong shapes, generated garbage), content types and methods Herald does not
// take, and strings and bodies over the size limits. Each is refused with a
// 4xx and a clear error, changes nothing, and leaves the server answering
// (the checker and the world are in test/support/hostile.ts).
import fc from 'fast-check';
import {
  createChannelBody,
  describe,
  GRAPHQL_RESPONSE,
  gql,
  type Hostile,
  http,
  jsonPost,
  MiB,
  Q,
  refused,
  sendMessage,
  shorten,
  test,
} from '../support/hostile.ts';

// ---------------------------------------------------------------------------
// Malformed bodies
// ---------------------------------------------------------------------------

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

describe('malformed bodies: 400 with a message', () => {
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

describe('content types and methods', () => {
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

describe('huge strings and bodies', () => {
  test.for(sizes)('%s', async ([, hostile], { herald, account }) => {
    await refused(herald, account, hostile);
  });
});
