// Hostile variables: values of the wrong type for every kind of input (Int,
// String, ID, enums, lists, input objects), out-of-range Ints, undeclared and
// mistyped variable definitions, and generated JSON that is not the input.
import fc from 'fast-check';
import { accepted, asMember, describe, expect, gql, type Hostile, Q, refused, shorten, test } from '../support/hostile.ts';

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

describe('variables of the wrong types: 400 with a message', () => {
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
