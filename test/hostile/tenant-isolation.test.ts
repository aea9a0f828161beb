// Two generated accounts; the first tries every id-, slug- and externalId-taking
// field with the second's, as member, ALL key and CHANNELS key.
import fc from 'fast-check';
import {
  ApiKeyById,
  ApiKeys,
  ApiKeyUsage,
  AuditEvents,
  Channels,
  ChannelsWithCounts,
  CreateApiKey,
  CreateRecipient,
  DeleteChannel,
  DeleteRecipient,
  Messages,
  RecipientByExternalId,
  Recipients,
  RevokeApiKey,
  RollApiKey,
  Send,
  UpdateApiKey,
  UpdateChannel,
  UpdateRecipient,
  UpsertRecipients,
} from '../support/documents.ts';
import { TestAccount as Account, expect, type TestAccount, test, uniqueSlug } from '../support/fixtures.ts';
import { dataOf, errorOf } from '../support/herald.ts';

const POOL = ['news', 'promo', 'vip', 'ops', 'beta', 'eu'];

const tenantArb = fc.record({
  channels: fc.subarray(POOL, { minLength: 1 }),
  recipients: fc.integer({ min: 0, max: 4 }),
  sends: fc.integer({ min: 1, max: 3 }),
});

async function populate(account: TestAccount, shape: { channels: string[]; recipients: number; sends: number }) {
  const channelIds = await account.channels(...shape.channels);
  const recipientIds: string[] = [];
  for (let i = 0; i < shape.recipients; i += 1) {
    recipientIds.push(await account.recipient(`r-${i}`, shape.channels.slice(0, 1 + (i % shape.channels.length))));
  }
  const all = await account.key({ kind: 'ALL' });
  const scoped = await account.key({ kind: 'CHANNELS', channels: shape.channels.slice(0, 1) });
  for (let i = 0; i < shape.sends; i += 1) dataOf(await (i % 2 ? scoped : all).send(i % 2 ? undefined : shape.channels));
  const messages = dataOf(await account.run(Messages, { first: 100 })).messages;
  return {
    all,
    scoped,
    keyIds: [all.id, scoped.id],
    cursors: messages.edges.map((e) => e.cursor),
    messageIds: messages.edges.map((e) => e.node.id),
    channelIds,
    recipientIds,
  };
}

