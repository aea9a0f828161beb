// Which addresses a key may be used from: CIDR blocks, IPv4 or IPv6, parsed and
// matched by ipaddr.js (an IPv4-mapped IPv6 address is its IPv4 address).
import ipaddr from 'ipaddr.js';
import { BadUserInputError } from '../errors.ts';

export const MAX_ALLOWED_IP_BLOCKS = 100;

type Block = [ipaddr.IPv4 | ipaddr.IPv6, number];

/**
 * Only the plain forms: IPv4 as four decimal numbers (ipaddr.js would also read
 * 010.0.0.1 as octal 8.0.0.1, and 10.1 or 167772161 as 10.0.0.1), IPv6 with no
 * zone (%eth0 names an interface, not an address).
 */
function isPlainAddress(address: string): boolean {
  if (address.includes('%')) return false;
  const dotted = address.split(':').at(-1) ?? '';
  return !dotted.includes('.') ? address.includes(':') : ipaddr.IPv4.isValidFourPartDecimal(dotted);
}

function parseBlock(value: string): Block | null {
  const text = value.trim();
  if (!isPlainAddress(text.split('/')[0])) return null;
  try {
    if (text.includes('/')) {
      const [address, bits] = ipaddr.parseCIDR(text);
      // An IPv4 block written in IPv6 (::ffff:10.0.0.0/104) is the IPv4 block.
      if (address.kind() === 'ipv6' && (address as ipaddr.IPv6).isIPv4MappedAddress() && bits >= 96) {
        return [(address as ipaddr.IPv6).toIPv4Address(), bits - 96];
      }
      return [address, bits];
    }
    const address = ipaddr.process(text);
    return [address, address.kind() === 'ipv4' ? 32 : 128];
  } catch {
    return null;
  }
}

/** The blocks as stored: each canonical (network address / prefix length), duplicates dropped. */
export function parseAllowedIps(values: readonly string[], field = 'allowedIps'): string[] {
  if (values.length > MAX_ALLOWED_IP_BLOCKS) {
    throw new BadUserInputError(`${field} may hold at most ${MAX_ALLOWED_IP_BLOCKS} blocks (it has ${values.length}).`, field);
  }
  const blocks = values.map((value) => {
    const block = value.length <= 64 ? parseBlock(value) : null;
    if (!block) {
      throw new BadUserInputError(
        `${field}: ${JSON.stringify(value.slice(0, 64))} is not an IPv4 or IPv6 address or CIDR block (e.g. 203.0.113.0/24, 2001:db8::/32).`,
        field,
      );
    }
    const [address, bits] = block;
    const network =
      address.kind() === 'ipv4'
        ? ipaddr.IPv4.networkAddressFromCIDR(`${address}/${bits}`)
        : ipaddr.IPv6.networkAddressFromCIDR(`${address}/${bits}`);
    return `${network.toString()}/${bits}`;
  });
  return [...new Set(blocks)];
}

/** Parsed once per key, matched per request. */
export type AllowList = readonly Block[];

export function compileAllowList(blocks: readonly string[]): AllowList {
  return blocks.map((block) => ipaddr.parseCIDR(block));
}

/** An empty list allows every address; an address that does not parse is never allowed by a non-empty one. */
export function isAddressAllowed(list: AllowList, address: string): boolean {
  if (list.length === 0) return true;
  let parsed: ipaddr.IPv4 | ipaddr.IPv6;
  try {
    parsed = ipaddr.process(address);
  } catch {
    return false;
  }
  return list.some(([network, bits]) => network.kind() === parsed.kind() && parsed.match(network, bits));
}
