import { pino } from 'pino';
import { createHerald } from '../../src/yoga.ts';
import { Channels, CreateApiKey, UpdateApiKey } from '../support/documents.ts';
import { describe, expect, test } from '../support/fixtures.ts';
import { dataOf, errorOf, TestHerald, testConfig } from '../support/herald.ts';

describe('per-key rate limits', () => {
  test('rateLimitPerMinute requests pass with RateLimit-* headers; the next gets 429 RATE_LIMITED with Retry-After and sends nothing', async ({
    account,
  }) => {
    await account.channels('news');
    const key = await account.key({ kind: 'ALL' }, 'Limited', { rateLimitPerMinute: 3 });
    const remaining: (string | null)[] = [];
    for (let i = 0; i < 3; i += 1) {
      const answer = await key.run(Channels);
      dataOf(answer);
      expect(answer.headers.get('ratelimit-limit')).toBe('3');
      remaining.push(answer.headers.get('ratelimit-remaining'));
      expect(Number(answer.headers.get('ratelimit-reset'))).toBeGreaterThan(0);
    }
    expect(remaining).toEqual(['2', '1', '0']);
    const before = await account.snapshot();
    const refused = await key.send(['news']);
    expect(errorOf(refused)).toEqual({
      code: 'RATE_LIMITED',
      status: 429,
      message: 'API key "Limited" is over its rate limit of 3 requests a minute: try again in 20 s.',
    });
    expect(refused.headers.get('retry-after')).toBe('20');
    expect(refused.headers.get('ratelimit-remaining')).toBe('0');
    expect(await account.snapshot()).toEqual(before);
    // Another key of the account is not affected.
    dataOf(await (await account.key({ kind: 'ALL' })).run(Channels));
  });

  test('a key without its own limit gets the server default (KEY_RATE_LIMIT_PER_MINUTE); a member is not limited', async ({ account }) => {
    const strict = await TestHerald.start({ keyRateLimitPerMinute: 2 });
    try {
      const member = await strict.memberToken(account.slug);
      const created = dataOf(await strict.execute(CreateApiKey, { input: { name: 'Default', scope: { kind: 'ALL' } } }, { token: member }));
      const secret = created.createApiKey.secret;
      const statuses = [];
      for (let i = 0; i < 3; i += 1) statuses.push((await strict.execute(Channels, undefined, { token: secret })).status);
      expect(statuses).toEqual([200, 200, 429]);
      for (let i = 0; i < 5; i += 1) expect((await strict.execute(Channels, undefined, { token: member })).status).toBe(200);
    } finally {
      await strict.close();
    }
  });

  test.for([
    ['0', 0],
    ['-1', -1],
    ['100,001', 100_001],
  ])('rateLimitPerMinute of %s: BAD_USER_INPUT on create and on update, nothing written', async ([, limit], { account }) => {
    const key = await account.key({ kind: 'ALL' });
    const before = await account.snapshot();
    const created = await account.run(CreateApiKey, { input: { name: 'X', scope: { kind: 'ALL' }, rateLimitPerMinute: limit as number } });
    expect(errorOf(created)).toMatchObject({ code: 'BAD_USER_INPUT', message: 'rateLimitPerMinute must be 1 to 100,000.' });
    const updated = await account.run(UpdateApiKey, { input: { id: key.id, rateLimitPerMinute: limit as number } });
    expect(errorOf(updated)).toMatchObject({ code: 'BAD_USER_INPUT' });
    expect(await account.snapshot()).toEqual(before);
  });

  test('1 and 100,000 are allowed; an explicit null returns the key to the default; the change holds on the next request', async ({
    account,
  }) => {
    const key = await account.key({ kind: 'ALL' }, 'K', { rateLimitPerMinute: 100_000 });
    expect((await key.run(Channels)).headers.get('ratelimit-limit')).toBe('100000');
    dataOf(await account.run(UpdateApiKey, { input: { id: key.id, rateLimitPerMinute: 1 } }));
    expect((await key.run(Channels)).headers.get('ratelimit-limit')).toBe('1');
    expect((await key.run(Channels)).status).toBe(429);
    dataOf(await account.run(UpdateApiKey, { input: { id: key.id, rateLimitPerMinute: null } }));
    const answer = await key.run(Channels);
    expect(answer.status).toBe(200);
    expect(answer.headers.get('ratelimit-limit')).toBe('100000'); // the test servers' default
  });

  test('a refused request counts in the key’s usage as a refusal', async ({ account, herald }) => {
    const key = await account.key({ kind: 'ALL' }, 'K', { rateLimitPerMinute: 1 });
    const yoga = await createHerald({ config: testConfig(), db: herald.db, logger: pino({ level: 'silent' }), usageFlushMs: 3_600_000 });
    const ask = () =>
      yoga.fetch(
        'http://herald.test/graphql',
        {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${key.secret}` },
          body: JSON.stringify({ query: '{ channels { slug } }' }),
        },
        { req: { socket: { remoteAddress: '127.0.0.1' } } },
      );
    expect((await ask()).status).toBe(200);
    expect((await ask()).status).toBe(429);
    await yoga.dispose();
    const [usage] = await herald.db.prisma.apiKeyUsage.findMany({ where: { apiKeyId: key.id } });
    expect(usage).toMatchObject({ requests: 2, refused: 1 });
  });
});
