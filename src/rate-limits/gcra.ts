// Per-key rate limits by GCRA (the generic cell rate algorithm): a key may make
// `limit` requests a minute, in a burst or spread out, and then one each
// 60/limit seconds. One number per key (its theoretical arrival time, TAT) and
// no windows: there is no edge at which a second burst becomes allowed.
// The Redis store runs the same arithmetic in a script (./redis.ts).

export const PERIOD_MS = 60_000;

export interface RateDecision {
  allowed: boolean;
  limit: number;
  /** Requests still allowed right now. */
  remaining: number;
  /** Milliseconds until the key's full allowance is back. */
  resetMs: number;
  /** When refused: milliseconds until one more request is allowed. */
  retryAfterMs: number;
  /** The key's new TAT (epoch ms) to store; unchanged when refused. */
  tat: number;
}

/** `tat`: the key's stored TAT (epoch ms), or null when it has none (or it expired). */
export function gcra(tat: number | null, now: number, limit: number): RateDecision {
  const interval = PERIOD_MS / limit;
  const start = Math.max(tat ?? now, now);
  const next = start + interval;
  if (next - now > PERIOD_MS) {
    return { allowed: false, limit, remaining: 0, resetMs: start - now, retryAfterMs: next - now - PERIOD_MS, tat: start };
  }
  return {
    allowed: true,
    limit,
    // Rounded so that floating point cannot turn the last allowed request into "-1 remaining".
    remaining: Math.max(0, Math.floor((PERIOD_MS - (next - now)) / interval + 1e-9)),
    resetMs: next - now,
    retryAfterMs: 0,
    tat: next,
  };
}
