import { pino } from 'pino';
import { createHerald } from '../../src/yoga.ts';
import { ApiKeyUsage, Channels, Send } from '../support/documents.ts';
import { test as base, describe, expect, type TestAccount, type TestKey } from '../support/fixtures.ts';
import { dataOf, errorOf, TestHerald, testConfig } from '../support/herald.ts';

/** A server of this file's own that writes counted usage every 200 ms. */
const test = base.extend<{ $file: { herald: TestHerald } }>({
  herald: [
    // biome-ignore lint/correctness/noEmptyPattern: vitest reads the fixture's dependencies from this pattern.
    async ({}, use) => {
      const herald = await TestHerald.start({}, { usageFlushMs: 200 });
      await use(herald);
      await herald.close();
    },
    { scope: 'file' },
  ],
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const today = () => new Date().toISOString().slice(0, 10);

async function usage(account: TestAccount, key: TestKey, days?: number) {
  return dataOf(await account.run(ApiKeyUsage, { id: key.id, days })).apiKey?.usage;
}

const channelsWith = (yoga: Awaited<ReturnType<typeof createHerald>>, key: TestKey) =>
  yoga.fetch('http://herald.test/graphql', {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${key.secret}` },
    body: JSON.stringify({ query: '{ channels { slug } }' }),
  });

/** Waits past the test server's flush interval (200 ms). */
const flushed = () => sleep(450);

describe('ApiKey.usage', () => {
  test('messages and recipients are exact at once; requests and refusals once written', async ({ account }) => {
    await account.channels('a', 'b');
    await account.recipients('ra', 3, ['a']);
    await account.recipients('rb', 2, ['b']);
    const key = await account.key({ kind: 'CHANNELS', channels: ['a', 'b'] });
    dataOf(await key.send(['a']));
    dataOf(await key.send(undefined));
    expect(errorOf(await key.send(['elsewhere'])).code).toBe('FORBIDDEN');
    expect(errorOf(await key.run(Send, { input: { message: { title: ' ', body: 'x' } } })).code).toBe('BAD_USER_INPUT');
    dataOf(await key.run(Channels));
    expect(await usage(account, key)).toEqual([expect.objectContaining({ day: today(), messages: 2, recipients: 8 })]);
    await flushed();
    expect(await usage(account, key)).toEqual([{ day: today(), requests: 5, messages: 2, recipients: 8, refused: 2 }]);
  });

  test('days that had no use are left out; another key’s use is not counted', async ({ account }) => {
    const quiet = await account.key({ kind: 'ALL' });
    const busy = await account.key({ kind: 'ALL' });
    dataOf(await busy.send(undefined));
    await flushed();
    expect(await usage(account, quiet)).toEqual([]);
    expect(await usage(account, busy, 1)).toEqual([{ day: today(), requests: 1, messages: 1, recipients: 0, refused: 0 }]);
  });

  test('older days, newest first, within the days asked for', async ({ account, herald }) => {
    const key = await account.key({ kind: 'ALL' });
    const daysAgo = (n: number) => new Date(Date.UTC(new Date().getUTCFullYear(), new Date().getUTCMonth(), new Date().getUTCDate() - n));
    await herald.db.prisma.apiKeyUsage.createMany({
      data: [
        { apiKeyId: key.id, day: daysAgo(1), requests: 7, refused: 1 },
        { apiKeyId: key.id, day: daysAgo(29), requests: 3, refused: 0 },
        { apiKeyId: key.id, day: daysAgo(30), requests: 5, refused: 5 },
      ],
    });
    const day = (n: number) => daysAgo(n).toISOString().slice(0, 10);
    expect((await usage(account, key, 30))?.map((d) => [d.day, d.requests])).toEqual([
      [day(1), 7],
      [day(29), 3],
    ]);
    expect((await usage(account, key, 90))?.map((d) => d.day)).toEqual([day(1), day(29), day(30)]);
    expect((await usage(account, key, 1))?.map((d) => d.day)).toEqual([]);
  });

  test.for([0, -1, 91])('days = %i: BAD_USER_INPUT', async (days, { account }) => {
    const key = await account.key({ kind: 'ALL' });
    expect(errorOf(await account.run(ApiKeyUsage, { id: key.id, days }))).toMatchObject({
      code: 'BAD_USER_INPUT',
      message: 'days must be 1 to 90.',
    });
  });

  test('the hot path writes no usage: requests are counted in memory and written in one statement', async ({ account, herald }) => {
    const key = await account.key({ kind: 'ALL' });
    // Its own server, with a flush interval the test never reaches: the counts are written when it stops.
    const yoga = await createHerald({ config: testConfig(), db: herald.db, logger: pino({ level: 'silent' }), usageFlushMs: 3_600_000 });
    const { statements } = await herald.countStatements(async () => {
      for (let i = 0; i < 20; i += 1) expect((await channelsWith(yoga, key)).status).toBe(200);
    });
    expect(statements.filter((sql) => sql.includes('ApiKeyUsage'))).toEqual([]);
    const writes = await herald.countStatements(async () => yoga.dispose());
    expect(writes.statements.filter((sql) => sql.includes('ApiKeyUsage'))).toHaveLength(1);
    expect((await usage(account, key))?.[0].requests).toBe(20);
  });

  test('counts not yet written are written when the server stops', async ({ account, herald }) => {
    const key = await account.key({ kind: 'ALL' });
    // Its own server, with a flush interval the test never reaches.
    const yoga = await createHerald({ config: testConfig(), db: herald.db, logger: pino({ level: 'silent' }), usageFlushMs: 3_600_000 });
    for (let i = 0; i < 3; i += 1) expect((await channelsWith(yoga, key)).status).toBe(200);
    await sleep(300);
    expect(await usage(account, key)).toEqual([]);
    await yoga.dispose();
    expect(await usage(account, key)).toEqual([{ day: today(), requests: 3, messages: 0, recipients: 0, refused: 0 }]);
  });

  test('an instance reports the requests it counted and has not written yet; once written, the database has the same', async ({
    account,
    herald,
  }) => {
    const key = await account.key({ kind: 'ALL' });
    const yoga = await createHerald({ config: testConfig(), db: herald.db, logger: pino({ level: 'silent' }), usageFlushMs: 3_600_000 });
    const usageThrough = async () => {
      const response = await yoga.fetch('http://herald.test/graphql', {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${account.token}` },
        body: JSON.stringify({ query: `{ apiKey(id: "${key.id}") { usage(days: 1) { day requests refused } } }` }),
      });
      return ((await response.json()) as { data: { apiKey: { usage: unknown[] } } }).data.apiKey.usage;
    };
    for (let i = 0; i < 4; i += 1) expect((await channelsWith(yoga, key)).status).toBe(200);
    // Nothing written yet: the database alone (another instance) knows nothing, this instance knows all four.
    expect(await usage(account, key)).toEqual([]);
    expect(await usageThrough()).toEqual([{ day: today(), requests: 4, refused: 0 }]);
    await yoga.dispose();
    expect(await usage(account, key)).toEqual([{ day: today(), requests: 4, messages: 0, recipients: 0, refused: 0 }]);
  });
});
