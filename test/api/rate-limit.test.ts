import { randomUUID } from 'node:crypto';
import { print } from 'graphql';
import { pino } from 'pino';
import { formatSecret, generateSecret, KEY_PREFIX } from '../../src/auth/api-keys.ts';
import { createHerald } from '../../src/yoga.ts';
import { Channels } from '../support/documents.ts';
import { describe, expect, test } from '../support/fixtures.ts';
import { type TestHerald, testConfig } from '../support/herald.ts';

const LIMIT = 3;

type Herald = Awaited<ReturnType<typeof createHerald>>;

/** A Herald on the test database with a small failure limit. */
const limited = (herald: TestHerald) =>
  createHerald({
    config: testConfig({ authFailures: { limit: LIMIT, windowSeconds: 60 } }),
    db: herald.db,
    logger: pino({ level: 'silent' }),
  });

/** `{ channels }` with this token, as if from this client address. */
const ask = async (yoga: Herald, token: string, address: string): Promise<Response> =>
  await yoga.fetch(
    'http://herald.test/graphql',
    {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ query: print(Channels) }),
    },
    { req: { socket: { remoteAddress: address } } },
  );

const statusesOf = async (tokens: string[], send: (token: string) => Promise<Response>) => {
  const statuses: number[] = [];
  for (const token of tokens) statuses.push((await send(token)).status);
  return statuses;
};

describe('failed authentications are rate-limited', () => {
  test('per source address: 401 until the limit, then 429 with Retry-After, even for a valid token; other addresses unaffected', async ({
    account,
    herald,
  }) => {
    const yoga = await limited(herald);
    const attacker = `198.51.100.7-${randomUUID()}`;
    const guesses = Array.from({ length: LIMIT + 1 }, (_, i) => `not-a-jwt-${i}`);
    expect(await statusesOf(guesses, (token) => ask(yoga, token, attacker))).toEqual([401, 401, 429, 429]);
    const blocked = await ask(yoga, account.token, attacker);
    expect(blocked.status).toBe(429);
    expect(Number(blocked.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(Number(blocked.headers.get('retry-after'))).toBeLessThanOrEqual(60);
    expect((await blocked.json()).errors[0].extensions.code).toBe('RATE_LIMITED');
    expect((await ask(yoga, account.token, `203.0.113.9-${randomUUID()}`)).status).toBe(200);
  });

  test('per key prefix: guesses at one key are limited from any address; the real key and other keys unaffected', async ({
    account,
    herald,
  }) => {
    const yoga = await limited(herald);
    const real = await account.key({ kind: 'ALL' });
    const fromAnywhere = (token: string) => ask(yoga, token, `addr-${randomUUID()}`);
    // Well-formed guesses (valid checksum) that share the real key's displayed prefix.
    const shown = real.secret.slice(KEY_PREFIX.length, 11);
    const guesses = Array.from(
      { length: LIMIT + 1 },
      () => formatSecret(shown + generateSecret().secret.slice(KEY_PREFIX.length + shown.length, KEY_PREFIX.length + 32)).secret,
    );
    expect(await statusesOf(guesses, fromAnywhere)).toEqual([401, 401, 429, 429]);
    // Whoever saw the displayed prefix cannot lock the key out.
    expect((await fromAnywhere(real.secret)).status).toBe(200);
    const another = await account.key({ kind: 'ALL' });
    expect((await fromAnywhere(another.secret)).status).toBe(200);
  });

  test('malformed keys are counted without database work: limited on the instance that saw them', async ({ herald }) => {
    const yoga = await limited(herald);
    const address = `garbage-${randomUUID()}`;
    const garbage = Array.from({ length: LIMIT + 1 }, (_, i) => `hrld_garbage${i}`);
    let statuses: number[] = [];
    const { count } = await herald.countStatements(async () => {
      statuses = await statusesOf(garbage, (token) => ask(yoga, token, address));
    });
    expect(statuses).toEqual([401, 401, 429, 429]);
    expect(count).toBe(0);
  });

  test('on PostgreSQL the count is shared: failures through one instance block through another', async ({ account, herald }) => {
    if (herald.dbKind !== 'postgres') return; // one process owns an embedded database: there is no second instance
    const [one, two] = [await limited(herald), await limited(herald)];
    const address = `fleet-${randomUUID()}`;
    expect((await ask(one, 'bad-1', address)).status).toBe(401);
    expect((await ask(two, 'bad-2', address)).status).toBe(401);
    expect((await ask(one, 'bad-3', address)).status).toBe(429);
    expect((await ask(two, account.token, address)).status).toBe(429);
  });
});
