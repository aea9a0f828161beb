import { describe, expect, test } from 'vitest';
import { compileAllowList, isAddressAllowed, MAX_ALLOWED_IP_BLOCKS, parseAllowedIps } from '../../src/auth/ip-allowlist.ts';

describe('parseAllowedIps', () => {
  test('blocks and single addresses come back canonical, duplicates dropped', () => {
    expect(
      parseAllowedIps(['203.0.113.7', '10.1.2.3/8', ' 2001:DB8::1/32 ', '::1', '::ffff:192.0.2.0/120', '10.0.0.0/8', '0.0.0.0/0']),
    ).toEqual(['203.0.113.7/32', '10.0.0.0/8', '2001:db8::/32', '::1/128', '192.0.2.0/24', '0.0.0.0/0']);
  });

  test.for(['10.0.0.0/33', '::/129', '300.1.1.1', '10.0.0.1/-1', 'not-an-ip', '', '1.2.3.4/8/8', '10.0.0.0/8\u0000', 'x'.repeat(10_000)])(
    '%j: BAD_USER_INPUT naming the block',
    (block) => {
      expect(() => parseAllowedIps(['10.0.0.0/8', block])).toThrow(
        expect.objectContaining({ extensions: expect.objectContaining({ code: 'BAD_USER_INPUT', field: 'allowedIps' }) }),
      );
      try {
        parseAllowedIps([block]);
      } catch (error) {
        expect((error as Error).message).toContain(JSON.stringify(block.slice(0, 64)));
      }
    },
  );

  test(`at most ${MAX_ALLOWED_IP_BLOCKS} blocks`, () => {
    const blocks = (n: number) => Array.from({ length: n }, (_, i) => `10.${i}.0.0/16`);
    expect(parseAllowedIps(blocks(100))).toHaveLength(100);
    expect(() => parseAllowedIps(blocks(101))).toThrow('allowedIps may hold at most 100 blocks (it has 101).');
  });
});

describe('isAddressAllowed', () => {
  const list = compileAllowList(['203.0.113.0/24', '2001:db8::/32']);
  test.for([
    ['an address inside an IPv4 block', '203.0.113.9', true],
    ['the same address, IPv4-mapped IPv6 (a dual-stack socket)', '::ffff:203.0.113.9', true],
    ['an address outside', '198.51.100.1', false],
    ['the mapped form of an address outside', '::ffff:198.51.100.1', false],
    ['an IPv6 address inside', '2001:db8:1::5', true],
    ['an IPv6 address outside', '2001:db9::1', false],
    ['something that is not an address', 'unknown', false],
  ] as const)('%s: %s → %s', ([, address, allowed]) => {
    expect(isAddressAllowed(list, address)).toBe(allowed);
  });

  test('an empty list allows every address, even one that does not parse', () => {
    expect(isAddressAllowed(compileAllowList([]), '198.51.100.1')).toBe(true);
    expect(isAddressAllowed(compileAllowList([]), 'unknown')).toBe(true);
  });
});
