import type { IncomingMessage } from 'node:http';
import net from 'node:net';
import proxyaddr from 'proxy-addr';
import type { TrustProxy } from '../config';

/** Whether the address at `hop` (0: the socket's peer) is a proxy whose X-Forwarded-For is believed. */
export type TrustsProxy = (address: string, hop: number) => boolean;

/** TRUST_PROXY as proxy-addr (and Express's `trust proxy` setting) take it. */
export function trustedProxies(trust: TrustProxy): TrustsProxy {
  if (trust === false) return () => false;
  if (typeof trust === 'number') return (_address, hop) => hop < trust;
  return proxyaddr.compile([...trust]);
}

/**
 * The client's address for an HTTP request or a WebSocket upgrade, the same way for both: the
 * socket's peer, or behind trusted proxies the nearest address in X-Forwarded-For that is not one of
 * them. IPv4 reached over IPv6 (`::ffff:192.0.2.1`) is written as IPv4.
 */
export function clientAddressOf(request: IncomingMessage, trusts: TrustsProxy): string {
  if (!request.socket.remoteAddress) return 'unknown';
  const address = proxyaddr(request, trusts);
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  return mapped ? mapped[1] : address;
}

/**
 * What the rate limit counts a client address as: IPv4 addresses one by one, IPv6 addresses by
 * their /64, the block one subscriber (a household, a server) is usually given: counted one by one,
 * a single client could spend a fresh budget from each of its 2^64 addresses.
 */
export function rateLimitedNetwork(address: string): string {
  const bare = address.replace(/%.*$/, '');
  if (net.isIP(bare) !== 6) return address;
  const [head, tail] = bare.split('::');
  const groups = (part: string | undefined) => (part ? part.split(':').flatMap((g) => (g.includes('.') ? ['0', '0'] : [g])) : []);
  const front = groups(head);
  const back = groups(tail);
  const all = tail === undefined ? front : [...front, ...Array<string>(Math.max(0, 8 - front.length - back.length)).fill('0'), ...back];
  return `${all.slice(0, 4).map((group) => parseInt(group, 16).toString(16)).join(':')}::/64`;
}
