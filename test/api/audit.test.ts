import { createHash } from 'node:crypto';
import { AuditEvents, CreateChannel, CreateRecipient, RevokeApiKey, RollApiKey, UpdateApiKey } from '../support/documents.ts';
import { describe, expect, type TestAccount, test } from '../support/fixtures.ts';
import { dataOf, errorOf } from '../support/herald.ts';

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

async function trail(account: TestAccount, variables: { first?: number; after?: string; apiKeyId?: string } = {}) {
  return dataOf(await account.run(AuditEvents, variables)).auditEvents;
}

describe('auditEvents', () => {
  test('a walkthrough: every change with its member, key, before/after and request id, newest first; no secret or hash anywhere', async ({
    account,
    herald,
  }) => {
    const created = await account.run(
      CreateChannel,
      { input: { slug: 'news', name: 'News' } },
      { headers: { 'x-request-id': 'req-channel' } },
    );
    dataOf(created);
    await account.channels('ops');
    await account.recipient('ada', ['news']);
    const key = await account.key({ kind: 'CHANNELS', channels: ['news'] }, 'Sender');
    dataOf(await key.run(CreateRecipient, { input: { externalId: 'bob', channels: ['news'] } }));
    const renamed = await account.run(
      UpdateApiKey,
      { input: { id: key.id, name: 'Sender 2', scope: { kind: 'CHANNELS', channels: ['ops', 'news'] } } },
      { headers: { 'x-request-id': 'req-update' } },
    );
    dataOf(renamed);
    const rolled = await account.roll(key, 60);
    dataOf(await account.run(RevokeApiKey, { id: key.id }));

    const { edges } = await trail(account);
    const member = await herald.db.prisma.member.findFirstOrThrow({ where: { account: { slug: account.slug } } });
    expect(edges.map((e) => e.node.action)).toEqual([
      'API_KEY_REVOKED',
      'API_KEY_ROLLED',
      'API_KEY_UPDATED',
      'RECIPIENT_CREATED',
      'API_KEY_CREATED',
      'RECIPIENT_CREATED',
      'CHANNEL_CREATED',
      'CHANNEL_CREATED',
    ]);
    const [revoked, roll, update, byKey, keyCreated, byMember, , channel] = edges.map((e) => e.node);
    expect(channel).toMatchObject({
      member: { id: member.id, subject: member.subject },
      apiKey: null,
      requestId: 'req-channel',
      changes: { slug: { before: null, after: 'news' }, name: { before: null, after: 'News' } },
    });
    expect(byMember).toMatchObject({ member: { id: member.id }, apiKey: null, changes: { externalId: { before: null, after: 'ada' } } });
    expect(byKey).toMatchObject({
      member: null,
      apiKey: { id: key.id },
      changes: { externalId: { before: null, after: 'bob' }, channels: { before: null, after: ['news'] } },
    });
    expect(keyCreated).toMatchObject({
      apiKey: { id: key.id },
      changes: {
        name: { before: null, after: 'Sender' },
        scope: { before: null, after: { kind: 'CHANNELS', channels: ['news'] } },
        prefix: { before: null, after: key.secret.slice(0, 11) },
      },
    });
    expect(update).toMatchObject({
      requestId: 'req-update',
      changes: {
        name: { before: 'Sender', after: 'Sender 2' },
        scope: { before: { kind: 'CHANNELS', channels: ['news'] }, after: { kind: 'CHANNELS', channels: ['news', 'ops'] } },
      },
    });
    expect(Object.keys(update.changes ?? {})).toEqual(['name', 'scope']);
    expect(roll.changes).toMatchObject({ prefix: { before: key.secret.slice(0, 11), after: rolled.secret.slice(0, 11) } });
    expect(revoked).toMatchObject({ member: { id: member.id }, apiKey: { id: key.id, name: 'Sender 2' } });
    for (const { node } of edges) expect(node.requestId).toMatch(/\S/);

    const rows = await herald.db.prisma.auditEvent.findMany({ where: { account: { slug: account.slug } } });
    const everything = JSON.stringify(rows, (_key, value) => (typeof value === 'bigint' ? String(value) : value));
    const stored = await herald.db.prisma.apiKey.findUniqueOrThrow({ where: { id: key.id } });
    // The secrets, their random parts (what follows the displayed prefix), and every hash stored for the key.
    expect(stored.previousSecretHash).toBeNull();
    for (const secret of [key.secret, rolled.secret]) expect(everything).not.toContain(secret.slice(11));
    for (const hash of [stored.secretHash, sha256(key.secret)]) expect(everything).not.toContain(hash);
  });

  test('pages follow each other newest first with no gap or repeat; apiKeyId narrows to one key', async ({ account }) => {
    const one = await account.key({ kind: 'ALL' });
    const two = await account.key({ kind: 'ALL' });
    for (let i = 0; i < 3; i += 1) dataOf(await account.run(UpdateApiKey, { input: { id: one.id, name: `one-${i}` } }));
    dataOf(await account.run(UpdateApiKey, { input: { id: two.id, name: 'two-renamed' } }));
    const all = (await trail(account, { first: 100 })).edges.map((e) => e.node.id);
    expect(all).toHaveLength(6);
    const seen: string[] = [];
    let after: string | undefined;
    for (;;) {
      const page = await trail(account, { first: 4, after });
      seen.push(...page.edges.map((e) => e.node.id));
      if (!page.pageInfo.hasNextPage) break;
      after = page.pageInfo.endCursor ?? undefined;
      expect(page.pageInfo.endCursor).toBe(page.edges.at(-1)?.cursor);
    }
    expect(seen).toEqual(all);
    const ofOne = (await trail(account, { apiKeyId: one.id })).edges.map((e) => e.node);
    expect(ofOne.map((e) => e.action)).toEqual(['API_KEY_UPDATED', 'API_KEY_UPDATED', 'API_KEY_UPDATED', 'API_KEY_CREATED']);
    expect(ofOne.every((e) => e.apiKey?.id === one.id)).toBe(true);
    expect((await trail(account, { apiKeyId: 'not-a-uuid' })).edges).toEqual([]);
  });

  test('refused twins: keys get 403; another account’s trail is invisible; a bad cursor or page size is BAD_USER_INPUT', async ({
    account,
    other,
  }) => {
    const key = await account.key({ kind: 'ALL' });
    const theirs = await other.key({ kind: 'ALL' });
    expect(errorOf(await key.run(AuditEvents, {}))).toMatchObject({ code: 'FORBIDDEN', status: 403 });
    expect((await trail(account, { apiKeyId: theirs.id })).edges).toEqual([]);
    expect((await trail(account)).edges.map((e) => e.node.apiKey?.id)).toEqual([key.id]);
    expect(errorOf(await account.run(AuditEvents, { first: 101 })).code).toBe('BAD_USER_INPUT');
    expect(errorOf(await account.run(AuditEvents, { after: Buffer.from('message:1').toString('base64url') })).code).toBe('BAD_USER_INPUT');
  });

  test('a refused change writes no event, and a failed write leaves no event without its change', async ({ account, herald }) => {
    await account.channels('news');
    const key = await account.key({ kind: 'ALL' });
    const before = await account.snapshot();
    expect(errorOf(await account.run(CreateChannel, { input: { slug: 'news', name: 'Again' } })).code).toBe('BAD_USER_INPUT');
    expect(errorOf(await account.run(CreateRecipient, { input: { externalId: 'x', channels: ['ghost'] } })).code).toBe('BAD_USER_INPUT');
    expect(errorOf(await account.run(RollApiKey, { input: { id: key.id, gracePeriodSeconds: 90_000 } })).code).toBe('BAD_USER_INPUT');
    expect(await account.snapshot()).toEqual(before);
    const events = await herald.db.prisma.auditEvent.count({ where: { account: { slug: account.slug } } });
    expect(events).toBe(2);
  });
});
