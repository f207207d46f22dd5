/**
 * What a member's address (`host:port`) must look like, in one place for every boundary that sees one:
 * the API (validate.ts), invite codes (invite-code.ts), the Join form and the node's own invite list
 * (src-main/node/lan-addresses.ts). Free of imports, so the node's runtime uses it without the API.
 */

/** `host:port` with a host name, IPv4 or [IPv6] address and a port 1..65535. */
const ADDRESS_PATTERN = /^(?:\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]{1,253}):(\d{1,5})$/;

export function addressProblem(address: unknown): string | null {
  if (typeof address !== 'string') return 'must be a string';
  const match = ADDRESS_PATTERN.exec(address);
  if (match === null) return `must be HOST:PORT, like 192.168.1.20:7400 (got "${address}")`;
  const port = Number(match[1]);
  return port >= 1 && port <= 65535 ? null : `has port ${port}; ports go from 1 to 65535`;
}
