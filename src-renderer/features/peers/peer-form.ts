/**
 * Checks for the Peers page's form, in words shown next to the fields. The node checks again
 * (shared/validate.ts at the API boundary, NodeHost for its own id); these catch mistakes early.
 */
import { NODE_ID_PATTERN, addressProblem } from '../../../shared/validate';

export const MAX_PEERS = 15;
export const MAX_NAME_LENGTH = 40;
export const MIN_SECRET_LENGTH = 8;
export const MAX_SECRET_LENGTH = 512;

export interface PeerProblems {
  readonly id: string | null;
  readonly address: string | null;
}

export interface PeerContext {
  /** This node's own id, which is never a peer. */
  readonly selfId: string;
  /** Ids already listed (without the one being edited). */
  readonly otherIds: readonly string[];
}

export function peerIdProblem(id: string, context: PeerContext): string | null {
  if (id === '') return "Enter the peer's id.";
  if (!NODE_ID_PATTERN.test(id)) return 'An id is 1 to 32 letters, digits, "-" or "_".';
  if (id === context.selfId) return `${id} is this node's own id; list only the other members.`;
  if (context.otherIds.includes(id)) return `${id} is already in the list.`;
  return null;
}

export function peerAddressProblem(address: string): string | null {
  if (address === '') return "Enter the peer's address as host:port, like 192.168.1.20:7400.";
  const problem = addressProblem(address);
  return problem === null ? null : `The address ${problem}.`;
}

export function peerProblems(id: string, address: string, context: PeerContext): PeerProblems {
  return { id: peerIdProblem(id.trim(), context), address: peerAddressProblem(address.trim()) };
}

export function nameProblem(name: string): string | null {
  const trimmed = name.trim();
  if (trimmed === '') return 'Enter a display name.';
  if (trimmed.length > MAX_NAME_LENGTH) return `A display name can have at most ${MAX_NAME_LENGTH} characters.`;
  if ([...trimmed].some((c) => c.charCodeAt(0) <= 0x1f || (c.charCodeAt(0) >= 0x7f && c.charCodeAt(0) <= 0x9f))) return 'A display name cannot contain control characters.';
  return null;
}

export function secretProblem(secret: string): string | null {
  if (secret.length < MIN_SECRET_LENGTH) return `A cluster secret has at least ${MIN_SECRET_LENGTH} characters.`;
  if (secret.length > MAX_SECRET_LENGTH) return `A cluster secret has at most ${MAX_SECRET_LENGTH} characters.`;
  return null;
}
