// npx tsx bench/profile.ts [postgres|embedded]: a CPU profile of Herald under the send load,
// with the top self-time functions. The .cpuprofile opens in Chrome DevTools.
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { selfTimes } from './cpuprofile.ts';
import { measureLoad } from './load.ts';
import { createTempDatabase } from './postgres.ts';
import { seedDatabase } from './seed.ts';
import { embeddedDataDir, HERALD_ENV, startHerald, startServer, withServer } from './servers.ts';
import { createBenchKeys } from './setup.ts';
import { send } from './workloads.ts';

const kind = process.argv[2] ?? 'postgres';
if (kind !== 'postgres' && kind !== 'embedded') throw new Error('usage: npx tsx bench/profile.ts [postgres|embedded]');

// As the bench's send rows run: the rate limits in Redis on PostgreSQL (in memory on the embedded database).
const redis: Record<string, string> = kind === 'postgres' ? { REDIS_URL: process.env.BENCH_REDIS_URL || 'redis://127.0.0.1:6379' } : {};
const profileDir = await mkdtemp(join(tmpdir(), 'herald-profile-'));
const dataDir = await embeddedDataDir();
const database =
  kind === 'postgres' ? await createTempDatabase(process.env.BENCH_DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/postgres') : null;
try {
  const url = database?.url ?? `file:${join(dataDir, 'herald')}`;
  await seedDatabase(url);
  // Stopped with SIGTERM: Herald exits by itself, which is when Node writes the profile.
  // PROFILE_SOURCE=1 profiles src/main.ts through tsx instead of the bundle: slower, but each sample names its file.
  const profiled = ['--cpu-prof', `--cpu-prof-dir=${profileDir}`];
  const start = process.env.PROFILE_SOURCE
    ? startServer(`herald-${kind}-source`, 'src/main.ts', { ...HERALD_ENV, DATABASE_URL: url, ...redis }, profiled)
    : startHerald(`herald-${kind}`, url, profiled, redis);
  await withServer(start, async (server) => {
    const keys = await createBenchKeys(server.url);
    const load = await measureLoad(send(server.url, keys.send), { connections: 10, warmupSeconds: 3, seconds: 10 }, server.cpuSeconds);
    console.log(
      `send-${kind}: ${load.rps.toFixed(0)} req/s, p50 ${load.p50Ms} ms, p99 ${load.p99Ms} ms, ${load.errors} errors, ${load.serverCpuMsPerRequest?.toFixed(2)} ms server CPU/req`,
    );
  });
  // CPU.<date>.<time>.<pid>.<thread>.<seq>.cpuprofile: thread 0 is the main thread, the others are tsx's loader.
  const file = (await readdir(profileDir)).find((name) => /^CPU\.\d+\.\d+\.\d+\.0\./.test(name));
  if (!file) throw new Error('Herald wrote no profile of its main thread');
  const { totalMs, functions, packages } = await selfTimes(join(profileDir, file));
  console.log(`\n${join(profileDir, file)}: ${totalMs.toFixed(0)} ms sampled\n\nTop self time by function:`);
  for (const f of functions)
    console.log(`${f.ms.toFixed(0).padStart(8)} ms ${(f.share * 100).toFixed(1).padStart(5)}%  ${f.name}  ${f.where}`);
  console.log('\nSelf time by package:');
  for (const p of packages) console.log(`${p.ms.toFixed(0).padStart(8)} ms ${(p.share * 100).toFixed(1).padStart(5)}%  ${p.name}`);
} finally {
  await database?.drop();
  await rm(dataDir, { recursive: true, force: true });
}
