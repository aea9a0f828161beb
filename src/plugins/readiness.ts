import { useReadinessCheck } from 'graphql-yoga';
import type { LostUsage } from '../data/usage.ts';
import type { Database } from '../db/index.ts';

/** Shared with main.ts: the state of a shutdown. */
export interface Lifecycle {
  /** Once draining, readiness fails so the load balancer stops sending. */
  draining: boolean;
  /** When the shutdown must be over (ms since the epoch): what holds data writes it before then. */
  drainDeadline?: number;
  /** What the shutdown could not write (key usage): main.ts logs it and exits 1. */
  lost?: LostUsage[];
}

const answer = (status: number, body: Record<string, unknown>) =>
  new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json', 'cache-control': 'no-store' } });

/**
 * GET /ready: 200 when the database answers and has every migration; 503
 * while draining, with pending migrations, or when the database cannot serve:
 * `unreachable`, `saturated` (no connection free, or too many clients) or
 * `slow` (no answer within 600 ms). It answers within a second whatever the
 * database does: its own connection and deadline (src/db/probe.ts).
 */
export function useReadiness(db: Database, lifecycle: Lifecycle) {
  return useReadinessCheck({
    endpoint: '/ready',
    async check() {
      if (lifecycle.draining) return answer(503, { status: 'draining' });
      const readiness = await db.probe.check();
      if (readiness.ready) return answer(200, { status: 'ready' });
      const { ready: _ready, ...why } = readiness;
      return answer(503, why);
    },
  });
}
