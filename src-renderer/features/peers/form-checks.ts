/**
 * Checks for the Peers page's forms (display name, UDP port, joining a cluster), in words shown next to
 * the fields. The node checks again at the API boundary (shared/validate.ts); these catch mistakes early.
 */
import { clusterSecretProblem } from '../../../shared/cluster-secret';
import { decodeInviteCode, MAX_INVITE_ADDRESSES } from '../../../shared/invite-code';
import { addressProblem } from '../../../shared/validate';

export const MAX_NAME_LENGTH = 40;

export function nameProblem(name: string): string | null {
  const trimmed = name.trim();
  if (trimmed === '') return 'Enter a display name.';
  if (trimmed.length > MAX_NAME_LENGTH) return `A display name can have at most ${MAX_NAME_LENGTH} characters.`;
  if ([...trimmed].some((c) => c.charCodeAt(0) <= 0x1f || (c.charCodeAt(0) >= 0x7f && c.charCodeAt(0) <= 0x9f))) return 'A display name cannot contain control characters.';
  return null;
}

/** A join asks at most this many members (an invite code lists at most as many). */
export const MAX_CONTACTS = MAX_INVITE_ADDRESSES;

/** The addresses typed or picked: `host:port`, several separated by commas or spaces. */
export function contactAddresses(text: string): string[] {
  return text.split(/[\s,]+/).filter((address) => address !== '');
}

/** The addresses of the members to contact. */
export function contactProblem(text: string): string | null {
  const addresses = contactAddresses(text);
  if (addresses.length === 0) return 'Enter the address of any member of the cluster, as host:port, like 192.168.1.20:7400, or paste an invite code above.';
  if (addresses.length > MAX_CONTACTS) return `Enter at most ${MAX_CONTACTS} addresses.`;
  for (const address of addresses) {
    const problem = addressProblem(address);
    if (problem !== null) return `The address ${problem}.`;
  }
  return null;
}

/** What is wrong with a pasted invite code, or null when it can be used (an empty field is no code). */
export function inviteCodeProblem(code: string): string | null {
  if (code.trim() === '') return null;
  const decoded = decodeInviteCode(code);
  return decoded.ok ? null : decoded.problem;
}

/** A UDP port typed in, as a number, or the reason it is not one. */
export function portProblem(text: string): string | null {
  const trimmed = text.trim();
  if (trimmed === '') return 'Enter a port number, like 7400.';
  if (!/^\d{1,5}$/.test(trimmed) || Number(trimmed) < 1 || Number(trimmed) > 65535) return 'A port is a whole number from 1 to 65535.';
  if (Number(trimmed) < 1024) return 'Ports below 1024 need administrator rights; pick one from 1024 to 65535, like 7400.';
  return null;
}

export function secretProblem(secret: string): string | null {
  if (secret === '') return "Enter the cluster's secret (a member shows it on its Peers page).";
  // The node's own rule (characters are code points: an emoji counts once), so the form never passes a secret the node refuses.
  const problem = clusterSecretProblem(secret);
  return problem === null ? null : `The cluster secret ${problem}.`;
}
