// The data layer confines a request to its account even when the code forgets
// to filter, or passes another account's id on purpose.
import { randomUUID } from 'node:crypto';
import { tenantClient } from '../../src/db/tenant.ts';
import { describe, expect, test } from '../support/fixtures.ts';
import { dataOf } from '../support/herald.ts';

describe('tenantClient', () => {
  test('reads, updates, deletes and creates stay inside the account', async ({ account, other, herald }) => {
    await account.channels('ours');
    await other.channels('theirs');
    const theirKey = await other.key({ kind: 'ALL' });
    dataOf(await theirKey.send(undefined));
    const [us, them] = await Promise.all(
      [account, other].map((a) => herald.db.prisma.account.findUniqueOrThrow({ where: { slug: a.slug } })),
    );
    const theirsBefore = await other.snapshot();
    const db = tenantClient(herald.db.prisma, us.id);

    // A forgotten filter sees only our rows.
    expect((await db.channel.findMany()).map((c) => c.slug)).toEqual(['ours']);
    expect(await db.message.count()).toBe(0);
    // Another account's id or account id finds nothing.
    expect(await db.apiKey.findUnique({ where: { id: theirKey.id } })).toBeNull();
    expect(await db.apiKey.findFirst({ where: { accountId: them.id } })).toBeNull();
    expect((await db.apiKey.updateMany({ where: { id: theirKey.id }, data: { name: 'stolen' } })).count).toBe(0);
    await expect(db.apiKey.update({ where: { id: theirKey.id }, data: { name: 'stolen' } })).rejects.toMatchObject({ code: 'P2025' });
    expect((await db.channel.deleteMany({ where: { slug: 'theirs' } })).count).toBe(0);
    // A create naming another account lands in ours.
    const created = await db.channel.create({ data: { accountId: them.id, slug: 'planted', name: 'Planted' } });
    expect(created.accountId).toBe(us.id);
    // Interactive transactions are confined too.
    expect(await db.$transaction((tx) => tx.channel.findMany({ where: { slug: 'theirs' } }))).toEqual([]);

    expect(await other.snapshot()).toEqual(theirsBefore);
  });

  test('relation rows with no account of their own are reached only through their owner', async ({ account, other, herald }) => {
    await other.channels('theirs');
    await other.key({ kind: 'CHANNELS', channels: ['theirs'] });
    const us = await herald.db.prisma.account.findUniqueOrThrow({ where: { slug: account.slug } });
    const db = tenantClient(herald.db.prisma, us.id);
    await expect(db.apiKeyChannel.findMany()).rejects.toThrow(/reached through its owner/);
    await expect(db.recipientChannel.count()).rejects.toThrow(/reached through its owner/);
    await expect(db.delivery.count()).rejects.toThrow(/reached through its owner/);
    await expect(db.apiKeyUsage.findMany()).rejects.toThrow(/reached through its owner/);
    // (A filter that matches nothing: should the guard ever go, this test must not delete other tests' rows.)
    await expect(db.messageChannel.deleteMany({ where: { channelId: randomUUID() } })).rejects.toThrow(/reached through its owner/);
    // The allowed twin: through the owner, confined to the account.
    expect(await db.apiKey.findMany({ select: { channels: true } })).toEqual([]);
  });

  test('deny by default: a model the tenant client does not list is refused, not passed through', async ({ account, herald }) => {
    const us = await herald.db.prisma.account.findUniqueOrThrow({ where: { slug: account.slug } });
    const db = tenantClient(herald.db.prisma, us.id);
    await expect(db.account.findMany()).rejects.toThrow(/not an account's data/);
    await expect(db.authFailure.count()).rejects.toThrow(/not an account's data/);
    await expect(db.signingKey.findMany()).rejects.toThrow(/not an account's data/);
    await expect(db.idempotencyKey.deleteMany({ where: { key: randomUUID() } })).rejects.toThrow(/not an account's data/);
    // The allowed twin: a listed model, confined.
    expect(await db.channel.count()).toBe(0);
  });
});
