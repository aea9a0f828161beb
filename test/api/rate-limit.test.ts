import { randomUUID } from 'node:crypto';
import { print } from 'graphql';
import { pino } from 'pino';
import { formatSecret, generateSecret, KEY_PREFIX } from '../../src/auth/api-keys.ts';
import { createHerald } from '../../src/yoga.ts';
import { Channels } from '../support/documents.ts';
import { describe, expect, test } from '../support/fixtures.ts';
import { testConfig } from '../support/herald.ts';

const LIMIT = 3;

describe('failed authentications are rate-limited', () => {
  test('per source address: 401 until the limit, then 429 with Retry-After, even for a valid token; other addresses unaffected', async ({
    account,
    herald,
  }) => {
    const yoga = await createHerald({
      config: testConfig({ authFailures: { limit: LIMIT, windowSeconds: 60 } }),
      db: herald.db,
      logger: pino({ level: 'silent' }),
    });
    const attacker = `198.51.100.${Math.floor(Math.random() * 250)}-${randomUUID()}`;
    const from = (address: string, token: string) =>
      yoga.fetch(
        'http://herald.test/graphql',
        {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
          body: JSON.stringify({ query: print(Channels) }),
        },
        { req: { socket: { remoteAddress: address } } },
      );
    const statuses: number[] = [];
    for (let i = 0; i < LIMIT + 1; i += 1) statuses.push((await from(attacker, `not-a-jwt-${i}`)).status);
    expect(statuses).toEqual([401, 401, 429, 429]);
    const blocked = await from(attacker, account.token);
    expect(blocked.status).toBe(429);
    expect(Number(blocked.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(Number(blocked.headers.get('retry-after'))).toBeLessThanOrEqual(60);
    expect((await blocked.json()).errors[0].extensions.code).toBe('RATE_LIMITED');
    expect((await from(`203.0.113.9-${randomUUID()}`, account.token)).status).toBe(200);
  });

  test('per key prefix: guesses at one key are limited from any address; the real key and other keys unaffected', async ({
    account,
    herald,
  }) => {
    const yoga = await createHerald({
      config: testConfig({ authFailures: { limit: LIMIT, windowSeconds: 60 } }),
      db: herald.db,
      logger: pino({ level: 'silent' }),
    });
    const real = await account.key({ kind: 'ALL' });
    const from = (token: string) =>
      yoga.fetch(
        'http://herald.test/graphql',
        {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
          body: JSON.stringify({ query: print(Channels) }),
        },
        { req: { socket: { remoteAddress: `addr-${randomUUID()}` } } },
      );
    // Well-formed guesses (valid checksum) that share the real key's displayed prefix.
    const shown = real.secret.slice(KEY_PREFIX.length, 11);
    const guess = (_: number) =>
      formatSecret(shown + generateSecret().secret.slice(KEY_PREFIX.length + shown.length, KEY_PREFIX.length + 32)).secret;
    const statuses: number[] = [];
    for (let i = 0; i < LIMIT + 1; i += 1) statuses.push((await from(guess(i))).status);
    expect(statuses).toEqual([401, 401, 429, 429]);
    // Whoever saw the displayed prefix cannot lock the key out.
    expect((await from(real.secret)).status).toBe(200);
    const another = await account.key({ kind: 'ALL' });
    expect((await from(another.secret)).status).toBe(200);
  });

  test('malformed keys are counted without database work: limited on the instance that saw them', async ({ herald }) => {
    const yoga = await createHerald({
      config: testConfig({ authFailures: { limit: LIMIT, windowSeconds: 60 } }),
      db: herald.db,
      logger: pino({ level: 'silent' }),
    });
    const address = `garbage-${randomUUID()}`;
    const statuses: number[] = [];
    const { count } = await herald.countStatements(async () => {
      for (let i = 0; i < LIMIT + 1; i += 1) {
        const response = await yoga.fetch(
          'http://herald.test/graphql',
          {
            method: 'POST',
            headers: { 'content-type': 'application/json', authorization: `Bearer hrld_garbage${i}` },
            body: '{"query":"{ channels { slug } }"}',
          },
          { req: { socket: { remoteAddress: address } } },
        );
        statuses.push(response.status);
      }
    });
    expect(statuses).toEqual([401, 401, 429, 429]);
    expect(count).toBe(0);
  });

  test('on PostgreSQL the count is shared: failures through one instance block through another', async ({ account, herald }) => {
    if (herald.dbKind !== 'postgres') return; // one process owns an embedded database: there is no second instance
    const make = () =>
      createHerald({
        config: testConfig({ authFailures: { limit: LIMIT, windowSeconds: 60 } }),
        db: herald.db,
        logger: pino({ level: 'silent' }),
      });
    const [one, two] = [await make(), await make()];
    const address = `fleet-${randomUUID()}`;
    const via = (yoga: typeof one, token: string) =>
      yoga.fetch(
        'http://herald.test/graphql',
        {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
          body: JSON.stringify({ query: print(Channels) }),
        },
        { req: { socket: { remoteAddress: address } } },
      );
    expect((await via(one, 'bad-1')).status).toBe(401);
    expect((await via(two, 'bad-2')).status).toBe(401);
    expect((await via(one, 'bad-3')).status).toBe(429);
    expect((await via(two, account.token)).status).toBe(429);
  });
});
