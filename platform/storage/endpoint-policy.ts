import { lookup } from 'node:dns/promises';
import { BlockList, isIP } from 'node:net';

/**
 * Which endpoints a tenant may make the server call (an S3-compatible service today, webhooks later).
 * A tenant administrator types the URL: without this, a tenant could make the server reach its own
 * network — the cloud metadata service, the database, an admin port (server-side request forgery).
 * Outside production, or with AUDIT_S3_ALLOW_PRIVATE_ENDPOINTS=true (self-hosting next to a private
 * MinIO), loopback and private addresses and plain http are allowed.
 */
const NON_PUBLIC = new BlockList();
for (const [net, bits] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10], // carrier-grade NAT
  ['127.0.0.0', 8],
  ['169.254.0.0', 16], // link-local: cloud metadata services
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['224.0.0.0', 4], // multicast
  ['240.0.0.0', 4], // reserved, broadcast
] as const)
  NON_PUBLIC.addSubnet(net, bits, 'ipv4');
for (const [net, bits] of [
  ['::', 128],
  ['::1', 128],
  ['fc00::', 7], // unique local
  ['fe80::', 10], // link-local
  ['ff00::', 8], // multicast
] as const)
  NON_PUBLIC.addSubnet(net, bits, 'ipv6');

/** Whether an IP address is loopback, private, link-local, multicast or reserved. */
export function isNonPublicAddress(address: string): boolean {
  const version = isIP(address);
  if (version === 4) return NON_PUBLIC.check(address, 'ipv4');
  if (version === 6) {
    const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address)?.[1];
    if (mapped) return NON_PUBLIC.check(mapped, 'ipv4');
    return NON_PUBLIC.check(address, 'ipv6');
  }
  return true;
}

/**
 * Checks the form of an endpoint URL; returns what is wrong, or null. https only (http too when private
 * endpoints are allowed), no credentials, query or fragment in the URL, and — unless allowed — no
 * literal non-public address or `localhost`.
 */
export function endpointProblem(raw: string, allowPrivate: boolean): string | null {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return 'must be an absolute URL such as https://s3.eu-west-3.amazonaws.com';
  }
  if (url.protocol !== 'https:' && !(allowPrivate && url.protocol === 'http:'))
    return allowPrivate ? 'must use https:// or http://' : 'must use https://';
  if (url.username || url.password) return 'must not contain credentials';
  if (url.search || url.hash) return 'must not contain a query or a fragment';
  if (!allowPrivate) {
    const host = url.hostname
      .replace(/^\[|\]$/g, '')
      .replace(/\.$/, '')
      .toLowerCase();
    if (host === 'localhost' || host.endsWith('.localhost') || (isIP(host) && isNonPublicAddress(host)))
      return 'must be a public address';
  }
  return null;
}

export class EndpointRefusedError extends Error {
  override name = 'EndpointRefusedError';
}

/**
 * Before each connection: the endpoint's form, and every address its host name resolves to (a public
 * name may point at a private address). A name that changes between this look-up and the connection
 * (DNS rebinding) is not caught here; a network-level egress policy is the complete answer.
 */
export async function assertEndpointAllowed(raw: string, allowPrivate: boolean): Promise<void> {
  const problem = endpointProblem(raw, allowPrivate);
  if (problem) throw new EndpointRefusedError(`the endpoint ${problem}`);
  if (allowPrivate) return;
  const host = new URL(raw).hostname.replace(/^\[|\]$/g, '');
  const addresses = isIP(host) ? [{ address: host }] : await lookup(host, { all: true });
  if (addresses.some((a) => isNonPublicAddress(a.address)))
    throw new EndpointRefusedError('the endpoint resolves to a non-public address');
}
