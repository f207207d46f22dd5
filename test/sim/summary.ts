/** The closing line of a simulator run, shared by the CLI and the test sweep. */
import type { SimulationResult } from './simulation';

export interface Summary {
  readonly violations: number;
  readonly line: string;
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
  ];
  return { violations, line: figures.join(' ') };
}
