import { lookup } from 'node:dns/promises';
import { BlockList, isIP } from 'node:net';
import type { WebhookSettings } from '../config';

/**
 * Where the server may send a request on a client's behalf (webhook deliveries). A URL a client
 * registers must not turn the server into a probe of its own network: loopback, link-local (the
 * cloud metadata address 169.254.169.254 among them), private, unique-local and other non-public
 * addresses are refused unless the operator allows them (WEBHOOK_ALLOWED_ADDRESSES). The check is on
 * the addresses the host name resolves to, at registration and again at every delivery, and the
 * delivery connects to the address that was checked (no second lookup a rebinding DNS could answer
 * differently).
 */
export class DestinationRefused extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DestinationRefused';
  }
}

/** Ranges no client-chosen request may reach by default, each with the word the refusal uses. */
const NOT_PUBLIC: [string, number, 'ipv4' | 'ipv6', string][] = [
  ['0.0.0.0', 8, 'ipv4', 'unspecified'],
  ['10.0.0.0', 8, 'ipv4', 'private'],
  ['100.64.0.0', 10, 'ipv4', 'shared (carrier-grade NAT)'],
  ['127.0.0.0', 8, 'ipv4', 'loopback'],
  ['169.254.0.0', 16, 'ipv4', 'link-local'],
  ['172.16.0.0', 12, 'ipv4', 'private'],
  ['192.0.0.0', 24, 'ipv4', 'special-purpose'],
  ['192.168.0.0', 16, 'ipv4', 'private'],
  ['198.18.0.0', 15, 'ipv4', 'benchmarking'],
  ['224.0.0.0', 4, 'ipv4', 'multicast'],
  ['240.0.0.0', 4, 'ipv4', 'reserved'],
  ['::', 128, 'ipv6', 'unspecified'],
  ['::1', 128, 'ipv6', 'loopback'],
  ['fc00::', 7, 'ipv6', 'unique-local'],
  ['fe80::', 10, 'ipv6', 'link-local'],
  ['ff00::', 8, 'ipv6', 'multicast'],
  ['64:ff9b::', 96, 'ipv6', 'NAT64'],
  ['2001:db8::', 32, 'ipv6', 'documentation'],
];

const RANGES = NOT_PUBLIC.map(([network, prefix, family, word]) => {
  const list = new BlockList();
  list.addSubnet(network, prefix, family);
  return { list, family, word };
});

export interface Destination {
  url: URL;
  /** The checked address the request connects to. */
  address: string;
  family: 4 | 6;
}

type Resolve = (host: string) => Promise<{ address: string; family: number }[]>;

const systemResolve: Resolve = (host) => lookup(host, { all: true, verbatim: true });

export class DestinationPolicy {
  private readonly allowed = new BlockList();

  constructor(
    private readonly settings: Pick<WebhookSettings, 'allowHttp' | 'allowedAddresses'>,
    private readonly resolve: Resolve = systemResolve,
  ) {
    for (const entry of settings.allowedAddresses) {
      const [address, bits] = entry.split('/');
      const family = isIP(address) === 6 ? 'ipv6' : 'ipv4';
      if (bits === undefined) this.allowed.addAddress(address, family);
      else this.allowed.addSubnet(address, Number(bits), family);
    }
  }

  /** Parses and checks the URL's form only (scheme, credentials): what needs no DNS. */
  parse(text: string): URL {
    let url: URL;
    try {
      url = new URL(text);
    } catch {
      throw new DestinationRefused('is not an absolute URL');
    }
    if (url.protocol !== 'https:' && !(url.protocol === 'http:' && this.settings.allowHttp)) {
      throw new DestinationRefused(this.settings.allowHttp ? 'must be an https:// or http:// URL' : 'must be an https:// URL');
    }
    if (url.username || url.password) throw new DestinationRefused('must not carry a user name or password');
    if (url.hash) throw new DestinationRefused('must not have a #fragment');
    return url;
  }

  /** The URL and the address to connect to, or DestinationRefused naming why. */
  async check(text: string): Promise<Destination> {
    const url = this.parse(text);
    const host = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
    let addresses: { address: string; family: number }[];
    if (isIP(host)) {
      addresses = [{ address: host, family: isIP(host) }];
    } else {
      try {
        addresses = await this.resolve(host);
      } catch (error) {
        throw new DestinationRefused(`host ${host} does not resolve (${(error as NodeJS.ErrnoException).code ?? 'lookup failed'})`);
      }
      if (addresses.length === 0) throw new DestinationRefused(`host ${host} does not resolve`);
    }
    // Every address must pass: which one the connection would take is not ours to predict.
    for (const { address } of addresses) {
      const word = this.refusalOf(address);
      if (word) throw new DestinationRefused(`${host === address ? address : `${host} resolves to ${address}`}, a ${word} address, which this server does not send to`);
    }
    const first = addresses[0];
    return { url, address: first.address, family: first.family === 6 ? 6 : 4 };
  }

  /** Why the address may not be reached, or null when it may. */
  private refusalOf(address: string): string | null {
    const family = isIP(address) === 6 ? 'ipv6' : 'ipv4';
    if (this.allowed.check(address, family)) return null;
    // ::ffff:10.0.0.1 (URLs write it ::ffff:a00:1) is 10.0.0.1.
    const mapped = family === 'ipv6' ? mappedIpv4(address) : null;
    if (mapped) return this.refusalOf(mapped);
    for (const range of RANGES) {
      if (range.family === family && range.list.check(address, family)) return range.word;
    }
    return null;
  }
}

/** The IPv4 address inside an IPv4-mapped IPv6 address, in either notation, or null. */
function mappedIpv4(address: string): string | null {
  const dotted = /^(?:0{0,4}:){0,5}:?ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (dotted) return dotted[1];
  const hex = /^(?:0{0,4}:){0,5}:?ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/i.exec(address);
  if (!hex) return null;
  const high = parseInt(hex[1], 16);
  const low = parseInt(hex[2], 16);
  return `${high >> 8}.${high & 255}.${low >> 8}.${low & 255}`;
}
