// Hostile GraphQL documents: documents that do not parse or do not validate
// (unknown fields, fragment cycles, operation names that do not match),
// generated broken documents, and query bombs (aliases, directives, depth,
// fragment chains, introspection fan-out) refused before they execute.
import fc from 'fast-check';
import { parse } from 'graphql';
import { asMember, describe, type Hostile, refused, test } from '../support/hostile.ts';

// ---------------------------------------------------------------------------
// Documents that do not parse or validate, operation names
// ---------------------------------------------------------------------------

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

describe('documents that do not parse or validate: 400 with a message', () => {
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

describe('generated documents', () => {
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

describe('query bombs: refused before execution with a message', () => {
  test.for(bombs)('%s', async ([, hostile], { herald, account }) => {
    await refused(herald, account, { ...hostile, refusal: { ...hostile.refusal } });
  });
});
