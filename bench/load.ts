import autocannon from 'autocannon';
import { requestHeaders } from './graphql.ts';

export interface LoadSettings {
  connections: number;
  seconds: number;
  warmupSeconds: number;
}

export interface Workload {
  url: string;
  query: string;
  /** A trusted document's hash: sent instead of the query (src/plugins/trusted-documents.ts). */
  documentId?: string;
  variables?: Record<string, unknown>;
  token?: string;
  /** Headers that differ on every request (an Idempotency-Key). */
  freshHeaders?: () => Record<string, string>;
  /** Checks every body under load, so it must be cheap. */
  accepts(body: string): boolean;
  /** Checks the one response before the load thoroughly; throws on a wrong answer. */
  validate?(response: { data?: unknown; errors?: unknown }): void;
}

export interface LoadResult {
  rps: number;
  p50Ms: number;
  p99Ms: number;
  /** Socket errors, timeouts, non-2xx statuses and bodies the workload refuses, warm-up included. */
  errors: number;
  requests: number;
  /** The server's own CPU time per request under load: less sensitive to a busy machine than req/s. */
  serverCpuMsPerRequest: number | null;
}

/** A workload whose every response must be exactly `expected`. */
export function exactly(expected: string): Pick<Workload, 'accepts'> {
  return { accepts: (body) => body === expected };
}

async function validate(workload: Workload, body: string): Promise<void> {
  const res = await fetch(workload.url, {
    method: 'POST',
    headers: { ...requestHeaders(workload.token), ...workload.freshHeaders?.() },
    body,
  });
  const text = await res.text();
  if (res.status !== 200 || !workload.accepts(text)) throw new Error(`validation request got ${res.status}: ${text.slice(0, 500)}`);
  workload.validate?.(JSON.parse(text));
}

async function fire(workload: Workload, body: string, connections: number, seconds: number) {
  let refused = 0;
  const result = await autocannon({
    url: workload.url,
    connections,
    duration: seconds,
    requests: [
      {
        method: 'POST',
        headers: requestHeaders(workload.token),
        body,
        ...(workload.freshHeaders
          ? {
              setupRequest: (request: autocannon.Request) => ({
                ...request,
                headers: { ...request.headers, ...workload.freshHeaders?.() },
              }),
            }
          : {}),
        onResponse: (status, responseBody) => {
          if (status < 200 || status > 299 || !workload.accepts(responseBody)) refused += 1;
        },
      },
    ],
  });
  return { result, errors: result.errors + refused };
}

export async function measureLoad(
  workload: Workload,
  settings: LoadSettings,
  serverCpuSeconds?: () => Promise<number>,
): Promise<LoadResult> {
  const variables = workload.variables ?? {};
  const body = JSON.stringify(workload.documentId ? { documentId: workload.documentId, variables } : { query: workload.query, variables });
  await validate(workload, body);
  const warmup = await fire(workload, body, settings.connections, settings.warmupSeconds);
  const cpuBefore = await serverCpuSeconds?.();
  const { result, errors } = await fire(workload, body, settings.connections, settings.seconds);
  const cpuAfter = await serverCpuSeconds?.();
  return {
    serverCpuMsPerRequest:
      cpuBefore === undefined || cpuAfter === undefined || !result.requests.total
        ? null
        : ((cpuAfter - cpuBefore) * 1000) / result.requests.total,
    rps: result.requests.average,
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    errors: warmup.errors + errors,
    requests: result.requests.total,
  };
}
