// Which failures mean "the database cannot serve" (503, not 500), whatever
// layer reports them, and the state of an outage: logged when it starts and
// when it ends, not per request.
import { GraphQLError } from 'graphql';
import { describe, expect, test, vi } from 'vitest';
import { classifyDatabaseFailure, DatabaseUnavailableError, OutageTracker, RequestAbandonedError } from '../../src/db/outage.ts';

const pgError = (code: string, message = 'x') => Object.assign(new Error(message), { code, severity: 'FATAL' });
const prismaError = (code: string, meta?: unknown) =>
  Object.assign(new Error('Invalid invocation'), { code, meta, clientVersion: '7.10.0' });
const adapterError = (cause: unknown) => prismaError('P2010', { driverAdapterError: { name: 'DriverAdapterError', cause } });

describe('what the database failing looks like', () => {
  test.for([
    ['admin shutdown', pgError('57P01', 'terminating connection due to administrator command'), 'unreachable'],
    ['starting up', pgError('57P03', 'the database system is starting up'), 'unreachable'],
    ['a connection exception', pgError('08006'), 'unreachable'],
    ['too many clients', pgError('53300', 'sorry, too many clients already'), 'saturated'],
    ['statement timeout or cancel', pgError('57014', 'canceling statement due to statement timeout'), 'slow'],
    ['lock timeout', pgError('55P03'), 'slow'],
    ['refused', Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' }), 'unreachable'],
    ['a socket that is gone', Object.assign(new Error('connect ENOENT /tmp/x/.s.PGSQL.5432'), { code: 'ENOENT' }), 'unreachable'],
    ['pg-pool out of connections', new Error('timeout exceeded when trying to connect'), 'saturated'],
    ['pg, connection dropped', new Error('Connection terminated unexpectedly'), 'unreachable'],
    ["Prisma can't reach it", prismaError('P1001'), 'unreachable'],
    ['Prisma transaction timeout', prismaError('P2028'), 'slow'],
    ['Prisma pool timeout', prismaError('P2024'), 'saturated'],
    ['a raw query, through the adapter', adapterError({ kind: 'postgres', code: '57014' }), 'slow'],
    ['the adapter, not reachable', adapterError({ kind: 'DatabaseNotReachable', host: 'h', port: 1 }), 'unreachable'],
    ['the adapter, too many connections', adapterError({ kind: 'TooManyConnections' }), 'saturated'],
    ['a deadline', new DatabaseUnavailableError('slow', 'deadline'), 'slow'],
  ] as const)('%s: %s', ([, error, reason]) => {
    expect(classifyDatabaseFailure(error)).toEqual({ reason });
    // Wrapped as a resolver's error reaches Yoga's maskError.
    expect(classifyDatabaseFailure(new GraphQLError('wrapped', { originalError: error }))).toEqual({ reason });
  });

  test.for([
    ['a unique violation', pgError('23505')],
    ['a missing table', prismaError('P2021')],
    ['a raw query that failed otherwise', adapterError({ kind: 'postgres', code: '42601' })],
    ['a file that is not there', Object.assign(new Error("ENOENT: no such file or directory, open 'x'"), { code: 'ENOENT' })],
    ['a plain bug', new TypeError("Cannot read properties of undefined (reading 'id')")],
  ] as const)('not the database failing: %s', ([, error]) => {
    expect(classifyDatabaseFailure(error)).toBeNull();
  });

  test('a client that went away is told apart: not the database’s failure', () => {
    expect(classifyDatabaseFailure(new RequestAbandonedError())).toEqual({ abandoned: true });
  });
});

describe('an outage', () => {
  function tracked() {
    let now = 0;
    const tracker = new OutageTracker(() => now);
    const events: string[] = [];
    tracker.subscribe({
      started: (reason) => events.push(`started ${reason}`),
      ended: ({ durationMs, refused, reasons }) => events.push(`ended ${durationMs} ${refused} ${JSON.stringify(reasons)}`),
    });
    return { tracker, events, at: (ms: number) => (now = ms) };
  }

  test('starts at the first failure and ends at the first success 2 s after the last failure, with the count of refused requests', () => {
    const { tracker, events, at } = tracked();
    tracker.succeeded();
    at(1_000);
    for (let i = 0; i < 40; i += 1) {
      tracker.failed('unreachable', new Error('x'));
      tracker.refused('unreachable');
    }
    tracker.failed('slow', new Error('x'));
    tracker.refused('slow');
    expect(events).toEqual(['started unreachable']);
    expect(tracker.available).toBe(false);
    // A lock fails some statements while others pass: no end yet.
    at(2_500);
    tracker.succeeded();
    expect(events).toHaveLength(1);
    at(3_000);
    tracker.succeeded();
    expect(events).toEqual(['started unreachable', 'ended 2000 41 {"unreachable":40,"slow":1}']);
    expect(tracker.available).toBe(true);
    expect(tracker.outages).toBe(1);
  });

  test('refusals outside an outage are not counted in the next one', () => {
    const { tracker, events, at } = tracked();
    tracker.refused('overloaded');
    tracker.failed('saturated', new Error('x'));
    at(5_000);
    tracker.succeeded();
    expect(events).toEqual(['started saturated', 'ended 5000 0 {}']);
  });

  test('while it lasts, the database is asked again once failures stopped: an outage ends even when no request comes', () => {
    vi.useFakeTimers();
    try {
      const asked: number[] = [];
      const tracker = new OutageTracker(
        () => Date.now(),
        () => asked.push(Date.now()),
      );
      const started = Date.now();
      tracker.failed('unreachable', new Error('x'));
      vi.advanceTimersByTime(1_500);
      expect(asked).toEqual([]);
      vi.advanceTimersByTime(1_000);
      expect(asked).toEqual([started + 2_000]);
      tracker.succeeded();
      expect(tracker.available).toBe(true);
      vi.advanceTimersByTime(5_000);
      expect(asked).toHaveLength(1);
    } finally {
      vi.useRealTimers();
    }
  });
});
