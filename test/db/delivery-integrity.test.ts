// Delivery's references are kept by statement-level triggers rather than foreign
// keys (prisma/migrations/*_hot_path): the same refusals and the same cascades.
import { randomUUID } from 'node:crypto';
import { describe, expect, test } from '../support/fixtures.ts';
import { dataOf } from '../support/herald.ts';

describe('Delivery integrity without per-row foreign keys', () => {
  test('a delivery naming a message or a recipient that does not exist is refused, and nothing is written', async ({ account, herald }) => {
    await account.channels('news');
    await account.recipients('r', 2, ['news']);
    const key = await account.key({ kind: 'ALL' });
    const sent = dataOf(await key.send(['news'])).send.message.id as string;
    const { id: accountId } = await herald.db.prisma.account.findUniqueOrThrow({ where: { slug: account.slug } });
    const recipient = await herald.db.prisma.recipient.findUniqueOrThrow({
      where: { accountId_externalId: { accountId, externalId: 'r-0' } },
    });
    // Counted for this test's message and recipient only: other test files write deliveries meanwhile.
    const ours = { OR: [{ messageId: sent }, { recipientId: recipient.id }] };
    const before = await herald.db.prisma.delivery.count({ where: ours });
    const insert = (messageId: string, recipientIds: string[]) =>
      herald.db.prisma.$executeRaw`
        INSERT INTO "Delivery" ("messageId", "recipientId") SELECT ${messageId}::uuid, r FROM unnest(${recipientIds}::uuid[]) AS r
        ON CONFLICT DO NOTHING`;
    await expect(insert(randomUUID(), [recipient.id])).rejects.toThrow(/message that does not exist|foreign key/i);
    await expect(insert(sent, [recipient.id, randomUUID()])).rejects.toThrow(/recipient that does not exist|foreign key/i);
    expect(await herald.db.prisma.delivery.count({ where: ours })).toBe(before);
    // The allowed twin: existing message and recipient (already delivered: ON CONFLICT keeps one row).
    await expect(insert(sent, [recipient.id])).resolves.toBe(0);
  });

  test('deleting a recipient or a message deletes its deliveries (and the message its idempotency record)', async ({ account, herald }) => {
    await account.channels('news');
    await account.recipients('gone', 3, ['news']);
    const key = await account.key({ kind: 'ALL' });
    const first = dataOf(await key.send(['news'])).send.message.id as string;
    const second = dataOf(
      await herald.execute(
        'mutation ($input: SendInput!) { send(input: $input) { message { id } } }',
        { input: { target: { channels: ['news'] }, message: { title: 't', body: 'b' } } },
        { token: key.secret, headers: { 'idempotency-key': `k-${randomUUID()}` } },
      ),
    ) as { send: { message: { id: string } } };
    const secondId = second.send.message.id;
    expect(await herald.db.prisma.delivery.count({ where: { messageId: { in: [first, secondId] } } })).toBe(6);
    expect(await herald.db.prisma.idempotencyKey.count({ where: { messageId: secondId } })).toBe(1);

    const { id: accountId } = await herald.db.prisma.account.findUniqueOrThrow({ where: { slug: account.slug } });
    await herald.db.prisma.recipient.delete({ where: { accountId_externalId: { accountId, externalId: 'gone-0' } } });
    expect(await herald.db.prisma.delivery.count({ where: { messageId: { in: [first, secondId] } } })).toBe(4);

    await herald.db.prisma.message.delete({ where: { id: secondId } });
    expect(await herald.db.prisma.delivery.count({ where: { messageId: secondId } })).toBe(0);
    expect(await herald.db.prisma.idempotencyKey.count({ where: { messageId: secondId } })).toBe(0);
    expect(await herald.db.prisma.delivery.count({ where: { messageId: first } })).toBe(2);
  });
});
