import { Writable } from 'node:stream';
import { pino } from 'pino';
import { openDatabase } from '../../src/db/index.ts';
import { createHerald } from '../../src/yoga.ts';
import { Channels } from '../support/documents.ts';
import { describe, expect, test } from '../support/fixtures.ts';
import { errorOf, TestHerald, testConfig } from '../support/herald.ts';

describe('HTTP surface', () => {
  test('GraphiQL is served at /graphql with the walkthrough', async ({ herald }) => {
    const response = await herald.fetch({ method: 'GET', headers: { accept: 'text/html' } });
    expect(response.status).toBe(200);
    const html = await response.text();
    expect(html).toContain('Herald');
    expect(html).toContain('SendOutsideScope');
  });

  test('a body over 1 MiB: 413, with or without Content-Length; just under is parsed', async ({ account, herald }) => {
    const query = `{ __typename }`;
    const padded = (size: number) => JSON.stringify({ query: query + ' '.repeat(size - JSON.stringify({ query }).length) });
    const over = padded(1_048_577);
    expect(over.length).toBe(1_048_577);
    const declared = await herald.fetch({ method: 'POST', headers: { 'content-type': 'application/json' }, body: over });
    expect(declared.status).toBe(413);
    const chunked = new ReadableStream({
      start(controller) {
        for (let i = 0; i < over.length; i += 65_536) controller.enqueue(new TextEncoder().encode(over.slice(i, i + 65_536)));
        controller.close();
      },
    });
    const streamed = await herald.fetch({
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: chunked,
      duplex: 'half',
    } as RequestInit);
    expect(streamed.status).toBe(413);
    const under = await herald.fetch({
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${account.token}` },
      body: padded(1_048_576),
    });
    expect(under.status).toBe(200);
  });

  test('malformed JSON: 400; a mutation over GET: 405', async ({ account, herald }) => {
    const bad = await herald.fetch({ method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"query": ' });
    expect(bad.status).toBe(400);
    const get = await herald.fetch({
      method: 'GET',
      path: `/graphql?query=${encodeURIComponent('mutation { createChannel(input: {slug: "x", name: "x"}) { id } }')}`,
      headers: { accept: 'application/json', authorization: `Bearer ${account.token}` },
    });
    expect(get.status).toBe(405);
    expect(await account.snapshot()).toMatchObject({ channels: null });
  });

  test('an unexpected failure is masked for the client (500) and logged for us', async ({ herald }) => {
    // A database without Herald's tables: every query fails in a way no resolver expects.
    const name = `herald_unmigrated_${process.pid}_${Date.now().toString(36)}`;
    await herald.db.prisma.$executeRawUnsafe(`CREATE DATABASE "${name}"`);
    const url = Object.assign(new URL(herald.db.url), { pathname: `/${name}` }).toString();
    const db = await openDatabase({ kind: 'postgres', url });
    try {
      const lines: string[] = [];
      const logger = pino({ level: 'info' }, new Writable({ write: (chunk, _e, done) => done(void lines.push(chunk.toString())) }));
      const broken = await createHerald({ config: testConfig(), db, logger });
      const response = await broken.fetch('http://herald.test/graphql', {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${await herald.memberToken('masked')}` },
        body: JSON.stringify({ query: '{ channels { slug } }' }),
      });
      expect(response.status).toBe(500);
      expect((await response.json()).errors).toEqual([{ message: 'Unexpected error.', extensions: { code: 'INTERNAL_SERVER_ERROR' } }]);
      expect(
        lines.map((line) => JSON.parse(line)).some((entry) => entry.level === 50 && /does not exist/.test(JSON.stringify(entry))),
      ).toBe(true);
    } finally {
      await db.close();
      await herald.db.prisma.$executeRawUnsafe(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    }
  });

  test('introspection can be turned off; queries still work', async () => {
    const herald = await TestHerald.start({ introspection: false, graphiql: false });
    try {
      const result = await herald.execute('{ __schema { types { name } } }');
      expect(result.data).toBeUndefined();
      expect(result.errors?.[0].message).toMatch(/introspection/i);
      expect(errorOf(await herald.execute(Channels)).code).toBe('UNAUTHENTICATED');
      const page = await herald.fetch({ method: 'GET', headers: { accept: 'text/html' } });
      expect(page.headers.get('content-type') ?? '').not.toContain('text/html');
    } finally {
      await herald.close();
    }
  });
});
