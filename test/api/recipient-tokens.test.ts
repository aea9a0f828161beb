// Recipient tokens: who may mint them, for whom, for how long; what they open
// (the recipient's own inbox) and what they never open (anything else); and
// that they and member tokens never pass for one another.
import { SignJWT } from 'jose';
import { createMemberTokenVerifier } from '../../src/auth/jwt.ts';
import { Channels, CreateApiKey, CreateRecipientToken, Inbox, MarkInbox, Messages, Send } from '../support/documents.ts';
import { describe, expect, test } from '../support/fixtures.ts';
import { dataOf, errorOf, TEST_JWT_SECRET, testConfig } from '../support/herald.ts';

const mint = (externalId: string, ttlSeconds?: number) => ({ input: { externalId, ttlSeconds } });

describe('createRecipientToken', () => {
  test('a member mints a token for a recipient of the account: it opens that inbox, for as long as asked', async ({ account }) => {
    await account.channels('news');
    const recipientId = await account.recipient('ada', ['news']);
    const before = Date.now();
    const { createRecipientToken } = dataOf(await account.run(CreateRecipientToken, mint('ada', 120)));
    expect(createRecipientToken.recipient).toEqual({ id: recipientId, externalId: 'ada', channels: [{ slug: 'news' }] });
    const expires = Date.parse(createRecipientToken.expiresAt);
    expect(expires).toBeGreaterThanOrEqual(Math.floor(before / 1000) * 1000 + 120_000);
    expect(expires).toBeLessThanOrEqual(Date.now() + 120_000);
    const inbox = await account.herald.execute(Inbox, {}, { token: createRecipientToken.token });
    expect(dataOf(inbox).inbox.totalCount).toBe(0);
  });

  test('absent ttlSeconds: one hour; 60 and 86,400 are the bounds', async ({ account }) => {
    await account.recipient('ada', []);
    const { createRecipientToken } = dataOf(await account.run(CreateRecipientToken, mint('ada')));
    expect(Date.parse(createRecipientToken.expiresAt) - Date.now()).toBeGreaterThan(3_590_000);
    for (const ttl of [60, 86_400]) dataOf(await account.run(CreateRecipientToken, mint('ada', ttl)));
    for (const ttl of [59, 86_401, 0, -5]) {
      const refused = errorOf(await account.run(CreateRecipientToken, mint('ada', ttl)));
      expect(refused).toMatchObject({ code: 'BAD_USER_INPUT', message: 'ttlSeconds must be 60 to 86,400.' });
    }
  });

  test('an unknown externalId is NOT_FOUND; another account’s recipient too', async ({ account, other }) => {
    await other.recipient('theirs', []);
    for (const externalId of ['nobody', 'theirs']) {
      expect(errorOf(await account.run(CreateRecipientToken, mint(externalId)))).toMatchObject({
        code: 'NOT_FOUND',
        message: `Recipient ${JSON.stringify(externalId)} was not found.`,
        status: 200,
      });
    }
  });

  test('an ALL key mints for any recipient; a CHANNELS key only for recipients in one of its channels (403 otherwise)', async ({
    account,
  }) => {
    await account.channels('news', 'billing');
    await account.recipient('in-news', ['news']);
    await account.recipient('in-both', ['news', 'billing']);
    await account.recipient('in-billing', ['billing']);
    await account.recipient('in-none', []);
    const all = await account.key({ kind: 'ALL' });
    for (const id of ['in-news', 'in-both', 'in-billing', 'in-none']) dataOf(await all.run(CreateRecipientToken, mint(id)));
    const scoped = await account.key({ kind: 'CHANNELS', channels: ['news'] }, 'News sender');
    for (const id of ['in-news', 'in-both']) dataOf(await scoped.run(CreateRecipientToken, mint(id)));
    for (const id of ['in-billing', 'in-none']) {
      expect(errorOf(await scoped.run(CreateRecipientToken, mint(id)))).toEqual({
        code: 'FORBIDDEN',
        message: `API key "News sender" may not reach recipient "${id}": it is in none of the key's channels.`,
        status: 403,
      });
    }
    expect(errorOf(await scoped.run(CreateRecipientToken, mint('nobody'))).code).toBe('NOT_FOUND');
  });

  test('a recipient token cannot mint tokens', async ({ account }) => {
    await account.recipient('ada', []);
    const ada = await account.inboxOf('ada');
    expect(errorOf(await ada.run(CreateRecipientToken, mint('ada')))).toMatchObject({ code: 'FORBIDDEN', status: 403 });
  });
});

