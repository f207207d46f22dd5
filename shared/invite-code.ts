/**
 * Invite codes: one string that carries what a new machine needs to join a cluster, the UDP addresses
 * of some of its members and the cluster secret, so a person copies one thing instead of two.
 *
 *   synod1.<payload>.<check>
 *
 * `synod1` names the format's version; <payload> is base64url of the JSON `{"a":[addresses],"s":secret}`;
 * <check> is the CRC-32 of everything before it, in hex, so a code cut short or mistyped is refused with
 * words saying so instead of joining nowhere. The checksum guards against accidents only: a code is as
 * sensitive as the secret inside it (whoever holds it can join), and it is untrusted text when pasted:
 * decodeInviteCode() checks every part and bound before anything uses it.
 *
 * Shared by the node (which makes codes), synod-node's --join-code and the Join form (which checks a
 * pasted code as the user types), so free of Node and DOM imports beyond TextEncoder, btoa and atob.
 */
import { clusterSecretProblem } from './cluster-secret';
import { addressProblem } from './address-syntax';

export const INVITE_CODE_VERSION = 1;
const PREFIX = `synod${INVITE_CODE_VERSION}.`;
/** Addresses a code lists at most: the join asks them in turn, so more would only slow it down. */
export const MAX_INVITE_ADDRESSES = 16;
/** 16 addresses of at most 262 bytes and a 512-character secret (2 KiB of UTF-8) fit comfortably. */
export const MAX_INVITE_CODE_LENGTH = 16_384;

export interface Invite {
  /** `host:port` UDP addresses of members; any one that answers adds the new machine. */
  readonly addresses: readonly string[];
  readonly secret: string;
}

export type InviteDecoding = { readonly ok: true; readonly invite: Invite } | { readonly ok: false; readonly problem: string };

const DAMAGED = 'The invite code is damaged or incomplete: copy it again, all of it, from "Invite a machine" on a member.';

/** The code for `invite`. Throws on an invite that decodeInviteCode() would refuse (a programming error). */
export function encodeInviteCode(invite: Invite): string {
  const problem = inviteProblem(invite.addresses, invite.secret);
  if (problem !== null) throw new RangeError(`cannot make an invite code: ${problem}`);
  const body = `${PREFIX}${toBase64Url(new TextEncoder().encode(JSON.stringify({ a: invite.addresses, s: invite.secret })))}`;
  return `${body}.${crc32Hex(body)}`;
}

/** What `text` invites to, or why it cannot be used, in words for the person who pasted it. */
export function decodeInviteCode(text: string): InviteDecoding {
  // Pasted codes pick up line breaks and spaces; the code itself never contains any.
  const code = text.replace(/\s+/g, '');
  if (code === '') return refuse('Paste the invite code (it starts with synod1.).');
  if (code.length > MAX_INVITE_CODE_LENGTH) return refuse(`This is far longer than an invite code (${code.length} characters).`);
  const version = /^synod(\d{1,6})\./i.exec(code);
  if (version === null) return refuse('This is not a Synod invite code: an invite code starts with synod1.');
  if (Number(version[1]) !== INVITE_CODE_VERSION) {
    return refuse(`This invite code has format version ${Number(version[1])}, and this Synod reads version ${INVITE_CODE_VERSION}: use the same version of Synod on both machines.`);
  }
  const parts = code.split('.');
  if (parts.length !== 3 || !/^[A-Za-z0-9_-]+$/.test(parts[1] as string) || !/^[0-9a-f]{8}$/i.test(parts[2] as string)) return refuse(DAMAGED);
  const body = `${parts[0]}.${parts[1]}`;
  if (crc32Hex(body) !== (parts[2] as string).toLowerCase()) return refuse(`${DAMAGED} (Its checksum does not match.)`);
  let payload: unknown;
  try {
    payload = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(fromBase64Url(parts[1] as string)));
  } catch {
    return refuse(DAMAGED);
  }
  if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) return refuse(DAMAGED);
  const record = payload as Record<string, unknown>;
  const keys = Object.keys(record).sort().join(',');
  const addresses = record['a'];
  const secret = record['s'];
  if (keys !== 'a,s' || !Array.isArray(addresses) || typeof secret !== 'string') return refuse(DAMAGED);
  const problem = inviteProblem(addresses, secret);
  if (problem !== null) return refuse(`This invite code cannot be used: ${problem}.`);
  return { ok: true, invite: { addresses: addresses as string[], secret } };
}

function refuse(problem: string): InviteDecoding {
  return { ok: false, problem };
}

function inviteProblem(addresses: readonly unknown[], secret: string): string | null {
  if (addresses.length === 0) return 'it lists no member address';
  if (addresses.length > MAX_INVITE_ADDRESSES) return `it lists ${addresses.length} addresses, more than ${MAX_INVITE_ADDRESSES}`;
  for (const address of addresses) {
    const problem = addressProblem(address);
    if (problem !== null) return `a member address ${problem}`;
  }
  const secretProblem = clusterSecretProblem(secret);
  return secretProblem === null ? null : `the cluster secret in it ${secretProblem}`;
}

function toBase64Url(bytes: Uint8Array): string {
  let binary = '';
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

/** Throws on text that is not base64url (atob refuses it). */
function fromBase64Url(text: string): Uint8Array {
  const binary = atob(text.replace(/-/g, '+').replace(/_/g, '/'));
  return Uint8Array.from(binary, (c) => c.charCodeAt(0));
}

/** CRC-32 (IEEE 802.3, as zlib) of the ASCII text before the checksum, as 8 hex digits. */
function crc32Hex(text: string): string {
  let crc = 0xffffffff;
  for (const byte of new TextEncoder().encode(text)) {
    crc ^= byte;
    for (let bit = 0; bit < 8; bit++) crc = (crc >>> 1) ^ (0xedb88320 & -(crc & 1));
  }
  return ((crc ^ 0xffffffff) >>> 0).toString(16).padStart(8, '0');
}
