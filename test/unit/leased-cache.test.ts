import { afterEach, describe, expect, test, vi } from 'vitest';
import { LeasedCache } from '../../src/data/leased-cache.ts';

afterEach(() => vi.useRealTimers());

describe('the leased cache authentication reads from', () => {
  test('a fleet entry serves for the lease from when its read was sent, then is gone', () => {
    vi.useFakeTimers({ toFake: ['performance'] });
    const cache = LeasedCache.forFleet<string>(200);
    const lease = cache.begin();
    vi.advanceTimersByTime(50); // the read's round trip
    cache.set('k', 'v', lease);
    vi.advanceTimersByTime(149);
    expect(cache.get('k')).toBe('v');
    vi.advanceTimersByTime(1);
    expect(cache.get('k')).toBeUndefined();
  });

  test('one process: an entry serves until a write drops it', () => {
    vi.useFakeTimers({ toFake: ['performance'] });
    const cache = LeasedCache.forProcess<string>();
    cache.set('k', 'v', cache.begin());
    vi.advanceTimersByTime(86_400_000);
    expect(cache.get('k')).toBe('v');
    cache.drop((value) => value === 'v');
    expect(cache.get('k')).toBeUndefined();
  });

  test('a read that started before a drop does not store what it read; one that started after does', () => {
    const cache = LeasedCache.forFleet<string>(1_000);
    const before = cache.begin();
    cache.drop((_value, key) => key === 'other');
    cache.set('k', 'stale', before);
    expect(cache.get('k')).toBeUndefined();
    cache.set('k', 'fresh', cache.begin());
    expect(cache.get('k')).toBe('fresh');
  });

  test('a drop takes only the entries it picks', () => {
    const cache = LeasedCache.forProcess<{ id: string }>();
    cache.set('a1', { id: 'a' }, cache.begin());
    cache.set('a2', { id: 'a' }, cache.begin());
    cache.set('b1', { id: 'b' }, cache.begin());
    cache.drop((entry) => entry.id === 'a');
    expect([cache.get('a1'), cache.get('a2'), cache.get('b1')]).toEqual([undefined, undefined, { id: 'b' }]);
  });

  test('at its size, the oldest entry makes room', () => {
    const cache = LeasedCache.forProcess<number>(2);
    for (const [i, key] of ['a', 'b', 'c'].entries()) cache.set(key, i, cache.begin());
    expect([cache.get('a'), cache.get('b'), cache.get('c')]).toEqual([undefined, 1, 2]);
  });

  test('a fleet write settles after the lease and more; one process settles at once', async () => {
    const fleet = LeasedCache.forFleet<string>(120);
    let started = performance.now();
    await fleet.settled();
    expect(performance.now() - started).toBeGreaterThanOrEqual(120);
    const single = LeasedCache.forProcess<string>();
    started = performance.now();
    await single.settled();
    expect(performance.now() - started).toBeLessThan(20);
  });

  test('a fleet lease is a positive, finite number of milliseconds', () => {
    for (const ms of [0, -1, Number.POSITIVE_INFINITY, Number.NaN]) expect(() => LeasedCache.forFleet(ms)).toThrow(RangeError);
  });
});
