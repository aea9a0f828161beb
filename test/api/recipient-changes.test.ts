// updateRecipient and deleteRecipient: each refusal beside its allowed twin; an erasure takes everything.

import { setTimeout as sleep } from 'node:timers/promises';
import {
  AuditEvents,
  CreateRecipient,
  DeleteRecipient,
  Inbox,
  InboxEvents,
  RecipientByExternalId,
  Typename,
  UpdateRecipient,
} from '../support/documents.ts';
import { describe, expect, type TestAccount, test } from '../support/fixtures.ts';
import { dataOf, errorOf } from '../support/herald.ts';
import { sse, ws } from '../support/streams.ts';

async function lastEvent(account: TestAccount) {
  return dataOf(await account.run(AuditEvents, { first: 1 })).auditEvents.edges[0]?.node;
}

async function channelsOf(account: TestAccount, externalId: string) {
  return dataOf(await account.run(RecipientByExternalId, { externalId })).recipient?.channels.map((c) => c.slug) ?? null;
}

describe('updateRecipient', () => {
  test('a member or an ALL key replaces the channels (any, or none); the trail has them before and after', async ({ account }) => {
    await account.channels('news', 'billing', 'vip');
    const id = await account.recipient('ada', ['news']);
    const updated = dataOf(await account.run(UpdateRecipient, { input: { id, channels: [' vip', 'billing', 'vip'] } })).updateRecipient;
    expect(updated).toEqual({ id, externalId: 'ada', channels: [{ slug: 'billing' }, { slug: 'vip' }] });
    expect(await lastEvent(account)).toMatchObject({
      action: 'RECIPIENT_UPDATED',
      apiKey: null,
      changes: { externalId: { before: 'ada', after: 'ada' }, channels: { before: ['news'], after: ['billing', 'vip'] } },
    });
    const all = await account.key({ kind: 'ALL' });
    expect(dataOf(await all.run(UpdateRecipient, { input: { id, channels: [] } })).updateRecipient.channels).toEqual([]);
    expect(await lastEvent(account)).toMatchObject({
      apiKey: { id: all.id },
      changes: { channels: { before: ['billing', 'vip'], after: [] } },
    });
  });

  test('a CHANNELS key adds and removes only its own channels: the others stay, and it sees only its own', async ({ account }) => {
    await account.channels('marketing', 'billing', 'vip');
    const id = await account.recipient('bob', ['marketing', 'billing']);
    const key = await account.key({ kind: 'CHANNELS', channels: ['marketing', 'vip'] }, 'Marketing sender');
    const updated = dataOf(await key.run(UpdateRecipient, { input: { id, channels: ['vip'] } })).updateRecipient;
    expect(updated.channels).toEqual([{ slug: 'vip' }]);
    expect(await channelsOf(account, 'bob')).toEqual(['billing', 'vip']);
    expect(await lastEvent(account)).toMatchObject({
      apiKey: { id: key.id },
      changes: { channels: { before: ['billing', 'marketing'], after: ['billing', 'vip'] } },
    });
    // Removing all of its own leaves the recipient out of its reach, with its other channels.
    expect(dataOf(await key.run(UpdateRecipient, { input: { id, channels: [] } })).updateRecipient.channels).toEqual([]);
    expect(await channelsOf(account, 'bob')).toEqual(['billing']);
    expect(errorOf(await key.run(UpdateRecipient, { input: { id, channels: ['vip'] } })).code).toBe('FORBIDDEN');
  });

  test('refused twins: outside a key’s scope 403, another account’s id NOT_FOUND, an unknown slug 400; nothing changes', async ({
    account,
    other,
  }) => {
    await account.channels('marketing', 'billing');
    const bob = await account.recipient('bob', ['marketing']);
    const cy = await account.recipient('cy', ['billing']);
    await other.channels('marketing');
    const theirs = await other.recipient('bob', ['marketing']);
    const scoped = await account.key({ kind: 'CHANNELS', channels: ['marketing'] }, 'Marketing sender');
    const all = await account.key({ kind: 'ALL' });
    const before = await account.snapshot();
    const theirsBefore = await other.snapshot();

    expect(errorOf(await scoped.run(UpdateRecipient, { input: { id: bob, channels: ['marketing', 'billing'] } }))).toEqual({
      code: 'FORBIDDEN',
      status: 403,
      message: 'API key "Marketing sender" may not change recipients in channels: billing',
    });
    expect(errorOf(await scoped.run(UpdateRecipient, { input: { id: bob, channels: ['ghost'] } })).code).toBe('FORBIDDEN');
    expect(errorOf(await scoped.run(UpdateRecipient, { input: { id: cy, channels: ['marketing'] } }))).toEqual({
      code: 'FORBIDDEN',
      status: 403,
      message: `API key "Marketing sender" may not reach recipient "cy": it is in none of the key's channels.`,
    });
    for (const caller of [account, all, scoped]) {
      for (const id of [theirs, '00000000-0000-4000-8000-000000000000', 'not-an-id']) {
        expect(errorOf(await caller.run(UpdateRecipient, { input: { id, channels: ['marketing'] } }))).toMatchObject({
          code: 'NOT_FOUND',
          status: 200,
        });
      }
    }
    for (const caller of [account, all]) {
      for (const channels of [['marketing', 'ghost'], ['Not A Slug']]) {
        expect(errorOf(await caller.run(UpdateRecipient, { input: { id: bob, channels } }))).toMatchObject({
          code: 'BAD_USER_INPUT',
          status: 400,
        });
      }
    }
    expect(await account.snapshot()).toEqual(before);
    expect(await other.snapshot()).toEqual(theirsBefore);

    // The allowed twins.
    expect(dataOf(await scoped.run(UpdateRecipient, { input: { id: bob, channels: ['marketing'] } })).updateRecipient.id).toBe(bob);
    expect(dataOf(await all.run(UpdateRecipient, { input: { id: bob, channels: ['marketing', 'billing'] } })).updateRecipient.id).toBe(bob);
  });
});

