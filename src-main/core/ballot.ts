/**
 * Ballots: the totally ordered proposal numbers of Paxos.
 *
 * A ballot is (round, node). Rounds are compared first; equal rounds are broken by node id, so two
 * nodes can never hold the same ballot. Invariant relied on everywhere: a leader proposes at most one
 * value per slot per ballot, hence "accepted at ballot b in slot s" identifies a single value.
 */
import type { NodeId } from './types';

export interface Ballot {
  readonly round: number;
  readonly node: NodeId;
}

/**
 * The highest round a correct replica ever uses: rounds grow by about one per election, so 2^40 is never
 * reached, and a peer's ballot above it is nonsense (the validation boundary drops it). Keeps round + 1
 * an exact integer the codec can encode.
 */
export const MAX_BALLOT_ROUND = 2 ** 40;

/** Below every real ballot: round 0 is never used by a proposer (rounds start at 1). */
export const ZERO_BALLOT: Ballot = Object.freeze({ round: 0, node: '' });

/** Negative if a < b, zero if equal, positive if a > b. */
export function compareBallots(a: Ballot, b: Ballot): number {
  if (a.round !== b.round) return a.round - b.round;
  if (a.node === b.node) return 0;
  return a.node < b.node ? -1 : 1;
}

export function ballotsEqual(a: Ballot, b: Ballot): boolean {
  return a.round === b.round && a.node === b.node;
}

export function maxBallot(a: Ballot, b: Ballot): Ballot {
  return compareBallots(a, b) >= 0 ? a : b;
}

/** The smallest ballot owned by `node` that is greater than `above`. */
export function nextBallotAbove(above: Ballot, node: NodeId): Ballot {
  const sameRound: Ballot = { round: Math.max(1, above.round), node };
  return compareBallots(sameRound, above) > 0 ? sameRound : { round: above.round + 1, node };
}
