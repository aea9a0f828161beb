// npx tsx bench/compare.ts <before.js> <after.js>: a cut's before and after.
// Two builds of Herald (e.g. a copy of dist/ kept as .ab/main.js before the
// change, and dist/ after it) on one database, the send and typename-with-key
// rows measured on both in alternating slices, as the ablation table does.
// Keep the copy beside dist/ (same depth): the build finds its files relative to itself.
// Rate limits in Redis, as a fleet runs; BENCH_REDIS_URL=off keeps them in PostgreSQL.
import { alternate } from './ablation.ts';
import { createTempDatabase } from './postgres.ts';
import { seedDatabase } from './seed.ts';
import { HERALD_ENV, startServer, withServer } from './servers.ts';
import { createBenchKeys } from './setup.ts';
import { send, typename } from './workloads.ts';

const [before, after] = process.argv.slice(2);
if (!before || !after) throw new Error('usage: npx tsx bench/compare.ts <before.js> <after.js>');
const settings = { connections: 10, warmupSeconds: 1, seconds: Number(process.env.BENCH_SECONDS ?? 12) };
const database = await createTempDatabase(process.env.BENCH_DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/postgres');
try {
  await seedDatabase(database.url);
  const redisUrl = process.env.BENCH_REDIS_URL || 'redis://127.0.0.1:6379';
  const env = { ...HERALD_ENV, DATABASE_URL: database.url, ...(redisUrl === 'off' ? {} : { REDIS_URL: redisUrl }) };
  await withServer(startServer('before', before, env), (a) =>
    withServer(startServer('after', after, env), async (b) => {
      for (const [name, make] of [
        ['send', (url: string, key: string) => send(url, key)],
        ['typename-key', (url: string, key: string) => typename(url, key)],
      ] as const) {
        // A key for each server and workload: one key for all of them would reach its rate limit (100,000 a minute).
        const [keyA, keyB] = [(await createBenchKeys(a.url)).send, (await createBenchKeys(b.url)).send];
        await database.analyze();
        const [x, y] = await alternate([a, make(a.url, keyA)], [b, make(b.url, keyB)], settings);
        const cpu = (r: typeof x) => r.serverCpuMsPerRequest?.toFixed(3) ?? '-';
        console.log(
          `${name}: before ${x.rps.toFixed(0)} req/s, ${cpu(x)} ms CPU/req; after ${y.rps.toFixed(0)} req/s, ${cpu(y)} ms CPU/req (${((y.rps / x.rps - 1) * 100).toFixed(1)} % req/s); errors ${x.errors + y.errors}`,
        );
      }
    }),
  );
} finally {
  await database.drop();
}
