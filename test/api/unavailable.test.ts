// In-process: what a client sees when the database cannot serve or a request
// runs out of time, and what stops database work. The faults themselves
// (PostgreSQL stopped, frozen, locked) are test/faults/ (npm run test:faults).
import { randomUUID } from 'node:crypto';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { generateSecret } from '../../src/auth/api-keys.ts';
import { sendMessage } from '../../src/data/messages.ts';
import { UsageCounter } from '../../src/data/usage.ts';
import { Scope } from '../../src/db/deadline.ts';
import { openDatabase } from '../../src/db/index.ts';
import { RequestAbandonedError } from '../../src/db/outage.ts';
import { createHerald, type Herald } from '../../src/yoga.ts';
import { Channels } from '../support/documents.ts';
import { describe, expect, type TestAccount, test } from '../support/fixtures.ts';
import { dataOf, type TestHerald, testConfig } from '../support/herald.ts';

function logged() {
  const lines: Record<string, unknown>[] = [];
  const logger = pino({ level: 'info' }, new Writable({ write: (chunk, _e, done) => done(void lines.push(JSON.parse(chunk.toString()))) }));
  return { lines, logger };
}

const post = (yoga: Herald, body: unknown, headers: Record<string, string> = {}) =>
  yoga.fetch('http://herald.test/graphql', {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });

