/**
 * Bugs the simulator plants to prove that its checker catches them (planted-bugs.test.ts): a simulator
 * that never fails proves nothing. The core has no branch for any of them: they plug into its labelled
 * decision points (src-main/core/decision-hooks.ts), or, for 'no-persist', into the simulated runtime.
 *
 *  'no-persist'              a node sends its promises and accepted replies before they are durable
 *                            (sim-node.ts), so a crash can take back a vote that was counted;
 *  'ignore-accepted'         a new leader ignores the values promises report;
 *  'ignore-config-boundary'  a leader does not stop at the first slot of another configuration and keeps
 *                            deciding there with its own members' majorities;
 *  'unbounded-promise'       an acceptor answers every prepare with a full promise, however large.
 */
import { CORRECT_DECISIONS, type DecisionHooks } from '../../src-main/core/decision-hooks';

export type PlantedBug = 'no-persist' | 'ignore-accepted' | 'ignore-config-boundary' | 'unbounded-promise';

export const PLANTED_BUGS: readonly PlantedBug[] = ['no-persist', 'ignore-accepted', 'ignore-config-boundary', 'unbounded-promise'];

/** The core's decisions with `bug` planted (the correct ones for a bug of the runtime, or none). */
export function plantedDecisions(bug: PlantedBug | null): DecisionHooks {
  switch (bug) {
    case 'ignore-accepted':
      return { ...CORRECT_DECISIONS, reportedAccepted: () => [] };
    case 'ignore-config-boundary':
      return { ...CORRECT_DECISIONS, inLeadershipConfiguration: () => true };
    case 'unbounded-promise':
      return { ...CORRECT_DECISIONS, candidateTooFarBehind: () => false, promiseChosenBudgetBytes: () => Infinity };
    case 'no-persist':
    case null:
      return CORRECT_DECISIONS;
  }
}
