// The rate limits' Redis under faults: frozen or stopped, every request is
// still answered (limits fail open to each instance's memory, still limiting),
// with one log line when Redis is declared down and one when it answers again;
// under ordinary load, no flapping at all.
import { afterAll, afterEach, beforeAll, expect, test } from 'vitest';
import { CreateApiKey, Typename } from '../support/documents.ts';
import type { ServerProcess } from '../support/server-process.ts';
import { gql, logLines, seed, startHerald, stopHeralds, within } from './support/herald.ts';
import { OwnPostgres } from './support/postgres.ts';
import { OwnRedis } from './support/redis.ts';

let pg: OwnPostgres;
let redis: OwnRedis;

beforeAll(async () => {
  pg = await OwnPostgres.start();
  await pg.query('postgres', 'CREATE DATABASE herald');
  redis = await OwnRedis.start();
});

afterEach(async () => {
  redis.thaw();
  await stopHeralds();
  if (!redis.running) await redis.restart();
});

afterAll(async () => {
  await redis?.stop();
  await pg?.destroy();
});

const down = (server: ServerProcess) => logLines(server).filter((l) => /Redis does not answer/.test(l.msg));
const up = (server: ServerProcess) => logLines(server).filter((l) => /Redis answers again/.test(l.msg));

async function limitedKey(server: ServerProcess, member: string, perMinute: number): Promise<string> {
  const { body } = await gql(server, member, CreateApiKey, {
    input: { name: `limited ${perMinute}`, scope: { kind: 'ALL' }, rateLimitPerMinute: perMinute },
  });
  return body.data.createApiKey.secret;
}

test('under ordinary load (3,000 requests, 20 at a time) Redis is never declared down', async () => {
  const herald = await startHerald({ DATABASE_URL: pg.url('herald'), REDIS_URL: redis.url, KEY_RATE_LIMIT_PER_MINUTE: '100000' });
  const { key } = await seed(herald, 'redis-load');
  let statuses: number[] = [];
  for (let round = 0; round < 150; round += 1) {
    const answers = await Promise.all(Array.from({ length: 20 }, () => gql(herald, key.secret, Typename)));
    statuses = statuses.concat(answers.map((a) => a.status));
  }
  expect(statuses.filter((s) => s !== 200)).toEqual([]);
  expect(down(herald)).toEqual([]);
  const metrics = await (await fetch(herald.url('/metrics'))).text();
  expect(metrics).toMatch(/herald_rate_limit_failovers 0/);
  expect(metrics).toMatch(/herald_rate_limits_shared 1/);
});

test.each([
  ['frozen (SIGSTOP)', () => redis.freeze(), () => redis.thaw()],
  ['stopped', () => redis.stop(), () => redis.restart()],
])('Redis %s: every request answered, limits still enforced per instance, one line down and one up', async (_, fault, repair) => {
  const herald = await startHerald({ DATABASE_URL: pg.url('herald'), REDIS_URL: redis.url });
  const { member } = await seed(herald, `redis-${Date.now()}`);
  const secret = await limitedKey(herald, member, 5);
  expect((await gql(herald, secret, Typename)).status).toBe(200);
  await fault();

  const answers = await Promise.all(Array.from({ length: 12 }, () => gql(herald, secret, Typename)));
  // From this instance's memory: its own 5 a minute.
  expect(answers.map((a) => a.status).sort()).toEqual([...Array(5).fill(200), ...Array(7).fill(429)]);
  expect(down(herald)).toHaveLength(1);
  expect(await (await fetch(herald.url('/metrics'))).text()).toMatch(/herald_rate_limits_shared 0/);

  await repair();
  await within(5_000, async () => up(herald).length > 0, 'the line saying Redis answers again');
  // Shared again: Redis remembers the request made through it before the fault.
  const after = await Promise.all(Array.from({ length: 6 }, () => gql(herald, secret, Typename)));
  expect(after.every((a) => a.status === 200 || a.status === 429)).toBe(true);
  expect(down(herald)).toHaveLength(1);
  expect(up(herald)).toHaveLength(1);
});
