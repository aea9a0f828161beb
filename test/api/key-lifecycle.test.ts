import { createHash } from 'node:crypto';
import { pino } from 'pino';
import { generateSecret } from '../../src/auth/api-keys.ts';
import { createHerald } from '../../src/yoga.ts';
import {
  ApiKeyLifecycle,
  ApiKeys,
  Channels,
  CreateApiKey,
  Messages,
  RevokeApiKey,
  RollApiKey,
  UpdateApiKey,
} from '../support/documents.ts';
import { describe, expect, type TestAccount, type TestKey, test } from '../support/fixtures.ts';
import { dataOf, errorOf, type Result, type TestHerald, testConfig } from '../support/herald.ts';

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const inSeconds = (seconds: number) => new Date(Date.now() + seconds * 1000).toISOString();

/** What a request with a key that does not exist gets: every refused key must get exactly this. */
async function unknownKeyAnswer(herald: TestHerald) {
  return answer(await herald.execute(Channels, undefined, { token: generateSecret().secret }));
}
const answer = (result: Result<unknown>) => ({ status: result.status, errors: result.errors, data: result.data ?? null });

async function lifecycle(account: TestAccount, key: TestKey) {
  const found = dataOf(await account.run(ApiKeyLifecycle, { id: key.id })).apiKey;
  if (!found) throw new Error('the key is not listed');
  return found;
}

async function auditCount(herald: TestHerald, account: TestAccount): Promise<number> {
  return herald.db.prisma.auditEvent.count({ where: { account: { slug: account.slug } } });
}

