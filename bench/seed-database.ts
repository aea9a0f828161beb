// Child process of seed.ts: SQL, because 100,000 createRecipient calls would take minutes.
import { parseDatabaseUrl } from '../src/config.ts';
import { migrate, openDatabase } from '../src/db/index.ts';
import { ACCOUNT, CHANNELS } from './seed.ts';

// A seed is no request: its 100,000-row statements may take longer than a request's deadline on a busy machine.
const db = await openDatabase(parseDatabaseUrl(process.env.DATABASE_URL), { requestTimeoutMs: 10 * 60_000 });
try {
  await migrate(db);
  const sql = db.prisma;
  const [account] = await sql.$queryRawUnsafe<{ id: string }[]>(
    'INSERT INTO "Account" (slug) VALUES ($1) RETURNING id::text AS id',
    ACCOUNT,
  );
  for (const { slug, recipients } of CHANNELS) {
    const [channel] = await sql.$queryRawUnsafe<{ id: string }[]>(
      'INSERT INTO "Channel" ("accountId", slug, name) VALUES ($1::uuid, $2, $2) RETURNING id::text AS id',
      account.id,
      slug,
    );
    await sql.$executeRawUnsafe(
      `WITH r AS (
         INSERT INTO "Recipient" ("accountId", "externalId")
         SELECT $1::uuid, $2::text || g FROM generate_series(1, $3::int) AS g RETURNING id
       )
       INSERT INTO "RecipientChannel" ("channelId", "recipientId") SELECT $4::uuid, id FROM r`,
      account.id,
      `${slug}-`,
      recipients,
      channel.id,
    );
  }
  await sql.$executeRawUnsafe('ANALYZE');
} finally {
  await db.close();
}
