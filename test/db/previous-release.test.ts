// A fleet rolls forward while instances of the previous release still serve: the
// relation tables' old names (Prisma's implicit "_…Channels" with "A"/"B") stay
// as views their statements read and write through (prisma/migrations/*_relation_tables).
import { describe, expect, test } from '../support/fixtures.ts';

describe("the previous release's relation tables", () => {
  test('read, insert (ON CONFLICT DO NOTHING, as its Prisma did) and delete through the old names', async ({ account, herald }) => {
    const db = herald.db.prisma;
    const [channel] = await account.channels('news', 'other');
    const key = await account.key({ kind: 'CHANNELS', channels: ['news'] });
    const otherChannel = (await db.channel.findFirstOrThrow({ where: { slug: 'other', account: { slug: account.slug } } })).id;

    const through = await db.$queryRaw<{ B: string }[]>`SELECT "B"::text FROM "_ApiKeyChannels" WHERE "A" = ${key.id}::uuid`;
    expect(through).toEqual([{ B: channel }]);

    await db.$executeRaw`INSERT INTO "_ApiKeyChannels" ("A", "B") VALUES (${key.id}::uuid, ${otherChannel}::uuid), (${key.id}::uuid, ${channel}::uuid) ON CONFLICT DO NOTHING`;
    const rows = await db.apiKeyChannel.findMany({ where: { apiKeyId: key.id }, select: { channelId: true } });
    expect(rows.map((r) => r.channelId).sort()).toEqual([channel, otherChannel].sort());

    await db.$executeRaw`DELETE FROM "_ApiKeyChannels" WHERE "A" = ${key.id}::uuid AND "B" = ${otherChannel}::uuid`;
    expect(await db.apiKeyChannel.count({ where: { apiKeyId: key.id } })).toBe(1);
    // The refused twin: the new table's foreign keys hold through the view.
    await expect(
      db.$executeRaw`INSERT INTO "_RecipientChannels" ("A", "B") VALUES (${channel}::uuid, gen_random_uuid())`,
    ).rejects.toThrow();
  });
});
