import type { Plugin } from 'graphql-yoga';
import type { LostUsage } from '../data/usage.ts';
import type { Database } from '../db/index.ts';
import { pathOf } from '../request-state.ts';

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
export function useReadiness(db: Database, lifecycle: Lifecycle): Plugin {
  const check = async () => {
    if (lifecycle.draining) return answer(503, { status: 'draining' });
    const readiness = await db.probe.check();
    if (readiness.ready) return answer(200, { status: 'ready' });
    const { ready: _ready, ...why } = readiness;
    return answer(503, why);
  };
  return {
    // Routed on the path's string: Yoga's own readiness plugin parsed every request's URL and
    // matched it against a URLPattern. Any other request passes at once, without a promise.
    onRequest({ request, endResponse }) {
      if (pathOf(request.url) !== '/ready') return;
      return check().then(endResponse);
    },
  };
}