describe('revokeApiKey', () => {
  test('the very next request gets the 401 of an unknown key; the key stays listed with its messages', async ({ account, herald }) => {
    await account.channels('news');
    const key = await account.key({ kind: 'ALL' }, 'Leaked');
    dataOf(await key.send(['news']));
    const revoked = dataOf(await account.run(RevokeApiKey, { id: key.id })).revokeApiKey;
    expect(revoked).toMatchObject({ id: key.id, name: 'Leaked', status: 'REVOKED', previousSecretExpiresAt: null });
    expect(Date.now() - Date.parse(revoked.revokedAt as string)).toBeLessThan(60_000);

    expect(answer(await key.run(Channels))).toEqual(await unknownKeyAnswer(herald));
    expect(answer(await key.send(['news']))).toMatchObject({ status: 401 });
    const listed = dataOf(await account.run(ApiKeys)).apiKeys.map((k) => k.id);
    expect(listed).toContain(key.id);
    expect(dataOf(await account.run(Messages, {})).messages.totalCount).toBe(1);
  });

  test('refused twins: a key calling it (403), another account’s or an unknown id (NOT_FOUND), a revoked key (BAD_USER_INPUT); nothing changes', async ({
    account,
    other,
  }) => {
    const key = await account.key({ kind: 'ALL' });
    const theirs = await other.key({ kind: 'ALL' });
    const before = await account.snapshot();
    const theirsBefore = await other.snapshot();
    expect(errorOf(await key.run(RevokeApiKey, { id: key.id }))).toMatchObject({ code: 'FORBIDDEN', status: 403 });
    for (const id of [theirs.id, '00000000-0000-4000-8000-000000000000', 'not-a-uuid']) {
      expect(errorOf(await account.run(RevokeApiKey, { id }))).toMatchObject({ code: 'NOT_FOUND', status: 200 });
    }
    expect(await account.snapshot()).toEqual(before);
    expect(await other.snapshot()).toEqual(theirsBefore);
    expect(dataOf(await theirs.run(Channels)).channels).toEqual([]);

    dataOf(await account.run(RevokeApiKey, { id: key.id }));
    const revoked = await account.snapshot();
    expect(errorOf(await account.run(RevokeApiKey, { id: key.id }))).toMatchObject({
      code: 'BAD_USER_INPUT',
      message: 'The API key is already revoked.',
    });
    expect(errorOf(await account.run(UpdateApiKey, { input: { id: key.id, name: 'Revived' } }))).toMatchObject({ code: 'BAD_USER_INPUT' });
    expect(errorOf(await account.run(RollApiKey, { input: { id: key.id, gracePeriodSeconds: 0 } }))).toMatchObject({
      code: 'BAD_USER_INPUT',
      message: 'The API key is revoked: it cannot be rolled.',
    });
    expect(await account.snapshot()).toEqual(revoked);
  });

  test('a revoked key’s attempts count as failed authentications, as an unknown key’s do', async ({ account, herald }) => {
    const limited = await createHerald({
      config: testConfig({ authFailures: { limit: 2, windowSeconds: 60 } }),
      db: herald.db,
      logger: pino({ level: 'silent' }),
    });
    const key = await account.key({ kind: 'ALL' });
    dataOf(await account.run(RevokeApiKey, { id: key.id }));
    const statuses = [];
    for (let i = 0; i < 3; i += 1) {
      const response = await limited.fetch(
        'http://herald.test/graphql',
        {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${key.secret}` },
          body: JSON.stringify({ query: '{ channels { slug } }' }),
        },
        { req: { socket: { remoteAddress: `revoked-${key.id}` } } },
      );
      statuses.push(response.status);
    }
    expect(statuses).toEqual([401, 429, 429]);
  });
});

describe('rollApiKey', () => {
  test('a new secret for the same key; the previous one works until the grace ends, then gets the 401 of an unknown key', async ({
    account,
    herald,
  }) => {
    await account.channels('news', 'ops');
    const old = await account.key({ kind: 'CHANNELS', channels: ['news'] }, 'Deploy key');
    dataOf(await old.run(Channels));
    const { rollApiKey } = dataOf(await account.run(RollApiKey, { input: { id: old.id, gracePeriodSeconds: 2 } }));
    const fresh = { ...old, secret: rollApiKey.secret };
    expect(rollApiKey.secret).not.toBe(old.secret);
    expect(rollApiKey.apiKey).toMatchObject({
      id: old.id,
      name: 'Deploy key',
      status: 'ACTIVE',
      prefix: rollApiKey.secret.slice(0, 11),
      scope: { kind: 'CHANNELS', channels: [{ slug: 'news' }] },
    });
    const graceEnd = Date.parse(rollApiKey.apiKey.previousSecretExpiresAt as string);
    expect(graceEnd - Date.now()).toBeGreaterThan(1000);
    expect(graceEnd - Date.now()).toBeLessThanOrEqual(2000);

    // Both work during the grace period, with the same scope.
    const withSecret = (secret: string) => herald.execute(Channels, undefined, { token: secret });
    expect(dataOf(await withSecret(old.secret)).channels).toEqual([expect.objectContaining({ slug: 'news' })]);
    expect(dataOf(await withSecret(fresh.secret)).channels).toEqual([expect.objectContaining({ slug: 'news' })]);
    // Only hashes are stored: the new secret's and the previous one's.
    const stored = await herald.db.prisma.apiKey.findUniqueOrThrow({ where: { id: old.id } });
    expect(stored).toMatchObject({ secretHash: sha256(fresh.secret), previousSecretHash: sha256(old.secret) });
    expect(JSON.stringify(stored)).not.toContain(old.secret);
    expect(JSON.stringify(stored)).not.toContain(fresh.secret);

    await sleep(graceEnd - Date.now() + 50);
    expect(answer(await withSecret(old.secret))).toEqual(await unknownKeyAnswer(herald));
    expect(dataOf(await withSecret(fresh.secret)).channels).toHaveLength(1);
    expect((await lifecycle(account, old)).previousSecretExpiresAt).toBeNull();
  });

  test('a grace of 0: the previous secret stops at once', async ({ account, herald }) => {
    const old = await account.key({ kind: 'ALL' });
    dataOf(await old.run(Channels));
    const fresh = await account.roll(old, 0);
    expect(answer(await old.run(Channels))).toEqual(await unknownKeyAnswer(herald));
    dataOf(await fresh.run(Channels));
    expect((await lifecycle(account, old)).previousSecretExpiresAt).toBeNull();
  });

  test('rolling again ends the earlier previous secret at once: a key has at most one previous secret', async ({ account, herald }) => {
    const first = await account.key({ kind: 'ALL' });
    const second = await account.roll(first, 3600);
    dataOf(await first.run(Channels));
    const third = await account.roll(second, 3600);
    expect(answer(await first.run(Channels))).toEqual(await unknownKeyAnswer(herald));
    dataOf(await second.run(Channels));
    dataOf(await third.run(Channels));
  });

  test.for([
    ['a grace of -1 s', -1],
    ['a grace of 86,401 s', 86_401],
  ])('%s: BAD_USER_INPUT, nothing changes, the secret still works', async ([, grace], { account }) => {
    const key = await account.key({ kind: 'ALL' });
    const before = await account.snapshot();
    const error = errorOf(await account.run(RollApiKey, { input: { id: key.id, gracePeriodSeconds: grace as number } }));
    expect(error).toMatchObject({ code: 'BAD_USER_INPUT', message: 'gracePeriodSeconds must be 0 to 86400.' });
    expect(await account.snapshot()).toEqual(before);
    dataOf(await key.run(Channels));
  });

  test('the grace bounds themselves are allowed: 0 and 86,400 s', async ({ account }) => {
    const key = await account.key({ kind: 'ALL' });
    const rolled = dataOf(await account.run(RollApiKey, { input: { id: key.id, gracePeriodSeconds: 86_400 } })).rollApiKey;
    expect(Date.parse(rolled.apiKey.previousSecretExpiresAt as string) - Date.now()).toBeGreaterThan(86_399_000);
    dataOf(await account.run(RollApiKey, { input: { id: key.id, gracePeriodSeconds: 0 } }));
  });

  test('refused twins: a key rolling (403), another account’s key (NOT_FOUND), an expired key (BAD_USER_INPUT); nothing changes', async ({
    account,
    other,
  }) => {
    const key = await account.key({ kind: 'ALL' });
    const theirs = await other.key({ kind: 'ALL' });
    const expiring = await account.key({ kind: 'ALL' }, 'Short-lived', { expiresAt: inSeconds(1) });
    await sleep(1100);
    const before = await account.snapshot();
    const theirsBefore = await other.snapshot();
    expect(errorOf(await key.run(RollApiKey, { input: { id: key.id, gracePeriodSeconds: 0 } }))).toMatchObject({
      code: 'FORBIDDEN',
      status: 403,
    });
    expect(errorOf(await account.run(RollApiKey, { input: { id: theirs.id, gracePeriodSeconds: 0 } }))).toMatchObject({
      code: 'NOT_FOUND',
    });
    expect(errorOf(await account.run(RollApiKey, { input: { id: expiring.id, gracePeriodSeconds: 0 } }))).toMatchObject({
      code: 'BAD_USER_INPUT',
      message: 'The API key is expired: it cannot be rolled.',
    });
    expect(await account.snapshot()).toEqual(before);
    expect(await other.snapshot()).toEqual(theirsBefore);
    dataOf(await theirs.run(Channels));
  });
});

describe('expiresAt', () => {
  test('from that instant the key gets the 401 of an unknown key and is listed as EXPIRED', async ({ account, herald }) => {
    const key = await account.key({ kind: 'ALL' }, 'Temporary', { expiresAt: inSeconds(1) });
    dataOf(await key.run(Channels));
    expect((await lifecycle(account, key)).status).toBe('ACTIVE');
    await sleep(1100);
    expect(answer(await key.run(Channels))).toEqual(await unknownKeyAnswer(herald));
    expect((await lifecycle(account, key)).status).toBe('EXPIRED');
  });

  test('the same timing class as an unknown key: a refusal reads the key from the database, even one the server had cached', async ({
    account,
    herald,
  }) => {
    const key = await account.key({ kind: 'ALL' }, 'Cached', { expiresAt: inSeconds(1) });
    dataOf(await key.run(Channels)); // now in the embedded server's cache
    dataOf(await key.run(Channels));
    await sleep(1100);
    const statementsOf = async (token: string) =>
      (await herald.countStatements(() => herald.execute(Channels, undefined, { token }))).statements.map((sql) =>
        sql.includes('"ApiKey"') ? 'key lookup' : sql.includes('AuthFailure') ? 'failure count' : sql,
      );
    const unknown = await statementsOf(generateSecret().secret);
    expect(unknown).toContain('key lookup');
    expect(await statementsOf(key.secret)).toEqual(unknown);
  });

  test('an explicit null clears it, and a later date replaces it; absent leaves it', async ({ account }) => {
    const key = await account.key({ kind: 'ALL' }, 'K', { expiresAt: inSeconds(1) });
    await sleep(1100);
    expect(errorOf(await key.run(Channels)).code).toBe('UNAUTHENTICATED');
    const cleared = dataOf(await account.run(UpdateApiKey, { input: { id: key.id, expiresAt: null } })).updateApiKey;
    expect(cleared).toMatchObject({ id: key.id });
    expect(await lifecycle(account, key)).toMatchObject({ status: 'ACTIVE', expiresAt: null });
    dataOf(await key.run(Channels));
    const later = inSeconds(3600);
    dataOf(await account.run(UpdateApiKey, { input: { id: key.id, expiresAt: later } }));
    dataOf(await account.run(UpdateApiKey, { input: { id: key.id, name: 'Renamed' } }));
    expect(await lifecycle(account, key)).toMatchObject({ name: 'Renamed', expiresAt: later, status: 'ACTIVE' });
  });

  test('in the past or now: BAD_USER_INPUT on create and on update, nothing written', async ({ account }) => {
    const key = await account.key({ kind: 'ALL' });
    const before = await account.snapshot();
    for (const expiresAt of [inSeconds(-1), new Date(0).toISOString()]) {
      const created = await account.run(CreateApiKey, { input: { name: 'Past', scope: { kind: 'ALL' }, expiresAt } });
      expect(errorOf(created)).toMatchObject({ code: 'BAD_USER_INPUT', message: 'expiresAt must be in the future.' });
      const updated = await account.run(UpdateApiKey, { input: { id: key.id, expiresAt } });
      expect(errorOf(updated)).toMatchObject({ code: 'BAD_USER_INPUT', message: 'expiresAt must be in the future.' });
    }
    expect(await account.snapshot()).toEqual(before);
  });

  test('createdBy: the member who created the key', async ({ account, herald }) => {
    const key = await account.key({ kind: 'ALL' });
    const member = await herald.db.prisma.member.findFirstOrThrow({ where: { account: { slug: account.slug } } });
    expect((await lifecycle(account, key)).createdBy).toEqual({ id: member.id, subject: member.subject });
  });
});

describe('every refused lifecycle request writes no audit event', () => {
  test('revoke, roll and update refusals leave the trail as it was', async ({ account, herald }) => {
    const key = await account.key({ kind: 'ALL' });
    const events = await auditCount(herald, account);
    await account.run(RollApiKey, { input: { id: key.id, gracePeriodSeconds: -5 } });
    await account.run(UpdateApiKey, { input: { id: key.id, expiresAt: inSeconds(-5) } });
    await key.run(RevokeApiKey, { id: key.id });
    await account.run(RevokeApiKey, { id: 'nope' });
    expect(await auditCount(herald, account)).toBe(events);
  });
});
