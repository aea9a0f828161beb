import { type DocumentNode, getIntrospectionQuery, parse, print } from 'graphql';
import { DEFAULT_LIMITS } from '../../src/config.ts';
import { WALKTHROUGH } from '../../src/graphiql.ts';
import { queryCost } from '../../src/plugins/limits.ts';
import { schema } from '../../src/schema/index.ts';
import { Channels, DashboardApiKeys, DashboardAuditTrail, DashboardMessages, Messages } from '../support/documents.ts';
import { test as base, describe, expect, type TestAccount } from '../support/fixtures.ts';
import { dataOf, TestHerald } from '../support/herald.ts';

/** This file holds the default limits, whatever limits the shared test configuration sets. */
const test = base.extend<{ $file: { herald: TestHerald } }>({
  herald: [
    // biome-ignore lint/correctness/noEmptyPattern: vitest reads the fixture's dependencies from this pattern.
    async ({}, use) => {
      const herald = await TestHerald.start({ limits: { ...DEFAULT_LIMITS, fieldSuggestions: true } });
      await use(herald);
      await herald.close();
    },
    { scope: 'file' },
  ],
});

const SPEC_ACCEPT = { accept: 'application/graphql-response+json' };
const aliases = (n: number, field = 'channels { slug }') => `{ ${Array.from({ length: n }, (_, i) => `a${i}: ${field}`).join(' ')} }`;
const inlineDirectives = (n: number) => `{ channels { ${'... @include(if: true) { slug } '.repeat(n)} } }`;
const costly = aliases(
  20,
  'messages(first: 100) { totalCount pageInfo { hasNextPage endCursor } edges { cursor node { id title body data channels { id slug name } } } }',
);
const cost = (document: DocumentNode | string, variables?: Record<string, unknown>) =>
  queryCost(schema, typeof document === 'string' ? parse(document) : document, { variables });
const formatted = (n: number) => n.toLocaleString('en-US');

/** The report: a page of the messages list as a frontend asks for it, once refused as a "Syntax Error". */
const FRONTEND_MESSAGES =
  '{ messages(first: 50) { edges { node { id title recipientCount channels { slug name } createdAt } } pageInfo { hasNextPage endCursor } totalCount } }';

/** What the dashboard shows: a channel, a key scoped to it that sent a message, their audit events. */
async function seed(account: TestAccount): Promise<void> {
  await account.channels('news', 'billing');
  const key = await account.key({ kind: 'CHANNELS', channels: ['news', 'billing'] });
  dataOf(await key.send(['news']));
}

/** The real clients' documents: each must run, and cost at most half the default limit. */
const realDocuments: [string, DocumentNode | string, Record<string, unknown>][] = [
  ['the API Keys page: keys with status, scope, 30 days of usage and creator', DashboardApiKeys, {}],
  ['the audit trail: 50 events with their member and key', DashboardAuditTrail, {}],
  ['the messages page: 100 messages with their channels', DashboardMessages, {}],
  ['a frontend’s page of 50 messages with channels, pageInfo and totalCount', FRONTEND_MESSAGES, {}],
  ['Messages with first: 100, as a variable', Messages, { first: 100 }],
];

describe('GraphQL limits', () => {
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
    ['a cost over the limit: refused', costly, true],
  ] as const)('%s', async ([, query, refused], { account, herald }) => {
    const result = await herald.execute(query, undefined, { token: account.token, headers: SPEC_ACCEPT });
    if (refused) {
      expect(result.status).toBe(400);
      expect(result.data).toBeUndefined();
      expect(result.errors?.[0].message).toMatch(/limit/i);
    } else {
      expect(result.errors).toBeUndefined();
      expect(result.status).toBe(200);
    }
  });

  test.for(realDocuments)('%s: runs, and costs at most half the limit', async ([, document, variables], { account, herald }) => {
    await seed(account);
    expect(cost(document, variables)).toBeLessThanOrEqual(DEFAULT_LIMITS.cost / 2);
    const result = await herald.execute(document, variables, { token: account.token, headers: SPEC_ACCEPT });
    expect(result.errors, result.describe()).toBeUndefined();
    expect(result.status).toBe(200);
    expect(result.data).toBeTruthy();
  });

  test('a cost over the limit: refused before execution, with a message that names the cost and the limit', async ({ account, herald }) => {
    const measured = cost(costly);
    expect(measured).toBeGreaterThan(DEFAULT_LIMITS.cost);
    const { statements } = await herald.countStatements(async () => {
      const result = await herald.execute(costly, undefined, { token: account.token, headers: SPEC_ACCEPT });
      expect(result.status).toBe(400);
      expect(result.data).toBeUndefined();
      expect(result.errors).toEqual([
        expect.objectContaining({
          message: `The query's cost is ${formatted(measured ?? 0)}, over the limit of ${formatted(DEFAULT_LIMITS.cost)}: ask for smaller pages or fewer fields.`,
          extensions: { code: 'GRAPHQL_VALIDATION_FAILED', cost: { limit: DEFAULT_LIMITS.cost, actual: measured } },
        }),
      ]);
    });
    // No resolver ran: only authentication read the database.
    expect(statements.join('\n')).not.toMatch(/"Message"/);
  });

  test('the cost follows `first` given as a variable: one document, allowed or refused by its variables', async ({ account, herald }) => {
    const document = `query Pages($first: Int) { ${Array.from({ length: 20 }, (_, i) => `p${i}: messages(first: $first) { edges { node { id title body channels { slug name } } } }`).join(' ')} }`;
    const run = (first: number) => herald.execute(document, { first }, { token: account.token, headers: SPEC_ACCEPT });
    expect((await run(5)).status).toBe(200);
    const refused = await run(100);
    expect(refused.status).toBe(400);
    expect(refused.errors?.[0].message).toContain(`over the limit of ${formatted(DEFAULT_LIMITS.cost)}`);
    // Not a cached verdict on the document: the small page is still allowed.
    expect((await run(5)).errors).toBeUndefined();
  });

  test('an out-of-range page size is BAD_USER_INPUT naming the argument, not a cost refusal', async ({ account, herald }) => {
    const result = await herald.execute(print(Messages), { first: 2 ** 31 - 1 }, { token: account.token, headers: SPEC_ACCEPT });
    expect(result.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
  });

  test('the depth limit: the schema is at most 5 deep outside introspection, so a limit of 4 shows it at work', async ({ account }) => {
    const shallow = await TestHerald.start({ limits: { ...DEFAULT_LIMITS, depth: 4, fieldSuggestions: true } });
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
    const production = await TestHerald.start({ limits: { ...DEFAULT_LIMITS, fieldSuggestions: false } });
    try {
      const result = await production.execute('{ channel { slug } }');
      expect(result.errors?.[0].message).toMatch(/Cannot query field "channel"/);
      expect(result.errors?.[0].message).not.toMatch(/Did you mean/);
    } finally {
      await production.close();
    }
  });
});
