import { resolve } from 'node:path';
import { describe, expect, test } from 'vitest';
import { loadConfig, parseDatabaseUrl } from '../../src/config.ts';

describe('DATABASE_URL', () => {
  test.for([
    [undefined, { kind: 'embedded', dataDir: resolve('data/herald') }],
    ['', { kind: 'embedded', dataDir: resolve('data/herald') }],
    ['file:./somewhere/db', { kind: 'embedded', dataDir: resolve('somewhere/db') }],
    ['file:/tmp/herald-x', { kind: 'embedded', dataDir: '/tmp/herald-x' }],
    ['memory:', { kind: 'embedded', dataDir: null }],
    ['postgres://u@localhost:5432/db', { kind: 'postgres', url: 'postgres://u@localhost:5432/db' }],
    ['postgresql://u@localhost/db', { kind: 'postgres', url: 'postgresql://u@localhost/db' }],
  ] as const)('%j', ([value, expected]) => {
    expect(parseDatabaseUrl(value)).toEqual(expected);
  });

  test.for(['mysql://x', 'file:', 'postgres://', 'nonsense'])('%j is refused with a message naming DATABASE_URL', (value) => {
    expect(() => parseDatabaseUrl(value)).toThrow(/^DATABASE_URL: /);
  });
});

describe('settings', () => {
  test('defaults: port 4000, GraphiQL and introspection on in development', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({ port: 4000, graphiql: true, introspection: true, production: false });
  });

  test('production turns GraphiQL and introspection off and needs a JWT secret', () => {
    expect(() => loadConfig({ NODE_ENV: 'production' })).toThrow(/^AUTH_JWT_SECRET: /);
    const config = loadConfig({ NODE_ENV: 'production', AUTH_JWT_SECRET: 'x'.repeat(32) });
    expect(config).toMatchObject({ graphiql: false, introspection: false });
  });

  test.for([
    [{ PORT: 'abc' }, /^PORT: /],
    [{ PORT: '70000' }, /^PORT: /],
    [{ AUTH_JWT_SECRET: 'short' }, /^AUTH_JWT_SECRET: /],
    [{ AUTH_JWKS_URL: 'not a url' }, /^AUTH_JWKS_URL: /],
    [{ GRAPHIQL: 'maybe' }, /^GRAPHIQL: /],
    [{ LOG_LEVEL: 'loud' }, /^LOG_LEVEL: /],
  ] as const)('%j is refused naming the variable', ([env, message]) => {
    expect(() => loadConfig(env)).toThrow(message);
  });
});

describe('under faults', () => {
  test('defaults: a 10 s deadline, 500 requests in flight, 1 s for a Redis command', () => {
    expect(loadConfig({})).toMatchObject({ requestTimeoutMs: 10_000, maxRequestsInFlight: 500, redisCommandTimeoutMs: 1_000 });
    expect(loadConfig({ REQUEST_TIMEOUT_MS: '2500', MAX_REQUESTS_IN_FLIGHT: '64', REDIS_COMMAND_TIMEOUT_MS: '300' })).toMatchObject({
      requestTimeoutMs: 2_500,
      maxRequestsInFlight: 64,
      redisCommandTimeoutMs: 300,
    });
  });

  test.for([
    [{ REQUEST_TIMEOUT_MS: '0' }, /^REQUEST_TIMEOUT_MS: must be a number of milliseconds from 100 to 600000$/],
    [{ REQUEST_TIMEOUT_MS: '10s' }, /^REQUEST_TIMEOUT_MS: /],
    [{ MAX_REQUESTS_IN_FLIGHT: '0' }, /^MAX_REQUESTS_IN_FLIGHT: /],
    [{ MAX_REQUESTS_IN_FLIGHT: 'lots' }, /^MAX_REQUESTS_IN_FLIGHT: /],
    [{ REDIS_COMMAND_TIMEOUT_MS: '5' }, /^REDIS_COMMAND_TIMEOUT_MS: /],
  ] as const)('%j is refused naming the variable', ([env, message]) => {
    expect(() => loadConfig(env)).toThrow(message);
  });
});

describe('the authentication cache on PostgreSQL', () => {
  test('a 250 ms lease by default; 0 turns it off; up to 5 s', () => {
    expect(loadConfig({}).authCacheMs).toBe(250);
    expect(loadConfig({ AUTH_CACHE_MS: '0' }).authCacheMs).toBe(0);
    expect(loadConfig({ AUTH_CACHE_MS: '5000' }).authCacheMs).toBe(5_000);
  });

  test.for(['5001', '-1', '1s'])('AUTH_CACHE_MS=%s is refused naming the variable', (value) => {
    expect(() => loadConfig({ AUTH_CACHE_MS: value })).toThrow(/^AUTH_CACHE_MS: must be a number of milliseconds from 0 to 5000$/);
  });

  test("a key's edit waits the lease out within its request: at most half the deadline, a quarter of it by default", () => {
    expect(loadConfig({ REQUEST_TIMEOUT_MS: '400' }).authCacheMs).toBe(100);
    expect(loadConfig({ REQUEST_TIMEOUT_MS: '400', AUTH_CACHE_MS: '200' }).authCacheMs).toBe(200);
    expect(() => loadConfig({ REQUEST_TIMEOUT_MS: '400', AUTH_CACHE_MS: '201' })).toThrow(
      /^AUTH_CACHE_MS: must be at most half of REQUEST_TIMEOUT_MS \(400\)/,
    );
  });
});
