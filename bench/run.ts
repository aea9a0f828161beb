// npm run bench: throughput of each row, one after the other, then the 100k fanouts.
// BENCH_CONNECTIONS, BENCH_SECONDS and BENCH_WARMUP_SECONDS override the defaults;
// BENCH_DATABASE_URL is the PostgreSQL server the run creates its database on;
// BENCH_ONLY (e.g. "postgres", "bare,embedded", "inbox", "manage" or "webhooks") runs some of the top-level parts, for a quick look.
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { ABLATABLE, type Feature } from '../src/ablation.ts';
import { alternate, type Comparison, combine, renderAblation, summarizeAblation, writeAblation } from './ablation.ts';
import { measureFanout, measureFanoutFloor } from './fanout.ts';
import { measureInbox, measureLatency } from './inbox.ts';
import { type LoadResult, type LoadSettings, measureLoad, type Workload } from './load.ts';
import { measureImport, recipientsPage } from './manage.ts';
import { createTempDatabase } from './postgres.ts';
import { type DatabaseKind, type Fanout, type Row, render, summarize, writeSummary } from './report.ts';
import { seedDatabase } from './seed.ts';
import { embeddedDataDir, HERALD_ENTRY, killAll, runScript, type Server, startHerald, startServer, withServer } from './servers.ts';
import { createBenchKeys, createKeyListing } from './setup.ts';
import { measureStartup } from './startup.ts';
import { buildTargets, target } from './targets/build.ts';
import { measureFirstAttempt, measureThroughput, Receiver, sendPairEndpoint } from './webhooks.ts';
import { apiKeys, hello, send, sendPersisted, sendSafely, typename } from './workloads.ts';

function positiveInteger(variable: string, fallback: number): number {
  const value = Number(process.env[variable] ?? fallback);
  if (!Number.isInteger(value) || value < 1) throw new Error(`${variable} must be a whole number above 0`);
  return value;
}

// Small enough that the whole run stays near 3 minutes on 2 cores, long enough for stable ratios.
const settings: LoadSettings = {
  connections: positiveInteger('BENCH_CONNECTIONS', 10),
  warmupSeconds: positiveInteger('BENCH_WARMUP_SECONDS', 3),
  seconds: positiveInteger('BENCH_SECONDS', 10),
};
const adminUrl = process.env.BENCH_DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/postgres';
const redisUrl = process.env.BENCH_REDIS_URL || 'redis://127.0.0.1:6379';

const rows: Row[] = [];
let startupMs: number | null = null;
let startupFloorMs: number | null = null;
const figures: Record<string, number | null> = {};
const fanouts: Fanout[] = [];
const failures: string[] = [];
const cleanups = new Set<() => Promise<void>>();
let interrupted = false;

async function step(label: string, run: () => Promise<void>): Promise<void> {
  if (interrupted) return;
  console.error(`- ${label}`);
  try {
    await run();
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    failures.push(`${label}: ${message}`);
    console.error(`  FAILED ${label}: ${message}`);
  }
}

async function measure(
  name: string,
  database: DatabaseKind | null,
  server: Server,
  workload: Workload,
  loadSettings = settings,
): Promise<void> {
  const load = await measureLoad(workload, loadSettings, server.cpuSeconds);
  rows.push({ name, database, load });
  console.error(
    `  ${load.rps.toFixed(0)} req/s, p99 ${load.p99Ms} ms, ${load.errors} errors, ${load.serverCpuMsPerRequest?.toFixed(2)} ms server CPU/req`,
  );
}

const row = (name: string, database: DatabaseKind | null, server: Server, workload: Workload) =>
  step(name, () => measure(name, database, server, workload));

/** Slices of one row's time, taken in turn: a ratio of the two owes nothing to which ran first. */
const SLICES = 4;

/**
 * Two rows measured on one server in alternating slices (a b, b a, …), for a
 * ratio between them: the database and the machine change during a run
 * (autovacuum after the writes of earlier rows, other load), and back-to-back
 * rows would pay for that by their order.
 */
