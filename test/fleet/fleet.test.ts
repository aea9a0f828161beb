// Two real Herald processes on one PostgreSQL database, as behind a load balancer.
import { print } from 'graphql';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { generateSecret } from '../../src/auth/api-keys.ts';
import { signMemberToken } from '../../src/auth/jwt.ts';
import { localMigrationNames } from '../../src/db/migrations.ts';
import { CreateApiKey, CreateChannel, CreateRecipient, RevokeApiKey, RollApiKey, Send, UpdateApiKey } from '../support/documents.ts';
import { type ServerProcess, startServer, waitUntilReady } from '../support/server-process.ts';

const BASE_URL = process.env.FLEET_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const REDIS_URL = process.env.FLEET_REDIS_URL ?? 'redis://127.0.0.1:6379';
const SECRET = 'fleet-test-secret-long-enough-for-hs256';
const dbName = `herald_fleet_${process.pid}_${Date.now().toString(36)}`;
const dbUrl = Object.assign(new URL(BASE_URL), { pathname: `/${dbName}` }).toString();
const admin = new pg.Client({ connectionString: BASE_URL });
const sql = new pg.Client({ connectionString: dbUrl });

type Instance = ServerProcess;

const instances: Instance[] = [];

function start(env: Record<string, string> = {}): Promise<Instance> {
  return startServer(['--import', 'tsx', 'src/main.ts'], {
    DATABASE_URL: dbUrl,
    AUTH_JWT_SECRET: SECRET,
    REDIS_URL,
    LOG_LEVEL: 'info',
    SHUTDOWN_TIMEOUT_MS: '15000',
    ...env,
  }).then((instance) => {
    instances.push(instance);
    return instance;
  });
}