describe('the database unreachable', () => {
  test('503 SERVICE_UNAVAILABLE with Retry-After for members and keys alike; one log line, no stack traces; counted in /metrics', async ({
    herald,
  }) => {
    const db = await openDatabase({ kind: 'postgres', url: 'postgres://postgres@127.0.0.1:1/unreachable' });
    const { lines, logger } = logged();
    const down = await createHerald({ config: testConfig(), db, logger });
    try {
      const member = await herald.memberToken('unavailable');
      const answers = [];
      for (let i = 0; i < 10; i += 1) {
        // Authentication itself needs the database: refused in the context factory.
        answers.push(await post(down, { query: '{ channels { slug } }' }, { authorization: `Bearer ${member}` }));
        answers.push(await post(down, { query: '{ __typename }' }, { authorization: `Bearer ${generateSecret().secret}` }));
      }
      for (const answer of answers) {
        expect(answer.status).toBe(503);
        expect(Number(answer.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
        expect((await answer.json()).errors).toEqual([
          { message: 'The database is unreachable: try again shortly.', extensions: { code: 'SERVICE_UNAVAILABLE' } },
        ]);
      }
      const errors = lines.filter((line) => (line.level as number) >= 50);
      expect(errors.map((line) => line.msg)).toEqual([expect.stringMatching(/^the database cannot serve \(unreachable\)/)]);
      expect(JSON.stringify(lines)).not.toMatch(/"stack"/);
      const metrics = await (await down.fetch('http://herald.test/metrics')).text();
      expect(metrics).toMatch(/herald_requests_unavailable_total\{reason="unreachable"\} 20/);
      expect(metrics).toMatch(/herald_database_available 0/);
    } finally {
      await db.close();
    }
  });
});

describe('requests in flight', () => {
  /** A request that stays in flight: GraphQL waits for the rest of a body that never comes. */
  function held(yoga: Herald, headers: Record<string, string> = {}) {
    const aborted = new AbortController();
    const body = new ReadableStream({ start: (c) => c.enqueue(new TextEncoder().encode('{"query":')) });
    const answer = Promise.resolve(
      yoga.fetch('http://herald.test/graphql', {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'content-length': '100', ...headers },
        body,
        signal: aborted.signal,
        duplex: 'half',
      } as RequestInit),
    ).catch(() => null);
    return { answer, release: () => aborted.abort() };
  }

  test('beyond MAX_REQUESTS_IN_FLIGHT: 503 at once; probes and event streams are not counted', async ({ herald }) => {
    const yoga = await createHerald({ config: testConfig({ maxRequestsInFlight: 2 }), db: herald.db, logger: pino({ level: 'silent' }) });
    const first = held(yoga);
    const second = held(yoga);
    try {
      await new Promise((r) => setTimeout(r, 50));
      const refused = await post(yoga, { query: '{ __typename }' });
      expect(refused.status).toBe(503);
      expect(refused.headers.get('retry-after')).toBe('1');
      expect((await refused.json()).errors[0]).toEqual({
        message: 'This server has too many requests in flight: try again shortly.',
        extensions: { code: 'SERVICE_UNAVAILABLE' },
      });
      expect((await yoga.fetch('http://herald.test/ready')).status).toBe(200);
      expect((await yoga.fetch('http://herald.test/health')).status).toBe(200);
      // A subscription stream (SSE) is not a request in flight: it is answered (here: there is nothing to subscribe to).
      const stream = await post(yoga, { query: '{ __typename }' }, { accept: 'text/event-stream' });
      expect((await stream.text()).includes('too many requests in flight')).toBe(false);
    } finally {
      first.release();
      second.release();
      await Promise.all([first.answer, second.answer]);
    }
    // Room again.
    expect((await post(yoga, { query: '{ __typename }' })).status).toBe(200);
    await yoga.dispose();
  });

  test('past REQUEST_TIMEOUT_MS a request is answered 503 SERVICE_UNAVAILABLE with Retry-After, whatever holds it', async ({ herald }) => {
    const yoga = await createHerald({ config: testConfig({ requestTimeoutMs: 200 }), db: herald.db, logger: pino({ level: 'silent' }) });
    const started = performance.now();
    const stuck = held(yoga);
    const answer = (await stuck.answer) as Response;
    expect(answer.status).toBe(503);
    expect(answer.headers.get('retry-after')).toBe('2');
    expect((await answer.json()).errors[0].extensions.code).toBe('SERVICE_UNAVAILABLE');
    // The deadline, then half a second for the work to stop on its own.
    expect(performance.now() - started).toBeGreaterThanOrEqual(650);
    // An event stream is not cut by the deadline.
    const stream = held(yoga, { accept: 'text/event-stream' });
    const early = await Promise.race([stream.answer.then(() => 'answered'), new Promise((r) => setTimeout(r, 1_000, 'still open'))]);
    expect(early).toBe('still open');
    stream.release();
    await yoga.dispose();
  });
});

describe('send stops once its request is over', () => {
  async function setup(herald: TestHerald, account: TestAccount) {
    const key = await account.key({ kind: 'ALL' });
    const [{ accountId }] = await herald.db.prisma.$queryRaw<
      { accountId: string }[]
    >`SELECT "accountId" FROM "ApiKey" WHERE id = ${key.id}::uuid`;
    const title = `stopped-${randomUUID()}`;
    const request = { accountId, keyId: key.id, target: { kind: 'ALL' as const }, title, body: 'b', data: null };
    const written = async () =>
      (await herald.db.prisma.$queryRaw<{ n: number }[]>`SELECT count(*)::int AS n FROM "Message" WHERE title = ${title}`)[0].n;
    return { request, written };
  }

  test('a client that left before the statement: it never starts', async ({ account, herald }) => {
    const { request, written } = await setup(herald, account);
    const left = new Scope(Date.now() + 10_000);
    left.stop(new RequestAbandonedError());
    const { count } = await herald.countStatements(() =>
      expect(sendMessage(herald.db.sql, { ...request, work: left })).rejects.toThrow(RequestAbandonedError),
    );
    expect(count).toBe(0);
    expect(await written()).toBe(0);
  });

  test('a statement that reaches the database after its deadline writes nothing (the database checks it on its own clock)', async ({
    account,
    herald,
  }) => {
    const { request, written } = await setup(herald, account);
    // Not aborted yet here (as when the statement was already on its way), but its deadline has passed.
    const late = new Scope(Date.now() - 1_000);
    await expect(sendMessage(herald.db.sql, { ...request, work: late })).rejects.toThrow(
      /deadline passed before send reached the database/,
    );
    expect(await written()).toBe(0);
    // In time, it is sent.
    const inTime = new Scope(Date.now() + 10_000);
    expect((await sendMessage(herald.db.sql, { ...request, work: inTime })).kind).toBe('sent');
    expect(await written()).toBe(1);
  });
});

describe('usage counts at shutdown', () => {
  test('written when the database takes them; otherwise returned as lost, exactly, once the deadline passed', async ({
    account,
    herald,
  }) => {
    const key = await account.key({ kind: 'ALL' });
    dataOf(await key.run(Channels));
    const counter = new UsageCounter(herald.db.prisma, () => {}, 3_600_000);
    for (let i = 0; i < 7; i += 1) counter.request(key.id);
    counter.refused(key.id);
    expect(await counter.close(Date.now() + 2_000)).toEqual([]);

    const unreachable = await openDatabase({ kind: 'postgres', url: 'postgres://postgres@127.0.0.1:1/unreachable' });
    try {
      const failing = new UsageCounter(unreachable.prisma, () => {}, 3_600_000);
      for (let i = 0; i < 5; i += 1) failing.request(key.id);
      failing.refused(key.id);
      const started = performance.now();
      const lost = await failing.close(Date.now() + 700);
      // Retried until the deadline, not given up at the first failure.
      expect(performance.now() - started).toBeGreaterThanOrEqual(500);
      expect(lost).toEqual([{ key: key.id, day: new Date().toISOString().slice(0, 10), requests: 5, refused: 1 }]);
    } finally {
      await unreachable.close();
    }
  });
});
