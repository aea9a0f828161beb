// Where each key's TAT lives: this process's memory (the embedded database has
// one process), or Redis, shared by a fleet (./redis.ts).
import type { WorkScope } from '../db/deadline.ts';
import { gcra, PERIOD_MS, type RateDecision } from './gcra.ts';

export interface RateLimiter {
  /** Counts one request of the key against `limit` a minute, if it is allowed; `work`: the request's scope, for a limiter in the database. */
  take(keyId: string, limit: number, work?: WorkScope): Promise<RateDecision>;
  close(): Promise<void>;
}

export class MemoryRateLimiter implements RateLimiter {
  private readonly tats = new Map<string, number>();

  constructor(private readonly clock: () => number = Date.now) {}

  async take(keyId: string, limit: number): Promise<RateDecision> {
    const now = this.clock();
    if (this.tats.size > 100_000) for (const [id, tat] of this.tats) if (tat <= now) this.tats.delete(id);
    const decision = gcra(this.tats.get(keyId) ?? null, now, limit);
    if (decision.allowed) this.tats.set(keyId, decision.tat);
    return decision;
  }

  async close(): Promise<void> {}
}

export { PERIOD_MS };
