// When a failed delivery is tried again: the configured schedule (Svix's by
// default: 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h after the first try), each
// wait with up to 10 % of jitter either way, so that an endpoint that was down
// is not met by every retry at the same instant. A delivery is given up
// after the last one; 5 days without a success disable the endpoint.

/** How long an endpoint may fail without a single success before it is disabled. */
export const DISABLE_AFTER_FAILING_MS = 5 * 24 * 3_600_000;

/** The wait before try `tries + 1`, after `tries` tries failed; null when none is left. */
export function retryDelay(tries: number, delays: readonly number[], random: () => number = Math.random): number | null {
  const base = delays[tries - 1];
  if (base === undefined) return null;
  return Math.round(base * (0.9 + 0.2 * random()));
}
