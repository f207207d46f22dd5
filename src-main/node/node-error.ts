/**
 * Why the node refused or failed a request, in the node's own terms. The node layer never speaks the
 * API: the service maps each kind to an API error code (src-main/service/api-errors.ts), and the
 * transports give each code its HTTP status.
 */
export type NodeErrorKind =
  /** The request cannot be done here as asked (bad input, not a member, the last member); nothing was done. */
  | 'invalid'
  /** Not now: the node is stopping or joining, overloaded, or another change is under way. */
  | 'unavailable'
  /** Doing it would lose something (history, the quorum): it needs the caller's explicit consent. */
  | 'needs-consent'
  /** No quorum answered in time: the command (`commandId`) stays queued and will be chosen exactly once. */
  | 'pending'
  /** The command (`commandId`) was chosen, but the state machine rejected it. */
  | 'rejected'
  /** It failed, and putting things back failed too. */
  | 'failed';

export class NodeError extends Error {
  constructor(
    readonly kind: NodeErrorKind,
    message: string,
    /** The command concerned (`origin/seq`), when there is one. */
    readonly commandId?: string,
  ) {
    super(message);
    this.name = 'NodeError';
  }
}
