import { pino } from 'pino';
import { createHerald } from '../../src/yoga.ts';
import { ApiKeyLifecycle, Channels, CreateApiKey, UpdateApiKey } from '../support/documents.ts';
import { describe, expect, test } from '../support/fixtures.ts';
import { dataOf, errorOf, type TestHerald, testConfig } from '../support/herald.ts';

const channelsFrom = (herald: TestHerald, token: string, from: string, headers: Record<string, string> = {}) =>
  herald.execute(Channels, undefined, { token, from, headers });

describe('allowedIps', () => {
  test('a request from inside a block passes; from elsewhere, 403 FORBIDDEN naming the key and the address', async ({
    account,
    herald,
  }) => {
    const key = await account.key({ kind: 'ALL' }, 'Office only', { allowedIps: ['203.0.113.0/24', '2001:db8::/32'] });
    dataOf(await channelsFrom(herald, key.secret, '203.0.113.10'));
    dataOf(await channelsFrom(herald, key.secret, '::ffff:203.0.113.10'));
    dataOf(await channelsFrom(herald, key.secret, '2001:db8::7'));
    const before = await account.snapshot();
    expect(errorOf(await channelsFrom(herald, key.secret, '198.51.100.4'))).toEqual({
      code: 'FORBIDDEN',
      status: 403,
      message: 'API key "Office only" may not be used from 198.51.100.4.',
    });
    const send = await herald.execute('mutation { send(input: { message: { title: "T", body: "B" } }) { message { id } } }', undefined, {
      token: key.secret,
      from: '198.51.100.4',
    });
    expect(errorOf(send).code).toBe('FORBIDDEN');
    expect(await account.snapshot()).toEqual(before);
  });

  test('X-Forwarded-For counts only from a proxy named in TRUST_PROXY', async ({ account, herald }) => {
    const key = await account.key({ kind: 'ALL' }, 'Behind a proxy', { allowedIps: ['203.0.113.0/24'] });
    // No trusted proxy: the header is ignored, the connection (loopback) is the client.
    expect(errorOf(await channelsFrom(herald, key.secret, '127.0.0.1', { 'x-forwarded-for': '203.0.113.10' })).code).toBe('FORBIDDEN');
    // The same database behind a server that trusts the proxies of 10.0.0.0/8.
    const proxied = await createHerald({
      config: testConfig({ trustProxy: ['10.0.0.0/8'] }),
      db: herald.db,
      logger: pino({ level: 'silent' }),
    });
    const ask = async (from: string, forwarded: string) => {
      const response = await proxied.fetch(
        'http://herald.test/graphql',
        {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${key.secret}`, 'x-forwarded-for': forwarded },
          body: JSON.stringify({ query: '{ channels { slug } }' }),
        },
        { req: { socket: { remoteAddress: from } } },
      );
      return { status: response.status, body: await response.json() };
    };
    // Through the trusted proxy: the nearest untrusted hop is the client.
    expect(await ask('10.0.0.2', '198.51.100.4, 203.0.113.10')).toMatchObject({ status: 200 });
    const spoofed = await ask('10.0.0.2', '203.0.113.10, 198.51.100.4');
    expect(spoofed.body.errors[0].message).toBe('API key "Behind a proxy" may not be used from 198.51.100.4.');
    // From a connection that is not a trusted proxy: its header is ignored.
    const direct = await ask('198.51.100.9', '203.0.113.10');
    expect(direct.body.errors[0].message).toBe('API key "Behind a proxy" may not be used from 198.51.100.9.');
    await proxied.dispose();
  });

  test('stored canonical, replaced by updateApiKey, emptied to allow anywhere; the change holds on the next request', async ({
    account,
    herald,
  }) => {
    const created = await account.run(CreateApiKey, {
      input: { name: 'K', scope: { kind: 'ALL' }, allowedIps: ['203.0.113.7', '10.9.8.7/8', '10.0.0.0/8'] },
    });
    const { secret, apiKey } = dataOf(created).createApiKey;
    expect(apiKey.allowedIps).toEqual(['203.0.113.7/32', '10.0.0.0/8']);
    dataOf(await channelsFrom(herald, secret, '10.1.1.1'));
    dataOf(await account.run(UpdateApiKey, { input: { id: apiKey.id, allowedIps: ['192.0.2.0/24'] } }));
    expect(errorOf(await channelsFrom(herald, secret, '10.1.1.1')).code).toBe('FORBIDDEN');
    dataOf(await channelsFrom(herald, secret, '192.0.2.1'));
    dataOf(await account.run(UpdateApiKey, { input: { id: apiKey.id, name: 'Renamed' } }));
    expect(dataOf(await account.run(ApiKeyLifecycle, { id: apiKey.id })).apiKey?.allowedIps).toEqual(['192.0.2.0/24']);
    dataOf(await account.run(UpdateApiKey, { input: { id: apiKey.id, allowedIps: [] } }));
    dataOf(await channelsFrom(herald, secret, '10.1.1.1'));
  });

  test('a malformed block or more than 100: BAD_USER_INPUT naming it, nothing written', async ({ account }) => {
    const key = await account.key({ kind: 'ALL' });
    const before = await account.snapshot();
    const created = await account.run(CreateApiKey, {
      input: { name: 'X', scope: { kind: 'ALL' }, allowedIps: ['10.0.0.0/8', '10.0.0.0/33'] },
    });
    expect(errorOf(created)).toMatchObject({ code: 'BAD_USER_INPUT' });
    expect(errorOf(created).message).toContain('"10.0.0.0/33"');
    const many = Array.from({ length: 101 }, (_, i) => `10.${i}.0.0/16`);
    const updated = await account.run(UpdateApiKey, { input: { id: key.id, allowedIps: many } });
    expect(errorOf(updated)).toMatchObject({ code: 'BAD_USER_INPUT', message: 'allowedIps may hold at most 100 blocks (it has 101).' });
    expect(await account.snapshot()).toEqual(before);
  });

  test('a refused address spends none of the key’s rate limit', async ({ account, herald }) => {
    const key = await account.key({ kind: 'ALL' }, 'K', { allowedIps: ['203.0.113.0/24'], rateLimitPerMinute: 2 });
    for (let i = 0; i < 5; i += 1) expect((await channelsFrom(herald, key.secret, '198.51.100.1')).status).toBe(403);
    const allowed = await channelsFrom(herald, key.secret, '203.0.113.1');
    expect(allowed.status).toBe(200);
    expect(allowed.headers.get('ratelimit-remaining')).toBe('1');
  });
});
