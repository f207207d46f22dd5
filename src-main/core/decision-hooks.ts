/**
 * Labelled decision points the simulator plugs into. Each hook receives the decision the core made and
 * returns the one to act on; the production core uses CORRECT_DECISIONS, which returns it unchanged. The
 * simulator substitutes wrong decisions (test/sim/planted-bugs.ts) to prove that its checker catches
 * their consequences: a checker that never fails proves nothing.
 *
 * Invariant: a hook is a pure function of its argument (no clock, no randomness, no state), so the core
 * stays deterministic whichever hooks it runs with, and a seed replays the same run.
 */
import type { AcceptedEntry } from './types';

export interface DecisionHooks {
  /** What a new leader takes from a promise's accepted reports. Correct: all of them (a chosen value may be among them). */
  readonly reportedAccepted: (accepted: readonly AcceptedEntry[]) => readonly AcceptedEntry[];
  /** Whether a leadership may propose at a slot, given whether that slot's configuration has its members. Correct: only then. */
  readonly inLeadershipConfiguration: (sameMembers: boolean) => boolean;
  /** Whether a prepare is refused because the candidate is too far behind for a promise to fit one message. Correct: as measured. */
  readonly candidateTooFarBehind: (tooFarBehind: boolean) => boolean;
  /** How many bytes of chosen entries a promise may carry. Correct: what one message leaves after the accepted entries. */
  readonly promiseChosenBudgetBytes: (budgetBytes: number) => number;
}

export const CORRECT_DECISIONS: DecisionHooks = Object.freeze({
  reportedAccepted: (accepted: readonly AcceptedEntry[]) => accepted,
  inLeadershipConfiguration: (sameMembers: boolean) => sameMembers,
  candidateTooFarBehind: (tooFarBehind: boolean) => tooFarBehind,
  promiseChosenBudgetBytes: (budgetBytes: number) => budgetBytes,
});