async function gql(
  instance: Instance,
  token: string,
  document: Parameters<typeof print>[0],
  variables: unknown,
  headers: Record<string, string> = {},
) {
  const response = await fetch(instance.url('/graphql'), {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}`, ...headers },
    body: JSON.stringify({ query: print(document), variables }),
  });
  // biome-ignore lint/suspicious/noExplicitAny: a raw client; each test checks the shape it needs.
  return { status: response.status, headers: response.headers, body: (await response.json()) as any };
}

const sendInput = (channels?: string[]) => ({
  input: { message: { title: 'fleet', body: 'b' }, ...(channels ? { target: { channels } } : {}) },
});

let a: Instance;
let b: Instance;
let member: string;
let key: { id: string; secret: string };

beforeAll(async () => {
  await admin.connect();
  await admin.query(`CREATE DATABASE "${dbName}"`);
  await sql.connect();
  // Started at the same moment on an empty database.
  [a, b] = await Promise.all([start(), start()]);
  await Promise.all([waitUntilReady(a), waitUntilReady(b)]);
  member = await signMemberToken(new TextEncoder().encode(SECRET), { subject: 'ops', accountSlug: 'fleet' });
  for (const slug of ['east', 'west']) expect((await gql(a, member, CreateChannel, { input: { slug, name: slug } })).status).toBe(200);
  for (let i = 0; i < 4; i += 1) await gql(b, member, CreateRecipient, { input: { externalId: `east-${i}`, channels: ['east'] } });
  for (let i = 0; i < 3; i += 1) await gql(a, member, CreateRecipient, { input: { externalId: `west-${i}`, channels: ['west'] } });
  const created = await gql(a, member, CreateApiKey, { input: { name: 'Fleet key', scope: { kind: 'CHANNELS', channels: ['east'] } } });
  key = { id: created.body.data.createApiKey.apiKey.id, secret: created.body.data.createApiKey.secret };
}, 120_000);

afterAll(async () => {
  for (const instance of instances) if (instance.child.exitCode === null) instance.child.kill('SIGKILL');
  await sql.end();
  await admin.query(`DROP DATABASE IF EXISTS "${dbName}" WITH (FORCE)`);
  await admin.end();
});

describe('a fleet of two instances on one PostgreSQL', () => {
  test('both came up on an empty database; each migration was applied exactly once', async () => {
    const { rows } = await sql.query('SELECT migration_name, count(*)::int AS n FROM _prisma_migrations GROUP BY 1 ORDER BY 1');
    expect(rows).toEqual((await localMigrationNames()).map((name) => ({ migration_name: name, n: 1 })));
  });

  test('a scope edit through A is enforced through B on the very next request, every time', async () => {
    for (let round = 0; round < 5; round += 1) {
      const [allowed, refused] = round % 2 === 0 ? ['west', 'east'] : ['east', 'west'];
      const edit = await gql(a, member, UpdateApiKey, { input: { id: key.id, scope: { kind: 'CHANNELS', channels: [allowed] } } });
      expect(edit.status).toBe(200);
      const denied = await gql(b, key.secret, Send, sendInput([refused]));
      expect(denied.status).toBe(403);
      expect(denied.body.errors[0].extensions.code).toBe('FORBIDDEN');
      const sent = await gql(b, key.secret, Send, sendInput());
      expect(sent.body.data.send.message.channels).toEqual([{ slug: allowed }]);
    }
    await gql(a, member, UpdateApiKey, { input: { id: key.id, scope: { kind: 'CHANNELS', channels: ['east'] } } });
  });

  test('a revoke through A is refused through B on the very next request', async () => {
    const created = await gql(a, member, CreateApiKey, { input: { name: 'Revoked in the fleet', scope: { kind: 'ALL' } } });
    const { secret, apiKey } = created.body.data.createApiKey;
    expect((await gql(b, secret, Send, sendInput())).status).toBe(200);
    expect((await gql(a, member, RevokeApiKey, { id: apiKey.id })).body.data.revokeApiKey.status).toBe('REVOKED');
    const refused = await gql(b, secret, Send, sendInput());
    expect(refused.status).toBe(401);
    expect(refused.body.errors[0]).toMatchObject({ message: 'The API key is invalid.', extensions: { code: 'UNAUTHENTICATED' } });
  });

  test('with a 3 s lease (AUTH_CACHE_MS): an instance answers from memory; a revoke and a block through another answer after the lease and hold everywhere at once', async () => {
    const leased = { AUTH_CACHE_MS: '3000', AUTH_FAILURE_LIMIT: '3', TRUST_PROXY: 'loopback' };
    const [c, d] = await Promise.all([start(leased), start(leased)]);
    await Promise.all([waitUntilReady(c), waitUntilReady(d)]);
    // Addresses of this test's own (through the trusted proxy), so that the block touches nothing else.
    const from = { 'x-forwarded-for': '203.0.113.77' };
    const blockedFrom = { 'x-forwarded-for': '203.0.113.78' };
    const newKey = async (name: string) => {
      const { secret, apiKey } = (await gql(a, member, CreateApiKey, { input: { name, scope: { kind: 'ALL' } } })).body.data.createApiKey;
      return { secret: secret as string, id: apiKey.id as string };
    };
    const [outside, revoked, blocked] = [await newKey('Changed outside'), await newKey('Revoked'), await newKey('Blocked')];
    const sendThrough = (instance: Instance, secret: string) => gql(instance, secret, Send, sendInput(), from);
    try {
      // What the lease trades: a write that bypasses Herald reaches D's memory only when the lease ends.
      expect((await sendThrough(d, outside.secret)).status).toBe(200);
      await sql.query('UPDATE "ApiKey" SET "revokedAt" = now() WHERE id = $1', [outside.id]);
      expect((await sendThrough(d, outside.secret)).status).toBe(200);
      await new Promise((r) => setTimeout(r, 3_100));
      expect((await sendThrough(d, outside.secret)).status).toBe(401);

      // Herald's own revoke through C answers once no instance can still hold the key: D refuses the very next request.
      expect((await sendThrough(d, revoked.secret)).status).toBe(200);
      let started = performance.now();
      expect((await gql(c, member, RevokeApiKey, { id: revoked.id })).body.data.revokeApiKey.status).toBe('REVOKED');
      expect(performance.now() - started).toBeGreaterThanOrEqual(3_000);
      const refused = await sendThrough(d, revoked.secret);
      expect(refused.status).toBe(401);
      expect(refused.body.errors[0].extensions.code).toBe('UNAUTHENTICATED');

      // D knows the address as not blocked; C's third failure from it blocks it, and answers after the lease:
      // from then on D refuses even a valid key from that address.
      const sendFromBlocked = (instance: Instance, secret: string) => gql(instance, secret, Send, sendInput(), blockedFrom);
      expect((await sendFromBlocked(d, blocked.secret)).status).toBe(200);
      for (const expected of [401, 401]) expect((await sendFromBlocked(c, generateSecret().secret)).status).toBe(expected);
      started = performance.now();
      const third = await sendFromBlocked(c, generateSecret().secret);
      expect(third.status).toBe(429);
      expect(performance.now() - started).toBeGreaterThanOrEqual(3_000);
      const valid = await sendFromBlocked(d, blocked.secret);
      expect(valid.status).toBe(429);
      expect(valid.body.errors[0].extensions.code).toBe('RATE_LIMITED');
      // Refused twin: the same key from another address still sends.
      expect((await sendThrough(d, blocked.secret)).status).toBe(200);
    } finally {
      for (const instance of [c, d]) instance.child.kill('SIGTERM');
      await Promise.all([c.exited, d.exited]);
    }
  }, 90_000);

  test('a roll with a grace through A: both secrets work through B until the grace ends, then only the new one', async () => {
    const created = await gql(a, member, CreateApiKey, { input: { name: 'Rolled in the fleet', scope: { kind: 'ALL' } } });
    const old = created.body.data.createApiKey;
    expect((await gql(b, old.secret, Send, sendInput())).status).toBe(200);
    const rolled = await gql(a, member, RollApiKey, { input: { id: old.apiKey.id, gracePeriodSeconds: 2 } });
    const { secret, apiKey } = rolled.body.data.rollApiKey;
    const graceEnd = Date.parse(apiKey.previousSecretExpiresAt);
    for (const instance of [b, a]) {
      expect((await gql(instance, old.secret, Send, sendInput())).status).toBe(200);
      expect((await gql(instance, secret, Send, sendInput())).status).toBe(200);
    }
    await new Promise((r) => setTimeout(r, graceEnd - Date.now() + 50));
    expect((await gql(b, old.secret, Send, sendInput())).status).toBe(401);
    expect((await gql(b, secret, Send, sendInput())).status).toBe(200);
  });

  test('a key’s rate limit holds for the fleet: of 30 requests spread over both instances, exactly its limit pass', async () => {
    const created = await gql(a, member, CreateApiKey, {
      input: { name: 'Limited fleet', scope: { kind: 'ALL' }, rateLimitPerMinute: 12 },
    });
    const { secret } = created.body.data.createApiKey;
    const answers = await Promise.all(Array.from({ length: 30 }, (_, i) => gql(i % 2 ? a : b, secret, Send, sendInput())));
    expect(answers.filter((r) => r.status === 200)).toHaveLength(12);
    const refused = answers.filter((r) => r.status !== 200);
    expect(refused.every((r) => r.status === 429 && r.body.errors[0].extensions.code === 'RATE_LIMITED')).toBe(true);
    expect(refused.every((r) => Number(r.headers.get('retry-after')) > 0)).toBe(true);
  });

  test('an idempotent retry through the other instance replays the first send; concurrent retries over both make one message', async () => {
    const idempotencyKey = `fleet-${Date.now()}`;
    const first = await gql(a, key.secret, Send, sendInput(['east']), { 'idempotency-key': idempotencyKey });
    expect(first.status).toBe(200);
    const retry = await gql(b, key.secret, Send, sendInput(['east']), { 'idempotency-key': idempotencyKey });
    expect(retry.headers.get('idempotency-replayed')).toBe('true');
    expect(retry.body).toEqual(first.body);

    const raced = `fleet-race-${Date.now()}`;
    const answers = await Promise.all(
      Array.from({ length: 16 }, (_, i) => gql(i % 2 ? a : b, key.secret, Send, sendInput(['east']), { 'idempotency-key': raced })),
    );
    const ids = new Set(answers.filter((r) => r.status === 200).map((r) => r.body.data.send.message.id));
    expect(ids.size).toBe(1);
    expect(
      answers.every((r) => r.status === 200 || (r.status === 409 && r.body.errors[0].extensions.code === 'IDEMPOTENCY_KEY_IN_USE')),
    ).toBe(true);
    const { rows } = await sql.query('SELECT count(*)::int AS n FROM "IdempotencyKey" WHERE key = $1', [raced]);
    expect(rows[0].n).toBe(1);
  });

  test('500 concurrent sends over both instances: exact message and delivery counts', async () => {
    const before = (await sql.query('SELECT (SELECT count(*) FROM "Message")::int AS m, (SELECT count(*) FROM "Delivery")::int AS d'))
      .rows[0];
    const results = await Promise.all(Array.from({ length: 500 }, (_, i) => gql(i % 2 ? a : b, key.secret, Send, sendInput(['east']))));
    expect(results.filter((r) => r.status !== 200 || r.body.errors)).toEqual([]);
    const after = (await sql.query('SELECT (SELECT count(*) FROM "Message")::int AS m, (SELECT count(*) FROM "Delivery")::int AS d'))
      .rows[0];
    expect(after.m - before.m).toBe(500);
    expect(after.d - before.d).toBe(500 * 4);
  }, 120_000);

  test('SIGTERM during a send storm: exits 0, loses no acknowledged message, leaves no partial one, writes its usage counts', async () => {
    // A key of its own, used through B only: its usage is what B wrote.
    const created = await gql(a, member, CreateApiKey, { input: { name: 'Storm', scope: { kind: 'CHANNELS', channels: ['east'] } } });
    const storm = { secret: created.body.data.createApiKey.secret as string, id: created.body.data.createApiKey.apiKey.id as string };
    const acknowledged: string[] = [];
    let failures = 0;
    let stop = false;
    const worker = async () => {
      while (!stop) {
        try {
          const r = await gql(b, storm.secret, Send, sendInput(['east']));
          if (r.status === 200) acknowledged.push(r.body.data.send.message.id);
          else failures += 1;
        } catch {
          failures += 1; // refused once the instance stopped accepting
          if (b.child.exitCode !== null) return;
          await new Promise((r) => setTimeout(r, 5));
        }
      }
    };
    const workers = Promise.all(Array.from({ length: 20 }, worker));
    while (acknowledged.length < 100) await new Promise((r) => setTimeout(r, 10));
    b.child.kill('SIGTERM');
    expect(await b.exited).toBe(0);
    stop = true;
    await workers;
    expect(failures).toBeGreaterThan(0);
    const { rows } = await sql.query('SELECT id::text FROM "Message" WHERE id = ANY($1::uuid[])', [acknowledged]);
    expect(rows.length).toBe(acknowledged.length);
    const partial = await sql.query(
      'SELECT m.id FROM "Message" m LEFT JOIN "Delivery" d ON d."messageId" = m.id GROUP BY m.id, m."recipientCount" HAVING count(d.*) <> m."recipientCount"',
    );
    expect(partial.rows).toEqual([]);
    // Usage counted in memory reached the database before B exited (it flushes every 5 s and at shutdown).
    const usage = await sql.query('SELECT coalesce(sum(requests), 0)::int AS requests FROM "ApiKeyUsage" WHERE "apiKeyId" = $1', [
      storm.id,
    ]);
    expect(usage.rows[0].requests).toBeGreaterThanOrEqual(acknowledged.length);
    // A is unaffected.
    expect((await gql(a, key.secret, Send, sendInput())).status).toBe(200);
  }, 120_000);

  test('an instance refuses to start on a database that is ahead of its code', async () => {
    await sql.query(
      `INSERT INTO _prisma_migrations (id, checksum, migration_name, started_at, finished_at, applied_steps_count)
       VALUES (gen_random_uuid()::text, 'x', '29991231000000_from_the_future', now(), now(), 1)`,
    );
    try {
      const late = await start();
      expect(await late.exited).toBe(1);
      expect(late.output.join('')).toMatch(/ahead of the code/);
    } finally {
      await sql.query(`DELETE FROM _prisma_migrations WHERE migration_name = '29991231000000_from_the_future'`);
    }
  }, 60_000);

  test('the logs of both instances carry request ids and no secret or token', () => {
    const logs = instances.flatMap((i) => i.output).join('');
    expect(logs).toMatch(/"requestId":"[0-9a-f-]{36}"/);
    expect(logs).not.toContain(key.secret);
    expect(logs).not.toContain(member);
    expect(logs).not.toContain(member.split('.')[2]);
  });
});
