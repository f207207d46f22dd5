/**
 * Checks for the Peers page's forms (display name, joining a cluster), in words shown next to the
 * fields. The node checks again at the API boundary (shared/validate.ts); these catch mistakes early.
 */
import { clusterSecretProblem } from '../../../shared/cluster-secret';
import { addressProblem } from '../../../shared/validate';

export const MAX_NAME_LENGTH = 40;

export function nameProblem(name: string): string | null {
  const trimmed = name.trim();
  if (trimmed === '') return 'Enter a display name.';
  if (trimmed.length > MAX_NAME_LENGTH) return `A display name can have at most ${MAX_NAME_LENGTH} characters.`;
  if ([...trimmed].some((c) => c.charCodeAt(0) <= 0x1f || (c.charCodeAt(0) >= 0x7f && c.charCodeAt(0) <= 0x9f))) return 'A display name cannot contain control characters.';
  return null;
}

/** The address of the member to contact, `host:port`. */
export function contactProblem(address: string): string | null {
  const trimmed = address.trim();
  if (trimmed === '') return "Enter the address of any member of the cluster, as host:port, like 192.168.1.20:7400.";
  const problem = addressProblem(trimmed);
  return problem === null ? null : `The address ${problem}.`;
}

export function secretProblem(secret: string): string | null {
  if (secret === '') return "Enter the cluster's secret (a member shows it on its Peers page).";
  // The node's own rule (characters are code points: an emoji counts once), so the form never passes a secret the node refuses.
  const problem = clusterSecretProblem(secret);
  return problem === null ? null : `The cluster secret ${problem}.`;
}
