// How the database plans send's work (prisma/migrations/*_trigger_plans and
// *_send_targets, src/db/sql.ts): a send's cost must not grow with the messages
// ever sent, and the hot path's statements are not planned again on every request.
import { Prisma } from '../../src/generated/prisma/client.ts';
import { Send } from '../support/documents.ts';
import { describe, expect, test } from '../support/fixtures.ts';
import { dataOf, TestHerald } from '../support/herald.ts';

/** Sequential scans of these tables so far in the current transaction. */
const seqScansSQL = Prisma.sql`
  SELECT relname, seq_scan::int FROM pg_stat_xact_user_tables WHERE relname IN ('Message', 'Recipient') ORDER BY relname`;

/** Rolls back whatever the transaction wrote. */
class RolledBack extends Error {}

describe('statement plans', () => {
  test('a delivery check finds its message and recipients by index, even when the planner favours scanning the tables', async ({
    account,
    herald,
  }) => {
    await account.channels('news');
    await account.recipients('r', 2, ['news']);
    const key = await account.key({ kind: 'ALL' });
    const { id: accountId } = await herald.db.prisma.account.findUniqueOrThrow({ where: { slug: account.slug } });
    const recipients = await herald.db.prisma.recipient.findMany({ where: { accountId }, select: { id: true } });
    const found: Record<string, Record<string, number>> = {};
    await herald.db.prisma
      .$transaction(async (tx) => {
        const scans = async () =>
          Object.fromEntries(
            (await tx.$queryRaw<{ relname: string; seq_scan: number }[]>(seqScansSQL)).map((r) => [r.relname, r.seq_scan]),
          );
        // What a connection that first planned the check while the tables were a few rows long sees: scans look cheaper.
        await tx.$executeRaw`SET LOCAL random_page_cost = 10000`;
        const deliver = async () => {
          const [message] = await tx.$queryRaw<{ id: string; seq: bigint }[]>`
            INSERT INTO "Message" ("accountId", "apiKeyId", title, body, "allRecipients", "recipientCount")
            VALUES (${accountId}::uuid, ${key.id}::uuid, 't', 'b', true, ${recipients.length}) RETURNING id::text, seq`;
          await tx.$executeRaw`
            INSERT INTO "Delivery" ("messageId", "recipientId", "messageSeq")
            SELECT ${message.id}::uuid, r, ${message.seq} FROM unnest(${recipients.map((r) => r.id)}::uuid[]) AS r`;
        };
        found.before = await scans();
        await deliver();
        found.checked = await scans();
        // The control: the same check without the migration's setting does scan "Message" (so the counts above can show one).
        await tx.$executeRaw`SAVEPOINT without_setting`;
        await tx.$executeRaw`ALTER FUNCTION herald_delivery_references() RESET enable_seqscan`;
        await deliver();
        found.unset = await scans();
        await tx.$executeRaw`ROLLBACK TO SAVEPOINT without_setting`;
        throw new RolledBack();
      })
      .catch((error: unknown) => {
        if (!(error instanceof RolledBack)) throw error;
      });
    expect(found.checked).toEqual(found.before);
    expect(found.unset.Message).toBeGreaterThan(found.checked.Message);
    expect(await herald.db.prisma.message.count({ where: { accountId } })).toBe(0);
  });

  test('send and the key lookup keep one plan per connection rather than planning each request again', async ({ account, herald }) => {
    await account.channels('news', 'alerts');
    await account.recipients('r', 3, ['news']);
    const key = await account.key({ kind: 'ALL' });
    // One request at a time: the pool hands the connection last used to the next statement, this test's query included.
    for (let i = 0; i < 12; i += 1)
      expect(dataOf(await key.send([i % 2 ? 'news' : 'alerts'])).send.message.recipientCount).toBe(i % 2 ? 3 : 0);
    const plans = async (like: string, instance: TestHerald = herald) => {
      const rows = await instance.db.sql<{ generic_plans: number; custom_plans: number }>(
        Prisma.sql`SELECT generic_plans::int, custom_plans::int FROM pg_prepared_statements WHERE statement LIKE ${like}`,
      );
      expect(rows.length).toBeGreaterThan(0);
      return rows.reduce((most, row) => (row.generic_plans + row.custom_plans > most.generic_plans + most.custom_plans ? row : most));
    };
    // PostgreSQL plans a prepared statement for its values five times, then keeps one plan for every value.
    const send = await plans('%INSERT INTO "Message"%');
    expect(send.custom_plans).toBeLessThanOrEqual(5);
    expect(send.generic_plans).toBeGreaterThan(0);
    // With AUTH_CACHE_MS=0, every request on PostgreSQL reads its key (otherwise memory spares most of them).
    if (herald.dbKind === 'postgres') {
      const uncached = await TestHerald.start({ authCacheMs: 0 });
      try {
        for (let i = 0; i < 12; i += 1) {
          const sent = await uncached.execute(
            Send,
            { input: { target: { channels: ['news'] }, message: { title: 't', body: 'b' } } },
            { token: key.secret },
          );
          expect(dataOf(sent).send.message.recipientCount).toBe(3);
        }
        const lookup = await plans('%LEFT JOIN "ApiKey" k ON k."secretHash"%', uncached);
        expect(lookup.custom_plans).toBeLessThanOrEqual(5);
        expect(lookup.generic_plans).toBeGreaterThan(0);
      } finally {
        await uncached.close();
      }
    }
  });
});
