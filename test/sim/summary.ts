/** The closing line of a simulator run, shared by the CLI and the test sweep. */
import type { SimulationResult } from './simulation';

export interface Summary {
  readonly violations: number;
  readonly line: string;
}

/** The shape of a run, for failure reports: cluster size and the stress it drew. */
export function describeRun(result: SimulationResult): string {
  const links = result.bandwidthBytesPerMs === null ? 'unlimited links' : `links of ${result.bandwidthBytesPerMs} bytes/ms`;
  return [`${result.replicas} replicas`, links, `${result.workload} workload`, ...(result.sleepingLaptop ? ['a sleeping laptop'] : []), ...(result.hostile ? ['a hostile member'] : [])].join(', ');
}

export function summarize(results: readonly SimulationResult[], seconds: number): Summary {
  const violations = results.filter((r) => r.violation !== null).length;
  const converged = results.filter((r) => r.stats.convergeTicks >= 0).map((r) => r.stats.convergeTicks);
  const sum = (pick: (r: SimulationResult) => number): number => results.reduce((total, r) => total + pick(r), 0);
  const figures = [
    `seeds=${results.length}`,
    `violations=${violations}`,
    `seeds_per_s=${(results.length / Math.max(seconds, 1e-9)).toFixed(1)}`,
    `commands_acked=${sum((r) => r.stats.commandsAcknowledged)}`,
    `slots_chosen=${sum((r) => r.stats.slotsChosen)}`,
    `crashes=${sum((r) => r.stats.crashes)}`,
    `snapshots=${sum((r) => r.stats.snapshotsInstalled)}`,
    `membership_changes=${sum((r) => r.stats.membershipChanges)}`,
    `nodes_added=${sum((r) => r.stats.nodesAdded)}`,
    `messages=${sum((r) => r.stats.messagesSent)}`,
    `converge_ticks_max=${converged.length > 0 ? Math.max(...converged) : -1}`,
    // How close the slowest convergence came to its bound (liveness-bound.ts): 1 would be a failure.
    `converge_of_bound_max=${Math.max(0, ...results.filter((r) => r.stats.convergeTicks >= 0).map((r) => r.stats.convergeTicks / r.stats.boundTicks)).toFixed(2)}`,
    `sleeping_laptops=${results.filter((r) => r.sleepingLaptop).length}`,
    `link_overflows=${sum((r) => r.stats.linkOverflows)}`,
    `hostile_seeds=${results.filter((r) => r.hostile).length}`,
    `hostile_messages=${sum((r) => r.stats.hostileMessages)}`,
    // Messages the nodes' validation boundary dropped; only a hostile member should cause any.
    `dropped_invalid=${sum((r) => Object.values(r.stats.droppedByReason).reduce((a, b) => a + b, 0))}`,
    `seq_exhausted=${sum((r) => r.stats.exhaustedSeqCommands)}`,
  ];
  return { violations, line: figures.join(' ') };
}
