import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { gcra, PERIOD_MS } from '../../src/rate-limits/gcra.ts';

/** Runs requests at the given times (ms) against one key; returns which were allowed. */
function run(limit: number, times: number[]): boolean[] {
  let tat: number | null = null;
  return times.map((now) => {
    const decision = gcra(tat, now, limit);
    tat = decision.tat;
    return decision.allowed;
  });
}

describe('gcra', () => {
  test('a fresh key: limit requests at once, each showing what remains, then refused with the wait for one more', () => {
    let tat: number | null = null;
    const remaining: number[] = [];
    for (let i = 0; i < 10; i += 1) {
      const decision = gcra(tat, 0, 10);
      expect(decision.allowed).toBe(true);
      remaining.push(decision.remaining);
      tat = decision.tat;
    }
    expect(remaining).toEqual([9, 8, 7, 6, 5, 4, 3, 2, 1, 0]);
    const refused = gcra(tat, 0, 10);
    expect(refused).toMatchObject({ allowed: false, remaining: 0, retryAfterMs: 6_000, resetMs: 60_000 });
    expect(refused.tat).toBe(tat);
  });

  test('one request back every 60/limit seconds', () => {
    const burst = Array.from({ length: 10 }, () => 0);
    expect(run(10, [...burst, 5_999, 6_000, 6_001])).toEqual([...burst.map(() => true), false, true, false]);
  });

  test('no double burst at a window edge: a full burst at 59.9 s leaves nothing at 60.1 s', () => {
    const late = Array.from({ length: 100 }, () => 59_900);
    const early = Array.from({ length: 100 }, () => 60_100);
    const allowed = run(100, [...late, ...early]);
    expect(allowed.slice(0, 100).every(Boolean)).toBe(true);
    // 200 ms later, a fixed window would allow 100 more; GCRA allows what 200 ms earns at 100 a minute: none.
    expect(allowed.slice(100).filter(Boolean)).toHaveLength(0);
  });

  test('after a minute without requests the whole allowance is back', () => {
    const allowed = run(3, [0, 0, 0, 0, 60_000, 60_000, 60_000, 60_000]);
    expect(allowed).toEqual([true, true, true, false, true, true, true, false]);
  });

  test('generated request times: never more than limit + elapsed·limit/minute requests since any moment', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 50 }),
        fc.array(fc.integer({ min: 0, max: 5 * PERIOD_MS }), { minLength: 1, maxLength: 300 }),
        (limit, raw) => {
          const times = [...raw].sort((a, b) => a - b);
          const allowed = run(limit, times);
          const passed = times.filter((_, i) => allowed[i]);
          for (let i = 0; i < passed.length; i += 1) {
            for (let j = i; j < passed.length; j += 1) {
              const bound = limit + Math.floor(((passed[j] - passed[i]) * limit) / PERIOD_MS);
              expect(j - i + 1).toBeLessThanOrEqual(bound);
            }
          }
        },
      ),
      { numRuns: 200 },
    );
  });
});
