import { describe, expect, test } from 'vitest';
import { generateSecret, hashSecret, isWellFormedSecret, KEY_PREFIX, looksLikeApiKey, sameHash } from '../../src/auth/api-keys.ts';

describe('API-key secrets', () => {
  test('have the recognisable prefix, ≥128 random bits and a display prefix that is not the secret', () => {
    const { secret, hash, prefix } = generateSecret();
    expect(secret.startsWith(KEY_PREFIX)).toBe(true);
    // 32 base62 characters: 32 · log2(62) ≈ 190 bits.
    expect(secret.length).toBe(KEY_PREFIX.length + 32 + 6);
    expect(secret.startsWith(prefix)).toBe(true);
    expect(prefix.length).toBeLessThan(secret.length / 3);
    expect(hash).toBe(hashSecret(secret));
    expect(hash).not.toContain(secret.slice(KEY_PREFIX.length));
  });

  test('are unique across many draws', () => {
    const secrets = new Set(Array.from({ length: 5000 }, () => generateSecret().secret));
    expect(secrets.size).toBe(5000);
  });

  test('a generated secret is well formed; one changed character breaks the checksum', () => {
    for (let i = 0; i < 200; i += 1) {
      const { secret } = generateSecret();
      expect(isWellFormedSecret(secret)).toBe(true);
      const at = KEY_PREFIX.length + (i % 38);
      const swapped = secret[at] === 'a' ? 'b' : 'a';
      expect(isWellFormedSecret(secret.slice(0, at) + swapped + secret.slice(at + 1))).toBe(false);
    }
  });

  test.for(['', 'hrld_', 'hrld_short', `hrld_${'a'.repeat(38)}`, `hrld_${'a'.repeat(39)}`, `xxxx_${'a'.repeat(38)}`, 'eyJhbGciOi.x.y'])(
    'malformed %j is refused',
    (token) => {
      expect(isWellFormedSecret(token)).toBe(false);
    },
  );

  test('keys and JWTs are told apart by the prefix', () => {
    expect(looksLikeApiKey(generateSecret().secret)).toBe(true);
    expect(looksLikeApiKey('eyJhbGciOiJIUzI1NiJ9.e30.x')).toBe(false);
  });

  test('hash comparison', () => {
    const a = hashSecret('one');
    expect(sameHash(a, hashSecret('one'))).toBe(true);
    expect(sameHash(a, hashSecret('two'))).toBe(false);
    expect(sameHash(a, 'abcd')).toBe(false);
  });
});
