/**
 * Where other machines can reach this node: its IPv4 addresses on the networks it is on, and the
 * member addresses an invite code lists (this node's own first, then its peers' as it reaches them).
 */
import { networkInterfaces, type NetworkInterfaceInfo } from 'node:os';
import { MAX_INVITE_ADDRESSES } from '../../shared/invite-code';
import { addressProblem } from '../../shared/address-syntax';
import { formatAddress, parseHostPort } from '../net/address';

type Interfaces = NodeJS.Dict<NetworkInterfaceInfo[]>;

/** This machine's IPv4 addresses on its networks (not loopback, not link-local), in the OS's order. */
export function lanAddresses(interfaces: Interfaces = networkInterfaces()): string[] {
  return Object.values(interfaces)
    .flatMap((entries) => entries ?? [])
    .filter((entry) => entry.family === 'IPv4' && !entry.internal && !entry.address.startsWith('169.254.'))
    .map((entry) => entry.address);
}

const WILDCARD_HOSTS = new Set(['0.0.0.0', '::', '0:0:0:0:0:0:0:0']);

/**
 * The addresses an invite code lists for a node listening on `listen` with peers at `peers` (as its
 * transport reaches them): a wildcard listen address means every LAN address of this machine (or
 * loopback on a machine without one); addresses nobody else could use are left out.
 */
export function inviteAddresses(listen: string, peers: readonly string[], interfaces: Interfaces = networkInterfaces()): string[] {
  const own = parseHostPort(listen);
  const mine: string[] = [];
  if (own !== null && WILDCARD_HOSTS.has(own.host)) {
    const lan = lanAddresses(interfaces);
    mine.push(...(lan.length > 0 ? lan : ['127.0.0.1']).map((host) => formatAddress(host, own.port)));
  } else if (own !== null) {
    mine.push(listen);
  }
  const usable = (address: string): boolean => {
    const parsed = parseHostPort(address);
    return parsed !== null && !WILDCARD_HOSTS.has(parsed.host) && addressProblem(address) === null;
  };
  return [...new Set([...mine, ...peers].filter(usable))].slice(0, MAX_INVITE_ADDRESSES);
}