function pair(
  server: Server,
  database: DatabaseKind,
  [nameA, a]: [string, Workload],
  [nameB, b]: [string, Workload],
  beforeSlice: (which: 0 | 1) => Promise<void> = async () => {},
) {
  return step(`${nameA} / ${nameB}`, async () => {
    const slice = { ...settings, seconds: Math.max(1, Math.round(settings.seconds / SLICES)), warmupSeconds: 1 };
    const results: [LoadResult[], LoadResult[]] = [[], []];
    // a b, b a, a b, b a: a drift during the run weighs on both alike.
    for (let i = 0; i < SLICES; i += 1) {
      for (const which of i % 2 === 0 ? [0, 1] : [1, 0]) {
        await beforeSlice(which as 0 | 1);
        results[which].push(await measureLoad(which === 0 ? a : b, slice, server.cpuSeconds));
      }
    }
    for (const [name, slices] of [
      [nameA, results[0]],
      [nameB, results[1]],
    ] as const) {
      const load = combine(slices);
      rows.push({ name, database, load });
      console.error(
        `  ${name}: ${load.rps.toFixed(0)} req/s, ${load.errors} errors, ${load.serverCpuMsPerRequest?.toFixed(2)} ms server CPU/req`,
      );
    }
  });
}

async function withCleanup(cleanup: () => Promise<void>, run: () => Promise<void>): Promise<void> {
  cleanups.add(cleanup);
  try {
    await run();
  } finally {
    cleanups.delete(cleanup);
    await cleanup();
  }
}

/** A fresh server for each fanout: its VmHWM then covers start-up and the fanout, not earlier load. */
const fanout = (database: DatabaseKind, url: string, key: () => string) =>
  step(`fanout-100k ${database}`, () =>
    withServer(startHerald(`herald-${database}-fanout`, url), async (server) => {
      const result = await measureFanout(server, key());
      fanouts.push({ database, result });
      console.error(
        `  ${result.ms.toFixed(0)} ms, peak RSS ${result.peakRssMb.toFixed(0)} MB (${result.fanoutPeakRssMb.toFixed(0)} MB in the request)`,
      );
    }),
  );

async function postgresRows(): Promise<void> {
  const database = await createTempDatabase(adminUrl);
  /** A row on fresh statistics (see TempDatabase.analyze). */
  const analyzedRow = (name: string, server: Server, workload: Workload) =>
    step(name, async () => {
      await database.analyze();
      await measure(name, 'postgres', server, workload);
    });
  await withCleanup(database.drop, async () => {
    await seedDatabase(database.url);
    let fanoutKey = '';
    // As a fleet runs it: rate limits in Redis, the store the bench found cheaper (the -pgstore rows below).
    await withServer(startHerald('herald-postgres', database.url, [], { REDIS_URL: redisUrl }), async (server) => {
      const keys = await createBenchKeys(server.url);
      fanoutKey = keys.fanout;
      const listingToken = await createKeyListing(server.url);
      await analyzedRow('herald-typename-postgres', server, typename(server.url));
      await analyzedRow('herald-typename-key-postgres', server, typename(server.url, keys.send));
      await pair(
        server,
        'postgres',
        ['send-postgres', send(server.url, keys.send)],
        ['send-postgres-limited', sendSafely(server.url, keys.limited)],
        database.analyze,
      );
      await analyzedRow('send-persisted-postgres', server, sendPersisted(server.url, keys.send));
      await analyzedRow('apikeys-100', server, apiKeys(server.url, listingToken));
      // The floor: the same work as plainly as possible, on the same database, with the same key;
      // then stock Yoga doing that work with the same SQL.
      const floor = (script: string) => startServer(script, target(script), { DATABASE_URL: database.url, NODE_ENV: 'production' });
      await withServer(floor('floor-typename-key'), (f) => analyzedRow('floor-typename-key', f, typename(f.url, keys.send)));
      await withServer(floor('floor-send'), (f) => analyzedRow('floor-send', f, send(f.url, keys.send)));
      await withServer(floor('yoga-sql'), async (y) => {
        await analyzedRow('yoga-sql-typename-key', y, typename(y.url, keys.send));
        await analyzedRow('yoga-sql-send', y, send(y.url, keys.send));
      });
    });
    // The other store: without REDIS_URL, the rate limits live in PostgreSQL.
    await withServer(startHerald('herald-postgres-pgstore', database.url), async (server) => {
      const keys = await createBenchKeys(server.url);
      await pair(
        server,
        'postgres',
        ['send-postgres-pgstore', send(server.url, keys.send)],
        ['send-postgres-limited-pgstore', sendSafely(server.url, keys.limited)],
        database.analyze,
      );
    });
    await fanout('postgres', database.url, () => fanoutKey);
    await step('fanout-100k floor', async () => {
      figures.fanout_100k_floor_ms = await measureFanoutFloor(database.url, fanoutKey);
      console.error(`  ${figures.fanout_100k_floor_ms.toFixed(0)} ms`);
    });
    await step('startup postgres', async () => {
      const startup = await measureStartup(database.url, HERALD_ENTRY);
      startupMs = startup.ms;
      console.error(`  ${startup.ms.toFixed(0)} ms to ready (median of ${startup.runs.map((ms) => ms.toFixed(0)).join(', ')})`);
    });
    await step('startup floor', async () => {
      const startup = await measureStartup(database.url, target('floor-startup'));
      startupFloorMs = startup.ms;
      console.error(`  ${startup.ms.toFixed(0)} ms to ready (median of ${startup.runs.map((ms) => ms.toFixed(0)).join(', ')})`);
    });
  });
}

