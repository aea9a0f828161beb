// A transaction lasts as long as a request may (REQUEST_TIMEOUT_MS), not
// Prisma's default 5 seconds: a large import inside one, on a busy machine,
// was refused as "the database did not answer within the request's deadline"
// while the deadline was a minute away.
import { describe, expect, inject, test } from 'vitest';
import { openDatabase } from '../../src/db/index.ts';

async function withDatabase<T>(requestTimeoutMs: number, fn: (db: Awaited<ReturnType<typeof openDatabase>>) => Promise<T>): Promise<T> {
  const provided = inject('database');
  const db =
    provided.kind === 'postgres'
      ? await openDatabase({ kind: 'postgres', url: provided.url }, { poolSize: 2, requestTimeoutMs })
      : await openDatabase({ kind: 'embedded', dataDir: null }, { embeddedUrl: provided.url, poolSize: 2, requestTimeoutMs });
  try {
    return await fn(db);
  } finally {
    await db.close();
  }
}

describe('interactive transactions and the request deadline', () => {
  test('a transaction longer than 5 s ends well within a deadline of 15 s', async () => {
    const slept = await withDatabase(15_000, (db) =>
      db.prisma.$transaction(async (tx) => tx.$queryRaw<{ ok: number }[]>`SELECT 1 AS ok FROM pg_sleep(5.5)`),
    );
    expect(slept).toEqual([{ ok: 1 }]);
  }, 30_000);

  test('one longer than the deadline is still cut at it', async () => {
    const started = Date.now();
    await expect(withDatabase(1_000, (db) => db.prisma.$transaction(async (tx) => tx.$queryRaw`SELECT pg_sleep(3)`))).rejects.toThrow();
    expect(Date.now() - started).toBeLessThan(2_900);
  }, 30_000);
});
