// A frozen PostgreSQL (SIGSTOP: connections stay open, nothing answers, not
// even a cancel): /ready still answers within a second, requests get 503 at
// their deadline, nothing they sent commits when the server resumes, and a
// shutdown meanwhile says what it could not write and exits 1.
import { afterAll, afterEach, beforeAll, expect, test } from 'vitest';
import { Typename } from '../support/documents.ts';
import { gql, logLines, ready, SEND, seed, sendInput, startHerald, stopHeralds, within } from './support/herald.ts';
import { OwnPostgres } from './support/postgres.ts';

let pg: OwnPostgres;

beforeAll(async () => {
  pg = await OwnPostgres.start();
  await pg.query('postgres', 'CREATE DATABASE herald');
});

afterEach(async () => {
  pg.thaw();
  await stopHeralds();
});

afterAll(() => pg?.destroy());

const count = async (pattern: string) =>
  Number((await pg.query<{ n: string }>('herald', 'SELECT count(*) AS n FROM "Message" WHERE title LIKE $1', [pattern]))[0].n);

test('frozen: /ready within 1 s, sends get 503 at their deadline and never commit after it; back within 3 s of the thaw', async () => {
  const herald = await startHerald({ DATABASE_URL: pg.url('herald'), REQUEST_TIMEOUT_MS: '3000' });
  const { key } = await seed(herald, 'frozen');
  pg.freeze();
  try {
    const sends = Array.from({ length: 8 }, (_, i) => gql(herald, key.secret, SEND, sendInput(`frozen-${i}`)));
    for (let i = 0; i < 3; i += 1) {
      const probe = await ready(herald);
      expect(probe.ms).toBeLessThan(1_000);
      expect(probe).toMatchObject({ status: 503, body: { status: 'unavailable', reason: 'slow' } });
    }
    const answers = await Promise.all(sends);
    for (const answer of answers) {
      expect(answer).toMatchObject({ status: 503, body: { errors: [{ extensions: { code: 'SERVICE_UNAVAILABLE' } }] } });
      expect(Number(answer.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      // The deadline, plus the half second Herald gives work to stop.
      expect(answer.ms).toBeLessThan(4_500);
    }
  } finally {
    pg.thaw();
  }
  const thawed = performance.now();
  await within(10_000, async () => (await gql(herald, key.secret, SEND, sendInput('thawed'))).status === 200);
  await within(10_000, async () => (await ready(herald)).status === 200);
  expect(performance.now() - thawed).toBeLessThan(3_000);
  // Their statements reached the server before it froze, and it ran them after: past their deadline, they wrote nothing.
  expect(await count('frozen-%')).toBe(0);
});

test('SIGTERM while the database is frozen: in-flight sends answered 503 before the exit, none commits later; the lost usage counts logged, exit 1', async () => {
  // AUTH_CACHE_MS=0: every request reads its key, so the sends in flight wait on the frozen database before
  // authentication counts them, and the usage to account for is the 25 requests' alone (with the key in memory,
  // whether they count would depend on the time since its last read).
  const herald = await startHerald({ DATABASE_URL: pg.url('herald'), SHUTDOWN_TIMEOUT_MS: '4000', AUTH_CACHE_MS: '0' });
  const { key } = await seed(herald, 'frozen-shutdown');
  const requests = 25;
  for (let i = 0; i < requests; i += 1) expect((await gql(herald, key.secret, Typename)).status).toBe(200);
  pg.freeze();
  let exit: number | null;
  let sends: Awaited<ReturnType<typeof gql>>[];
  try {
    const inFlight = Array.from({ length: 5 }, (_, i) => gql(herald, key.secret, SEND, sendInput(`at-exit-${i}`)));
    await new Promise((r) => setTimeout(r, 300));
    const stopping = performance.now();
    herald.child.kill('SIGTERM');
    exit = await herald.exited;
    expect(performance.now() - stopping).toBeLessThan(5_000);
    sends = await Promise.all(inFlight);
  } finally {
    pg.thaw();
  }
  expect(exit).toBe(1);
  // Told before the exit: 503, not a connection reset.
  expect(sends.map((s) => s.status)).toEqual(sends.map(() => 503));
  const lost = logLines(herald).find((l) => /usage counts lost/.test(l.msg));
  expect(lost?.level).toBe(50);
  const lostCounts = lost?.lost as { key: string; requests: number }[];
  expect(lostCounts.map((l) => l.key)).toEqual([key.id]);
  expect(lostCounts[0].requests).toBeGreaterThan(0);

  // Once thawed, what the log says was lost was indeed not written, and no send of the exit committed.
  await new Promise((r) => setTimeout(r, 1_000));
  const [{ written }] = await pg.query<{ written: number }>(
    'herald',
    'SELECT coalesce(sum(requests), 0)::int AS written FROM "ApiKeyUsage" WHERE "apiKeyId" = $1',
    [key.id],
  );
  expect(written + lostCounts[0].requests).toBe(requests);
  expect(await count('at-exit-%')).toBe(0);
});