/**
 * The live inbox, on PostgreSQL with Redis as a fleet runs: a fresh server
 * (its RSS then is start-up and the streams) holding 10,000 idle SSE streams,
 * one send to all of them, then the latency of one event on one instance and
 * across two (send through A, the stream on B).
 */
async function inboxRows(): Promise<void> {
  const database = await createTempDatabase(adminUrl);
  await withCleanup(database.drop, async () => {
    await seedDatabase(database.url);
    await measureInboxRows(database.url);
  });
}

async function measureInboxRows(databaseUrl: string): Promise<void> {
  const env = { REDIS_URL: redisUrl };
  await step('inbox-10k postgres', () =>
    withServer(startHerald('herald-inbox', databaseUrl, [], env), async (server) => {
      const result = await measureInbox(server, databaseUrl);
      figures.inbox_subscribers_10k_rss_mb = result.rssMb;
      figures.inbox_subscribers_10k_rss_before_mb = result.rssBeforeMb;
      figures.inbox_fanout_10k_p50_ms = result.fanoutP50Ms;
      figures.inbox_fanout_10k_p99_ms = result.fanoutP99Ms;
      console.error(
        `  ${result.subscribers} streams: RSS ${result.rssMb.toFixed(0)} MB (${result.rssBeforeMb.toFixed(0)} before); one send to all: p50 ${result.fanoutP50Ms.toFixed(0)} ms, p99 ${result.fanoutP99Ms.toFixed(0)} ms`,
      );
    }),
  );
  await step('inbox latency postgres', () =>
    withServer(startHerald('herald-inbox-a', databaseUrl, [], env), async (a) => {
      figures.inbox_latency_p50_ms = await measureLatency(a, a, databaseUrl);
      await withServer(startHerald('herald-inbox-b', databaseUrl, [], env), async (b) => {
        figures.inbox_latency_fleet_p50_ms = await measureLatency(a, b, databaseUrl);
      });
      console.error(
        `  p50 ${figures.inbox_latency_p50_ms?.toFixed(1)} ms on one instance, ${figures.inbox_latency_fleet_p50_ms?.toFixed(1)} ms across two`,
      );
    }),
  );
}

async function embeddedRows(): Promise<void> {
  const dir = await embeddedDataDir();
  await withCleanup(
    () => rm(dir, { recursive: true, force: true }),
    async () => {
      const url = `file:${join(dir, 'herald')}`;
      await seedDatabase(url);
      let fanoutKey = '';
      await withServer(startHerald('herald-embedded', url), async (server) => {
        const keys = await createBenchKeys(server.url);
        fanoutKey = keys.fanout;
        await row('herald-typename', 'embedded', server, typename(server.url));
        await row('herald-typename-key', 'embedded', server, typename(server.url, keys.send));
        await row('send-embedded', 'embedded', server, send(server.url, keys.send));
      });
      await fanout('embedded', url, () => fanoutKey);
    },
  );
}

/**
 * Recipients you can manage, on the embedded database: an import of 10,000
 * rows (the spec's bound: 3 s), and a page of 100 of the seed's 100,000
 * recipients read by one client after another (its latency, not a server
 * saturated by many: p99 within 50 ms).
 */
