// Where a webhook may be sent (SSRF): never to loopback, private, shared
// (CGNAT), link-local, unique-local, unspecified or otherwise special addresses,
// nor to cloud metadata names; https only in production. Checked when an
// endpoint is saved (checkWebhookUrl) and again when a delivery connects
// (connectLookup): DNS may answer differently between the two, and the address
// connected to is the one checked. WEBHOOK_ALLOW_PRIVATE_NETWORKS=true lifts
// every rule (tests, development).
import dns from 'node:dns';
import ipaddr from 'ipaddr.js';

export interface AddressPolicy {
  /** WEBHOOK_ALLOW_PRIVATE_NETWORKS: no address rule, and http in production. */
  allowPrivateNetworks: boolean;
  /** NODE_ENV=production: https only. */
  production: boolean;
}

export type Resolve = (hostname: string) => Promise<{ address: string }[]>;

/** Names of cloud metadata services, refused whatever they resolve to. */
const METADATA_NAMES = new Set(['metadata', 'metadata.google.internal', 'metadata.goog', 'instance-data', 'instance-data.ec2.internal']);

export const MAX_URL_LENGTH = 2_048;

/**
 * What kind of special address this is (e.g. "loopback", "private"), or null
 * for an ordinary public unicast address. An IPv4-mapped IPv6 address is
 * judged as the IPv4 address it maps; so are NAT64, 6to4 and Teredo forms,
 * which carry an IPv4 address too (all refused: they are not plain unicast).
 */
export function specialAddress(address: string): string | null {
  if (!ipaddr.isValid(address)) return 'invalid';
  let parsed = ipaddr.parse(address);
  if (parsed.kind() === 'ipv6' && (parsed as ipaddr.IPv6).isIPv4MappedAddress()) parsed = (parsed as ipaddr.IPv6).toIPv4Address();
  const range = parsed.range();
  return range === 'unicast' ? null : range;
}

const DESCRIBED: Record<string, string> = {
  loopback: 'a loopback address',
  private: 'a private address',
  carrierGradeNat: 'a shared (CGNAT) address',
  linkLocal: 'a link-local address (cloud metadata lives there)',
  uniqueLocal: 'a unique-local address',
  unspecified: 'the unspecified address',
};

const describe = (range: string) => DESCRIBED[range] ?? `a special-purpose address (${range})`;

/** Why an address may not be connected to, or null when it may. */
export function refusedAddress(address: string, policy: AddressPolicy): string | null {
  if (policy.allowPrivateNetworks) return null;
  const range = specialAddress(address);
  return range === null ? null : `${address}, ${describe(range)}`;
}

export type UrlCheck = { ok: true; url: URL } | { ok: false; reason: string };

const hostOf = (url: URL) =>
  url.hostname
    .replace(/^\[|\]$/g, '')
    .replace(/\.$/, '')
    .toLowerCase();

/** Everything about a URL that needs no DNS: its form, its scheme, a literal address, a metadata name. */
export function checkUrlForm(raw: string, policy: AddressPolicy): UrlCheck {
  if (raw.length > MAX_URL_LENGTH) return { ok: false, reason: `url must be at most ${MAX_URL_LENGTH} characters.` };
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return { ok: false, reason: 'url is not a valid absolute URL.' };
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return { ok: false, reason: 'url must be an https:// (or http://) URL.' };
  if (url.protocol === 'http:' && policy.production && !policy.allowPrivateNetworks) {
    return { ok: false, reason: 'url must be https:// in production.' };
  }
  if (url.username || url.password) return { ok: false, reason: 'url must not contain a user name or password.' };
  const host = hostOf(url);
  if (!host) return { ok: false, reason: 'url has no host.' };
  if (policy.allowPrivateNetworks) return { ok: true, url };
  if (METADATA_NAMES.has(host) || host === 'localhost' || host.endsWith('.localhost')) {
    return { ok: false, reason: `url may not point at ${host}: it is a local or cloud metadata name.` };
  }
  if (ipaddr.isValid(host)) {
    const refused = refusedAddress(host, policy);
    if (refused) return { ok: false, reason: `url may not point at ${refused}.` };
  }
  return { ok: true, url };
}

const resolveAll: Resolve = (hostname) => dns.promises.lookup(hostname, { all: true, verbatim: true });

/** The full check when an endpoint is saved: the form, then every address the host resolves to. */
export async function checkWebhookUrl(raw: string, policy: AddressPolicy, resolve: Resolve = resolveAll): Promise<UrlCheck> {
  const form = checkUrlForm(raw, policy);
  if (!form.ok || policy.allowPrivateNetworks) return form;
  const host = hostOf(form.url);
  if (ipaddr.isValid(host)) return form;
  let addresses: { address: string }[];
  try {
    addresses = await resolve(host);
  } catch {
    return { ok: false, reason: `url's host ${host} does not resolve.` };
  }
  if (addresses.length === 0) return { ok: false, reason: `url's host ${host} does not resolve.` };
  for (const { address } of addresses) {
    const refused = refusedAddress(address, policy);
    if (refused) return { ok: false, reason: `url's host ${host} resolves to ${refused}.` };
  }
  return form;
}

/** A connection refused by the policy at connect time (DNS answered differently than when the endpoint was saved). */
export class RefusedAddressError extends Error {
  readonly code = 'EREFUSEDADDRESS';
}

type LookupCallback = (error: NodeJS.ErrnoException | null, address: string | dns.LookupAddress[], family?: number) => void;

/**
 * The `lookup` of a delivery's request: resolves as Node would, then refuses
 * the connection when any address is refused, so that the address connected
 * to is one that was checked. (A literal address is never looked up: the
 * delivery checks it with checkUrlForm before it connects.)
 */
export function connectLookup(policy: AddressPolicy) {
  return (hostname: string, options: dns.LookupOptions, callback: LookupCallback): void => {
    dns.lookup(hostname, { ...options, all: true }, (error, addresses) => {
      if (error) return callback(error, []);
      for (const { address } of addresses) {
        const refused = refusedAddress(address, policy);
        if (refused) return callback(new RefusedAddressError(`${hostname} resolves to ${refused}`), []);
      }
      if (options.all) return callback(null, addresses);
      const [first] = addresses;
      if (!first) return callback(Object.assign(new Error(`${hostname} does not resolve`), { code: 'ENOTFOUND' }), []);
      callback(null, first.address, first.family);
    });
  };
}
