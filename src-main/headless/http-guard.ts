/**
 * The HTTP bridge's gatekeeping checks, each a pure function of the request's headers:
 * - where the bridge may listen (loopback only, unless remote access is explicitly allowed);
 * - which Host headers it answers (DNS rebinding: a hostile page whose name resolves to 127.0.0.1
 *   still sends its own name as Host, so only the bound address and the loopback names pass);
 * - which Origin headers it accepts (none but its own: no cross-origin use at all);
 * - whether a presented credential is the API token or the dashboard's session, compared in
 *   constant time.
 *
 * Invariant: every check fails closed: a missing, malformed or duplicated header is a "no".
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { isIP } from 'node:net';

/** Tokens go into a cookie and an HTML attribute: keep them to URL-safe characters (hex, base64url). */
const TOKEN_PATTERN = /^[A-Za-z0-9._~-]{16,512}$/;

export function checkToken(token: string): void {
  if (!TOKEN_PATTERN.test(token)) {
    throw new Error('http bridge: the token must be 16 to 512 characters from A-Z a-z 0-9 . _ ~ - (e.g. 32 random bytes in base64url)');
  }
}

function stripBrackets(host: string): string {
  return host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
}

export function isLoopbackHost(host: string): boolean {
  const name = stripBrackets(host).toLowerCase();
  if (name === 'localhost') return true;
  if (isIP(name) === 4) return name.startsWith('127.');
  if (isIP(name) === 6) return name === '::1' || name === '0:0:0:0:0:0:0:1' || /^::ffff:127\./.test(name);
  return false;
}

export function isWildcardHost(host: string): boolean {
  const name = stripBrackets(host);
  return name === '0.0.0.0' || name === '::' || name === '0:0:0:0:0:0:0:0';
}

/** `host` as it appears in a URL or a Host header (IPv6 in brackets). */
export function hostForUrl(host: string): string {
  const name = stripBrackets(host);
  return isIP(name) === 6 ? `[${name}]` : name;
}

/** Splits a Host header into name and port (80 when absent, as browsers omit the default port). */
function parseHostHeader(header: string): { name: string; port: number } | null {
  const match = /^(\[[0-9a-f:.]+\]|[^:[\]]+)(?::(\d{1,5}))?$/i.exec(header);
  if (match === null) return null;
  const name = match[1] ?? '';
  return { name: stripBrackets(name).toLowerCase(), port: match[2] === undefined ? 80 : Number(match[2]) };
}

/**
 * A Host-header check for a bridge bound to `boundHost:port`. Accepts the bound address and the
 * loopback names at that port; when bound to a wildcard address (remote access), also any IP literal at
 * that port: DNS rebinding needs a domain name in Host, an IP literal cannot be rebound.
 */
export function makeHostCheck(boundHost: string, port: number): (header: string | undefined) => boolean {
  const allowed = new Set([boundHost, 'localhost', '127.0.0.1', '::1'].map((name) => stripBrackets(name).toLowerCase()));
  const wildcard = isWildcardHost(boundHost);
  return (header) => {
    if (header === undefined) return false;
    const parsed = parseHostHeader(header);
    if (parsed === null || parsed.port !== port) return false;
    return allowed.has(parsed.name) || (wildcard && isIP(parsed.name) !== 0);
  };
}

/** The Origin a same-origin request to this Host carries. */
export function ownOrigin(hostHeader: string): string {
  return `http://${hostHeader.toLowerCase()}`;
}

/** True when the request carries no Origin or exactly the bridge's own (the Host header was checked first). */
export function originAllowed(origin: string | undefined, hostHeader: string): boolean {
  return origin === undefined || origin.toLowerCase() === ownOrigin(hostHeader);
}

const digest = (value: string): Buffer => createHash('sha256').update(value, 'utf8').digest();

/**
 * A constant-time token comparison. Both sides are hashed first so timingSafeEqual always compares
 * equal-length buffers and the time taken reveals neither the token nor its length.
 */
export function makeTokenCheck(token: string): (presented: string | undefined) => boolean {
  const expected = digest(token);
  return (presented) => presented !== undefined && timingSafeEqual(digest(presented), expected);
}

/**
 * The dashboard session of a bridge whose API token is `token`: what the dashboard's cookie and page
 * hold instead of the token, because cookies are not isolated by port (every other server on 127.0.0.1
 * the browser visits receives them). It is an HMAC of the token, so it stays the same across restarts
 * as long as the token does (an open dashboard keeps working), while whoever gets it can use the
 * dashboard but never learns the token; a new token (delete DIR/api-token) ends it.
 */
export function dashboardSessionFor(token: string): string {
  return createHmac('sha256', token).update('synod dashboard session v1').digest('base64url');
}

export type Credential = 'api-token' | 'dashboard-session';

/**
 * Which credential `presented` is: the API token (programmatic clients), the dashboard session, or
 * neither (null). Both comparisons always run, in constant time.
 */
export function makeCredentialCheck(token: string, session: string): (presented: string | undefined) => Credential | null {
  const isToken = makeTokenCheck(token);
  const isSession = makeTokenCheck(session);
  return (presented) => {
    const tokenMatched = isToken(presented);
    const sessionMatched = isSession(presented);
    return tokenMatched ? 'api-token' : sessionMatched ? 'dashboard-session' : null;
  };
}

/** The token of an `Authorization: Bearer <token>` header, if that is what the header holds. */
export function bearerToken(header: string | undefined): string | undefined {
  const match = header === undefined ? null : /^Bearer[ ]+(\S+)[ ]*$/i.exec(header);
  return match?.[1];
}

/** The value of cookie `name` in a Cookie header (the first one, as browsers send the most specific first). */
export function cookieValue(header: string | undefined, name: string): string | undefined {
  if (header === undefined) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}
