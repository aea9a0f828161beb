// npm run bench -- --ablation: what each of Herald's features costs a request.
// For each feature (src/ablation.ts), a server without it runs beside the full
// server on the same database, and the send and typename-with-key rows are
// measured on both in alternating slices (full, ablated, ablated, full, …), so
// that the difference owes nothing to the machine's drift. Stock Yoga running
// the floor's SQL (bench/targets/yoga-sql.ts) and the floor itself are measured
// the same way against the full server. Written to bench/results/ablation.json.
import { writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { ABLATABLE, type Feature } from '../src/ablation.ts';
import { type LoadResult, type LoadSettings, measureLoad, type Workload } from './load.ts';
import type { Server } from './servers.ts';

export const ABLATION_PATH = resolve(import.meta.dirname, 'results/ablation.json');

export interface Variant {
  /** A feature switched off, or another server doing the same work. */
  name: Feature | 'yoga-sql' | 'floor';
  description: string;
  start(): Promise<Server>;
}

export interface Comparison {
  name: Variant['name'];
  description: string;
  workload: 'send' | 'typename-key';
  full: LoadResult;
  variant: LoadResult;
}

const SLICES = 4;

export function combine(slices: LoadResult[]): LoadResult {
  const requests = slices.reduce((n, s) => n + s.requests, 0);
  const cpu = slices.every((s) => s.serverCpuMsPerRequest !== null)
    ? slices.reduce((ms, s) => ms + (s.serverCpuMsPerRequest ?? 0) * s.requests, 0) / requests
    : null;
  return {
    rps: slices.reduce((n, s) => n + s.rps, 0) / slices.length,
    p50Ms: Math.max(...slices.map((s) => s.p50Ms)),
    p99Ms: Math.max(...slices.map((s) => s.p99Ms)),
    errors: slices.reduce((n, s) => n + s.errors, 0),
    requests,
    serverCpuMsPerRequest: cpu,
  };
}

/** Load before the slices: a server started for the comparison must be as warm (JIT, prepared statements) as one that ran for minutes. */
const WARMUP_SECONDS = 5;

/** One workload on two servers in alternating slices: a b, b a, a b, b a, after a warm-up of each. */
export async function alternate(
  [a, workloadA]: [Server, Workload],
  [b, workloadB]: [Server, Workload],
  settings: LoadSettings,
): Promise<[LoadResult, LoadResult]> {
  const warmup = { ...settings, seconds: WARMUP_SECONDS, warmupSeconds: 1 };
  await measureLoad(workloadA, warmup);
  await measureLoad(workloadB, warmup);
  const slice = { ...settings, seconds: Math.max(1, Math.round(settings.seconds / SLICES)), warmupSeconds: 1 };
  const results: [LoadResult[], LoadResult[]] = [[], []];
  for (let i = 0; i < SLICES; i += 1) {
    for (const which of i % 2 === 0 ? [0, 1] : [1, 0]) {
      const [server, workload] = which === 0 ? [a, workloadA] : [b, workloadB];
      results[which].push(await measureLoad(workload, slice, server.cpuSeconds));
    }
  }
  return [combine(results[0]), combine(results[1])];
}

export const describeFeature = (feature: Feature) => ABLATABLE[feature];

const round = (value: number | null | undefined, digits: number) =>
  value == null || !Number.isFinite(value) ? null : Number(value.toFixed(digits));

export function summarizeAblation(settings: LoadSettings, comparisons: Comparison[]) {
  return {
    generated_at: new Date().toISOString(),
    node_version: process.version,
    settings: { connections: settings.connections, seconds_per_pair: settings.seconds },
    rows: comparisons.map(({ name, description, workload, full, variant }) => ({
      variant: name,
      description,
      workload,
      rps: round(variant.rps, 1),
      full_rps: round(full.rps, 1),
      /** Above 0: faster without the feature (or on the other server). */
      rps_change: round(full.rps ? variant.rps / full.rps - 1 : null, 3),
      server_cpu_ms_per_request: round(variant.serverCpuMsPerRequest, 3),
      full_server_cpu_ms_per_request: round(full.serverCpuMsPerRequest, 3),
      /** What the feature costs each request in server CPU (full minus without). */
      cpu_ms_saved: round(
        full.serverCpuMsPerRequest !== null && variant.serverCpuMsPerRequest !== null
          ? full.serverCpuMsPerRequest - variant.serverCpuMsPerRequest
          : null,
        3,
      ),
      errors: full.errors + variant.errors,
    })),
  };
}

export type AblationSummary = ReturnType<typeof summarizeAblation>;

export function renderAblation(summary: AblationSummary): string {
  const header = ['without', 'workload', 'req/s', 'full req/s', 'change', 'CPU ms/req', 'full CPU ms/req', 'CPU ms saved'];
  const lines = summary.rows.map((r) => [
    r.variant,
    r.workload,
    r.rps?.toFixed(0) ?? '-',
    r.full_rps?.toFixed(0) ?? '-',
    r.rps_change === null ? '-' : `${r.rps_change >= 0 ? '+' : ''}${(r.rps_change * 100).toFixed(1)} %`,
    r.server_cpu_ms_per_request?.toFixed(3) ?? '-',
    r.full_server_cpu_ms_per_request?.toFixed(3) ?? '-',
    r.cpu_ms_saved?.toFixed(3) ?? '-',
  ]);
  const cells = [header, ...lines];
  const widths = header.map((_, i) => Math.max(...cells.map((line) => line[i].length)));
  const render = (line: string[]) => line.map((cell, i) => (i < 2 ? cell.padEnd(widths[i]) : cell.padStart(widths[i]))).join('  ');
  return [render(header), widths.map((w) => '-'.repeat(w)).join('  '), ...lines.map(render)].join('\n');
}

export async function writeAblation(summary: AblationSummary): Promise<void> {
  await writeFile(ABLATION_PATH, `${JSON.stringify(summary, null, 2)}\n`);
}