test('generated tenants: zero leaks and zero changes across accounts', async ({ herald }) => {
  await fc.assert(
    fc.asyncProperty(tenantArb, tenantArb, async (mine, theirs) => {
      const [us, them] = [await Account.provision(herald, uniqueSlug('us')), await Account.provision(herald, uniqueSlug('them'))];
      const ours = await populate(us, mine);
      const victim = await populate(them, theirs);
      const theirsBefore = await them.snapshot();
      const theirOnlySlugs = theirs.channels.filter((slug) => !mine.channels.includes(slug));
      const callers = [
        { name: 'member', run: us.run.bind(us) },
        { name: 'ALL key', run: ours.all.run.bind(ours.all) },
        { name: 'CHANNELS key', run: ours.scoped.run.bind(ours.scoped) },
      ];

      for (const id of victim.keyIds) {
        expect(dataOf(await us.run(ApiKeyById, { id })).apiKey).toBeNull();
        expect(errorOf(await us.run(UpdateApiKey, { input: { id, name: 'stolen', scope: { kind: 'ALL' } } })).code).toBe('NOT_FOUND');
        expect(errorOf(await us.run(RevokeApiKey, { id })).code).toBe('NOT_FOUND');
        expect(errorOf(await us.run(RollApiKey, { input: { id, gracePeriodSeconds: 0 } })).code).toBe('NOT_FOUND');
        expect(dataOf(await us.run(ApiKeyUsage, { id, days: 90 })).apiKey).toBeNull();
        expect(dataOf(await us.run(AuditEvents, { apiKeyId: id })).auditEvents.edges).toEqual([]);
      }
      const trail = dataOf(await us.run(AuditEvents, { first: 100 })).auditEvents.edges.map((e) => e.node.apiKey?.id ?? null);
      expect(trail.some((id) => id !== null && victim.keyIds.includes(id))).toBe(false);
      for (const slug of theirOnlySlugs) {
        expect(errorOf(await us.run(CreateApiKey, { input: { name: 'x', scope: { kind: 'CHANNELS', channels: [slug] } } })).code).toBe(
          'BAD_USER_INPUT',
        );
        expect(
          errorOf(await us.run(UpdateApiKey, { input: { id: ours.all.id, scope: { kind: 'CHANNELS', channels: [slug] } } })).code,
        ).toBe('BAD_USER_INPUT');
        for (const caller of callers) {
          const recipient = await caller.run(CreateRecipient, { input: { externalId: `x-${slug}`, channels: [slug] } });
          expect(errorOf(recipient).code).toBe(caller.name === 'CHANNELS key' ? 'FORBIDDEN' : 'BAD_USER_INPUT');
        }
        expect(errorOf(await ours.all.send([slug])).code).toBe('BAD_USER_INPUT');
        expect(errorOf(await ours.scoped.send([slug])).code).toBe('FORBIDDEN');
      }
      for (const caller of callers) {
        const channels = dataOf(await caller.run(Channels)).channels;
        expect(channels.every((c) => mine.channels.includes(c.slug))).toBe(true);
        for (const after of [undefined, ...victim.cursors]) {
          const page = dataOf(await caller.run(Messages, { first: 100, after })).messages;
          for (const edge of page.edges) expect(ours.messageIds).toContain(edge.node.id);
          expect(page.edges.some((e) => victim.messageIds.includes(e.node.id))).toBe(false);
        }
      }
      // Their channels and recipients, by id: unknown to every caller (keys may not touch channels at all).
      for (const id of victim.channelIds) {
        expect(errorOf(await us.run(UpdateChannel, { input: { id, name: 'stolen' } })).code).toBe('NOT_FOUND');
        expect(errorOf(await us.run(DeleteChannel, { id })).code).toBe('NOT_FOUND');
      }
      for (const id of victim.recipientIds) {
        for (const caller of callers) {
          expect(errorOf(await caller.run(UpdateRecipient, { input: { id, channels: [] } })).code).toBe('NOT_FOUND');
          expect(errorOf(await caller.run(DeleteRecipient, { id })).code).toBe('NOT_FOUND');
        }
      }
      // Their recipients, by externalId (ours share them: r-0, r-1, …): never seen, never changed.
      for (const caller of callers) {
        const listed = dataOf(await caller.run(Recipients, { first: 100 })).recipients;
        expect(listed.edges.every((e) => ours.recipientIds.includes(e.node.id))).toBe(true);
        for (let i = 0; i < theirs.recipients; i += 1) {
          const found = dataOf(await caller.run(RecipientByExternalId, { externalId: `r-${i}` })).recipient;
          expect(found === null || ours.recipientIds.includes(found.id)).toBe(true);
        }
        const counts = dataOf(await caller.run(ChannelsWithCounts)).channels;
        expect(counts.every((c) => c.recipientCount <= mine.recipients)).toBe(true);
      }
      for (const slug of theirOnlySlugs) {
        expect(errorOf(await us.run(Recipients, { channel: slug })).code).toBe('BAD_USER_INPUT');
        expect(errorOf(await ours.all.run(Recipients, { channel: slug })).code).toBe('BAD_USER_INPUT');
        expect(errorOf(await ours.scoped.run(Recipients, { channel: slug })).code).toBe('FORBIDDEN');
        const imported = await us.run(UpsertRecipients, { input: { recipients: [{ externalId: 'r-0', channels: [slug] }] } });
        expect(errorOf(imported).code).toBe('BAD_USER_INPUT');
      }
      // An import naming their externalIds writes ours only.
      const rows = Array.from({ length: theirs.recipients + 1 }, (_, i) => ({ externalId: `r-${i}`, channels: [] }));
      const { upsertRecipients } = dataOf(await us.run(UpsertRecipients, { input: { recipients: rows } }));
      expect(upsertRecipients.created + upsertRecipients.updated).toBe(rows.length);
      expect(upsertRecipients.updated).toBe(Math.min(mine.recipients, rows.length));

      const keys = dataOf(await us.run(ApiKeys)).apiKeys.map((k) => k.id);
      expect(keys.some((id) => victim.keyIds.includes(id))).toBe(false);
      // Sends that name a slug both accounts have reach only our recipients.
      const shared = mine.channels.find((slug) => theirs.channels.includes(slug));
      if (shared) {
        const { send } = dataOf(
          await ours.all.run(Send, { input: { target: { channels: [shared] }, message: { title: 't', body: 'b' } } }),
        );
        expect(send.message.recipientCount).toBeLessThanOrEqual(mine.recipients);
      }
      expect(await them.snapshot()).toEqual(theirsBefore);
    }),
    { numRuns: Number(process.env.ISOLATION_RUNS ?? 10) },
  );
}, 120_000);
