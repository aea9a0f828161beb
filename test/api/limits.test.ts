import { getIntrospectionQuery, print } from 'graphql';
import { WALKTHROUGH } from '../../src/graphiql.ts';
import { Channels, Messages } from '../support/documents.ts';
import { describe, expect, test } from '../support/fixtures.ts';
import { TestHerald } from '../support/herald.ts';

const SPEC_ACCEPT = { accept: 'application/graphql-response+json' };
const aliases = (n: number, field = 'channels { slug }') => `{ ${Array.from({ length: n }, (_, i) => `a${i}: ${field}`).join(' ')} }`;
const inlineDirectives = (n: number) => `{ channels { ${'... @include(if: true) { slug } '.repeat(n)} } }`;
const costly = aliases(
  20,
  'messages(first: 100) { totalCount pageInfo { hasNextPage endCursor } edges { cursor node { id title body data channels { id slug name } } } }',
);

describe('GraphQL limits (GraphQL Armor)', () => {
  test('GraphiQL’s introspection query and every walkthrough operation stay inside every limit', async ({ account, herald }) => {
    const introspection = await herald.execute(getIntrospectionQuery({ descriptions: true, inputValueDeprecation: true }));
    expect(introspection.errors).toBeUndefined();
    const response = await herald.fetch({
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${account.token}` },
      body: JSON.stringify({ query: WALKTHROUGH, operationName: 'Keys' }),
    });
    expect(await response.json()).toEqual({ data: { apiKeys: [] } });
  });

  test.for([
    ['20 aliases: allowed', aliases(20), false],
    ['21 aliases: refused', aliases(21), true],
    ['20 directives: allowed', inlineDirectives(20), false],
    ['21 directives: refused', inlineDirectives(21), true],
    ['2,000 tokens or more: refused', `{ ${'channels { slug } '.repeat(600)} }`, true],
    ['a cost over 1,000: refused', costly, true],
  ] as const)('%s', async ([, query, refused], { account, herald }) => {
    const result = await herald.execute(query, undefined, { token: account.token, headers: SPEC_ACCEPT });
    if (refused) {
      expect(result.status).toBe(400);
      expect(result.data).toBeUndefined();
      expect(result.errors?.[0].message).toMatch(/limit|exceeded/i);
    } else {
      expect(result.errors).toBeUndefined();
      expect(result.status).toBe(200);
    }
  });

  test('the depth limit: the schema is at most 5 deep outside introspection, so a limit of 4 shows it at work', async ({ account }) => {
    const shallow = await TestHerald.start({
      limits: { depth: 4, aliases: 20, directives: 20, tokens: 2000, cost: 1000, fieldSuggestions: true },
    });
    try {
      const five = await shallow.execute(print(Messages), { first: 1 }, { token: account.token, headers: SPEC_ACCEPT });
      expect(five.status).toBe(400);
      expect(five.errors?.[0].message).toMatch(/depth limit of 4 exceeded/i);
      expect((await shallow.execute(Channels, undefined, { token: account.token })).errors).toBeUndefined();
    } finally {
      await shallow.close();
    }
  });

  test('field suggestions are hidden in production and shown in development', async ({ herald }) => {
    const development = await herald.execute('{ channel { slug } }');
    expect(development.errors?.[0].message).toMatch(/Did you mean "channels"/);
    const production = await TestHerald.start({
      limits: { depth: 10, aliases: 20, directives: 20, tokens: 2000, cost: 1000, fieldSuggestions: false },
    });
    try {
      const result = await production.execute('{ channel { slug } }');
      expect(result.errors?.[0].message).toMatch(/Cannot query field "channel"/);
      expect(result.errors?.[0].message).not.toMatch(/Did you mean/);
    } finally {
      await production.close();
    }
  });
});
