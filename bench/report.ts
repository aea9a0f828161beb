import { writeFile } from 'node:fs/promises';
import { availableParallelism, cpus } from 'node:os';
import { resolve } from 'node:path';
import type { FanoutResult } from './fanout.ts';
import type { LoadResult, LoadSettings } from './load.ts';

export type DatabaseKind = 'embedded' | 'postgres';

export interface Row {
  name: string;
  database: DatabaseKind | null;
  load: LoadResult;
}

export interface Fanout {
  database: DatabaseKind;
  result: FanoutResult;
}

export interface Results {
  settings: LoadSettings;
  rows: Row[];
  fanouts: Fanout[];
  failures: string[];
  /** Median time to ready of `node dist/main.js` on PostgreSQL with nothing to migrate. */
  startupMs: number | null;
  /** The same for the floor of start-up: node loading pg, connecting, answering. */
  startupFloorMs: number | null;
  /** Figures a part of the run measured on its own (the inbox, the imports…), by their key in latest.json. */
  figures: Record<string, number | null>;
}

export const RESULTS_PATH = resolve(import.meta.dirname, 'results/latest.json');
const ROW_ORDER = [
  'bare',
  'yoga-hello',
  'herald-typename',
  'herald-typename-key',
  'herald-typename-postgres',
  'herald-typename-key-postgres',
  'floor-typename-key',
  'send-embedded',
  'floor-send',
  'yoga-sql-typename-key',
  'yoga-sql-send',
  'send-postgres',
  'send-persisted-postgres',
  'send-postgres-limited',
  'send-postgres-pgstore',
  'send-postgres-limited-pgstore',
  'apikeys-100',
  'recipients-page',
];

const round = (value: number | null | undefined, digits: number) =>
  value == null || !Number.isFinite(value) ? null : Number(value.toFixed(digits));

function table(header: string[], lines: (string | number | null)[][]): string {
  const cells = [header, ...lines.map((line) => line.map((cell) => (cell === null ? '-' : String(cell))))];
  const widths = header.map((_, i) => Math.max(...cells.map((line) => line[i].length)));
  // The first column is a name: left-aligned; the rest are numbers.
  const render = (line: string[]) => line.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]) : cell.padStart(widths[i]))).join('  ');
  return [render(cells[0]), widths.map((w) => '-'.repeat(w)).join('  '), ...cells.slice(1).map(render)].join('\n');
}