async function manageRows(): Promise<void> {
  const dir = await embeddedDataDir();
  await withCleanup(
    () => rm(dir, { recursive: true, force: true }),
    async () => {
      const url = `file:${join(dir, 'herald')}`;
      await seedDatabase(url);
      await withServer(startHerald('herald-manage', url), async (server) => {
        await step('recipients-page', async () => {
          await measure('recipients-page', 'embedded', server, await recipientsPage(server.url), { ...settings, connections: 1 });
          figures.recipients_page_ms = rows.find((r) => r.name === 'recipients-page')?.load.p99Ms ?? null;
        });
        await step('upsert-recipients-10k', async () => {
          const imports = await measureImport(server.url);
          figures.upsert_recipients_10k_ms = imports.createdMs;
          figures.upsert_recipients_10k_update_ms = imports.updatedMs;
          console.error(`  created in ${imports.createdMs.toFixed(0)} ms, updated in ${imports.updatedMs.toFixed(0)} ms`);
        });
      });
    },
  );
}

/**
 * Webhooks on PostgreSQL with Redis, as a fleet runs, to a local receiver: send
 * with one enabled endpoint against send with none (alternating slices on one
 * server, the queue drained before each), the first attempt's latency after
 * send's response, and deliveries a second.
 */
async function webhookRows(): Promise<void> {
  const database = await createTempDatabase(adminUrl);
  const receiver = await Receiver.start();
  await withCleanup(
    async () => {
      await receiver.close();
      await database.drop();
    },
    async () => {
      await seedDatabase(database.url);
      const env = { REDIS_URL: redisUrl, WEBHOOK_ALLOW_PRIVATE_NETWORKS: 'true' };
      await withServer(startHerald('herald-webhooks', database.url, [], env), async (server) => {
        const keys = await createBenchKeys(server.url);
        await step('send with a webhook / without', async () => {
          const endpoint = await sendPairEndpoint(server, receiver, database.url);
          await pair(
            server,
            'postgres',
            ['send-postgres-webhook', send(server.url, keys.send)],
            ['send-postgres-nowebhook', send(server.url, keys.send)],
            async (which) => {
              await endpoint.setEnabled(which === 0);
              await endpoint.drained();
              await database.analyze();
            },
          );
          await endpoint.remove();
          await endpoint.drained();
          const ratio =
            (rows.find((r) => r.name === 'send-postgres-webhook')?.load.rps ?? 0) /
            (rows.find((r) => r.name === 'send-postgres-nowebhook')?.load.rps ?? 1);
          figures.send_with_webhook_vs_send_postgres = ratio;
          console.error(`  send with one enabled endpoint vs none: ${ratio.toFixed(3)} (${receiver.count('/pair')} deliveries)`);
        });
        await step('webhook first attempt', async () => {
          const latency = await measureFirstAttempt(server, receiver, keys.send);
          figures.webhook_first_attempt_p50_ms = latency.p50;
          figures.webhook_first_attempt_p99_ms = latency.p99;
          console.error(`  first attempt after send's response: p50 ${latency.p50.toFixed(1)} ms, p99 ${latency.p99.toFixed(1)} ms`);
        });
        await step('webhook deliveries per second', async () => {
          const throughput = await measureThroughput(server, receiver, keys.send);
          figures.webhook_deliveries_per_s = throughput.perSecond;
          console.error(`  ${throughput.deliveries} deliveries at ${throughput.perSecond.toFixed(0)}/s`);
        });
      });
    },
  );
}

/**
 * The ablation table: for each feature, a fresh full server and a fresh server
 * without it (HERALD_ABLATE), measured in alternating slices on the same
 * database; stock Yoga with the floor's SQL and the floor are measured against
 * a fresh full server the same way.
 */
