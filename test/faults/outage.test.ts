// An outage of PostgreSQL as clients and operators see it: stopped, killed,
// out of connections or starting up, every request gets 503
// SERVICE_UNAVAILABLE with Retry-After (never a 500), the log says so once when
// it starts and once when it ends, /ready answers within a second, and
// requests succeed again within 3 s of the database's return.
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { Channels, Typename } from '../support/documents.ts';
import type { ServerProcess } from '../support/server-process.ts';
import {
  type Answer,
  errorLines,
  gql,
  logLines,
  ready,
  SEND,
  type Seeded,
  seed,
  sendInput,
  startHerald,
  stopHeralds,
  within,
} from './support/herald.ts';
import { OwnPostgres } from './support/postgres.ts';
import { PostgresProxy } from './support/proxy.ts';

let pg: OwnPostgres;
let proxy: PostgresProxy;

beforeAll(async () => {
  pg = await OwnPostgres.start({ maxConnections: 30 });
  await pg.query('postgres', 'CREATE DATABASE herald');
  proxy = await PostgresProxy.start(pg.port);
});

afterEach(async () => {
  await stopHeralds();
  proxy.forward();
  if (!pg.running) await pg.restart();
});

afterAll(async () => {
  await proxy?.close();
  await pg?.destroy();
});

/** 40 requests of three kinds: a send, a member's query, a key's bare request (authentication only). */
async function fortyRequests(herald: ServerProcess, { member, key }: Seeded): Promise<Answer[]> {
  const answers: Answer[] = [];
  for (let round = 0; round < 4; round += 1) {
    const batch = await Promise.all([
      ...Array.from({ length: 4 }, (_, i) => gql(herald, key.secret, SEND, sendInput(`outage ${round}-${i}`))),
      ...Array.from({ length: 3 }, () => gql(herald, member, Channels)),
      ...Array.from({ length: 3 }, () => gql(herald, key.secret, Typename)),
    ]);
    answers.push(...batch);
  }
  return answers;
}

