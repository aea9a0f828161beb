// Deadlines on database work: a lock held longer than a request's deadline
// gets the request a 503 by then, a send whose client gave up (or whose
// deadline passed) never commits afterwards, and beyond the in-flight limit
// requests are refused at once instead of queueing.
import { afterAll, afterEach, beforeAll, expect, test } from 'vitest';
import { Channels, CreateChannel, Typename } from '../support/documents.ts';
import {
  type Answer,
  errorLines,
  gql,
  logLines,
  ready,
  SEND,
  seed,
  sendInput,
  startHerald,
  stopHeralds,
  within,
} from './support/herald.ts';
import { OwnPostgres } from './support/postgres.ts';

let pg: OwnPostgres;

beforeAll(async () => {
  pg = await OwnPostgres.start();
  await pg.query('postgres', 'CREATE DATABASE herald');
});

afterEach(() => stopHeralds());

afterAll(() => pg?.destroy());

const count = async (pattern: string) =>
  Number((await pg.query<{ n: string }>('herald', 'SELECT count(*) AS n FROM "Message" WHERE title LIKE $1', [pattern]))[0].n);

test('under a 20 s LOCK TABLE "Message": 503 within 12 s, /ready within 1 s, and no send commits once its client left or its deadline passed', async () => {
  // The default deadline (REQUEST_TIMEOUT_MS 10 s).
  const herald = await startHerald({ DATABASE_URL: pg.url('herald') });
  const { key } = await seed(herald, 'locked');
  const since = Date.now();
  const lock = await pg.lock('herald', 'Message');
  const released = new Promise<void>((resolve) => setTimeout(() => void lock.release().then(resolve), 20_000));
  try {
    // Clients that wait for the answer, and clients that give up after 2 s (as a backend's HTTP timeout does).
    const waiting = Array.from({ length: 10 }, (_, i) => gql(herald, key.secret, SEND, sendInput(`waited-${i}`)));
    const leaving = Array.from({ length: 10 }, (_, i) =>
      gql(herald, key.secret, SEND, sendInput(`left-${i}`), { signal: AbortSignal.timeout(2_000) }),
    );
    const probe = await ready(herald);
    expect(probe.ms).toBeLessThan(1_000);

    const answers = await Promise.all(waiting);
    expect(answers.map((a) => `${a.status} ${a.body?.errors?.[0]?.extensions?.code}`)).toEqual(
      answers.map(() => '503 SERVICE_UNAVAILABLE'),
    );
    for (const answer of answers) {
      expect(answer.ms).toBeLessThan(12_000);
      expect(Number(answer.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    }
    expect((await Promise.all(leaving)).map((a) => a.status)).toEqual(leaving.map(() => 0));
    // Still locked: reads go on, and /ready answers within a second.
    expect((await gql(herald, key.secret, Typename)).status).toBe(200);
    expect((await ready(herald)).ms).toBeLessThan(1_000);
  } finally {
    await released;
  }
  // The lock is gone: sends work again, and none of the earlier ones happened.
  await within(3_000, async () => (await gql(herald, key.secret, SEND, sendInput('after the lock'))).status === 200);
  await new Promise((r) => setTimeout(r, 500));
  expect(await count('waited-%')).toBe(0);
  expect(await count('left-%')).toBe(0);
  expect(await count('after the lock')).toBe(1);
  expect(errorLines(logLines(herald).filter((l) => l.time >= since)).length).toBeLessThanOrEqual(5);
}, 60_000);

test('a client that gives up while its send waits for a lock: the send never commits once Herald has seen it leave', async () => {
  const herald = await startHerald({ DATABASE_URL: pg.url('herald') });
  const { key } = await seed(herald, 'abandoned');
  for (const giveUpAfter of [300, 1_500]) {
    const lock = await pg.lock('herald', 'Message');
    const leaving = Array.from({ length: 10 }, (_, i) =>
      gql(herald, key.secret, SEND, sendInput(`gave-up-${giveUpAfter}-${i}`), { signal: AbortSignal.timeout(giveUpAfter) }),
    );
    expect((await Promise.all(leaving)).map((a) => a.status)).toEqual(leaving.map(() => 0));
    // The lock goes soon after the clients did: as soon as their connections' end reaches Herald, it cancels their sends.
    await new Promise((r) => setTimeout(r, 1_000));
    await lock.release();
    await within(3_000, async () => (await gql(herald, key.secret, SEND, sendInput(`control-${giveUpAfter}`))).status === 200);
    await new Promise((r) => setTimeout(r, 300));
    expect(await count(`gave-up-${giveUpAfter}-%`)).toBe(0);
  }
});

test('beyond MAX_REQUESTS_IN_FLIGHT: 503 at once with Retry-After, not a queue; probes still answer', async () => {
  const herald = await startHerald({ DATABASE_URL: pg.url('herald'), MAX_REQUESTS_IN_FLIGHT: '10', REQUEST_TIMEOUT_MS: '3000' });
  const { key } = await seed(herald, 'shed');
  const lock = await pg.lock('herald', 'Message');
  let answers: Answer[];
  try {
    const held = Array.from({ length: 10 }, (_, i) => gql(herald, key.secret, SEND, sendInput(`held-${i}`)));
    await new Promise((r) => setTimeout(r, 300));
    const shed = await Promise.all(Array.from({ length: 30 }, (_, i) => gql(herald, key.secret, SEND, sendInput(`shed-${i}`))));
    for (const answer of shed) {
      expect(answer).toMatchObject({ status: 503, body: { errors: [{ extensions: { code: 'SERVICE_UNAVAILABLE' } }] } });
      expect(answer.body.errors[0].message).toMatch(/too many requests in flight/);
      expect(answer.headers.get('retry-after')).toBe('1');
      expect(answer.ms).toBeLessThan(1_000);
    }
    expect((await ready(herald)).ms).toBeLessThan(1_000);
    answers = await Promise.all(held);
  } finally {
    await lock.release();
  }
  // Those admitted waited for the lock until their deadline.
  expect(answers.map((a) => a.status)).toEqual(answers.map(() => 503));
  await within(3_000, async () => (await gql(herald, key.secret, SEND, sendInput('after'))).status === 200);
  const metrics = await (await fetch(herald.url('/metrics'))).text();
  expect(metrics).toMatch(/herald_requests_unavailable_total\{reason="overloaded"\} 30/);
});

test("Prisma's work ends with its request too: reads and audited writes whose clients left are cancelled at once, and never commit", async () => {
  // The default deadline (10 s) and lock_timeout: only the clients' leaving can end these waits early.
  const herald = await startHerald({ DATABASE_URL: pg.url('herald') });
  const { member } = await seed(herald, 'prisma-left');
  const waiting = async () =>
    Number(
      (
        await pg.query<{ n: string }>(
          'herald',
          "SELECT count(*) AS n FROM pg_stat_activity WHERE datname = 'herald' AND wait_event_type = 'Lock'",
        )
      )[0].n,
    );
  const lock = await pg.lock('herald', 'Channel');
  try {
    const leave = { signal: AbortSignal.timeout(1_500) };
    const leaving = [
      gql(herald, member, Channels, {}, leave),
      gql(herald, member, CreateChannel, { input: { slug: 'left-1', name: 'Left' } }, leave),
      gql(herald, member, CreateChannel, { input: { slug: 'left-2', name: 'Left' } }, leave),
    ];
    // Each waits for the lock on the server...
    await within(1_300, async () => (await waiting()) === 3, 'three statements waiting for the lock');
    expect((await Promise.all(leaving)).map((a) => a.status)).toEqual([0, 0, 0]);
    // ...until its client leaves: then Herald cancels it, long before the lock or the deadline would end it.
    await within(1_500, async () => (await waiting()) === 0, 'no statement waiting once the clients left');
  } finally {
    await lock.release();
  }
  const created = await gql(herald, member, CreateChannel, { input: { slug: 'after', name: 'After' } });
  expect(created.status).toBe(200);
  const slugs = await pg.query<{ slug: string }>('herald', `SELECT slug FROM "Channel" WHERE slug <> 'news' ORDER BY slug`);
  expect(slugs.map((row) => row.slug)).toEqual(['after']);
}, 30_000);
