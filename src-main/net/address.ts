/**
 * UDP addresses: one shape for every "host and port" (a member, a join contact, a listen address) and
 * the one textual form, `host:port` with brackets around an IPv6 host, in both directions.
 */
import { isIPv6 } from 'node:net';

export interface HostPort {
  readonly host: string;
  readonly port: number;
}

/** `host:port`, with brackets around an IPv6 host. */
export function formatAddress(host: string, port: number): string {
  return isIPv6(host) ? `[${host}]:${port}` : `${host}:${port}`;
}

/** `host:port` or `[v6]:port`; null for anything else (an address recorded without one). */
export function parseHostPort(address: string): HostPort | null {
  const match = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(address);
  const host = match?.[1] ?? match?.[2];
  const port = Number(match?.[3]);
  return host === undefined || !Number.isInteger(port) || port < 1 || port > 65_535 ? null : { host, port };
}