function expectUnavailable(answers: Answer[], reason: RegExp) {
  const summary = answers.map((a) => `${a.status} ${a.body?.errors?.[0]?.extensions?.code}`);
  expect(summary).toEqual(answers.map(() => '503 SERVICE_UNAVAILABLE'));
  for (const answer of answers) {
    expect(Number(answer.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(answer.body.errors[0].message).toMatch(reason);
  }
}

/** Requests succeed again: how long after `since` the first send went through. */
async function recovery(herald: ServerProcess, { key }: Seeded): Promise<number> {
  return within(10_000, async () => (await gql(herald, key.secret, SEND, sendInput('after'))).status === 200, 'a send to succeed');
}

async function expectLoggedOnce(herald: ServerProcess, since: number, refusedAtLeast: number) {
  // The end is logged at the first success after 2 s without a failure.
  await within(10_000, async () => {
    await gql(herald, null, Typename);
    return logLines(herald).some((l) => l.time >= since && /answers again/.test(l.msg));
  });
  const lines = logLines(herald).filter((l) => l.time >= since);
  const started = lines.filter((l) => /the database cannot serve/.test(l.msg));
  const ended = lines.filter((l) => /the database answers again/.test(l.msg));
  expect(started).toHaveLength(1);
  expect(ended).toHaveLength(1);
  expect(ended[0].refused).toBeGreaterThanOrEqual(refusedAtLeast);
}

describe.each([
  ['stopped (fast shutdown)', () => pg.stop()],
  ['killed (SIGKILL to every process)', () => pg.kill()],
])('PostgreSQL %s', (_, fault) => {
  test('every request gets 503 with Retry-After, at most 5 error lines for 40 of them, /ready within 1 s; back within 3 s', async () => {
    const herald = await startHerald({ DATABASE_URL: pg.url('herald') });
    const seeded = await seed(herald, `outage-${Date.now()}`);
    const since = Date.now();
    await fault();

    const answers = await fortyRequests(herald, seeded);
    expectUnavailable(answers, /database is unreachable/);
    const errors = errorLines(logLines(herald).filter((l) => l.time >= since));
    expect(errors.length).toBeLessThanOrEqual(5);
    expect(JSON.stringify(errors)).not.toMatch(/"stack"/);

    const probe = await ready(herald);
    expect(probe.status).toBe(503);
    expect(probe.body).toMatchObject({ status: 'unavailable', reason: 'unreachable' });
    expect(probe.ms).toBeLessThan(1_000);

    await pg.restart();
    const restarted = performance.now();
    await recovery(herald, seeded);
    await within(10_000, async () => (await ready(herald)).status === 200);
    expect(performance.now() - restarted).toBeLessThan(3_000);
    await expectLoggedOnce(herald, since, 40);
  });
});

test('too many clients: 503 with Retry-After, /ready says saturated; back when connections free up', async () => {
  const herald = await startHerald({ DATABASE_URL: pg.url('herald') });
  const seeded = await seed(herald, `saturated-${Date.now()}`);
  const since = Date.now();
  // Herald's connections go, and others take every slot.
  await pg.query('postgres', "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = 'herald' AND pid <> pg_backend_pid()");
  const hogs = await pg.occupyAllConnections();
  try {
    const answers = await fortyRequests(herald, seeded);
    expectUnavailable(answers, /no connection free|too many/i);
    expect(errorLines(logLines(herald).filter((l) => l.time >= since)).length).toBeLessThanOrEqual(5);
    const probe = await ready(herald);
    expect(probe.body).toMatchObject({ status: 'unavailable', reason: 'saturated' });
    expect(probe.ms).toBeLessThan(1_000);
  } finally {
    await hogs.release();
  }
  expect(await recovery(herald, seeded)).toBeLessThan(3_000);
  await expectLoggedOnce(herald, since, 40);
});

test('the database system is starting up: 503 with Retry-After; back when it accepts connections', async () => {
  // Through a proxy that answers as a starting server does, then forwards again.
  const herald = await startHerald({ DATABASE_URL: `postgres://postgres@127.0.0.1:${proxy.port}/herald` });
  const seeded = await seed(herald, `starting-${Date.now()}`);
  const since = Date.now();
  proxy.startingUp();
  const answers = await fortyRequests(herald, seeded);
  expectUnavailable(answers, /database is unreachable/);
  expect(errorLines(logLines(herald).filter((l) => l.time >= since)).length).toBeLessThanOrEqual(5);
  const probe = await ready(herald);
  expect(probe.body).toMatchObject({ status: 'unavailable', reason: 'unreachable', detail: expect.stringMatching(/starting up/) });
  proxy.forward();
  expect(await recovery(herald, seeded)).toBeLessThan(3_000);
  await expectLoggedOnce(herald, since, 40);
});

test('the server process running a send is killed (SIGKILL): that send gets 503, and Herald lives on to serve again', async () => {
  const herald = await startHerald({ DATABASE_URL: pg.url('herald') });
  const seeded = await seed(herald, `killed-backend-${Date.now()}`);
  // The send waits for a lock, so that its connection is busy with it when its server process dies.
  const lock = await pg.lock('herald', 'Message');
  const sending = gql(herald, seeded.key.secret, SEND, sendInput('killed under it'));
  let backend = 0;
  try {
    await within(
      3_000,
      async () => {
        const [waiting] = await pg.query<{ pid: number }>(
          'herald',
          "SELECT pid FROM pg_stat_activity WHERE datname = 'herald' AND wait_event_type = 'Lock'",
        );
        backend = waiting?.pid ?? 0;
        return backend > 0;
      },
      'the send waiting for the lock',
    );
    process.kill(backend, 'SIGKILL');
    const answer = await sending;
    expect(answer).toMatchObject({ status: 503, body: { errors: [{ extensions: { code: 'SERVICE_UNAVAILABLE' } }] } });
  } finally {
    // PostgreSQL restarts every server process after one was killed: the lock's connection is gone with it.
    await lock.release().catch(() => {});
  }
  // The same Herald process answers again once PostgreSQL has recovered.
  await within(10_000, async () => (await gql(herald, seeded.key.secret, SEND, sendInput('after the kill'))).status === 200);
  expect(herald.child.exitCode).toBeNull();
});