describe('deleteRecipient: an erasure', () => {
  test('the recipient, its memberships, inbox and tokens go; its open stream ends; its externalId is free again', async ({
    account,
    herald,
  }) => {
    await account.channels('news');
    const id = await account.recipient('ada', ['news']);
    const bob = await account.recipient('bob', ['news']);
    const key = await account.key({ kind: 'ALL' });
    dataOf(await key.send(['news'], 'Hello'));
    const { token } = await account.inboxOf('ada');
    expect(dataOf(await herald.execute(Inbox, {}, { token })).inbox.totalCount).toBe(1);
    const base = await herald.listen();
    const streams = [sse(base, token, { document: InboxEvents }), ws(base, token).subscribe({ document: InboxEvents })];
    await sleep(300); // the streams are open

    expect(dataOf(await key.run(DeleteRecipient, { id })).deleteRecipient).toEqual({ id });

    expect(dataOf(await account.run(RecipientByExternalId, { externalId: 'ada' })).recipient).toBeNull();
    expect(await herald.db.prisma.delivery.count({ where: { recipientId: id } })).toBe(0);
    expect(await herald.db.prisma.recipientChannel.count({ where: { recipientId: id } })).toBe(0);
    expect(await herald.db.prisma.delivery.count({ where: { recipientId: bob } })).toBe(1);
    // Its streams end: the bus tells every instance at once (the streams' own check would take up to 4 s).
    const started = Date.now();
    await Promise.race([Promise.all(streams.map((s) => s.ended)), sleep(5_000)]);
    expect(Date.now() - started).toBeLessThanOrEqual(1_500);
    // Its token is refused like any invalid one, on any field.
    for (const document of [Inbox, Typename]) {
      expect(errorOf(await herald.execute(document, {}, { token }))).toMatchObject({ code: 'UNAUTHENTICATED', status: 401 });
    }
    // The trail names what was erased, and holds nothing secret.
    const event = await lastEvent(account);
    expect(event).toMatchObject({
      action: 'RECIPIENT_DELETED',
      apiKey: { id: key.id },
      changes: { externalId: { before: 'ada', after: null }, channels: { before: ['news'], after: null } },
    });
    expect(JSON.stringify(event)).not.toContain(token.split('.')[2]);

    // The externalId is free: a new recipient, with an empty inbox, that the old token cannot read.
    const again = dataOf(await account.run(CreateRecipient, { input: { externalId: 'ada', channels: [] } })).createRecipient;
    expect(again.id).not.toBe(id);
    expect(errorOf(await herald.execute(Inbox, {}, { token })).code).toBe('UNAUTHENTICATED');
    const fresh = await account.inboxOf('ada');
    expect(dataOf(await herald.execute(Inbox, {}, { token: fresh.token })).inbox.totalCount).toBe(0);
  });

  test('refused twins: a CHANNELS key 403, another account’s id NOT_FOUND, a recipient token 403; nothing changes', async ({
    account,
    other,
    herald,
  }) => {
    await account.channels('news');
    const id = await account.recipient('ada', ['news']);
    await other.channels('news');
    const theirs = await other.recipient('ada', ['news']);
    const scoped = await account.key({ kind: 'CHANNELS', channels: ['news'] }, 'News sender');
    const all = await account.key({ kind: 'ALL' });
    const { token } = await account.inboxOf('ada');
    const before = await account.snapshot();
    const theirsBefore = await other.snapshot();
    expect(errorOf(await scoped.run(DeleteRecipient, { id }))).toEqual({
      code: 'FORBIDDEN',
      status: 403,
      message: 'API key "News sender" is channel scoped: only members and All Recipients keys may do this.',
    });
    expect(errorOf(await herald.execute(DeleteRecipient, { id }, { token }))).toMatchObject({ code: 'FORBIDDEN', status: 403 });
    for (const caller of [account, all]) {
      for (const unknown of [theirs, '00000000-0000-4000-8000-000000000000', 'not-an-id']) {
        expect(errorOf(await caller.run(DeleteRecipient, { id: unknown }))).toMatchObject({ code: 'NOT_FOUND', status: 200 });
      }
    }
    expect(await account.snapshot()).toEqual(before);
    expect(await other.snapshot()).toEqual(theirsBefore);
    // The allowed twin, then the same id again: gone.
    expect(dataOf(await account.run(DeleteRecipient, { id })).deleteRecipient.id).toBe(id);
    expect(errorOf(await account.run(DeleteRecipient, { id })).code).toBe('NOT_FOUND');
  });
});
