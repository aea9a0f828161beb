import type { IncomingMessage } from 'node:http';
import ipaddr from 'ipaddr.js';
import proxyaddr from 'proxy-addr';

/** Parsed once per address: clients (and the proxies in front of them) are few, requests many. */
const plainAddresses = new Map<string, string>();
const MAX_REMEMBERED = 10_000;

/** A dual-stack socket reports IPv4 clients as ::ffff:a.b.c.d: messages and limits use a.b.c.d. */
function plain(address: string): string {
  let result = plainAddresses.get(address);
  if (result === undefined) {
    result = ipaddr.isValid(address) ? ipaddr.process(address).toString() : address;
    if (plainAddresses.size >= MAX_REMEMBERED) plainAddresses.clear();
    plainAddresses.set(address, result);
  }
  return result;
}

/** `forwardedFor`: the request's X-Forwarded-For header (a Fetch request's, or a socket's upgrade or stream request's). */
export type ClientAddress = (forwardedFor: string | null | undefined, req: Pick<IncomingMessage, 'socket'> | undefined) => string;

/**
 * The client's address: the connection's, or, when the connection comes from a
 * proxy named in TRUST_PROXY, the nearest untrusted hop of X-Forwarded-For
 * (proxy-addr walks the chain from the connection outwards).
 */
export function clientAddressResolver(trustProxy: readonly string[]): ClientAddress {
  const trust = proxyaddr.compile([...trustProxy]);
  return (forwarded, req) => {
    const remoteAddress = req?.socket?.remoteAddress;
    if (!remoteAddress) return 'unknown';
    if (trustProxy.length === 0) return plain(remoteAddress);
    const headers = forwarded ? { 'x-forwarded-for': forwarded } : {};
    return plain(proxyaddr({ headers, socket: { remoteAddress } } as unknown as IncomingMessage, trust));
  };
}
