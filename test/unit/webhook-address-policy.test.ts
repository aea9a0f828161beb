// The SSRF rules, each refusal beside its allowed twin.
import { describe, expect, test } from 'vitest';
import { type AddressPolicy, checkUrlForm, checkWebhookUrl, connectLookup, specialAddress } from '../../src/webhooks/address-policy.ts';

const strict: AddressPolicy = { allowPrivateNetworks: false, production: false };
const production: AddressPolicy = { allowPrivateNetworks: false, production: true };
const lifted: AddressPolicy = { allowPrivateNetworks: true, production: true };

/** A resolver that answers from a table, as DNS would. */
const resolver = (table: Record<string, string[]>) => async (host: string) => {
  const addresses = table[host];
  if (!addresses) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: 'ENOTFOUND' });
  return addresses.map((address) => ({ address }));
};

describe('specialAddress', () => {
  test.each([
    ['127.0.0.1', 'loopback'],
    ['127.8.9.10', 'loopback'],
    ['10.0.0.1', 'private'],
    ['172.16.5.4', 'private'],
    ['172.31.255.255', 'private'],
    ['192.168.1.1', 'private'],
    ['100.64.0.1', 'carrierGradeNat'],
    ['169.254.169.254', 'linkLocal'],
    ['0.0.0.0', 'unspecified'],
    ['::', 'unspecified'],
    ['::1', 'loopback'],
    ['fe80::1', 'linkLocal'],
    ['fc00::1', 'uniqueLocal'],
    ['fd12:3456::1', 'uniqueLocal'],
    ['::ffff:127.0.0.1', 'loopback'],
    ['::ffff:10.1.2.3', 'private'],
    ['::ffff:169.254.169.254', 'linkLocal'],
    ['64:ff9b::a00:1', 'rfc6052'],
    ['2002:a00:1::', '6to4'],
    ['224.0.0.1', 'multicast'],
    ['255.255.255.255', 'broadcast'],
  ])('%s is refused (%s)', (address, range) => {
    expect(specialAddress(address)).toBe(range);
  });

  test.each(['8.8.8.8', '172.32.0.1', '172.15.255.255', '100.128.0.1', '192.169.0.1', '2001:4860:4860::8888', '::ffff:8.8.8.8'])(
    'its allowed twin: %s is public',
    (address) => {
      expect(specialAddress(address)).toBeNull();
    },
  );
});

describe('checkWebhookUrl when the endpoint is saved', () => {
  const dns = resolver({
    'hooks.example.com': ['93.184.215.14'],
    'internal.example.com': ['10.0.0.7'],
    'mixed.example.com': ['93.184.215.14', '192.168.0.10'],
    'mapped.example.com': ['::ffff:127.0.0.1'],
    'v6.example.com': ['2606:2800:21f:cb07:6820:80da:af6b:8b2c'],
  });

  test('a public name and a public address are allowed', async () => {
    expect(await checkWebhookUrl('https://hooks.example.com/in', strict, dns)).toMatchObject({ ok: true });
    expect(await checkWebhookUrl('https://v6.example.com/in', strict, dns)).toMatchObject({ ok: true });
    expect(await checkWebhookUrl('https://8.8.8.8/in', strict, dns)).toMatchObject({ ok: true });
    expect(await checkWebhookUrl('http://hooks.example.com/in', strict, dns)).toMatchObject({ ok: true });
  });

  test.each([
    ['http://127.0.0.1:8080/in', /loopback/],
    ['http://[::1]/in', /loopback/],
    ['http://10.1.2.3/in', /private/],
    ['http://100.64.1.1/in', /CGNAT/],
    ['http://169.254.169.254/latest/meta-data/', /link-local/],
    ['http://[fe80::1]/in', /link-local/],
    ['http://[fd00::1]/in', /unique-local/],
    ['http://0.0.0.0/in', /unspecified/],
    ['http://[::ffff:127.0.0.1]/in', /loopback/],
    ['http://2130706433/in', /loopback/],
    ['http://metadata.google.internal/computeMetadata/v1/', /metadata/],
    ['http://localhost:4000/', /local/],
    ['https://internal.example.com/in', /resolves to 10\.0\.0\.7, a private address/],
    ['https://mixed.example.com/in', /resolves to 192\.168\.0\.10/],
    ['https://mapped.example.com/in', /resolves to ::ffff:127\.0\.0\.1, a loopback/],
    ['https://nowhere.example.com/in', /does not resolve/],
    ['ftp://hooks.example.com/in', /https/],
    ['not a url', /valid absolute URL/],
    ['https://user:pw@hooks.example.com/in', /user name or password/],
  ])('%s is refused', async (url, reason) => {
    const check = await checkWebhookUrl(url, strict, dns);
    expect(check.ok).toBe(false);
    expect(check.ok ? '' : check.reason).toMatch(reason);
  });

  test('production: https only; its twin, https, is allowed', async () => {
    expect(await checkWebhookUrl('http://hooks.example.com/in', production, dns)).toMatchObject({ ok: false, reason: /https/ });
    expect(await checkWebhookUrl('https://hooks.example.com/in', production, dns)).toMatchObject({ ok: true });
  });

  test('WEBHOOK_ALLOW_PRIVATE_NETWORKS lifts both rules', async () => {
    expect(await checkWebhookUrl('http://127.0.0.1:8080/in', lifted, dns)).toMatchObject({ ok: true });
    expect(await checkWebhookUrl('http://internal.example.com/in', lifted, dns)).toMatchObject({ ok: true });
    expect(checkUrlForm('http://localhost/in', lifted)).toMatchObject({ ok: true });
    // Never anything but http(s).
    expect(await checkWebhookUrl('file:///etc/passwd', lifted, dns)).toMatchObject({ ok: false });
  });
});

describe('connectLookup when a delivery connects', () => {
  const lookup = (policy: AddressPolicy, host: string, all: boolean) =>
    new Promise<{ error: Error | null; address: unknown }>((resolve) =>
      connectLookup(policy)(host, { all }, (error, address) => resolve({ error, address })),
    );

  test('a name that resolves to loopback is refused at connect time, whatever it resolved to before', async () => {
    for (const all of [true, false]) {
      const { error } = await lookup(strict, 'localhost', all);
      expect(error?.message).toMatch(/loopback/);
      expect((error as NodeJS.ErrnoException).code).toBe('EREFUSEDADDRESS');
    }
  });

  test('its allowed twin: with WEBHOOK_ALLOW_PRIVATE_NETWORKS it connects, in both lookup forms', async () => {
    const many = await lookup(lifted, 'localhost', true);
    expect(many.error).toBeNull();
    expect(Array.isArray(many.address)).toBe(true);
    const one = await lookup(lifted, 'localhost', false);
    expect(one.error).toBeNull();
    expect(typeof one.address).toBe('string');
  });
});