async function ablationRows(): Promise<void> {
  const database = await createTempDatabase(adminUrl);
  const comparisons: Comparison[] = [];
  await withCleanup(database.drop, async () => {
    await seedDatabase(database.url);
    const env = { REDIS_URL: redisUrl };
    // Each comparison starts a fresh full server beside its variant, so that both are equally new (JIT,
    // V8's compiler threads, first statements), and makes a key for each server and workload: one key
    // for the whole table would reach its rate limit (100,000 a minute) as the rows go by.
    const workloads = {
      send: (url: string, key: string) => send(url, key),
      'typename-key': (url: string, key: string) => typename(url, key),
    };
    const compare = (
      name: Comparison['name'],
      description: string,
      start: () => Promise<Server>,
      measured: Comparison['workload'][] = ['send', 'typename-key'],
    ) =>
      step(`without ${name}`, () =>
        withServer(startHerald('herald-full', database.url, [], env), (full) =>
          withServer(start(), async (other) => {
            for (const workload of measured) {
              const make = workloads[workload];
              const [keyFull, keyOther] = [(await createBenchKeys(full.url)).send, (await createBenchKeys(full.url)).send];
              await database.analyze();
              const [fullLoad, variant] = await alternate([full, make(full.url, keyFull)], [other, make(other.url, keyOther)], settings);
              comparisons.push({ name, description, workload, full: fullLoad, variant });
              const saved = (fullLoad.serverCpuMsPerRequest ?? 0) - (variant.serverCpuMsPerRequest ?? 0);
              console.error(
                `  ${workload}: ${variant.rps.toFixed(0)} req/s against ${fullLoad.rps.toFixed(0)}, ${saved.toFixed(3)} ms CPU/req saved`,
              );
            }
          }),
        ),
      );
    // BENCH_ABLATE=metrics,yoga-sql,…: only those rows (a quick look at a few).
    const chosen = process.env.BENCH_ABLATE?.split(',').map((name) => name.trim());
    const wanted = (name: string) => !chosen || chosen.includes(name);
    for (const feature of (Object.keys(ABLATABLE) as Feature[]).filter(wanted)) {
      await compare(feature, ABLATABLE[feature], () =>
        startHerald(`herald-without-${feature}`, database.url, [], { ...env, HERALD_ABLATE: feature }),
      );
    }
    const other = (script: string) => () => startServer(script, target(script), { DATABASE_URL: database.url, NODE_ENV: 'production' });
    if (wanted('yoga-sql')) await compare('yoga-sql', 'stock graphql-yoga (SDL schema) running the floor SQL', other('yoga-sql'));
    if (wanted('floor')) {
      await compare('floor', 'node:http + pg running the same statements', other('floor-send'), ['send']);
      await compare('floor', 'node:http + pg running the same statements', other('floor-typename-key'), ['typename-key']);
    }
  });
  const summary = summarizeAblation(settings, comparisons);
  await writeAblation(summary);
  console.log(`\nAblation (each row against the full server, alternating slices):\n${renderAblation(summary)}\n`);
}

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, async () => {
    interrupted = true;
    console.error(`${signal}: stopping the servers and removing the databases`);
    killAll();
    for (const cleanup of cleanups) await cleanup().catch(() => {});
    process.exit(130);
  });
}

const only = process.env.BENCH_ONLY?.split(',').map((part) => part.trim());
const part = (label: string, run: () => Promise<void>) => (only && !only.includes(label) ? Promise.resolve() : step(label, run));

// Herald runs as production runs it: the build of this checkout; the bench's own servers are built alike.
await step('build', async () => {
  await runScript('scripts/build.ts', {});
  await buildTargets();
});
if (process.argv.includes('--ablation')) {
  await step('ablation', ablationRows);
  if (failures.length) console.error(`\nFAILED:\n${failures.map((f) => `  ${f}`).join('\n')}`);
  process.exitCode = failures.length === 0 ? 0 : 1;
} else {
  await part('bare', () => withServer(startServer('bare', target('bare')), (server) => measure('bare', null, server, hello(server.url))));
  await part('yoga-hello', () =>
    withServer(startServer('yoga-hello', target('yoga-hello'), { NODE_ENV: 'production' }), (server) =>
      measure('yoga-hello', null, server, hello(server.url)),
    ),
  );
  await part('postgres', postgresRows);
  await part('embedded', embeddedRows);
  await part('inbox', inboxRows);
  await part('manage', manageRows);
  await part('webhooks', webhookRows);

  const summary = summarize({ settings, rows, fanouts, failures, startupMs, startupFloorMs, figures });
  await writeSummary(summary);
  console.log(render(summary));
  const clean = failures.length === 0 && rows.every((r) => r.load.errors === 0);
  if (!clean) console.error('\nThe run had failures or errors: its numbers are not to be trusted.');
  process.exitCode = clean ? 0 : 1;
}
