// The hot path's database work: an authenticated request costs at most one
// statement (the key with its channels and the failed-authentication block),
// none once its key is in memory (on PostgreSQL, while the lease holds), and a
// send within a channel-scoped key's scope one more (the send), whatever it targets.
// The PostgreSQL rate-limit store's own statement is left out of the counts:
// it is that store's cost (a fleet with REDIS_URL has none), and the bench's
// -pgstore rows measure it; so is the PostgreSQL bus's pg_notify after a send
// (the fleet's one message per send: Redis carries it when REDIS_URL is set).
import { generateSecret } from '../../src/auth/api-keys.ts';
import { InboxEvents, Typename } from '../support/documents.ts';
import { describe, expect, test } from '../support/fixtures.ts';
import { dataOf, TestHerald } from '../support/herald.ts';
import { sse } from '../support/streams.ts';

/** The send a backend makes (the bench's): the message's id and reach, nothing it must read back. */
const SEND = 'mutation ($input: SendInput!) { send(input: $input) { message { id recipientCount } } }';

async function statementsOf(herald: TestHerald, fn: () => Promise<unknown>): Promise<string[]> {
  const { statements } = await herald.countStatements(fn);
  return statements.filter((sql) => !sql.includes('"KeyRateLimit"') && !sql.includes('pg_notify('));
}

describe('statements on the hot path', () => {
  test('a key request: at most one statement, which reads the key and the address block together', async ({ account, herald }) => {
    await account.channels('news', 'alerts');
    const key = await account.key({ kind: 'CHANNELS', channels: ['news', 'alerts'] });
    dataOf(await key.run(Typename)); // the first use also writes lastUsedAt (then at most once a minute)
    const statements = await statementsOf(herald, async () => expect(dataOf(await key.run(Typename)).__typename).toBe('Query'));
    expect(statements.length).toBeLessThanOrEqual(1);
    // On PostgreSQL the one statement is the key lookup, with the failed-authentication check inside it.
    for (const sql of statements) expect(sql).toMatch(/"ApiKey"[\s\S]*"AuthFailure"|"AuthFailure"[\s\S]*"ApiKey"/);
  });

  test('a key request whose key and address this instance read within the lease: no statement at all', async ({ account }) => {
    // An instance of its own with a lease long enough that a slow machine cannot outlast it.
    const instance = await TestHerald.start({ authCacheMs: 5_000 });
    try {
      const key = await account.key({ kind: 'ALL' });
      const typename = () => instance.execute<{ __typename: string }, object>('{ __typename }', {}, { token: key.secret });
      const first = await statementsOf(instance, async () => expect(dataOf(await typename()).__typename).toBe('Query'));
      expect(first.some((sql) => sql.includes('"ApiKey"'))).toBe(true);
      const next = await statementsOf(instance, async () => expect(dataOf(await typename()).__typename).toBe('Query'));
      expect(next).toEqual([]);
      // Refused twin: an unknown secret (well formed) is never answered from memory.
      const wrong = await statementsOf(instance, async () => {
        const refused = await instance.execute('{ __typename }', {}, { token: generateSecret().secret });
        expect(refused.status).toBe(401);
      });
      expect(wrong.length).toBeGreaterThan(0);
    } finally {
      await instance.close();
    }
  });

  test('send within a scoped key: the key and the send, no lookup of the channels it names', async ({ account, herald }) => {
    await account.channels('news', 'alerts', 'other');
    await account.recipients('r', 3, ['news', 'alerts']);
    const key = await account.key({ kind: 'CHANNELS', channels: ['news', 'alerts'] });
    dataOf(await key.send(['news']));
    for (const target of [['news'], ['news', 'alerts'], null]) {
      const statements = await statementsOf(herald, async () => {
        const input = { message: { title: 't', body: 'b' }, ...(target ? { target: { channels: target } } : {}) };
        const sent = dataOf(
          await herald.execute<{ send: { message: { recipientCount: number } } }, object>(SEND, { input }, { token: key.secret }),
        );
        expect(sent.send.message.recipientCount).toBe(3);
      });
      expect(statements.length).toBeLessThanOrEqual(2);
      expect(statements.some((sql) => sql.includes('INSERT INTO "Message"'))).toBe(true);
    }
  });

  test('refused twin: a scoped key naming a channel outside its scope is refused without a send statement', async ({ account, herald }) => {
    await account.channels('news', 'other');
    const key = await account.key({ kind: 'CHANNELS', channels: ['news'] });
    const statements = await statementsOf(herald, async () => {
      const result = await key.send(['other']);
      expect(result.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    });
    expect(statements.some((sql) => sql.includes('"Message"'))).toBe(false);
  });

  test('a key to every recipient still resolves the channels it names (one lookup for all of them)', async ({ account, herald }) => {
    await account.channels('news', 'alerts');
    await account.recipients('r', 2, ['news']);
    const key = await account.key({ kind: 'ALL' });
    dataOf(await key.send(['news']));
    const input = { target: { channels: ['news', 'alerts'] }, message: { title: 't', body: 'b' } };
    const statements = await statementsOf(herald, async () => dataOf(await herald.execute(SEND, { input }, { token: key.secret })));
    expect(statements.filter((sql) => sql.includes('"Channel"') && !sql.includes('"ApiKey"')).length).toBe(1);
    const unknown = await key.send(['nope']);
    expect(unknown.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
  });

  test('the inbox event of a send: on the embedded database (one instance), only when a stream of the account is open there', async ({
    account,
    herald,
  }) => {
    await account.channels('news');
    await account.recipients('r', 2, ['news']);
    const key = await account.key({ kind: 'ALL' });
    const notifies = async () =>
      (await herald.countStatements(async () => dataOf(await key.send(['news'])))).statements.filter((sql) => sql.includes('pg_notify('))
        .length;
    // A fleet's instances share the bus: another one may hold the account's streams (Redis carries it when REDIS_URL is set).
    const alone = herald.dbKind === 'embedded';
    expect(await notifies()).toBe(alone ? 0 : 1);
    const stream = sse(await herald.listen(), (await account.inboxOf('r-0')).token, { document: InboxEvents });
    await expect.poll(() => herald.yoga.connections.topology.hub.size).toBe(1);
    expect(await notifies()).toBe(1);
    expect((await stream.waitFor(1, 2_000))[0].inbox.item).toBeTruthy();
    await stream.close();
    await expect.poll(() => herald.yoga.connections.topology.hub.size).toBe(0);
    expect(await notifies()).toBe(alone ? 0 : 1);
  });
});