export function summarize({ settings, rows, fanouts, failures, startupMs, startupFloorMs, figures }: Results) {
  const rps = (name: string) => rows.find((r) => r.name === name)?.load.rps ?? null;
  const yoga = rps('yoga-hello');
  const versus = (value: number | null) => (value === null || !yoga ? null : value / yoga);
  const typename = rps('herald-typename');
  const typenameKey = rps('herald-typename-key');
  const overhead = (plain: number | null, keyed: number | null) => (plain && keyed !== null ? 1 - keyed / plain : null);
  const ratio = (value: number | null, base: number | null) => (value !== null && base ? value / base : null);
  const fanout = (database: DatabaseKind) => fanouts.find((f) => f.database === database)?.result;
  const rss = fanouts.map((f) => f.result.peakRssMb);
  const ordered = [...rows].sort((a, b) => ROW_ORDER.indexOf(a.name) - ROW_ORDER.indexOf(b.name));
  return {
    generated_at: new Date().toISOString(),
    node_version: process.version,
    cpu_cores: availableParallelism(),
    cpu_model: cpus()[0]?.model ?? null,
    settings: { connections: settings.connections, seconds: settings.seconds, warmup_seconds: settings.warmupSeconds },
    bare_rps: round(rps('bare'), 1),
    yoga_hello_rps: round(yoga, 1),
    herald_typename_rps: round(typename, 1),
    herald_typename_key_rps: round(typenameKey, 1),
    send_embedded_rps: round(rps('send-embedded'), 1),
    send_postgres_rps: round(rps('send-postgres'), 1),
    apikeys_100_rps: round(rps('apikeys-100'), 1),
    send_embedded_vs_yoga_hello: round(versus(rps('send-embedded')), 3),
    send_postgres_vs_yoga_hello: round(versus(rps('send-postgres')), 3),
    /** On the embedded database (the default deployment), where verified keys are cached. */
    key_verification_overhead: round(overhead(typename, typenameKey), 3),
    /** On PostgreSQL, where an instance keeps a key for AUTH_CACHE_MS and key writes wait that lease out. */
    key_verification_overhead_postgres: round(overhead(rps('herald-typename-postgres'), rps('herald-typename-key-postgres')), 3),
    /** Against the floor: the same work done with node:http and pg's prepared statements, same database, same run. */
    send_postgres_vs_floor: round(ratio(rps('send-postgres'), rps('floor-send')), 3),
    typename_key_postgres_vs_floor: round(ratio(rps('herald-typename-key-postgres'), rps('floor-typename-key')), 3),
    /** The name for key_verification_overhead_postgres. */
    key_verification_cost_postgres: round(overhead(rps('herald-typename-postgres'), rps('herald-typename-key-postgres')), 3),
    send_embedded_vs_postgres: round(ratio(rps('send-embedded'), rps('send-postgres')), 3),
    /** Safe sending's cost: a rate-limited key and an Idempotency-Key per request, against plain send, same server. */
    send_postgres_limited_vs_send_postgres: round(ratio(rps('send-postgres-limited'), rps('send-postgres')), 3),
    send_postgres_limited_pgstore_vs_send_postgres_pgstore: round(
      ratio(rps('send-postgres-limited-pgstore'), rps('send-postgres-pgstore')),
      3,
    ),
    /** Where the rate limits cost less: Redis (send-postgres) against PostgreSQL (above 1: Redis). */
    send_postgres_vs_send_postgres_pgstore: round(ratio(rps('send-postgres'), rps('send-postgres-pgstore')), 3),
    fanout_100k_ms_embedded: round(fanout('embedded')?.ms, 1),
    fanout_100k_ms_postgres: round(fanout('postgres')?.ms, 1),
    /** VmHWM of the server after the fanout, the larger of the two; start-up counts too. */
    fanout_100k_rss_mb: round(rss.length ? Math.max(...rss) : null, 1),
    fanout_100k_rss_mb_embedded: round(fanout('embedded')?.peakRssMb, 1),
    fanout_100k_rss_mb_postgres: round(fanout('postgres')?.peakRssMb, 1),
    /** The peak over the fanout request alone. */
    fanout_100k_request_peak_rss_mb_embedded: round(fanout('embedded')?.fanoutPeakRssMb, 1),
    fanout_100k_request_peak_rss_mb_postgres: round(fanout('postgres')?.fanoutPeakRssMb, 1),
    startup_ms_postgres: round(startupMs, 0),
    startup_floor_ms: round(startupFloorMs, 0),
    /** Times against their floors: the floor's time over Herald's (1: at the floor). */
    startup_vs_floor: round(startupMs && startupFloorMs ? startupFloorMs / startupMs : null, 3),
    fanout_100k_vs_floor: round(
      fanout('postgres')?.ms && figures.fanout_100k_floor_ms ? figures.fanout_100k_floor_ms / (fanout('postgres')?.ms as number) : null,
      3,
    ),
    /** Against stock Yoga running the floor's SQL (bench/targets/yoga-sql.ts), same database, same run. */
    send_postgres_vs_yoga_sql: round(ratio(rps('send-postgres'), rps('yoga-sql-send')), 3),
    typename_key_postgres_vs_yoga_sql: round(ratio(rps('herald-typename-key-postgres'), rps('yoga-sql-typename-key')), 3),
    send_persisted_postgres_vs_floor: round(ratio(rps('send-persisted-postgres'), rps('floor-send')), 3),
    ...Object.fromEntries(Object.entries(figures).map(([key, value]) => [key, round(value, 3)])),
    /** Which of the keys above the parts measured on their own (printed after the tables). */
    figure_keys: Object.keys(figures),
    rows: ordered.map(({ name, database, load }) => ({
      name,
      database,
      rps: round(load.rps, 1),
      p50_ms: load.p50Ms,
      p99_ms: load.p99Ms,
      errors: load.errors,
      requests: load.requests,
      server_cpu_ms_per_request: round(load.serverCpuMsPerRequest, 3),
      vs_yoga_hello: round(versus(load.rps), 3),
    })),
    fanouts: fanouts.map(({ database, result }) => ({
      database,
      ms: round(result.ms, 1),
      peak_rss_mb: round(result.peakRssMb, 1),
      request_peak_rss_mb: round(result.fanoutPeakRssMb, 1),
      rss_before_mb: round(result.rssBeforeMb, 1),
    })),
    failures,
  };
}