describe('what a recipient token opens', () => {
  test('its own inbox and markInbox, and nothing else of the account (403)', async ({ account }) => {
    await account.channels('news');
    await account.recipient('ada', ['news']);
    const ada = await account.inboxOf('ada');
    dataOf(await ada.run(Inbox));
    dataOf(await ada.run(MarkInbox, { input: { all: true, action: 'SEEN' } }));
    for (const refused of [
      await ada.run(Channels),
      await ada.run(Messages, { first: 1 }),
      await ada.run(Send, { input: { message: { title: 't', body: 'b' } } }),
      await ada.run(CreateApiKey, { input: { name: 'k', scope: { kind: 'ALL' } } }),
    ]) {
      expect(errorOf(refused)).toMatchObject({ code: 'FORBIDDEN', status: 403 });
    }
    expect(errorOf(await ada.run(Channels)).message).toBe(
      'A recipient token may read and mark its own inbox only: channels is for members and API keys.',
    );
  });

  test('members and keys calling the inbox get 403: it is a recipient’s own', async ({ account }) => {
    const key = await account.key({ kind: 'ALL' });
    for (const result of [
      await account.run(Inbox),
      await key.run(Inbox),
      await account.run(MarkInbox, { input: { all: true, action: 'READ' } }),
      await key.run(MarkInbox, { input: { all: true, action: 'READ' } }),
    ]) {
      expect(errorOf(result)).toMatchObject({ code: 'FORBIDDEN', status: 403 });
    }
  });

  test('deleting the recipient refuses its tokens at once (401, like an unknown one)', async ({ account, herald }) => {
    await account.recipient('ada', []);
    const ada = await account.inboxOf('ada');
    dataOf(await ada.run(Inbox));
    await herald.db.prisma.recipient.delete({ where: { id: ada.id } });
    expect(errorOf(await ada.run(Inbox))).toMatchObject({ code: 'UNAUTHENTICATED', status: 401 });
    // The externalId again is another recipient: the old token does not open its inbox.
    await account.recipient('ada', []);
    expect(errorOf(await ada.run(Inbox))).toMatchObject({ code: 'UNAUTHENTICATED', status: 401 });
  });

  test('an expired token is refused (401); a tampered one too', async ({ account, herald }) => {
    await account.recipient('ada', []);
    const ada = await account.inboxOf('ada');
    const [header, payload, signature] = ada.token.split('.');
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString());
    const other = Buffer.from(JSON.stringify({ ...claims, exp: claims.exp + 86_400 })).toString('base64url');
    expect(errorOf(await herald.execute(Inbox, {}, { token: `${header}.${other}.${signature}` }))).toMatchObject({
      code: 'UNAUTHENTICATED',
      status: 401,
    });
    const expired = await herald.yoga.connections.topology.tokens.sign(
      { accountId: claims.acc, recipientId: claims.sub },
      60,
      new Date(Date.now() - 120_000),
    );
    expect(errorOf(await herald.execute(Inbox, {}, { token: expired.token }))).toMatchObject({ code: 'UNAUTHENTICATED', status: 401 });
  });
});

describe('recipient tokens and member tokens never pass for one another', () => {
  test('a recipient token is not a member token, even to the member verifier', async ({ account }) => {
    await account.recipient('ada', []);
    const ada = await account.inboxOf('ada');
    const verifyMember = await createMemberTokenVerifier(testConfig());
    await expect(verifyMember(ada.token)).rejects.toMatchObject({ extensions: { code: 'UNAUTHENTICATED' } });
  });

  test('a member token dressed as a recipient token (its type header and audience) is refused: another key signs those', async ({
    account,
    herald,
  }) => {
    const recipientId = await account.recipient('ada', []);
    const forged = await new SignJWT({ acc: 'x', account: account.slug })
      .setProtectedHeader({ alg: 'HS256', typ: 'herald-recipient+jwt' })
      .setIssuer('herald')
      .setAudience('herald:inbox')
      .setSubject(recipientId)
      .setExpirationTime('1h')
      .sign(new TextEncoder().encode(TEST_JWT_SECRET));
    expect(errorOf(await herald.execute(Inbox, {}, { token: forged }))).toMatchObject({ code: 'UNAUTHENTICATED', status: 401 });
    expect(errorOf(await herald.execute(Channels, {}, { token: forged }))).toMatchObject({ code: 'UNAUTHENTICATED', status: 401 });
    // The allowed twin: the member's own token works as a member's.
    dataOf(await account.run(Channels));
  });

  test('a member token with the inbox audience is not a member token', async ({ account, herald }) => {
    const token = await new SignJWT({ account: account.slug })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject('someone')
      .setAudience('herald:inbox')
      .setExpirationTime('1h')
      .sign(new TextEncoder().encode(TEST_JWT_SECRET));
    expect(errorOf(await herald.execute(Channels, {}, { token }))).toMatchObject({ code: 'UNAUTHENTICATED', status: 401 });
  });
});
