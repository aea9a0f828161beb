import { useReadinessCheck } from 'graphql-yoga';
import { type Database, pendingMigrations } from '../db/index.ts';

/** Shared with main.ts: once draining, readiness fails so the load balancer stops sending. */
export interface Lifecycle {
  draining: boolean;
}

const answer = (status: number, body: Record<string, unknown>) =>
  new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });

/** GET /ready: 200 when the database answers and has every migration; 503 otherwise or while draining. */
export function useReadiness(db: Database, lifecycle: Lifecycle) {
  return useReadinessCheck({
    endpoint: '/ready',
    async check() {
      if (lifecycle.draining) return answer(503, { status: 'draining' });
      let pending: string[];
      try {
        pending = await pendingMigrations(db);
      } catch {
        return answer(503, { status: 'database unreachable' });
      }
      if (pending.length > 0) return answer(503, { status: 'migrations pending', pending });
      return answer(200, { status: 'ready' });
    },
  });
}
