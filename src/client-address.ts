import type { IncomingMessage } from 'node:http';
import proxyaddr from 'proxy-addr';

export type ClientAddress = (request: Request, req: IncomingMessage | undefined) => string;

/**
 * The client's address: the connection's, or, when the connection comes from a
 * proxy named in TRUST_PROXY, the nearest untrusted hop of X-Forwarded-For
 * (proxy-addr walks the chain from the connection outwards).
 */
export function clientAddressResolver(trustProxy: readonly string[]): ClientAddress {
  const trust = proxyaddr.compile([...trustProxy]);
  return (request, req) => {
    const remoteAddress = req?.socket?.remoteAddress;
    if (!remoteAddress) return 'unknown';
    if (trustProxy.length === 0) return remoteAddress;
    const forwarded = request.headers.get('x-forwarded-for');
    return proxyaddr(
      { headers: forwarded ? { 'x-forwarded-for': forwarded } : {}, socket: { remoteAddress } } as unknown as IncomingMessage,
      trust,
    );
  };
}