export type Summary = ReturnType<typeof summarize>;

export function render(summary: Summary): string {
  const load = table(
    ['row', 'database', 'req/s', 'p50 ms', 'p99 ms', 'errors', 'vs yoga-hello', 'server CPU ms/req'],
    summary.rows.map((r) => [
      r.name,
      r.database,
      r.rps?.toFixed(0) ?? null,
      r.p50_ms,
      r.p99_ms,
      r.errors,
      r.vs_yoga_hello?.toFixed(3) ?? null,
      r.server_cpu_ms_per_request?.toFixed(2) ?? null,
    ]),
  );
  const fanout = table(
    ['fanout-100k', 'wall ms', 'peak RSS MB', 'RSS before MB', 'peak RSS in request MB'],
    summary.fanouts.map((f) => [
      f.database,
      ...[f.ms, f.peak_rss_mb, f.rss_before_mb, f.request_peak_rss_mb].map((n) => n?.toFixed(0) ?? null),
    ]),
  );
  const { connections, seconds, warmup_seconds } = summary.settings;
  const lines = [
    `Herald bench: ${summary.cpu_cores} cores, Node ${summary.node_version}; ${connections} connections, ${warmup_seconds} s warm-up + ${seconds} s per row`,
    '',
    load,
    '',
    fanout,
    '',
    `against the floor (node:http + pg, same database): send ${summary.send_postgres_vs_floor ?? '-'}, key check ${summary.typename_key_postgres_vs_floor ?? '-'}; send embedded vs PostgreSQL: ${summary.send_embedded_vs_postgres ?? '-'}`,
    `against stock Yoga with the floor's SQL: send ${summary.send_postgres_vs_yoga_sql ?? '-'}, key check ${summary.typename_key_postgres_vs_yoga_sql ?? '-'}; send by hash (persisted) vs floor: ${summary.send_persisted_postgres_vs_floor ?? '-'}`,
    `startup of dist/main.js on PostgreSQL (nothing to migrate): ${summary.startup_ms_postgres ?? '-'} ms, floor ${summary.startup_floor_ms ?? '-'} ms (vs floor ${summary.startup_vs_floor ?? '-'}); fanout-100k vs floor ${summary.fanout_100k_vs_floor ?? '-'}`,
    `key verification overhead: ${summary.key_verification_overhead ?? '-'} embedded (cached for good), ${summary.key_verification_overhead_postgres ?? '-'} PostgreSQL (cached under the lease, AUTH_CACHE_MS)`,
    `safe sending (rate-limited key + Idempotency-Key) vs send: ${summary.send_postgres_limited_vs_send_postgres ?? '-'} with the limits in Redis, ${summary.send_postgres_limited_pgstore_vs_send_postgres_pgstore ?? '-'} in PostgreSQL; send with Redis vs PostgreSQL limits: ${summary.send_postgres_vs_send_postgres_pgstore ?? '-'}`,
  ];
  if (summary.figure_keys.length) {
    const values = summary as unknown as Record<string, number | null>;
    lines.push('', ...summary.figure_keys.map((key) => `${key}: ${values[key] ?? '-'}`));
  }
  if (summary.failures.length) lines.push('', 'FAILED:', ...summary.failures.map((f) => `  ${f}`));
  return lines.join('\n');
}

export async function writeSummary(summary: Summary): Promise<void> {
  await writeFile(RESULTS_PATH, `${JSON.stringify(summary, null, 2)}\n`);
}
